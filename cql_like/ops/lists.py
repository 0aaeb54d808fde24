"""List operators: exists, singleton, first/last, flatten, distinct, union/intersect/except, membership."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..runtime import values
from ..runtime.clinical import Code, Concept
from ..runtime.logic import Bool3


class SingletonError(ValueError):
    pass


def exists(xs: Any) -> bool:
    if xs is None:
        return False
    if not isinstance(xs, list):
        return True
    return any(x is not None for x in xs)


def singleton(xs: Any) -> Any:
    if xs is None:
        return None
    if not isinstance(xs, list):
        return xs
    if len(xs) > 1:
        raise SingletonError(f"singleton from a list of {len(xs)} elements")
    return xs[0] if xs else None


def first(xs: Any) -> Any:
    return xs[0] if isinstance(xs, list) and xs else None


def last(xs: Any) -> Any:
    return xs[-1] if isinstance(xs, list) and xs else None


def flatten(xs: Any) -> Any:
    if xs is None:
        return None
    out: list[Any] = []
    for x in xs:
        if isinstance(x, list):
            out.extend(x)
        else:
            out.append(x)
    return out


_HASHABLE_KINDS = frozenset({str, bool, int, Code, Concept})
_DICTS = frozenset({dict})


def _key(x: Any) -> Any:
    kind = type(x)
    if kind in _HASHABLE_KINDS:  # the common items: hashable by construction, no probe
        return (kind.__name__, x)
    if kind is dict or kind is list:
        return None
    try:
        hash(x)
    except TypeError:
        return None
    return (type(x).__name__, x)


def _bucket(x: Any, nested: bool = False) -> Any:
    """A hashable summary that CQL-equal values always share (the converse need not hold), so
    tuples and resources are compared pairwise only within a bucket instead of with every kept item.
    Shallow on purpose: a resource is summarised by its type and id, a nested element by its shape."""
    kind = type(x)
    if kind is str:
        return x
    if kind is bool:
        return ("bool", x)
    if kind is int or kind is float or kind is Decimal:
        return ("number", x)  # Python hashes equal numbers alike across int/float/Decimal
    if kind is dict:
        if "resourceType" in x:
            rid = x.get("id")
            return ("resource", x["resourceType"], rid if type(rid) is str else None)
        if nested:
            return ("tuple", len(x))
        return ("tuple", tuple(sorted((k, _bucket(v, True)) for k, v in x.items())))
    if kind is list:
        return ("list", len(x))
    if kind is Code:
        return ("code", x.code, x.system, x.version)
    if kind is Concept:
        return ("concept", tuple((c.code, c.system, c.version) for c in x.codes))
    return ("other",)  # null, temporal, quantity, interval ...: decided by the pairwise comparison


def distinct(xs: Any) -> Any:
    """Remove duplicates by CQL equality (two nulls count as duplicates)."""
    if xs is None:
        return None
    kinds = set(map(type, xs))
    if len(kinds) == 1 and kinds <= _HASHABLE_KINDS:
        # one hashable kind (strings, codes, concepts ...): Python equality is CQL equality among them, and the
        # dict keeps the first of equal items in order, as the loop below does, without a key per item
        return list(dict.fromkeys(xs))
    if kinds == _DICTS:
        # resources (a union of two lists of them): the same object once; when no two others share a type and id
        # (the bucket below), none equals another and every one is kept, in order
        unique = list({id(x): x for x in xs}.values())
        if all("resourceType" in x for x in unique):
            named = {(x["resourceType"], rid if type(rid := x.get("id")) is str else None) for x in unique}
            if len(named) == len(unique):
                return unique
    out: list[Any] = []
    seen: set[Any] = set()
    buckets: dict[Any, list[Any]] = {}
    saw_null = False
    for x in xs:
        if x is None:
            if not saw_null:
                out.append(None)
                saw_null = True
            continue
        key = _key(x)
        if key is not None:
            size = len(seen)
            seen.add(key)  # one hash per item: a concept's hash is Python code
            if len(seen) != size:
                out.append(x)
            continue
        kept = buckets.setdefault(_bucket(x), [])
        if any(u is x or values.equal(u, x) is True for u in kept):
            continue
        kept.append(x)
        out.append(x)
    return out


def union(a: Any, b: Any) -> Any:
    if a is None and b is None:
        return None
    return distinct(list(a or []) + list(b or []))


def _contains(xs: list[Any], x: Any) -> bool:
    return any(y is x or values.equal(y, x) is True for y in xs)


def intersect(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    return distinct([x for x in a if _contains(b, x)])


def except_(a: Any, b: Any) -> Any:
    if a is None:
        return None
    if b is None:
        return distinct(a)
    return distinct([x for x in a if not _contains(b, x)])


def in_list(x: Any, xs: Any) -> Bool3:
    if xs is None:
        return False
    if x is None:
        return any(y is None for y in xs)
    result: Bool3 = False
    for y in xs:
        e = values.equal(x, y)
        if e is True:
            return True
        if e is None and y is not None:
            result = None
    return result


def index_of(xs: list[Any], x: Any) -> int:
    for i, y in enumerate(xs):
        if values.equal(x, y) is True:
            return i
    return -1


def tail(xs: list[Any]) -> list[Any]:
    return xs[1:]


def skip(xs: list[Any], n: int) -> list[Any]:
    return xs[n:]


def take(xs: list[Any], n: int) -> list[Any]:
    return xs[:n]
