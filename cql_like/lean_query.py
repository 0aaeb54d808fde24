"""Queries that can name no resource, generated as one Python function each.

Most queries a policy runs are over elements (`condition.clinicalStatus.coding X where X.code in {...}`), once per
resource: their items, source and `where` can add no evidence, so the evidence frames of the general query plan
are pure cost. Such a query is written out as a plain loop with its `where` and `return` spliced in (fused.py),
and `exists` over it stops at the first item that passes.
"""

from __future__ import annotations

from typing import Any

from . import fused
from .ops import lists
from .static_types import Fn

_MISSING = object()


def lean_query(alias: str, source: fused.Source, many: bool, where: fused.Source | None, ret: fused.Source | None,
               distinct: bool, single: bool) -> tuple[Fn, Fn]:  # fmt: skip
    """(the query, `exists` of the query) as functions of the evaluation context."""
    parts = tuple(p for p in (source, where, ret) if p is not None)
    names: dict[str, Any] = {"_missing": _MISSING, "_distinct": lists.distinct}
    for p in parts:
        names.update(p.names)
    items = "value" if many else "(value,)"
    passes = f"({where.text}) is True" if where is not None else "True"
    value_text = ret.text if ret is not None else "item"
    if single:
        result = "out[0] if out else None"
    elif distinct:
        result = "_distinct(out) if len(out) > 1 else out"
    else:
        result = "out"

    def loop(empty: str, start: str, take: str) -> str:
        return f"""
        value = {source.text}
        if value is None:
            return {empty}
        {start}
        for item in {items}:
            if item is None:
                continue
            env[{alias!r}] = item
            if {passes}:
                {take}
"""

    text = _binding_alias(
        "query", alias, loop("None" if single else "[]", "out = []", f"out.append({value_text})"), f"return {result}"
    ) + _binding_alias(
        "exists", alias, loop("False", "pass", f"if ({value_text}) is not None: return True"), "return False"
    )  # fmt: skip
    exec(compile(text, f"<query over {alias}>", "exec"), names)  # noqa: S102 - our own text
    return names["query"], names["exists"]


def _binding_alias(name: str, alias: str, body: str, ending: str) -> str:
    """A function that runs `body` with the alias bound in ctx.env and restores the outer binding afterwards."""
    return f"""
def {name}(ctx):
    env = ctx.env
    saved = env.get({alias!r}, _missing)
    try:{body}
    finally:
        if saved is _missing:
            env.pop({alias!r}, None)
        else:
            env[{alias!r}] = saved
    {ending}
"""
