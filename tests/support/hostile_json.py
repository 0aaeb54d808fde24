"""Hypothesis strategies for FHIR-shaped hostile JSON, and mutations of valid hook requests.

What the service must survive without a 5xx: wrong types where FHIR has objects, numbers as strings and
strings as numbers, unicode (including what JSON cannot carry: lone surrogates), null and missing fields,
huge arrays, deep nesting (under and over the nesting limit), resources with no or odd ids, Bundles inside
Bundles. `mutated_request` starts from a valid request (so the case reaches the pipeline and the policy
engine, not just the parser) and changes one to four places in it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from hypothesis import strategies as st

from cds_service.hook.request_model import MAX_JSON_DEPTH

Path = tuple[str | int, ...]

RESOURCE_TYPES = (
    "Patient", "Coverage", "Organization", "Condition", "Observation", "MedicationRequest",
    "MedicationStatement", "PractitionerRole", "Practitioner", "Medication", "Procedure",
    "DiagnosticReport", "OperationOutcome", "Bundle", "ServiceRequest",
)  # fmt: skip
FHIR_FIELDS = (
    "id", "status", "intent", "code", "category", "subject", "beneficiary", "payor", "identifier", "type",
    "class", "birthDate", "gender", "name", "valueQuantity", "valueCodeableConcept", "valueString",
    "effectiveDateTime", "effectivePeriod", "issued", "onsetDateTime", "recordedDate", "clinicalStatus",
    "verificationStatus", "stage", "component", "interpretation", "medicationCodeableConcept",
    "medicationReference", "dosageInstruction", "dispenseRequest", "authoredOn", "requester", "reasonCode",
    "reasonReference", "extension", "contained", "specialty", "practitioner", "entry", "resource",
)  # fmt: skip
CODE_SYSTEMS = (
    "http://www.nlm.nih.gov/research/umls/rxnorm", "http://loinc.org", "http://snomed.info/sct",
    "http://hl7.org/fhir/sid/icd-10-cm", "https://nahdo.org/sopt", "http://example.org/payer-id",
)  # fmt: skip

_text = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=40)
_numberish_text = st.from_regex(r"\A-?[0-9]{1,24}(\.[0-9]{1,12})?([eE][+-]?[0-9]{1,4})?\Z")
_dateish_text = st.sampled_from(
    ["2026-11-23", "2026-02-30", "0000-00-00", "2026", "2026-11", "9999-12-31T23:59:59Z", "-1", "", "today"]
)
scalars: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    _text,
    _numberish_text,
    _dateish_text,
    st.sampled_from(CODE_SYSTEMS),
    st.sampled_from(["Patient/pat-1", "Organization/org-centene", "MedicationRequest/mr-1", "#med", "/", ""]),
)


def json_values(max_leaves: int = 12) -> st.SearchStrategy[Any]:
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(st.one_of(st.sampled_from(FHIR_FIELDS), _text), inner, max_size=4),
        ),
        max_leaves=max_leaves,
    )


codings = st.fixed_dictionaries(
    {},
    optional={
        "system": st.one_of(st.sampled_from(CODE_SYSTEMS), scalars),
        "code": scalars,
        "display": scalars,
    },
)
concepts = st.fixed_dictionaries({}, optional={"coding": st.one_of(st.lists(codings, max_size=3), scalars)})
quantities = st.fixed_dictionaries({}, optional={"value": scalars, "unit": scalars, "code": scalars})
fhir_values: st.SearchStrategy[Any] = st.one_of(
    scalars, codings, concepts, quantities, st.lists(concepts, max_size=3), json_values()
)


@st.composite
def resources(draw: st.DrawFn) -> dict[str, Any]:
    """A resource-shaped object: usually a known type with a string id, then any FHIR-ish fields."""
    resource: dict[str, Any] = dict(draw(st.dictionaries(st.sampled_from(FHIR_FIELDS), fhir_values, max_size=6)))
    resource["resourceType"] = draw(st.one_of(st.sampled_from(RESOURCE_TYPES), scalars))
    if draw(st.integers(0, 9)) > 0:
        resource["id"] = draw(st.one_of(st.from_regex(r"\A[A-Za-z0-9.-]{1,20}\Z"), scalars))
    return resource


def bundles(entries: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "resourceType": st.just("Bundle"),
            "entry": st.lists(st.fixed_dictionaries({"resource": entries}), max_size=5),
        },
        optional={
            "type": st.sampled_from(["searchset", "collection", "batch-response", ""]),
            "total": scalars,
        },
    )


@st.composite
def deep_nesting(draw: st.DrawFn, max_depth: int = 2 * MAX_JSON_DEPTH) -> Any:
    """Alternating arrays and objects around a value, sometimes under the nesting limit, sometimes over."""
    depth = draw(st.integers(min_value=1, max_value=max_depth))
    value: Any = draw(scalars)
    for level in range(depth):
        value = [value] if level % 2 else {draw(st.sampled_from(FHIR_FIELDS)): value}
    return value


@st.composite
def huge_arrays(draw: st.DrawFn) -> list[Any]:
    """One element repeated up to a few thousand times: big enough to be slow if anything is quadratic."""
    element = draw(st.one_of(scalars, resources(), codings))
    return [element] * draw(st.integers(min_value=100, max_value=5000))


bounded_values: st.SearchStrategy[Any] = st.one_of(
    scalars,
    fhir_values,
    resources(),
    bundles(resources()),
    bundles(st.one_of(resources(), bundles(resources()), scalars)),
    deep_nesting(),
    st.just({}),
    st.just([]),
)
hostile_values: st.SearchStrategy[Any] = st.one_of(bounded_values, huge_arrays())


def paths_in(document: Any, prefix: Path = ()) -> list[Path]:
    """Every path to a value inside `document` (the document itself excluded)."""
    found: list[Path] = []
    items: Sequence[tuple[str | int, Any]]
    if isinstance(document, dict):
        items = list(document.items())
    elif isinstance(document, list):
        items = list(enumerate(document))
    else:
        return found
    for key, value in items:
        found.append((*prefix, key))
        found.extend(paths_in(value, (*prefix, key)))
    return found


def _swap_type(value: Any) -> Any:
    """The same content in the wrong JSON type: what lenient clients and hostile ones both send."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return {"0": value[0]} if value else {}
    if isinstance(value, dict):
        return list(value.values())
    return "null"


