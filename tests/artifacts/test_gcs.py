"""``--inspect-artifacts`` on Google Cloud: the folders Vertex AI models load (``artifactUri``)
are listed and read from the fake Cloud Storage JSON API served on 127.0.0.1 (real HTTP, so
streaming, truncation and the read-only guard are the real ones), and every hostile answer is an
ERROR of that artifact while the others are judged."""

from __future__ import annotations

import os
import pickle
from typing import Any

import pytest

from cspm.artifacts.collect import ArtifactSettings
from cspm.artifacts.inspect import Limits
from cspm.demo.gcp_objects import MALICIOUS_PICKLE, safetensors_model
from cspm.models import Finding, ScanReport, Status
from cspm.permissions import policy_for
from cspm.providers.gcp.context import GcpClients, ReadOnlyViolation
from cspm.registry import load_checks
from cspm.resources.gcp.artifacts import GcsModelArtifact
from support.gcp import PROJECT_NUMBER, FakeGcs, fake_credentials, vertex_model
from support.gcs_artifacts import scan_gcp, verdict
from support.model_corpus import reduce_pickle, tar_gz

UNSAFE = "gcp.vertex.model_artifact_is_free_of_unsafe_code"
FORMAT = "gcp.vertex.model_artifact_uses_safe_format"
SIGNED = "gcp.vertex.model_artifact_signature_verifies"
CHECKS = [s for s in load_checks(["gcp"]) if s.id in (UNSAFE, FORMAT)]
PREFIX = f"projects/{PROJECT_NUMBER}/locations/us-central1"


def _fake(models: dict[str, str | None]) -> FakeGcs:
    """Vertex AI models by name -> their artifactUri."""
    fake = FakeGcs()
    for name, uri in models.items():
        fake.add_vertex("models", vertex_model(name, artifact_uri=uri))
    return fake


def _scan(fake: FakeGcs, monkeypatch: pytest.MonkeyPatch, settings: ArtifactSettings | None = None) -> ScanReport:
    return scan_gcp(fake, monkeypatch, CHECKS, settings)


def _verdict(report: ScanReport, check: str, model: str) -> Finding:
    return verdict(report, check, model)


def _artifacts(report: ScanReport) -> dict[str, Any]:
    return {a.uri: a for a in report.artifacts or []}


def test_a_malicious_pickle_fails_and_a_safetensors_model_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _fake({"churn": "gs://models/churn/", "fraud": "gs://models/fraud/v3", "automl": None})
    fake.objects.put("models", "churn/model.pkl", MALICIOUS_PICKLE)
    fake.objects.put("models", "fraud/v3/model.safetensors", safetensors_model(), kms_key="projects/p/k")
    fake.objects.put("models", "fraud/v3/config.json", b"{}")  # not a model file: not read

    report = _scan(fake, monkeypatch)

    churn = _verdict(report, UNSAFE, "churn")
    assert churn.status is Status.FAIL and "os.system" in churn.message
    evidence = churn.evidence["artifacts"][0]
    assert evidence["uri"] == "gs://models/churn/model.pkl"
    assert evidence["dangerous_imports"][0]["module"] == "os" and evidence["scanners"]["picklescan"]
    assert _verdict(report, FORMAT, "churn").status is Status.FAIL
    assert _verdict(report, UNSAFE, "fraud").status is Status.PASS
    assert _verdict(report, FORMAT, "fraud").status is Status.PASS
    automl = [f for f in report.findings if f.resource_uid.endswith("/models/automl")]  # no artifactUri
    assert automl == []  # not applicable: no finding
    found = _artifacts(report)
    assert set(found) == {"gs://models/churn/model.pkl", "gs://models/fraud/v3/model.safetensors"}
    safe = found["gs://models/fraud/v3/model.safetensors"]
    assert safe.type == GcsModelArtifact.resource_type and safe.kms_key_id == "projects/p/k/cryptoKeyVersions/1"
    assert safe.etag == str(fake.objects.objects["models"]["fraud/v3/model.safetensors"].generation)
    assert safe.uid == "//storage.googleapis.com/projects/_/buckets/models/objects/fraud/v3/model.safetensors"
    assert sorted(fake.objects.media_reads) == ["models/churn/model.pkl", "models/fraud/v3/model.safetensors"]
    assert not fake.violations and not report.errors


def test_a_bucket_of_another_project_the_caller_cannot_read_is_an_error_of_that_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = _fake({"theirs": "gs://other-project-models/m/", "ours": "gs://models/m/"})
    fake.objects.put("other-project-models", "m/model.pkl", MALICIOUS_PICKLE)
    fake.objects.put("models", "m/model.safetensors", safetensors_model())
    fake.objects.denied.add("other-project-models")

    report = _scan(fake, monkeypatch)

    theirs = _verdict(report, UNSAFE, "theirs")
    assert theirs.status is Status.ERROR and "objects.list failed" in theirs.message
    assert _verdict(report, FORMAT, "theirs").status is Status.ERROR
    assert _verdict(report, UNSAFE, "ours").status is Status.PASS
    assert [(e.service, e.operation, e.code) for e in report.errors] == [("artifacts", "objects.list", "Forbidden")]
    assert "storage.objects.list" in report.errors[0].message


