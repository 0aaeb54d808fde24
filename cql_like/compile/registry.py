"""Declarations of every system function and operator: name, arity, null policy, family, doc.

The compiler checks calls against this table (unknown name or wrong arity is a load-time
error); implementations live in ops/<family>.py. `returns` is a static type name, or `arg0`
(the first argument's type) / `elem0` (the element type of the first argument's list).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..ops import aggregate, conversion, lists, nullological, strings, temporal


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    name: str
    family: str
    min_args: int
    max_args: int | None  # None: variadic
    impl: Callable[..., Any]
    returns: str
    doc: str
    propagate_null: bool = True  # any null argument gives null without calling impl
    needs_context: bool = False  # impl(ctx, *args): reads the clock or the patient


def _f(
    name: str,
    family: str,
    arity: int | tuple[int, int | None],
    impl: Callable[..., Any],
    returns: str,
    doc: str,
    *,
    propagate_null: bool = True,
    needs_context: bool = False,
) -> FunctionSpec:
    lo, hi = (arity, arity) if isinstance(arity, int) else arity
    return FunctionSpec(name, family, lo, hi, impl, returns, doc, propagate_null, needs_context)


_AGE_UNITS = {"year": ("Years", "whole years"), "month": ("Months", "whole months"), "day": ("Days", "days")}


def _age_functions() -> list[FunctionSpec]:
    """AgeIn<Unit>s, AgeIn<Unit>sAt and (years and months) CalculateAgeIn<Unit>sAt: one rule, three units."""

    def today(unit: str) -> Callable[..., Any]:
        return lambda ctx: temporal.age_at(ctx.birth_date, ctx.today, unit)

    def at(unit: str) -> Callable[..., Any]:
        return lambda ctx, d: temporal.age_at(ctx.birth_date, d, unit)

    def between(unit: str) -> Callable[..., Any]:
        return lambda b, d: temporal.age_at(b, d, unit)

    specs = []
    for unit, (plural, measure) in _AGE_UNITS.items():
        specs += [
            _f(f"AgeIn{plural}", "temporal", 0, today(unit), "Integer", f"patient age in {measure} today",
               needs_context=True),
            _f(f"AgeIn{plural}At", "temporal", 1, at(unit), "Integer", f"patient age in {measure} at a date",
               needs_context=True),
        ]  # fmt: skip
    for unit in ("year", "month"):
        plural, measure = _AGE_UNITS[unit]
        specs.append(
            _f(f"CalculateAgeIn{plural}At", "temporal", 2, between(unit), "Integer",
               f"{measure} from a birth date to a date")
        )  # fmt: skip
    return specs


_SPECS = [
    # nullological
    _f(
        "Coalesce",
        "nullological",
        (1, None),
        nullological.coalesce,
        "arg0",
        "first non-null argument (or list element)",
        propagate_null=False,
    ),
    _f(
        "IsNull",
        "nullological",
        1,
        nullological.is_null,
        "Boolean",
        "true when the argument is null",
        propagate_null=False,
    ),
    _f(
        "IsTrue",
        "nullological",
        1,
        lambda x: x is True,
        "Boolean",
        "true when the argument is true",
        propagate_null=False,
    ),
    _f(
        "IsFalse",
        "nullological",
        1,
        lambda x: x is False,
        "Boolean",
        "true when the argument is false",
        propagate_null=False,
    ),
    # lists and aggregates (null lists handled inside)
    _f("Exists", "lists", 1, lists.exists, "Boolean", "the list has a non-null element", propagate_null=False),
    _f("Count", "aggregate", 1, aggregate.count, "Integer", "number of non-null elements", propagate_null=False),
    _f("Sum", "aggregate", 1, aggregate.sum_, "elem0", "sum of non-null elements", propagate_null=False),
    _f("Min", "aggregate", 1, aggregate.min_, "elem0", "smallest non-null element", propagate_null=False),
    _f("Max", "aggregate", 1, aggregate.max_, "elem0", "largest non-null element", propagate_null=False),
    _f("Avg", "aggregate", 1, aggregate.avg, "elem0", "mean of non-null elements", propagate_null=False),
    _f(
        "AllTrue", "aggregate", 1, aggregate.all_true, "Boolean", "every non-null element is true", propagate_null=False
    ),
    _f("AnyTrue", "aggregate", 1, aggregate.any_true, "Boolean", "some element is true", propagate_null=False),
    _f("First", "lists", 1, lists.first, "elem0", "first element", propagate_null=False),
    _f("Last", "lists", 1, lists.last, "elem0", "last element", propagate_null=False),
    _f("Flatten", "lists", 1, lists.flatten, "arg0", "list of lists -> list"),
    _f("Distinct", "lists", 1, lists.distinct, "arg0", "remove duplicates"),
    _f("IndexOf", "lists", 2, lists.index_of, "Integer", "0-based index of an element, -1 when absent"),
    _f("Tail", "lists", 1, lists.tail, "arg0", "all but the first element"),
    _f("Skip", "lists", 2, lists.skip, "arg0", "drop the first n elements"),
    _f("Take", "lists", 2, lists.take, "arg0", "the first n elements"),
    _f(
        "SingletonFrom",
        "lists",
        1,
        lists.singleton,
        "elem0",
        "the only element (error when more)",
        propagate_null=False,
    ),
    # strings
    _f("StartsWith", "strings", 2, strings.starts_with, "Boolean", "string starts with prefix"),
    _f("EndsWith", "strings", 2, strings.ends_with, "Boolean", "string ends with suffix"),
    _f("Matches", "strings", 2, strings.matches, "Boolean", "the whole string matches the regex"),
    _f("Upper", "strings", 1, strings.upper, "String", "upper case"),
    _f("Lower", "strings", 1, strings.lower, "String", "lower case"),
    _f("PositionOf", "strings", 2, strings.position_of, "Integer", "index of pattern in string, -1 when absent"),
    _f("LastPositionOf", "strings", 2, strings.last_position_of, "Integer", "last index of pattern, -1 when absent"),
    _f("Length", "strings", 1, strings.length, "Integer", "length of a string or list"),
    _f("Split", "strings", 2, strings.split, "List<String>", "split a string on a separator"),
    _f("SplitOnMatches", "strings", 2, strings.split_on_matches, "List<String>", "split where a regex matches"),
    _f(
        "ReplaceMatches",
        "strings",
        3,
        strings.replace_matches,
        "String",
        "replace every regex match ($1, $& in the substitution)",
    ),
    _f("Combine", "strings", (1, 2), strings.combine, "String", "join strings, skipping nulls"),
    _f("Substring", "strings", (2, 3), strings.substring, "String", "substring from start (0-based)"),
    _f("Concatenate", "strings", (1, None), strings.concatenate, "String", "join strings (null when any is null)"),
    # conversions (FHIRHelpers conversions apply to the argument first)
    _f("ToString", "conversion", 1, conversion.to_string, "String", "string form"),
    _f("ToDecimal", "conversion", 1, conversion.to_decimal, "Decimal", "Decimal or null"),
    _f("ToInteger", "conversion", 1, conversion.to_integer, "Integer", "Integer or null"),
    _f("ToBoolean", "conversion", 1, conversion.to_boolean, "Boolean", "Boolean or null"),
    _f("ToDate", "conversion", 1, conversion.to_date, "Date", "Date or null"),
    _f("ToDateTime", "conversion", 1, conversion.to_datetime, "DateTime", "DateTime or null"),
    _f("ToQuantity", "conversion", 1, conversion.to_quantity, "Quantity", "Quantity or null"),
    _f("ToConcept", "conversion", 1, conversion.to_concept, "Concept", "Concept from Code(s)"),
    _f("ToCode", "conversion", 1, conversion.to_code, "Code", "Code or null"),
    _f("ToInterval", "conversion", 1, conversion.to_interval, "Interval", "Interval or null"),
    _f("ToList", "conversion", 1, conversion.to_list, "List<Any>", "wrap a value in a list", propagate_null=False),
    # temporal
    _f("Today", "temporal", 0, lambda ctx: ctx.today, "Date", "the evaluation date", needs_context=True),
    _f("Now", "temporal", 0, lambda ctx: ctx.now, "DateTime", "the evaluation instant", needs_context=True),
    _f("Date", "temporal", (1, 3), temporal.date, "Date", "Date(year, month, day)"),
    _f("DateTime", "temporal", (1, 7), temporal.datetime_, "DateTime", "DateTime(year, ...)"),
    *_age_functions(),
]

SYSTEM_FUNCTIONS: dict[str, FunctionSpec] = {s.name: s for s in _SPECS}

# FHIRHelpers 4.0.1 functions: the argument gets the implicit FHIR -> System conversion, then this
FHIRHELPERS_FUNCTIONS: dict[str, FunctionSpec] = {
    name: SYSTEM_FUNCTIONS[name]
    for name in (
        "ToString",
        "ToDecimal",
        "ToInteger",
        "ToBoolean",
        "ToDate",
        "ToDateTime",
        "ToQuantity",
        "ToConcept",
        "ToCode",
        "ToInterval",
    )  # fmt: skip
}
FHIRHELPERS_FUNCTIONS = {**FHIRHELPERS_FUNCTIONS, "ToTime": SYSTEM_FUNCTIONS["ToString"]}

# Binary operators by node op name: family and one-line doc (implementations wired in the compiler)
OPERATORS: dict[str, tuple[str, str]] = {
    "and": ("logical", "three-valued and"), "or": ("logical", "three-valued or"),
    "xor": ("logical", "three-valued exclusive or"), "implies": ("logical", "three-valued implication"),
    "equal": ("comparison", "= (null when either side is null)"),
    "not_equal": ("comparison", "!= (null when either side is null)"),
    "equivalent": ("comparison", "~ (never null)"), "not_equivalent": ("comparison", "!~ (never null)"),
    "less": ("comparison", "<"), "less_or_equal": ("comparison", "<="), "greater": ("comparison", ">"),
    "greater_or_equal": ("comparison", ">="), "add": ("arithmetic", "+"), "subtract": ("arithmetic", "-"),
    "multiply": ("arithmetic", "*"), "divide": ("arithmetic", "/"), "truncated_divide": ("arithmetic", "div"),
    "modulo": ("arithmetic", "mod"), "power": ("arithmetic", "^"), "concatenate": ("strings", "& (null as '')"),
    "union": ("lists", "union"), "intersect": ("lists", "intersect"), "except": ("lists", "except"),
    "in": ("membership", "in list / interval / value set"), "contains": ("membership", "contains"),
}  # fmt: skip


def reference() -> str:
    """The language reference, generated from the declarations."""
    lines = ["| function | family | arguments | returns | description |", "|---|---|---|---|---|"]
    for spec in sorted(SYSTEM_FUNCTIONS.values(), key=lambda s: (s.family, s.name)):
        arity = f"{spec.min_args}" if spec.min_args == spec.max_args else f"{spec.min_args}..{spec.max_args or 'n'}"
        lines.append(f"| {spec.name} | {spec.family} | {arity} | {spec.returns} | {spec.doc} |")
    return "\n".join(lines)
