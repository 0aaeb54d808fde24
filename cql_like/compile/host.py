"""What an emitter sees of the compiler: two small protocols, and nothing else.

Emitters (operators.py, queries.py, selectors.py, type_ops.py, timing.py, fastpath.py) are plain functions
`emit_x(ec, node, scope) -> Compiled` listed in dispatch.py. They reach the rest of the compilation only through
`Emitter` (compile a child, report an error, navigate a member) and `LibraryScope` (names the
library declares or includes). This module imports nothing of the compiler, so no emitter imports the modules that
import it, and the compiler's import graph stays a tree.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, Protocol

from ..errors import SourceLocation
from ..syntax import nodes as n
from .types import Compiled

# alias, let and function-parameter names in scope -> their static types (their values live in ctx.env at run time)
Scope = dict[str, str]
ErrorFn = Callable[[SourceLocation, str, str], None]
# How a library is compiled. "generated" (the default, fast): simple nodes become fused Python text, single-source
# queries generated loops, defines and one-parameter functions generated calls (codegen/). "closures" (the plain
# reference): every node a closure over its children's closures, every query the general plan, every call the plain
# path; no Python text is generated. Both give the same values and evidence (tested), so each checks the other.
Backend = Literal["generated", "closures"]
BACKENDS: tuple[Backend, ...] = ("generated", "closures")


class LibraryScope(Protocol):
    """The library being compiled, as name resolution needs it (stages.LibraryCompiler)."""

    def resolve_identifier(self, name: str, loc: SourceLocation) -> Compiled | None: ...
    def resolve_qualified(self, alias: str, name: str, loc: SourceLocation) -> Compiled | None: ...
    def call_user(
        self, name: str, args: list[Compiled], loc: SourceLocation, qualifier: str | None
    ) -> Compiled | None: ...
    def is_library_alias(self, name: str) -> bool: ...
    def is_fhirhelpers(self, alias: str) -> bool: ...
    def code_system_url(self, name: str, loc: SourceLocation) -> str | None: ...
    def note_retrieved(self, resource_type: str) -> None: ...


class Emitter(Protocol):
    """The expression compiler as emitters use it (expressions.ExprCompiler)."""

    lib: LibraryScope
    # False under the "closures" backend: an emitter then gives a plain closure, never fused text or generated code
    generated: bool
    # a lean query -> the `exists` form that stops at the first passing item (keyed by id; the entry keeps it alive)
    exists_forms: dict[int, tuple[Compiled, Compiled]]

    # a node compiled by these carries the facts (types.NodeFacts) of its whole subtree
    def compile(self, expr: n.Expr, scope: Scope) -> Compiled: ...
    def sys(self, expr: n.Expr, scope: Scope) -> Compiled: ...
    def error(self, loc: SourceLocation, code: str, message: str) -> None: ...
    def expect_boolean(self, c: Compiled, loc: SourceLocation) -> None: ...
    def member(self, src: Compiled, name: str, loc: SourceLocation) -> Compiled: ...
