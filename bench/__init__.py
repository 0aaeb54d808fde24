"""`make bench` (issue 4): latency, throughput, scaling and memory of the CRD service, each reported as a
ratio against a floor measured in the same run. Run with `python -m bench`; see bench/README.md.
"""
