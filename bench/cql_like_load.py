"""`python -m bench.cql_like_load`: time to load each real policy's library with the parse cache cold and warm.

Each measurement runs in a fresh interpreter (nothing kept in memory between them, as for a new worker), against a
cache directory made here: "no cache" parses every file, "cold" parses and writes the entries, "warm" reads them.
With `--synthetic N` it also loads N policies (bench/synthetic_policies.py: copies of CP.PHAR.549 with their own
ids and drug codes) in one process, cold, warm, and warm with a LibraryPool (shared libraries compiled once):
the start-up of a worker holding N policies.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ROUNDS = 3
POLICIES = ["centene/CP.PHAR.549", "centene/CP.PHAR.63", "fep-blue/5.21.177"]

_CHILD = """
import json, sys, time
from pathlib import Path
from cql_like.syntax.parser import _lark
_lark()  # the LALR tables: loaded once per process whatever the cache
from cql_like import LibraryPool, LocalTerminology, load_library
from cds_service.policy.registry import METADATA_FILE, load_metadata, shared_dirs
folders = [Path(p) for p in json.loads(sys.argv[1])]
pool = LibraryPool() if sys.argv[2] == "pool" else None
start = time.perf_counter()
for folder in folders:  # what registry.load_policy does for the library
    library_dirs = [folder, *shared_dirs(folder)]
    terminology = LocalTerminology.from_dirs([d / "valuesets" for d in library_dirs if (d / "valuesets").is_dir()])
    main = folder / f"{load_metadata(folder / METADATA_FILE).library}.cql"
    load_library(main, terminology=terminology, library_paths=library_dirs, pool=pool)
print(json.dumps({"seconds": time.perf_counter() - start}))
"""


def timed_load(folders: list[Path], cache_dir: str, pool: bool = False) -> float:
    env = {"CQL_LIKE_CACHE_DIR": cache_dir, "PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, json.dumps([str(f) for f in folders]), "pool" if pool else "none"],
        cwd=REPO, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    seconds: float = json.loads(out.stdout.strip().splitlines()[-1])["seconds"]
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--synthetic", type=int, default=0, help="also load N synthetic policies in one process")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for policy in POLICIES:
            folder = REPO / "policies" / policy
            cache = str(Path(tmp) / policy.replace("/", "_"))
            plain, cold, warm = [], [], []
            for round_ in range(ROUNDS):  # the best of a few rounds: the machine is shared
                plain.append(timed_load([folder], "off"))
                cold.append(timed_load([folder], f"{cache}-{round_}"))
                warm.append(timed_load([folder], f"{cache}-{round_}"))
            print(
                f"{policy:22s} no cache {min(plain) * 1000:6.0f} ms  cold {min(cold) * 1000:6.0f} ms"
                f"  warm {min(warm) * 1000:6.0f} ms  (best of {ROUNDS})"
            )
        if args.synthetic:
            from .synthetic_policies import build_tree

            root, _ = build_tree(Path(tmp) / "tree", args.synthetic)
            folders = sorted(p.parent for p in root.glob("*/*/policy.yaml"))
            cache = str(Path(tmp) / "synthetic-cache")
            cold_all = timed_load(folders, cache)
            warm_all = timed_load(folders, cache)
            pooled = timed_load(folders, cache, pool=True)
            print(
                f"{len(folders)} policies in one process: cold {cold_all:6.1f} s  warm {warm_all:6.1f} s"
                f"  warm + shared libraries compiled once (LibraryPool) {pooled:6.1f} s"
            )


if __name__ == "__main__":
    main()
