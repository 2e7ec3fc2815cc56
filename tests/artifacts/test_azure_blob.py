"""``--inspect-artifacts`` on Azure: the Azure ML model assets' blobs read through
:class:`cspm.providers.azure.artifacts.AzureBlobReader` from the fake Blob service."""

from __future__ import annotations

from pathlib import Path

import pytest

from cspm.models import Status
from support.azure_artifacts import ACCOUNT, CONTAINER, FORMAT, UNSAFE, ml_fake, scan_azure, verdict


def test_a_pickle_running_os_system_fails_and_safetensors_pass(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = ml_fake()

    report = scan_azure(fake, monkeypatch, tmp_path)

    assert report.errors == []
    bad = verdict(report, UNSAFE.id, "bad")
    assert bad.status is Status.FAIL and "os.system" in bad.message
    assert verdict(report, UNSAFE.id, "good").status is Status.PASS
    assert verdict(report, FORMAT.id, "bad").status is Status.FAIL
    assert verdict(report, FORMAT.id, "good").status is Status.PASS
    assert sorted(fake.blobs.reads) == [
        f"{ACCOUNT}/{CONTAINER}/bad/model.pkl",
        f"{ACCOUNT}/{CONTAINER}/good/model.safetensors",
    ]
    assert fake.violations == []
