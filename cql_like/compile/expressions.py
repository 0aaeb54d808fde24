"""The expression compiler: syntax node -> Compiled, through the dispatch table (dispatch.py).

It is the `Emitter` (host.py) every emitter receives: it compiles children, reports errors to the library's sink,
navigates members, and keeps the facts counters the stages read around a body (what the body can add as evidence,
whether it reads the record, the clock or a parameter, which names it reads).
"""

from __future__ import annotations

from collections import Counter

from ..errors import SourceLocation
from ..syntax import nodes as n
from .conversions import to_sys
from .dispatch import EMITTERS
from .host import ErrorFn, LibraryScope, Scope
from .members import MemberResolver
from .types import Compiled


class ExprCompiler:
    def __init__(self, lib: LibraryScope, error: ErrorFn, generated: bool = True) -> None:
        self.lib = lib
        self.generated = generated
        self._error = error
        self._members = MemberResolver(error, generated)
        # closures compiled so far that can add evidence (define and function references, retrieves,
        # queries): a query whose `where` adds none skips the per-item evidence frame
        self.evidence_sources = 0
        # closures compiled so far that read the record, the clock, the patient or a parameter: a function whose
        # body adds none is a pure function of its arguments (stages.LibraryCompiler.function)
        self.context_reads = 0
        # lean queries (codegen/query_loop.py) -> the `exists` that stops at the first item passing; keyed by id,
        # and the entry keeps the query alive so the id stays its own
        self.exists_forms: dict[int, tuple[Compiled, Compiled]] = {}
        # alias, let and parameter reads compiled so far, by name: a query or function whose own spliced text holds
        # all reads of its name need not bind it in ctx.env (codegen/query_loop.py, codegen/function_call.py)
        self.alias_reads: Counter[str] = Counter()

    def error(self, loc: SourceLocation, code: str, message: str) -> None:
        self._error(loc, code, message)

    def compile(self, expr: n.Expr, scope: Scope) -> Compiled:
        emit = EMITTERS.get(type(expr))
        if emit is None:
            self.error(expr.loc, "unsupported", f"{type(expr).__name__} is not supported")
            return Compiled(lambda ctx: None, "Any")
        return emit(self, expr, scope)

    def sys(self, expr: n.Expr, scope: Scope) -> Compiled:
        return to_sys(self, self.compile(expr, scope))

    def expect_boolean(self, c: Compiled, loc: SourceLocation) -> None:
        if c.type not in ("Boolean", "Any"):
            self.error(loc, "type-mismatch", f"expected a Boolean, found {c.type}")

    def member(self, src: Compiled, name: str, loc: SourceLocation) -> Compiled:
        return self._members.member(src, name, loc)
