"""Test doubles shared by the test suites: a FHIR server, a connection recorder, a JWT minter."""
