"""policy.yaml parsed once per text: libyaml's C loader, and the parsed document kept on disk.

A payer's registry holds about a thousand policies, and PyYAML's pure-Python loader takes ~20 ms for one policy.yaml:
20 s of a worker's start. The C loader (when PyYAML was built with libyaml) takes a tenth of that; the parsed
document cache (cql_like/document_cache.py) turns a repeat start's parse into reading one small file.
"""

from __future__ import annotations

from typing import Any

import yaml

from cql_like.document_cache import parsed

FORMAT = b"policy-yaml-1"
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the same YAML 1.1 safe schema


def parse_yaml(text: str) -> Any:
    """yaml.safe_load(text), through the cache; raises yaml.YAMLError as safe_load does (errors are not cached)."""
    return parsed("policy-yaml", FORMAT + b"\0" + text.encode(), lambda: yaml.load(text, Loader=_LOADER))  # noqa: S506 - a safe loader, C or Python
