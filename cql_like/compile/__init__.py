"""Syntax tree -> compiled library: stages, the dispatch table from node type to emitter, emitters, static types."""
