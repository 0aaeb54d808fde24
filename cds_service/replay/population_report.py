"""The population report: one self-contained HTML file, read offline, with the charts an analyst looks at first.

Decisions by policy and line of business, the criteria most often unknown (the documentation the population
lacks), the flips between two policy versions with example patient ids, and the run's throughput. The charts are
Vega-Lite specs made with Altair; Vega, Vega-Lite and vega-embed are inlined once (the bundle vl-convert-python
ships), so the file needs no network.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import altair as alt
import orjson
import vl_convert
from jinja2 import Environment, FileSystemLoader, select_autoescape

from .patients import ResultRow

TEMPLATES = Path(__file__).parent / "templates"
EXAMPLES_PER_FLIP = 5
TOP_UNKNOWN = 15
_DECISION_COLORS = {
    "approved": "#2e7d32",
    "needs-info": "#f9a825",
    "not-met": "#c62828",
    "no-policy": "#00838f",
    "indeterminate": "#6a1b9a",
    "error": "#424242",
}


@dataclass(frozen=True)
class RunFacts:
    source: str
    patients: int
    orphans: int
    errors: int
    seconds: float
    workers: int
    engine: str  # "dask local cluster", "dask tcp://...", "sequential"

    @property
    def patients_per_second(self) -> float:
        return self.patients / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class Flip:
    policy: str
    before: str
    after: str
    count: int
    examples: tuple[str, ...]


def _scale() -> alt.Scale:
    return alt.Scale(domain=list(_DECISION_COLORS), range=list(_DECISION_COLORS.values()))


def decisions_chart(rows: Sequence[ResultRow], title: str) -> dict[str, Any]:
    counts = Counter((r.policy_id or "(no policy)", r.line_of_business or "-", r.decision) for r in rows)
    values = [{"policy": p, "line_of_business": lob, "decision": d, "orders": n} for (p, lob, d), n in counts.items()]
    chart = (
        alt.Chart(alt.Data(values=values), title=title)
        .mark_bar()
        .encode(
            x=alt.X("orders:Q", title="orders", stack="zero"),
            y=alt.Y("line_of_business:N", title=None),
            color=alt.Color("decision:N", scale=_scale(), legend=alt.Legend(orient="bottom")),
            row=alt.Row("policy:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left")),
            tooltip=["policy:N", "line_of_business:N", "decision:N", "orders:Q"],
        )
        .properties(width=520)
        .resolve_scale(y="independent")  # each policy lists only the lines of business it decided for
    )
    spec: dict[str, Any] = chart.to_dict()
    return spec


def unknown_chart(rows: Sequence[ResultRow]) -> dict[str, Any] | None:
    counts = Counter(
        f"{r.policy_id} {c.id}" for r in rows if r.decision != "error" for c in r.criteria if c.status == "unknown"
    )
    if not counts:
        return None
    values = [{"criterion": name, "orders": n} for name, n in counts.most_common(TOP_UNKNOWN)]
    chart = (
        alt.Chart(alt.Data(values=values), title="Criteria most often unknown (documentation the population lacks)")
        .mark_bar(color="#f9a825")
        .encode(
            x=alt.X("orders:Q", title="orders with the criterion unknown"),
            y=alt.Y("criterion:N", sort="-x", title=None),
            tooltip=["criterion:N", "orders:Q"],
        )
        .properties(width=520)
    )
    spec: dict[str, Any] = chart.to_dict()
    return spec


def flips(before: Sequence[ResultRow], after: Sequence[ResultRow]) -> list[Flip]:
    later = {(r.patient_id, r.order, r.drug): r for r in after}
    grouped: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for row in before:
        other = later.get((row.patient_id, row.order, row.drug))
        new = other.decision if other else "absent"
        if new != row.decision:
            policy = row.policy_id or (other.policy_id if other else None) or "(no policy)"
            grouped[(policy, row.decision, new)].append(row.patient_id)
    return sorted(
        (Flip(p, b, a, len(ids), tuple(sorted(set(ids))[:EXAMPLES_PER_FLIP])) for (p, b, a), ids in grouped.items()),
        key=lambda f: (-f.count, f.policy, f.before, f.after),
    )


def flips_chart(found: Sequence[Flip]) -> dict[str, Any] | None:
    if not found:
        return None
    values = [{"policy": f.policy, "flip": f"{f.before} → {f.after}", "orders": f.count} for f in found]
    chart = (
        alt.Chart(alt.Data(values=values), title="Decisions that flip between the policy versions")
        .mark_bar(color="#6a1b9a")
        .encode(
            x=alt.X("orders:Q"),
            y=alt.Y("flip:N", sort="-x", title=None),
            row=alt.Row("policy:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left")),
            tooltip=["policy:N", "flip:N", "orders:Q"],
        )
        .properties(width=520)
        .resolve_scale(y="independent")
    )
    spec: dict[str, Any] = chart.to_dict()
    return spec


def render(
    facts: RunFacts,
    rows: Sequence[ResultRow],
    *,
    compared: Sequence[ResultRow] | None = None,
    baseline_label: str = "policies",
    compared_label: str | None = None,
) -> str:
    charts: list[tuple[str, dict[str, Any]]] = [
        ("decisions", decisions_chart(rows, f"Decisions by policy and line of business ({baseline_label})"))
    ]
    if compared is not None:
        charts.append(
            ("decisions-compared", decisions_chart(compared, f"… and under {compared_label or 'the other policies'}"))
        )
    unknown = unknown_chart(rows)
    if unknown is not None:
        charts.append(("unknown", unknown))
    found = flips(rows, compared) if compared is not None else []
    flip_spec = flips_chart(found)
    if flip_spec is not None:
        charts.append(("flips", flip_spec))
    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    page = environment.get_template("population_report.html").render(
        facts=facts,
        orders=len(rows),
        decided=Counter(r.decision for r in rows).most_common(),
        colors=_DECISION_COLORS,
        charts=[(name, orjson.dumps(spec).decode().replace("</", "<\\/")) for name, spec in charts],
        flips=found,
        compared=compared is not None,
        baseline_label=baseline_label,
        compared_label=compared_label,
        # the stub marks the snippet required; without one the bundle is vega-embed itself (as altair calls it)
        vega_bundle=vl_convert.javascript_bundle(),  # type: ignore[call-arg]
    )
    return page


def write_report(path: Path, page: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


__all__ = ["Flip", "RunFacts", "flips", "render", "write_report"]
