"""load_library() and Library.evaluate(): the engine's entry points."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Hashable, Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from .compile.host import BACKENDS, Backend
from .compile.stages import FHIRHELPERS, CompiledLibrary, LibraryCompiler
from .context import EvaluationContext
from .errors import CqlError, CqlEvaluationError, ErrorSink, SourceLocation
from .fhir.record import PatientRecord
from .results import Results
from .runtime import temporal as t
from .syntax.cache import ParseCache
from .syntax.nodes import LibrarySource
from .terminology import LocalTerminology


class Library:
    """A compiled CQL library. Immutable after loading; evaluate() is pure and thread-safe."""

    def __init__(self, compiled: CompiledLibrary) -> None:
        self._compiled = compiled
        self.name = compiled.name
        self.version = compiled.version
        self.file = compiled.file
        self.backend: Backend = compiled.backend  # "generated" (default) or "closures" (load_library)

    @property
    def define_names(self) -> tuple[str, ...]:
        return tuple(name for name, d in self._compiled.defines.items() if not d.private)

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(self._compiled.parameters)

    @property
    def value_set_urls(self) -> tuple[str, ...]:
        urls: set[str] = set()
        stack = [self._compiled]
        while stack:
            lib = stack.pop()
            urls.update(vs.url for vs in lib.value_sets.values())
            stack.extend(lib.includes.values())
        return tuple(sorted(urls))

    @property
    def retrieved_types(self) -> frozenset[str]:
        """The FHIR resource types an evaluation can read: every retrieve (`[Observation: ...]`) and the Patient
        context, in this library and every library it includes. What a service must gather before evaluating."""
        found: set[str] = set()
        seen: set[int] = set()
        stack = [self._compiled]
        while stack:
            lib = stack.pop()
            if id(lib) in seen:
                continue
            seen.add(id(lib))
            found.update(lib.retrieved_types)
            stack.extend(lib.includes.values())
        return frozenset(found)

    def forget_kept_results(self) -> None:
        """Drop the results pure functions keep across evaluations (codegen/function_call.py): the next
        evaluation starts cold. For benchmarks and tests; evaluation never needs it."""
        seen: set[int] = set()
        stack = [self._compiled]
        while stack:
            lib = stack.pop()
            if id(lib) in seen:
                continue
            seen.add(id(lib))
            for overloads in lib.functions.values():
                for function in overloads:
                    function.kept.clear()
            stack.extend(lib.includes.values())

    def define_type(self, name: str) -> str:
        return self._compiled.defines[name].type

    def evaluate(self, record: PatientRecord, *, now: dt.datetime,
                 parameters: Mapping[str, Any] | None = None,
                 defines: Iterable[str] | None = None) -> Results:  # fmt: skip
        """Evaluate every public define (or those named) against one patient's record."""
        params = {k: from_python(v) for k, v in (parameters or {}).items()}
        ctx = EvaluationContext(record, t.from_python(now), params)
        names = list(defines) if defines is not None else list(self.define_names)
        values: dict[str, Any] = {}
        evidence: dict[str, tuple[str, ...]] = {}
        defines, file = self._compiled.defines, self._compiled.file
        # every define keeps its own evidence (function_call.define_reference), so the context's base evidence frame
        # is never read; queries and functions restore ctx.env as they leave: one of each serves all defines
        for name in names:
            d = defines.get(name)
            if d is None or d.fn is None:
                raise KeyError(f"{self.name} has no define {name!r}")
            try:
                values[name] = d.fn(ctx)
            except Exception as exc:  # noqa: BLE001 - re-raised with the define's name
                raise CqlEvaluationError(self.name, name, exc) from exc
            found = ctx.cache[(file, name)][1]
            evidence[name] = tuple(sorted(found)) if found else ()
        return Results(self.name, values, evidence)


def from_python(value: Any) -> Any:
    """Parameter values as CQL values: dates, datetimes and floats are converted."""
    if isinstance(value, dt.datetime):
        return t.from_python(value)
    if isinstance(value, dt.date):
        return t.Date(value.year, value.month, value.day)
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, list | tuple):
        return [from_python(v) for v in value]
    return value


class LibraryPool:
    """Included libraries compiled once per process and shared by every library loaded through this pool.

    A payer's policies include the same shared libraries; compiling them per policy is most of a worker's start.
    An entry is keyed by everything its compiled form depends on: the file's path and text, the content of each
    value set it declares as this load's terminology resolves it, and the keys of the libraries it includes (as
    this load's library paths resolve them). A load whose terminology or paths differ compiles its own copy.
    Compiled libraries hold no evaluation state (Library.evaluate is pure), so sharing them is safe.
    """

    def __init__(self) -> None:
        self.libraries: dict[Hashable, CompiledLibrary] = {}
        # the syntax trees of included files by (path, text): a hit needs its includes' keys, so every load parses
        # the files it includes; kept here, each is read from the parse cache once per pool, not once per policy
        self.sources: dict[tuple[str, str], LibrarySource] = {}
        self.hits = 0
        self.misses = 0


