"""Code and Concept values; equivalence compares system and code only (CQL 1.5 §9.2)."""

from __future__ import annotations


class Code:
    """A CQL Code. Immutable by convention: nothing assigns to one after construction (a plain slotted class is
    three times cheaper to build than a frozen dataclass, and an evaluation builds one per coding it reads)."""

    __slots__ = ("code", "system", "version", "display")

    def __init__(self, code: str, system: str | None = None, version: str | None = None,
                 display: str | None = None) -> None:  # fmt: skip
        self.code = code
        self.system = system
        self.version = version
        self.display = display

    # Python equality/hash cover every field so caches and `distinct` never merge two codes
    # that differ only in display; CQL `=` and `~` are in runtime.values.
    def __eq__(self, other: object) -> bool:
        if other.__class__ is not Code:
            return NotImplemented
        return (self.code == other.code and self.system == other.system and self.display == other.display
                and self.version == other.version)  # fmt: skip

    def __hash__(self) -> int:
        return hash((self.code, self.system, self.version, self.display))

    def __repr__(self) -> str:
        return f"Code(code={self.code!r}, system={self.system!r}, version={self.version!r}, display={self.display!r})"

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.system, self.code)


class Concept:
    """A CQL Concept; immutable by convention, like Code."""

    __slots__ = ("codes", "display", "keys", "_hash")

    def __init__(self, codes: tuple[Code, ...], display: str | None = None) -> None:
        self.codes = codes
        self.display = display
        # (system, code) pairs, so value-set membership is one set operation; made at once, as a plain attribute:
        # a concept is tested far more often than made (the record keeps the concepts it reads)
        self.keys: frozenset[tuple[str | None, str]] = frozenset([(c.system, c.code) for c in codes])
        self._hash: int | None = None

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not Concept:
            return NotImplemented
        return self is other or (self.display == other.display and self.codes == other.codes)

    def __hash__(self) -> int:
        # concepts key function memos; hash them once
        value = self._hash
        if value is None:
            value = self._hash = hash((self.codes, self.display))
        return value

    def __repr__(self) -> str:
        return f"Concept(codes={self.codes!r}, display={self.display!r})"


def code_equivalent(a: Code, b: Code) -> bool:
    return a.code == b.code and a.system == b.system


def codes_of(value: Code | Concept) -> tuple[Code, ...]:
    return value.codes if isinstance(value, Concept) else (value,)


def clinical_equivalent(a: Code | Concept, b: Code | Concept) -> bool:
    """Two codes/concepts are equivalent when any code of one is equivalent to any code of the other."""
    keys_a = a.keys if isinstance(a, Concept) else frozenset((a.key,))
    keys_b = b.keys if isinstance(b, Concept) else frozenset((b.key,))
    return not keys_a.isdisjoint(keys_b)
