"""One fault server for the resilience tests, and the scans of one seeded account through it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from resilience import scenario as scenarios

from support.faults import FaultServer


@pytest.fixture(scope="session")
def fault_server() -> Iterator[FaultServer]:
    server = FaultServer(seed=scenarios.THROTTLE_SEED).start()
    try:
        yield server
    finally:
        server.set_iam_enforcement(False)
        server.stop()


@pytest.fixture(scope="session")
def scenario(fault_server: FaultServer, tmp_path_factory: pytest.TempPathFactory) -> scenarios.Scenario:
    """Seeded once, scanned six ways (see resilience/scenario.py)."""
    return scenarios.build(fault_server, tmp_path_factory.mktemp("scans"))
