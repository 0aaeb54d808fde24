"""Retrieves and queries: sources, let, with/without, where, return, sort; evidence collection.

A resource that flows through a non-empty query result (or a retrieve used outside a query) is
noted as evidence for the define being evaluated.
"""

from __future__ import annotations

import functools
import itertools
from typing import Any

from ..codegen import fused
from ..codegen.query_loop import CodeFilter, LoopShape, query_loop
from ..context import EvaluationContext
from ..errors import SourceLocation
from ..fhir import model
from ..fhir.retrieve import DEFAULT_CODE_PATH, codes_at
from ..ops import clinical, lists
from ..runtime import values
from ..runtime.clinical import Code, Concept
from ..syntax import nodes as n
from ..terminology import ValueSet
from .closures import calling
from .fastpath import code_filter
from .host import Emitter, Scope
from .types import READS_RECORD, Compiled, NodeFacts, element_of, is_fhir, is_list, is_tuple, list_of, tuple_of

_MISSING = object()


def _codes_of(value: Any) -> frozenset[tuple[str | None, str]] | None:
    if isinstance(value, Code):
        return frozenset({value.key})
    if isinstance(value, Concept):
        return frozenset(c.key for c in value.codes)
    if isinstance(value, list):
        keys: set[tuple[str | None, str]] = set()
        for v in value:
            got = _codes_of(v)
            if got:
                keys |= got
        return frozenset(keys)
    return None


def _resources_within(item: Any) -> list[dict[str, Any]]:
    """The resource an item is, or the resources a tuple item holds (one level: `Tuple { order: M }`)."""
    if type(item) is not dict:
        return []
    if "resourceType" in item:
        return [item]
    found: list[dict[str, Any]] = []
    for v in item.values():
        if type(v) is dict and "resourceType" in v:
            found.append(v)
        elif type(v) is list:
            found.extend(x for x in v if type(x) is dict and "resourceType" in x)
    return found


def _note_within(ctx: EvaluationContext, item: Any) -> None:
    if type(item) is dict:
        for resource in _resources_within(item):
            ctx.note(resource)


def _minus_items(ctx: EvaluationContext, scanned: set[str], rejected: list[Any]) -> set[str]:
    """The source's evidence without the items the query scanned and dropped."""
    if not rejected:
        return scanned
    refs = ctx.record.refs
    dropped = {refs.get(id(r)) for item in rejected for r in _resources_within(item)}
    return scanned - dropped if dropped else scanned


def _note_all(ctx: EvaluationContext, items: Any) -> None:
    if isinstance(items, list):
        for item in items:
            if isinstance(item, dict) and "resourceType" in item:
                ctx.note(item)
    elif isinstance(items, dict) and "resourceType" in items:
        ctx.note(items)


def value_set_membership(ec: Emitter, item: Compiled, vs_ref: Compiled, loc: SourceLocation) -> Compiled:
    vs = vs_ref.fn(None)  # type: ignore[arg-type]  # value set refs are constants

    def in_value_set(v: Any) -> bool | None:
        return clinical.in_value_set(v, vs)

    if item.type not in (
        "Code",
        "Concept",
        "String",
        "Any",
        "List<Code>",
        "List<Concept>",
        "List<Any>",
        "List<String>",
    ):
        ec.error(loc, "type-mismatch", f"{item.type} cannot be in a value set")
    if not ec.generated:
        return Compiled(calling(in_value_set, (item.fn,)), "Boolean")
    x, in_vs = fused.of(item), fused.constant(in_value_set)
    if item.type == "Concept":
        # the static type says Concept: one set test, no dispatch (anything else takes the general path)
        codes, concept, v = fused.constant(vs.codes), fused.constant(Concept), fused.fresh("v")
        return Compiled.fused(
            f"(not {v}.keys.isdisjoint({codes.text}) if type({v} := {x.text}) is {concept.text}"
            f" else {in_vs.text}({v}))",
            (x, in_vs, codes, concept), "Boolean",
        )  # fmt: skip
    return Compiled.fused(f"{in_vs.text}({x.text})", (in_vs, x), "Boolean")


