"""The Inferno davinci-crd-test-kit server checks (standards.md §C), ported as plain assertion helpers.

Each helper raises AssertionError naming the rule it enforces, so other test suites (demo page,
benchmarks, hardening) can reuse them:

    check_discovery(document)
    check_hook_response(hook, request, response)           # C3 tests 5, 6, 10, 11 (+ CRD hook-19)
    classify_cards(cards) -> set of {"external-reference", "instructions", "smart", ...}
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

COVERAGE_INFO_URL = "http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information"
PRIMARY_HOOKS = frozenset({"appointment-book", "order-sign", "order-dispatch"})
SECONDARY_HOOKS = frozenset({"order-select", "encounter-start", "encounter-discharge"})
ORDER_TYPES = frozenset(
    {
        "DeviceRequest",
        "MedicationRequest",
        "NutritionOrder",
        "ServiceRequest",
        "VisionPrescription",
        "CommunicationRequest",
    }
)
ADDITIONAL_ORDER_TYPES = frozenset(
    {
        "CommunicationRequest",
        "Device",
        "DeviceRequest",
        "Medication",
        "MedicationRequest",
        "NutritionOrder",
        "ServiceRequest",
        "VisionPrescription",
    }
)
_TYPE_ID = re.compile(r"^[A-Z][A-Za-z]+/[A-Za-z0-9\-.]{1,64}$")
_URL = re.compile(r"^https?://[^/\s]+")


def check_discovery(document: Any) -> None:
    assert isinstance(document, dict), "discovery: body is a JSON object"
    services = document.get("services")
    assert isinstance(services, list), "discovery: 'services' is an array"
    for service in services:
        for key in ("hook", "description", "id"):
            assert isinstance(service.get(key), str) and service[key], f"discovery: service.{key} is a string"
        ext = service.get("extension", {})
        versions = ext.get("davinci-crd.version")
        assert isinstance(versions, list) and versions, "CRD dev-1: davinci-crd.version lists >= 1 version"
        options = ext.get("davinci-crd.configuration-options")
        assert isinstance(options, list) and options, "CRD dev-5: configuration options are offered"
        for field in ("code", "name", "description"):
            values = [o[field] for o in options]
            assert len(set(values)) == len(values), f"CRD dev-8: option {field}s are unique"
        for option in options:
            assert {"code", "type", "name", "description", "default"} <= set(option), "CRD dev-4: option fields"
            assert option["type"] in ("boolean", "integer"), "CRD: option type is boolean or integer"


def check_card(card: Any) -> None:
    """C3 test 5 (required fields) and test 6 (optional fields) for one card."""
    assert isinstance(card, dict), "card is an object"
    summary = card.get("summary")
    assert isinstance(summary, str) and summary, "card.summary is a non-empty string"
    assert len(summary) < 140, f"card.summary is < 140 characters ({len(summary)})"
    assert card.get("indicator") in ("info", "warning", "critical"), "card.indicator is info|warning|critical"
    source = card.get("source")
    assert isinstance(source, dict), "card.source is an object"
    assert isinstance(source.get("label"), str) and source["label"], "card.source.label is a non-empty string"
    topic = source.get("topic")
    assert isinstance(topic, dict), "CRD resp-5: card.source.topic is present"
    assert isinstance(topic.get("code"), str) and isinstance(topic.get("system"), str), "topic code/system"
    for key in ("uuid", "detail"):
        if key in card:
            assert isinstance(card[key], str) and card[key], f"card.{key} is a non-empty string"
    for key in ("suggestions", "overrideReasons", "links"):
        if key in card:
            assert isinstance(card[key], list) and card[key], f"card.{key} is a non-empty array"
    if card.get("suggestions"):
        assert card.get("selectionBehavior") in ("at-most-one", "any"), "suggestions need selectionBehavior"
        for suggestion in card["suggestions"]:
            assert isinstance(suggestion.get("label"), str) and suggestion["label"], "suggestion.label"
            assert isinstance(suggestion.get("uuid"), str) and suggestion["uuid"], "CRD resp-3: suggestion.uuid"
            actions = suggestion.get("actions")
            if actions is not None:
                assert isinstance(actions, list) and actions, "suggestion.actions is a non-empty array"
                for action in actions:
                    check_action(action)
    for reason in card.get("overrideReasons", []):
        for key in ("code", "system", "display"):
            assert isinstance(reason.get(key), str), f"overrideReason.{key} is a string"
    for link in card.get("links", []):
        assert isinstance(link.get("label"), str) and link["label"], "link.label"
        assert isinstance(link.get("url"), str) and _URL.match(link["url"]), "link.url is http(s) with a host"
        assert link.get("type") in ("absolute", "smart"), "link.type is absolute|smart"
        if link["type"] == "absolute":
            assert "appContext" not in link, "appContext only on smart links"


def check_action(action: Any) -> None:
    assert isinstance(action, dict), "action is an object"
    assert action.get("type") in ("create", "update", "delete"), "action.type is create|update|delete"
    assert isinstance(action.get("description"), str) and action["description"], "action.description"
    if action["type"] in ("create", "update"):
        resource = action.get("resource")
        assert isinstance(resource, dict) and isinstance(resource.get("resourceType"), str), "action.resource"
    else:
        assert isinstance(action.get("resourceId"), str) and _TYPE_ID.match(action["resourceId"]), "resourceId"


def coverage_information(resource: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [e for e in resource.get("extension", []) if e.get("url") == COVERAGE_INFO_URL]


def coverage_info_values(extension: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Sub-extension name -> list of values (value[x] whatever its type)."""
    values: dict[str, list[Any]] = defaultdict(list)
    for part in extension.get("extension", []):
        value = next((v for k, v in part.items() if k.startswith("value")), part.get("extension"))
        values[part["url"]].append(value)
    return dict(values)


