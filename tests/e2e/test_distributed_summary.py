"""End to end: the default invocations of a distributed scan print the single-process summary.

``cspm scan aws --org`` in one process, ``cspm scan aws --org --executor local:2`` and ``cspm
merge PARTS`` (both streamed, cspm.merge_stream) without ``--quiet``, into the same output
directory (the summary names report.json's path): the same stdout but for the header's duration,
the same exit code and line on stderr. The organization of tests/e2e/test_org.py, one member's
role denied (a collection error, an incomplete scan).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from e2e.harness import Run, run_cspm
from e2e.test_distributed import shard_commands
from e2e.test_org import REGION, Organization, org, organization

pytestmark = pytest.mark.e2e

__all__ = ["org", "organization"]  # the fixtures, shared with test_org

DURATION = re.compile(r" \d+\.\ds · (complete|INCOMPLETE)")


def scan(org: Organization, out: Path, *args: str) -> Run:
    return run_cspm(
        "scan", "aws", "--endpoint-url", org.url, "--region", REGION, "--org", *args, output_dir=out, timeout=240
    )


def shown(run: Run) -> tuple[int, str, list[str]]:
    """Exit code, stdout without the duration, and cspm's own lines on stderr."""
    lines = [line for line in run.stderr.splitlines() if line.startswith("cspm: ") and "not scanned" not in line]
    return run.returncode, DURATION.sub(r" Ns · \1", run.stdout), lines


def test_the_default_distributed_scan_and_merge_print_the_single_process_summary(
    org: Organization, tmp_path: Path
) -> None:
    org.gate.locked = {org.id("sandbox")}
    out = tmp_path / "out"
    _, parts, _ = shard_commands(org, tmp_path)  # planned and every shard run by the commands
    for gate in (["--strict"], ["--fail-on", "critical"]):
        single = shown(scan(org, out, *gate))
        assert "Scores (0-100" in single[1] and "INCOMPLETE" in single[1] and "Failing checks" in single[1]
        assert single[0] == (4 if gate == ["--strict"] else 3) and len(single[2]) == 1, single
        if gate == ["--strict"]:  # (one Dask cluster is enough)
            executor = scan(org, out, *gate, "--executor", "local:2", "--shard-size", "2")
            assert shown(executor) == single, executor.explain()
        merged = run_cspm("merge", str(parts), *gate, output_dir=out)
        assert shown(merged) == single, merged.explain()