def emit_retrieve(ec: Emitter, e: n.Retrieve, scope: Scope, as_source: bool = False) -> Compiled:
    """The resources of a type, filtered by codes; `as_source`: a query's source, which notes only the items that
    pass it (its facts still say the retrieve can add evidence: the query's evidence frames depend on it)."""
    rtype = e.resource_type.name
    if e.resource_type.namespace not in (None, "FHIR") or rtype not in model.RESOURCE_TYPES:
        ec.error(e.resource_type.loc, "unknown-type", f"unknown FHIR resource type {rtype!r}")
        return Compiled(lambda ctx: [], "List<Any>", facts=READS_RECORD)
    ec.lib.note_retrieved(rtype)
    result_type = list_of("FHIR." + rtype)
    if e.terminology is None:
        if rtype == "Patient":
            fetch_all: Any = lambda ctx: [ctx.record.patient] if ctx.record.patient else []  # noqa: E731
        else:
            fetch_all = lambda ctx: ctx.record.of_type(rtype)  # noqa: E731
        return _noting(fetch_all, result_type, as_source, ())
    path = e.code_path or DEFAULT_CODE_PATH.get(rtype)
    if path is None or (e.code_path and model.element(rtype, e.code_path) is None):
        ec.error(e.loc, "unknown-property", f"{rtype} has no code path {path!r}")
        return Compiled(lambda ctx: [], result_type, facts=READS_RECORD)
    if e.code_op not in (None, "in", "~", "="):
        ec.error(e.loc, "unsupported", f"retrieve operator {e.code_op!r} is not supported")
    term = ec.compile(e.terminology, scope)
    extract = functools.partial(_path_codes, path)
    if term.type == "ValueSet":
        vs: ValueSet = term.fn(None)  # type: ignore[arg-type]
        wanted = vs.codes
        fetch = lambda ctx: ctx.record.coded_in(rtype, path, extract, wanted)  # noqa: E731
        return _noting(fetch, result_type, as_source, (term,))
    if term.type not in ("Code", "Concept", "List<Code>", "List<Concept>", "Any", "List<Any>"):
        ec.error(
            e.terminology.loc,
            "type-mismatch",
            f"a retrieve filters on a value set, code or concept, not {term.type}",
        )
    tf = term.fn

    def fetch_codes(ctx: EvaluationContext) -> Any:
        keys_wanted = _codes_of(tf(ctx)) or frozenset()
        return [r for r, keys in ctx.record.coded(rtype, path, extract) if not keys.isdisjoint(keys_wanted)]

    return _noting(fetch_codes, result_type, as_source, (term,))


def _noting(fetch: Any, result_type: str, as_source: bool, over: tuple[Compiled, ...]) -> Compiled:
    # a source is not made by ec.compile, so it carries its terminology's facts itself
    if as_source:
        return Compiled(fetch, result_type, facts=READS_RECORD, over=over)

    def fetch_and_note(ctx: EvaluationContext) -> Any:
        items = fetch(ctx)
        _note_all(ctx, items)
        return items

    return Compiled(fetch_and_note, result_type, facts=READS_RECORD, over=over)


def _source(ec: Emitter, src: n.AliasedSource, scope: Scope) -> tuple[Compiled, str, bool]:
    if not src.parenthesized and not _is_plain_source(src.source):
        # CQL 1.5 querySource: retrieve | qualifiedIdentifierExpression | '(' expression ')'
        ec.error(
            src.source.loc, "syntax",
            "a query source must be a retrieve, a (qualified) identifier or an expression in parentheses",
        )  # fmt: skip
    if isinstance(src.source, n.Retrieve):
        c = emit_retrieve(ec, src.source, scope, as_source=True)
    else:
        c = ec.compile(src.source, scope)
    many = is_list(c.type)
    return c, element_of(c.type) if many else c.type, many


