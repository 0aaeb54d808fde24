"""The parsed document cache: a text parsed once is read back from its entry, a corrupt entry is parsed again and
rewritten, errors are never kept, and with the cache off every read parses."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from cql_like.document_cache import parsed
from cql_like.syntax import cache as syntax_cache


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(syntax_cache.ENV_VAR, str(tmp_path / "cache"))
    return tmp_path / "cache"


def _counting(result: object) -> tuple[list[int], Callable[[], object]]:
    calls: list[int] = []

    def parse() -> object:
        calls.append(1)
        return result

    return calls, parse


def test_a_text_is_parsed_once_and_read_back(cache_dir: Path) -> None:
    calls, parse = _counting({"a": [1, ("b", frozenset({"c"}))]})
    first = parsed("kind", b"key", parse)
    again = parsed("kind", b"key", parse)
    assert again == first == {"a": [1, ("b", frozenset({"c"}))]}
    assert len(calls) == 1
    assert parsed("kind", b"other key", parse) == first and len(calls) == 2


def test_a_corrupt_entry_is_parsed_again_and_rewritten(cache_dir: Path) -> None:
    calls, parse = _counting(["value"])
    parsed("kind", b"key", parse)
    [entry] = (cache_dir / "kind").iterdir()
    entry.write_bytes(entry.read_bytes()[:-1])
    assert parsed("kind", b"key", parse) == ["value"] and len(calls) == 2
    assert parsed("kind", b"key", parse) == ["value"] and len(calls) == 2


def test_errors_are_not_kept_and_unstorable_values_are_parsed_every_time(cache_dir: Path) -> None:
    def broken() -> object:
        raise ValueError("not a document")

    with pytest.raises(ValueError, match="not a document"):
        parsed("kind", b"key", broken)
    calls, parse = _counting([object()])  # marshal cannot store it
    parsed("kind", b"key", parse)
    parsed("kind", b"key", parse)
    assert len(calls) == 2


def test_with_the_cache_off_every_read_parses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(syntax_cache.ENV_VAR, "off")
    calls, parse = _counting("document")
    assert parsed("kind", b"key", parse) == parsed("kind", b"key", parse) == "document"
    assert len(calls) == 2


def test_strings_read_back_are_one_object_across_entries(cache_dir: Path) -> None:
    def parse(number: int) -> object:
        return {"text": "".join(["shared ", "criterion"]), "codes": frozenset({("".join(["sys", "tem"]), str(number))})}

    parsed("kind", b"one", lambda: parse(1))
    parsed("kind", b"two", lambda: parse(2))
    one, two = parsed("kind", b"one", lambda: parse(1)), parsed("kind", b"two", lambda: parse(2))
    assert one["text"] is two["text"]
    [(system_one, _)], [(system_two, _)] = one["codes"], two["codes"]
    assert system_one is system_two
