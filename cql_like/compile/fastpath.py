"""Compile-time fast paths for the commonest query filter: membership of the item's codes in value sets.

`X where X in "VS"`, `C where FHIRHelpers.ToConcept(C.code) in "VS"` and `or`-chains of these over one
alias become one set test per item against the union of the value sets, instead of a chain of closures
(identifier lookup, FHIRHelpers conversion, membership, three-valued `or`) per item. The answer is the
same: for a Code or Concept, `in` is true or false (never null), so `or` of memberships is membership in
the union; a resource's codes at a CodeableConcept path are the (system, code) pairs ToConcept keeps.
"""

from __future__ import annotations

from typing import Any

from ..codegen.query_loop import CodeFilter, KeysOf
from ..context import EvaluationContext
from ..fhir import model
from ..fhir.retrieve import CodeKeys
from ..runtime.clinical import Code, Concept
from ..syntax import nodes as n
from ..terminology import ValueSet
from .host import Emitter, Scope
from .types import is_fhir


def _concept_keys(ctx: EvaluationContext, item: Any) -> CodeKeys | None:
    if type(item) is Concept:
        return item.keys
    if type(item) is Code:
        return frozenset((item.key,))
    return None


def code_filter(exprs: Emitter, where: n.Expr, alias: str, scope: Scope) -> CodeFilter | None:
    """(codes of the item, wanted codes) when `where` is such a membership test, else None."""
    found = _code_filter(exprs, where, alias, scope)
    return None if found is None else (found[1], found[2])


# what an item's codes are read from: the item itself (a Code or Concept), or a resource type and code path
_Source = tuple[str, ...]


def _code_filter(exprs: Emitter, where: n.Expr, alias: str, scope: Scope) -> tuple[_Source, KeysOf, CodeKeys] | None:
    if isinstance(where, n.Binary) and where.op == "or":
        left = _code_filter(exprs, where.left, alias, scope)
        right = _code_filter(exprs, where.right, alias, scope)
        if left is None or right is None or left[0] != right[0]:
            return None
        return left[0], left[1], left[2] | right[2]
    if not isinstance(where, n.Binary) or where.op != "in":
        return None
    keys_of = _keys_getter(exprs, where.left, alias, scope)
    if keys_of is None:
        return None
    container = exprs.compile(where.right, scope)
    if container.type != "ValueSet" or not container.constant:
        return None
    vs: ValueSet = container.fn(None)  # type: ignore[arg-type]  # value set refs are constants
    return keys_of[0], keys_of[1], vs.codes


def _keys_getter(exprs: Emitter, operand: n.Expr, alias: str, scope: Scope) -> tuple[_Source, KeysOf] | None:
    alias_type = scope.get(alias)
    if isinstance(operand, n.Identifier) and operand.name == alias and alias_type in ("Concept", "Code"):
        return ("item",), _concept_keys
    if (
        isinstance(operand, n.Call) and operand.name == "ToConcept" and len(operand.args) == 1
        and isinstance(operand.qualifier, n.Identifier) and exprs.lib.is_library_alias(operand.qualifier.name)
        and exprs.lib.is_fhirhelpers(operand.qualifier.name)
    ):  # fmt: skip
        operand = operand.args[0]
    if not (isinstance(operand, n.Member) and isinstance(operand.source, n.Identifier)):
        return None
    if operand.source.name != alias or alias_type is None or not is_fhir(alias_type):
        return None
    resource_type, path = alias_type[5:], operand.name
    el = model.element(resource_type, path)
    if resource_type not in model.RESOURCE_TYPES or el is None or el.is_list or el.types != ("CodeableConcept",):
        return None
    # `or`-chains over the same element share one getter (the first one's)
    return (resource_type, path), _resource_keys(resource_type, path)


def _resource_keys(resource_type: str, path: str) -> KeysOf:
    def keys_at_path(ctx: EvaluationContext, item: Any) -> CodeKeys | None:
        if type(item) is not dict:
            return None
        return ctx.record.codes_of(resource_type, path, item)

    return keys_at_path
