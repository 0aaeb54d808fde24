"""The HTTP floor: the cheapest FastAPI endpoint that takes the same request and gives a CDS Hooks answer.

It reads the whole request body (as the service must) and answers an empty card list, on the same path,
under the same uvicorn as the service. Echoing the 150 KB body back would make the floor slower and flatter
us, so it does not; `our HTTP p50 / echo p50` is the price of everything the service does beyond receiving
and answering.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response

app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
_EMPTY_ANSWER = b'{"cards":[],"systemActions":[]}'


@app.post("/cds-services/{service_id}")
async def echo(service_id: str, request: Request) -> Response:
    await request.body()
    return Response(_EMPTY_ANSWER, media_type="application/json")


@app.get("/healthz")
async def healthz() -> Response:
    return Response(b'{"status":"ok"}', media_type="application/json")