@st.composite
def mutated_request(draw: st.DrawFn, bases: Sequence[bytes]) -> Any:
    """A valid hook request (given as JSON bytes) changed in one to four places.

    At most one change per request makes it bigger (a huge array, or a value repeated up to 300 times):
    growth compounds, and two nested repeats of a large bundle already make a gigabyte of JSON."""
    request = orjson.loads(draw(st.sampled_from(list(bases))))
    grown = False
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        paths = paths_in(request)
        if not paths:
            break
        # Half the mutations hit the request's own structure (short paths), half anywhere in the FHIR data.
        short = [p for p in paths if len(p) <= 5]
        structural: bool = draw(st.booleans())
        path: Path = draw(st.sampled_from(short if short and structural else paths))
        parent: Any = request
        for key in path[:-1]:
            parent = parent[key]
        key = path[-1]
        action = draw(st.sampled_from(["delete", "null", "swap-type", "replace", "repeat"]))
        if action == "delete":
            del parent[key]
        elif action == "null":
            parent[key] = None
        elif action == "swap-type":
            parent[key] = _swap_type(parent[key])
        elif action == "replace":
            parent[key] = draw(bounded_values if grown else hostile_values)
            grown = grown or _is_huge(parent[key])
        elif grown:
            parent[key] = None
        else:
            grown = True
            copies = draw(st.integers(min_value=2, max_value=300))
            if isinstance(parent, list):
                parent.extend([parent[int(key)]] * (copies - 1))
            else:
                parent[key] = [parent[key]] * copies
    return request


def _is_huge(value: Any) -> bool:
    return isinstance(value, list) and len(value) >= 100


def to_body(document: Any) -> bytes:
    """JSON text for any generated document (the json module writes big ints; orjson would refuse)."""
    import json

    return json.dumps(document).encode()
