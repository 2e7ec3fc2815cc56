"""The mutation score per file of the last ``make mutate`` run (reads mutmut's ``mutants/*.meta``).

    .venv/bin/python -m bench.mutation_score [--survivors]

Killed = the tests failed (or timed out, or the mutant did not type-check); every other mutant —
survived, not covered by any test ("no tests"), suspicious — counts against the score.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

KILLED = {1: "killed", 3: "killed", 36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout", 255: "timeout"}
KILLED_ALSO = {37: "type check"}
ALIVE = {0: "survived", 33: "no tests", 5: "no tests", None: "not run"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--survivors", action="store_true", help="list the mutants that were not killed")
    args = parser.parse_args()
    metas = sorted(Path("mutants").rglob("*.py.meta"))
    if not metas:
        print("no mutmut results: run `make mutate` first")
        return 1
    for meta in metas:
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        if not codes:
            continue
        outcome: Counter[str] = Counter()
        alive = []
        for name, code in sorted(codes.items()):
            status = KILLED.get(code) or KILLED_ALSO.get(code)
            outcome[
                "killed" if status else {0: "survived", 33: "no tests", 5: "no tests"}.get(code, f"exit {code}")
            ] += 1
            if not status:
                alive.append((name, code))
        score = 100 * outcome["killed"] / len(codes)
        source = meta.relative_to("mutants").with_suffix("")
        print(f"{source}: {score:.1f}% killed ({outcome['killed']}/{len(codes)}); {dict(outcome)}")
        if args.survivors:
            for name, code in alive:
                print(f"    {name} (exit {code})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
