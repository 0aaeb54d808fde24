"""and / or / not / xor / implies and the Boolean null tests; combination goes through runtime.logic."""

from __future__ import annotations

from typing import Any

from ..runtime.logic import Bool3, and3, implies3, not3, or3, xor3


def _bool(value: Any) -> Bool3:
    return value if isinstance(value, bool) else None


def and_(a: Any, b: Any) -> Bool3:
    return and3(_bool(a), _bool(b))


def or_(a: Any, b: Any) -> Bool3:
    return or3(_bool(a), _bool(b))


def xor(a: Any, b: Any) -> Bool3:
    return xor3(_bool(a), _bool(b))


def implies(a: Any, b: Any) -> Bool3:
    return implies3(_bool(a), _bool(b))


def not_(a: Any) -> Bool3:
    return not3(_bool(a))


def is_true(a: Any) -> bool:
    return a is True


def is_false(a: Any) -> bool:
    return a is False
