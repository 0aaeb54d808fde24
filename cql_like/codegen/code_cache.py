"""Code objects of the generated Python, compiled once per text: kept in memory for the process and on disk
(marshal) for the next one.

`builtins.compile` is about a quarter of compiling a policy, and a payer's policies generate largely the same
texts: a define's wrapper, a query loop, a function's memo all follow a few templates, and policies written
from one template (or copies with their own drug codes) produce texts that differ only in the fresh names the
code generator numbers per process (codegen/fused.fresh: `_k12`, `_q7`). A text is therefore cached under its
canonical form, those names renumbered from 0 in order of appearance; the caller's namespace is renamed to
match before `exec`, and what the text defines is handed back under the caller's names. Renaming every
occurrence of an identifier consistently (outside string literals and comments) leaves the program's meaning
unchanged; a text where that is not certain (triple quotes, f-strings, keyword arguments of that form) is
cached under its own text instead. Values never enter a text (constants and value sets are names bound by the
namespace), so a cached code object is shared only by texts that compile to the same code.

On disk: `<cache dir>/code/<sha256>.marshal`, the cache directory of syntax/cache.py (`CQL_LIKE_CACHE_DIR`).
The key hashes the Python version and bytecode magic, this module's format version, the compile mode, the
file name and the canonical text; the entry holds the SHA-256 of its payload, so a truncated or corrupt entry
is a miss (and is rewritten), never a failure. Entries are written to a temporary file and renamed into place
(atomic on POSIX), so workers and releases can share the directory. marshal, unlike pickle, runs no code when
loading; the directory should still be writable only by the service's user.
"""

from __future__ import annotations

import importlib.util
import marshal
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import CodeType
from typing import Any, Literal

from ..syntax.cache import keyed_entry, read_checked, write_checked

FORMAT = b"code-cache-1"  # bump when the entry layout or the canonical form changes
Mode = Literal["exec", "eval"]

# Tokens in the order a reader meets them: string literals and comments are skipped whole, so a name-like text
# inside them is never renamed; a fresh name is `_<letters><digits>` (rename() skips one that is an attribute or
# the tail of a longer name). No lookbehind in the pattern: it would make the scan several times slower.
_TOKEN = re.compile(r"""'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|#[^\n]*|_([a-z]+)\d+\b""")
_ASSIGNED = re.compile(r"\s*=(?!=)")
_FRESH = re.compile(r"_[a-z]+\d+")

_memory: dict[tuple[Mode, str, str], CodeType] = {}


@dataclass
class Counts:
    """What the cache did in this process (for tests and the bench)."""

    memory_hits: int = 0
    disk_hits: int = 0
    compiled: int = 0


counts = Counts()


def forget() -> None:
    """Empty the in-memory layer (tests and benchmarks: the next compile reads the disk or compiles)."""
    _memory.clear()


def canonical(text: str) -> tuple[str, dict[str, str]]:
    """The text with its fresh names renumbered, and the renaming (original -> canonical); an unsafe text is
    returned as it is, with no renaming."""
    if "'''" in text or '"""' in text:
        return text, {}  # a triple-quoted string is not one token of _TOKEN
    renamed: dict[str, str] = {}
    unsafe = False

    def rename(match: re.Match[str]) -> str:
        nonlocal unsafe
        token, prefix, start = match.group(), match.group(1), match.start()
        before = text[start - 1] if start else " "
        if prefix is None:
            if before.isalpha():
                unsafe = True  # a prefixed string literal, perhaps an f-string naming fresh names
            return token
        if before == "." or before == "_" or before.isalnum():
            return token  # an attribute, or the tail of another name
        if _ASSIGNED.match(text, match.end()) and _previous_char(text, start) in "(,":
            unsafe = True  # a keyword argument: the callee's parameter name is not this text's to rename
        new = renamed.get(token)
        if new is None:
            new = renamed[token] = f"_{prefix}{len(renamed)}"
        return new

    code = _TOKEN.sub(rename, text)
    return (text, {}) if unsafe else (code, renamed)


def _previous_char(text: str, index: int) -> str:
    """The last character before `index` that is not white space (a space at the start of the text)."""
    index -= 1
    while index >= 0 and text[index] in " \t\r\n":
        index -= 1
    return text[index] if index >= 0 else " "


def run(text: str, filename: str, names: dict[str, Any]) -> None:
    """`exec(compile(text, filename, "exec"), names)`, the compile served by the cache: afterwards `names` holds
    what the text defined, under the names the text gave them."""
    code_text, renamed = canonical(text)
    code = _code(code_text, filename, "exec")
    if not renamed:
        exec(code, names)  # noqa: S102 - our own generated text
        return
    namespace = _renamed(names, renamed)
    before = set(namespace)
    exec(code, namespace)  # noqa: S102 - our own generated text
    original = {new: old for old, new in renamed.items()}
    for name in namespace.keys() - before:
        names[original.get(name, name)] = namespace[name]


def evaluate(text: str, names: Mapping[str, Any]) -> Any:
    """`eval(text, dict(names))`, the compile served by the cache."""
    code_text, renamed = canonical(text)
    code = _code(code_text, "<string>", "eval")
    return eval(code, _renamed(names, renamed) if renamed else dict(names))  # noqa: S307 - our own generated text


def _renamed(names: Mapping[str, Any], renamed: Mapping[str, str]) -> dict[str, Any]:
    # A fresh name the text does not use is dropped: it could be another one's canonical name.
    namespace: dict[str, Any] = {}
    for name, value in names.items():
        new = renamed.get(name)
        if new is not None:
            namespace[new] = value
        elif not _FRESH.fullmatch(name):
            namespace[name] = value
    return namespace


def _code(text: str, filename: str, mode: Mode) -> CodeType:
    key = (mode, filename, text)
    code = _memory.get(key)
    if code is not None:
        counts.memory_hits += 1
        return code
    entry = _entry(text, filename, mode)
    code = _read(entry) if entry is not None else None
    if code is not None:
        counts.disk_hits += 1
    else:
        counts.compiled += 1
        code = compile(text, filename, mode)
        if entry is not None:
            _write(entry, code)
    _memory[key] = code
    return code


def _entry(text: str, filename: str, mode: Mode) -> Path | None:
    key = b"\0".join([FORMAT, sys.version.encode(), importlib.util.MAGIC_NUMBER, mode.encode(), filename.encode(),
                      text.encode()])  # fmt: skip
    return keyed_entry("code", key, ".marshal")


def _read(entry: Path) -> CodeType | None:
    payload = read_checked(entry)  # None when truncated or corrupt: compiled again and rewritten
    if payload is None:
        return None
    try:
        code = marshal.loads(payload)
    except (EOFError, ValueError, TypeError):
        return None
    return code if isinstance(code, CodeType) else None


def _write(entry: Path, code: CodeType) -> None:
    write_checked(entry, marshal.dumps(code))
