"""String functions (CQL 1.5 §17); a null argument gives null."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=256)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def starts_with(s: str, prefix: str) -> bool:
    return s.startswith(prefix)


def ends_with(s: str, suffix: str) -> bool:
    return s.endswith(suffix)


def matches(s: str, pattern: str) -> bool:
    return _regex(pattern).fullmatch(s) is not None


def upper(s: str) -> str:
    return s.upper()


def lower(s: str) -> str:
    return s.lower()


def position_of(pattern: str, s: str) -> int:
    return s.find(pattern)


def last_position_of(pattern: str, s: str) -> int:
    return s.rfind(pattern)


def length(x: Any) -> int:
    return len(x)


def split(s: str, separator: str) -> list[str]:
    return s.split(separator) if separator else [s]


def combine(items: list[Any], separator: str | None = None) -> str | None:
    parts = [str(x) for x in items if x is not None]
    return (separator or "").join(parts)


def substring(s: str, start: int, length_: int | None = None) -> str | None:
    if start < 0 or start >= len(s):
        return None
    return s[start:] if length_ is None else s[start : start + length_]


def concatenate(*parts: str) -> str:
    return "".join(parts)
