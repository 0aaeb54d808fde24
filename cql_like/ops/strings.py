"""String functions (CQL 1.5 §17); a null argument gives null."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=256)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def starts_with(s: str, prefix: str) -> bool:
    return s.startswith(prefix)


def ends_with(s: str, suffix: str) -> bool:
    return s.endswith(suffix)


def matches(s: str, pattern: str) -> bool:
    return _regex(pattern).fullmatch(s) is not None


# The reference engine (cql-execution) is JavaScript: ReplaceMatches replaces every match and reads `$n`, `$&` and
# `$$` in the replacement; SplitOnMatches is String.split(RegExp), which keeps capturing groups (unmatched ones as
# undefined, here None). Policies keep to the regex subset both dialects read alike (docs: cql_like/README.md).
_JS_REPLACEMENT = re.compile(r"\$(\$|&|[0-9]{1,2})")


def _expand_js_replacement(template: str, match: re.Match[str]) -> str:
    groups = match.re.groups

    def one(ref: re.Match[str]) -> str:
        token = ref.group(1)
        if token == "$":
            return "$"
        if token == "&":
            return match.group(0)
        if len(token) == 2 and not 0 < int(token) <= groups:  # JS reads "$12" as $1 then "2" when there is no 12th
            return one(_JS_REPLACEMENT.match("$" + token[0]) or ref) + token[1] if int(token[0]) else ref.group(0)
        number = int(token)
        return (match.group(number) or "") if 0 < number <= groups else ref.group(0)

    return _JS_REPLACEMENT.sub(one, template)


def replace_matches(s: str, pattern: str, substitution: str) -> str:
    template = substitution.replace("\\$", "$")  # cql-execution first turns an escaped `\$` into `$`
    if "$" not in template:
        return _regex(pattern).sub(lambda _match: template, s)
    return _regex(pattern).sub(lambda match: _expand_js_replacement(template, match), s)


def split_on_matches(s: str, pattern: str) -> list[str | None]:
    return _regex(pattern).split(s)


def upper(s: str) -> str:
    return s.upper()


def lower(s: str) -> str:
    return s.lower()


def position_of(pattern: str, s: str) -> int:
    return s.find(pattern)


def last_position_of(pattern: str, s: str) -> int:
    return s.rfind(pattern)


def length(x: Any) -> int:
    return len(x)


def split(s: str, separator: str) -> list[str]:
    return s.split(separator) if separator else [s]


def combine(items: list[Any], separator: str | None = None) -> str | None:
    parts = [str(x) for x in items if x is not None]
    return (separator or "").join(parts)


def substring(s: str, start: int, length_: int | None = None) -> str | None:
    if start < 0 or start >= len(s):
        return None
    return s[start:] if length_ is None else s[start : start + length_]


def concatenate(*parts: str) -> str:
    return "".join(parts)
