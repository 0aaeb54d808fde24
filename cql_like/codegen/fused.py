"""Fused expressions: a subtree of simple nodes becomes one Python expression, compiled once.

A closure per node costs a Python call at every node visit, and a policy evaluation visits thousands (a `where`
over every Condition, an `and` of member tests). Emitters that know their node's semantics as an expression give
it as a `Source` (text over `ctx` plus the objects the text names); a parent splices its operands' texts into its
own, and only where a closure is needed (a query's `where`, a define's body, a function argument) does the text
become a function, by `eval` at load time. Nodes without a Source take part as calls of their closures, so the
two forms mix freely and every node keeps exactly the semantics of its closure.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from . import code_cache

_counter = itertools.count()
# A deeper text is cut into a call of a function: CPython's parser refuses around 200 nested parentheses.
MAX_DEPTH = 24


@dataclass(frozen=True, slots=True)
class Source:
    """A Python expression over `ctx`; `names` binds every other name it uses (all unique, see `fresh`)."""

    text: str
    names: Mapping[str, Any]
    depth: int = 0
    # scope names read from ctx.env by closures the text calls: reads spliced into the text itself are
    # `ctx.env.get(name)` there, and a generated loop or function running the text binds a name only when it is here
    env_reads: frozenset[str] = frozenset()

    def function(self) -> Callable[[Any], Any]:
        fn: Callable[[Any], Any] = code_cache.evaluate(f"lambda ctx: {self.text}", self.names)
        return fn


class Operand(Protocol):
    """A compiled node as splicing sees it (compile.types.Compiled): its text if fused, else its closure."""

    @property
    def src(self) -> Source | None: ...
    @property
    def constant(self) -> bool: ...
    @property
    def fn(self) -> Callable[[Any], Any]: ...
    @property
    def reads(self) -> frozenset[str]: ...


def fresh(prefix: str) -> str:
    """A name no other Source uses, so texts can be spliced together without renaming."""
    return f"_{prefix}{next(_counter)}"


def constant(value: Any) -> Source:
    name = fresh("k")
    return Source(name, {name: value})


def call(fn: Callable[[Any], Any], reads: frozenset[str] = frozenset()) -> Source:
    """A call of a closure; `reads`: the scope names it reads (from ctx.env, as the text around it cannot see)."""
    name = fresh("f")
    return Source(f"{name}(ctx)", {name: fn}, env_reads=reads)


def of(c: Operand) -> Source:
    """The operand as text: its own Source, its constant value, or a call of its closure."""
    src = c.src
    if src is not None:
        return src if src.depth < MAX_DEPTH else call(src.function(), c.reads)
    if c.constant:
        return constant(c.fn(None))  # constants ignore the context
    return call(c.fn, c.reads)


def join(text: str, parts: tuple[Source, ...], names: Mapping[str, Any] | None = None) -> Source:
    """A Source whose text was built from `parts` (and binds `names` besides theirs)."""
    merged: dict[str, Any] = dict(names or {})
    env_reads: frozenset[str] = frozenset()
    for p in parts:
        merged.update(p.names)
        env_reads |= p.env_reads
    return Source(text, merged, 1 + max((p.depth for p in parts), default=0), env_reads)
