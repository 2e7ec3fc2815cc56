"""``cspm permissions azure --inspect-artifacts`` adds exactly what reading the Azure ML model
assets' blobs needs: the fake Blob service answers 403 ``AuthorizationPermissionMismatch`` to a
caller whose role lacks the data action a route needs (List Blobs, Get Blob Properties and Get
Blob all need ``.../containers/blobs/read``), which proves it sufficient and used."""

from __future__ import annotations

from pathlib import Path

import pytest

from cspm.models import Status
from cspm.permissions import azure_role
from cspm.providers import azure
from support.azure_artifacts import UNSAFE, ml_fake, scan_azure, verdict


def test_the_added_data_action_is_sufficient_and_used(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    added = set(azure_role(inspect_artifacts=True)["DataActions"]) - set(azure_role()["DataActions"])
    assert added == set(azure.ARTIFACT_DATA_ACTIONS)
    assert azure_role(inspect_artifacts=True)["Actions"] == azure_role()["Actions"]  # no control-plane action
    fake = ml_fake()
    fake.blobs.data_actions = added

    report = scan_azure(fake, monkeypatch, tmp_path, [UNSAFE])

    assert report.errors == [] and fake.blobs.checked == added
    assert verdict(report, UNSAFE.id, "bad").status is Status.FAIL
    assert verdict(report, UNSAFE.id, "good").status is Status.PASS


def test_without_the_data_action_every_artifact_is_an_error_naming_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake = ml_fake()
    fake.blobs.data_actions = set()

    report = scan_azure(fake, monkeypatch, tmp_path, [UNSAFE])

    assert report.errors and all(azure.ARTIFACT_DATA_ACTIONS[0] in e.message for e in report.errors)
    assert {verdict(report, UNSAFE.id, m).status for m in ("bad", "good")} == {Status.ERROR}


def test_without_the_flag_no_blob_request_is_sent(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The model checks that do not read blobs still run; the artifact checks are not planned."""
    from cspm.errors import ScanError

    fake = ml_fake()
    with pytest.raises(ScanError, match="--inspect-artifacts"):
        scan_azure(fake, monkeypatch, tmp_path, [UNSAFE], inspect=False)
    assert fake.blobs.checked == set()
