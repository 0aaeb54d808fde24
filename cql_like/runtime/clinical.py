"""Code and Concept values; equivalence compares system and code only (CQL 1.5 §9.2)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Code:
    code: str
    system: str | None = None
    # Python equality/hash cover every field so caches and `distinct` never merge two codes
    # that differ only in display; CQL `=` and `~` are in runtime.values.
    version: str | None = None
    display: str | None = None

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.system, self.code)


@dataclass(frozen=True, slots=True)
class Concept:
    codes: tuple[Code, ...]
    display: str | None = None
    keys: frozenset[tuple[str | None, str]] = field(init=False, compare=False, repr=False, hash=False)
    _hash: int = field(init=False, compare=False, repr=False, hash=False)

    def __post_init__(self) -> None:
        # (system, code) pairs, so value-set membership is one set operation
        object.__setattr__(self, "keys", frozenset(c.key for c in self.codes))
        # concepts key the per-evaluation function memo; hash them once
        object.__setattr__(self, "_hash", hash((self.codes, self.display)))

    def __hash__(self) -> int:
        return self._hash


def code_equivalent(a: Code, b: Code) -> bool:
    return a.code == b.code and a.system == b.system


def codes_of(value: Code | Concept) -> tuple[Code, ...]:
    return value.codes if isinstance(value, Concept) else (value,)


def clinical_equivalent(a: Code | Concept, b: Code | Concept) -> bool:
    """Two codes/concepts are equivalent when any code of one is equivalent to any code of the other."""
    keys_a = a.keys if isinstance(a, Concept) else frozenset((a.key,))
    keys_b = b.keys if isinstance(b, Concept) else frozenset((b.key,))
    return not keys_a.isdisjoint(keys_b)
