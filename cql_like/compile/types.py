"""Compile-time types, as strings: `Boolean`, `FHIR.Observation`, `List<FHIR.Condition>`, `Any`.

Only as precise as property resolution and obvious-mismatch checks need; `Any` defers to run time.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ..codegen.fused import Source, join
from ..context import EvaluationContext

Fn = Callable[[EvaluationContext], Any]

SYSTEM_TYPES = frozenset({
    "Any", "Boolean", "Integer", "Long", "Decimal", "String", "Date", "DateTime", "Time",
    "Quantity", "Ratio", "Code", "Concept", "Interval", "Tuple", "ValueSet", "CodeSystem",
})  # fmt: skip
NUMERIC = frozenset({"Integer", "Long", "Decimal"})
TEMPORAL = frozenset({"Date", "DateTime"})


@dataclass(frozen=True, slots=True)
class NodeFacts:
    """What evaluating a node can do, as the compiler decides it: the union of its children's facts and its own.

    A define or function is judged by its body's facts: whether it needs an evidence frame, whether a function is a
    pure function of its arguments (results kept across evaluations), which names a generated loop or function must
    provide. Too broad costs speed; too narrow is wrong, so every fact errs on the broad side."""

    # can note a resource as evidence (a retrieve, a query over items that can be resources, a define or function
    # whose body can)
    adds_evidence: bool = False
    # reads something besides its arguments: the record, the patient, the clock, a parameter, a define's cached value
    reads_context: bool = False
    # alias, let and function-parameter names it reads from the scope (with `$this` of a sort key); a query's
    # include the aliases it binds itself (broader than needed, never wrong)
    reads: frozenset[str] = frozenset()

    def __or__(self, other: NodeFacts) -> NodeFacts:
        if other is NO_FACTS or other == self:
            return self
        if self is NO_FACTS:
            return other
        return NodeFacts(self.adds_evidence or other.adds_evidence, self.reads_context or other.reads_context,
                         self.reads | other.reads)  # fmt: skip

    @staticmethod
    def union(facts: Iterable[NodeFacts]) -> NodeFacts:
        out = NO_FACTS
        for f in facts:
            out = out | f
        return out


NO_FACTS = NodeFacts()  # a literal, a code, a value set: nothing but its value
READS_CONTEXT = NodeFacts(reads_context=True)  # Patient, a parameter, the clock
READS_RECORD = NodeFacts(adds_evidence=True, reads_context=True)  # a retrieve


class Compiled:
    """A compiled expression: its closure, its static type, (for fused nodes) its Python text, and its facts.

    `facts` covers the whole subtree: an emitter states only what its node does itself (`facts=`) and any node it
    builds around others outside `Emitter.compile` (`over=`); `ExprCompiler.compile` adds the facts of every child
    it compiled, so a node returned by `compile` or `sys` carries all of them."""

    __slots__ = ("_fn", "type", "constant", "src", "facts")
    facts: NodeFacts

    def __init__(self, fn: Fn | None, type: str, constant: bool = False, src: Source | None = None, *,
                 facts: NodeFacts = NO_FACTS, over: Iterable[Compiled] = ()) -> None:  # fmt: skip
        if fn is None and src is None:
            raise ValueError("a compiled expression needs a closure or a source")
        self._fn = fn
        self.type = type
        self.constant = constant  # the value never depends on the evaluation (literals, codes)
        self.src = src
        self.facts = NodeFacts.union([facts, *(c.facts for c in over)]) if over else facts

    @property
    def reads(self) -> frozenset[str]:
        """The scope names the node reads (fused.Operand: a closure's reads are names ctx.env must hold)."""
        return self.facts.reads

    @property
    def fn(self) -> Fn:
        if self._fn is None:
            assert self.src is not None
            self._fn = self.src.function()  # only where a closure is needed: parents splice the text instead
        return self._fn

    @classmethod
    def fused(cls, text: str, parts: tuple[Source, ...], type: str, names: dict[str, Any] | None = None, *,
              facts: NodeFacts = NO_FACTS) -> Compiled:  # fmt: skip
        return cls(None, type, src=join(text, parts, names), facts=facts)


def list_of(t: str) -> str:
    return f"List<{t}>"


def is_list(t: str) -> bool:
    return t.startswith("List<")


def element_of(t: str) -> str:
    return t[5:-1] if is_list(t) else "Any"


def is_fhir(t: str) -> bool:
    return t.startswith("FHIR.")


def base_name(t: str) -> str:
    return "Tuple" if is_tuple(t) else t.split("<", 1)[0]


# Tuple types keep their element types, so a FHIR resource read back out of a tuple is still typed
# (`T.request.statusReason` is a list of CodeableConcept): the name spells every element and its type, and
# tuple_elements reads them back from it (no table: equal shapes are equal names).
_TUPLE_OPEN, _TUPLE_CLOSE = "Tuple { ", " }"


def tuple_of(elements: dict[str, str]) -> str:
    if not elements:
        return "Tuple"
    spelled = ", ".join(f"{json.dumps(k, ensure_ascii=False)} {v}" for k, v in elements.items())
    return _TUPLE_OPEN + spelled + _TUPLE_CLOSE


def is_tuple(t: str) -> bool:
    return t == "Tuple" or t.startswith("Tuple {")


def tuple_elements(t: str) -> dict[str, str] | None:
    """Element name -> type, read back from a name tuple_of made; None when the shape is not known at compile
    time ("Tuple", Any)."""
    if not (t.startswith(_TUPLE_OPEN) and t.endswith(_TUPLE_CLOSE)):
        return None
    body, at, elements = t[len(_TUPLE_OPEN) : -len(_TUPLE_CLOSE)], 0, {}
    decoder = json.JSONDecoder()
    while at < len(body):
        name, at = decoder.raw_decode(body, at)  # a quoted element name
        start = at = at + 1
        depth = 0
        while at < len(body) and not (depth == 0 and body.startswith(", ", at)):
            if body[at] == '"':  # a name of a nested tuple: skip it whole (it may hold brackets or commas)
                at = decoder.raw_decode(body, at)[1]
                continue
            depth += body[at] in "<{"
            depth -= body[at] in ">}"
            at += 1
        elements[name] = body[start:at]
        at += 2
    return elements


def comparable(a: str, b: str) -> bool:
    """False only when both types are known and can never be compared or equal."""
    a, b = base_name(a), base_name(b)
    if "Any" in (a, b) or a == b:
        return True
    if a in NUMERIC and b in NUMERIC:
        return True
    if a in TEMPORAL and b in TEMPORAL:
        return True
    if a in ("Code", "Concept") and b in ("Code", "Concept"):
        return True
    if is_fhir(a) or is_fhir(b) or a in ("List", "Interval", "Tuple") or b in ("List", "Interval", "Tuple"):
        return True
    return False


# implicit conversions CQL 1.5 applies without a cast (§"Implicit Conversions"), as static types
_IMPLICIT = {
    ("Integer", "Long"), ("Integer", "Decimal"), ("Long", "Decimal"), ("Integer", "Quantity"),
    ("Decimal", "Quantity"), ("Date", "DateTime"), ("Code", "Concept"),
}  # fmt: skip
_FHIR_TO_SYSTEM = {
    "CodeableConcept": "Concept", "Coding": "Code", "Period": "Interval", "Range": "Interval",
    "Quantity": "Quantity", "SimpleQuantity": "Quantity", "Age": "Quantity", "Duration": "Quantity",
    "Distance": "Quantity", "Count": "Quantity", "MoneyQuantity": "Quantity",
}  # fmt: skip


def assignable(actual: str, declared: str) -> bool:
    """False only when a value of static type `actual` can never be a `declared` (a function's body
    against its `returns`); anything this engine types loosely (Any, choices, Resource) passes."""
    if actual == declared or "Any" in actual or "Any" in declared:
        return True
    if is_list(actual) or is_list(declared):
        if is_list(actual) and is_list(declared):
            return assignable(element_of(actual), element_of(declared))
        return is_list(declared)  # list promotion of one value is implicit; demotion is not
    if is_tuple(actual) or is_tuple(declared):
        return is_tuple(actual) and is_tuple(declared)
    if is_fhir(actual):
        name = actual[5:]
        if is_fhir(declared):
            return name in ("Resource", "DomainResource") or declared[5:] in ("Resource", "DomainResource")
        converted = _FHIR_TO_SYSTEM.get(name)
        return converted is not None and assignable(converted, declared)
    if is_fhir(declared):
        return False
    return base_name(actual) == base_name(declared) or (actual, declared) in _IMPLICIT
