"""A child process holding one policy tree, timing the pipeline on command.

Each policy count lives in its own process so its compiled libraries are the only ones on that heap (a
collector that walks every live object would otherwise slow both configurations alike), and the parent
alternates rounds between the children so noise on the shared machine hits both. The parent sets
`CQL_LIKE_CACHE_DIR`: an empty directory for a cold start, the one a cold start filled for a warm one.

Protocol, one JSON object per line: the child prints {"ready": ...} once loaded, then answers each
`{"run": n}` with {"samples_ms": [...], "cpu_ms": [...], "decision": ...} and each `{"answer": request}` with
{"decision": ..., "policies": [policy ids decided]}; `{"quit": true}` or end of input stops it.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

import orjson

from . import hook_requests as hr
from .inprocess import InProcessService
from .memory import process_memory


def _decision(answer: Any) -> str:
    return ",".join(d.decision for d in answer.decisions) or "none"


def serve(tree: Path, workdir: Path) -> None:
    body = hr.request_bytes(hr.sotorasib_request(201, "met"))
    cpu_before = time.process_time()
    with InProcessService(tree, workdir) as service:
        startup_cpu_s = time.process_time() - cpu_before
        answer, _ = service.answer(orjson.loads(body))
        _emit(
            {
                "ready": True,
                "policies": service.policy_count,
                "startup_s": service.startup_s,
                "startup_cpu_s": startup_cpu_s,
                "rss_mb": process_memory(os.getpid())[0],
                "decision": _decision(answer),
            }
        )
        for line in sys.stdin:
            command = orjson.loads(line)
            if command.get("quit"):
                break
            if "answer" in command:
                answer, _ = service.answer(command["answer"])
                _emit({"decision": _decision(answer), "policies": [d.policy_id for d in answer.decisions]})
                continue
            samples, cpu = [], []
            for _ in range(int(command["run"])):
                answer, elapsed = service.answer(orjson.loads(body))
                samples.append(elapsed)
                cpu.append(service.last_cpu_ms)
            _emit({"samples_ms": samples, "cpu_ms": cpu, "decision": _decision(answer)})


def _emit(message: dict[str, Any]) -> None:
    sys.stdout.write(orjson.dumps(message).decode() + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    serve(Path(sys.argv[1]), Path(sys.argv[2]))
