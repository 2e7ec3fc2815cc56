"""``python -m bench.demo``: wall time of ``cspm demo --quiet`` (median of N runs).

The demo starts three local simulators, seeds them and scans them; a test used to assert it
took under 60 s, which failed on a loaded machine rather than on a slower demo. Speed is measured
here instead: each run is a fresh process writing to a fresh directory, as a new user runs it.
Results go to ``bench/results/demo.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "demo.json"


def time_demo(runs: int) -> list[float]:
    cspm = Path(sys.executable).with_name("cspm")
    seconds: list[float] = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as out:
            started = time.monotonic()
            subprocess.run([str(cspm), "demo", "--quiet", "--output-dir", out], check=True, capture_output=True)
            seconds.append(time.monotonic() - started)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    seconds = time_demo(args.runs)
    result = {"runs": [round(s, 2) for s in seconds], "median_s": round(statistics.median(seconds), 2)}
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"cspm demo --quiet: median {result['median_s']} s over {args.runs} runs {result['runs']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
