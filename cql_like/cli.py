"""`python -m cql_like check PATH...` and `python -m cql_like eval LIBRARY.cql --data BUNDLE.json`.

For a .cql file, the library paths are its folder plus every `_shared` folder among its
ancestors; the terminology is the `valuesets/` folder in each of those places.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from .compile.host import Backend
from .errors import CqlError, Diagnostic, SourceLocation
from .fhir.record import PatientRecord
from .json_values import to_json
from .library import Library, load_library
from .terminology import LocalTerminology

app = typer.Typer(add_completion=False, help="cql_like: check and evaluate CQL libraries over FHIR R4 data.")


def search_dirs(cql: Path) -> list[Path]:
    """The library's folder, then `_shared` folders from the nearest ancestor outwards."""
    folder = cql.resolve().parent
    dirs = [folder]
    for ancestor in [folder, *folder.parents]:
        shared = ancestor / "_shared"
        if shared.is_dir() and shared not in dirs:
            dirs.append(shared)
    return dirs


def load_for_file(cql: Path, backend: Backend = "generated") -> Library:
    dirs = search_dirs(cql)
    terminology = LocalTerminology.from_dirs([d / "valuesets" for d in dirs])
    return load_library(cql, terminology=terminology, library_paths=dirs, backend=backend)


def _policy_problems(folder: Path) -> tuple[list[str], Path | None]:
    """Check policy.yaml against its main library: defines and value sets must exist."""
    meta_path = folder / "policy.yaml"
    try:
        meta = yaml.safe_load(meta_path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        return [f"{meta_path}:1:1: policy-yaml: cannot read: {exc}"], None
    name = meta.get("library")
    if not name:
        return [f"{meta_path}:1:1: policy-yaml: no `library:` named"], None
    cql = folder / f"{name}.cql"
    if not cql.is_file():
        return [f"{meta_path}:1:1: policy-yaml: main library {cql.name} not found"], None
    try:
        lib = load_for_file(cql)
    except CqlError as err:
        return [_relative(d).render() for d in err.diagnostics], cql
    defines = set(lib.define_names)
    problems: list[str] = []
    wanted: list[tuple[str, str]] = []
    for path in meta.get("paths") or []:
        for criterion in path.get("criteria") or []:
            wanted.append((str(criterion.get("define")), f"criterion {criterion.get('id')}"))
    for label, define in (meta.get("display_values") or {}).items():
        wanted.append((str(define), f"display value {label!r}"))
    for define, what in wanted:
        if define not in defines:
            problems.append(
                f"{meta_path}:1:1: unknown-define: {what} names define {define!r}, which {lib.name} does not have"
            )
    return problems, cql


def _relative(d: Diagnostic) -> Diagnostic:
    path = Path(d.loc.file).resolve()
    if not path.is_relative_to(Path.cwd()):
        return d
    rel = os.path.relpath(path)
    return Diagnostic(SourceLocation(rel, d.loc.line, d.loc.column), d.code, d.message, d.source_line)


def check_paths(paths: list[Path]) -> tuple[list[str], int]:
    """Every problem (rendered, each once) and the number of libraries checked."""
    problems: list[str] = []
    checked: set[Path] = set()
    files: list[Path] = []
    for root in paths:
        if root.is_file():
            files.append(root)
            continue
        if not root.exists():
            continue
        for policy_yaml in sorted(root.rglob("policy.yaml")):
            found, main = _policy_problems(policy_yaml.parent)
            problems.extend(found)
            if main is not None:
                checked.add(main.resolve())
        files.extend(sorted(root.rglob("*.cql")))
    for cql in files:
        if cql.resolve() in checked:
            continue
        checked.add(cql.resolve())
        try:
            load_for_file(cql)
        except CqlError as err:
            problems.extend(_relative(d).render() for d in err.diagnostics)
    return list(dict.fromkeys(problems)), len(checked)


@app.command()
def check(paths: Annotated[list[Path], typer.Argument(help=".cql files or folders")]) -> None:
    """Load every library (and policy.yaml) and report every error; exit 1 on any."""
    problems, count = check_paths(paths)
    for p in problems:
        typer.echo(p, err=True)
    if problems:
        typer.echo(f"{len(problems)} problem(s) in {count} librar{'y' if count == 1 else 'ies'}", err=True)
        raise typer.Exit(1)
    typer.echo(f"ok: {count} librar{'y' if count == 1 else 'ies'} checked")


@app.command("eval")
def eval_(
    library: Annotated[Path, typer.Argument(help="the .cql library")],
    data: Annotated[Path, typer.Option("--data", help="FHIR Bundle JSON (or a JSON list of resources)")],
    define: Annotated[list[str] | None, typer.Option("--define", help="only these defines")] = None,
    now: Annotated[str | None, typer.Option("--now", help="evaluation date YYYY-MM-DD (default: today UTC)")] = None,
    param: Annotated[list[str] | None, typer.Option("--param", help="NAME=VALUE (string)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Evaluate a library against one patient's data."""
    try:
        lib = load_for_file(library)
    except CqlError as err:
        typer.echo(err.render(), err=True)
        raise typer.Exit(1) from err
    raw = json.loads(data.read_text(encoding="utf-8"))
    record = (
        PatientRecord.from_resources(raw)
        if isinstance(raw, list)
        else (
            PatientRecord.from_bundle(raw)
            if raw.get("resourceType") == "Bundle"
            else PatientRecord.from_resources([raw])
        )
    )
    when = dt.datetime.fromisoformat(now).replace(tzinfo=dt.UTC) if now else dt.datetime.now(dt.UTC)
    params: dict[str, Any] = {}
    for item in param or []:
        key, _, value = item.partition("=")
        params[key] = value
    results = lib.evaluate(record, now=when, parameters=params, defines=define or None)
    if as_json:
        out = {"defines": {k: to_json(v) for k, v in results.values.items()},
               "evidence": {k: list(v) for k, v in results.evidence.items()}}  # fmt: skip
        sys.stdout.write(json.dumps(out, indent=2) + "\n")
        return
    for name, value in results.values.items():
        ev = results.evidence[name]
        suffix = f"   <- {', '.join(ev)}" if ev else ""
        typer.echo(f"{name}: {json.dumps(to_json(value))}{suffix}")


def main() -> None:
    app()


__all__ = ["app", "check_paths", "load_for_file", "main", "search_dirs", "Diagnostic", "SourceLocation"]