def check_coverage_information(extension: Mapping[str, Any], *, hook: str) -> dict[str, list[Any]]:
    """CRD 2.2 ext-coverage-information cardinalities and invariants crd-ci-q1..q9, plus hook-19."""
    v = coverage_info_values(extension)
    for required in ("coverage", "covered", "date", "coverage-assertion-id"):
        assert len(v.get(required, [])) == 1, f"coverage-information.{required} is 1..1"
    for single in ("pa-needed", "satisfied-pa-id", "expiry-date"):
        assert len(v.get(single, [])) <= 1, f"coverage-information.{single} is 0..1"
    assert isinstance(v["coverage"][0].get("reference"), str), "coverage is a Reference"
    covered = v["covered"][0]
    assert covered in ("covered", "not-covered", "conditional", "indeterminate"), "covered code"
    pa = v.get("pa-needed", [None])[0]
    docs = v.get("doc-needed", [])
    assert pa in (None, "no-auth", "auth-needed", "satisfied", "performpa", "conditional", "indeterminate")
    if v.get("questionnaire"):
        assert docs, "crd-ci-q1: questionnaire only with doc-needed"
    if covered == "not-covered":
        assert pa is None, "crd-ci-q2: not-covered has no pa-needed"
    if "conditional" in (covered, pa, *docs):
        assert v.get("info-needed"), "crd-ci-q3: conditional needs info-needed"
    if pa in ("satisfied", "no-auth", "not-covered"):
        assert "withpa" not in v.get("doc-purpose", []), "crd-ci-q4: no withpa when PA is not needed"
    assert bool(v.get("satisfied-pa-id")) == (pa == "satisfied"), "crd-ci-q5: satisfied-pa-id iff satisfied"
    if "OTH" in v.get("info-needed", []):
        assert v.get("reason"), "crd-ci-q6: info-needed OTH needs a reason"
    for reason in v.get("reason", []):
        assert reason.get("text") or reason.get("coding"), "crd-ci-q7: reason has text or a code"
    if v.get("doc-purpose"):
        assert v.get("reason"), "crd-ci-q8: doc-purpose needs a reason"
    if "indeterminate" in (covered, pa, *docs):
        assert v.get("reason"), "crd-ci-q9: indeterminate needs a reason"
    if hook in SECONDARY_HOOKS:
        assert not {"clinical", "admin"} & set(docs), "CRD hook-19: secondary hooks ask for no documentation"
    return v


