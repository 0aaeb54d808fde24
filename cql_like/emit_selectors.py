"""Selectors: interval, list, tuple, instance (`Quantity {..}`, `Code {..}`, `Concept {..}`), code and concept."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from . import nodes as n
from .context import EvaluationContext
from .errors import SourceLocation
from .runtime.clinical import Code, Concept
from .runtime.interval import Interval
from .runtime.quantity import Quantity
from .static_types import Compiled, Fn, list_of, tuple_of

if TYPE_CHECKING:
    from .compiler import LibraryCompiler
    from .emit import Scope

_INSTANCE_ELEMENTS = {
    "Quantity": frozenset({"value", "unit"}),
    "Code": frozenset({"code", "system", "version", "display"}),
    "Concept": frozenset({"codes", "display"}),
}


def _promoted(fn: Fn) -> Fn:
    return lambda ctx: (lambda v: None if v is None else [v])(fn(ctx))


class SelectorEmitter:
    if TYPE_CHECKING:
        lib: LibraryCompiler

        def compile(self, expr: n.Expr, scope: Scope) -> Compiled: ...
        def sys(self, expr: n.Expr, scope: Scope) -> Compiled: ...
        def error(self, loc: SourceLocation, code: str, message: str) -> None: ...

    def _IntervalSelector(self, e: n.IntervalSelector, scope: Scope) -> Compiled:  # noqa: N802
        low, high = self.sys(e.low, scope), self.sys(e.high, scope)
        lf, hf, lc, hc = low.fn, high.fn, e.low_closed, e.high_closed
        return Compiled(lambda ctx: Interval(lf(ctx), hf(ctx), lc, hc), "Interval")

    def _ListSelector(self, e: n.ListSelector, scope: Scope) -> Compiled:  # noqa: N802
        items = [self.compile(x, scope) for x in e.elements]
        fns = [c.fn for c in items]
        types = {c.type for c in items}
        elem = types.pop() if len(types) == 1 else "Any"
        if all(c.constant for c in items):
            # built once: `X.code in { 'a', 'b' }` inside a query would otherwise rebuild it per row
            value = [f(None) for f in fns]  # type: ignore[arg-type]  # constants ignore the context
            return Compiled(lambda ctx: value, list_of(elem), True)
        return Compiled(lambda ctx: [f(ctx) for f in fns], list_of(elem))

    def _TupleSelector(self, e: n.TupleSelector, scope: Scope) -> Compiled:  # noqa: N802
        compiled = [(name, self.compile(x, scope)) for name, x in e.elements]
        parts = [(name, c.fn) for name, c in compiled]
        return Compiled(lambda ctx: {name: f(ctx) for name, f in parts}, tuple_of({k: c.type for k, c in compiled}))

    def _InstanceSelector(self, e: n.InstanceSelector, scope: Scope) -> Compiled:  # noqa: N802
        allowed = _INSTANCE_ELEMENTS.get(e.type_name)
        parts: list[tuple[str, Fn]] = []
        for name, x in e.elements:
            c = self.sys(x, scope)
            if allowed is not None and name not in allowed:
                self.error(e.loc, "unknown-property", f"{e.type_name} has no element {name!r}")
            elif name == "codes" and c.type == "Code":
                # list promotion (CQL 1.5 §"Implicit conversions"): one Code where a list is expected
                parts.append((name, _promoted(c.fn)))
                continue
            elif name == "codes" and c.type not in ("List<Code>", "List<Any>", "Any"):
                self.error(e.loc, "type-mismatch", f"Concept codes must be a List<Code>, not {c.type}")
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
        self.error(e.loc, "unsupported", f"instance selector for {e.type_name} is not supported")
        return Compiled(lambda ctx: None, "Any")

    def _CodeSelector(self, e: n.CodeSelector, scope: Scope) -> Compiled:  # noqa: N802
        system = self.lib.code_system_url(e.system, e.loc)
        value = Code(e.code, system, None, e.display)
        return Compiled(lambda ctx: value, "Code", True)

    def _ConceptSelector(self, e: n.ConceptSelector, scope: Scope) -> Compiled:  # noqa: N802
        fns = [self.compile(c, scope).fn for c in e.codes]
        display = e.display
        return Compiled(lambda ctx: Concept(tuple(f(ctx) for f in fns), display), "Concept")
