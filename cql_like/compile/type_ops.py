"""`is`, `as`, `cast` and `convert`; on a FHIR choice element (`O.value as Quantity`) they pick
the matching `value[x]` field directly."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..codegen import fused
from ..context import EvaluationContext
from ..fhir import model
from ..ops import conversion
from ..runtime import temporal as t
from ..runtime.clinical import Code, Concept
from ..runtime.interval import Interval
from ..runtime.quantity import Quantity
from ..syntax import nodes as n
from .conversions import to_sys
from .host import Emitter, Scope
from .types import SYSTEM_TYPES, Compiled, Fn, element_of, is_fhir, is_list, is_tuple, tuple_of

# System type -> name of the matching member of a FHIR choice element
_SYSTEM_TO_CHOICE = {"Concept": "CodeableConcept", "Code": "Coding"}
_PY_CHECK: dict[str, Any] = {
    "Boolean": lambda v: isinstance(v, bool),
    "Integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "Decimal": lambda v: isinstance(v, Decimal),
    "String": lambda v: isinstance(v, str),
    "Date": lambda v: isinstance(v, t.Date),
    "DateTime": lambda v: isinstance(v, t.DateTime),
    "Quantity": lambda v: isinstance(v, Quantity),
    "Code": lambda v: isinstance(v, Code),
    "Concept": lambda v: isinstance(v, Concept),
    "Interval": lambda v: isinstance(v, Interval),
    "Any": lambda v: True,
}
_CONVERTERS: dict[str, Any] = {
    "String": conversion.to_string, "Decimal": conversion.to_decimal, "Integer": conversion.to_integer,
    "Boolean": conversion.to_boolean, "Date": conversion.to_date, "DateTime": conversion.to_datetime,
    "Quantity": conversion.to_quantity, "Concept": conversion.to_concept, "Code": conversion.to_code,
}  # fmt: skip


def resolve_type(spec: n.TypeSpec) -> str:
    if isinstance(spec, n.ListType):
        return f"List<{resolve_type(spec.element)}>"
    if isinstance(spec, n.IntervalType):
        return "Interval"
    if isinstance(spec, n.TupleType):
        return tuple_of({name: resolve_type(t) for name, t in spec.elements})
    if isinstance(spec, n.ChoiceType):
        return "Any"
    if spec.namespace == "System":
        return spec.name
    if spec.namespace == "FHIR":
        return "FHIR." + spec.name
    if spec.name in SYSTEM_TYPES:
        return spec.name
    return "FHIR." + spec.name if model.has_type(spec.name) else spec.name


def _fhir_shape_check(type_name: str) -> Any:
    if type_name in model.RESOURCE_TYPES:
        return lambda v: isinstance(v, dict) and v.get("resourceType") == type_name
    if type_name == "CodeableConcept":
        return lambda v: isinstance(v, dict) and ("coding" in v or "text" in v)
    if type_name in model.QUANTITY_TYPES:
        return lambda v: isinstance(v, dict) and "value" in v
    if type_name in ("Period",):
        return lambda v: isinstance(v, dict) and ("start" in v or "end" in v)
    system = model.PRIMITIVE_TO_SYSTEM.get(type_name)
    if system is not None:
        return _PY_CHECK.get(system, lambda v: False)
    return lambda v: isinstance(v, dict)


def runtime_check(type_name: str) -> Any:
    if type_name.startswith("FHIR."):
        return _fhir_shape_check(type_name[5:])
    if is_list(type_name):
        return lambda v: isinstance(v, list)
    return _PY_CHECK.get(type_name, lambda v: False)


def emit_type_op(ec: Emitter, e: n.TypeOp, scope: Scope) -> Compiled:
    target = resolve_type(e.type)
    if target not in SYSTEM_TYPES and not is_fhir(target) and not is_list(target) and not is_tuple(target):
        ec.error(e.type.loc, "unknown-type", f"unknown type {target!r}")
        return Compiled(lambda ctx: None, "Any")
    choice = _choice_member(ec, e, target, scope)
    if choice is not None:
        return choice
    src = ec.compile(e.operand, scope)
    if not is_fhir(target) and target != "Any":
        src = to_sys(ec, src)
    if not ec.generated:
        xf, test = src.fn, runtime_check(target)
        if e.op == "is":
            return Compiled(lambda ctx: (v := xf(ctx)) is not None and bool(test(v)), "Boolean")
        return Compiled(lambda ctx: v if (v := xf(ctx)) is not None and test(v) else None, target)
    check, x, v = fused.constant(runtime_check(target)), fused.of(src), fused.fresh("v")
    if e.op == "is":
        return Compiled.fused(f"(({v} := {x.text}) is not None and bool({check.text}({v})))", (check, x), "Boolean")
    return Compiled.fused(f"({v} if ({v} := {x.text}) is not None and {check.text}({v}) else None)",
                          (check, x), target)  # fmt: skip


def _choice_member(ec: Emitter, e: n.TypeOp, target: str, scope: Scope) -> Compiled | None:
    operand = e.operand
    if not isinstance(operand, n.Member):
        return None
    if (
        isinstance(operand.source, n.Identifier)
        and ec.lib.is_library_alias(operand.source.name)
        and operand.source.name not in scope
    ):
        return None
    src = ec.compile(operand.source, scope)
    base = element_of(src.type) if is_list(src.type) else src.type
    if not is_fhir(base):
        return None
    el = model.element(base[5:], operand.name)
    if el is None or not el.is_choice:
        return None
    wanted = target[5:] if is_fhir(target) else _SYSTEM_TO_CHOICE.get(target, target)
    wanted = wanted[0].upper() + wanted[1:]
    if wanted in model.QUANTITY_TYPES and "Quantity" in el.types:
        wanted = "Quantity"  # SimpleQuantity, Age, Duration ... are profiles of Quantity
    if wanted not in el.types:
        options = ", ".join(model.choice_type_name(x) for x in el.types)
        ec.error(e.loc, "type-mismatch", f"{base[5:]}.{operand.name} is never a {target} (it is one of {options})")
        return Compiled(lambda ctx: None, "Any")
    field = model.choice_field(operand.name, wanted)
    fhir_type = model.choice_type_name(wanted)
    system = model.PRIMITIVE_TO_SYSTEM.get(fhir_type)
    many = is_list(src.type)
    if e.op == "is" and many:
        return Compiled(lambda ctx: None, "Boolean")
    if not ec.generated:
        return _plain_choice(e.op == "is", src.fn, field, fhir_type, target, system)
    x, d = fused.of(src), fused.fresh("d")
    got = f"{d}.get({field!r})"
    if e.op == "is":
        return Compiled.fused(f"(isinstance({d} := {x.text}, dict) and {got} is not None)", (x,), "Boolean")
    if not is_fhir(target) and system is None:
        # `as Quantity` / `as Concept`: the System type, through the FHIRHelpers conversion
        conv, typ = fused.constant(lambda raw: model.to_system(raw, fhir_type)), target
    elif system is not None:
        conv, typ = fused.constant(lambda raw: model.primitive(raw, fhir_type)), system
    else:
        return Compiled.fused(f"({got} if isinstance({d} := {x.text}, dict) else None)", (x,), "FHIR." + fhir_type)
    return Compiled.fused(f"({conv.text}({got}) if isinstance({d} := {x.text}, dict) else None)", (conv, x), typ)


def _plain_choice(is_test: bool, xf: Fn, field: str, fhir_type: str, target: str, system: str | None) -> Compiled:
    """The closures backend's `X.value is/as T` on a choice element: _choice_member's fused texts as closures."""
    if is_test:
        return Compiled(lambda ctx: isinstance(d := xf(ctx), dict) and d.get(field) is not None, "Boolean")
    if not is_fhir(target) and system is None:
        conv: Any = lambda raw: model.to_system(raw, fhir_type)  # noqa: E731
        typ = target
    elif system is not None:
        conv, typ = (lambda raw: model.primitive(raw, fhir_type)), system
    else:
        return Compiled(lambda ctx: d.get(field) if isinstance(d := xf(ctx), dict) else None, "FHIR." + fhir_type)
    return Compiled(lambda ctx: conv(d.get(field)) if isinstance(d := xf(ctx), dict) else None, typ)


def emit_convert(ec: Emitter, e: n.Convert, scope: Scope) -> Compiled:
    src = to_sys(ec, ec.compile(e.operand, scope))
    f = src.fn
    if e.unit is not None:
        unit = e.unit

        def convert_unit(ctx: EvaluationContext) -> Any:
            from ..runtime.quantity import convert

            v = f(ctx)
            return convert(v, unit) if isinstance(v, Quantity) else None

        return Compiled(convert_unit, "Quantity")
    assert e.type is not None
    target = resolve_type(e.type)
    converter = _CONVERTERS.get(target)
    if converter is None:
        ec.error(e.loc, "unsupported", f"convert to {target} is not supported")
        return Compiled(lambda ctx: None, "Any")
    return Compiled(lambda ctx: converter(f(ctx)), target)
