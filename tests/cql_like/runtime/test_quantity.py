"""runtime.quantity: unit conversion within a dimension, null across dimensions."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from cql_like.runtime.quantity import Quantity, add, compare, convert

AMOUNTS = st.decimals(min_value=Decimal("0.001"), max_value=Decimal(100000), places=3)


@given(AMOUNTS)
def test_mg_g_round_trip(amount: Decimal) -> None:
    grams = convert(Quantity(amount, "mg"), "g")
    assert grams is not None
    back = convert(grams, "mg")
    assert back is not None and back.value == amount
    assert compare(Quantity(amount, "mg"), grams) == 0


def test_edge_conversions() -> None:
    assert compare(Quantity(Decimal(1), "mg"), Quantity(Decimal(1), "d")) is None
    assert convert(Quantity(Decimal(1), "mg"), "furlong") is None
    assert compare(Quantity(Decimal(1), "a"), Quantity(Decimal(365), "d")) == 1
    assert compare(Quantity(Decimal(12), "mo"), Quantity(Decimal(1), "a")) == 0
    assert add(Quantity(Decimal(1), "g"), Quantity(Decimal(250), "mg")) == Quantity(Decimal("1.25"), "g")
    assert compare(Quantity(Decimal(960), "mg/d"), Quantity(Decimal("0.96"), "g/d")) == 0
