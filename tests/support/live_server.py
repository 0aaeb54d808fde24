"""The real service as a subprocess (`python -m cds_service serve`), bound to 127.0.0.1 on a free port, for any test.

Used as a context manager: it is stopped (SIGTERM, then SIGKILL to its own process group) on exit, also
when the test fails. `kill9()` is the crash under test. The server's stdout and stderr go to a file so a
test can read its logs; `rss_bytes()` sums the resident memory of the server and its worker processes.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

from tests.support.background import Background

REPO = Path(__file__).resolve().parents[2]
STARTUP_LINE = "Application startup complete"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class LiveServer(Background):
    def __init__(
        self,
        work_dir: Path,
        *,
        workers: int = 1,
        log_level: str = "info",
        env: Mapping[str, str] | None = None,
        startup_timeout_s: float = 180.0,
    ) -> None:
        self.work_dir = work_dir
        self.workers = workers
        self.log_level = log_level
        self.port = free_port()
        self.db_path = work_dir / "audit.sqlite3"
        self.log_path = work_dir / "server.log"
        self.startup_timeout_s = startup_timeout_s
        self._extra_env = dict(env or {})
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self._process is not None, "server not started"
        return self._process.pid

    @property
    def returncode(self) -> int | None:
        return None if self._process is None else self._process.poll()

    def start(self) -> None:
        env = {
            **os.environ,
            "CDS_AUTH": "off",
            "CDS_DB_PATH": str(self.db_path),
            "CDS_POLICIES_DIR": str(REPO / "policies"),
            "CDS_ALLOWED_FHIR_SERVERS": "http://127.0.0.1",
            "PYTHONUNBUFFERED": "1",
            **self._extra_env,
        }
        if "DATABASE_URL" not in self._extra_env:
            env.pop("DATABASE_URL", None)  # an ambient database must not receive test traffic
        command = [
            sys.executable, "-m", "cds_service", "serve",
            "--host", "127.0.0.1", "--port", str(self.port),
            "--workers", str(self.workers), "--log-level", self.log_level,
        ]  # fmt: skip
        with self.log_path.open("wb") as log:
            # Own session: stop() can signal exactly this server and its workers, nothing else.
            self._process = subprocess.Popen(
                command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        try:
            self._wait_until_serving()
        except BaseException:
            self.stop()
            raise

    def _wait_until_serving(self) -> None:
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"server exited with {self._process.returncode}:\n{self.log_tail()}")
            if self.log_text().count(STARTUP_LINE) >= self.workers and self._healthy():
                return
            time.sleep(0.2)
        raise TimeoutError(f"server not serving after {self.startup_timeout_s:.0f} s:\n{self.log_tail()}")

    def _healthy(self) -> bool:
        try:
            return httpx.get(self.url + "/healthz", timeout=2.0).status_code == 200
        except httpx.HTTPError:
            return False

    def kill9(self) -> None:
        """The crash: SIGKILL, no chance to flush or close anything."""
        assert self._process is not None
        os.killpg(self._process.pid, signal.SIGKILL)
        self._process.wait(timeout=30)

    def stop(self) -> None:
        process = self._process
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=20)
        except ProcessLookupError:
            pass

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def rss_bytes(self) -> int:
        """Resident memory of the server process and all its descendants (the workers)."""
        total = 0
        pending = [self.pid]
        while pending:
            pid = pending.pop()
            total += _rss_of(pid)
            pending.extend(_children_of(pid))
        return total


def _rss_of(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def _children_of(pid: int) -> list[int]:
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children.extend(int(child) for child in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return children
