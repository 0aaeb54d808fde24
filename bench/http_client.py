"""A minimal HTTP/1.1 keep-alive client over raw sockets, so the load generator costs microseconds per request
and the latency measured is the server's plus the loopback, not an HTTP library's.

Only what the benchmark needs: POST with a prebuilt body, responses with Content-Length (uvicorn sends it for
every non-streaming Response), connection reused until the server closes it.
"""

from __future__ import annotations

import asyncio
import socket
import time
from dataclasses import dataclass, field

_HEADER_END = b"\r\n\r\n"


class HttpError(RuntimeError):
    before_response = True  # nothing of a response had arrived: safe to retry on a new connection


def post_request(host: str, port: int, path: str, body: bytes, content_type: str = "application/json") -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n"
    )
    return head.encode("ascii") + body


def parse_head(head: bytes) -> tuple[int, int, bool]:
    """(status, content length, server closes) from a response head."""
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
        raise HttpError(f"not an HTTP/1.x response: {lines[0][:80]!r}")
    length = None
    closes = False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        key = name.strip().lower()
        if key == b"content-length":
            length = int(value.strip())
        elif key == b"connection" and value.strip().lower() == b"close":
            closes = True
        elif key == b"transfer-encoding":
            raise HttpError("chunked responses are not supported by the benchmark client")
    if length is None:
        raise HttpError("response without Content-Length")
    return int(parts[1]), length, closes


class KeepAliveClient:
    """Sequential requests on one connection; `send` returns (status, body, milliseconds)."""

    def __init__(self, host: str, port: int, timeout_s: float = 30.0) -> None:
        self.host = host
        self.port = port
        self._timeout = timeout_s
        self._sock: socket.socket | None = None
        self._buffer = b""

    def _connect(self) -> socket.socket:
        sock = socket.create_connection((self.host, self.port), timeout=self._timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = sock
        self._buffer = b""
        return sock

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def send(self, raw_request: bytes) -> tuple[int, bytes, float]:
        reused = self._sock is not None
        try:
            return self._exchange(raw_request)
        except (HttpError, ConnectionError) as error:
            # uvicorn closes a keep-alive connection idle for 5 s; like any HTTP client, retry such a request
            # once on a new connection (and time only the retry: connecting is not the latency measured)
            if not reused or not getattr(error, "before_response", True):
                raise
            self.close()
            return self._exchange(raw_request)

    def _exchange(self, raw_request: bytes) -> tuple[int, bytes, float]:
        sock = self._sock or self._connect()
        started = time.perf_counter()
        sock.sendall(raw_request)
        buffer = self._buffer
        while _HEADER_END not in buffer:
            buffer += self._recv(sock, before_response=not buffer)
        head, _, buffer = buffer.partition(_HEADER_END)
        status, length, closes = parse_head(head)
        while len(buffer) < length:
            buffer += self._recv(sock, before_response=False)
        elapsed = (time.perf_counter() - started) * 1000.0
        body, self._buffer = buffer[:length], buffer[length:]
        if closes:
            self.close()
        return status, body, elapsed

    def _recv(self, sock: socket.socket, *, before_response: bool) -> bytes:
        chunk = sock.recv(1 << 20)
        if not chunk:
            self.close()
            error = HttpError("server closed the connection" + ("" if before_response else " mid-response"))
            error.before_response = before_response
            raise error
        return chunk


@dataclass
class LoadResult:
    duration_s: float
    completed: int = 0
    failed: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return self.completed / self.duration_s if self.duration_s > 0 else 0.0


async def _client_loop(host: str, port: int, raw: bytes, stop_at: float, result: LoadResult) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            writer.write(raw)
            head = await reader.readuntil(_HEADER_END)
            status, length, closes = parse_head(head[: -len(_HEADER_END)])
            await reader.readexactly(length)
            result.latencies_ms.append((time.perf_counter() - started) * 1000.0)
            result.statuses[status] = result.statuses.get(status, 0) + 1
            if status == 200:
                result.completed += 1
            else:
                result.failed += 1
            if closes:
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
    finally:
        writer.close()


async def _closed_loop(host: str, port: int, raw: bytes, clients: int, duration_s: float) -> LoadResult:
    started = time.perf_counter()
    result = LoadResult(duration_s=duration_s)
    stop_at = started + duration_s
    # A client that starts a request just before stop_at finishes it; the rate counts the real elapsed time.
    await asyncio.wait_for(
        asyncio.gather(*(_client_loop(host, port, raw, stop_at, result) for _ in range(clients))),
        timeout=duration_s + 30.0,
    )
    result.duration_s = time.perf_counter() - started
    return result


def closed_loop_load(host: str, port: int, raw_request: bytes, clients: int, duration_s: float) -> LoadResult:
    """`clients` connections, each sending the next request as soon as the last answer arrived."""
    return asyncio.run(_closed_loop(host, port, raw_request, clients, duration_s))
