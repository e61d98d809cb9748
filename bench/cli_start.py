"""How fast the CLI starts: ``fullcycle --help`` (and ``--version``) against ``python -c pass``,
measured in the same run, median of several tries (the goal: ``--help`` under 0.3 s wall).

    python bench/cli_start.py [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path


def wall(argv: list[str], runs: int) -> float:
    """The median wall time of ``argv`` over ``runs`` runs, in seconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    script = Path(sys.executable).with_name("fullcycle")
    cli = [str(script)] if script.exists() else [sys.executable, "-m", "fullcycle"]
    base = wall([sys.executable, "-c", "pass"], runs)
    print(f"python -c pass        {base * 1000:7.1f} ms")
    for args in (["--help"], ["--version"], ["deploy", "--help"]):
        took = wall([*cli, *args], runs)
        print(f"fullcycle {' '.join(args):<12}{took * 1000:7.1f} ms  ({took / base:.1f}x python -c pass)")
    heavy = [sys.executable, "-c", "import fullcycle.cli, sys; "
             "print(sorted(m for m in ('pandas', 'sklearn', 'numpy', 'fastapi', 'starlette', "
             "'sqlalchemy', 'scipy') if m in sys.modules))"]  # fmt: skip
    loaded = subprocess.run(heavy, check=True, capture_output=True, text=True).stdout.strip()
    print(f"heavy modules loaded by importing fullcycle.cli: {loaded}")


if __name__ == "__main__":
    main()
