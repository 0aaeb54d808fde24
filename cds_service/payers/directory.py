"""Payer routing: the one Coverage in force -> its payor Organization -> configured payer + line of business.

A Coverage is in force on a date when its status is active (or absent) and its period holds the date. Exactly
one in force: the call is routed on it. Several: 400 (CRD hook-13). None, but the patient has Coverages with a
payer served here: routed on the most recent one and every order is answered not-covered with reason
`no-active-coverage` (resp-45). No Coverage at all: 400 (hook-13).

A Coverage's line of business comes from the payer's rules (Coverage.type / Coverage.class); a Coverage no
rule places has no line (None) unless the payer names a `default`: it never silently becomes Commercial.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from cql_like.fhir.references import contained

from ..gather.record import GatheredData, payor_organization_id
from ..hook.errors import BadRequestError, PreconditionFailedError

LINES_OF_BUSINESS = ("medicaid", "marketplace", "commercial", "fehb", "medicare", "dual")
"""Lines a payers file may name; a policy covers the ones its policy.yaml lists (medicare and dual: none today)."""
COVERED_CODES = ("covered", "not-covered", "conditional")
PA_CODES = ("no-auth", "auth-needed", "satisfied", "performpa", "conditional")


class PayerConfigError(ValueError):
    """The payers file is unreadable or does not match the documented schema."""


@dataclass(frozen=True)
class LineRule:
    line: str
    type_systems: tuple[str, ...] = ()
    type_code_prefix: str | None = None
    class_type: str | None = None
    class_value_prefix: str | None = None

    def matches(self, coverage: Mapping[str, Any]) -> bool:
        if self.type_code_prefix is not None:
            return any(
                (not self.type_systems or system in self.type_systems) and code.startswith(self.type_code_prefix)
                for system, code in _codings(coverage.get("type"))
            )
        if self.class_type is not None:
            prefix = (self.class_value_prefix or "").upper()
            for cls in _list(coverage.get("class")):
                types = {code for _, code in _codings(cls.get("type"))}
                value = cls.get("value")
                if self.class_type in types and isinstance(value, str) and value.upper().startswith(prefix):
                    return True
        return False


@dataclass(frozen=True)
class Payer:
    key: str
    label: str
    identifiers: frozenset[tuple[str, str]]
    real_time_determination: bool
    default_covered: str
    default_pa_needed: str
    default_line: str | None
    line_rules: tuple[LineRule, ...]
    order_defaults: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    """Resource type of a non-drug order -> (covered, pa-needed) it gets; others get the no-policy default."""

    def default_for(self, resource_type: str) -> tuple[str, str]:
        return self.order_defaults.get(resource_type, (self.default_covered, self.default_pa_needed))

    def line_of_business(self, coverage: Mapping[str, Any]) -> str | None:
        for rule in self.line_rules:
            if rule.matches(coverage):
                return rule.line
        return self.default_line


@dataclass(frozen=True)
class PayerRoute:
    """Who pays for this patient's orders, under which line of business, through which Coverage."""

    payer: Payer
    line_of_business: str | None  # None: the payer's rules cannot place the Coverage
    coverage: Mapping[str, Any]
    coverage_reference: str
    not_in_force: str | None = None  # why the Coverage is not in force on the date of the call, if it is not


class PayerDirectory:
    def __init__(self, payers: Iterable[Payer]) -> None:
        self.payers = {payer.key: payer for payer in payers}
        self._by_identifier = {ident: payer for payer in self.payers.values() for ident in payer.identifiers}

    @classmethod
    def load(cls, path: Path) -> PayerDirectory:
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise PayerConfigError(f"{path}: cannot read payers file: {exc}") from exc
        if not isinstance(raw, dict) or not isinstance(raw.get("payers"), list):
            raise PayerConfigError(f"{path}: expected a top-level 'payers' list")
        return cls(_parse_payer(path, index, entry) for index, entry in enumerate(raw["payers"]))

    def by_identifiers(self, identifiers: Iterable[tuple[str, str]]) -> Payer | None:
        for identifier in identifiers:
            payer = self._by_identifier.get(identifier)
            if payer is not None:
                return payer
        return None


