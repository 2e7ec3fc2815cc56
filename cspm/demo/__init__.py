"""``cspm demo``: scan a built-in simulated AI account served by moto on 127.0.0.1."""

from __future__ import annotations

from cspm.runner import OutputOptions


def run_demo(out: OutputOptions, *, workers: int) -> int:
    """Start the simulated account, scan it through the normal AWS code path, report."""
    raise NotImplementedError("the demo account is being built")
