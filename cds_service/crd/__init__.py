"""Rendering a CRD answer: coverage information, cards, suggestions, evidence, durable determinations."""
