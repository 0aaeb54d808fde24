"""Run the real service (`python -m cds_service serve`, uvicorn) on 127.0.0.1 and a free port, for a test."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

import httpx

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class LiveServer:
    """`with LiveServer(tmp_path, env) as server: httpx.post(server.url + "/cds-services/...")`."""

    def __init__(self, workdir: Path, env: Mapping[str, str] | None = None, startup_attempts: int = 600) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "server.log"
        self._env = {
            **os.environ,
            "CDS_AUTH": "off",
            "CDS_DB_PATH": str(workdir / "audit.sqlite3"),
            "CDS_POLICIES_DIR": str(REPO / "policies"),
            "CDS_ALLOWED_FHIR_SERVERS": "http://127.0.0.1",
            **(env or {}),
        }
        self._attempts = startup_attempts
        self._process: subprocess.Popen[bytes] | None = None
        self._log_file: BinaryIO | None = None

    def __enter__(self) -> LiveServer:
        log = self._log_file = self.log_path.open("wb")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "cds_service", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=REPO,
            env=self._env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        for _ in range(self._attempts):  # bounded by count, not by a timed assertion
            if self._process.poll() is not None:
                self.__exit__(None, None, None)
                raise RuntimeError(f"server exited early:\n{self.log()}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1.0).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.__exit__(None, None, None)
        raise RuntimeError(f"server did not become ready:\n{self.log()}")

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
