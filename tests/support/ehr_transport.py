"""An httpx transport that plays the EHRs named in fixed requests: it routes each request whose URL starts
with a configured fhirServer base to a local FakeFhirServer, and refuses anything else."""

from __future__ import annotations

from collections.abc import Mapping

import httpx


class RoutingTransport(httpx.AsyncBaseTransport):
    def __init__(self, routes: Mapping[str, str]) -> None:
        self._routes = dict(routes)
        self._inner = httpx.AsyncHTTPTransport()
        self.routed: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        for prefix, target in self._routes.items():
            if url.startswith(prefix):
                self.routed.append(url)
                request.url = httpx.URL(target + url[len(prefix) :])
                return await self._inner.handle_async_request(request)
        raise httpx.ConnectError(f"no route to {request.url.host}", request=request)

    async def aclose(self) -> None:
        await self._inner.aclose()
