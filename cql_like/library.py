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
from .compiled_cache import Dependencies, LibraryCache, Stored, closure
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
        return tuple(sorted({vs.url for lib in self._compiled.with_includes() for vs in lib.value_sets.values()}))

    @property
    def retrieved_types(self) -> frozenset[str]:
        """The FHIR resource types an evaluation can read: every retrieve (`[Observation: ...]`) and the Patient
        context, in this library and every library it includes. What a service must gather before evaluating."""
        return frozenset(t for lib in self._compiled.with_includes() for t in lib.retrieved_types)

    def forget_kept_results(self) -> None:
        """Drop the results pure functions keep across evaluations (codegen/function_call.py): the next
        evaluation starts cold. For benchmarks and tests; evaluation never needs it."""
        for lib in self._compiled.with_includes():
            for overloads in lib.functions.values():
                for function in overloads:
                    function.kept.clear()

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

    With a cache directory (`cache`, by default the one of `CQL_LIKE_CACHE_DIR`), libraries loaded through the pool
    are also kept on disk, compiled (compiled_cache.py): a later process unpickles them instead of compiling, and
    its policies still share one copy of each included library.
    """

    def __init__(self, cache: LibraryCache | None = None) -> None:
        self.libraries: dict[Hashable, CompiledLibrary] = {}
        self.cache = cache if cache is not None else LibraryCache.from_environment()
        # the entries of pooled libraries, by id (libraries in `libraries`, alive with the pool)
        self.stored: dict[int, Stored] = {}
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
        self.cache = pool.cache if pool is not None and pool.cache.enabled else None
        self.main_source: LibrarySource | None = None

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
        if main:
            self.main_source = source
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
        stored: Stored | None = None
        disk = self._disk_key(path, source) if self.cache is not None else None
        if self.cache is not None and disk is not None:
            loaded = self.cache.load(disk[0], disk[1], self.terminology, shared=True)
            if loaded is not None:
                self._pooled(key, *loaded)
                return loaded[0]
            self.cache.counts.misses += 1
        problems = len(self.sink.diagnostics)
        lib = LibraryCompiler(source, self.sink, self.terminology, self.include, False, self.backend).compile()
        if len(self.sink.diagnostics) == problems:  # a library with errors is never shared
            if self.cache is not None and disk is not None:
                lib, stored = self.cache.store(disk[0], lib, disk[1], self.terminology, shared=True)
            self._pooled(key, lib, stored)
        return lib

    def _pooled(self, key: Hashable, lib: CompiledLibrary, stored: Stored | None) -> None:
        assert self.pool is not None
        self.pool.libraries[key] = lib
        self.keys[id(lib)] = key
        if stored is not None:
            self.pool.stored[id(lib)] = stored

    def _disk_key(self, path: Path, source: LibrarySource) -> tuple[str, tuple[Stored, ...]] | None:
        """The cache key of an included library and the stored libraries its entry refers to; None when one of
        its includes or value sets has no entry or no content (it is compiled every time)."""
        assert self.cache is not None
        includes = [inc for inc in source.includes if inc.name != FHIRHELPERS]
        return self._cache_key(
            path,
            [(inc.name, inc.version) for inc in includes],
            [(vs.url, vs.version) for vs in source.valuesets],
            SourceLocation(str(path), 1, 1),
        )

    def _cache_key(self, path: Path, includes: Sequence[tuple[str, str | None]],
                   value_sets: Sequence[tuple[str, str | None]],
                   loc: SourceLocation) -> tuple[str, tuple[Stored, ...]] | None:  # fmt: skip
        assert self.cache is not None and self.pool is not None
        direct: list[Stored] = []
        for name, version in includes:
            lib = self.include(name, version, loc)
            stored = self.pool.stored.get(id(lib)) if lib is not None else None
            if stored is None:
                return None
            direct.append(stored)
        found = []
        for url, version in value_sets:
            vs = self.terminology.find(url, version)
            if vs is None or vs.problem:
                return None
            found.append(vs)
        within = closure(direct)
        return self.cache.key(path, self.texts[str(path)], found, within, self.backend), within

    def load_main_from_cache(self, path: Path) -> CompiledLibrary | None:
        """The main library from its entry, without parsing it; None (and nothing reported) when it has none."""
        assert self.cache is not None
        text = path.read_text(encoding="utf-8")
        self.texts[str(path)] = text
        dependencies = self.cache.dependencies(text)
        if dependencies is None:
            return None
        sink, done = self.sink, dict(self.done)
        self.sink = ErrorSink()  # a problem with an include is reported by the compile that follows a miss
        try:
            loc = SourceLocation(str(path), 1, 1)
            disk = self._cache_key(path, dependencies.includes, dependencies.value_sets, loc)
            loaded = None
            if disk is not None and not self.sink.diagnostics:
                loaded = self.cache.load(disk[0], disk[1], self.terminology, shared=False)
        finally:
            clean = not self.sink.diagnostics
            self.sink = sink
        if not clean:
            self.done = done  # the compile includes them again, reporting their problems where they are named
        if loaded is None or not clean:
            return None
        return loaded[0]

    def store_main(self, path: Path, lib: CompiledLibrary) -> None:
        """Keeps a main library that compiled without diagnostics (before any evaluation)."""
        assert self.cache is not None and self.main_source is not None
        source = self.main_source
        includes = tuple((inc.name, inc.version) for inc in source.includes if inc.name != FHIRHELPERS)
        dependencies = Dependencies(includes, tuple((vs.url, vs.version) for vs in source.valuesets))
        disk = self._cache_key(path, dependencies.includes, dependencies.value_sets, SourceLocation(str(path), 1, 1))
        if disk is None or self.sink.diagnostics:
            return
        self.cache.store(disk[0], lib, disk[1], self.terminology, shared=False)
        self.cache.store_dependencies(self.texts[str(path)], dependencies)

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
    if loader.cache is not None:
        compiled = loader.load_main_from_cache(path)
        if compiled is not None:
            return Library(compiled)
        loader.cache.counts.misses += 1
    compiled = loader.compile_file(path, main=True)
    sink.raise_if_any()
    assert compiled is not None
    if loader.cache is not None:
        loader.store_main(path, compiled)
    return Library(compiled)


def _missing(path: Path) -> Any:
    from .errors import Diagnostic

    return Diagnostic(SourceLocation(str(path), 1, 1), "file-not-found", f"no such file: {path}")
