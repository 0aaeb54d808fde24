"""The byte-level nesting check agrees with the depth of the parsed document, strings full of brackets,
quotes and backslashes included (they must not count)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cds_service.hook.request_model import _nested_deeper_than

TRICKY_TEXT = st.text(alphabet='[]{}"\\ aé\u2028', max_size=6)
DOCUMENTS = st.recursive(
    st.none() | st.integers() | TRICKY_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TRICKY_TEXT, inner, max_size=3),
    max_leaves=30,
)


def depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    return 0


@settings(max_examples=300, deadline=None)
@given(DOCUMENTS, st.integers(min_value=0, max_value=12), st.booleans())
def test_byte_check_matches_parsed_depth(document: Any, limit: int, ascii_only: bool) -> None:
    body = json.dumps(document, ensure_ascii=ascii_only, indent=1 if ascii_only else None).encode()
    assert _nested_deeper_than(body, limit) == (depth(document) > limit)


def test_brackets_inside_strings_do_not_count() -> None:
    body = json.dumps({"text": '[[[[{{{{\\"]]'}).encode()
    assert not _nested_deeper_than(body, 1)
    assert _nested_deeper_than(body, 0)
