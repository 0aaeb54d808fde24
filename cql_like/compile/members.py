"""Property navigation over FHIR dicts and System values, with choice types resolved by the model."""

from __future__ import annotations

import functools
from typing import Any

from ..codegen import fused
from ..context import EvaluationContext
from ..errors import SourceLocation
from ..fhir import model
from ..fhir.retrieve import medication_concept
from ..runtime.clinical import Code, Concept
from ..runtime.interval import Interval
from ..runtime.quantity import Quantity
from .host import ErrorFn
from .types import Compiled, Fn, element_of, is_fhir, is_list, list_of, tuple_elements

_SYSTEM_PROPERTIES: dict[str, dict[str, str]] = {
    "Quantity": {"value": "Decimal", "unit": "String"},
    "Code": {"code": "String", "system": "String", "display": "String", "version": "String"},
    "Concept": {"codes": "List<Code>", "display": "String"},
    "Interval": {"low": "Any", "high": "Any", "lowClosed": "Boolean", "highClosed": "Boolean"},
}
_PRIMITIVE_SYSTEM = frozenset({"Boolean", "Integer", "Decimal", "String", "Date", "DateTime", "Time"})


# (System type, property) -> (the class, the property read as text over {v}): what _system_attr gives for a value
# of exactly that class, for generated text that reads it without the call
_SYSTEM_ATTRIBUTES: dict[tuple[str, str], tuple[type, str]] = {
    **{("Code", name): (Code, "{v}." + name) for name in ("code", "system", "display", "version")},
    ("Concept", "codes"): (Concept, "list({v}.codes)"), ("Concept", "display"): (Concept, "{v}.display"),
    ("Quantity", "value"): (Quantity, "{v}.value"), ("Quantity", "unit"): (Quantity, "{v}.unit"),
    ("Interval", "low"): (Interval, "{v}.low"), ("Interval", "high"): (Interval, "{v}.high"),
    ("Interval", "lowClosed"): (Interval, "{v}.low_closed"), ("Interval", "highClosed"): (Interval, "{v}.high_closed"),
}  # fmt: skip


def _system_attr(value: Any, name: str) -> Any:
    if isinstance(value, Quantity):
        return {"value": value.value, "unit": value.unit}.get(name)
    if isinstance(value, Code):
        return getattr(value, name, None) if name in ("code", "system", "display", "version") else None
    if isinstance(value, Concept):
        return list(value.codes) if name == "codes" else (value.display if name == "display" else None)
    if isinstance(value, Interval):
        return {"low": value.low, "high": value.high, "lowClosed": value.low_closed,
                "highClosed": value.high_closed}.get(name)  # fmt: skip
    return None


def choice_getter(name: str, types: tuple[str, ...]) -> Any:
    fields = [(model.choice_field(name, t), model.choice_type_name(t)) for t in types]
    resolves_medication = name == "medication"

    def get(ctx: EvaluationContext, d: dict[str, Any]) -> Any:
        for field, fhir_type in fields:
            if field in d:
                raw = d[field]
                if resolves_medication and fhir_type == "Reference":
                    return model.to_concept(medication_concept(ctx.record, d))
                return model.to_system(raw, fhir_type)
        return None

    return get


def element_getter(name: str, el: model.Element) -> Any:
    if el.is_choice:
        return choice_getter(name, el.types)
    fhir_type = el.types[0]
    if fhir_type in model.PRIMITIVE_TO_SYSTEM:
        if model.PRIMITIVE_TO_SYSTEM[fhir_type] in ("String", "Boolean", "Integer"):
            return PlainGet(name)
        return lambda ctx, d: model.to_system(d.get(name), fhir_type)
    return PlainGet(name)