def draft_orders(request: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    bundle = request.get("context", {}).get("draftOrders") or {}
    return {
        f"{e['resource']['resourceType']}/{e['resource']['id']}": e["resource"]
        for e in bundle.get("entry", [])
        if isinstance(e, dict) and isinstance(e.get("resource"), dict)
    }


def check_hook_response(
    hook: str, request: Mapping[str, Any], response: Any, *, expect_coverage_info: bool = True
) -> list[dict[str, Any]]:
    """C3 tests 5, 6, 10 and 11 on one 200 response; returns the coverage-info systemActions."""
    assert isinstance(response, dict), "response is a JSON object"
    cards = response.get("cards")
    assert isinstance(cards, list), "response.cards is an array"
    for card in cards:
        check_card(card)
    if hook in PRIMARY_HOOKS:
        assert "systemActions" in response, f"{hook}: systemActions must be present"
    actions = response.get("systemActions", [])
    assert isinstance(actions, list), "systemActions is an array"
    drafts = draft_orders(request)
    coverage_actions = []
    for action in actions:
        check_action(action)
        resource = action.get("resource") or {}
        if resource.get("resourceType") in ORDER_TYPES and coverage_information(resource):
            coverage_actions.append(action)
    if expect_coverage_info and hook in PRIMARY_HOOKS:
        assert coverage_actions, f"{hook}: at least one coverage-information systemAction (test 10)"
    assertion_ids: dict[str, str] = {}
    for action in coverage_actions:
        assert action["type"] == "update", "test 11: coverage-info action is an update"
        resource = action["resource"]
        ref = f"{resource['resourceType']}/{resource['id']}"
        if ref in drafts:
            assert _without_coverage_info(resource) == _without_coverage_info(drafts[ref]), (
                "CRD resp-37: the order is echoed unchanged except for coverage-information"
            )
        by_coverage: dict[str, set[str]] = defaultdict(set)
        for extension in coverage_information(resource):
            values = check_coverage_information(extension, hook=hook)
            by_coverage[values["coverage"][0]["reference"]].add(values["coverage-assertion-id"][0])
        for coverage, ids in by_coverage.items():
            assert len(ids) == 1, "test 11: one coverage-assertion-id per coverage"
            other = [c for c, i in assertion_ids.items() if i in ids and c != coverage]
            assert not other, "CRD resp-32: different coverages have different assertion ids"
            assertion_ids[coverage] = next(iter(ids))
    return coverage_actions


def _without_coverage_info(resource: Mapping[str, Any]) -> dict[str, Any]:
    copy = dict(resource)
    kept = [e for e in copy.get("extension", []) if e.get("url") != COVERAGE_INFO_URL]
    if kept:
        copy["extension"] = kept
    else:
        copy.pop("extension", None)
    return copy


def classify_cards(cards: Iterable[Mapping[str, Any]]) -> set[str]:
    """C4 heuristics: which CRD card types a set of cards demonstrates."""
    kinds: set[str] = set()
    for card in cards:
        links = card.get("links") or []
        suggestions = card.get("suggestions") or []
        if links and all(link.get("type") == "absolute" for link in links):
            kinds.add("external-reference")
        if links and all(link.get("type") == "smart" for link in links):
            kinds.add("smart")
        if not links and not suggestions:
            kinds.add("instructions")
        actions = [a for s in suggestions for a in s.get("actions", [])]
        if actions and all(
            a["type"] == "create" and a.get("resource", {}).get("resourceType") in ADDITIONAL_ORDER_TYPES
            for a in actions
        ):
            kinds.add("additional-orders")
        if any(a["type"] == "update" for a in actions):
            kinds.add("propose-alternate")
    return kinds
