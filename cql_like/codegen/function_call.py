"""Calling a define or a CQL function: per-evaluation caches, evidence, and pure results kept across evaluations.

A define is evaluated once per evaluation; its cache entry keeps the resources it named when its value is positive
(true or non-empty), and every reference adds them to the referring define's evidence.

CQL functions are pure, so one evaluation computes each (function, arguments) once; the memo entry keeps the
resources the body named, which every later call adds to its own define's evidence. A pure function (compile/stages.py:
reads nothing but its arguments, which are values) keeps results across evaluations too. The one-parameter call,
by far the commonest, is generated per function with the body spliced in (fused.py), its parameter read as a
local, and an evidence frame only when the body can name a resource.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from ..context import EvaluationContext
from ..runtime import temporal as t
from ..runtime.clinical import Code, Concept
from . import code_cache, fused

Fn = Callable[[EvaluationContext], Any]


class FunctionTarget(Protocol):
    """A compiled CQL function as calling it needs (compile.stages.CompiledFunction)."""

    name: str
    params: tuple[tuple[str, str], ...]
    body: Fn | None
    pure: bool
    kept: dict[Any, Any]
    adds_evidence: bool
    source: fused.Source | None
    param_reads: frozenset[str]  # the parameters its body reads


_MISSING = object()
_NO_EVIDENCE: frozenset[str] = frozenset()
# parameter types whose values a pure function's results can be kept by; Decimal and Quantity are left out because
# equal values can print differently (1.0 and 1.00)
VALUE_TYPES = frozenset({"Boolean", "Integer", "String", "Code", "Concept", "Date", "DateTime"})
_KEPT_TYPES = frozenset({type(None), bool, int, str, Code, Concept, t.Date, t.DateTime})
KEPT_LIMIT = 4096  # results kept per pure function; the table starts over when full


def positive(value: Any) -> bool:
    """A result that evidence can support: true, or a non-empty value."""
    if value is None or value is False:
        return False
    if isinstance(value, list):
        return any(v is not None for v in value)
    return True


def define_reference(key: tuple[str, str], body: fused.Operand, adds_evidence: bool) -> Fn:
    """The define's value from the evaluation's cache, computing it on first use (generated, body spliced in).

    The define shares ctx.env with whoever refers to it: its body reads only aliases its own queries bind."""
    source = body.src if body.src is not None and body.src.depth < fused.MAX_DEPTH else None
    names: dict[str, Any] = {"_key": key, "_none": _NO_EVIDENCE, "_positive": positive}
    if source is not None:
        names.update(source.names)
        text = source.text
    else:
        names["_body"] = body.fn
        text = "_body(ctx)"
    if adds_evidence:
        code = f"""
def define(ctx):
    hit = ctx.cache.get(_key)
    if hit is None:
        found = set()
        ctx.evidence.append(found)
        try:
            value = {text}
        finally:
            ctx.evidence.pop()
        hit = (value, frozenset(found) if found and _positive(value) else _none)
        ctx.cache[_key] = hit
    if hit[1]:
        ctx.evidence[-1].update(hit[1])
    return hit[0]
"""
    else:
        code = f"""
def define(ctx):
    hit = ctx.cache.get(_key)
    if hit is None:
        hit = ({text}, _none)
        ctx.cache[_key] = hit
    return hit[0]
