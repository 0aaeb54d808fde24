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


ERROR_CODES: dict[str, str] = {
    "syntax": "Not CQL 1.5 (or outside the subset). Check spelling and parentheses at the caret; "
    "`between` operands and `singleton from` take a term, so parenthesize queries and casts there.",
    "unknown-identifier": "No define, parameter, value set, code, concept, alias or library member of that name. "
    "Names are case-sensitive; quote names with spaces; private definitions of an included library are hidden.",
    "unknown-function": "No system function or `define function` with that name and argument count "
    "(fluent calls `x.F()` are not supported).",
    "unknown-property": "The FHIR R4 type has no such element (see cql_like/fhir/r4_model.json). "
    "Choice elements are named without the suffix: `O.value`, `C.onset`.",
    "unknown-type": "Not a FHIR R4 resource/data type or a System type.",
    "unknown-valueset": "No ValueSet JSON with that canonical url in the terminology folders "
    "(the policy's valuesets/ or _shared/valuesets/).",
    "unexpandable-valueset": "The ValueSet needs a terminology server (compose filter, included value set or a "
    "whole code system). Add an `expansion.contains` or list the concepts.",
    "unknown-codesystem": "Declare the code system first: `codesystem \"LOINC\": 'http://loinc.org'`.",
    "unknown-library": "The included library file <Name>.cql is not in the library's folder or a _shared folder, "
    "or its version differs from the include.",
    "unknown-model": "Only `using FHIR version '4.0.1'` is supported.",
    "library-name": "A library must live in a file named after it: `library X` in X.cql.",
    "wrong-arity": "The function takes a different number of arguments (see registry.reference()).",
    "type-mismatch": "The operand types can never work together (e.g. a String compared with an Integer, a "
    "choice element cast to a type it cannot hold, a non-Boolean where a condition is expected).",
    "cycle": "Definitions (or libraries) refer to each other in a loop; recursion is not supported.",
    "duplicate-definition": "Two definitions share a name in one library.",
    "invalid-literal": "A date/time literal that is not a valid calendar value (e.g. @2023-02-29).",
    "unsupported": "Valid CQL outside the cql_like subset; rewrite with the constructs in cql_like/README.md.",
    "file-not-found": "The .cql file does not exist.",
    "policy-yaml": "policy.yaml cannot be read or names no existing main library.",
    "unknown-define": "policy.yaml names a criterion or display define that the main library does not have.",
}


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
