"""Gathering the patient record for a hook: prefetch, FHIR queries, order identity, drug codes."""
