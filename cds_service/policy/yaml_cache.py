"""policy.yaml parsed once per text: libyaml's C loader, and the parsed document kept on disk.

A payer's registry holds about a thousand policies, and PyYAML's pure-Python loader takes ~20 ms for one policy.yaml:
20 s of a worker's start. The C loader (when PyYAML was built with libyaml) takes a tenth of that; the cache
turns a repeat start's parse into reading one small file. An entry is keyed by the SHA-256 of this format and the
file's text, in the cache directory the engine keeps its parsed CQL and compiled code in (`CQL_LIKE_CACHE_DIR`,
cql_like/syntax/cache.py), written atomically behind its payload's digest: a changed file finds no entry, a corrupt
entry is parsed again. The payload is marshal (plain data, nothing run on loading); a document holding a value
marshal cannot store (a YAML timestamp) is simply parsed every time.
"""

from __future__ import annotations

import marshal
from typing import Any

import yaml

from cql_like.syntax.cache import keyed_entry, read_checked, write_checked

FORMAT = b"policy-yaml-1"
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the same YAML 1.1 safe schema


def parse_yaml(text: str) -> Any:
    """yaml.safe_load(text), through the cache; raises yaml.YAMLError as safe_load does (errors are not cached)."""
    entry = keyed_entry("policy-yaml", FORMAT + b"\0" + text.encode(), ".marshal")
    if entry is not None:
        payload = read_checked(entry)
        if payload is not None:
            try:
                return marshal.loads(payload)
            except (EOFError, ValueError, TypeError):
                pass  # a foreign entry: parsed and rewritten below
    document = yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader, C or Python
    if entry is not None:
        try:
            payload = marshal.dumps(document)
        except ValueError:
            return document
        write_checked(entry, payload)
    return document