class _Loader:
    """Compiles a main library and the libraries it includes, each once (once per pool, when given one)."""

    def __init__(
        self,
        terminology: LocalTerminology,
        library_paths: Sequence[Path],
        sink: ErrorSink,
        parse_cache: ParseCache,
        pool: LibraryPool | None,
        backend: Backend,
    ) -> None:
        self.terminology = terminology
        self.parse_cache = parse_cache
        self.pool = pool
        self.backend = backend
        self.paths = list(library_paths)
        self.sink = sink
        self.done: dict[str, CompiledLibrary] = {}
        self.texts: dict[str, str] = {}
        self.keys: dict[int, Hashable] = {}  # id(compiled library) -> its pool key
        self.loading: list[str] = []

    def parse_file(self, path: Path, pooled: bool = False) -> LibrarySource | None:
        """The file's syntax tree; `pooled` (an included file, loaded with a pool) keeps it in the pool."""
        text = path.read_text(encoding="utf-8")
        self.texts[str(path)] = text  # the text parsed, for the pool key
        self.sink.add_source(str(path), text)
        kept = (str(path), text)
        if pooled and self.pool is not None and (tree := self.pool.sources.get(kept)) is not None:
            return tree
        try:
            tree = self.parse_cache.parse(text, str(path))
        except CqlError as err:
            self.sink.diagnostics.extend(err.diagnostics)
            return None
        if pooled and self.pool is not None:
            self.pool.sources[kept] = tree
        return tree

    def compile_file(self, path: Path, main: bool) -> CompiledLibrary | None:
        source = self.parse_file(path)
        if source is None:
            return None
        if main and source.name and source.name_loc and path.stem != source.name:
            self.sink.error(
                source.name_loc,
                "library-name",
                f"library {source.name} must live in {source.name}.cql, not {path.name}",
            )
        return LibraryCompiler(source, self.sink, self.terminology, self.include, main, self.backend).compile()

    def compile_included(self, path: Path) -> CompiledLibrary | None:
        if self.pool is None:
            return self.compile_file(path, main=False)
        source = self.parse_file(path, pooled=True)
        if source is None:
            return None
        key = self._pool_key(path, source)
        if key is None:
            return LibraryCompiler(source, self.sink, self.terminology, self.include, False, self.backend).compile()
        hit = self.pool.libraries.get(key)
        if hit is not None:
            self.pool.hits += 1
            self.keys[id(hit)] = key
            return hit
        self.pool.misses += 1
        problems = len(self.sink.diagnostics)
        lib = LibraryCompiler(source, self.sink, self.terminology, self.include, False, self.backend).compile()
        if len(self.sink.diagnostics) == problems:  # a library with errors is never shared
            self.pool.libraries[key] = lib
            self.keys[id(lib)] = key
        return lib

    def _pool_key(self, path: Path, source: LibrarySource) -> Hashable | None:
        """None when an include cannot be resolved (the compile reports it; nothing is shared)."""
        includes: list[Hashable] = []
        for inc in source.includes:
            if inc.name == FHIRHELPERS:
                includes.append((inc.alias, FHIRHELPERS, inc.version))
                continue
            dep = self.include(inc.name, inc.version, inc.loc)
            if dep is None or id(dep) not in self.keys:
                return None
            includes.append((inc.alias, self.keys[id(dep)], inc.version))
        value_sets = []
        for vs_def in source.valuesets:
            vs = self.terminology.find(vs_def.url, vs_def.version)
            value_sets.append(None if vs is None else (vs.url, vs.version, vs.codes, vs.problem))
        text = hashlib.sha256(self.texts[str(path)].encode()).hexdigest()
        return (str(path), text, tuple(includes), tuple(value_sets), self.backend)

    def include(self, name: str, version: str | None, loc: SourceLocation) -> CompiledLibrary | None:
        if name in self.done:
            return self.done[name]
        if name in self.loading:
            self.sink.error(
                loc, "cycle", f"libraries include each other in a cycle: {' -> '.join([*self.loading, name])}"
            )
            return None
        for directory in self.paths:
            candidate = Path(directory) / f"{name}.cql"
            if candidate.is_file():
                self.loading.append(name)
                try:
                    lib = self.compile_included(candidate)
                finally:
                    self.loading.pop()
                if lib is not None:
                    if version is not None and lib.version is not None and lib.version != version:
                        self.sink.error(
                            loc, "unknown-library", f"library {name} is version {lib.version}, not {version}"
                        )
                    self.done[name] = lib
                return lib
        searched = ", ".join(str(p) for p in self.paths) or "no library paths"
        self.sink.error(loc, "unknown-library", f"library {name!r} not found (searched {searched})")
        return None


def load_library(
    path: Path | str,
    *,
    terminology: LocalTerminology | None = None,
    library_paths: Sequence[Path | str] = (),
    parse_cache: ParseCache | None = None,
    pool: LibraryPool | None = None,
    backend: Backend = "generated",
) -> Library:
    """Parse and compile a .cql file and everything it includes; raises CqlError listing every problem.

    Parsed files are kept on disk (syntax/cache.py; `CQL_LIKE_CACHE_DIR`) unless `parse_cache` says otherwise;
    libraries loaded with the same `pool` share the compiled form of the libraries they include (per backend).
    `backend="closures"` compiles every node as a plain closure, without generated code (compile/host.Backend):
    slower, the same values and evidence; the reference the default "generated" backend is tested against."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r} (one of {', '.join(BACKENDS)})")
    path = Path(path)
    sink = ErrorSink()
    paths = [Path(p) for p in library_paths]
    if path.parent not in paths:
        paths.insert(0, path.parent)
    cache = parse_cache if parse_cache is not None else ParseCache.from_environment()
    loader = _Loader(terminology or LocalTerminology(), paths, sink, cache, pool, backend)
    if not path.is_file():
        raise CqlError([_missing(path)])
    compiled = loader.compile_file(path, main=True)
    sink.raise_if_any()
    assert compiled is not None
    return Library(compiled)


def _missing(path: Path) -> Any:
    from .errors import Diagnostic

    return Diagnostic(SourceLocation(str(path), 1, 1), "file-not-found", f"no such file: {path}")
