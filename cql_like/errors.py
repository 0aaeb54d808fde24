"""Load-time and evaluation errors, each with a stable code and a source location.

Hierarchy::

    CqlError                 one or more diagnostics raised by load_library (str() renders all of them)
    CqlEvaluationError       a failure while evaluating a define (names the library and the define)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class SourceLocation:
    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, order=True)
class Diagnostic:
    loc: SourceLocation
    code: str
    message: str
    source_line: str = field(default="", compare=False)

    def render(self) -> str:
        head = f"{self.loc}: {self.code}: {self.message}"
        if not self.source_line:
            return head
        caret = " " * max(self.loc.column - 1, 0) + "^"
        return f"{head}\n    {self.source_line}\n    {caret}"


class CqlError(Exception):
    """A library failed to load: every problem found, sorted by location."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics: tuple[Diagnostic, ...] = tuple(sorted(set(diagnostics)))
        super().__init__(self.render())

    def render(self) -> str:
        count = len(self.diagnostics)
        lines = [d.render() for d in self.diagnostics]
        if count > 1:
            lines.append(f"{count} errors")
        return "\n".join(lines)


class CqlEvaluationError(Exception):
    """A define failed at run time (a defect in the engine or the data, never a policy typo)."""

    def __init__(self, library: str, define: str, cause: BaseException) -> None:
        self.library = library
        self.define = define
        super().__init__(f"{library}: define {define!r}: {type(cause).__name__}: {cause}")


class ErrorSink:
    """Collects diagnostics during one load so all of them are reported together."""

    def __init__(self, sources: dict[str, str] | None = None) -> None:
        self.diagnostics: list[Diagnostic] = []
        self._sources: dict[str, list[str]] = {k: v.splitlines() for k, v in (sources or {}).items()}

    def add_source(self, file: str, text: str) -> None:
        self._sources[file] = text.splitlines()

    def error(self, loc: SourceLocation, code: str, message: str) -> None:
        lines = self._sources.get(loc.file, [])
        line = lines[loc.line - 1] if 0 < loc.line <= len(lines) else ""
        self.diagnostics.append(Diagnostic(loc, code, message, line))

    def raise_if_any(self) -> None:
        if self.diagnostics:
            raise CqlError(self.diagnostics)
