"""Parsed documents kept on disk: a file's text parsed (and reduced to what its reader keeps) once per text.

A payer's registry reads about a thousand policy.yaml files and twenty thousand value-set JSON files on every
start; parsing them is seconds of a worker's start, and their parsed forms are plain data. An entry is keyed by
the SHA-256 of a key its caller builds from the format of the parsed form and the file's text (or that text's
digest), in the cache directory of the engine's other entries (syntax/cache.py: `CQL_LIKE_CACHE_DIR`), written by
write_checked (atomically, behind its payload's digest): a changed file finds no entry, a corrupt one is parsed
again. The payload is marshal (plain data; nothing runs on loading); a parsed form marshal cannot store (a YAML
timestamp) is simply parsed every time. Errors are never cached: `parse` raises again on the next read.
"""

from __future__ import annotations

import marshal
from collections.abc import Callable
from typing import Any

from .syntax.cache import keyed_entry, read_checked, write_checked


def parsed(kind: str, key: bytes, parse: Callable[[], Any]) -> Any:
    """parse(), or what it returned for the same `key` before, from the entry of `kind` (a folder of the cache)."""
    entry = keyed_entry(kind, key, ".marshal")
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
            payload = marshal.dumps(document)
        except ValueError:
            return document
        write_checked(entry, payload)
    return document
