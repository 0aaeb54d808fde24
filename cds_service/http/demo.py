"""The demo page (`GET /`), the sample hook requests it offers, and CORS for browser-based CDS clients.

The page is plain HTML + JS served from `static/` (no build step). Samples come from `sample_bundles/`
(overridable with CDS_SAMPLES_DIR); when the folder is absent the page still works with pasted requests.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import orjson
from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles

from ..hook.errors import NotFoundError

PACKAGE_DIR = Path(__file__).resolve().parent
STATIC_DIR = PACKAGE_DIR / "static"
SAMPLES_ENV = "CDS_SAMPLES_DIR"
# A sample name is a file stem: this keeps `..` and separators out of the path we open.
_SAMPLE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$")


@dataclass(frozen=True)
class SampleSummary:
    name: str
    hook: str
    description: str


def default_samples_dir() -> Path:
    """CDS_SAMPLES_DIR, else ./sample_bundles, else the repository's sample_bundles beside the package."""
    configured = os.environ.get(SAMPLES_ENV)
    if configured:
        return Path(configured)
    local = Path("sample_bundles")
    return local if local.is_dir() else PACKAGE_DIR.parents[1] / "sample_bundles"


def list_samples(samples_dir: Path) -> list[SampleSummary]:
    """Hook requests (files with a `hook` member) at the top of the folder, by name, described by the
    folder's index.json when it has one."""
    if not samples_dir.is_dir():
        return []
    descriptions = _descriptions(samples_dir / "index.json")
    found = []
    for path in sorted(samples_dir.glob("*.json")):
        try:
            document = orjson.loads(path.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            continue
        if isinstance(document, dict) and isinstance(document.get("hook"), str):
            found.append(SampleSummary(path.stem, document["hook"], descriptions.get(path.stem, "")))
    return found


def _descriptions(index_file: Path) -> dict[str, str]:
    try:
        index = orjson.loads(index_file.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return {}
    entries = index.get("samples") if isinstance(index, dict) else None
    return {str(e["name"]): str(e.get("description", "")) for e in entries or () if isinstance(e, dict) and "name" in e}


def read_sample(samples_dir: Path, name: str) -> bytes | None:
    if not _SAMPLE_NAME.match(name):
        return None
    path = samples_dir / f"{name}.json"
    return path.read_bytes() if path.is_file() else None


def demo_router(samples_dir: Path) -> APIRouter:
    router = APIRouter()

    @router.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html")

    @router.get("/demo/samples")
    async def samples() -> Response:
        body = [{"name": s.name, "hook": s.hook, "description": s.description} for s in list_samples(samples_dir)]
        return Response(orjson.dumps(body), media_type="application/json")

    @router.get("/demo/samples/{name}")
    async def sample(name: str) -> Response:
        content = read_sample(samples_dir, name)
        if content is None:
            error = NotFoundError(f"no sample named {name!r}")
            return Response(orjson.dumps(error.outcome()), status_code=404, media_type="application/fhir+json")
        return Response(content, media_type="application/json")

    return router


def install_demo(app: FastAPI, samples_dir: Path | None = None) -> None:
    """Serve the demo page and its assets on `app`."""
    app.include_router(demo_router(samples_dir or default_samples_dir()))
    app.mount("/demo/static", StaticFiles(directory=STATIC_DIR), name="demo-static")


def allow_browser_clients(app: FastAPI) -> None:
    """CORS for the discovery and service endpoints, so browser-based CDS clients can call them.

    Any origin: the sandbox and SMART harnesses live on other origins, hook calls carry no cookies, and
    what authenticates a client is the JWT in its Authorization header, not where the page came from.
    """
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "POST", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type", "Accept"],
        allow_credentials=False,
        max_age=600,
    )


__all__ = [
    "SampleSummary",
    "allow_browser_clients",
    "default_samples_dir",
    "install_demo",
    "list_samples",
    "read_sample",
]
