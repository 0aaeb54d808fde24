"""Run tools/reference-cql (Node) once for a whole batch of libraries x records."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from tests.conformance.refcql_records import REPO, LibrarySpec, RecordSpec

TOOL = REPO / "tools" / "reference-cql"
CLI = TOOL / "cli.mjs"


def missing_tools() -> str | None:
    """Why the reference engine cannot run here, or None when node and npm are available."""
    for exe in ("node", "npm"):
        if shutil.which(exe) is None:
            return f"{exe} not found on PATH: the reference CQL cross-check (issue 6) needs Node.js >= 20 and npm"
    out = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False).stdout.strip()
    major = int(out.lstrip("v").split(".")[0] or 0) if out.startswith("v") else 0
    if major < 20:
        return f"node {out or '?'} is too old: the reference CQL cross-check needs Node.js >= 20"
    return None


def ensure_installed() -> None:
    """`npm ci` in tools/reference-cql when node_modules is missing (a fresh clone, CI)."""
    marker = TOOL / "node_modules" / "@cqframework" / "cql" / "package.json"
    if marker.is_file():
        return
    proc = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=TOOL, capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    if proc.returncode != 0:
        raise RuntimeError(f"npm ci failed in {TOOL}:\n{proc.stdout}\n{proc.stderr}")


CACHE = TOOL / "node_modules" / ".cache" / "reference-results"


def _fingerprint(libraries: list[LibrarySpec], records: list[RecordSpec], timing: list[dict[str, Any]]) -> str:
    """Hash of everything the reference results depend on: the tool, its lockfile, every CQL and ValueSet file
    a library can see, each record's bundle, date and parameters, and the job itself."""
    h = hashlib.sha256()
    tool_files = [
        TOOL / "package-lock.json",
        CLI,
        *sorted((TOOL / "lib").glob("*.mjs")),
        *sorted(TOOL.glob("modelinfo/*")),
    ]
    seen: set[Path] = set()
    for lib in libraries:
        for folder in (lib.file.parent, *lib.lib_paths, *lib.valueset_dirs):
            seen.update(p for p in folder.glob("*") if p.suffix in (".cql", ".json"))
    for path in [*tool_files, *sorted(seen)]:
        h.update(str(path).encode())
        h.update(path.read_bytes())
    job = {"libraries": [[lib.id, str(lib.file)] for lib in libraries], "timing": timing,
           "records": [[r.id, r.now, r.parameters, r.libraries, r.bundle] for r in records]}  # fmt: skip
    h.update(json.dumps(job, sort_keys=True).encode())
    return h.hexdigest()


def run_batch(
    libraries: list[LibrarySpec],
    records: list[RecordSpec],
    timing: list[dict[str, Any]] | None = None,
    use_cache: bool = True,
) -> dict[str, Any]:
    """One Node process: translate every library, evaluate each record against its libraries.

    The result is cached under tools/reference-cql/node_modules/.cache (never committed; a fresh clone or CI
    computes it) keyed by a fingerprint of every input, so unchanged inputs are not re-run on each `make test`.
    """
    key = _fingerprint(libraries, records, timing or [])
    cached = CACHE / f"{key}.json"
    if use_cache and cached.is_file():
        hit: dict[str, Any] = json.loads(cached.read_text(encoding="utf-8"))
        hit["cached"] = True
        return hit
    result = _run_node(libraries, records, timing or [])
    CACHE.mkdir(parents=True, exist_ok=True)
    for old in CACHE.glob("*.json"):
        old.unlink()
    cached.write_text(json.dumps(result), encoding="utf-8")
    result["cached"] = False
    return result


def _run_node(libraries: list[LibrarySpec], records: list[RecordSpec], timing: list[dict[str, Any]]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="refcql-") as tmp:
        tmpdir = Path(tmp)
        job_records = []
        for n, rec in enumerate(records):
            data = tmpdir / f"record-{n:04d}.json"
            data.write_text(json.dumps(rec.bundle), encoding="utf-8")
            job_records.append({"id": rec.id, "data": str(data), "now": rec.now,
                                "parameters": rec.parameters, "libraries": rec.libraries})  # fmt: skip
        job = {
            "libraries": [
                {
                    "id": lib.id,
                    "file": str(lib.file),
                    "libPaths": [str(p) for p in lib.lib_paths],
                    "valueSets": [str(p) for p in lib.valueset_dirs],
                }
                for lib in libraries
            ],  # fmt: skip
            "records": job_records,
            "timing": timing,
        }
        job_file = tmpdir / "job.json"
        job_file.write_text(json.dumps(job), encoding="utf-8")
        proc = subprocess.run(["node", str(CLI), "batch", str(job_file)],
                              capture_output=True, text=True, check=False, timeout=600)  # fmt: skip
    if proc.returncode != 0:
        raise RuntimeError(f"reference-cql batch failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["node", str(CLI), *args], capture_output=True, text=True, check=False, timeout=300)
