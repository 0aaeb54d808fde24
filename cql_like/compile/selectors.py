"""Selectors: interval, list, tuple, instance (`Quantity {..}`, `Code {..}`, `Concept {..}`), code and concept."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..codegen import fused
from ..context import EvaluationContext
from ..runtime.clinical import Code, Concept
from ..runtime.interval import Interval
from ..runtime.quantity import Quantity
from ..syntax import nodes as n
from .host import Emitter, Scope
from .types import Compiled, Fn, list_of, tuple_of

_INSTANCE_ELEMENTS = {
    "Quantity": frozenset({"value", "unit"}),
    "Code": frozenset({"code", "system", "version", "display"}),
    "Concept": frozenset({"codes", "display"}),
}


def _promoted(fn: Fn) -> Fn:
    return lambda ctx: (lambda v: None if v is None else [v])(fn(ctx))


def emit_interval_selector(ec: Emitter, e: n.IntervalSelector, scope: Scope) -> Compiled:
    low, high = ec.sys(e.low, scope), ec.sys(e.high, scope)
    lc, hc = e.low_closed, e.high_closed
    if ec.generated:
        ls, hs, interval = fused.of(low), fused.of(high), fused.constant(Interval)
        return Compiled.fused(f"{interval.text}({ls.text}, {hs.text}, {lc}, {hc})", (interval, ls, hs), "Interval")
    lf, hf = low.fn, high.fn
    return Compiled(lambda ctx: Interval(lf(ctx), hf(ctx), lc, hc), "Interval")


def emit_list_selector(ec: Emitter, e: n.ListSelector, scope: Scope) -> Compiled:
    items = [ec.compile(x, scope) for x in e.elements]
    fns = [c.fn for c in items]
    types = {c.type for c in items}
    elem = types.pop() if len(types) == 1 else "Any"
    if all(c.constant for c in items):
        # built once: `X.code in { 'a', 'b' }` inside a query would otherwise rebuild it per row
        value = [f(None) for f in fns]  # type: ignore[arg-type]  # constants ignore the context
        return Compiled(lambda ctx: value, list_of(elem), True)
    if ec.generated:  # a list display: the elements evaluated left to right, as the closure does
        parts = tuple(fused.of(c) for c in items)
        return Compiled.fused("[" + "".join(f"{p.text}, " for p in parts) + "]", parts, list_of(elem))
    return Compiled(lambda ctx: [f(ctx) for f in fns], list_of(elem))


def emit_tuple_selector(ec: Emitter, e: n.TupleSelector, scope: Scope) -> Compiled:
    compiled = [(name, ec.compile(x, scope)) for name, x in e.elements]
    typ = tuple_of({k: c.type for k, c in compiled})
    if ec.generated:  # a dict display: the elements evaluated in order, as the closure does
        # element names are bound names, not literals: no text of a name can look like generated code
        names = tuple(fused.constant(name) for name, _ in compiled)
        sources = tuple(fused.of(c) for _, c in compiled)
        text = "{" + "".join(f"{k.text}: {p.text}, " for k, p in zip(names, sources, strict=True)) + "}"
        return Compiled.fused(text, (*names, *sources), typ)
    parts = [(name, c.fn) for name, c in compiled]
    return Compiled(lambda ctx: {name: f(ctx) for name, f in parts}, typ)


def emit_instance_selector(ec: Emitter, e: n.InstanceSelector, scope: Scope) -> Compiled:
    allowed = _INSTANCE_ELEMENTS.get(e.type_name)
    parts: list[tuple[str, Fn]] = []
    for name, x in e.elements:
        c = ec.sys(x, scope)
        if allowed is not None and name not in allowed:
            ec.error(e.loc, "unknown-property", f"{e.type_name} has no element {name!r}")
        elif name == "codes" and c.type == "Code":
            # list promotion (CQL 1.5 §"Implicit conversions"): one Code where a list is expected
            parts.append((name, _promoted(c.fn)))
            continue
        elif name == "codes" and c.type not in ("List<Code>", "List<Any>", "Any"):
            ec.error(e.loc, "type-mismatch", f"Concept codes must be a List<Code>, not {c.type}")
        parts.append((name, c.fn))
    if e.type_name == "Quantity":

        def quantity(ctx: EvaluationContext) -> Any:
            vals = {k: f(ctx) for k, f in parts}
            v = vals.get("value")
            return None if v is None else Quantity(Decimal(v), vals.get("unit") or "1")

        return Compiled(quantity, "Quantity")
    if e.type_name == "Code":

        def code(ctx: EvaluationContext) -> Any:
            vals = {k: f(ctx) for k, f in parts}
            return (
                Code(vals["code"], vals.get("system"), vals.get("version"), vals.get("display"))
                if vals.get("code")
                else None
            )

        return Compiled(code, "Code")
    if e.type_name == "Concept":

        def concept(ctx: EvaluationContext) -> Any:
            vals = {k: f(ctx) for k, f in parts}
            codes = tuple(c for c in vals.get("codes") or () if isinstance(c, Code))
            return Concept(codes, vals.get("display"))

        return Compiled(concept, "Concept")
    ec.error(e.loc, "unsupported", f"instance selector for {e.type_name} is not supported")
    return Compiled(lambda ctx: None, "Any")


def emit_code_selector(ec: Emitter, e: n.CodeSelector, scope: Scope) -> Compiled:
    system = ec.lib.code_system_url(e.system, e.loc)
    value = Code(e.code, system, None, e.display)
    return Compiled(lambda ctx: value, "Code", True)


def emit_concept_selector(ec: Emitter, e: n.ConceptSelector, scope: Scope) -> Compiled:
    fns = [ec.compile(c, scope).fn for c in e.codes]
    display = e.display
    return Compiled(lambda ctx: Concept(tuple(f(ctx) for f in fns), display), "Concept")
