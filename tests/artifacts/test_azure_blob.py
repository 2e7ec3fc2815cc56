"""``--inspect-artifacts`` on Azure: the blobs Azure ML model asset versions load are listed and
read through :class:`cspm.providers.azure.artifacts.AzureBlobReader` from the fake Blob service
served over HTTPS on 127.0.0.1 (real HTTP: streaming, truncation, the bearer policy and the
read-only guard are the real ones); every hostile answer is an ERROR of that artifact while the
others are judged."""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

import pytest

from cspm.artifacts.collect import ArtifactSettings
from cspm.artifacts.inspect import Limits
from cspm.demo.gcp_objects import MALICIOUS_PICKLE
from cspm.models import ScanReport, Status
from cspm.permissions import policy_for
from cspm.providers.azure.artifacts import UnsafeXml, blob_pipeline, parse_blob_uri, parse_listing, safe_xml
from cspm.providers.azure.context import AzureClients, ReadOnlyViolation
from cspm.resources.azure.artifacts import AzureBlobModelArtifact
from support.azure import ARM, FakeCredential
from support.azure_artifacts import ACCOUNT, CONTAINER, FORMAT, UNSAFE, ml_fake, models_fake, scan_azure, verdict
from support.model_corpus import reduce_pickle, tar_gz

BLOBS = f"https://{ACCOUNT}.blob.core.windows.net/{CONTAINER}"


def _artifacts(report: ScanReport) -> dict[str, Any]:
    return {a.uri: a for a in report.artifacts or []}


