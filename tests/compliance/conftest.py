"""Collects the compliance drift the meta-test reports (not fails on) and prints it after the run."""

from __future__ import annotations

from typing import Any

import pytest

DRIFT: list[str] = []


@pytest.fixture
def compliance_drift() -> list[str]:
    return DRIFT


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if DRIFT:
        terminalreporter.section("compliance mapping drift (reported, not failed)")
        for line in sorted(set(DRIFT)):
            terminalreporter.write_line(line)