def test_an_unreadable_object_is_an_error_with_the_permission(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _fake({"locked": "gs://models/locked/"})
    fake.objects.put("models", "locked/model.pkl", pickle.dumps({"w": 1}, protocol=4))
    fake.objects.denied.add("models/locked/model.pkl")  # listing allowed, the object is not

    report = _scan(fake, monkeypatch)

    assert _verdict(report, UNSAFE, "locked").status is Status.ERROR
    assert [(e.operation, e.code) for e in report.errors] == [("objects.get", "Forbidden")]
    assert "storage.objects.get" in report.errors[0].message


def test_an_object_rewritten_between_its_metadata_and_its_media_read_is_an_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = _fake({"moving": "gs://models/moving/"})
    fake.objects.put("models", "moving/model.pkl", pickle.dumps({"w": 1}, protocol=4))
    fake.objects.rewrite_before_media["models/moving/model.pkl"] = reduce_pickle(os.system, "id")

    report = _scan(fake, monkeypatch)

    finding = _verdict(report, UNSAFE, "moving")
    assert finding.status is Status.ERROR and "412" in finding.message  # never a PASS of the old bytes
    assert [(e.operation, e.code) for e in report.errors] == [("objects.get", "PreconditionFailed")]
    assert fake.objects.media_reads == []  # the fake answered 412, no bytes


def test_an_object_deleted_before_its_media_read_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _fake({"gone": "gs://models/gone/"})
    fake.objects.put("models", "gone/model.pkl", pickle.dumps({"w": 1}, protocol=4))
    fake.objects.vanish_before_media.add("models/gone/model.pkl")

    report = _scan(fake, monkeypatch)

    finding = _verdict(report, UNSAFE, "gone")
    assert finding.status is Status.ERROR and "vanished" in finding.message


def test_a_truncated_body_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _fake({"cut": "gs://models/cut/", "whole": "gs://models/whole/"})
    body = tar_gz({"model.pth": pickle.dumps({"w": [0.5] * 5000}, protocol=4)})
    fake.objects.put("models", "cut/model.tar.gz", body)
    fake.objects.put("models", "whole/model.tar.gz", body)
    fake.objects.truncated.add("models/cut/model.tar.gz")

    report = _scan(fake, monkeypatch)

    cut = _verdict(report, UNSAFE, "cut")
    assert cut.status is Status.ERROR
    assert "reading the object failed" in cut.message or "changed while read" in cut.message
    assert _verdict(report, UNSAFE, "whole").status is Status.PASS
    assert _artifacts(report)["gs://models/cut/model.tar.gz"].sha256 is None


def test_a_rescan_with_an_unchanged_generation_downloads_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _fake({"churn": "gs://models/churn/"})
    fake.objects.put("models", "churn/model.pkl", MALICIOUS_PICKLE)
    first = _scan(fake, monkeypatch)
    before = first.artifacts[0] if first.artifacts else None
    assert before is not None and before.sha256
    previous = {before.uri: ("scan-1", GcsModelArtifact.model_validate(before.model_dump(exclude={"type"})))}

    again = _scan(fake, monkeypatch, ArtifactSettings(previous=previous))

    assert fake.objects.media_reads == ["models/churn/model.pkl"]  # the first scan's only
    assert _verdict(again, UNSAFE, "churn").status is Status.FAIL
    reused = _artifacts(again)["gs://models/churn/model.pkl"]
    assert reused.reused_from == "scan-1" and reused.bytes_read == 0
    fake.objects.put("models", "churn/model.pkl", pickle.dumps({"w": 1}, protocol=4))  # a new generation

    third = _scan(fake, monkeypatch, ArtifactSettings(previous=previous))

    assert len(fake.objects.media_reads) == 2 and _verdict(third, UNSAFE, "churn").status is Status.PASS


def test_over_the_byte_budget_only_the_first_bytes_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _fake({"big": "gs://models/big/"})
    fake.objects.put("models", "big/model.pkl", pickle.dumps({"w": b"\x00" * 300_000}, protocol=4))

    report = _scan(fake, monkeypatch, ArtifactSettings(limits=Limits(max_bytes=200_000)))

    assert _verdict(report, UNSAFE, "big").status is Status.ERROR
    assert _verdict(report, FORMAT, "big").status is Status.FAIL  # its first bytes are a pickle
    assert _artifacts(report)["gs://models/big/model.pkl"].bytes_read <= 64 * 1024


def test_the_read_only_session_refuses_object_contents_without_the_flag() -> None:
    plain = GcpClients(fake_credentials()).session
    with pytest.raises(ReadOnlyViolation, match="--inspect-artifacts"):
        plain.get("http://127.0.0.1:9/storage/v1/b/b/o/m.pkl", params={"alt": "media"})
    with pytest.raises(ReadOnlyViolation, match="--inspect-artifacts"):
        plain.get("http://127.0.0.1:9/storage/v1/b/b/o/m.pkl?alt=media")
    flagged = GcpClients(fake_credentials(), read_objects=True).session
    with pytest.raises(ReadOnlyViolation):
        flagged.post("http://127.0.0.1:9/storage/v1/b/b/o", params={"alt": "media"})  # still no write


def test_permissions_with_the_flag_add_object_reads() -> None:
    plain = set(policy_for("gcp")["includedPermissions"])
    flagged = set(policy_for("gcp", inspect_artifacts=True)["includedPermissions"])
    assert flagged - plain == {"storage.objects.get", "storage.objects.list"}
