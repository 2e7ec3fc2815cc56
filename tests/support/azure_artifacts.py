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


def models_fake(models: dict[str, tuple[str, str]], *, endpoint: str = "core.windows.net") -> FakeArm:
    """A workspace whose datastore ``workspaceblobstore`` is the container ``models`` of ``mlstore``
    (at the storage suffix ``endpoint``), with model versions by name -> (path in the datastore or
    a full modelUri, modelType)."""
    fake = FakeArm(subscriptions=[subscription(SUB)])
    fake.add_workspace(workspace(WS))
    store = datastore(WS, "workspaceblobstore", "None", account=ACCOUNT, container_name=CONTAINER)
    store["properties"]["endpoint"] = endpoint
    fake.add_listing(workspace_id(WS) + "/datastores", [store])
    fake.add_asset(
        "models",
        [
            model_version(
                WS,
                name,
                model_uri=path if ":" in path else f"azureml://datastores/workspaceblobstore/paths/{path}",
                model_type=kind,
            )
            for name, (path, kind) in models.items()
        ],
    )
    return fake


def ml_fake() -> FakeArm:
    """A model ``bad`` (a custom model: one pickle that runs os.system) and ``good`` (an MLflow
    folder of safetensors)."""
    fake = models_fake({"bad": ("bad/model.pkl", "custom_model"), "good": ("good", "mlflow_model")})
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
    blob_endpoint: bool = True,
) -> ScanReport:
    """Scan ``fake`` served over HTTPS, its Blob data plane named by CSPM_AZURE_BLOB_ENDPOINT
    (unless not ``blob_endpoint``: then the reader knows no blob storage for that ARM endpoint)."""
    cert, key = make_cert(tmp_path)
    with serve_https(fake, cert, key) as base:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
        if blob_endpoint:
            monkeypatch.setenv("CSPM_AZURE_BLOB_ENDPOINT", base)
        else:
            monkeypatch.delenv("CSPM_AZURE_BLOB_ENDPOINT", raising=False)
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
