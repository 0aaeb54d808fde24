"""Compiled libraries kept on disk, so a worker's warm start unpickles each policy instead of compiling it.

Compiling (syntax tree -> closures and generated code) is most of loading a policy even with the parse and code
caches warm; its result, a CompiledLibrary, is a graph of dataclasses, closures and functions made by `exec`,
which cloudpickle can store by value. An entry is written right after a compile without diagnostics, before any
evaluation (a pure function's kept results are empty in it), and keyed by SHA-256 over everything the compiled
form depends on: this engine's files (every source, grammar and data file of cql_like; any change misses), the
Python and cloudpickle versions, the backend, the file's path and text, the content of every value set it
declares as this load's terminology resolves it, and the payload digests of the entries of every library it
includes, transitively. A library with errors is never stored: the next load compiles it and reports them.

Sharing survives the cache. A pooled included library (library.LibraryPool) is an entry of its own; a library
that includes it refers to its objects by persistent id, (its position among the includes, the object's index in
the include's pickle memo), resolved on load to the objects of the include this process already loaded, so a
thousand policies hold one copy of each shared library, as when compiled. The same holds for the value sets a
library declares (resolved through the loading terminology, which the service deduplicates), for objects bound
at module level in cql_like (sentinels keep their identity), and for code objects: each is stored as marshal
bytes behind their SHA-256 and loaded once per process, so policies from one template share their code.
A function's memo key holds the id() of its CompiledFunction, captured at compile time; such an int is stored as
a reference to the function and becomes the id of the loaded function.

The main library's dependencies (the libraries and value sets it names) are a small entry keyed by its text, so
a warm load reads neither its syntax tree nor the parse cache.

Entries live in `<cache dir>/libraries/` (syntax/cache.py: `CQL_LIKE_CACHE_DIR`), written by write_checked (the
payload behind its SHA-256, a temporary file renamed into place): a truncated, corrupt or unreadable entry is a
miss, compiled again and rewritten, never a failure. Loading a pickle runs code: the directory must be writable
only by the service's own user.
"""

from __future__ import annotations

import builtins
import functools
import gc
import hashlib
import importlib
import io
import json
import marshal
import pickle
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import BuiltinFunctionType, CellType, CodeType, FunctionType, ModuleType
from typing import Any

import cloudpickle
from cloudpickle.cloudpickle import _function_getstate, _should_pickle_by_reference

from .compile.host import Backend
from .compile.stages import CompiledFunction, CompiledLibrary
from .syntax.cache import default_directory, read_checked, write_checked
from .terminology import LocalTerminology, ValueSet

FORMAT = "library-cache-2"  # bump when the entry layout or the key changes
KIND = "libraries"
_ENGINE_SUFFIXES = frozenset({".py", ".lark", ".json", ".txt"})
_IMMUTABLE_SCALARS = (str, bytes, int, float, complex, bool, type(None))


