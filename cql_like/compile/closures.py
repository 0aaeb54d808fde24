"""Plain closures for the nodes the generated backend fuses into text: the "closures" backend's building block.

Under backend="closures" (host.Backend) an emitter whose generated form is `impl(operands...)` spliced as text
builds `calling(impl, operands)` instead: the same implementation, called with its operands' values, with no
Python text made or evaluated.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..context import EvaluationContext
from .types import Fn


def calling(impl: Callable[..., Any], operands: Sequence[Fn], *, with_ctx: bool = False,
            propagate_null: bool = False) -> Fn:  # fmt: skip
    """`impl([ctx,] a, b, ...)` of the operands' values, each operand evaluated once, left to right.

    `propagate_null`: null when any operand is null (every operand is still evaluated, as each may add evidence)."""
    fns = tuple(operands)
    if len(fns) == 1 and not propagate_null:
        (x,) = fns
        if with_ctx:
            return lambda ctx: impl(ctx, x(ctx))
        return lambda ctx: impl(x(ctx))
    if len(fns) == 2 and not propagate_null and not with_ctx:
        a, b = fns
        return lambda ctx: impl(a(ctx), b(ctx))

    def call(ctx: EvaluationContext) -> Any:
        values = [f(ctx) for f in fns]
        if propagate_null and any(v is None for v in values):
            return None
        return impl(ctx, *values) if with_ctx else impl(*values)

    return call