def emit_query(ec: Emitter, e: n.Query, scope: Scope) -> Compiled:
    inner = dict(scope)
    sources: list[tuple[str, Compiled, bool]] = []
    single = True
    items_note = False
    for s in e.sources:
        c, elem, many = _source(ec, s, inner)
        single = single and not many
        inner[s.alias] = elem
        sources.append((s.alias, c, many))
        items_note = items_note or _may_hold_resources(elem)
    sources_note = any(c.facts.adds_evidence for _, c, _ in sources)
    # the sources (a retrieve as a source is not compiled by ec.compile), and whether the query itself can note
    # evidence: the items, and a matched `with` item (the general plan notes it)
    facts = NodeFacts.union(c.facts for _, c, _ in sources) | NodeFacts(adds_evidence=items_note)
    lets = []
    for name, expr in e.lets:
        c = ec.compile(expr, inner)
        inner[name] = c.type
        lets.append((name, c.fn))
    inclusions = []
    for inc in e.inclusions:
        c, elem, many = _source(ec, inc.source, inner)
        facts |= c.facts | NodeFacts(adds_evidence=not inc.negated and _may_hold_resources(elem))
        inc_scope = dict(inner)
        inc_scope[inc.source.alias] = elem
        cond = ec.sys(inc.condition, inc_scope)
        ec.expect_boolean(cond, inc.condition.loc)
        inclusions.append((inc.source.alias, c.fn, many, cond.fn, inc.negated))
    w: Compiled | None = None
    fast: CodeFilter | None = None
    if e.where is not None:
        w = ec.sys(e.where, inner)
        ec.expect_boolean(w, e.where.loc)
        if ec.generated and len(sources) == 1 and not lets:
            fast = code_filter(ec, e.where, sources[0][0], inner)
    aliases = [a for a, _, _ in sources]
    r: Compiled | None = None
    if e.return_expr is not None:
        r = ec.compile(e.return_expr, inner)
        elem_type = r.type
        distinct = e.return_distinct
    else:
        elem_type = inner[aliases[0]] if len(aliases) == 1 else tuple_of({a: inner[a] for a in aliases})
        distinct = False
    sort = _sort(ec, e, elem_type, inner)
    result_type = elem_type if single else list_of(elem_type)
    if ec.generated and len(sources) == 1 and not lets and not inclusions and not sort:
        alias, source, many = sources[0]
        where_facts = NodeFacts() if w is None else w.facts
        return_facts = NodeFacts() if r is None else r.facts
        shape = LoopShape(alias, many, single, distinct, items_note, sources_note, where_facts.adds_evidence,
                          return_facts.adds_evidence)  # fmt: skip
        query, exists = query_loop(
            shape, fused.of(source), None if w is None else fused.of(w), None if r is None else fused.of(r),
            fast, where_facts.reads | return_facts.reads, source.reads, _note_within, _minus_items,
        )  # fmt: skip
        compiled = Compiled(None, result_type, src=query, facts=facts)
        if exists is not None:
            ec.exists_forms[id(compiled)] = (compiled, Compiled(None, "Boolean", src=exists, facts=facts))
        return compiled
    plan = _QueryPlan(
        [(alias, c.fn, many) for alias, c, many in sources], lets, inclusions, None if w is None else w.fn,
        None if r is None else r.fn, distinct, sort, single,
    )  # fmt: skip
    return Compiled(plan.run, result_type, facts=facts)


def _sort(ec: Emitter, e: n.Query, elem_type: str, scope: Scope) -> list[tuple[Any, bool]]:
    keys: list[tuple[Any, bool]] = []
    for item in e.sort:
        if item.key is None:
            keys.append((None, item.descending))
            continue
        sort_scope = dict(scope)
        sort_scope["$this"] = elem_type
        keys.append((ec.sys(item.key, sort_scope).fn, item.descending))
    return keys


def _may_hold_resources(static_type: str) -> bool:
    """Whether a query item of this type can be (or directly hold) a resource, which evidence would name."""
    if is_fhir(static_type):
        return model.may_be_or_hold_resource(static_type[5:])
    # a list item is never read for evidence; System values are never resources
    return static_type == "Any" or is_tuple(static_type)


def _is_plain_source(expr: n.Expr) -> bool:
    while isinstance(expr, n.Member):
        expr = expr.source
    return isinstance(expr, n.Retrieve | n.Identifier)


def _path_codes(path: str, record: Any, resource: dict[str, Any]) -> frozenset[tuple[str | None, str]]:
    return codes_at(record, resource, path)


