"""Criteria statuses -> path statuses -> one decision per order. Pure functions, no CQL, no I/O."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from .formulary import FormularyExclusion
from .metadata import Criterion, CriterionStatus, PathKind, PolicyMetadata

Decision = Literal["approved", "needs-info", "not-met"]


@dataclass(frozen=True)
class CriterionResult:
    id: str
    description: str
    status: CriterionStatus
    evidence: tuple[str, ...]
    submit: str
    question: str
    define: str


@dataclass(frozen=True)
class PathResult:
    id: str
    title: str
    kind: PathKind
    criteria: tuple[CriterionResult, ...]

    @property
    def status(self) -> CriterionStatus:
        """A path is met when every criterion is met, not met when any is not met, else unknown."""
        statuses = {criterion.status for criterion in self.criteria}
        if "not-met" in statuses:
            return "not-met"
        if statuses == {"met"}:
            return "met"
        return "unknown"

    def with_status(self, status: CriterionStatus) -> tuple[CriterionResult, ...]:
        return tuple(c for c in self.criteria if c.status == status)


@dataclass(frozen=True)
class OrderDecision:
    """What the policy decided for one draft order, and why."""

    policy_id: str
    policy_version: str
    order_ref: str
    decision: Decision
    path: PathResult
    paths: tuple[PathResult, ...]
    expiry: date | None = None
    values: Mapping[str, Any] = field(default_factory=dict)
    other_use_policy: str | None = None
    # Set when the ordered product is off the member's formulary: the decision is then not-met whatever the
    # criteria show, and `path` is the one the criteria alone would have decided on.
    formulary_exclusion: FormularyExclusion | None = None

    @property
    def criteria(self) -> tuple[CriterionResult, ...]:
        return self.path.criteria

    @property
    def formulary_exception_policy(self) -> str | None:
        return self.formulary_exclusion.exception_policy if self.formulary_exclusion else None


def path_results(
    metadata: PolicyMetadata,
    status: Callable[[Criterion], CriterionStatus],
    evidence: Callable[[Criterion], tuple[str, ...]],
) -> tuple[PathResult, ...]:
    """Every indication path of the policy with each criterion's status and evidence, as `status` and
    `evidence` give them (from CQL results in the service, from a table in tests)."""
    return tuple(
        PathResult(
            id=path.id,
            title=path.title,
            kind=path.kind,
            criteria=tuple(
                CriterionResult(
                    id=criterion.id,
                    description=criterion.description,
                    status=status(criterion),
                    evidence=evidence(criterion),
                    submit=criterion.submit,
                    question=criterion.question,
                    define=criterion.define,
                )
                for criterion in path.criteria
            ),
        )
        for path in metadata.paths
    )


def decide(paths: Sequence[PathResult], *, continuing: bool = False) -> tuple[Decision, PathResult]:
    """approved: some path fully met; needs-info: none met, some path without a not-met criterion;
    not-met: every path has a not-met criterion. The returned path is the one a clinician should see, and its
    kind selects the approval duration.

    `continuing`: the patient is already on the drug. Initial criteria are for new starts (Centene Section II and
    FEP renewal are for members currently receiving the drug), so only the continued paths decide: a met initial
    path neither approves nor shortens the approval to the initial duration."""
    if not paths:
        raise ValueError("a policy needs at least one indication path")
    if continuing:
        paths = [p for p in paths if p.kind == "continued"]
        if not paths:
            raise ValueError("a continuing patient needs a continued path")
    met = [p for p in paths if p.status == "met"]
    if met:
        return "approved", met[0]
    open_paths = [p for p in paths if p.status == "unknown"]
    if open_paths:
        return "needs-info", min(open_paths, key=lambda p: len(p.with_status("unknown")))
    closest = min(paths, key=lambda p: (len(p.with_status("not-met")), -len(p.with_status("met"))))
    return "not-met", closest


def is_continuing(value: object, define: str) -> bool:
    """The continuing-therapy define is true or false (an exists() over current therapy); null would leave the
    applicable section undecided, so, like a non-Boolean, it is a policy bug."""
    if isinstance(value, bool):
        return value
    raise TypeError(f"continuing-therapy define {define!r} returned {type(value).__name__}, not true or false")


def status_of(value: object, define: str) -> CriterionStatus:
    """A criterion define is Boolean: true met, false not met, null unknown. Anything else is a policy bug."""
    if value is True:
        return "met"
    if value is False:
        return "not-met"
    if value is None:
        return "unknown"
    raise TypeError(f"criterion define {define!r} returned {type(value).__name__}, not Boolean")
