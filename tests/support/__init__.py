"""Test helpers shared by the suites: builders, fakes, a live server."""
