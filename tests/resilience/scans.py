"""Running the real ``cspm scan aws`` process against the fault server, and reading what it wrote.

Imported by the resilience tests as ``resilience.scans``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from support.faults import FaultMiddleware, Record


def cspm_command() -> list[str]:
    """The console script installed next to this interpreter, else ``python -m cspm.cli``."""
    script = Path(sys.executable).with_name("cspm")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "cspm.cli"]


@dataclass
class Scan:
    """One finished ``cspm`` process and the requests it sent."""

    name: str
    argv: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    output_dir: Path
    records: list[Record] = field(default_factory=list)

    @cached_property
    def report(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.output_dir / "report.json").read_text(encoding="utf-8"))
        return data

    @property
    def findings(self) -> dict[str, dict[str, Any]]:
        return {f["uid"]: f for f in self.report["findings"]}

    @property
    def errors(self) -> list[dict[str, Any]]:
        errors: list[dict[str, Any]] = self.report["errors"]
        return errors

    def explain(self) -> str:
        return (
            f"{self.name}: cspm {' '.join(self.argv)} -> {self.returncode} in {self.seconds:.1f}s\n"
            f"stderr:\n{self.stderr[-3000:]}"
        )


class RunningScan:
    """A ``cspm scan aws`` process started in the background; :meth:`wait` collects it."""

    def __init__(
        self,
        name: str,
        url: str,
        output_dir: Path,
        *args: str,
        env: Mapping[str, str],
        middleware: FaultMiddleware,
        root_args: tuple[str, ...] = (),
    ) -> None:
        self.name = name
        self.output_dir = output_dir
        self.access_key = env["AWS_ACCESS_KEY_ID"]
        self.middleware = middleware
        self.argv = [
            *root_args,
            "scan",
            "aws",
            "--endpoint-url",
            url,
            "--region",
            "us-east-1",
            "--output-dir",
            str(output_dir),
            *args,
        ]
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            [*cspm_command(), *self.argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **env},
        )

    def stop(self) -> None:
        """End the process if it is still running (a failed fixture must not leave it behind)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()

    def wait(self, timeout: float = 180) -> Scan:
        try:
            stdout, stderr = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            stdout, stderr = self.process.communicate()
            raise AssertionError(f"{self.name} scan did not finish in {timeout} s:\n{stderr[-3000:]}") from None
        return Scan(
            self.name,
            self.argv,
            self.process.returncode,
            stdout,
            stderr,
            time.monotonic() - self.started,
            self.output_dir,
            self.middleware.calls(access_key=self.access_key),
        )


def run_scan(
    name: str, url: str, output_dir: Path, *args: str, env: Mapping[str, str], middleware: FaultMiddleware, **kw: Any
) -> Scan:
    return RunningScan(name, url, output_dir, *args, env=env, middleware=middleware, **kw).wait()


def statuses(scan: Scan) -> dict[str, str]:
    """finding uid -> status"""
    return {uid: f["status"] for uid, f in scan.findings.items()}
