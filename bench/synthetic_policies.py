"""Policy trees for the 1-vs-1,000-policies measurement (issue 17: a payer has about a thousand drug policies),
generated into a temporary directory.

A synthetic policy is a copy of one of the real policies (its CQL, value sets, questionnaire and templates; not its
tests or ELM), in turn Centene sotorasib, FEP sotorasib and Centene everolimus, under the real one's payer, so it
competes with the real policies in routing: the worst case. It is a policy for a drug of its own: a new id,
document number and questionnaire url, and every RxNorm code of its `drugs` replaced by a code no real product has,
wherever the policy folder holds it (policy.yaml, its value sets, code literals of its CQL such as everolimus's
strength table). So it compiles with its own codes and value sets and decides an order of its drug as the real
policy decides the same order of the real drug, where the policy folder alone knows the drug; the shared libraries
of `_shared` are the real ones (sotorasib's strength table lives in SotorasibCommon, so a synthetic sotorasib
product has no known strength: its dose criterion is unknown, as for any product the table lacks).

A sotorasib copy also lists one of its brand products as having a generic, in policy.yaml and in its
sotorasib-brands-with-generic value set alike (the real policy lists none), so its value sets differ from the real
ones even where the real value set is empty.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
POLICIES = REPO / "policies"
SHARED = "_shared"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
TEMPLATES = (
    POLICIES / "centene" / "CP.PHAR.549",  # sotorasib, Centene
    POLICIES / "fep-blue" / "5.21.177",  # sotorasib, FEP
    POLICIES / "centene" / "CP.PHAR.63",  # everolimus, Centene
)
EVEROLIMUS = TEMPLATES[2]
_NOT_COPIED = shutil.ignore_patterns("tests", "elm", "__pycache__", "*.pyc", "README.md")
_BRANDS_WITH_GENERIC = "sotorasib-brands-with-generic.json"
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def copy_policy(source: Path, target: Path) -> None:
    # hard links: a thousand copies of a policy folder in seconds (a file rewritten below is unlinked first)
    shutil.copytree(source, target, ignore=_NOT_COPIED, copy_function=_link)


def _link(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system: a copy
        shutil.copy2(source, target)


def _rewrite(path: Path, text: str) -> None:
    path.unlink()  # never write through a hard link into the template
    path.write_text(text, encoding="utf-8")


@functools.cache
def _metadata(template: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.load((template / "policy.yaml").read_text(encoding="utf-8"), Loader=_LOADER)
    return loaded


@functools.cache
def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def synthetic_code(index: int, position: int) -> str:
    """An RxNorm-shaped code no real product has (RxCUIs are below 3,000,000 today): 9, the policy, the product."""
    return f"9{index:04d}{position:03d}"


@dataclass(frozen=True)
class Synthetic:
    index: int
    template: Path
    codes: dict[str, str]  # real RxNorm code -> this policy's code

    @property
    def id(self) -> str:
        return f"synthetic-{self.index:04d}"

    @property
    def folder_name(self) -> str:
        return f"SYN.{self.index:04d}"


def template_of(index: int) -> Path:
    return TEMPLATES[(index - 1) % len(TEMPLATES)]


def code_map(template: Path, index: int) -> dict[str, str]:
    metadata = _metadata(template)
    return {str(drug["code"]): synthetic_code(index, k) for k, drug in enumerate(metadata["drugs"])}


def write_synthetic(template: Path, target: Path, index: int) -> Synthetic:
    synthetic = Synthetic(index, template, code_map(template, index))
    copy_policy(template, target)
    generic_brand = _write_metadata(template, target / "policy.yaml", synthetic)
    for path in sorted((template / "valuesets").glob("*.json")) if (template / "valuesets").is_dir() else []:
        _write_value_set(path, target / "valuesets" / path.name, synthetic, generic_brand)
    for cql in template.glob("*.cql"):
        text = cql.read_text(encoding="utf-8")
        # a code as a CQL string literal (a strength table row): the real code's row becomes this drug's
        recoded_text = re.sub(r"'(\d+)'", lambda m: f"'{synthetic.codes.get(m[1], m[1])}'", text)
        if recoded_text != text:
            _rewrite(target / cql.name, recoded_text)
    if (template / "questionnaire.json").is_file():
        resource = dict(_json(template / "questionnaire.json"))
        resource["id"] = f"{resource['id']}-{synthetic.id}"
        resource["url"] = f"{resource['url']}-{synthetic.id}"
        _rewrite(target / "questionnaire.json", json.dumps(resource, indent=1))
    return synthetic


def _write_metadata(template: Path, path: Path, synthetic: Synthetic) -> str | None:
    """Rewrites policy.yaml; returns the brand product listed as having a generic, if this copy adds one."""
    metadata = copy.deepcopy(_metadata(template))
    metadata["id"] = synthetic.id
    metadata["title"] = f"Synthetic drug {synthetic.index}"
    metadata["drug"] = f"Synthdrug-{synthetic.index}"
    metadata["document"]["number"] = f"SYN.{synthetic.index:04d}"
    generic_brand = None
    for drug in metadata["drugs"]:
        code = synthetic.codes[str(drug["code"])]
        drug["display"] = f"synthdrug {synthetic.index} product {code} (as {drug['display']})"
        drug["code"] = code
        if "generic_equivalent" in drug:
            drug["generic_equivalent"] = synthetic.codes.get(
                str(drug["generic_equivalent"]), drug["generic_equivalent"]
            )
        if (path.parent / "valuesets" / _BRANDS_WITH_GENERIC).is_file() and drug.get("tty") == "SBD":
            generic_brand = code  # the last brand product: one the benchmark's requests never order
    for exception in metadata.get("formulary_exceptions", {}).values():
        exception["products"] = [synthetic.codes.get(str(c), c) for c in exception["products"]]
    for drug in metadata["drugs"]:
        if drug["code"] == generic_brand:
            drug["generic_available"] = True
    _rewrite(path, yaml.dump(metadata, Dumper=_DUMPER, sort_keys=False, allow_unicode=True))
    return generic_brand


def _write_value_set(source: Path, path: Path, synthetic: Synthetic, generic_brand: str | None) -> None:
    original = _json(source)
    text = json.dumps(original)
    if not any(code in text for code in synthetic.codes) and source.name != _BRANDS_WITH_GENERIC:
        return  # no code of the drug: the linked copy stays
    resource = copy.deepcopy(original)

    def recode(items: list[dict[str, Any]], system: str | None) -> None:
        for item in items:
            if (item.get("system", system) == RXNORM) and str(item.get("code")) in synthetic.codes:
                item["code"] = synthetic.codes[str(item["code"])]
            recode(item.get("contains", []), system)

    for include in resource.get("compose", {}).get("include", []):
        recode(include.get("concept", []), include.get("system"))
    expansion = resource.get("expansion")
    if isinstance(expansion, dict):
        recode(expansion.get("contains", []), None)
        if path.name == _BRANDS_WITH_GENERIC and generic_brand is not None:
            expansion.setdefault("contains", []).append({"system": RXNORM, "code": generic_brand})
            expansion["total"] = len(expansion["contains"])
    _rewrite(path, json.dumps(resource, indent=1))


def build_tree(root: Path, total: int) -> tuple[Path, list[Synthetic]]:
    """`root` holding `_shared`, the real sotorasib policy CP.PHAR.549 and, for `total` above 1, the other real
    policies and synthetic copies until `total` policies: (root, the synthetic ones)."""
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(POLICIES / SHARED, root / SHARED, ignore=_NOT_COPIED)
    real = TEMPLATES[: max(1, min(total, len(TEMPLATES)))]
    for template in real:
        copy_policy(template, root / template.relative_to(POLICIES))
    synthetics = []
    for index in range(1, total - len(real) + 1):
        template = template_of(index)
        payer_dir = root / template.relative_to(POLICIES).parent
        synthetics.append(write_synthetic(template, payer_dir / f"SYN.{index:04d}", index))
    return root, synthetics


def recoded(request: dict[str, Any], codes: dict[str, str]) -> dict[str, Any]:
    """The request with every RxNorm code of `codes` replaced (an order of the synthetic drug, not the real one)."""

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            out = {k: walk(v) for k, v in value.items()}
            if out.get("system") == RXNORM and str(out.get("code")) in codes:
                out["code"] = codes[str(out["code"])]
            return out
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    result: dict[str, Any] = walk(request)
    return result
