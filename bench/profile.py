"""``--profile-checks``: where the scanner's evaluation time and memory go, check by check.

Collects the benchmark account once more, in this process, through the normal provider, then
evaluates the selected checks one at a time, timing each and measuring how much it raised this
process's peak RSS. Not part of the headline figures (those come from the real ``cspm``
subprocess); this is for finding the check to optimise.
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def profile_checks(
    endpoint_url: str, regions: Sequence[str], env: dict[str, str], *, workers: int, top: int = 15
) -> dict[str, Any]:
    from cspm import engine
    from cspm.artifacts.options import select_checks
    from cspm.providers.aws import SERVICE_MODULES, AwsOptions, AwsProvider
    from cspm.selection import Selection

    with _environment(env):
        checks = select_checks(Selection().apply("aws", available_services=list(SERVICE_MODULES)), inspect=False)
        provider = AwsProvider(AwsOptions(endpoint_url=endpoint_url, regions=tuple(regions), workers=workers))
        provider.connect()
        started = time.monotonic()
        inventory = engine.collect(provider.plan(engine.plan_types(checks)), workers=workers)
        collect_seconds = time.monotonic() - started
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = []
    for spec in checks:
        before, started = _peak_mb(), time.monotonic()
        findings = engine.evaluate([spec], inventory, now)
        rows.append(
            {
                "check": spec.id,
                "seconds": time.monotonic() - started,
                "findings": len(findings),
                "peak_rss_growth_mb": _peak_mb() - before,
            }
        )
    rows.sort(key=lambda r: r["seconds"], reverse=True)
    return {
        "collect_seconds": collect_seconds,
        "evaluate_seconds": sum(r["seconds"] for r in rows),
        "checks": len(rows),
        "slowest": rows[:top],
    }
