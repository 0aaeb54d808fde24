"""Cards explaining each policy decision, rendered from jinja2 templates (StrictUndefined, markdown-escaped).

Per order with a policy: one decision card (External Reference: detail + absolute policy link), an
Instructions card when there is something to quote on the claim, and suggestion cards (Propose Alternate
Request / Identify Additional Orders). A policy folder may override any template in its templates/.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from ..gather.record import GatheredData
from .coverage_info import CoverageAssertion
from .evidence import describe
from .outcome import Outcome
from .suggestions import OrderSuggestion, suggestions_for

if TYPE_CHECKING:
    from ..policy.decision import CriterionResult, OrderDecision
    from ..policy.formulary import FormularyExclusion
    from ..policy.registry import PolicyContent

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates" / "cards"
CARD_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/cdshooks-card-type"
TOPICS = {
    "guideline": "Guideline",
    "claim": "Claim",
    "therapy-alternatives-req": "Therapy alternatives required",
    "clinical-reminder": "Clinical reminder",
}
STATUS_LABEL = {"met": "met", "not-met": "not met", "unknown": "unknown"}
RECORD_STATUS = {"met": "met", "not-met": "not met", "unknown": "not documented"}  # "In the record this is ..."
SUMMARY_LIMIT = 139
TRACE_KEY = "coverage-hooks.trace"
ASSOCIATED_KEY = "davinci-crd.associated-resource"

# Parentheses, `!` and `+` only mean something next to an (escaped) bracket or at a line start we never emit.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|<>~#])")
_BLANK_RUNS = re.compile(r"\n{3,}")


def markdown_escape(value: object) -> str:
    """Literal text inside GitHub-flavoured markdown (and table cells): no markup, no line breaks."""
    text = " ".join(str(value).split())
    return _MD_SPECIAL.sub(r"\\\1", text)


@dataclass
class OrderCards:
    decision: dict[str, Any] | None = None
    extras: list[dict[str, Any]] = field(default_factory=list)

    def all(self) -> Iterator[dict[str, Any]]:
        if self.decision:
            yield self.decision
        yield from self.extras


class CardRenderer:
    def __init__(self, template_dir: Path = TEMPLATE_DIR) -> None:
        self._default_dir = template_dir
        self._environments: dict[Path | None, jinja2.Environment] = {}

    def environment(self, override_dir: Path | None) -> jinja2.Environment:
        env = self._environments.get(override_dir)
        if env is None:
            dirs = [override_dir, self._default_dir] if override_dir else [self._default_dir]
            env = jinja2.Environment(
                loader=jinja2.FileSystemLoader([str(d) for d in dirs]),
                undefined=jinja2.StrictUndefined,
                autoescape=False,  # markdown, escaped explicitly with |md
                keep_trailing_newline=False,
                auto_reload=False,  # templates ship with the release: no stat() of each file per card
            )
            env.filters["md"] = markdown_escape
            self._environments[override_dir] = env
        return env

    def render(
        self,
        *,
        decision: OrderDecision,
        outcome: Outcome,
        policy: PolicyContent,
        order: Mapping[str, Any],
        payer_label: str,
        assertion: CoverageAssertion,
        data: GatheredData,
        config: Mapping[str, Any],
        hook: str,
        today: date,
    ) -> OrderCards:
        """`outcome`: the order's, decided once (crd/outcome.py). `today`: the request clock's date (authoredOn of
        suggested orders), never the host's."""
        env = self.environment(policy.template_dir)
        meta = policy.metadata
        order_ref = f"{order.get('resourceType')}/{order.get('id')}"
        exclusion = decision.formulary_exclusion
        criteria = decision.path.criteria
        missing = decision.path.with_status("unknown")
        failed = decision.path.with_status("not-met")
        common: dict[str, Any] = {
            "drug": meta.drug,
            "payer": payer_label,
            "order_label": _order_label(order, meta.drug),
            "document_number": meta.document.number,
            "document_title": meta.document.title,
            "version": meta.version,
            "policy_url": meta.document.url,
            "status_label": STATUS_LABEL,
            "record_status": RECORD_STATUS,
        }
        cards = OrderCards()
        if config.get("guideline", True):
            summary = self._summary(env, outcome, meta.drug, assertion, missing, failed, exclusion)
            detail = env.get_template("decision.md.j2").render(
                **common,
                headline=summary.split(": ", 1)[-1],
                path_id=decision.path.id,
                path_title=decision.path.title,
                criteria=[_criterion_view(c, data) for c in criteria],
                values=[(name, _display(value)) for name, value in decision.values.items() if value is not None],
                # Documentation cannot turn a non-formulary product into an approval under this policy.
                to_submit=[c for c in criteria if c.status == "unknown"]
                if outcome != "approved" and not exclusion
                else [],
                other_use_policy=decision.other_use_policy,
                non_formulary_product=exclusion.product if exclusion else None,
                formulary_exception_policy=exclusion.exception_policy if exclusion else None,
                unavailable=[r.text for r in assertion.reasons if r.code == "technical"],
            )
            card = _card(
                summary,
                "info" if outcome == "approved" else "warning",
                detail,
                payer_label,
                "guideline",
                meta.document.url,
                order_ref,
            )
            card["extension"][TRACE_KEY] = trace(decision, order_ref)
            links = (
                [
                    {
                        "label": f"{payer_label} policy {meta.document.number}",
                        "url": meta.document.url,
                        "type": "absolute",
                    }
                ]
                if meta.document.url
                else []
            )
            links += [
                {"label": link.label, "url": link.url, "type": "absolute"}
                for link in meta.links
                if link.url.startswith(("https://", "http://"))
            ]
            if links:
                card["links"] = links
            cards.decision = card
        if config.get("claim", True) and assertion.satisfied_pa_id:
            detail = env.get_template("claim.md.j2").render(
                **common,
                pa_number=assertion.satisfied_pa_id,
                expiry=assertion.expiry.isoformat() if assertion.expiry else None,
            )
            summary = _fit(f"{meta.drug}: quote prior authorization {assertion.satisfied_pa_id} on the claim")
            cards.extras.append(_card(summary, "info", detail, payer_label, "claim", None, order_ref))
        # Order changes satisfy criteria; none makes a non-formulary product approvable under this policy.
        if hook in ("order-sign", "order-select") and exclusion is None:
            for found in suggestions_for(decision, policy, order, today):
                topic = "therapy-alternatives-req" if found.is_alternate else "clinical-reminder"
                if config.get(topic, True):
                    cards.extras.append(self._suggestion_card(env, found, policy, decision, common, order_ref, topic))
        return cards

    def _summary(
        self,
        env: jinja2.Environment,
        outcome: str,
        drug: str,
        assertion: CoverageAssertion,
        missing: tuple[CriterionResult, ...],
        failed: tuple[CriterionResult, ...],
        exclusion: FormularyExclusion | None,
    ) -> str:
        template = env.get_template("summary.txt.j2")
        first_missing = missing[0].description if missing else ""
        first_failed = failed[0].description if failed else ""
        params = {
            "decision": outcome,
            "drug": drug,
            "non_formulary_product": exclusion.product if exclusion else None,
            "formulary_exception_policy": exclusion.exception_policy if exclusion else None,
            "realtime": assertion.pa_needed == "satisfied",
            "expiry": assertion.expiry.isoformat() if assertion.expiry else None,
            "first_missing": first_missing,
            "more_missing": max(len(missing) - 1, 0),
            "first_failed": first_failed,
            "more_failed": max(len(failed) - 1, 0),
        }
        summary = template.render(**params).strip()
        overflow = len(summary) - SUMMARY_LIMIT
        if overflow > 0:
            key = "first_missing" if outcome == "needs-info" else "first_failed"
            text = str(params[key])
            params[key] = text[: max(len(text) - overflow - 1, 0)].rstrip() + "…"
            summary = template.render(**params).strip()
        return _fit(summary)

    def _suggestion_card(
        self,
        env: jinja2.Environment,
        found: OrderSuggestion,
        policy: PolicyContent,
        decision: OrderDecision,
        common: Mapping[str, Any],
        order_ref: str,
        topic: str,
    ) -> dict[str, Any]:
        criterion = next((c for path in decision.paths for c in path.criteria if c.id == found.criterion_id), None)
        summary = env.get_template("suggestion_summary.txt.j2").render(
            alternate=found.is_alternate, drug=policy.metadata.drug, label=found.suggestion["label"]
        )
        detail = env.get_template("suggestion.md.j2").render(
            **common,
            criterion_description=criterion.description if criterion else "",
            criterion_status=criterion.status if criterion else "unknown",
            labels=[found.suggestion["label"]],
        )
        card = _card(_fit(summary.strip()), "info", detail, str(common["payer"]), topic, None, order_ref)
        card["suggestions"] = [found.suggestion]
        card["selectionBehavior"] = "at-most-one" if found.is_alternate else "any"
        return card


