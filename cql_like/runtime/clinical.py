"""Code and Concept values; equivalence compares system and code only (CQL 1.5 §9.2)."""

from __future__ import annotations

from typing import Any, cast


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
        return hash(self.fields)

    @property
    def fields(self) -> tuple[str, str | None, str | None, str | None]:
        """Every field, in the order Concept.ident lists them."""
        return (self.code, self.system, self.version, self.display)

    def __repr__(self) -> str:
        return f"Code(code={self.code!r}, system={self.system!r}, version={self.version!r}, display={self.display!r})"

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.system, self.code)


class _UntestableCodes:
    """Concept.keys of a concept with an unhashable code (a list where FHIR has a string): a value-set test of it
    raises what making the keys raised, so the evaluation fails rather than answering false."""

    __slots__ = ("error",)

    def __init__(self, error: TypeError) -> None:
        self.error = error

    def isdisjoint(self, other: object) -> bool:
        raise TypeError(*self.error.args)


class Concept:
    """A CQL Concept; immutable by convention, like Code."""

    __slots__ = ("codes", "display", "keys", "ident")

    def __init__(self, codes: tuple[Code, ...], display: str | None = None,
                 ident: tuple[Any, ...] | None = None) -> None:  # fmt: skip
        self.codes = codes
        self.display = display
        # (system, code) pairs, so value-set membership is one set operation; made at once, as a plain attribute:
        # a concept is tested far more often than made (the record keeps the concepts it reads)
        try:
            self.keys: frozenset[tuple[str | None, str]] = frozenset([(c.system, c.code) for c in codes])
        except TypeError as exc:  # a code that is no string (malformed data): fails when tested, as it always did
            self.keys = cast(frozenset[tuple[str | None, str]], _UntestableCodes(exc))
        # every field of every code, and the display, as plain tuples: equal exactly when the concepts are, and
        # hashed and compared without Python code, so memos and kept results key a concept by it. A caller that
        # has the fields at hand (model.to_concept) passes it; it must be what this line makes
        self.ident = ident if ident is not None else (tuple([c.fields for c in codes]), display)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not Concept:
            return NotImplemented
        return self is other or self.ident == other.ident

    def __hash__(self) -> int:
        return hash(self.ident)

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