def _parse_payer(path: Path, index: int, entry: Any) -> Payer:
    where = f"{path}: payers[{index}]"
    if not isinstance(entry, dict):
        raise PayerConfigError(f"{where}: expected a mapping")
    try:
        key, label = str(entry["key"]), str(entry["label"])
        identifiers = frozenset(_split_identifier(where, raw) for raw in entry["identifiers"])
    except KeyError as exc:
        raise PayerConfigError(f"{where}: missing {exc.args[0]!r}") from None
    covered, pa_needed = _code_pair(f"{where}: no_policy_default", entry.get("no_policy_default") or {})
    raw_defaults = entry.get("order_defaults") or {}
    if not isinstance(raw_defaults, dict):
        raise PayerConfigError(f"{where}: order_defaults must map a resource type to {{covered, pa_needed}}")
    order_defaults = {
        str(kind): _code_pair(f"{where}: order_defaults.{kind}", pair) for kind, pair in raw_defaults.items()
    }
    lob = entry.get("line_of_business") or {}
    default_line = str(lob["default"]) if lob.get("default") is not None else None
    rules = tuple(_parse_rule(f"{where}.line_of_business", rule) for rule in lob.get("rules") or ())
    for line in (*([default_line] if default_line else []), *(rule.line for rule in rules)):
        if line not in LINES_OF_BUSINESS:
            raise PayerConfigError(f"{where}: line of business {line!r} is not one of {LINES_OF_BUSINESS}")
    return Payer(
        key=key,
        label=label,
        identifiers=identifiers,
        real_time_determination=bool(entry.get("real_time_determination", True)),
        default_covered=covered,
        default_pa_needed=pa_needed,
        default_line=default_line,
        line_rules=rules,
        order_defaults=order_defaults,
    )


def _code_pair(where: str, raw: Any) -> tuple[str, str]:
    if not isinstance(raw, dict):
        raise PayerConfigError(f"{where}: expected {{covered, pa_needed}}")
    covered = str(raw.get("covered", "covered"))
    pa_needed = str(raw.get("pa_needed", "no-auth"))
    if covered not in COVERED_CODES or pa_needed not in PA_CODES:
        raise PayerConfigError(f"{where}: {covered}/{pa_needed} is not a CRD code pair")
    return covered, pa_needed


def _parse_rule(where: str, raw: Any) -> LineRule:
    if not isinstance(raw, dict) or "line" not in raw:
        raise PayerConfigError(f"{where}: each rule needs 'line' and a condition")
    if "coverage_type" in raw:
        cond = raw["coverage_type"]
        return LineRule(
            line=str(raw["line"]),
            type_systems=tuple(str(s) for s in cond.get("systems") or ()),
            type_code_prefix=str(cond["code_prefix"]),
        )
    if "coverage_class" in raw:
        cond = raw["coverage_class"]
        return LineRule(
            line=str(raw["line"]),
            class_type=str(cond["type"]),
            class_value_prefix=str(cond.get("value_prefix", "")),
        )
    raise PayerConfigError(f"{where}: rule for {raw['line']!r} needs coverage_type or coverage_class")


def _split_identifier(where: str, raw: Any) -> tuple[str, str]:
    system, sep, value = str(raw).rpartition("|")
    if not sep or not value:
        raise PayerConfigError(f"{where}: identifier {raw!r} must be 'system|value'")
    return system, value


def _list(value: Any) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _codings(concept: Any) -> list[tuple[str, str]]:
    if not isinstance(concept, Mapping):
        return []
    return [
        (str(c.get("system", "")), c["code"]) for c in _list(concept.get("coding")) if isinstance(c.get("code"), str)
    ]


