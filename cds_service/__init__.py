"""coverage-hooks CDS Hooks service: a Da Vinci CRD 2.2 server for drug prior authorization."""

__all__ = ["__version__"]

__version__ = "0.1.0"
