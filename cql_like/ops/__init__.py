"""Operator implementations, one module per family; declared in cql_like.compile.registry."""
