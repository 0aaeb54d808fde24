"""Load every policy folder once, compile its CQL, and index it by (payer, drug code) for O(1) routing."""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cql_like import Library, LibraryPool, LocalTerminology, ValueSet, load_library
from cql_like.terminology import ValueSetReader

from .metadata import PolicyMetadata, PolicyMetadataError, load_metadata

SHARED_FOLDER = "_shared"
METADATA_FILE = "policy.yaml"


@dataclass(frozen=True)
class ShippedQuestionnaire:
    """A policy's Questionnaire as its folder shipped it: its id and url at hand (cards name it), the resource kept
    as compressed JSON text and parsed on each use (DTR requests), because a thousand parsed questionnaires would be
    ~30 MB of every worker. The text is the one read and checked at load, not the file as it may be later."""

    id: Any  # the resource's `id` as written
    url: str | None
    packed: bytes = field(repr=False)  # zlib-compressed JSON text of the resource

    @classmethod
    def of(cls, resource: dict[str, Any]) -> ShippedQuestionnaire:
        return cls._of(resource, json.dumps(resource).encode())

    @classmethod
    def read(cls, path: Path) -> ShippedQuestionnaire:
        """The questionnaire of a policy folder; PolicyMetadataError when it cannot be read or is not a JSON
        object."""
        try:
            text = path.read_bytes()
            resource = json.loads(text.decode("utf-8"))
            if not isinstance(resource, dict):
                raise ValueError("not a JSON object")
        except (OSError, ValueError) as exc:
            raise PolicyMetadataError(f"{path}: cannot read questionnaire: {exc}") from exc
        return cls._of(resource, text)

    @classmethod
    def _of(cls, resource: dict[str, Any], text: bytes) -> ShippedQuestionnaire:
        url = resource.get("url")
        return cls(resource.get("id"), str(url) if url else None, zlib.compress(text))

    def resource(self) -> dict[str, Any]:
        """The resource, parsed anew: the caller's to change."""
        resource: dict[str, Any] = json.loads(zlib.decompress(self.packed))
        return resource


@dataclass(frozen=True, kw_only=True)
class PolicyContent:
    """What cards, suggestions and coverage-information read of a policy: its metadata and shipped files."""

    metadata: PolicyMetadata
    shipped_questionnaire: ShippedQuestionnaire | None = None
    template_dir: Path | None = None

    @property
    def id(self) -> str:
        return self.metadata.id

    @property
    def version(self) -> str:
        return self.metadata.version

    @property
    def questionnaire(self) -> dict[str, Any] | None:
        """The policy's Questionnaire resource (parsed on each access: the caller's to change)."""
        return None if self.shipped_questionnaire is None else self.shipped_questionnaire.resource()

    @property
    def questionnaire_url(self) -> str | None:
        return None if self.shipped_questionnaire is None else self.shipped_questionnaire.url


@dataclass(frozen=True, kw_only=True)
class Policy(PolicyContent):
    """One loaded payer policy: its content, its compiled library and the folder it came from."""

    library: Library
    folder: Path


@dataclass
class PolicyRegistry:
    """All loaded policies, routed by payer and drug coding."""

    policies: dict[str, Policy] = field(default_factory=dict)
    _by_drug: dict[tuple[str, str, str], Policy] = field(default_factory=dict)

    @classmethod
    def load(cls, policies_dir: Path) -> PolicyRegistry:
        registry = cls()
        shared = SharedLoads()
        for metadata_path in sorted(policies_dir.rglob(METADATA_FILE)):
            if SHARED_FOLDER in metadata_path.relative_to(policies_dir).parts:
                continue
            registry.add(load_policy(metadata_path.parent, shared=shared))
        return registry

    def add(self, policy: Policy) -> None:
        if policy.id in self.policies:
            raise PolicyMetadataError(f"{policy.folder}: policy id {policy.id} is already loaded")
        self.policies[policy.id] = policy
        for product in policy.metadata.drugs:
            key = (policy.metadata.payer, product.system, product.code)
            other = self._by_drug.get(key)
            if other is not None:
                raise PolicyMetadataError(
                    f"{policy.folder}: {product.system}|{product.code} for payer "
                    f"{policy.metadata.payer} is already governed by {other.id}"
                )
            self._by_drug[key] = policy

    def find(self, payer: str, codings: Iterable[tuple[str, str]]) -> Policy | None:
        """The payer's policy for the first of the order's (system, code) codings that one governs."""
        for system, code in codings:
            policy = self._by_drug.get((payer, system, code))
            if policy is not None:
                return policy
        return None

    def questionnaire(self, questionnaire_id: str) -> dict[str, Any] | None:
        for policy in self.policies.values():
            shipped = policy.shipped_questionnaire
            if shipped is not None and shipped.id == questionnaire_id:
                return shipped.resource()
        return None

    def __iter__(self) -> Iterator[Policy]:
        return iter(self.policies.values())

    def __len__(self) -> int:
        return len(self.policies)


def shared_dirs(folder: Path) -> list[Path]:
    """Every `_shared` folder in the policy folder's ancestors, nearest first."""
    found = []
    for ancestor in [folder, *folder.parents]:
        candidate = ancestor / SHARED_FOLDER
        if candidate.is_dir():
            found.append(candidate)
    return found


class SharedLoads:
    """What the policies of one registry share as they load: the libraries of `_shared` compiled once (a pool), the
    value sets of `_shared/valuesets` read once, not once per policy (a payer has about a thousand), and each text of
    a policy's value-set file parsed once (policies copied from one template share most of theirs)."""

    def __init__(self) -> None:
        self.pool = LibraryPool()
        self.reader = ValueSetReader()
        self._value_sets: dict[Path, list[ValueSet]] = {}
        # a policy's value sets that another policy already has (policies copied from one template): one object
        self._interned: dict[tuple[str, str | None, frozenset[tuple[str | None, str]], str | None], ValueSet] = {}

    def terminology(self, folder: Path, valueset_dirs: list[Path]) -> LocalTerminology:
        """The policy's own value sets (`folder`'s, read every time) and the shared ones, in from_dirs order."""
        found: list[ValueSet] = []
        for directory in valueset_dirs:
            if directory.parent == folder:
                found += [self._intern(vs) for vs in self.reader.read_dir(directory)]
            else:
                if directory not in self._value_sets:
                    self._value_sets[directory] = self.reader.read_dir(directory)
                found += self._value_sets[directory]
        return LocalTerminology(found)

    def _intern(self, value_set: ValueSet) -> ValueSet:
        key = (value_set.url, value_set.version, value_set.codes, value_set.problem)
        return self._interned.setdefault(key, value_set)


def load_policy(folder: Path, shared: SharedLoads | None = None) -> Policy:
    metadata = load_metadata(folder / METADATA_FILE)
    library_dirs = [folder, *shared_dirs(folder)]
    valueset_dirs = [d / "valuesets" for d in library_dirs if (d / "valuesets").is_dir()]
    shared = shared if shared is not None else SharedLoads()
    library = load_library(
        folder / f"{metadata.library}.cql",
        terminology=shared.terminology(folder, valueset_dirs),
        library_paths=library_dirs,
        pool=shared.pool,
    )
    questionnaire = ShippedQuestionnaire.read(folder / metadata.questionnaire) if metadata.questionnaire else None
    template_dir = folder / "templates"
    return Policy(
        metadata=metadata,
        library=library,
        folder=folder,
        shipped_questionnaire=questionnaire,
        template_dir=template_dir if template_dir.is_dir() else None,
    )
