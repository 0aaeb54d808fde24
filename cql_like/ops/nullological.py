"""Null tests and Coalesce (CQL 1.5 §14)."""

from __future__ import annotations

from typing import Any


def is_null(a: Any) -> bool:
    return a is None


def coalesce(*args: Any) -> Any:
    # Coalesce over a single list argument takes the first non-null element of the list
    if len(args) == 1 and isinstance(args[0], list):
        args = tuple(args[0])
    for a in args:
        if a is not None:
            return a
    return None
