"""PatientRecord: one patient's FHIR resources (plain dicts), indexed once by type and reference."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..runtime.clinical import Concept
from .references import relative_reference
from .retrieve import Resource, codes_at


class PatientRecord:
    """Indexes resources by type and by `Type/id` (and bundle fullUrl) for retrieves and references."""

    __slots__ = (
        "_by_type", "_by_ref", "refs", "_code_cache", "_codes_by_id", "patient", "converted", "_concepts", "_in_codes",
    )  # fmt: skip

    def __init__(self, resources: Iterable[Resource], full_urls: Sequence[str | None] = ()) -> None:
        self._by_type: dict[str, list[Resource]] = {}
        self._by_ref: dict[str, Resource] = {}
        # id(resource) -> `Type/id`: evidence names resources by it (read directly by generated query loops)
        self.refs: dict[int, str] = {}
        self._code_cache: dict[tuple[str, str], list[tuple[Resource, frozenset[tuple[str | None, str]]]]] = {}
        self._codes_by_id: dict[tuple[str, str], dict[int, frozenset[tuple[str | None, str]]]] = {}
        # (FHIR type, id(element)) -> (element, its System value): FHIRHelpers' conversion of an element, made once
        # per record (compile/conversions.py). The element is kept beside its value so its id cannot be reused
        # while the entry exists; elements are never changed after parsing, so the value stays right.
        self.converted: dict[tuple[str, int], tuple[Any, Any]] = {}
        # one Concept object per distinct concept read from the record: equal drugs of different orders meet in
        # function memos and kept results by identity, without Concept.__eq__
        self._concepts: dict[tuple[Any, ...], Concept] = {}
        # (type, code path, id(codes)) -> (codes, the resources with one of them): a value-set retrieve, once per record
        self._in_codes: dict[tuple[str, str, int], tuple[frozenset[tuple[str | None, str]], list[Resource]]] = {}
        urls = list(full_urls)
        for index, resource in enumerate(resources):
            rtype = resource.get("resourceType")
            if not isinstance(rtype, str):
                continue
            self._by_type.setdefault(rtype, []).append(resource)
            rid = resource.get("id")
            full_url = urls[index] if index < len(urls) else None
            if rid:
                ref = f"{rtype}/{rid}"
            elif full_url:
                # transaction bundles leave ids to the server: name the resource by its fullUrl
                ref = f"{rtype}/{full_url.rstrip('/').rsplit('/', 1)[-1].rsplit(':', 1)[-1]}"
            else:
                ref = f"{rtype}/#{index}"
            self.refs[id(resource)] = ref
            self._by_ref[ref] = resource
            if full_url:
                self._by_ref[full_url] = resource
            for contained in _contained(resource) if "contained" in resource else ():
                if contained.get("id"):
                    self.refs[id(contained)] = f"{ref}#{contained['id']}"
        patients = self._by_type.get("Patient", [])
        self.patient: Resource | None = patients[0] if patients else None

    @classmethod
    def from_bundle(cls, bundle: Mapping[str, Any]) -> PatientRecord:
        entries = [
            e for e in bundle.get("entry", ()) or () if isinstance(e, dict) and isinstance(e.get("resource"), dict)
        ]
        return cls([e["resource"] for e in entries], [e.get("fullUrl") for e in entries])

    @classmethod
    def from_resources(cls, resources: Iterable[Resource]) -> PatientRecord:
        return cls(list(resources))

    def of_type(self, resource_type: str) -> list[Resource]:
        return self._by_type.get(resource_type, [])

    def ref_of(self, resource: Resource) -> str | None:
        return self.refs.get(id(resource))

    def resolve(self, reference: str | None, container: Resource | None = None) -> Resource | None:
        if not reference:
            return None
        if reference.startswith("#") and container is not None:
            for contained in _contained(container):
                if contained.get("id") == reference[1:]:
                    found: Resource = contained
                    return found
            return None
        hit = self._by_ref.get(reference)
        if hit is None and "/" in reference:
            hit = self._by_ref.get(relative_reference(reference))
        return hit

    def coded(
        self, resource_type: str, path: str, codes_of: Any
    ) -> list[tuple[Resource, frozenset[tuple[str | None, str]]]]:
        """Resources of a type with the (system, code) pairs at their code path, computed once."""
        key = (resource_type, path)
        cached = self._code_cache.get(key)
        if cached is None:
            cached = [(r, codes_of(self, r)) for r in self.of_type(resource_type)]
            self._code_cache[key] = cached
        return cached

    def converted_value(self, fhir_type: str, element: dict[str, Any], conversion: Any) -> Any:
        """`conversion(element)` (FHIRHelpers' conversion of an element of that FHIR type), made once per record."""
        key = (fhir_type, id(element))
        hit = self.converted.get(key)
        if hit is None:
            value = conversion(element)
            if type(value) is Concept:
                try:
                    value = self._concepts.setdefault(value.ident, value)
                except TypeError:  # a malformed coding (a list for a code): not hashable, kept as it is
                    pass
            hit = self.converted[key] = (element, value)
        return hit[1]

    def coded_in(
        self, resource_type: str, path: str, codes_of: Any, wanted: frozenset[tuple[str | None, str]]
    ) -> list[Resource]:
        """Resources of a type with one of the `wanted` (system, code) pairs at their code path, in record order,
        found once per record and code set (a value set's codes are one long-lived frozenset, kept here beside the
        result so its id is not reused while the entry exists). The list is shared: callers never change it."""
        key = (resource_type, path, id(wanted))
        hit = self._in_codes.get(key)
        if hit is None:
            found = [r for r, keys in self.coded(resource_type, path, codes_of) if not keys.isdisjoint(wanted)]
            hit = self._in_codes[key] = (wanted, found)
        return hit[1]

    def codes_of(self, resource_type: str, path: str, resource: Resource) -> frozenset[tuple[str | None, str]]:
        """The (system, code) pairs of one resource at a CodeableConcept path (indexed once per path)."""
        by_id = self._codes_by_id.get((resource_type, path))
        if by_id is None:
            by_id = {id(r): keys for r, keys in self.coded(resource_type, path, lambda rec, r: codes_at(rec, r, path))}
            self._codes_by_id[(resource_type, path)] = by_id
        keys = by_id.get(id(resource))
        if keys is None:  # an element not from this record (e.g. built by the library): read it directly
            keys = codes_at(self, resource, path)
        return keys

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_type.values())


def _contained(resource: Resource) -> list[Resource]:
    """The contained resources that are objects; anything else there (a malformed `"contained": true`) is none."""
    contained = resource.get("contained")
    return [c for c in contained if isinstance(c, dict)] if isinstance(contained, list) else []
