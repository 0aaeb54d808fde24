"""Three-valued Boolean logic: the only place Boolean null semantics live.

`None` is the CQL null (unknown). Every helper returns True, False or None.
"""

from __future__ import annotations

Bool3 = bool | None


# Written with `is True` / `is False` so that anything that is not a Boolean counts as unknown.


def and3(a: Bool3, b: Bool3) -> Bool3:
    if a is False or b is False:
        return False
    if a is True and b is True:
        return True
    return None


def or3(a: Bool3, b: Bool3) -> Bool3:
    if a is True or b is True:
        return True
    if a is False and b is False:
        return False
    return None


# The value that decides `and` (False) or `or` (True) on its own, whatever the other operand is.
DOMINANT = {"and": False, "or": True}


def short_circuit_text(op: str, a: str, left: str, b: str, right: str) -> str:
    """and3 (op "and") or or3 ("or") as one Python expression over the operand texts `left` and `right`, bound to
    the names `a` and `b`: the generated backend's form, which skips `right` once `left` decides (CQL allows it)."""
    d, other = repr(DOMINANT[op]), repr(not DOMINANT[op])
    return (
        f"({d} if ({a} := {left}) is {d} else ({d} if ({b} := {right}) is {d}"
        f" else ({other} if {a} is {other} and {b} is {other} else None)))"
    )


def not3(a: Bool3) -> Bool3:
    return None if a is None else not a


def xor3(a: Bool3, b: Bool3) -> Bool3:
    if a is None or b is None:
        return None
    return a != b


def implies3(a: Bool3, b: Bool3) -> Bool3:
    return or3(not3(a), b)


def all3(values: list[Bool3]) -> Bool3:
    result: Bool3 = True
    for v in values:
        result = and3(result, v)
        if result is False:
            return False
    return result


def any3(values: list[Bool3]) -> Bool3:
    result: Bool3 = False
    for v in values:
        result = or3(result, v)
        if result is True:
            return True
    return result
