"""How long de-identification takes to load: building deduce's tables, then from the cache.

    python -m bench.deidentify_load

Each load runs in a fresh process, as a server's first quote would. The first builds the
tables into an empty temporary directory; the second reads the cache the first wrote.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time

LOAD = (
    "import sys, pathlib\n"
    "from triage.research.deidentify.engine import load_engine\n"
    "load_engine(pathlib.Path(sys.argv[1]))"
)


def timed_load(cache_dir: str) -> str:
    """Wall time, and CPU time (which other work on the machine does not inflate)."""
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    command = [sys.executable, "-c", LOAD, cache_dir]
    subprocess.run(command, check=True, capture_output=True)  # noqa: S603  (our own code)
    wall = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = cpu_after.ru_utime - cpu_before.ru_utime + cpu_after.ru_stime - cpu_before.ru_stime
    return f"{wall:.1f} s wall, {cpu:.1f} s CPU, {cpu_after.ru_maxrss / 1024:.0f} MB peak"


def main() -> None:
    with tempfile.TemporaryDirectory() as cache_dir:
        print(f"first load (builds the tables): {timed_load(cache_dir)}")
        print(f"cached load:                    {timed_load(cache_dir)}")


if __name__ == "__main__":
    main()
