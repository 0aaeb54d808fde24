"""Offline replay of bundles and audit records through the same pipeline (python -m cds_service replay)."""
