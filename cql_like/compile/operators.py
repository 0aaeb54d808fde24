"""Emitters of literals, names, calls, unary and binary operators, conditionals and membership.

Each `emit_x(ec, node, scope)` gives its node's semantics as a closure or, for the nodes evaluated most, as fused
Python text its parent splices into its own (codegen/fused.py). FHIR values get the FHIRHelpers implicit
conversion (`to_sys`) wherever an operator needs a System value.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..codegen import fused
from ..context import EvaluationContext
from ..fhir import model
from ..ops import arithmetic, comparison, conversion, lists, logical, temporal
from ..ops import interval as interval_ops
from ..runtime import temporal as t
from ..runtime.clinical import Code, Concept
from ..runtime.interval import Interval
from ..runtime.logic import DOMINANT, short_circuit_text
from ..runtime.quantity import Quantity
from ..syntax import nodes as n
from .closures import calling
from .conversions import applied, to_sys
from .host import Emitter, Scope
from .queries import value_set_membership
from .registry import FHIRHELPERS_FUNCTIONS, SYSTEM_FUNCTIONS, FunctionSpec
from .timing import quantity_of
from .types import NO_FACTS, READS_CONTEXT, Compiled, Fn, NodeFacts, comparable, element_of, is_fhir, is_list, is_tuple

_BINARY: dict[str, Any] = {
    "equal": comparison.equal, "not_equal": comparison.not_equal,
    "equivalent": comparison.equivalent, "not_equivalent": comparison.not_equivalent,
    "less": comparison.less, "less_or_equal": comparison.less_or_equal,
    "greater": comparison.greater, "greater_or_equal": comparison.greater_or_equal,
    "add": arithmetic.add, "subtract": arithmetic.subtract, "multiply": arithmetic.multiply,
    "divide": arithmetic.divide, "truncated_divide": arithmetic.truncated_divide,
    "modulo": arithmetic.modulo, "power": arithmetic.power, "concatenate": arithmetic.concatenate,
    "union": lists.union, "intersect": lists.intersect, "except": lists.except_,
}  # fmt: skip
# Once neither side is null, CQL's String and Integer operators are Python's (code-point order for strings), and
# these are the operands policies compare most: such calls skip the generic dispatch over every CQL type.
_SAME_TYPE_SCALAR_OPS: dict[str, str] = {
    "equal": "==", "not_equal": "!=", "less": "<", "less_or_equal": "<=", "greater": ">", "greater_or_equal": ">=",
    "add": "+",
}  # fmt: skip
_SCALAR_PYTHON_TYPES: dict[str, type] = {"String": str, "Integer": int}
_COMPARISONS = frozenset({"equal", "not_equal", "less", "less_or_equal", "greater", "greater_or_equal"})
_RAW_LIST_OPS = frozenset({"union", "intersect", "except"})
# conversion functions that return a value of exactly this type unchanged: `FHIRHelpers.ToConcept(C.code)` is mostly
# the Concept the implicit conversion already made, so the generated text passes it through without the call
_UNCHANGED_OF_TYPE: dict[Any, type] = {
    conversion.to_concept: Concept, conversion.to_code: Code, conversion.to_quantity: Quantity,
    conversion.to_interval: Interval,
}  # fmt: skip
_RAW_ARG_FUNCTIONS = frozenset({
    "Exists", "Count", "First", "Last", "Flatten", "Distinct", "IndexOf", "Tail", "Skip", "Take",
    "SingletonFrom", "IsNull", "ToList", "Length", "Coalesce",
})  # fmt: skip


# ---- literals and selectors
def emit_literal(ec: Emitter, e: n.Literal, scope: Scope) -> Compiled:
    value: Any
    if e.kind == "null":
        return Compiled(lambda ctx: None, "Any", True)
    if e.kind == "boolean":
        value, typ = e.text == "true", "Boolean"
    elif e.kind == "string":
        value, typ = e.text, "String"
    elif e.kind == "number":
        value, typ = (Decimal(e.text), "Decimal") if "." in e.text else (int(e.text), "Integer")
    elif e.kind == "datetime":
        if "T" in e.text:
            value, typ = t.parse_datetime(e.text), "DateTime"
        else:
            value, typ = t.parse_date(e.text), "Date"
        if value is None:
            ec.error(e.loc, "invalid-literal", f"@{e.text} is not a valid date or time")
    else:
        value, typ = e.text, "Time"
    return Compiled(lambda ctx: value, typ, True)


def emit_quantity_literal(ec: Emitter, e: n.QuantityLiteral, scope: Scope) -> Compiled:
    value = quantity_of(e)
    return Compiled(lambda ctx: value, "Quantity", True)


# ---- names
def emit_identifier(ec: Emitter, e: n.Identifier, scope: Scope) -> Compiled:
    name = e.name
    if name in scope:
        reads = NodeFacts(reads=frozenset((name,)))
        if not ec.generated:
            return Compiled(lambda ctx: ctx.env.get(name), scope[name], facts=reads)
        return Compiled.fused(f"ctx.env.get({name!r})", (), scope[name], facts=reads)
    this_type = scope.get("$this")
    if this_type is not None:
        this = Compiled(lambda ctx: ctx.env.get("$this"), this_type, facts=NodeFacts(reads=frozenset(("$this",))))
        if is_fhir(this_type) and model.element(this_type[5:], name) is not None:
            return ec.member(this, name, e.loc)
        if is_tuple(this_type) or this_type == "Any":
            return ec.member(this, name, e.loc)
    found = ec.lib.resolve_identifier(name, e.loc)
    if found is None:
        ec.error(e.loc, "unknown-identifier", f"could not resolve identifier {name!r}")
        return Compiled(lambda ctx: None, "Any")
    return found


def emit_member(ec: Emitter, e: n.Member, scope: Scope) -> Compiled:
    src = e.source
    if isinstance(src, n.Identifier) and src.name not in scope and ec.lib.is_library_alias(src.name):
        found = ec.lib.resolve_qualified(src.name, e.name, e.loc)
        if found is None:
            ec.error(e.loc, "unknown-identifier", f"library {src.name} has no public definition {e.name!r}")
            return Compiled(lambda ctx: None, "Any")
        return found
    return ec.member(ec.compile(src, scope), e.name, e.loc)


def emit_indexer(ec: Emitter, e: n.Indexer, scope: Scope) -> Compiled:
    src, idx = ec.compile(e.source, scope), ec.compile(e.index, scope)
    sf, xf = src.fn, idx.fn

    def index(ctx: EvaluationContext) -> Any:
        xs, i = sf(ctx), xf(ctx)
        if xs is None or i is None or not 0 <= i < len(xs):
            return None
        return xs[i]

    return Compiled(index, element_of(src.type) if is_list(src.type) else "Any")


# ---- calls
def emit_call(ec: Emitter, e: n.Call, scope: Scope) -> Compiled:
    qualifier: str | None = None
    if e.qualifier is not None:
        if isinstance(e.qualifier, n.Identifier) and ec.lib.is_library_alias(e.qualifier.name):
            qualifier = e.qualifier.name
        else:
            ec.error(e.loc, "unsupported", f"fluent function call .{e.name}() is not supported")
            return Compiled(lambda ctx: None, "Any")
    if qualifier is not None and ec.lib.is_fhirhelpers(qualifier):
        spec = FHIRHELPERS_FUNCTIONS.get(e.name)
        if spec is None:
            ec.error(e.loc, "unknown-function", f"FHIRHelpers has no function {e.name!r}")
            return Compiled(lambda ctx: None, "Any")
        return _system_call(ec, spec, e, scope, convert=True)
    raw_args = [ec.compile(a, scope) for a in e.args]
    user = ec.lib.call_user(e.name, raw_args, e.loc, qualifier)
    if user is not None:
        return user
    if qualifier is None and e.name in SYSTEM_FUNCTIONS:
        spec = SYSTEM_FUNCTIONS[e.name]
        return _system_call(ec, spec, e, scope, convert=e.name not in _RAW_ARG_FUNCTIONS, compiled=raw_args)
    where = f"library {qualifier}" if qualifier else "this library or the system library"
    ec.error(e.loc, "unknown-function", f"no function {e.name!r} with {len(e.args)} argument(s) in {where}")
    return Compiled(lambda ctx: None, "Any")


def _system_call(ec: Emitter, spec: FunctionSpec, e: n.Call, scope: Scope, *, convert: bool,
                 compiled: list[Compiled] | None = None) -> Compiled:  # fmt: skip
    count = len(e.args)
    if count < spec.min_args or (spec.max_args is not None and count > spec.max_args):
        expected = spec.min_args if spec.min_args == spec.max_args else f"{spec.min_args}..{spec.max_args or 'n'}"
        ec.error(e.loc, "wrong-arity", f"{spec.name} expects {expected} argument(s), got {count}")
        return Compiled(lambda ctx: None, "Any")
    args = compiled if compiled is not None else [ec.compile(a, scope) for a in e.args]
    if convert:
        args = [to_sys(ec, a) for a in args]
    impl = spec.impl
    returns = spec.returns
    if returns == "arg0":
        returns = args[0].type if args else "Any"
    elif returns == "elem0":
        returns = element_of(args[0].type) if args and is_list(args[0].type) else "Any"
    own = READS_CONTEXT if spec.needs_context else NO_FACTS  # the clock, or the patient's birth date
    if spec.needs_context:
        if spec.name.startswith("AgeIn"):  # the patient's age reads Patient.birthDate
            ec.lib.note_retrieved("Patient")
        if not args:
            return Compiled(impl, returns, facts=own)
    if not ec.generated:
        fn = calling(impl, [a.fn for a in args], with_ctx=spec.needs_context, propagate_null=spec.propagate_null)
        return Compiled(fn, returns, facts=own)
    parts = tuple(fused.of(a) for a in args)
    f = fused.constant(impl)
    lead = ["ctx"] if spec.needs_context else []
    unchanged = _UNCHANGED_OF_TYPE.get(impl) if len(parts) == 1 and spec.propagate_null and not lead else None
    if unchanged is not None:
        v, kind = fused.fresh("v"), fused.constant(unchanged)
        text = f"({v} if type({v} := {parts[0].text}) is {kind.text} else (None if {v} is None else {f.text}({v})))"
        return Compiled.fused(text, (f, kind, *parts), returns)
    if spec.propagate_null and parts:
        # every argument is evaluated (`|`, not `or`), as each may add evidence
        names = [fused.fresh("v") for _ in parts]
        test = " | ".join(f"(({v} := {p.text}) is None)" for v, p in zip(names, parts, strict=True))
        text = f"(None if {test} else {f.text}({', '.join(lead + names)}))"
    else:
        text = f"{f.text}({', '.join(lead + [p.text for p in parts])})"
    return Compiled.fused(text, (f, *parts), returns, facts=own)


# ---- operators
def emit_unary(ec: Emitter, e: n.Unary, scope: Scope) -> Compiled:
    op = e.op
    if op in ("exists", "singleton", "distinct", "flatten"):
        c = ec.compile(e.operand, scope)
    else:
        c = to_sys(ec, ec.compile(e.operand, scope))
    if op == "not":
        ec.expect_boolean(c, e.operand.loc)
        if not ec.generated:
            return Compiled(calling(logical.not_, (c.fn,)), "Boolean")
        x, v = fused.of(c), fused.fresh("v")
        return Compiled.fused(f"(not {v} if type({v} := {x.text}) is bool else None)", (x,), "Boolean")
    if op == "exists":
        short = ec.exists_forms.get(id(c))
        return short[1] if short is not None else applied(ec, lists.exists, c, "Boolean")
    if op == "singleton":
        return applied(ec, lists.singleton, c, element_of(c.type) if is_list(c.type) else c.type)
    if op == "distinct":
        return applied(ec, lists.distinct, c, c.type)
    if op == "flatten":
        return applied(ec, lists.flatten, c, element_of(c.type) if is_list(element_of(c.type)) else c.type)
    if op == "negate":
        return applied(ec, arithmetic.negate, c, c.type)
    if op == "component":
        name = e.component or "year"
        return applied(ec, lambda x: temporal.component(x, name), c, "Date" if name == "date" else "Integer")
    table = {"start": interval_ops.start, "end": interval_ops.end, "width": interval_ops.width,
             "successor": interval_ops.successor, "predecessor": interval_ops.predecessor,
             "point": interval_ops.start}  # fmt: skip
    return applied(ec, table[op], c, "Any" if op in ("start", "end", "point") else c.type)


def emit_binary(ec: Emitter, e: n.Binary, scope: Scope) -> Compiled:
    op = e.op
    if op in ("and", "or", "xor", "implies"):
        return _logical(ec, e, scope)
    if op in ("in", "contains"):
        return _membership(ec, e, scope)
    if op in _RAW_LIST_OPS:
        left, right = ec.compile(e.left, scope), ec.compile(e.right, scope)
    else:
        left, right = ec.sys(e.left, scope), ec.sys(e.right, scope)
    if op in _COMPARISONS or op in ("equivalent", "not_equivalent"):
        if not comparable(left.type, right.type):
            ec.error(e.loc, "type-mismatch", f"cannot compare {left.type} with {right.type}")
    impl = _BINARY[op]
    if op in _COMPARISONS or op in ("equivalent", "not_equivalent"):
        result_type = "Boolean"
    elif op == "concatenate":
        result_type = "String"
    elif op == "divide":
        result_type = "Quantity" if "Quantity" in (left.type, right.type) else "Decimal"
    else:
        result_type = left.type if left.type != "Any" else right.type
    if left.constant and right.constant and op not in _RAW_LIST_OPS:
        folded = impl(left.fn(None), right.fn(None))  # type: ignore[arg-type]  # constants ignore the context
        return Compiled(lambda ctx: folded, result_type, True)
    if not ec.generated:
        return Compiled(calling(impl, (left.fn, right.fn)), result_type)
    scalar = _SCALAR_PYTHON_TYPES.get(left.type) if left.type == right.type else None
    scalar_op = _SAME_TYPE_SCALAR_OPS.get(op) if scalar is not None else None
    ls, rs, impl_src = fused.of(left), fused.of(right), fused.constant(impl)
    if scalar is not None and scalar_op is not None:
        # exact types (True is not an Integer); null, or a value the static type did not foresee, goes to impl;
        # `&` evaluates both operands, as the closure did
        a, b = fused.fresh("a"), fused.fresh("b")
        return Compiled.fused(
            f"({a} {scalar_op} {b} if (type({a} := {ls.text}) is {scalar.__name__})"
            f" & (type({b} := {rs.text}) is {scalar.__name__}) else {impl_src.text}({a}, {b}))",
            (ls, rs, impl_src), result_type,
        )  # fmt: skip
    return Compiled.fused(f"{impl_src.text}({ls.text}, {rs.text})", (impl_src, ls, rs), result_type)


def _logical(ec: Emitter, e: n.Binary, scope: Scope) -> Compiled:
    left, right = ec.sys(e.left, scope), ec.sys(e.right, scope)
    ec.expect_boolean(left, e.left.loc)
    ec.expect_boolean(right, e.right.loc)
    if not ec.generated:
        return Compiled(_logical_closure(e.op, left.fn, right.fn), "Boolean")
    ls, rs = fused.of(left), fused.of(right)
    a, b = fused.fresh("a"), fused.fresh("b")
    if e.op in DOMINANT:
        return Compiled.fused(short_circuit_text(e.op, a, ls.text, b, rs.text), (ls, rs), "Boolean")
    impl = fused.constant(logical.xor if e.op == "xor" else logical.implies)
    return Compiled.fused(f"{impl.text}({ls.text}, {rs.text})", (impl, ls, rs), "Boolean")


def _logical_closure(op: str, lf: Fn, rf: Fn) -> Fn:
    """and/or/xor/implies of runtime.logic, as plain closures; and/or skip the right operand once the left fixes
    the result (CQL allows it, and the generated text does the same, so both backends name the same evidence)."""
    if op == "and":
        return lambda ctx: False if (a := lf(ctx)) is False else logical.and_(a, rf(ctx))
    if op == "or":
        return lambda ctx: True if (a := lf(ctx)) is True else logical.or_(a, rf(ctx))
    return calling(logical.xor if op == "xor" else logical.implies, (lf, rf))


def emit_null_test(ec: Emitter, e: n.NullTest, scope: Scope) -> Compiled:
    # IsNull takes Any: a FHIR element is tested as it is, without a FHIRHelpers conversion
    operand = ec.compile(e.operand, scope)
    if not ec.generated:
        xf, wanted, negated = operand.fn, {"null": None, "true": True, "false": False}[e.test], e.negated
        return Compiled(lambda ctx: (xf(ctx) is wanted) is not negated, "Boolean")
    x = fused.of(operand)
    want = {"null": "None", "true": "True", "false": "False"}[e.test]
    test = "is not" if e.negated else "is"
    return Compiled.fused(f"({x.text} {test} {want})", (x,), "Boolean")


def emit_between(ec: Emitter, e: n.Between, scope: Scope) -> Compiled:
    x, lo, hi = (ec.sys(v, scope).fn for v in (e.operand, e.low, e.high))
    properly = e.properly
    return Compiled(lambda ctx: comparison.between(x(ctx), lo(ctx), hi(ctx), properly), "Boolean")


def emit_duration_between(ec: Emitter, e: n.DurationBetween, scope: Scope) -> Compiled:
    a, b = ec.sys(e.low, scope).fn, ec.sys(e.high, scope).fn
    unit = e.precision
    impl = temporal.difference_between if e.difference else temporal.duration_between

    def between(ctx: EvaluationContext) -> Any:
        x, y = a(ctx), b(ctx)
        return None if x is None or y is None else impl(x, y, unit)

    return Compiled(between, "Integer")


def emit_if_then_else(ec: Emitter, e: n.IfThenElse, scope: Scope) -> Compiled:
    cond = ec.sys(e.condition, scope)
    ec.expect_boolean(cond, e.condition.loc)
    then, other = ec.compile(e.then, scope), ec.compile(e.otherwise, scope)
    typ = then.type if then.type == other.type or other.type == "Any" else ("Any" if then.type != "Any" else other.type)
    if not ec.generated:
        cf, tf, of = cond.fn, then.fn, other.fn
        return Compiled(lambda ctx: tf(ctx) if cf(ctx) is True else of(ctx), typ)
    cs, ts, os_ = fused.of(cond), fused.of(then), fused.of(other)
    return Compiled.fused(f"({ts.text} if {cs.text} is True else {os_.text})", (cs, ts, os_), typ)


def emit_case(ec: Emitter, e: n.Case, scope: Scope) -> Compiled:
    comparand = ec.sys(e.comparand, scope).fn if e.comparand is not None else None
    items: list[tuple[Fn, Fn]] = []
    types: set[str] = set()
    for when, then in e.items:
        w = ec.sys(when, scope) if comparand is not None else ec.sys(when, scope)
        th = ec.compile(then, scope)
        types.add(th.type)
        items.append((w.fn, th.fn))
    other = ec.compile(e.otherwise, scope)
    types.add(other.type)
    types.discard("Any")
    typ = types.pop() if len(types) == 1 else "Any"
    of = other.fn

    if comparand is None:

        def case(ctx: EvaluationContext) -> Any:
            for w, th in items:
                if w(ctx) is True:
                    return th(ctx)
            return of(ctx)

        return Compiled(case, typ)
    cmp_fn = comparand

    def case_of(ctx: EvaluationContext) -> Any:
        value = cmp_fn(ctx)
        for w, th in items:
            if comparison.equal(value, w(ctx)) is True:
                return th(ctx)
        return of(ctx)

    return Compiled(case_of, typ)


def _membership(ec: Emitter, e: n.Binary, scope: Scope) -> Compiled:
    element_expr, container_expr = (e.left, e.right) if e.op == "in" else (e.right, e.left)
    container = ec.compile(container_expr, scope)
    if container.type == "ValueSet":
        return value_set_membership(ec, ec.sys(element_expr, scope), container, e.loc)
    if container.type == "CodeSystem":
        item = ec.sys(element_expr, scope).fn
        url_fn = container.fn
        return Compiled(lambda ctx: _in_code_system(item(ctx), url_fn(ctx)), "Boolean")
    item_c = (
        ec.compile(element_expr, scope)
        if is_list(container.type) and is_fhir(element_of(container.type))
        else ec.sys(element_expr, scope)
    )
    if not is_list(container.type) or not is_fhir(element_of(container.type)):
        container = to_sys(ec, container)
    cf, xf = container.fn, item_c.fn
    precision = e.precision
    null_container: Any = False if is_list(container.type) else None
    if ec.generated and container.constant and is_list(container.type):
        constant = cf(None)  # type: ignore[arg-type]  # constants ignore the context
        if isinstance(constant, list) and constant and all(type(v) is str for v in constant):
            # `X.code in { 'a', 'b' }`: string equality is exact, so a set lookup gives the same answer
            strings, x, v = fused.constant(frozenset(constant)), fused.of(item_c), fused.fresh("v")
            return Compiled.fused(f"(type({v} := {x.text}) is str and {v} in {strings.text})", (strings, x), "Boolean")

    def member(ctx: EvaluationContext) -> Any:
        c = cf(ctx)
        if c is None:
            return null_container
        if isinstance(c, list):
            return lists.in_list(xf(ctx), c)
        return interval_ops.included_in(xf(ctx), c, precision)

    return Compiled(member, "Boolean")


def _in_code_system(value: Any, url: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, Code):
        return bool(value.system == url)
    if isinstance(value, Concept):
        return any(c.system == url for c in value.codes)
    return False