class _QueryPlan:
    """Queries with several sources, let, with/without or sort (single-source ones are query_loop.py's)."""

    __slots__ = ("sources", "lets", "inclusions", "where", "ret", "distinct", "sort", "single", "names")

    def __init__(self, sources: list[tuple[str, Any, bool]], lets: list[tuple[str, Any]],
                 inclusions: list[tuple[str, Any, bool, Any, bool]], where: Any, ret: Any,
                 distinct: bool, sort: list[tuple[Any, bool]], single: bool) -> None:  # fmt: skip
        self.sources, self.lets, self.inclusions = sources, lets, inclusions
        self.where, self.ret, self.distinct, self.sort, self.single = where, ret, distinct, sort, single
        names = [a for a, _, _ in sources] + [name for name, _ in lets] + [a for a, _, _, _, _ in inclusions]
        self.names = tuple(dict.fromkeys(names))

    def run(self, ctx: EvaluationContext) -> Any:
        env = ctx.env
        saved = [env.get(k, _MISSING) for k in self.names]
        try:
            return self._run(ctx, env)
        finally:
            for k, v in zip(self.names, saved, strict=True):
                if v is _MISSING:
                    env.pop(k, None)
                else:
                    env[k] = v

    def _run(self, ctx: EvaluationContext, env: dict[str, Any]) -> Any:
        evidence = ctx.evidence
        scanned: set[str] = set()
        evidence.append(scanned)
        lists_in: list[list[Any]] = []
        for _, fn, many in self.sources:
            value = fn(ctx)
            if many:
                lists_in.append([v for v in (value or ()) if v is not None])
            else:
                if value is None:
                    evidence.pop()
                    return None if self.single else []
                lists_in.append([value])
        evidence.pop()
        frame = evidence[-1]
        out: list[Any] = []
        noted: list[Any] = []
        aliases = [a for a, _, _ in self.sources]
        combos = itertools.product(*lists_in) if len(lists_in) > 1 else ((x,) for x in lists_in[0])
        for combo in combos:
            for alias, item in zip(aliases, combo, strict=True):
                env[alias] = item
            trial: set[str] = set()
            evidence.append(trial)
            for name, fn in self.lets:
                env[name] = fn(ctx)
            matched = self._inclusions(ctx, env)
            passed = matched is not None and (self.where is None or self.where(ctx) is True)
            evidence.pop()
            if not passed or matched is None:
                continue
            frame.update(trial)
            noted.extend(combo)
            noted.extend(matched)
            if self.ret is not None:
                out.append(self.ret(ctx))
            elif len(aliases) == 1:
                out.append(combo[0])
            else:
                out.append(dict(zip(aliases, combo, strict=True)))
        if self.sort:
            out = self._sorted(ctx, env, out)
        if self.distinct:
            out = lists.distinct(out)
        for item in noted:
            _note_within(ctx, item)
        if scanned:
            kept = {id(x) for x in noted}
            frame.update(_minus_items(ctx, scanned, [x for xs in lists_in for x in xs if id(x) not in kept]))
        if self.single:
            return out[0] if out else None
        return out

    def _inclusions(self, ctx: EvaluationContext, env: dict[str, Any]) -> list[Any] | None:
        matched: list[Any] = []
        evidence = ctx.evidence
        for alias, fn, many, cond, negated in self.inclusions:
            scanned: set[str] = set()
            evidence.append(scanned)
            candidates = fn(ctx)
            evidence.pop()
            if not many:
                candidates = [] if candidates is None else [candidates]
            hit = None
            for c in candidates or ():
                env[alias] = c
                trial: set[str] = set()
                evidence.append(trial)
                passed = cond(ctx) is True
                evidence.pop()
                if passed:
                    hit = c
                    evidence[-1].update(trial)
                    break
            if scanned and not negated:
                evidence[-1].update(_minus_items(ctx, scanned, [c for c in candidates or () if c is not hit]))
            if negated:
                if hit is not None:
                    return None
            else:
                if hit is None:
                    return None
                matched.append(hit)
        return matched

    def _sorted(self, ctx: EvaluationContext, env: dict[str, Any], items: list[Any]) -> list[Any]:
        for key_fn, descending in reversed(self.sort):
            if key_fn is None:
                keyed = [(x, x) for x in items]
            else:
                keyed = []
                for x in items:
                    env["$this"] = x
                    keyed.append((key_fn(ctx), x))
                env.pop("$this", None)
            keyed.sort(key=functools.cmp_to_key(_null_first_compare), reverse=descending)
            items = [x for _, x in keyed]
        return items


def _null_first_compare(a: tuple[Any, Any], b: tuple[Any, Any]) -> int:
    x, y = a[0], b[0]
    if x is None or y is None:
        return (x is not None) - (y is not None)
    c = values.compare(x, y)
    return c if c is not None else 0