"""
    code_cache.run(code, f"<define {key[1]}>", names)
    define: Fn = names["define"]
    return define


def plain_define_reference(key: tuple[str, str], body: Fn, adds_evidence: bool) -> Fn:
    """define_reference without generated code (the closures backend): the same cache entry, the same evidence."""

    def define(ctx: EvaluationContext) -> Any:
        hit = ctx.cache.get(key)
        if hit is None:
            if adds_evidence:
                found: set[str] = set()
                ctx.evidence.append(found)
                try:
                    value = body(ctx)
                finally:
                    ctx.evidence.pop()
                hit = (value, frozenset(found) if found and positive(value) else _NO_EVIDENCE)
            else:
                hit = (body(ctx), _NO_EVIDENCE)
            ctx.cache[key] = hit
        if hit[1]:
            ctx.evidence[-1].update(hit[1])
        return hit[0]

    return define


def value_key(value: Any) -> tuple[type, Any]:
    """A value of a kept type as memos and kept results key it: a Concept by its ident (hashed and compared
    without Python code), anything else by itself; the type first, so 1 and true differ."""
    kind = type(value)
    return (kind, value.ident) if kind is Concept else (kind, value)


def _arg_key(value: Any) -> Any:
    """Hashable values key by value (and type, so 1 and true differ); others by identity.

    The memo entry keeps the arguments alive, so an identity cannot be reused while it is cached.
    """
    kind = type(value)
    if kind is dict or kind is list:  # resources, elements, tuples and lists: no exception on the hot path
        return ("id", id(value))
    if kind in _KEPT_TYPES:  # hashable by construction: no probe
        return value_key(value)
    try:
        hash(value)
    except TypeError:
        return ("id", id(value))
    return (kind, value)


def invoke(target: FunctionTarget, generated: bool = True) -> Callable[[EvaluationContext, Any], Any]:
    """`apply(ctx, argument)` for one parameter, `apply(ctx, (arguments, ...))` for more; generated when
    `generated`, else the plain path, which the closures backend takes for every function."""
    names = [p for p, _ in target.params]
    if names and generated:
        return _generated(target)
    function_id = id(target)
    body = target.body
    kept = target.kept
    assert body is not None

    def run_body(ctx: EvaluationContext, values: tuple[Any, ...]) -> tuple[Any, frozenset[str], tuple[Any, ...]]:
        env = ctx.env
        saved = [env.get(p, _MISSING) for p in names]
        for p, v in zip(names, values, strict=True):
            env[p] = v
        ctx.evidence.append(set())
        try:
            result = body(ctx)
        finally:
            found = ctx.evidence.pop()
            for p, old in zip(names, saved, strict=True):
                if old is _MISSING:
                    env.pop(p, None)
                else:
                    env[p] = old
        # CQL functions are pure: same arguments, same result within one evaluation
        return (result, frozenset(found) if found else _NO_EVIDENCE, values)

    def apply(ctx: EvaluationContext, values: tuple[Any, ...]) -> Any:
        key = (function_id, tuple(map(_arg_key, values)))
        hit = ctx.memo.get(key)
        if hit is None:
            hit = run_body(ctx, values)
            ctx.memo[key] = hit
        if hit[1]:
            ctx.evidence[-1].update(hit[1])
        return hit[0]

    if not target.pure:
        return apply

    def apply_pure(ctx: EvaluationContext, values: tuple[Any, ...]) -> Any:
        if any(type(v) not in _KEPT_TYPES for v in values):
            return apply(ctx, values)
        key = tuple([value_key(v) for v in values])
        result = kept.get(key, _MISSING)
        if result is _MISSING:
            result = run_body(ctx, values)[0]
            _keep(kept, key, result)
        return result

    return apply_pure


def _keep(kept: dict[Any, Any], key: Any, result: Any) -> None:
    if type(result) not in _KEPT_TYPES:
        return  # lists and tuples are mutable Python objects: never shared between evaluations
    if len(kept) >= KEPT_LIMIT:
        kept.clear()
    kept[key] = result


# a body longer than this (characters of text) is called, not spliced into every call site
INLINE_LIMIT = 1200


def inlined_call(target: FunctionTarget, arguments: tuple[fused.Source, ...]) -> fused.Source | None:
    """The call as the function's body spliced in, its parameters bound to the arguments by walrus names: no memo
    lookup, no evidence frame, no call. None when the body is not all text that reads its parameters (a closure
    reads ctx.env), is long, or the function is pure (its results are kept across evaluations: the call keeps them),
    or no argument varies with a query item or parameter.

    The same answer and evidence as the call: CQL functions are pure, so evaluating the body again gives what the
    memo held, and what it names goes to the caller's frame, where a memo hit puts it too. Arguments are
    evaluated left to right, all of them, as the call evaluated them."""
    source = target.source
    if target.pure or source is None or source.depth >= fused.MAX_DEPTH or len(source.text) > INLINE_LIMIT:
        return None
    if not any("ctx.env.get(" in argument.text for argument in arguments):
        # arguments that read no query alias or parameter (`"Age"("Order")`) are the same at every call: the memo
        # computes the body once for all of them
        return None
    reads = [f"ctx.env.get({p!r})" for p, _ in target.params]
    if any(p in source.env_reads for p, _ in target.params):
        return None  # a closure the body calls reads a parameter from ctx.env: only a call binds it there
    text, binds = source.text, []
    for read, argument in zip(reads, arguments, strict=True):
        name = fused.fresh("p")
        text = text.replace(read, name)
        binds.append(f"(({name} := {argument.text}) is {name})")
    body = fused.Source(text, source.names, source.depth, source.env_reads)
    return fused.join(f"({text} if {' & '.join(binds)} else None)", (body, *arguments))


def _generated(target: FunctionTarget) -> Callable[[EvaluationContext, Any], Any]:
    """apply(ctx, value) for one parameter, apply(ctx, (value, ...)) for more, generated: the memo lookup, then on
    a miss the body with the parameters as locals."""
    names: dict[str, Any] = {
        "_missing": _MISSING, "_none": _NO_EVIDENCE, "_arg_key": _arg_key, "_keep": _keep, "_kept": target.kept,
        "_kept_types": _KEPT_TYPES, "_body": target.body, "_target": id(target), "_concept": Concept,
    }  # fmt: skip
    params = [p for p, _ in target.params]
    args = ["value"] if len(params) == 1 else [f"a{i}" for i in range(len(params))]
    owns = [f"ctx.env.get({p!r})" for p in params]
    if target.source is not None and target.source.depth < fused.MAX_DEPTH:
        names.update(target.source.names)
        # within the body's own text a parameter is only ever this name
        body = target.source.text
        for own, arg in zip(owns, args, strict=True):
            body = body.replace(own, arg)
        env_reads = target.source.env_reads
    else:
        body, env_reads = "_body(ctx)", target.param_reads
    evidence = target.adds_evidence
    setup: list[str] = []
    teardown: list[str] = []
    bound = [(i, p, arg) for i, (p, arg) in enumerate(zip(params, args, strict=True)) if p in env_reads]
    if bound:  # closures the body calls read these parameters from ctx.env
        setup.append("env = ctx.env")
        for i, p, arg in bound:
            setup += [f"saved{i} = env.get({p!r}, _missing)", f"env[{p!r}] = {arg}"]
            teardown += [
                f"if saved{i} is _missing:",
                f"    env.pop({p!r}, None)",
                "else:",
                f"    env[{p!r}] = saved{i}",
            ]
    if evidence:
        setup += ["found = set()", "ctx.evidence.append(found)"]
        teardown.insert(0, "ctx.evidence.pop()")
    if teardown:
        run = [*setup, "try:", f"    result = {body}", "finally:", *("    " + line for line in teardown)]
    else:
        run = [f"result = {body}"]
    found = "frozenset(found) if found else _none" if evidence else "_none"
    run_text = "\n    ".join(run)
    listed = ", ".join(args)
    if len(params) == 1:
        # the common arguments, a resource or element (by identity) and a value of a kept type (by value), are
        # keyed here as _arg_key keys them, without its call
        arguments, unpack = "value", ""
        memo_key = """kind = type(value)
    if kind is dict:
        key = (_target, id(value))
    elif kind in _kept_types:  # value_key, inlined
        key = (_target, (kind, value.ident if kind is _concept else value))
    else:
        key = (_target, _arg_key(value))"""
        kept_key = """kind = type(value)
    if kind not in _kept_types:
        return apply(ctx, value)
    key = (kind, value.ident if kind is _concept else value)  # value_key, inlined"""
    else:
        # _arg_key and value_key of each argument, inlined: the keys the plain path makes
        arguments, unpack = "values", f"{listed}, = values"
        keys = [
            f'(("id", id({a})) if (t{i} := type({a})) is dict or t{i} is list'
            f" else (t{i}, {a}.ident if t{i} is _concept else {a}) if t{i} in _kept_types else _arg_key({a}))"
            for i, a in enumerate(args)
        ]
        memo_key = f"key = (_target, ({''.join(k + ', ' for k in keys)}))"
        kinds = " and ".join(f"(t{i} := type({a})) in _kept_types" for i, a in enumerate(args))
        values = "".join(f"(t{i}, {a}.ident if t{i} is _concept else {a}), " for i, a in enumerate(args))
        kept_key = f"""if not ({kinds}):
        return apply(ctx, values)
    key = ({values})"""
    text = f"""
def run(ctx, {listed}):
    {run_text}
    return (result, {found}, ({listed},))

def apply(ctx, {arguments}):
    {unpack}
    {memo_key}
    hit = ctx.memo.get(key)
    if hit is None:
        hit = run(ctx, {listed})
        ctx.memo[key] = hit
    {"if hit[1]: ctx.evidence[-1].update(hit[1])" if evidence else ""}
    return hit[0]


def apply_pure(ctx, {arguments}):
    {unpack}
    {kept_key}
    result = _kept.get(key, _missing)
    if result is _missing:
        result = run(ctx, {listed})[0]  # a pure body reads no resource, so it has no evidence
        _keep(_kept, key, result)
    return result
"""
    code_cache.run(text, f"<function {target.name}>", names)
    apply: Callable[[EvaluationContext, Any], Any] = names["apply_pure" if target.pure else "apply"]
    return apply
