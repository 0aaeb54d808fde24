"""Runtime values and their relations; knows nothing of syntax or FHIR."""
