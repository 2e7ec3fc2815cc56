"""Running ``--inspect-artifacts`` on Azure against the fake ARM server and its Blob Storage
data plane (:mod:`cspm.demo.azure_blobs`), served over HTTPS on 127.0.0.1: streaming, truncation,
the bearer policy and the read-only guard are the real ones."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from cspm.artifacts.collect import ArtifactSettings
from cspm.demo.azure import (
    FakeArm,
    datastore,
    make_cert,
    model_version,
    serve_https,
    subscription,
    workspace,
    workspace_id,
)
from cspm.demo.gcp_objects import MALICIOUS_PICKLE, safetensors_model
from cspm.engine import scan
from cspm.models import Finding, ScanReport
from cspm.providers.azure import AzureOptions, AzureProvider
from cspm.registry import CheckSpec, load_checks
from support.azure import SUB, FakeCredential

ACCOUNT = "mlstore"
CONTAINER = "models"
WS = "ws"
ARTIFACT_CHECKS = [s for s in load_checks(["azure"]) if ".model_artifact_" in s.id]
UNSAFE = next(s for s in ARTIFACT_CHECKS if s.id.endswith("model_artifact_is_free_of_unsafe_code"))
FORMAT = next(s for s in ARTIFACT_CHECKS if s.id.endswith("model_artifact_uses_safe_format"))


def ml_fake() -> FakeArm:
    """A workspace whose datastore is the container ``models`` of ``mlstore``, with a model ``bad``
    (a custom model: one pickle that runs os.system) and ``good`` (an MLflow folder of safetensors)."""
    fake = FakeArm(subscriptions=[subscription(SUB)])
    fake.add_workspace(workspace(WS))
    fake.add_listing(
        workspace_id(WS) + "/datastores",
        [datastore(WS, "workspaceblobstore", "None", account=ACCOUNT, container_name=CONTAINER)],
    )
    fake.add_asset(
        "models",
        [
            model_version(WS, "bad", model_uri="azureml://datastores/workspaceblobstore/paths/bad/model.pkl"),
            model_version(
                WS, "good", model_uri="azureml://datastores/workspaceblobstore/paths/good", model_type="mlflow_model"
            ),
        ],
    )
    fake.blobs.put(ACCOUNT, CONTAINER, "bad/model.pkl", MALICIOUS_PICKLE)
    fake.blobs.put(ACCOUNT, CONTAINER, "good/MLmodel", b"flavors: {}\n")
    fake.blobs.put(ACCOUNT, CONTAINER, "good/model.safetensors", safetensors_model())
    return fake


def scan_azure(
    fake: FakeArm,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    checks: Sequence[CheckSpec] = tuple(ARTIFACT_CHECKS),
    settings: ArtifactSettings | None = None,
    *,
    inspect: bool = True,
) -> ScanReport:
    cert, key = make_cert(tmp_path)
    with serve_https(fake, cert, key) as base:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
        monkeypatch.setenv("CSPM_AZURE_BLOB_ENDPOINT", base)
        provider = AzureProvider(
            AzureOptions(
                subscriptions=(SUB,),
                credential=FakeCredential(),
                endpoint=base,
                retry_total=0,
                artifacts=(settings or ArtifactSettings()) if inspect else None,
            )
        )
        provider.connect()
        return scan(provider, list(checks), workers=4)


def verdict(report: ScanReport, check: str, model: str) -> Finding:
    return next(f for f in report.findings if f.check_id == check and f"/models/{model}/versions/" in f.resource_uid)
