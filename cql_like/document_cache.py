"""Parsed documents kept on disk: a file's text parsed (and reduced to what its reader keeps) once per text.

A payer's registry reads about a thousand policy.yaml files and twenty thousand value-set JSON files on every
start; parsing them is seconds of a worker's start, and their parsed forms are plain data. An entry is keyed by
the SHA-256 of a key its caller builds from the format of the parsed form and the file's text (or that text's
digest), in the cache directory of the engine's other entries (syntax/cache.py: `CQL_LIKE_CACHE_DIR`), written by
write_checked (atomically, behind its payload's digest): a changed file finds no entry, a corrupt one is parsed
again. The payload is marshal (plain data; nothing runs on loading); a parsed form marshal cannot store (a YAML
timestamp) is simply parsed every time. Errors are never cached: `parse` raises again on the next read.

Every string of an entry is stored interned, which marshal keeps: loading interns it again, so the texts that a
thousand policies copied from a few templates repeat (criteria, questions, code systems, codes) are one object
each in a worker, not one per policy.
"""

from __future__ import annotations

import marshal
import sys
from collections.abc import Callable
from typing import Any

from .syntax.cache import keyed_entry, read_checked, write_checked

FORMAT = b"parsed-document-2"  # bump when an entry's payload changes for the same parsed form (2: interned strings)


def parsed(kind: str, key: bytes, parse: Callable[[], Any]) -> Any:
    """parse(), or what it returned for the same `key` before, from the entry of `kind` (a folder of the cache)."""
    entry = keyed_entry(kind, FORMAT + b"\0" + key, ".marshal")
    if entry is not None:
        payload = read_checked(entry)
        if payload is not None:
            try:
                return marshal.loads(payload)  # noqa: S302 - our own entry, plain data
            except (EOFError, ValueError, TypeError):
                pass  # a foreign entry: parsed and rewritten below
    document = parse()
    if entry is not None:
        try:
            payload = marshal.dumps(_interned(document))
        except ValueError:
            return document
        write_checked(entry, payload)
    return document


def _interned(value: Any) -> Any:
    """`value` with every string in it interned (containers rebuilt; anything else as it is)."""
    kind = type(value)
    if kind is str:
        return sys.intern(value)
    if kind is dict:
        return {_interned(k): _interned(v) for k, v in value.items()}
    if kind in (list, tuple, set, frozenset):
        return kind(_interned(item) for item in value)
    return value