@functools.cache
def engine_fingerprint() -> str:
    """Every file the compiled form can depend on, hashed once per process: any change of the engine misses."""
    digest = hashlib.sha256(f"{FORMAT}\0{sys.version}\0cloudpickle {cloudpickle.__version__}\0".encode())
    root = Path(__file__).parent
    for path in sorted(p for p in root.rglob("*") if p.suffix in _ENGINE_SUFFIXES and p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@dataclass(eq=False)
class Stored:
    """A library as its entry holds it, which libraries including it refer to."""

    digest: str  # SHA-256 of the entry's payload: the keys of including libraries name it
    objects: dict[int, Any] = field(repr=False)  # the entry's pickle memo: index -> object of the loaded library
    within: tuple[Stored, ...]  # the stored libraries it includes, transitively, by digest


@dataclass(frozen=True)
class Dependencies:
    """What a main library names outside itself: the half of its key that its text alone does not give."""

    includes: tuple[tuple[str, str | None], ...]  # (name, version), FHIRHelpers (built in) left out
    value_sets: tuple[tuple[str, str | None], ...]  # (url, version) as declared


@dataclass
class Counts:
    """What one cache did (tests and the bench): a warm load has hits and no misses."""

    hits: int = 0  # libraries loaded from an entry
    misses: int = 0  # libraries looked up and compiled
    stored: int = 0  # entries written


def closure(includes: Iterable[Stored]) -> tuple[Stored, ...]:
    """The stored libraries `includes` names and everything they include, each once, by digest."""
    found: dict[str, Stored] = {}
    for stored in includes:
        for s in (stored, *stored.within):
            found.setdefault(s.digest, s)
    return tuple(found[d] for d in sorted(found))


class LibraryCache:
    """Compiled libraries by key in `directory/libraries` (None: nothing is cached)."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self.counts = Counts()
        self._value_set_digests: dict[int, tuple[ValueSet, str]] = {}
        self._shared_ids: dict[tuple[str, ...], dict[int, tuple[int, int]]] = {}

    @classmethod
    def from_environment(cls) -> LibraryCache:
        return cls(default_directory())

    @property
    def enabled(self) -> bool:
        return self.directory is not None

    # ---- keys
    def key(self, path: Path, text: str, value_sets: Sequence[ValueSet], within: Sequence[Stored],
            backend: Backend) -> str:  # fmt: skip
        parts = [engine_fingerprint(), backend, str(path), hashlib.sha256(text.encode()).hexdigest()]
        parts += [self._value_set_digest(vs) for vs in value_sets]
        parts += [s.digest for s in within]
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()

    def _value_set_digest(self, vs: ValueSet) -> str:
        known = self._value_set_digests.get(id(vs))
        if known is not None and known[0] is vs:
            return known[1]
        codes = sorted(vs.codes, key=lambda c: (c[0] is not None, c[0] or "", c[1]))
        content = json.dumps([vs.url, vs.version, vs.problem, codes])
        digest = hashlib.sha256(content.encode()).hexdigest()
        self._value_set_digests[id(vs)] = (vs, digest)  # kept alive with it: an id is never reused meanwhile
        return digest

    def _entry(self, key: str, suffix: str) -> Path | None:
        return None if self.directory is None else self.directory / KIND / f"{key}{suffix}"

    # ---- a main library's dependencies
    def dependencies(self, text: str) -> Dependencies | None:
        entry = self._entry(_text_key(text), ".deps.json")
        payload = read_checked(entry) if entry is not None else None
        if payload is None:
            return None
        try:
            data = json.loads(payload)
            includes = tuple((name, version) for name, version in data["includes"])
            return Dependencies(includes, tuple((url, version) for url, version in data["value_sets"]))
        except (ValueError, KeyError, TypeError):
            return None

    def store_dependencies(self, text: str, dependencies: Dependencies) -> None:
        entry = self._entry(_text_key(text), ".deps.json")
        if entry is not None:
            data = {"includes": dependencies.includes, "value_sets": dependencies.value_sets}
            write_checked(entry, json.dumps(data).encode())

    # ---- libraries
    def load(self, key: str, within: tuple[Stored, ...], terminology: LocalTerminology,
             shared: bool) -> tuple[CompiledLibrary, Stored | None] | None:  # fmt: skip
        """The library of `key`, its objects resolved against `within`; with its Stored when `shared` (a library
        others include). None when there is no usable entry."""
        entry = self._entry(key, ".pickle")
        payload = read_checked(entry) if entry is not None else None
        if payload is None:
            return None
        loaded = self._loads(payload, within, terminology, shared)
        if loaded is not None:
            self.counts.hits += 1
        return loaded

    def store(self, key: str, library: CompiledLibrary, within: tuple[Stored, ...], terminology: LocalTerminology,
              shared: bool) -> tuple[CompiledLibrary, Stored | None]:  # fmt: skip
        """Writes the library's entry. A `shared` library is handed back as loaded from that entry, with its
        Stored: the objects others refer to are then those any later process loads."""
        entry = self._entry(key, ".pickle")
        if entry is None:
            return library, None
        try:
            payload = self._dumps(library, within)
        except Exception:  # noqa: BLE001 - an object cloudpickle cannot store: the library is compiled every time
            return library, None
        write_checked(entry, payload)
        self.counts.stored += 1
        if not shared:
            return library, None
        loaded = self._loads(payload, within, terminology, shared=True)
        return loaded if loaded is not None else (library, None)

    def _dumps(self, library: CompiledLibrary, within: tuple[Stored, ...]) -> bytes:
        buffer = io.BytesIO()
        _Pickler(buffer, self._persistent_ids(library, within), _function_ids(library)).dump(library)
        return buffer.getvalue()

    def _loads(self, payload: bytes, within: tuple[Stored, ...], terminology: LocalTerminology,
               shared: bool) -> tuple[CompiledLibrary, Stored | None] | None:  # fmt: skip
        unpickler = _Unpickler(io.BytesIO(payload), within, terminology)
        try:
            with _collector_paused():
                library = unpickler.load()  # our own entry, in a directory only this service writes
        except Exception:  # noqa: BLE001 - a foreign or stale entry is a miss, never a failure
            return None
        if not isinstance(library, CompiledLibrary):
            return None
        if not shared:
            return library, None
        digest = hashlib.sha256(payload).hexdigest()
        return library, Stored(digest, unpickler.memo.copy(), within)

    def _persistent_ids(self, library: CompiledLibrary, within: tuple[Stored, ...]) -> dict[int, Any]:
        ids: dict[int, Any] = dict(_module_globals())
        ids.update(self._included_ids(within))
        for lib in library.with_includes():
            for vs in lib.value_sets.values():
                ids[id(vs)] = ("valueset", vs.url, vs.version, "")
                ids[id(vs.codes)] = ("valueset", vs.url, vs.version, "codes")
                ids[id(vs.codes_by_value)] = ("valueset", vs.url, vs.version, "codes_by_value")
        return ids

    def _included_ids(self, within: tuple[Stored, ...]) -> dict[int, tuple[int, int]]:
        """id -> (position in `within`, memo index), built once per set of includes (policies share them)."""
        signature = tuple(s.digest for s in within)
        ids = self._shared_ids.get(signature)
        if ids is None:
            ids = {}
            for position, stored in enumerate(within):
                for index, obj in stored.objects.items():
                    if not _by_name(obj):
                        ids[id(obj)] = (position, index)
            self._shared_ids[signature] = ids
        return ids


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cycle collector paused while a library unpickles, and what it made moved to the collector's oldest
    generation after. A library is thousands of objects that live as long as it does; the young collections they
    would trigger, over a registry of a thousand, traverse the growing heap again and again (~40% of a warm start).
    Only a full collection visits them (the service's freeze_heap skips them: a young collection, then gc.freeze)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count() == 0:  # never thaw what a process froze on purpose (app.freeze_heap)
            gc.freeze()  # every tracked object to the permanent generation, without traversing it,
            gc.unfreeze()  # and back into the oldest one
        if enabled:
            gc.enable()


def _by_name(obj: object) -> bool:
    """Stored by name (a class, module, module-level function) or by value at no cost (a scalar): never worth a
    persistent id, which the unpickler resolves per occurrence, where a name is memoized."""
    if isinstance(obj, (*_IMMUTABLE_SCALARS, type, ModuleType, BuiltinFunctionType)):
        return True
    return type(obj) is FunctionType and obj.__module__ is not None and "<locals>" not in obj.__qualname__


def _text_key(text: str) -> str:
    return hashlib.sha256(f"{engine_fingerprint()}\0dependencies\0{text}".encode()).hexdigest()


def _function_ids(library: CompiledLibrary) -> dict[int, CompiledFunction]:
    """id(function) -> function, for every function a memo key of this library can name."""
    return {id(f): f for lib in library.with_includes() for overloads in lib.functions.values() for f in overloads}


@functools.cache
def _module_globals() -> dict[int, tuple[str, str, str]]:
    """Objects bound at module level in cql_like that pickle by value (sentinels, tables): stored by name. Built
    once, after the engine is imported; functions and classes cloudpickle stores by name already."""
    ids: dict[int, tuple[str, str, str]] = {}
    _module_values.clear()
    for module_name, module in list(sys.modules.items()):
        if not (module_name == "cql_like" or module_name.startswith("cql_like.")) or not isinstance(module, ModuleType):
            continue
        for name, value in vars(module).items():
            if name.startswith("__") or isinstance(value, (*_IMMUTABLE_SCALARS, type, ModuleType, FunctionType)):
                continue
            ids.setdefault(id(value), ("global", module_name, name))
            _module_values.append(value)  # alive while its id is in the table, even if its name is rebound
    return ids


_module_values: list[Any] = []


_codes: dict[bytes, CodeType] = {}


def shared_code(digest: bytes, data: bytes) -> CodeType:
    """The code object of these marshal bytes, one per process (policies from one template share their code)."""
    code = _codes.get(digest)
    if code is None:
        code = _codes[digest] = marshal.loads(data)  # noqa: S302 - our own entry
    return code


class _Pickler(cloudpickle.Pickler):  # type: ignore[misc]
    def __init__(self, file: io.BytesIO, ids: dict[int, Any], functions: dict[int, CompiledFunction]) -> None:
        super().__init__(file, protocol=5)
        self._ids = ids
        self._functions = functions
        self._namespaces: dict[int, dict[str, Any]] = {}  # id(a function's globals) -> the namespace it loads in
        self._closure_cells: set[int] = set()  # ids of the cells of closures reduced so far
        self._bound: dict[int, dict[str, Any]] = {}  # id(a function's globals) -> the names states set in it
        self._kept: list[Any] = []  # what those ids name, alive while the pickler is

    def persistent_id(self, obj: Any) -> Any:
        pid = self._ids.get(id(obj))
        if pid is not None:
            return pid
        if type(obj) is int and obj in self._functions:
            return ("function id", self._functions[obj])  # a memo key: the id of the function as loaded
        return None

    def reducer_override(self, obj: Any) -> Any:
        if type(obj) is CodeType:
            data = marshal.dumps(obj)
            return shared_code, (hashlib.sha256(data).digest(), data)
        if type(obj) is FunctionType:
            # generated code (exec'd in a namespace of its own) is stored by value without asking cloudpickle,
            # whose search of every loaded module for one that might hold it is most of storing a library's time
            if obj.__module__ is not None and _should_pickle_by_reference(obj):
                return NotImplemented  # importable: by name
            return self._function_reduce_lean(obj)
        if type(obj) is CellType and id(obj) in self._closure_cells:
            return CellType, ()  # filled by the state of the function whose closure holds it
        return super().reducer_override(obj)

    def _function_reduce_lean(self, function: FunctionType) -> Any:
        """A function by value, built by FunctionType itself around its own closure cells, created empty; their
        contents, its globals and attributes are its state, set once it exists (a closure reaching back to its
        function, or to a function sharing its cells, finds them). cloudpickle's reduction makes every cell twice
        (an empty one for the function, then the original with its contents, copied over on loading), sets a name,
        module and two empty dicts on every function, and runs its setter over all of it: most of a warm load."""
        code = function.__code__
        namespace = self._namespaces.get(id(function.__globals__))
        if namespace is None:
            namespace = {k: function.__globals__[k] for k in _NAMESPACE_KEYS if k in function.__globals__}
            namespace["__builtins__"] = builtins  # as cloudpickle sets it: not left to the loading frame
            self._namespaces[id(function.__globals__)] = namespace
            self._kept.append(function.__globals__)  # its id stays its own while this pickler lives
        closure = function.__closure__
        contents: tuple[Any, ...] = ()
        if closure is not None:
            self._closure_cells.update(id(cell) for cell in closure)
            self._kept.append(closure)
            contents = tuple(_cell_contents(cell) for cell in closure)
        state, slots = _function_getstate(function)
        # a global name set by an earlier function's state is set in the one namespace they share
        bound = self._bound.setdefault(id(function.__globals__), {})
        names = {k: v for k, v in slots["__globals__"].items() if bound.get(k, _UNSET) is not v}
        bound.update(names)
        attributes = dict(state)
        # annotations are left out: nothing reads them at run time, and each would be a dict of its own
        for name, default in (("__name__", code.co_name), ("__qualname__", code.co_qualname),
                              ("__module__", namespace.get("__name__")), ("__doc__", None), ("__defaults__", None),
                              ("__kwdefaults__", None)):  # fmt: skip
            if slots[name] != default:
                attributes[name] = slots[name]
        submodules = slots["_cloudpickle_submodules"]  # unpickling them imports them; nothing else needs them
        filled = (names or None, contents or None, attributes or None, *((submodules,) if submodules else ()))
        return FunctionType, (code, namespace, None, None, closure), filled, None, None, fill_function


_NAMESPACE_KEYS = ("__package__", "__name__", "__path__", "__file__")  # what relative imports in a function read


class _Unset:
    """The contents of a cell not yet bound when the library was stored."""


_UNSET = _Unset()


def _cell_contents(cell: CellType) -> Any:
    try:
        return cell.cell_contents
    except ValueError:
        return _UNSET


def fill_function(function: FunctionType, state: tuple[Any, ...]) -> None:
    """The state of a function stored by _function_reduce_lean: the globals it reads, its cells' contents, the
    attributes that differ from what FunctionType gives."""
    names, contents, attributes = state[:3]
    if names:
        function.__globals__.update(names)
    if contents:
        for cell, value in zip(function.__closure__ or (), contents, strict=True):
            if value is not _UNSET:
                cell.cell_contents = value
    if attributes:
        for name, value in attributes.items():
            setattr(function, name, value)


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, within: tuple[Stored, ...], terminology: LocalTerminology) -> None:
        super().__init__(file)
        self._within = within
        self._terminology = terminology

    def persistent_load(self, pid: Any) -> Any:
        kind = pid[0]
        if type(kind) is int:
            return self._within[kind].objects[pid[1]]
        if kind == "function id":
            return id(pid[1])
        if kind == "valueset":
            _, url, version, attribute = pid
            vs = self._terminology.find(url, version)
            if vs is None:
                raise pickle.UnpicklingError(f"value set {url} is not in this load's terminology")
            return getattr(vs, attribute) if attribute else vs
        if kind == "global":
            module = sys.modules.get(pid[1]) or importlib.import_module(pid[1])
            return getattr(module, pid[2])
        raise pickle.UnpicklingError(f"unknown persistent id {pid!r}")
