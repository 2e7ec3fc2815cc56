"""Running ``--inspect-artifacts`` on Google Cloud against the fake served on 127.0.0.1 (real
HTTP: streaming, truncation and the read-only guard are the real ones)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from cspm.artifacts.collect import ArtifactSettings
from cspm.engine import scan
from cspm.models import Finding, ScanReport
from cspm.providers.gcp import GcpOptions, GcpProvider
from cspm.registry import CheckSpec
from support.gcp import PROJECT, FakeGcs, fake_credentials, serve_http


def scan_gcp(
    fake: FakeGcs,
    monkeypatch: pytest.MonkeyPatch,
    checks: Sequence[CheckSpec],
    settings: ArtifactSettings | None = None,
) -> ScanReport:
    with serve_http(fake) as base:
        monkeypatch.setenv("STORAGE_EMULATOR_HOST", base)
        monkeypatch.setenv("CSPM_GCP_VERTEX_ENDPOINT", base)
        options = GcpOptions(
            projects=(PROJECT,),
            credentials=fake_credentials(),
            retry_deadline=None,
            artifacts=settings or ArtifactSettings(),
        )
        provider = GcpProvider(options)
        provider.connect()
        return scan(provider, list(checks), workers=4)


def verdict(report: ScanReport, check: str, model: str) -> Finding:
    return next(f for f in report.findings if f.check_id == check and f.resource_uid.endswith(f"/models/{model}"))
