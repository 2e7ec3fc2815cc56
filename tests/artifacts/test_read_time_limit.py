"""A Cloud Storage object or an Azure blob whose read drips (one byte at a time, each wait far
shorter than the read timeout) cannot hold the scan: past the time limit of one artifact read
(``ArtifactSettings.read_seconds``, small here; one mechanism, :func:`cspm.artifacts.collect.within`)
the read stops, the artifact is an ERROR naming the limit, and the other models are judged. The
fakes are served on 127.0.0.1 (real HTTP; HTTPS for Azure)."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from cspm.artifacts.collect import DEFAULT_READ_SECONDS, ArtifactSettings
from cspm.demo.gcp_objects import MALICIOUS_PICKLE, safetensors_model
from cspm.models import Status
from cspm.registry import load_checks
from support.azure_artifacts import ACCOUNT, CONTAINER, models_fake, scan_azure
from support.azure_artifacts import verdict as azure_verdict
from support.gcp import FakeGcs, vertex_model
from support.gcs_artifacts import scan_gcp, verdict

UNSAFE = "gcp.vertex.model_artifact_is_free_of_unsafe_code"
FORMAT = "gcp.vertex.model_artifact_uses_safe_format"
CHECKS = [s for s in load_checks(["gcp"]) if s.id in (UNSAFE, FORMAT)]
LIMIT = 0.5  # seconds; the dripping body would take 40 x 0.1 = 4 s (bounded even without the limit)


def _fake() -> FakeGcs:
    fake = FakeGcs()
    for name in ("slow", "fast"):
        fake.add_vertex("models", vertex_model(name, artifact_uri=f"gs://models/{name}/"))
    body = pickle.dumps({"w": [0.5] * 3}, protocol=4)[:40].ljust(40, b".")
    fake.objects.put("models", "slow/model.pkl", body)
    fake.objects.put("models", "fast/model.safetensors", safetensors_model())
    fake.objects.dripping["models/slow/model.pkl"] = 0.1
    return fake


def test_a_dripping_object_is_an_error_naming_the_time_limit_and_the_scan_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = _fake()

    report = scan_gcp(fake, monkeypatch, CHECKS, ArtifactSettings(read_seconds=LIMIT))

    slow = verdict(report, UNSAFE, "slow")
    assert slow.status is Status.ERROR and f"{LIMIT:g} s, the time limit of one artifact read" in slow.message
    artifact = next(a for a in report.artifacts or () if a.uri == "gs://models/slow/model.pkl")
    assert artifact.sha256 is None and artifact.error and "time limit" in artifact.error
    # the reader took each byte as it came and hung up at the limit: the fake never sent the rest
    assert fake.objects.dripped["models/slow/model.pkl"] < 40
    assert verdict(report, UNSAFE, "fast").status is Status.PASS  # the rest of the scan went on
    assert verdict(report, FORMAT, "fast").status is Status.PASS


def test_a_slow_object_within_the_limit_is_read_whole_and_judged(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _fake()
    fake.objects.put("models", "slow/model.pkl", MALICIOUS_PICKLE[:31])
    fake.objects.dripping["models/slow/model.pkl"] = 0.01  # 0.3 s in all: under the default limit

    report = scan_gcp(fake, monkeypatch, CHECKS, ArtifactSettings())

    assert ArtifactSettings().read_seconds == DEFAULT_READ_SECONDS
    slow = verdict(report, UNSAFE, "slow")
    assert slow.status is Status.FAIL and "os.system" in slow.message  # read whole, byte by byte
    artifact = next(a for a in report.artifacts or () if a.uri == "gs://models/slow/model.pkl")
    assert artifact.sha256 and artifact.bytes_read == 31


def test_a_dripping_azure_blob_is_an_error_naming_the_time_limit_and_the_scan_goes_on(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake = models_fake({"slow": ("slow/model.pkl", "custom_model"), "fast": ("fast", "mlflow_model")})
    fake.blobs.put(
        ACCOUNT, CONTAINER, "slow/model.pkl", pickle.dumps({"w": [0.5] * 3}, protocol=4)[:40].ljust(40, b".")
    )
    fake.blobs.put(ACCOUNT, CONTAINER, "fast/model.safetensors", safetensors_model())
    fake.blobs.dripping[f"{ACCOUNT}/{CONTAINER}/slow/model.pkl"] = 0.1

    report = scan_azure(fake, monkeypatch, tmp_path, settings=ArtifactSettings(read_seconds=LIMIT))

    slow = azure_verdict(report, UNSAFE.replace("gcp.vertex", "azure.ml"), "slow")
    assert slow.status is Status.ERROR and "the time limit of one artifact read" in slow.message
    assert fake.blobs.dripped[f"{ACCOUNT}/{CONTAINER}/slow/model.pkl"] < 40
    assert azure_verdict(report, UNSAFE.replace("gcp.vertex", "azure.ml"), "fast").status is Status.PASS