class PlainGet:
    """The element as stored (no conversion, no choice): fused navigation inlines it as `d.get(name)`."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, ctx: EvaluationContext, d: dict[str, Any]) -> Any:
        return d.get(self.name)


def dynamic_get(ctx: EvaluationContext, value: Any, name: str) -> Any:
    """Property access when the type was not known at compile time."""
    if value is None:
        return None
    if isinstance(value, list):
        out: list[Any] = []
        for v in value:
            got = dynamic_get(ctx, v, name)
            if isinstance(got, list):
                out.extend(got)
            elif got is not None:
                out.append(got)
        return out
    if isinstance(value, dict):
        rtype = value.get("resourceType")
        if isinstance(rtype, str):
            el = model.element(rtype, name)
            if el is not None:
                return element_getter(name, el)(ctx, value)
        if name in value:
            return value[name]
        for key, v in value.items():
            if key.startswith(name) and len(key) > len(name) and key[len(name)].isupper():
                return model.to_system(v, model.choice_type_name(key[len(name) :]))
        return None
    if name == "value" and not isinstance(value, Quantity | Code | Concept | Interval):
        return value  # `.value` of a FHIR primitive is the primitive itself
    return _system_attr(value, name)


class MemberResolver:
    """Compiles `source.name` given the source's static type (as fused text, or plain closures when not
    `generated`: the closures backend, host.Backend)."""

    def __init__(self, error: ErrorFn, generated: bool = True) -> None:
        self._error = error
        self._generated = generated

    def member(self, src: Compiled, name: str, loc: SourceLocation) -> Compiled:
        many = is_list(src.type)
        base = element_of(src.type) if many else src.type
        if is_fhir(base):
            type_name = base[5:]
            el = model.element(type_name, name)
            if el is None:
                self._error(loc, "unknown-property", f"{type_name} has no element {name!r}")
                return Compiled(lambda ctx: None, "Any")
            get = element_getter(name, el)
            if el.is_choice:
                result_type = "Any"
            else:
                t = el.types[0]
                result_type = model.PRIMITIVE_TO_SYSTEM.get(t) or ("FHIR." + t)
            if el.is_list or many:
                result_type = list_of(result_type)
            return self._navigate(src, get, many, el.is_list, name, result_type)
        if base in _PRIMITIVE_SYSTEM:
            if name != "value":
                self._error(loc, "unknown-property", f"{base} has no property {name!r}")
            return src
        elements = tuple_elements(base)
        if elements is not None:
            if name not in elements:
                self._error(loc, "unknown-property", f"{base} has no element {name!r}")
                return Compiled(lambda ctx: None, "Any")
            return self._tuple_element(src, name, elements[name], many)
        props = _SYSTEM_PROPERTIES.get(base)
        if props is not None:
            if name not in props:
                self._error(loc, "unknown-property", f"{base} has no property {name!r}")
                return Compiled(lambda ctx: None, "Any")
            t = props[name]
            if many:
                return self._dynamic(src, name, list_of(t))
            if not self._generated:
                xf = src.fn
                return Compiled(lambda ctx: _system_attr(xf(ctx), name), t)
            f, x = fused.constant(_system_attr), fused.of(src)
            direct = _SYSTEM_ATTRIBUTES.get((base, name))
            if direct is not None:
                # a value of exactly the static type reads the attribute; anything else is _system_attr's
                kind, v = fused.constant(direct[0]), fused.fresh("v")
                read = direct[1].format(v=v)
                text = f"({read} if type({v} := {x.text}) is {kind.text} else {f.text}({v}, {name!r}))"
                return Compiled.fused(text, (f, x, kind), t)
            return Compiled.fused(f"{f.text}({x.text}, {name!r})", (f, x), t)
        return self._dynamic(src, name, "List<Any>" if many else "Any")

    def _tuple_element(self, src: Compiled, name: str, element_type: str, many: bool) -> Compiled:
        if not many and not self._generated:
            xf = src.fn
            return Compiled(lambda ctx: t.get(name) if isinstance(t := xf(ctx), dict) else None, element_type)
        if not many:
            x, t = fused.of(src), fused.fresh("t")
            return Compiled.fused(
                f"({t}.get({name!r}) if isinstance({t} := {x.text}, dict) else None)", (x,), element_type
            )
        return self._dynamic(src, name, element_type if is_list(element_type) else list_of(element_type))

    def _navigate(self, src: Compiled, get: Any, many: bool, element_is_list: bool, name: str, typ: str) -> Compiled:
        if not self._generated:
            return Compiled(_navigation(src.fn, get, many, element_is_list, name), typ)
        x, d = fused.of(src), fused.fresh("d")
        g = fused.constant(get)
        got = f"{d}.get({name!r})" if isinstance(get, PlainGet) else f"{g.text}(ctx, {d})"
        if not many:
            if element_is_list:
                v = fused.fresh("v")
                return Compiled.fused(
                    # a lone value where the model says list (hostile or hand-written JSON) is a list of one
                    f"(([] if ({v} := {got}) is None else ({v} if type({v}) is list else [{v}]))"
                    f" if isinstance({d} := {x.text}, dict)"
                    f" else ([] if {d} is None else None))",
                    (g, x), typ,
                )  # fmt: skip
            # a System value where a FHIR element was declared (e.g. after a conversion) is read dynamically
            dyn = fused.constant(dynamic_get)
            return Compiled.fused(
                f"({got} if isinstance({d} := {x.text}, dict) else (None if {d} is None else"
                f" {dyn.text}(ctx, {d}, {name!r})))",
                (g, x, dyn), typ,
            )  # fmt: skip

        f = fused.constant(functools.partial(_each, get))
        return Compiled.fused(f"{f.text}(ctx, {x.text})", (f, x), typ)

    def _dynamic(self, src: Compiled, name: str, typ: str) -> Compiled:
        if not self._generated:
            xf = src.fn
            return Compiled(lambda ctx: dynamic_get(ctx, xf(ctx), name), typ)
        f, x = fused.constant(dynamic_get), fused.of(src)
        return Compiled.fused(f"{f.text}(ctx, {x.text}, {name!r})", (f, x), typ)


def _each(get: Any, ctx: EvaluationContext, items: Any) -> Any:
    """The element of every item of a list, flattened (navigation from a list)."""
    if items is None:
        return None
    out: list[Any] = []
    for d in items:
        if not isinstance(d, dict):
            continue
        got = get(ctx, d)
        if isinstance(got, list):
            out.extend(got)
        elif got is not None:
            out.append(got)
    return out


def _navigation(xf: Fn, get: Any, many: bool, element_is_list: bool, name: str) -> Fn:
    """The closures backend's navigation: what MemberResolver._navigate's fused texts do, as plain closures."""
    if many:
        return lambda ctx: _each(get, ctx, xf(ctx))
    if element_is_list:

        def as_list(ctx: EvaluationContext) -> Any:
            d = xf(ctx)
            if not isinstance(d, dict):
                return [] if d is None else None
            v = get(ctx, d)
            # a lone value where the model says list (hostile or hand-written JSON) is a list of one
            return [] if v is None else (v if type(v) is list else [v])

        return as_list

    def one(ctx: EvaluationContext) -> Any:
        d = xf(ctx)
        if isinstance(d, dict):
            return get(ctx, d)
        # a System value where a FHIR element was declared (e.g. after a conversion) is read dynamically
        return None if d is None else dynamic_get(ctx, d, name)

    return one
