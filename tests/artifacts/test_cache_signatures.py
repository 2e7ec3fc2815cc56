"""A verdict reused with ``--store`` (unchanged object) keeps its signature verdict only while the
``<object>.sig`` next to it is unchanged: a signature that appeared, vanished or was replaced is
judged again (the artifact is read again to verify it). Against the fake Cloud Storage on
127.0.0.1; the flow is the same for S3 (cspm.artifacts.collect)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cspm.artifacts.collect import ArtifactSettings
from cspm.artifacts.signatures import SigningPolicy
from cspm.models import ScanReport, Status
from cspm.registry import load_checks
from cspm.resources.gcp.artifacts import GcsModelArtifact
from support.gcp import FakeGcs, vertex_model
from support.gcs_artifacts import scan_gcp, verdict
from support.model_corpus import safetensors
from support.model_signing_keys import Signer, make_signer

SIGNED = "gcp.vertex.model_artifact_signature_verifies"
CHECKS = [s for s in load_checks(["gcp"]) if s.id == SIGNED]
OBJECT = "m/model.safetensors"
BODY = safetensors()


def _signature(tmp_path: Path, signer: Signer, body: bytes = BODY) -> bytes:
    local = tmp_path / "sign"
    local.mkdir(exist_ok=True)
    (local / "model.safetensors").write_bytes(body)
    signer.sign_with_key(local / "model.safetensors", local / "model.sig")
    return (local / "model.sig").read_bytes()


def _previous(report: ScanReport) -> dict[str, tuple[str, GcsModelArtifact]]:
    return {
        a.uri: ("scan-1", GcsModelArtifact.model_validate(a.model_dump(exclude={"type"})))
        for a in report.artifacts or []
    }


@pytest.mark.parametrize("change", ["appeared", "vanished", "replaced", "unchanged"])
def test_a_changed_signature_is_judged_again(change: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ours, theirs = make_signer(tmp_path / "keys"), make_signer(tmp_path / "keys", "intruder")
    fake = FakeGcs()
    fake.add_vertex("models", vertex_model("m", artifact_uri="gs://models/m/"))
    fake.objects.put("models", OBJECT, BODY)
    if change != "appeared":
        fake.objects.put("models", OBJECT + ".sig", _signature(tmp_path, ours))
    policy = SigningPolicy(public_key=str(ours.public), require="all")
    first = scan_gcp(fake, monkeypatch, CHECKS, ArtifactSettings(signing=policy))
    before = verdict(first, SIGNED, "m").status
    assert before is (Status.FAIL if change == "appeared" else Status.PASS)
    reads = len(fake.objects.media_reads)
    if change == "appeared":
        fake.objects.put("models", OBJECT + ".sig", _signature(tmp_path, ours))
    elif change == "vanished":
        del fake.objects.objects["models"][OBJECT + ".sig"]
    elif change == "replaced":
        fake.objects.put("models", OBJECT + ".sig", _signature(tmp_path, theirs))  # another key

    again = scan_gcp(fake, monkeypatch, CHECKS, ArtifactSettings(signing=policy, previous=_previous(first)))

    expected = {"appeared": Status.PASS, "vanished": Status.FAIL, "replaced": Status.FAIL, "unchanged": Status.PASS}
    assert verdict(again, SIGNED, "m").status is expected[change]
    artifact = next(a for a in again.artifacts or [] if a.uri == f"gs://models/{OBJECT}")
    if change == "unchanged":
        assert artifact.reused_from == "scan-1" and len(fake.objects.media_reads) == reads  # nothing read
    else:
        assert artifact.reused_from is None and f"models/{OBJECT}" in fake.objects.media_reads[reads:]


def test_a_changed_signing_key_is_judged_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ours, theirs = make_signer(tmp_path / "keys"), make_signer(tmp_path / "keys", "intruder")
    fake = FakeGcs()
    fake.add_vertex("models", vertex_model("m", artifact_uri="gs://models/m/"))
    fake.objects.put("models", OBJECT, BODY)
    fake.objects.put("models", OBJECT + ".sig", _signature(tmp_path, ours))
    first = scan_gcp(fake, monkeypatch, CHECKS, ArtifactSettings(signing=SigningPolicy(public_key=str(ours.public))))
    assert verdict(first, SIGNED, "m").status is Status.PASS
    other = SigningPolicy(public_key=str(theirs.public))

    again = scan_gcp(fake, monkeypatch, CHECKS, ArtifactSettings(signing=other, previous=_previous(first)))

    assert verdict(again, SIGNED, "m").status is Status.FAIL  # verified with the key asked for now
