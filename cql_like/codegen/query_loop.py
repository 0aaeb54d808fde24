"""Single-source queries (no let, with or sort: nearly every policy query), generated as one Python loop each.

The loop has the query's `where` and `return` spliced in (fused.py) and only the evidence bookkeeping its parts
need, decided at load time: a query over elements (`condition.clinicalStatus.coding X where X.code in {...}`,
run once per resource) can name no resource, so it keeps no evidence frames and `exists` over it stops at the
first item that passes. A query that can name resources keeps the rules of the general plan (compile/queries.py):
an item's resource is evidence when the item passes; what the `where` touched counts only for passing items;
what the source touched counts except the rejected items.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..context import EvaluationContext
from ..fhir.retrieve import CodeKeys
from ..ops import lists
from . import code_cache, fused

_MISSING = object()
# (the codes of an item, the codes wanted): a `where` that is membership of the item's codes in value sets
KeysOf = Callable[[EvaluationContext, Any], CodeKeys | None]
CodeFilter = tuple[KeysOf, CodeKeys]


@dataclass(frozen=True, slots=True)
class LoopShape:
    alias: str
    many: bool  # the source is a list (else one item, or null)
    single: bool  # the result is one item (a query over one value)
    distinct: bool
    items_note: bool  # an item can be (or hold) a resource
    source_notes: bool  # the source expression can name resources
    where_notes: bool  # the where clause can name resources
    return_notes: bool  # the return clause can name resources

    @property
    def lean(self) -> bool:
        return not (self.items_note or self.source_notes or self.where_notes)


def query_loop(shape: LoopShape, source: fused.Source, where: fused.Source | None, ret: fused.Source | None,
               fast: CodeFilter | None, reads: frozenset[str], source_reads: frozenset[str], note_within: Any,
               minus_items: Any) -> tuple[fused.Source, fused.Source | None]:  # fmt: skip
    """(the query, `exists` over it or None) as fused texts: calls of the generated functions.

    `exists` is given for lean queries whose return names nothing: stopping early loses no evidence then. A source
    that can name no resource is evaluated in the caller's text and passed in, so its reads are spliced there too.
    `reads`, `source_reads`: the scope names the where and return, and the source, read. The loop binds the alias in
    ctx.env only when a closure the where or return calls reads it (`Source.env_reads`); reads spliced into their
    texts become the local `item`."""
    names: dict[str, Any] = {"_missing": _MISSING, "_distinct": lists.distinct, "_note_within": note_within,
                             "_minus_items": minus_items}  # fmt: skip
    for part in (where, ret):
        if part is not None:
            names.update(part.names)
    if fast is not None:
        names["_fast_keys"], names["_fast_codes"] = fast
    alias = repr(shape.alias)
    items = "value" if shape.many else "(value,)"
    # within the query's own where and return the alias is only ever this item (a nested query or a closure is
    # a function of its own and reads ctx.env)
    own = f"ctx.env.get({alias})"
    env_reads = frozenset().union(*(p.env_reads for p in (where, ret) if p is not None))
    bind = f"env[{alias}] = item" if shape.alias in env_reads else ""
    where = None if where is None else fused.Source(where.text.replace(own, "item"), where.names, where.depth)
    value = ret.text.replace(own, "item") if ret is not None else "item"
    keep_rejected = shape.source_notes  # rejected items are taken out of the source's evidence
    # a rejected resource is dropped by name at once; a tuple (which may hold resources) at the end; anything else
    # holds no resource (_minus_items would find none in it)
    reject = (
        """if type(item) is dict:
                    if "resourceType" in item:
                        dropped.add(refs.get(id(item)))
                    else:
                        rejected.append(item)
                """
        if keep_rejected
        else ""
    )
    test = _test(where, fast, shape.where_notes, reject)
    where_trial = where is not None and fast is None and shape.where_notes
    note = (
        """if type(item) is dict:
                if "resourceType" in item:
                    ref = refs.get(id(item))
                    if ref is not None:
                        frame.add(ref)
                else:
                    _note_within(ctx, item)
            """
        if shape.items_note
        else ""
    )
    if shape.source_notes:
        names.update(source.names)
        parameters = "ctx"
        fetch = f"""scanned = set()
        evidence.append(scanned)
        value = {source.text}
        evidence.pop()"""
    else:
        parameters = "ctx, value"
        fetch = ""
    if shape.single:
        result = "out[0] if out else None"
    elif shape.distinct:
        result = "_distinct(out) if len(out) > 1 else out"
    else:
        result = "out"
    query = f"""
        evidence = ctx.evidence
        {"refs = ctx.record.refs" if shape.items_note or keep_rejected else ""}
        {fetch}
        frame = evidence[-1]
        if value is None:
            return {"None" if shape.single else "[]"}
        out = []
        {"trial = set()" if where_trial else ""}
        {"rejected = []; dropped = set()" if keep_rejected else ""}
        for item in {items}:
            if item is None:
                continue
            {bind}
            {test}
            {note}out.append({value})
        {"if scanned: frame.update(_minus_items(ctx, scanned - dropped, rejected))" if keep_rejected else ""}
        return {result}"""
    query_name, exists_name = fused.fresh("q"), fused.fresh("e")
    text = _binding_alias(query_name, parameters, alias, query, bind != "")
    has_exists = shape.lean and not shape.return_notes
    if has_exists:
        find_one = f"""
        if value is None:
            return False
        for item in {items}:
            if item is None:
                continue
            {bind}
            {test}
            if ({value}) is not None:
                return True
        return False"""
        text += _binding_alias(exists_name, parameters, alias, find_one, bind != "")
    code_cache.run(text, f"<query over {shape.alias}>", names)

    # the generated function reads from ctx.env what its where and return read (but its own alias), and what the
    # source reads when the source is evaluated inside it
    function_reads = (reads - {shape.alias}) | (source_reads if shape.source_notes else frozenset())

    def call(name: str) -> fused.Source:
        function = fused.Source(name, {name: names[name]}, env_reads=function_reads)
        if shape.source_notes:
            return fused.join(f"{name}(ctx)", (function,))
        return fused.join(f"{name}(ctx, {source.text})", (function, source))

    return call(query_name), call(exists_name) if has_exists else None


def _test(where: fused.Source | None, fast: CodeFilter | None, where_notes: bool, reject: str) -> str:
    """Statements that `continue` past an item the where clause does not pass."""
    if fast is not None:
        # a Code, Concept or record resource is tested by its codes; anything else takes the general path
        fallback = f"({where.text}) is True" if where is not None else "True"
        return f"""keys = _fast_keys(ctx, item)
            if not ({fallback} if keys is None else not keys.isdisjoint(_fast_codes)):
                {reject}continue"""
    if where is None:
        return ""
    if not where_notes:
        return f"""if ({where.text}) is not True:
                {reject}continue"""
    # what the condition touched counts only when the item passes; one set serves every item (emptied after use:
    # nothing keeps an evidence frame once it is popped)
    return f"""evidence.append(trial)
            passed = ({where.text}) is True
            evidence.pop()
            if trial:
                if passed:
                    frame.update(trial)
                trial.clear()
            if not passed:
                {reject}continue"""


def _binding_alias(name: str, parameters: str, alias: str, body: str, bind: bool) -> str:
    """A function running `body`; with `bind`, the alias is bound in ctx.env and the outer binding restored after."""
    if not bind:
        return f"""
def {name}({parameters}):{body}
"""
    return f"""
def {name}({parameters}):
    env = ctx.env
    saved = env.get({alias}, _missing)
    try:{body}
    finally:
        if saved is _missing:
            env.pop({alias}, None)
        else:
            env[{alias}] = saved
"""