def test_a_pickle_running_os_system_fails_and_safetensors_pass(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = ml_fake()

    report = scan_azure(fake, monkeypatch, tmp_path)

    assert report.errors == []
    bad = verdict(report, UNSAFE.id, "bad")
    assert bad.status is Status.FAIL and "os.system" in bad.message
    assert bad.evidence["artifacts"][0]["uri"] == f"{BLOBS}/bad/model.pkl"
    assert verdict(report, UNSAFE.id, "good").status is Status.PASS
    assert verdict(report, FORMAT.id, "bad").status is Status.FAIL
    assert verdict(report, FORMAT.id, "good").status is Status.PASS
    found = _artifacts(report)
    assert set(found) == {f"{BLOBS}/bad/model.pkl", f"{BLOBS}/good/model.safetensors"}  # MLmodel: not a model file
    safe = found[f"{BLOBS}/good/model.safetensors"]
    assert safe.type == AzureBlobModelArtifact.resource_type == "azure.artifacts.model_artifact"
    assert safe.etag == fake.blobs.blobs[(ACCOUNT, CONTAINER)]["good/model.safetensors"].etag
    assert sorted(fake.blobs.reads) == [
        f"{ACCOUNT}/{CONTAINER}/bad/model.pkl",
        f"{ACCOUNT}/{CONTAINER}/good/model.safetensors",
    ]
    assert fake.violations == []


def test_a_model_whose_files_cannot_be_located_is_an_error_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake = models_fake({"lost": ("azureml://datastores/gone/paths/m/model.pkl", "custom_model")})

    report = scan_azure(fake, monkeypatch, tmp_path)

    lost = verdict(report, UNSAFE.id, "lost")
    assert lost.status is Status.ERROR and "gone" in lost.message
    assert verdict(report, FORMAT.id, "lost").status is Status.ERROR
    assert fake.blobs.reads == []


def test_a_blob_without_the_data_action_is_an_error_naming_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = ml_fake()
    fake.blobs.data_actions = set()

    report = scan_azure(fake, monkeypatch, tmp_path)

    assert {verdict(report, UNSAFE.id, m).status for m in ("bad", "good")} == {Status.ERROR}
    assert {e.code for e in report.errors} == {"AuthorizationPermissionMismatch"}
    assert all("blobs/read" in e.message for e in report.errors)
    assert fake.blobs.reads == []


def test_a_blob_rewritten_between_its_properties_and_its_read_is_an_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake = models_fake({"moving": ("moving/model.pkl", "custom_model")})
    fake.blobs.put(ACCOUNT, CONTAINER, "moving/model.pkl", pickle.dumps({"w": 1}, protocol=4))
    fake.blobs.rewrite_before_get[f"{ACCOUNT}/{CONTAINER}/moving/model.pkl"] = reduce_pickle(os.system, "id")

    report = scan_azure(fake, monkeypatch, tmp_path)

    finding = verdict(report, UNSAFE.id, "moving")
    assert finding.status is Status.ERROR and "412" in finding.message  # never a PASS of the old bytes
    assert [(e.operation, e.code) for e in report.errors] == [("Get Blob", "ConditionNotMet")]
    assert fake.blobs.reads == []


def test_a_blob_deleted_before_its_read_is_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = models_fake({"gone": ("gone/model.pkl", "custom_model")})
    fake.blobs.put(ACCOUNT, CONTAINER, "gone/model.pkl", pickle.dumps({"w": 1}, protocol=4))
    fake.blobs.vanish_before_get.add(f"{ACCOUNT}/{CONTAINER}/gone/model.pkl")

    report = scan_azure(fake, monkeypatch, tmp_path)

    finding = verdict(report, UNSAFE.id, "gone")
    assert finding.status is Status.ERROR and "vanished" in finding.message


def test_a_truncated_body_is_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = models_fake({"cut": ("cut/model.tar.gz", "custom_model"), "whole": ("whole/model.tar.gz", "custom_model")})
    body = tar_gz({"model.pth": pickle.dumps({"w": [0.5] * 5000}, protocol=4)})
    fake.blobs.put(ACCOUNT, CONTAINER, "cut/model.tar.gz", body)
    fake.blobs.put(ACCOUNT, CONTAINER, "whole/model.tar.gz", body)
    fake.blobs.truncated.add(f"{ACCOUNT}/{CONTAINER}/cut/model.tar.gz")

    report = scan_azure(fake, monkeypatch, tmp_path)

    cut = verdict(report, UNSAFE.id, "cut")
    assert cut.status is Status.ERROR
    assert "reading the blob failed" in cut.message or "changed while read" in cut.message
    assert verdict(report, UNSAFE.id, "whole").status is Status.PASS
    assert _artifacts(report)[f"{BLOBS}/cut/model.tar.gz"].sha256 is None


def test_a_rescan_with_an_unchanged_etag_downloads_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = models_fake({"churn": ("churn/model.pkl", "custom_model")})
    fake.blobs.put(ACCOUNT, CONTAINER, "churn/model.pkl", MALICIOUS_PICKLE)
    first = scan_azure(fake, monkeypatch, tmp_path)
    before = first.artifacts[0] if first.artifacts else None
    assert before is not None and before.sha256
    previous = {before.uri: ("scan-1", AzureBlobModelArtifact.model_validate(before.model_dump(exclude={"type"})))}

    again = scan_azure(fake, monkeypatch, tmp_path, settings=ArtifactSettings(previous=previous))

    assert fake.blobs.reads == [f"{ACCOUNT}/{CONTAINER}/churn/model.pkl"]  # the first scan's only
    assert verdict(again, UNSAFE.id, "churn").status is Status.FAIL
    reused = _artifacts(again)[f"{BLOBS}/churn/model.pkl"]
    assert reused.reused_from == "scan-1" and reused.bytes_read == 0
    fake.blobs.put(ACCOUNT, CONTAINER, "churn/model.pkl", pickle.dumps({"w": 1}, protocol=4))  # a new ETag

    third = scan_azure(fake, monkeypatch, tmp_path, settings=ArtifactSettings(previous=previous))

    assert len(fake.blobs.reads) == 2 and verdict(third, UNSAFE.id, "churn").status is Status.PASS


def test_over_the_byte_budget_only_the_first_bytes_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = models_fake({"big": ("big/model.pkl", "custom_model")})
    fake.blobs.put(ACCOUNT, CONTAINER, "big/model.pkl", pickle.dumps({"w": b"\x00" * 300_000}, protocol=4))

    report = scan_azure(fake, monkeypatch, tmp_path, settings=ArtifactSettings(limits=Limits(max_bytes=200_000)))

    assert verdict(report, UNSAFE.id, "big").status is Status.ERROR
    assert verdict(report, FORMAT.id, "big").status is Status.FAIL  # its first bytes are a pickle
    assert _artifacts(report)[f"{BLOBS}/big/model.pkl"].bytes_read <= 64 * 1024


def test_a_listing_with_a_doctype_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = ml_fake()
    fake.blobs.doctype = True

    report = scan_azure(fake, monkeypatch, tmp_path)

    good = verdict(report, UNSAFE.id, "good")  # the MLflow folder is listed: refused
    assert good.status is Status.ERROR and "List Blobs failed" in good.message
    assert [(e.operation, e.code) for e in report.errors] == [("List Blobs", "UnsafeXml")]
    assert "DTD" in report.errors[0].message
    assert verdict(report, UNSAFE.id, "bad").status is Status.FAIL  # a single blob: no listing


def test_safe_xml_refuses_entities_oversize_and_garbage() -> None:
    for body in (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><EnumerationResults/>',
        b"<!ENTITY a 'b'><x/>",
        b"<EnumerationResults><Blobs>",
    ):
        with pytest.raises(UnsafeXml):
            safe_xml(body, "List Blobs")
    with pytest.raises(UnsafeXml, match="MiB"):
        safe_xml(b"<x>" + b" " * (9 * 2**20) + b"</x>", "List Blobs")
    with pytest.raises(UnsafeXml, match="EnumerationResults"):
        parse_listing(b"<Error><Code>x</Code></Error>")
    names, marker = parse_listing(
        b"<EnumerationResults><Blobs><Blob><Name>a/b.pkl</Name></Blob><BlobPrefix><Name>a/c/</Name></BlobPrefix>"
        b"</Blobs><NextMarker>2!abc</NextMarker></EnumerationResults>"
    )
    assert (names, marker) == (["a/b.pkl"], "2!abc")


def test_blobs_outside_the_cloud_s_storage_are_not_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A datastore naming another suffix would send the Storage token to a host nobody named."""
    fake = models_fake({"elsewhere": ("m/model.pkl", "custom_model")}, endpoint="attacker.example")
    fake.blobs.put(ACCOUNT, CONTAINER, "m/model.pkl", MALICIOUS_PICKLE)

    report = scan_azure(fake, monkeypatch, tmp_path)

    finding = verdict(report, UNSAFE.id, "elsewhere")
    assert finding.status is Status.ERROR and "not read" in finding.message
    assert fake.blobs.checked == set()  # no blob request at all


def test_without_a_known_blob_endpoint_nothing_is_sent(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = ml_fake()

    report = scan_azure(fake, monkeypatch, tmp_path, blob_endpoint=False)  # ARM at 127.0.0.1: no national cloud

    finding = verdict(report, UNSAFE.id, "bad")
    assert finding.status is Status.ERROR and "CSPM_AZURE_BLOB_ENDPOINT" in finding.message
    assert fake.blobs.checked == set()


def test_the_guard_refuses_blob_reads_without_the_flag_and_writes_with_it() -> None:
    from azure.core.pipeline.transport import HttpRequest

    plain = blob_pipeline(AzureClients(FakeCredential(), ARM))
    with pytest.raises(ReadOnlyViolation, match="--inspect-artifacts"):
        plain.run(HttpRequest("GET", "https://127.0.0.1:9/acct/models/m.pkl"))
    with pytest.raises(ReadOnlyViolation, match="--inspect-artifacts"):
        plain.run(HttpRequest("HEAD", "https://acct.blob.core.windows.net/models/m.pkl"))
    flagged = blob_pipeline(AzureClients(FakeCredential(), ARM, read_blobs=True))
    with pytest.raises(ReadOnlyViolation, match="PUT"):
        flagged.run(HttpRequest("PUT", "https://acct.blob.core.windows.net/models/m.pkl"))


def test_blob_uris_are_parsed_strictly() -> None:
    assert parse_blob_uri(f"{BLOBS}/a/b.pkl") == (ACCOUNT, "core.windows.net", CONTAINER, "a/b.pkl")
    assert parse_blob_uri("https://UPPER.blob.core.windows.net/c/x") is None
    assert parse_blob_uri("https://acct.dfs.core.windows.net/c/x") is None
    assert parse_blob_uri("http://acct.blob.core.windows.net/c/x") is None


def test_permissions_with_the_flag_add_the_blob_data_action() -> None:
    plain = policy_for("azure")
    flagged = policy_for("azure", inspect_artifacts=True)
    assert plain["DataActions"] == []
    assert flagged["DataActions"] == ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"]
    assert flagged["Actions"] == plain["Actions"]
