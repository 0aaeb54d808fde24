"""Load every policy folder once, compile its CQL, and index it by (payer, drug code) for O(1) routing."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cql_like import Library, LibraryPool, LocalTerminology, ValueSet, ValueSetReader, load_library

from .metadata import PolicyMetadata, PolicyMetadataError, load_metadata

SHARED_FOLDER = "_shared"
METADATA_FILE = "policy.yaml"


@dataclass(frozen=True, kw_only=True)
class PolicyContent:
    """What cards, suggestions and coverage-information read of a policy: its metadata and shipped files."""

    metadata: PolicyMetadata
    questionnaire: dict[str, Any] | None = None
    template_dir: Path | None = None

    @property
    def id(self) -> str:
        return self.metadata.id

    @property
    def version(self) -> str:
        return self.metadata.version

    @property
    def questionnaire_url(self) -> str | None:
        if self.questionnaire is None:
            return None
        url = self.questionnaire.get("url")
        return str(url) if url else None


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
        with _without_cycle_collection():
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
            if policy.questionnaire and policy.questionnaire.get("id") == questionnaire_id:
                return policy.questionnaire
        return None

    def __iter__(self) -> Iterator[Policy]:
        return iter(self.policies.values())

    def __len__(self) -> int:
        return len(self.policies)


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """The cycle collector paused while policies load, and what they loaded moved to its oldest generation after:
    a thousand policies are millions of objects that live as long as the registry, and the young collections they
    would trigger traverse every one of them again and again (~40% of a warm start). Only a full collection visits
    them (the service's freeze_heap then skips them: a young collection and gc.freeze)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()  # every tracked object to the permanent generation, without traversing it,
        gc.unfreeze()  # and back into the oldest one
        if enabled:
            gc.enable()


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
    questionnaire = None
    if metadata.questionnaire:
        questionnaire_path = folder / metadata.questionnaire
        try:
            questionnaire = json.loads(questionnaire_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise PolicyMetadataError(f"{questionnaire_path}: cannot read questionnaire: {exc}") from exc
    template_dir = folder / "templates"
    return Policy(
        metadata=metadata,
        library=library,
        folder=folder,
        questionnaire=questionnaire,
        template_dir=template_dir if template_dir.is_dir() else None,
    )