def identifiers_of(organization_or_reference: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(system, value) pairs of an Organization, or of a logical Reference's `identifier`."""
    found = []
    raw = organization_or_reference.get("identifier")
    for ident in raw if isinstance(raw, list) else [raw]:
        if isinstance(ident, Mapping) and isinstance(ident.get("value"), str):
            found.append((str(ident.get("system", "")), ident["value"]))
    return found


@dataclass(frozen=True)
class CoverageChoice:
    coverage: Mapping[str, Any]
    not_in_force: str | None  # None: in force on the date asked; else why not, for the card and reason text


def choose_coverage(coverages: Sequence[Mapping[str, Any]], on: date) -> CoverageChoice:
    """The one Coverage in force on `on`; if none is, the most recent one with why it is not."""
    unique = {str(c.get("id")): c for c in coverages}
    if not unique:
        raise BadRequestError("no Coverage was found for the patient")
    in_force = [c for c in unique.values() if not_in_force(c, on) is None]
    if len(in_force) > 1:
        raise BadRequestError(f"{len(in_force)} Coverages are in force; exactly one is required")
    if in_force:
        return CoverageChoice(in_force[0], None)
    latest = max(unique.values(), key=lambda c: (c.get("status", "active") == "active", _period(c, "end") or "9999"))
    return CoverageChoice(latest, not_in_force(latest, on))


def not_in_force(coverage: Mapping[str, Any], on: date) -> str | None:
    status = coverage.get("status", "active")
    if status != "active":
        return f"the Coverage's status is {status}"
    day = on.isoformat()
    start, end = _period(coverage, "start"), _period(coverage, "end")
    # period bounds may be dates or dateTimes; their first 10 characters are the date
    if end is not None and end[:10] < day:
        return f"the Coverage ended on {end[:10]}"
    if start is not None and start[:10] > day:
        return f"the Coverage starts on {start[:10]}"
    return None


def _period(coverage: Mapping[str, Any], bound: str) -> str | None:
    period = coverage.get("period")
    value = period.get(bound) if isinstance(period, Mapping) else None
    return value if isinstance(value, str) and len(value) >= 10 else None


def payor_reference(coverage: Mapping[str, Any]) -> Mapping[str, Any]:
    payors = _list(coverage.get("payor"))
    if not payors:
        raise BadRequestError("the active Coverage names no payor")
    return payors[0]


def route_patient(directory: PayerDirectory, data: GatheredData, on: date) -> PayerRoute:
    """The whole payer lookup of a hook call: the Coverage in force on `on`, its payor Organization, the payer."""
    choice = choose_coverage(data.of_type("Coverage"), on)
    organization = payor_organization(data, choice.coverage)
    if organization is None and any(key.startswith("payor:") for key in data.unavailable):
        raise PreconditionFailedError("the Coverage's payor Organization could not be retrieved")
    return route(directory, choice.coverage, organization, choice.not_in_force)


def payor_organization(data: GatheredData, coverage: Mapping[str, Any]) -> dict[str, Any] | None:
    """The Organization the Coverage's payor names: contained in the Coverage, or gathered with the record."""
    org_id = payor_organization_id(coverage)
    if org_id is None:
        return None
    return contained(coverage, org_id) or data.resources.get(f"Organization/{org_id}")


def route(
    directory: PayerDirectory,
    coverage: Mapping[str, Any],
    organization: Mapping[str, Any] | None,
    not_in_force: str | None = None,
) -> PayerRoute:
    """Match the payor (its Organization, or the reference's own identifier) against the payers file."""
    reference = payor_reference(coverage)
    identifiers = identifiers_of(reference)
    if organization is not None:
        identifiers = identifiers_of(organization) + identifiers
    if not identifiers:
        raise BadRequestError("the Coverage payor has no identifier this service can route on")
    payer = directory.by_identifiers(identifiers)
    if payer is None:
        raise BadRequestError("the Coverage payor is not a payer served by this endpoint")
    return PayerRoute(
        payer=payer,
        line_of_business=payer.line_of_business(coverage),
        coverage=coverage,
        coverage_reference=f"Coverage/{coverage.get('id')}",
        not_in_force=not_in_force,
    )
