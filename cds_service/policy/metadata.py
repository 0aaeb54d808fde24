"""The policy.yaml schema: what a policy folder declares about itself.

Validation errors name the file and the offending key so a policy author can fix them without reading Python.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .yaml_cache import parse_yaml

CriterionStatus = Literal["met", "not-met", "unknown"]
LineOfBusiness = Literal["medicaid", "marketplace", "commercial", "fehb"]
PathKind = Literal["initial", "continued"]
SuggestionKind = Literal["adjust-dose", "switch-product", "add-medication", "add-service"]

_ISO_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")


class PolicyMetadataError(ValueError):
    """policy.yaml is missing, unreadable or does not match the schema."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Open(BaseModel):
    # Policy authors may add descriptive fields (documented in policies/README.md) without a code change.
    model_config = ConfigDict(extra="allow", frozen=True)


class SourceDocument(_Open):
    number: str
    title: str
    effective: str | None = None
    last_review: str | None = None
    url: str | None = None


class DrugProduct(_Open):
    code: str
    display: str
    system: str = "http://www.nlm.nih.gov/research/umls/rxnorm"
    generic_available: bool = False


class Criterion(_Open):
    id: str
    define: str
    description: str
    submit: str = ""
    question: str = ""


class IndicationPath(_Open):
    id: str
    title: str
    kind: PathKind = "initial"
    criteria: tuple[Criterion, ...] = Field(min_length=1)


class ApprovalDurations(_Open):
    initial: dict[str, str] = Field(default_factory=dict)
    continued: dict[str, str] = Field(default_factory=dict)
    cap_by_request: tuple[str, ...] = ()

    @field_validator("initial", "continued")
    @classmethod
    def _iso_durations(cls, value: dict[str, str]) -> dict[str, str]:
        for line, duration in value.items():
            if not _ISO_DURATION.match(str(duration)):
                raise ValueError(f"{line}: {duration!r} is not an ISO 8601 duration like P6M")
        return value


class CodingSpec(_Open):
    system: str
    code: str
    display: str = ""


class SuggestionRule(_Open):
    criterion: str
    when: tuple[CriterionStatus, ...] = ("not-met", "unknown")
    kind: SuggestionKind
    label: str | None = None
    max_mg_per_day: float | None = None
    code: CodingSpec | None = None


class FormularyException(_Strict):
    """Products a line of business keeps off its formulary: never approved under this policy's criteria; the
    prescriber asks for a formulary exception under `policy` instead (e.g. Centene HIM and Afinitor Disperz)."""

    policy: str
    products: tuple[str, ...] = Field(min_length=1)  # codes from the policy's `drugs`
    label: str | None = None  # how cards name the products; the ordered product's display when absent


class Link(_Open):
    label: str
    url: str


class PolicyMetadata(_Open):
    id: str
    version: str
    title: str
    drug: str
    payer: str
    document: SourceDocument
    lines_of_business: tuple[str, ...]
    library: str
    questionnaire: str | None = None
    drugs: tuple[DrugProduct, ...] = Field(min_length=1)
    paths: tuple[IndicationPath, ...] = Field(min_length=1)
    # A Boolean define, true when the patient is already on the drug: the policy's continued paths then decide
    # alone (docs/architecture.md §3). None: every path may approve whatever the patient's history.
    continuing_therapy: str | None = None
    approval_duration: ApprovalDurations = ApprovalDurations()
    other_uses: dict[str, str] = Field(default_factory=dict)
    formulary_exceptions: dict[str, FormularyException] = Field(default_factory=dict)
    display_values: dict[str, str] = Field(default_factory=dict)
    suggestions: tuple[SuggestionRule, ...] = ()
    links: tuple[Link, ...] = ()

    @property
    def decision_defines(self) -> tuple[str, ...]:
        """The defines a decision reads: every criterion's, every display value's and the continuing-therapy one.
        Evaluating only these (and what they depend on) skips the library's other public defines, which no answer
        shows."""
        criteria = (criterion.define for path in self.paths for criterion in path.criteria)
        continuing = [self.continuing_therapy] if self.continuing_therapy else []
        return tuple(dict.fromkeys([*criteria, *self.display_values.values(), *continuing]))

    def criterion(self, criterion_id: str) -> Criterion | None:
        for path in self.paths:
            for criterion in path.criteria:
                if criterion.id == criterion_id:
                    return criterion
        return None


