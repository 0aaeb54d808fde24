"""Parsed libraries kept on disk, so a worker that loads many policies parses each CQL file once per release.

Parsing is about two thirds of loading a policy (lark's LALR parse and the tree transform), and its result, the
syntax tree of `nodes.py`, is plain frozen dataclasses: it pickles. An entry is keyed by the SHA-256 of the engine's
syntax code (grammar, parser, nodes), the Python version and the file's text. The tree's source locations are
stored without their file name and take the loading file's, so a release in a new directory, or a policy copied to
another folder, reads the same entry. A changed file, grammar or engine finds no entry and parses afresh; entries
are never updated in place, so stale ones are simply never read again. Everything that depends on value sets or
included libraries is compiled after the parse, on every load, so no entry can disagree with them.

Safe to share between processes: an entry is written to a temporary file in the same directory and renamed into
place (atomic on POSIX), so a reader sees a whole entry or none; an unreadable entry is ignored and rewritten.
The directory must be writable only by the service's own user: entries are pickles, and loading a pickle runs code.
It is created owner-only, and one that another user owns or may write is not used (the cache is then off).

The same directory holds other kinds of entries under their own folders (codegen/code_cache.py: compiled code;
compiled_cache.py: compiled libraries; the service's parsed policy metadata), each written by write_checked: its
payload behind its SHA-256.

Where: `CQL_LIKE_CACHE_DIR` if set (empty or `off` turns the cache off), else `$XDG_CACHE_HOME/cql_like` or
`~/.cache/cql_like`.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import logging
import os
import pickle
import stat
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from ..errors import SourceLocation
from . import nodes as n
from .parser import parse_text

ENV_VAR = "CQL_LIKE_CACHE_DIR"
log = logging.getLogger("cql_like.cache")
_ENGINE_FILES = ("grammar.lark", "parser.py", "nodes.py", "cache.py")


@functools.cache
def engine_fingerprint() -> str:
    """What a parsed tree depends on besides the text: this package's code and the Python version."""
    digest = hashlib.sha256(sys.version.encode())
    here = Path(__file__).parent
    for name in _ENGINE_FILES:
        digest.update(name.encode() + b"\0" + (here / name).read_bytes() + b"\0")
    return digest.hexdigest()


def default_directory() -> Path | None:
    """The cache directory, or None when the cache is off or the directory is not private to this user."""
    configured = os.environ.get(ENV_VAR)
    if configured is not None:
        if configured.strip() in ("", "off"):
            return None
        directory = Path(configured)
    else:
        directory = Path(os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")) / "cql_like"
    return directory if _private(str(directory)) else None


@functools.lru_cache(maxsize=32)
def _private(directory: str) -> bool:
    """Created owner-only when missing; an existing one is used only when this user owns it and nobody else may
    write it: its entries are pickles and code objects, and loading them runs them. Checked once per directory."""
    path = Path(directory)
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        status = path.stat()
    except OSError as exc:
        log.warning("cql_like cache off: cannot use %s (%s)", path, exc.strerror)
        return False
    if status.st_uid != os.geteuid() or status.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        log.warning("cql_like cache off: %s is writable by other users or not owned by this one", path)
        return False
    return True


def keyed_entry(kind: str, key: bytes, suffix: str) -> Path | None:
    """Where the cache keeps the entry of `kind` for `key` (hashed), or None when the cache is off."""
    directory = default_directory()
    if directory is None:
        return None
    return directory / kind / f"{hashlib.sha256(key).hexdigest()}{suffix}"


def read_checked(entry: Path) -> bytes | None:
    """The payload of an entry written by write_checked; None when it is absent, truncated or corrupt."""
    try:
        data = entry.read_bytes()
    except OSError:
        return None
    payload = data[_DIGEST_SIZE:]
    if len(data) <= _DIGEST_SIZE or hashlib.sha256(payload).digest() != data[:_DIGEST_SIZE]:
        return None
    return payload


def write_checked(entry: Path, payload: bytes) -> None:
    """The payload behind its SHA-256, written atomically; a read-only or full disk only costs a later miss."""
    _replace_atomically(entry, lambda f: f.write(hashlib.sha256(payload).digest() + payload))


_DIGEST_SIZE = 32


class ParseCache:
    """parse(text, file) through an on-disk cache; `directory=None` parses every time."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self.hits = 0
        self.misses = 0

    @classmethod
    def from_environment(cls) -> ParseCache:
        return cls(default_directory())

    def entry(self, text: str) -> Path | None:
        if self.directory is None:
            return None
        digest = hashlib.sha256(f"{engine_fingerprint()}\0".encode() + text.encode())
        return self.directory / "syntax" / f"{digest.hexdigest()}.pickle"

    def parse(self, text: str, file: str) -> n.LibrarySource:
        """The syntax tree of `text`; raises CqlError like parse_text (errors are never cached)."""
        entry = self.entry(text)
        if entry is not None:
            cached = _read(entry, file)
            if cached is not None:
                self.hits += 1
                return cached
        self.misses += 1
        tree = parse_text(text, file)
        if entry is not None:
            _write(entry, tree)
        return tree


class _Pickler(pickle.Pickler):
    """Stores a source location as (line, column): every location in a parsed tree is in the parsed file."""

    def persistent_id(self, obj: Any) -> Any:
        return (obj.line, obj.column) if type(obj) is SourceLocation else None


class _Unpickler(pickle.Unpickler):
    def __init__(self, f: Any, file: str) -> None:
        super().__init__(f)
        self.file = file

    def persistent_load(self, pid: Any) -> SourceLocation:
        line, column = pid
        return SourceLocation(self.file, line, column)


def _read(entry: Path, file: str) -> n.LibrarySource | None:
    try:
        with entry.open("rb") as f:
            tree = _Unpickler(f, file).load()  # our own entries, in a directory only this service writes
    except FileNotFoundError:
        return None
    except Exception:  # noqa: BLE001 - a truncated or foreign entry is a miss, never a failure
        return None
    if not isinstance(tree, n.LibrarySource):
        return None
    return tree if tree.file == file else dataclasses.replace(tree, file=file)


def _write(entry: Path, tree: n.LibrarySource) -> None:
    _replace_atomically(entry, lambda f: _Pickler(f, protocol=pickle.HIGHEST_PROTOCOL).dump(tree))


def _replace_atomically(entry: Path, write: Callable[[IO[bytes]], object]) -> None:
    temporary: Path | None = None
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("wb", dir=entry.parent, prefix=".tmp-", delete=False) as f:
            temporary = Path(f.name)
            write(f)
        os.replace(temporary, entry)  # atomic: a concurrent reader sees the old state or the whole entry
    except OSError:
        if temporary is not None:
            temporary.unlink(missing_ok=True)  # a read-only or full disk only costs the next load a miss
