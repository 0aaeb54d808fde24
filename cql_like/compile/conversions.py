"""FHIRHelpers' implicit conversion of FHIR-typed operands to System values, and `impl(operand)` as a node."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from ..codegen import fused
from ..context import EvaluationContext
from ..fhir import model
from .closures import calling
from .host import Emitter
from .types import Compiled, element_of, is_fhir, is_list, list_of


def _guess(value: Any) -> Any:
    if isinstance(value, dict):
        return value if "resourceType" in value else model.guess_system(value)
    if isinstance(value, list):
        return [_guess(v) for v in value]
    return value


def to_sys(ec: Emitter, c: Compiled) -> Compiled:
    """Apply FHIRHelpers' implicit conversion to a FHIR-typed operand."""
    many = is_list(c.type)
    base = element_of(c.type) if many else c.type
    if is_fhir(base):
        name = base[5:]
        target = model.CONVERTIBLE.get(name)
        if target is None:
            return c
        if many:
            return applied(ec, lambda raw: model.to_system(raw, name), c, list_of(target))

        conversion: Callable[[Any], Any] = model.CONVERTERS.get(
            name, functools.partial(model.to_system, fhir_type=name)
        )

        def convert(ctx: EvaluationContext, raw: Any) -> Any:
            if not isinstance(raw, dict):
                return model.to_system(raw, name)
            # the same element is converted many times (once per criterion, and again by the next evaluation
            # of the same record): once per record
            return ctx.record.converted_value(name, raw, conversion)

        if not ec.generated:
            return Compiled(calling(convert, (c.fn,), with_ctx=True), target)
        # a conversion the record already made is read here, without a call (PatientRecord.converted_value's
        # table: a non-dict, never stored, always misses)
        f, x, hit, raw = fused.constant(convert), fused.of(c), fused.fresh("h"), fused.fresh("r")
        return Compiled.fused(
            f"({hit}[1] if ({hit} := ctx.record.converted.get(({name!r}, id({raw} := {x.text})))) is not None"
            f" else {f.text}(ctx, {raw}))",
            (f, x), target,
        )  # fmt: skip
    if base == "Any":
        return applied(ec, _guess, c, c.type)
    return c


def applied(ec: Emitter, impl: Any, operand: Compiled, typ: str) -> Compiled:
    """`impl(operand)`: fused, or a plain closure under the closures backend."""
    if not ec.generated:
        return Compiled(calling(impl, (operand.fn,)), typ)
    x, f = fused.of(operand), fused.constant(impl)
    return Compiled.fused(f"{f.text}({x.text})", (f, x), typ)
