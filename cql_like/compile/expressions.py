"""The expression compiler: syntax node -> Compiled, through the dispatch table (dispatch.py).

It is the `Emitter` (host.py) every emitter receives: it compiles children, reports errors to the library's sink,
navigates members, and completes each node's facts (types.NodeFacts): a node returned by `compile` or `sys` carries
what its emitter stated of it joined with the facts of every child compiled for it, so an emitter states only what
its own node does (a retrieve reads the record, an alias read reads that name) and never gathers its children's.
"""

from __future__ import annotations

from ..errors import SourceLocation
from ..syntax import nodes as n
from .conversions import to_sys
from .dispatch import EMITTERS
from .host import ErrorFn, LibraryScope, Scope
from .members import MemberResolver
from .types import Compiled, NodeFacts


class ExprCompiler:
    def __init__(self, lib: LibraryScope, error: ErrorFn, generated: bool = True) -> None:
        self.lib = lib
        self.generated = generated
        self._error = error
        self._members = MemberResolver(error, generated)
        # lean queries (codegen/query_loop.py) -> the `exists` that stops at the first item passing; keyed by id,
        # and the entry keeps the query alive so the id stays its own
        self.exists_forms: dict[int, tuple[Compiled, Compiled]] = {}
        # one entry per node being compiled, innermost last: the facts of the children compiled for it so far
        self._children: list[list[NodeFacts]] = []

    def error(self, loc: SourceLocation, code: str, message: str) -> None:
        self._error(loc, code, message)

    def compile(self, expr: n.Expr, scope: Scope) -> Compiled:
        emit = EMITTERS.get(type(expr))
        if emit is None:
            self.error(expr.loc, "unsupported", f"{type(expr).__name__} is not supported")
            return self._done(Compiled(lambda ctx: None, "Any"))
        self._children.append([])
        try:
            node = emit(self, expr, scope)
        finally:
            children = self._children.pop()
        node.facts = NodeFacts.union([node.facts, *children])
        return self._done(node)

    def sys(self, expr: n.Expr, scope: Scope) -> Compiled:
        self._children.append([])
        try:
            node = to_sys(self, self.compile(expr, scope))
        finally:
            children = self._children.pop()
        node.facts = NodeFacts.union([node.facts, *children])
        return self._done(node)

    def compile_body(self, expr: n.Expr, scope: Scope) -> Compiled:
        """A define's or function's body, compiled apart: what it does reaches its references through the define
        or function (stages.py), not through the node whose reference first made it compile."""
        outer, self._children = self._children, []
        try:
            return self.compile(expr, scope)
        finally:
            self._children = outer

    def expect_boolean(self, c: Compiled, loc: SourceLocation) -> None:
        if c.type not in ("Boolean", "Any"):
            self.error(loc, "type-mismatch", f"expected a Boolean, found {c.type}")

    def member(self, src: Compiled, name: str, loc: SourceLocation) -> Compiled:
        return self._members.member(src, name, loc)

    def _done(self, node: Compiled) -> Compiled:
        if self._children:
            self._children[-1].append(node.facts)
        return node