def load_metadata(path: Path) -> PolicyMetadata:
    try:
        raw = parse_yaml(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PolicyMetadataError(f"{path}: cannot read policy metadata: {exc}") from exc
    if not isinstance(raw, dict):
        raise PolicyMetadataError(f"{path}: expected a mapping at the top level")
    try:
        metadata = PolicyMetadata.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(part) for part in err['loc'])}: {err['msg']}" for err in exc.errors())
        raise PolicyMetadataError(f"{path}: {problems}") from exc
    _check_unique_criteria(path, metadata)
    _check_formulary_exceptions(path, metadata)
    _check_continuing_therapy(path, metadata)
    _share_fields_sets(metadata)
    return metadata


_FIELDS_SETS: dict[frozenset[str], set[str]] = {}


def _share_fields_sets(value: object) -> None:
    """Every model in `value` given the one set of its field names that all models given those fields share.

    pydantic keeps a set of the fields a model was given (`model_fields_set`) in each instance: 728 bytes once it
    has more than four, ~35 KB of a policy's ~50 models, 35 MB of a payer's thousand policies. The models are
    frozen, so pydantic never changes the set in place (a copy takes a copy of it); one set per distinct content
    serves them all. The table stays small: the schema has a few dozen optional fields."""
    if isinstance(value, BaseModel):
        given = value.__pydantic_fields_set__
        object.__setattr__(value, "__pydantic_fields_set__", _FIELDS_SETS.setdefault(frozenset(given), given))
        for field_value in value.__dict__.values():
            _share_fields_sets(field_value)
    elif isinstance(value, (tuple, list)):
        for item in value:
            _share_fields_sets(item)
    elif isinstance(value, dict):
        for item in value.values():
            _share_fields_sets(item)


def _check_unique_criteria(path: Path, metadata: PolicyMetadata) -> None:
    seen: set[str] = set()
    for indication in metadata.paths:
        for criterion in indication.criteria:
            if criterion.id in seen:
                raise PolicyMetadataError(f"{path}: criterion id {criterion.id} appears twice")
            seen.add(criterion.id)
    for rule in metadata.suggestions:
        if rule.criterion not in seen:
            raise PolicyMetadataError(f"{path}: suggestion names criterion {rule.criterion}, which no path declares")


def _check_formulary_exceptions(path: Path, metadata: PolicyMetadata) -> None:
    # A code outside `drugs` never reaches this policy, so listing it would silently exclude nothing.
    governed = {product.code for product in metadata.drugs}
    for line, exception in metadata.formulary_exceptions.items():
        if line not in metadata.lines_of_business:
            raise PolicyMetadataError(
                f"{path}: formulary_exceptions.{line}: {line} is not one of the lines_of_business"
            )
        unknown = [code for code in exception.products if code not in governed]
        if unknown:
            raise PolicyMetadataError(
                f"{path}: formulary_exceptions.{line}.products: {', '.join(unknown)} not among the policy's drugs"
            )


def _check_continuing_therapy(path: Path, metadata: PolicyMetadata) -> None:
    # With no continued path, a continuing patient could never be approved.
    if metadata.continuing_therapy and not any(p.kind == "continued" for p in metadata.paths):
        raise PolicyMetadataError(f"{path}: continuing_therapy is set but no path has kind: continued")


def add_duration(start: date, iso_duration: str) -> date:
    """Calendar arithmetic for approval durations.

    Months clamp to the month's last day (Jan 31 + P1M = Feb 28/29), as payers count them.
    """
    match = _ISO_DURATION.match(iso_duration)
    if not match:
        raise ValueError(f"{iso_duration!r} is not an ISO 8601 duration")
    years, months, weeks, days = (int(part) if part else 0 for part in match.groups())
    total_months = start.month - 1 + months + 12 * years
    year, month = start.year + total_months // 12, total_months % 12 + 1
    day = min(start.day, _days_in_month(year, month))
    return date(year, month, day) + timedelta(days=days + 7 * weeks)


def _days_in_month(year: int, month: int) -> int:
    if month == 12:
        return 31
    return (date(year, month + 1, 1) - date(year, month, 1)).days
