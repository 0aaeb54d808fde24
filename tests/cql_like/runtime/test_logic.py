"""runtime.logic: the three-valued operators obey the CQL tables and the usual laws."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from cql_like.runtime.logic import Bool3, all3, and3, any3, implies3, not3, or3, short_circuit_text, xor3

VALUES: list[Bool3] = [True, False, None]


@pytest.mark.parametrize(("a", "b"), list(itertools.product(VALUES, VALUES)))
def test_de_morgan_and_commutativity(a: Bool3, b: Bool3) -> None:
    assert and3(a, b) == and3(b, a)
    assert or3(a, b) == or3(b, a)
    assert not3(and3(a, b)) == or3(not3(a), not3(b))
    assert not3(or3(a, b)) == and3(not3(a), not3(b))
    assert implies3(a, b) == or3(not3(a), b)
    assert xor3(a, b) == (None if a is None or b is None else a != b)


def test_non_booleans_count_as_unknown() -> None:
    assert and3(True, "yes") is None  # type: ignore[arg-type]
    assert or3(False, 1) is None  # type: ignore[arg-type]
    assert and3(False, "yes") is False  # type: ignore[arg-type]


def test_all_and_any_over_lists() -> None:
    assert all3([True, None]) is None
    assert all3([True, None, False]) is False
    assert all3([]) is True
    assert any3([False, None]) is None
    assert any3([None, True]) is True
    assert any3([]) is False


@pytest.mark.parametrize(("op", "table"), [("and", and3), ("or", or3)])
def test_the_generated_text_of_and_and_or_is_their_table(op: str, table: Callable[[Bool3, Bool3], Bool3]) -> None:
    text = short_circuit_text(op, "_a", "left", "_b", "right")
    for left, right in itertools.product([True, False, None], repeat=2):
        assert eval(text, {"left": left, "right": right}) is table(left, right)  # noqa: S307 - our own text