def trace(decision: OrderDecision, order_ref: str) -> dict[str, Any]:
    recorded: dict[str, Any] = {
        "order": order_ref,
        "policy": decision.policy_id,
        "policyVersion": decision.policy_version,
        "decision": decision.decision,
        "path": decision.path.id,
        "criteria": [
            {"id": c.id, "description": c.description, "status": c.status, "evidence": list(c.evidence)}
            for c in decision.path.criteria
        ],
    }
    if decision.formulary_exception_policy:
        # The criteria above may all be met: this is why the decision is still not-met.
        recorded["formularyException"] = decision.formulary_exception_policy
    return recorded


def _card(
    summary: str, indicator: str, detail: str, label: str, topic: str, url: str | None, order_ref: str
) -> dict[str, Any]:
    source: dict[str, Any] = {
        "label": label,
        "topic": {"system": CARD_TYPE_SYSTEM, "code": topic, "display": TOPICS[topic]},
    }
    if url:
        source["url"] = url
    return {
        "uuid": str(uuid.uuid4()),
        "summary": summary,
        "indicator": indicator,
        "detail": _BLANK_RUNS.sub("\n\n", detail.strip()),
        "source": source,
        "extension": {ASSOCIATED_KEY: [{"reference": order_ref}]},
    }


def _criterion_view(criterion: CriterionResult, data: GatheredData) -> dict[str, Any]:
    return {
        "id": criterion.id,
        "status": criterion.status,
        "description": criterion.description,
        "submit": criterion.submit,
        "evidence": [describe(ref, data.resources.get(ref)) for ref in criterion.evidence],
    }


def _order_label(order: Mapping[str, Any], fallback: str) -> str:
    concept = order.get("medicationCodeableConcept")
    if isinstance(concept, dict):
        if isinstance(concept.get("text"), str):
            return str(concept["text"])
        for coding in concept.get("coding") or ():
            if isinstance(coding, dict) and isinstance(coding.get("display"), str):
                return str(coding["display"])
    return f"{fallback} order {order.get('id')}"


def _display(value: Any) -> str:
    return str(value)


def _fit(text: str) -> str:
    return text if len(text) <= SUMMARY_LIMIT else text[: SUMMARY_LIMIT - 1].rstrip() + "…"
