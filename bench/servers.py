"""Server processes for the benchmark: the real service (`python -m cds_service serve`) and the echo floor.

Both bind 127.0.0.1 on a free port, run in their own process group (so uvicorn's worker processes go with
them), must answer /healthz within `startup_timeout_s`, and are stopped on exit: SIGTERM, then SIGKILL of the
group after a grace period. An `atexit` hook stops any server still running if the benchmark dies on an error.
"""

from __future__ import annotations

import atexit
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from .http_client import HttpError, KeepAliveClient
from .memory import process_cpu_s, process_memory

REPO = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
_running: set[ServerProcess] = set()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


class ServerError(RuntimeError):
    pass


class ServerProcess:
    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        log_path: Path,
        env: Mapping[str, str] | None = None,
        startup_timeout_s: float = 60.0,
    ) -> None:
        self.name = name
        self.port = free_port()
        self._argv = [a.replace("{port}", str(self.port)) for a in argv]
        self._env = {**os.environ, **(env or {})}
        self.log_path = log_path
        self._startup_timeout = startup_timeout_s
        self._process: subprocess.Popen[bytes] | None = None
        self._log: BinaryIO | None = None
        self.startup_s = 0.0

    @property
    def pid(self) -> int:
        if self._process is None:
            raise ServerError(f"{self.name} is not running")
        return self._process.pid

    def __enter__(self) -> ServerProcess:
        self._log = self.log_path.open("wb")
        started = time.perf_counter()
        self._process = subprocess.Popen(
            self._argv,
            cwd=REPO,
            env=self._env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        _running.add(self)
        try:
            self._wait_ready(started)
        except BaseException:
            self.stop()
            raise
        self.startup_s = time.perf_counter() - started
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _wait_ready(self, started: float) -> None:
        assert self._process is not None
        probe = (f"GET /healthz HTTP/1.1\r\nHost: {HOST}:{self.port}\r\nConnection: close\r\n\r\n").encode()
        while time.perf_counter() - started < self._startup_timeout:
            if self._process.poll() is not None:
                raise ServerError(f"{self.name} exited with {self._process.returncode}:\n{self.log_tail()}")
            client = KeepAliveClient(HOST, self.port, timeout_s=2.0)
            try:
                status, _, _ = client.send(probe)
                if status == 200:
                    return
            except (OSError, HttpError):
                pass
            finally:
                client.close()
            time.sleep(0.1)
        raise ServerError(f"{self.name} not ready after {self._startup_timeout:.0f} s:\n{self.log_tail()}")

    def stop(self, grace_s: float = 10.0) -> None:
        process = self._process
        if process is not None and process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)  # our own session: the server and its workers only
                process.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            except ProcessLookupError:
                pass
        _running.discard(self)
        if self._log is not None:
            self._log.close()
            self._log = None

    def worker_pids(self) -> list[int]:
        """The uvicorn process and its worker children (one process when workers == 1)."""
        pids = [self.pid]
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        if children.exists():
            pids += [int(p) for p in children.read_text().split()]
        return pids

    def memory_mb(self) -> dict[int, tuple[float, float]]:
        """pid -> (RSS MB, peak RSS MB) for the server and its workers."""
        return {pid: process_memory(pid) for pid in self.worker_pids()}

    def command(self, pid: int) -> str:
        """A short name for a process of this server (uvicorn's workers and its multiprocessing helpers)."""
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            return "exited"
        text = " ".join(a.decode(errors="replace") for a in argv if a)
        return "resource_tracker" if "resource_tracker" in text else "worker" if "spawn" in text else text[:60]

    def cpu_s(self) -> float:
        """CPU seconds used by the server and its workers so far."""
        return sum(process_cpu_s(pid) for pid in self.worker_pids())

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def cds_server(
    workdir: Path, policies_dir: Path, workers: int = 1, env: Mapping[str, str] | None = None, tag: str = ""
) -> ServerProcess:
    """The real service, configured as `make run` configures it, with its audit database in `workdir`."""
    name = f"{workers}w{tag}"
    argv = [sys.executable, "-m", "cds_service", "serve", "--host", HOST, "--port", "{port}", "--workers", str(workers)]
    return ServerProcess(
        f"cds_service ({name})",
        argv,
        workdir / f"cds-{name}.log",
        env={
            "CDS_AUTH": "off",
            "CDS_DB_PATH": str(workdir / f"audit-{name}.sqlite3"),
            "CDS_POLICIES_DIR": str(policies_dir),
            "CDS_ALLOWED_FHIR_SERVERS": "http://127.0.0.1",
            **(env or {}),
        },
    )


def echo_server(workdir: Path, workers: int = 1) -> ServerProcess:
    """The floor: a trivial FastAPI endpoint behind the same uvicorn (uvloop, httptools, no access log)."""
    return ServerProcess(
        f"echo ({workers} worker{'s' if workers > 1 else ''})",
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.echo_app:app",
            "--host",
            HOST,
            "--port",
            "{port}",
            "--workers",
            str(workers),
            "--no-access-log",
            "--log-level",
            "warning",
        ],  # fmt: skip
        workdir / f"echo-{workers}w.log",
    )


@atexit.register
def _stop_all() -> None:
    for server in list(_running):
        server.stop(grace_s=5.0)
