"""Validate a coverage-information extension against the official CRD StructureDefinition of a version.

Everything is read from the stored definitions (tests/cds_service/data/crd, see its README): the allowed
sub-extension urls and their cardinalities, value[x] types, SimpleQuantity, required bindings (codes
against the bound value sets' concepts) and extensible bindings (a coding from a system the value set
draws on must be one of its codes). The invariants (crd-ci-q*) are the definition's own FHIRPath
expressions, evaluated with fhirpathpy. Why not a full FHIR validator: the HL7 Java validator needs a JVM
and network terminology, and no maintained Python package validates profiles offline; this checks every
rule of this one extension that Inferno's validator would apply to it.

    errors = coverage_information_errors(extension, "2.0")   # [] when valid
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import fhirpathpy
from fhirpathpy import engine as _fhirpath_engine
from fhirpathpy.engine import util as _fhirpath_util
from fhirpathpy.models import models

DATA = Path(__file__).resolve().parents[1] / "cds_service" / "data" / "crd"
FOLDERS = {"2.0": "2.0.1", "2.2": "2.2"}  # served version -> folder of its package files
_DATE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")
_FHIR_NS = "{http://hl7.org/fhir}"


@dataclass(frozen=True)
class ValueRule:
    types: tuple[str, ...]
    min: int
    binding: tuple[str, str] | None  # (strength, value set url)
    simple_quantity: bool


@dataclass
class SliceRule:
    name: str
    min: int = 0
    max: int | None = None  # None: unbounded
    value: ValueRule | None = None  # None: value[x] is prohibited (a complex sub-extension)
    children: dict[str, SliceRule] = field(default_factory=dict)


@dataclass
class Profile:
    version: str
    url: str
    root: SliceRule
    invariants: dict[str, str]  # key -> FHIRPath expression (the definition's own)
    value_sets: dict[str, frozenset[tuple[str, str]]]  # url -> (system, code)
    systems: dict[str, frozenset[str]]  # value set url -> code systems it includes

    def errors(self, extension: Mapping[str, Any]) -> list[str]:
        found: list[str] = []
        if extension.get("url") != self.url:
            found.append(f"url is {extension.get('url')!r}, not {self.url}")
        self._check(extension, self.root, "coverage-information", found)
        found += self._invariant_errors(extension)
        return found

    def _check(self, node: Mapping[str, Any], rule: SliceRule, where: str, found: list[str]) -> None:
        values = [k for k in node if k.startswith("value")]
        parts = node.get("extension") or []
        if bool(values) == bool(parts):
            found.append(f"{where}: ext-1 needs exactly one of extension and value[x]")
        if rule.value is None and values:
            found.append(f"{where}: value[x] is not allowed")
        if rule.value is not None:
            self._check_value(node, values, rule.value, where, found)
        if parts and not rule.children:
            found.append(f"{where}: sub-extensions are not allowed")
        counts = Counter(str(p.get("url")) for p in parts)
        for url in counts:
            if url not in rule.children:
                found.append(f"{where}: sub-extension {url!r} is not defined in CRD {self.version}")
        for name, child in rule.children.items():
            n = counts.get(name, 0)
            if n < child.min or (child.max is not None and n > child.max):
                bound = "*" if child.max is None else child.max
                found.append(f"{where}.{name}: {n} present, cardinality {child.min}..{bound}")
        for part in parts:
            child_rule = rule.children.get(str(part.get("url")))
            if child_rule is not None:
                self._check(part, child_rule, f"{where}.{child_rule.name}", found)

    def _check_value(
        self, node: Mapping[str, Any], keys: list[str], rule: ValueRule, where: str, found: list[str]
    ) -> None:
        if not keys:
            if rule.min:
                found.append(f"{where}: value[x] is required")
            return
        key = keys[0]
        type_code = next((t for t in rule.types if key == "value" + t[0].upper() + t[1:]), None)
        if len(keys) > 1 or type_code is None:
            found.append(f"{where}: {key} is not one of value[x] {rule.types}")
            return
        value = node[key]
        if type_code == "date" and not (isinstance(value, str) and _DATE.match(value)):
            found.append(f"{where}: {value!r} is not a FHIR date")
        if type_code == "Period":
            for end in ("start", "end"):
                if end in value and not _DATE.match(str(value[end])[:10]):
                    found.append(f"{where}: Period.{end} {value[end]!r} is not a date")
        if type_code == "Quantity" and rule.simple_quantity and "comparator" in value:
            found.append(f"{where}: a SimpleQuantity has no comparator")
        if rule.binding is None:
            return
        strength, value_set = rule.binding
        if value_set not in self.value_sets:
            found.append(f"{where}: bound value set {value_set} is not in the test data")
            return
        members = self.value_sets[value_set]
        if type_code == "code" and strength == "required" and value not in {c for _, c in members}:
            found.append(f"{where}: code {value!r} is not in {value_set} (required binding)")
        if type_code == "CodeableConcept" and strength in ("required", "extensible"):
            for coding in value.get("coding", []):
                system, code = coding.get("system"), coding.get("code")
                if system in self.systems[value_set] and (system, code) not in members:
                    found.append(f"{where}: {system}#{code} is not in {value_set} ({strength} binding)")

    def _invariant_errors(self, extension: Mapping[str, Any]) -> list[str]:
        resource = {**extension, "resourceType": "Extension"}
        options = {"userInvocationTable": {"memberOf": {"fn": self._member_of, "arity": {1: ["String"]}}}}
        found = []
        for key, expression in self.invariants.items():
            result = fhirpathpy.evaluate(resource, expression, {}, models["r4"], options)
            # The HL7 Java validator (Inferno) reads an empty result of `a implies b` with an empty `a` as
            # true; only an explicit false fails.
            if result not in ([True], []):
                found.append(f"{key} fails: {expression}")
        return found

    def _member_of(self, inputs: list[Any], url: str) -> list[bool]:
        members = self.value_sets.get(url, frozenset())
        out = []
        for item in inputs:
            codings = item.get("coding", [item]) if isinstance(item, dict) else []
            out.append(any((c.get("system"), c.get("code")) in members for c in codings))
        return out


def _singleton_boolean(value: Any) -> bool:
    """FHIRPath singleton evaluation: one non-Boolean item in a Boolean position counts as true (FHIRPath
    N1 §4.5; the Java validator does the same). fhirpathpy raises instead, and CRD 2.0.1's crd-ci-q2 has
    such an operand (`extension.where(...) implies ...`)."""
    data = _fhirpath_util.get_data(value)  # type: ignore[no-untyped-call]
    return data if isinstance(data, bool) else True


_fhirpath_engine.param_check_table["Boolean"] = _singleton_boolean


def coverage_information_errors(extension: Mapping[str, Any], version: str) -> list[str]:
    return profile(version).errors(extension)


@cache
def profile(version: str) -> Profile:
    folder = DATA / FOLDERS[version]
    definition = json.loads((folder / "StructureDefinition-ext-coverage-information.json").read_text())
    elements = definition["snapshot"]["element"]
    slices: dict[str, SliceRule] = {"Extension": SliceRule("coverage-information", 1, 1)}
    for element in elements:
        element_id = element["id"]
        parent, _, last = element_id.rpartition(".")
        if last.startswith("extension:") and parent in slices:
            maximum = element["max"]
            rule = SliceRule(last.split(":", 1)[1], element["min"], None if maximum == "*" else int(maximum))
            slices[element_id] = rule
            slices[parent].children[rule.name] = rule
        elif last == "value[x]" and parent in slices and element["max"] != "0":
            binding = element.get("binding")
            slices[parent].value = ValueRule(
                types=tuple(t["code"] for t in element.get("type", [])),
                min=element["min"],
                binding=(binding["strength"], binding["valueSet"].split("|")[0]) if binding else None,
                simple_quantity=any(
                    p.endswith("/SimpleQuantity") for t in element.get("type", []) for p in t.get("profile", [])
                ),
            )
    invariants = {c["key"]: c["expression"] for c in elements[0].get("constraint", []) if c["key"].startswith("crd-")}
    code_systems = _code_systems(folder)
    value_sets: dict[str, frozenset[tuple[str, str]]] = {}
    systems: dict[str, frozenset[str]] = {}
    for path in folder.glob("ValueSet-*.json"):
        value_set = json.loads(path.read_text())
        members: set[tuple[str, str]] = set()
        for include in value_set["compose"]["include"]:
            system = include["system"]
            codes = [c["code"] for c in include["concept"]] if "concept" in include else code_systems[system]
            members |= {(system, code) for code in codes}
        value_sets[value_set["url"]] = frozenset(members)
        systems[value_set["url"]] = frozenset(i["system"] for i in value_set["compose"]["include"])
    return Profile(version, definition["url"], slices["Extension"], invariants, value_sets, systems)


def _code_systems(folder: Path) -> dict[str, list[str]]:
    """Selectable codes of each stored code system (JSON, or the THO XML source)."""
    found: dict[str, list[str]] = {}
    for path in folder.glob("CodeSystem-*.json"):
        system = json.loads(path.read_text())
        found[system["url"]] = _selectable(system.get("concept", []))
    for path in folder.glob("CodeSystem-*.xml"):
        root = ET.parse(path).getroot()
        url = root.find(f"{_FHIR_NS}url")
        assert url is not None
        found[url.attrib["value"]] = _selectable([_xml_concept(c) for c in root.findall(f"{_FHIR_NS}concept")])
    return found


def _xml_concept(element: ET.Element) -> dict[str, Any]:
    code = element.find(f"{_FHIR_NS}code")
    abstract = any(
        p.find(f"{_FHIR_NS}code") is not None and p.find(f"{_FHIR_NS}code").attrib["value"] == "abstract"  # type: ignore[union-attr]
        for p in element.findall(f"{_FHIR_NS}property")
    )
    return {
        "code": code.attrib["value"] if code is not None else "",
        "property": [{"code": "abstract", "valueBoolean": True}] if abstract else [],
        "concept": [_xml_concept(c) for c in element.findall(f"{_FHIR_NS}concept")],
    }


def _selectable(concepts: list[dict[str, Any]]) -> list[str]:
    codes = []
    for concept in concepts:
        abstract = any(
            p.get("code") in ("abstract", "notSelectable") and p.get("valueBoolean")
            for p in concept.get("property", [])
        )
        if not abstract:
            codes.append(concept["code"])
        codes += _selectable(concept.get("concept", []))
    return codes
