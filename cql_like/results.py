"""Results of one evaluation: every public define's value and the resources that support it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Results:
    """`values[name]` is the CQL value (None for null); `evidence[name]` the sorted `Type/id`s that
    contributed to a true or non-empty value (empty otherwise)."""

    library: str
    values: Mapping[str, Any]
    evidence: Mapping[str, tuple[str, ...]]

    def __getitem__(self, name: str) -> Any:
        return self.values[name]
