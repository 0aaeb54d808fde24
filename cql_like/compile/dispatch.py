"""The dispatch table: syntax node type -> the emitter that compiles it.

Adding a node type means adding its class to syntax/nodes.py, an `emit_x(ec, node, scope)` function in the module
of its family, and one row here. A node type without a row is reported as `unsupported`, never skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..syntax import nodes as n
from . import operators, queries, selectors, timing, type_ops
from .host import Emitter, Scope
from .types import Compiled

EmitFn = Callable[[Emitter, Any, Scope], Compiled]

EMITTERS: Mapping[type, EmitFn] = {
    # literals and selectors
    n.Literal: operators.emit_literal,
    n.QuantityLiteral: operators.emit_quantity_literal,
    n.IntervalSelector: selectors.emit_interval_selector,
    n.ListSelector: selectors.emit_list_selector,
    n.TupleSelector: selectors.emit_tuple_selector,
    n.InstanceSelector: selectors.emit_instance_selector,
    n.CodeSelector: selectors.emit_code_selector,
    n.ConceptSelector: selectors.emit_concept_selector,
    # names and calls
    n.Identifier: operators.emit_identifier,
    n.Member: operators.emit_member,
    n.Indexer: operators.emit_indexer,
    n.Call: operators.emit_call,
    # operators
    n.Unary: operators.emit_unary,
    n.Binary: operators.emit_binary,
    n.NullTest: operators.emit_null_test,
    n.Between: operators.emit_between,
    n.DurationBetween: operators.emit_duration_between,
    n.IfThenElse: operators.emit_if_then_else,
    n.Case: operators.emit_case,
    n.Timing: timing.emit_timing,
    # types
    n.TypeOp: type_ops.emit_type_op,
    n.Convert: type_ops.emit_convert,
    # retrieves and queries
    n.Retrieve: queries.emit_retrieve,
    n.Query: queries.emit_query,
}
