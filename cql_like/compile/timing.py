"""Timing phrases (`during`, `before/after` with offsets, `within`, `same as`, `overlaps`, ...)."""

from __future__ import annotations

from decimal import Decimal

from ..ops import interval as interval_ops
from ..runtime.quantity import Quantity
from ..syntax import nodes as n
from .host import Emitter, Scope
from .types import Compiled

_UNIT_WORDS = {
    "year": "year", "years": "year", "month": "month", "months": "month", "week": "week",
    "weeks": "week", "day": "day", "days": "day", "hour": "hour", "hours": "hour",
    "minute": "minute", "minutes": "minute", "second": "second", "seconds": "second",
    "millisecond": "millisecond", "milliseconds": "millisecond",
}  # fmt: skip


def quantity_of(q: n.QuantityLiteral) -> Quantity:
    unit = q.unit
    return Quantity(Decimal(q.value), _UNIT_WORDS.get(unit, unit))


def emit_timing(ec: Emitter, e: n.Timing, scope: Scope) -> Compiled:
    left, right = ec.sys(e.left, scope).fn, ec.sys(e.right, scope).fn
    p = e.phrase
    precision = p.precision
    kind = p.kind
    if kind == "during":
        if p.boundary in ("starts", "ends"):
            which = interval_ops.start if p.boundary == "starts" else interval_ops.end
            return Compiled(
                lambda ctx: interval_ops.included_in(which(left(ctx)), right(ctx), precision, p.properly), "Boolean"
            )
        properly = p.properly
        return Compiled(lambda ctx: interval_ops.included_in(left(ctx), right(ctx), precision, properly), "Boolean")
    if kind == "includes":
        properly = p.properly
        return Compiled(lambda ctx: interval_ops.includes(left(ctx), right(ctx), precision, properly), "Boolean")
    if kind == "before_after":
        offset = quantity_of(p.offset) if p.offset else None
        relation, or_on, boundary, mode = p.relation or "before", p.or_on, p.boundary, p.offset_mode
        return Compiled(lambda ctx: interval_ops.before_after(
            left(ctx), right(ctx), relation=relation, or_on=or_on, boundary=boundary,
            precision=precision, offset=offset, offset_mode=mode), "Boolean")  # fmt: skip
    if kind == "within":
        assert p.offset is not None
        q = quantity_of(p.offset)
        boundary, properly = p.boundary, p.properly
        return Compiled(lambda ctx: interval_ops.within(left(ctx), right(ctx), q, boundary, properly), "Boolean")
    if kind == "same":
        same_relation, same_boundary = p.relation, p.boundary
        return Compiled(
            lambda ctx: interval_ops.same_as(
                left(ctx), right(ctx), precision=precision, relation=same_relation, boundary=same_boundary
            ),
            "Boolean",
        )
    side = p.relation
    if kind == "overlaps":
        return Compiled(lambda ctx: interval_ops.overlaps(left(ctx), right(ctx), precision, side), "Boolean")
    if kind == "meets":
        return Compiled(lambda ctx: interval_ops.meets(left(ctx), right(ctx), precision, side), "Boolean")
    if kind == "starts":
        return Compiled(lambda ctx: interval_ops.starts(left(ctx), right(ctx), precision), "Boolean")
    if kind == "ends":
        return Compiled(lambda ctx: interval_ops.ends(left(ctx), right(ctx), precision), "Boolean")
    ec.error(p.loc, "unsupported", f"timing phrase {kind!r} is not supported")
    return Compiled(lambda ctx: None, "Boolean")
