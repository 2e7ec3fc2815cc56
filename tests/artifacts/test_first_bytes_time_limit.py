"""An object over the byte budget is read only in its first bytes (a ranged read); a store that
drips those cannot hold the scan either: past the time limit of one artifact read the ranged read
stops, the artifact is an ERROR naming the budget and the limit, and the other models are judged
(Cloud Storage and Blob Storage fakes on 127.0.0.1; S3: tests/providers/aws/test_artifact_time_limit.py)."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from cspm.artifacts.collect import ArtifactSettings
from cspm.artifacts.inspect import Limits
from cspm.demo.gcp_objects import safetensors_model
from cspm.models import Status
from cspm.registry import load_checks
from support.azure_artifacts import ACCOUNT, CONTAINER, models_fake, scan_azure
from support.azure_artifacts import verdict as azure_verdict
from support.gcp import FakeGcs, vertex_model
from support.gcs_artifacts import scan_gcp, verdict

UNSAFE = "gcp.vertex.model_artifact_is_free_of_unsafe_code"
FORMAT = "gcp.vertex.model_artifact_uses_safe_format"
CHECKS = [s for s in load_checks(["gcp"]) if s.id in (UNSAFE, FORMAT)]
BODY = pickle.dumps({"w": [0.5] * 3}, protocol=4).ljust(200, b".")  # 200 x 0.05 s = 10 s dripped whole
SETTINGS = ArtifactSettings(limits=Limits(max_bytes=150), read_seconds=0.5)  # BODY is over the budget


def test_a_dripping_ranged_read_of_a_cloud_storage_object_stops_at_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeGcs()
    for name in ("slow", "fast"):
        fake.add_vertex("models", vertex_model(name, artifact_uri=f"gs://models/{name}/"))
    fake.objects.put("models", "slow/model.pkl", BODY)
    fake.objects.put("models", "fast/model.safetensors", safetensors_model())
    fake.objects.dripping["models/slow/model.pkl"] = 0.05

    report = scan_gcp(fake, monkeypatch, CHECKS, SETTINGS)

    slow = verdict(report, UNSAFE, "slow")
    assert slow.status is Status.ERROR
    assert "over the per-artifact budget" in slow.message
    assert "0.5 s, the time limit of one artifact read" in slow.message
    assert verdict(report, FORMAT, "slow").status is Status.ERROR  # its first bytes were not read: never a PASS
    assert fake.objects.dripped["models/slow/model.pkl"] < len(BODY) // 2  # the reader hung up
    assert verdict(report, UNSAFE, "fast").status is Status.PASS
    assert verdict(report, FORMAT, "fast").status is Status.PASS


def test_a_dripping_ranged_read_of_an_azure_blob_stops_at_the_limit(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake = models_fake({"slow": ("slow/model.pkl", "custom_model"), "fast": ("fast", "mlflow_model")})
    fake.blobs.put(ACCOUNT, CONTAINER, "slow/model.pkl", BODY)
    fake.blobs.put(ACCOUNT, CONTAINER, "fast/model.safetensors", safetensors_model())
    fake.blobs.dripping[f"{ACCOUNT}/{CONTAINER}/slow/model.pkl"] = 0.05

    report = scan_azure(fake, monkeypatch, tmp_path, settings=SETTINGS)

    unsafe = UNSAFE.replace("gcp.vertex", "azure.ml")
    slow = azure_verdict(report, unsafe, "slow")
    assert slow.status is Status.ERROR and "the time limit of one artifact read" in slow.message
    assert fake.blobs.dripped[f"{ACCOUNT}/{CONTAINER}/slow/model.pkl"] < len(BODY) // 2
    assert azure_verdict(report, unsafe, "fast").status is Status.PASS
