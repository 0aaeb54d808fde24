"""Resident memory of a process from /proc (Linux): current RSS and its high-water mark (peak since start)."""

from __future__ import annotations

import os
import resource
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def process_memory(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) in MB; VmHWM is the peak, so reading it after a request gives the request's peak."""
    fields: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024.0  # kB
    return fields["VmRSS"], fields["VmHWM"]


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds the process has used (clock ticks, so 10 ms resolution: sum many calls)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # the command name may hold spaces; fields follow ')'
    return (int(fields[11]) + int(fields[12])) / _TICKS


def own_peak_mb() -> float:
    """Peak RSS of this process (ru_maxrss is in kB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
