"""``--inspect-artifacts`` against moto's server (127.0.0.1, behind the fault middleware): the
artifacts the SageMaker models load are read, hashed and inspected, and every kind of bad input
is an ERROR of that artifact while the others are judged."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import pickle
import struct
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from cspm.artifacts.inspect import Limits
from cspm.artifacts.signatures import SigningPolicy
from cspm.engine import scan
from cspm.models import ScanReport, Status
from cspm.providers.aws import AwsOptions, AwsProvider
from cspm.providers.aws.artifacts import ArtifactSettings
from cspm.registry import load_checks
from support.faults import Faults, FaultServer
from support.model_corpus import reduce_pickle, safetensors, tar_gz
from support.model_signing_keys import make_signer

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/serve"
IMAGE = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/serve:1.0"
BUCKET = "ml-models"
UNSAFE = "aws.sagemaker.model_artifact_is_free_of_unsafe_code"
FORMAT = "aws.sagemaker.model_artifact_uses_safe_format"
CHECKS = [s for s in load_checks(["aws"]) if s.id in (UNSAFE, FORMAT)]


@pytest.fixture(scope="module")
def server() -> Iterator[FaultServer]:
    running = FaultServer().start()
    yield running
    running.stop()


@pytest.fixture
def moto(server: FaultServer) -> Iterator[FaultServer]:
    server.reset()
    yield server
    server.reset()


def _client(server: FaultServer, service: str) -> Any:
    return boto3.client(service, region_name="us-east-1", endpoint_url=server.url)


def _model(server: FaultServer, name: str, key: str | None, data: bytes | None = None) -> None:
    """A SageMaker model loading s3://ml-models/<key> (uploaded when ``data`` is given)."""
    s3 = _client(server, "s3")
    if BUCKET not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
        s3.create_bucket(Bucket=BUCKET)
    container: dict[str, Any] = {"Image": IMAGE}
    if key is not None:
        container["ModelDataUrl"] = f"s3://{BUCKET}/{key}"
        if data is not None:
            s3.put_object(Bucket=BUCKET, Key=key, Body=data)
    _client(server, "sagemaker").create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer=container)


def _scan(server: FaultServer, settings: ArtifactSettings | None = None) -> ScanReport:
    options = AwsOptions(
        endpoint_url=server.url, regions=("us-east-1",), workers=4, artifacts=settings or ArtifactSettings()
    )
    provider = AwsProvider(options)
    provider.connect()
    return scan(provider, CHECKS, workers=4)


def _verdicts(report: ScanReport) -> dict[tuple[str, str], Any]:
    """(check id, model name) -> finding."""
    return {(f.check_id, f.resource_uid.rsplit("/", 1)[1]): f for f in report.findings}


def _artifact(report: ScanReport, key: str) -> Any:
    assert report.artifacts is not None
    (found,) = [a for a in report.artifacts if a.uri == f"s3://{BUCKET}/{key}"]
    return found


MALICIOUS_TAR = tar_gz({"model.pth": reduce_pickle(os.system, "id"), "code/inference.py": b"print(1)\n"})


def test_unsafe_and_safe_artifacts_are_judged_with_evidence(moto: FaultServer) -> None:
    _model(moto, "pickled", "pickled/model.tar.gz", MALICIOUS_TAR)
    _model(moto, "tensors", "tensors/model.safetensors", safetensors())
    _model(moto, "no-artifact", None)

    report = _scan(moto)

    verdicts = _verdicts(report)
    unsafe = verdicts[(UNSAFE, "pickled")]
    assert unsafe.status is Status.FAIL
    (evidence,) = unsafe.evidence["artifacts"]
    assert evidence["uri"] == f"s3://{BUCKET}/pickled/model.tar.gz"
    assert evidence["sha256"] == hashlib.sha256(MALICIOUS_TAR).hexdigest()
    assert evidence["format"] == "tar.gz"
    assert {"module": os.system.__module__, "name": "system", "member": "pickled/model.tar.gz!model.pth"} in evidence[
        "dangerous_imports"
    ]
    assert evidence["scanners"]["picklescan"]
    assert verdicts[(FORMAT, "pickled")].status is Status.FAIL
    assert verdicts[(UNSAFE, "tensors")].status is Status.PASS
    assert verdicts[(FORMAT, "tensors")].status is Status.PASS
    assert (UNSAFE, "no-artifact") not in verdicts and (FORMAT, "no-artifact") not in verdicts
    artifact = _artifact(report, "pickled/model.tar.gz")
    assert artifact.size == len(MALICIOUS_TAR) and artifact.bytes_read == len(MALICIOUS_TAR)
    # the lineage's artifact node carries the hash, the format and what it imports
    assert report.lineage is not None
    node = next(n for n in report.lineage.nodes if n.id == f"arn:aws:s3:::{BUCKET}/pickled/model.tar.gz")
    assert (node.sha256, node.format) == (artifact.sha256, "tar.gz")
    assert node.dangerous_imports == [f"{os.system.__module__}.system"]
    assert report.scan.complete


def test_a_model_package_artifact_is_read_once_for_every_model_using_it(moto: FaultServer) -> None:
    s3 = _client(moto, "s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="pkg/model.pt", Body=reduce_pickle(eval, "1"))
    sm = _client(moto, "sagemaker")
    sm.create_model_package_group(ModelPackageGroupName="fraud")
    arn = sm.create_model_package(
        ModelPackageGroupName="fraud",
        ModelApprovalStatus="Approved",
        InferenceSpecification={
            "Containers": [{"Image": IMAGE, "ModelDataUrl": f"s3://{BUCKET}/pkg/model.pt"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    )["ModelPackageArn"]
    for name in ("from-package-a", "from-package-b"):
        sm.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={"ModelPackageName": arn})

    report = _scan(moto)

    verdicts = _verdicts(report)
    assert verdicts[(UNSAFE, "from-package-a")].status is Status.FAIL
    assert verdicts[(UNSAFE, "from-package-b")].status is Status.FAIL
    gets = [r for r in moto.faults.calls() if r.call.name == "s3:GET object"]
    assert len(gets) == 1


def _bomb() -> bytes:
    return gzip.compress(b"\x00" * (64 * 2**20), compresslevel=9)  # 64 MiB of zeros in ~64 KiB


def _tar_with(member: tarfile.TarInfo, data: bytes = b"") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        good = tarfile.TarInfo("model.safetensors")
        payload = safetensors()
        good.size = len(payload)
        tar.addfile(good, io.BytesIO(payload))
        member.size = len(data)
        tar.addfile(member, io.BytesIO(data))
    return buf.getvalue()


def _link(name: str, kind: bytes, target: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info


BAD_INPUT: dict[str, tuple[str, bytes, str]] = {
    # name: (key, data, what the ERROR says)
    "corrupt gzip": ("corrupt/model.tar.gz", b"\x1f\x8b\x08\x00" + b"\xff" * 200, "cannot read the gzip data"),
    "corrupt tar": (
        "badtar/model.tar.gz",
        gzip.compress(b"\x00" * 257 + b"ustar\x0000" + b"\xff" * 760),
        "cannot read",
    ),
    "decompression bomb": ("bomb/model.tar.gz", _bomb(), "decompression bomb"),
    "truncated pickle": ("trunc/model.pkl", pickle.dumps({"w": list(range(100))}, protocol=4)[:-40], "truncated"),
    "safetensors header of gigabytes": (
        "huge/model.safetensors",
        struct.pack("<Q", 8 * 2**30) + b'{"w": {}}',
        "header claims 8589934592 bytes",
    ),
    "tar member with ..": ("dotdot/model.tar.gz", _tar_with(tarfile.TarInfo("../../evil.py"), b"x"), "'..'"),
    "tar member with an absolute path": (
        "abs/model.tar.gz",
        _tar_with(tarfile.TarInfo("/etc/cron.d/evil"), b"x"),
        "absolute path",
    ),
    "tar symlink": ("sym/model.tar.gz", _tar_with(_link("model.bin", tarfile.SYMTYPE, "/etc/passwd")), "link"),
    "tar hard link": ("hard/model.tar.gz", _tar_with(_link("model.bin", tarfile.LNKTYPE, "/etc/shadow")), "link"),
}


def test_bad_input_is_an_error_of_its_artifact_and_the_scan_goes_on(
    moto: FaultServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setenv("TMPDIR", str(temporary))
    monkeypatch.chdir(tmp_path)
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    for i, (key, data, _) in enumerate(BAD_INPUT.values()):
        _model(moto, f"bad-{i}", key, data)
    _model(moto, "fine", "fine/model.safetensors", safetensors())
    _model(moto, "evil", "evil/model.pkl", reduce_pickle(os.system, "id"))

    report = _scan(moto, ArtifactSettings(limits=Limits(max_unpacked=16 * 2**20)))

    verdicts = _verdicts(report)
    for i, (name, (_, _, reason)) in enumerate(BAD_INPUT.items()):
        finding = verdicts[(UNSAFE, f"bad-{i}")]
        assert finding.status is Status.ERROR, name
        assert reason in finding.message, (name, finding.message)
    assert verdicts[(UNSAFE, "fine")].status is Status.PASS
    assert verdicts[(UNSAFE, "evil")].status is Status.FAIL
    # nothing was written outside the temporary directory, which is empty again
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tmp"]
    assert list(temporary.iterdir()) == []


def test_a_denied_artifact_is_an_error_finding_and_a_collection_error(moto: FaultServer) -> None:
    _model(moto, "fine", "fine/model.safetensors", safetensors())
    s3 = _client(moto, "s3")
    s3.create_bucket(Bucket="locked-models")
    s3.put_object(Bucket="locked-models", Key="model.pkl", Body=b"\x80\x04N.")
    _client(moto, "sagemaker").create_model(
        ModelName="locked",
        ExecutionRoleArn=ROLE,
        PrimaryContainer={"Image": IMAGE, "ModelDataUrl": "s3://locked-models/model.pkl"},
    )
    _model(moto, "gone", "gone/model.pkl")  # never uploaded
    moto.faults.configure(Faults(denied=frozenset({"s3:HEAD object@locked-models", "s3:GET object@locked-models"})))

    report = _scan(moto)

    verdicts = _verdicts(report)
    assert verdicts[(UNSAFE, "locked")].status is Status.ERROR
    assert "HeadObject failed" in verdicts[(UNSAFE, "locked")].message
    assert verdicts[(FORMAT, "locked")].status is Status.ERROR
    assert verdicts[(UNSAFE, "gone")].status is Status.ERROR
    assert "does not exist" in verdicts[(UNSAFE, "gone")].message
    assert verdicts[(UNSAFE, "fine")].status is Status.PASS
    # S3 answers a denied HEAD with a bare 403 (no body, so no error code): botocore's code is "403"
    assert [(e.service, e.operation, e.code) for e in report.errors] == [("artifacts", "HeadObject", "403")]


@pytest.mark.parametrize("change", ["rewritten", "deleted"])
def test_an_object_that_changes_between_head_and_get_is_an_error(moto: FaultServer, change: str) -> None:
    _model(moto, "moving", "moving/model.pkl", pickle.dumps({"w": 1}, protocol=4))
    s3 = _client(moto, "s3")

    def meanwhile(**_: Any) -> None:  # another writer, between the scanner's HeadObject and GetObject
        if change == "rewritten":
            s3.put_object(Bucket=BUCKET, Key="moving/model.pkl", Body=reduce_pickle(os.system, "id"))
        else:
            s3.delete_object(Bucket=BUCKET, Key="moving/model.pkl")

    options = AwsOptions(endpoint_url=moto.url, regions=("us-east-1",), workers=4, artifacts=ArtifactSettings())
    provider = AwsProvider(options)
    provider.connect()
    provider.clients_of(provider.targets[0]).session.events.register("before-call.s3.GetObject", meanwhile)
    report = scan(provider, CHECKS, workers=4)

    finding = _verdicts(report)[(UNSAFE, "moving")]
    assert finding.status is Status.ERROR
    expected = "changed or denied since HeadObject" if change == "rewritten" else "vanished"
    assert expected in finding.message


def test_byte_budgets_read_the_format_only(moto: FaultServer) -> None:
    big_pickle = pickle.dumps({"w": b"\x00" * 300_000}, protocol=4)
    _model(moto, "big-pickle", "big/model.pkl", big_pickle)
    small = pickle.dumps({"w": [0.5] * 10}, protocol=4)
    _model(moto, "small-a", "a/model.pkl", small)
    _model(moto, "small-b", "b/model.pkl", small)
    size = len(small)

    report = _scan(moto, ArtifactSettings(limits=Limits(max_bytes=200_000), max_scan_bytes=size + 10))

    verdicts = _verdicts(report)
    big = verdicts[(UNSAFE, "big-pickle")]
    assert big.status is Status.ERROR and "over the per-artifact budget" in big.message
    assert verdicts[(FORMAT, "big-pickle")].status is Status.FAIL  # its first bytes are a pickle
    statuses = sorted(verdicts[(UNSAFE, m)].status.value for m in ("small-a", "small-b"))
    assert statuses == ["ERROR", "PASS"]  # the scan's budget holds one of the two
    spent = next(verdicts[(UNSAFE, m)] for m in ("small-a", "small-b") if verdicts[(UNSAFE, m)].status is Status.ERROR)
    assert "byte budget" in spent.message
    assert _artifact(report, "big/model.pkl").bytes_read <= 64 * 1024


def test_a_safetensors_file_over_the_budget_is_judged_by_its_header(moto: FaultServer) -> None:
    tensor = b'"w": {"dtype": "U8", "shape": [300000], "data_offsets": [0, 300000]}'
    header = b'{"__metadata__": {"note": "' + b"x" * 70_000 + b'"}, ' + tensor + b"}"  # over the 64 KiB sniff
    big = struct.pack("<Q", len(header)) + header + b"\x00" * 300_000
    _model(moto, "llm", "llm/model.safetensors", big)

    report = _scan(moto, ArtifactSettings(limits=Limits(max_bytes=200_000)))

    verdicts = _verdicts(report)
    assert verdicts[(UNSAFE, "llm")].status is Status.PASS
    assert verdicts[(FORMAT, "llm")].status is Status.PASS
    artifact = _artifact(report, "llm/model.safetensors")
    assert artifact.sha256 is None and artifact.bytes_read == 8 + len(header)  # the header, twice ranged


def test_without_the_flag_object_contents_are_never_read(moto: FaultServer) -> None:
    from cspm.providers.aws.context import ReadOnlyViolation

    _model(moto, "pickled", "pickled/model.pkl", reduce_pickle(os.system, "id"))
    provider = AwsProvider(AwsOptions(endpoint_url=moto.url, regions=("us-east-1",), workers=4))
    provider.connect()
    s3 = provider.clients_of(provider.targets[0]).client("s3", "us-east-1")
    with pytest.raises(ReadOnlyViolation, match="GetObject"):
        s3.get_object(Bucket=BUCKET, Key="pickled/model.pkl")
    with pytest.raises(Exception, match="--inspect-artifacts"):
        provider.plan({c.resource_types[-1] for c in CHECKS})
    assert not [r for r in moto.faults.calls() if r.call.name == "s3:GET object"]


# ---------------------------------------------------------------------------------------------
# Signatures (OpenSSF Model Signing, <key>.sig next to the artifact)
# ---------------------------------------------------------------------------------------------

SIGNED = "aws.sagemaker.model_artifact_signature_verifies"
SIGNATURE_CHECKS = [s for s in load_checks(["aws"]) if s.id == SIGNED]


def _signed_model(server: FaultServer, tmp_path: Path, name: str, sign: Any, body: bytes | None = None) -> None:
    """A model whose artifact is signed by ``sign(model_path, signature_path)`` (None: unsigned)."""
    body = body or safetensors()
    key = f"{name}/model.safetensors"
    _model(server, name, key, body)
    if sign is None:
        return
    local = tmp_path / name
    local.mkdir()
    (local / "model.safetensors").write_bytes(body)
    sign(local / "model.safetensors", local / "model.sig")
    _client(server, "s3").put_object(Bucket=BUCKET, Key=f"{key}.sig", Body=(local / "model.sig").read_bytes())


def _signature_scan(server: FaultServer, policy: SigningPolicy) -> dict[tuple[str, str], Any]:
    options = AwsOptions(
        endpoint_url=server.url, regions=("us-east-1",), workers=4, artifacts=ArtifactSettings(signing=policy)
    )
    provider = AwsProvider(options)
    provider.connect()
    return _verdicts(scan(provider, SIGNATURE_CHECKS, workers=4))


def test_key_signatures_verify_offline_and_a_policy_fails_unsigned_models(moto: FaultServer, tmp_path: Path) -> None:
    ours, theirs = make_signer(tmp_path / "keys"), make_signer(tmp_path / "keys", "intruder")
    _signed_model(moto, tmp_path, "signed", ours.sign_with_key)
    _signed_model(moto, tmp_path, "forged", theirs.sign_with_key)
    _signed_model(moto, tmp_path, "unsigned", None)
    s3 = _client(moto, "s3")
    _signed_model(moto, tmp_path, "swapped", ours.sign_with_key)  # signed, then replaced in the bucket
    s3.put_object(Bucket=BUCKET, Key="swapped/model.safetensors", Body=safetensors({"w": ("F32", [3])}))

    verdicts = _signature_scan(moto, SigningPolicy(public_key=str(ours.public), require="all"))

    assert verdicts[(SIGNED, "signed")].status is Status.PASS
    assert verdicts[(SIGNED, "signed")].evidence["artifacts"][0]["signature"]["method"] == "key"
    assert verdicts[(SIGNED, "forged")].status is Status.FAIL
    assert verdicts[(SIGNED, "swapped")].status is Status.FAIL
    assert "does not verify" in verdicts[(SIGNED, "swapped")].message
    assert verdicts[(SIGNED, "unsigned")].status is Status.FAIL
    assert "signing policy requires one" in verdicts[(SIGNED, "unsigned")].message

    without_policy = _signature_scan(moto, SigningPolicy(public_key=str(ours.public)))
    assert (SIGNED, "unsigned") not in without_policy  # nothing required: no finding
    assert without_policy[(SIGNED, "signed")].status is Status.PASS


def test_certificate_signatures_verify_against_the_chain(moto: FaultServer, tmp_path: Path) -> None:
    ours, theirs = make_signer(tmp_path / "pki"), make_signer(tmp_path / "pki", "other")
    _signed_model(moto, tmp_path, "ours", ours.sign_with_certificate)
    _signed_model(moto, tmp_path, "theirs", theirs.sign_with_certificate)

    verdicts = _signature_scan(moto, SigningPolicy(certificate_chain=(str(ours.ca),)))

    assert verdicts[(SIGNED, "ours")].status is Status.PASS
    assert verdicts[(SIGNED, "theirs")].status is Status.FAIL


def test_keyless_signatures_are_unverifiable_offline_never_valid(moto: FaultServer, tmp_path: Path) -> None:
    _signed_model(moto, tmp_path, "signed", make_signer(tmp_path / "k").sign_with_key)
    policy = SigningPolicy(identity="release@acme.example", issuer="https://accounts.acme.example", require="all")

    verdicts = _signature_scan(moto, policy)

    assert verdicts[(SIGNED, "signed")].status is Status.ERROR
    assert "Could not verify" in verdicts[(SIGNED, "signed")].message


def test_the_served_policy_requires_signatures_of_models_behind_live_endpoints(
    moto: FaultServer, tmp_path: Path
) -> None:
    _signed_model(moto, tmp_path, "live", None)
    _signed_model(moto, tmp_path, "idle", None)
    sm = _client(moto, "sagemaker")
    variant = {"VariantName": "v", "ModelName": "live", "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}
    sm.create_endpoint_config(EndpointConfigName="live-config", ProductionVariants=[variant])
    sm.create_endpoint(EndpointName="prod", EndpointConfigName="live-config")
    key = make_signer(tmp_path / "k")

    verdicts = _signature_scan(moto, SigningPolicy(public_key=str(key.public), require="served"))

    assert verdicts[(SIGNED, "live")].status is Status.FAIL
    assert (SIGNED, "idle") not in verdicts


# ---------------------------------------------------------------------------------------------
# Bedrock imported models: the model files under the S3 prefix they were imported from
# ---------------------------------------------------------------------------------------------

IMPORTED_UNSAFE = "aws.bedrock.imported_model_artifact_is_free_of_unsafe_code"
IMPORTED_FORMAT = "aws.bedrock.imported_model_artifact_uses_safe_format"
IMPORTED_SIGNED = "aws.bedrock.imported_model_artifact_signature_verifies"
IMPORTED_CHECKS = [s for s in load_checks(["aws"]) if s.id in (IMPORTED_UNSAFE, IMPORTED_FORMAT, IMPORTED_SIGNED)]
WEIGHTS = "bedrock-weights"


def _imported_model(server: FaultServer, name: str, source: str, files: dict[str, bytes]) -> None:
    """A Bedrock imported model (served by the Bedrock gap layer) imported from ``source``, with
    ``files`` uploaded under that prefix (keys relative to it)."""
    bucket, _, prefix = source.removeprefix("s3://").partition("/")
    s3 = _client(server, "s3")
    if bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
        s3.create_bucket(Bucket=bucket)
    for key, body in files.items():
        s3.put_object(Bucket=bucket, Key=f"{prefix.rstrip('/')}/{key}", Body=body)
    server.bedrock.add(
        "imported_models",
        "us-east-1",
        {
            "modelArn": f"arn:aws:bedrock:us-east-1:{ACCOUNT}:imported-model/{name}",
            "modelName": name,
            "jobName": f"import-{name}",
            "jobArn": f"arn:aws:bedrock:us-east-1:{ACCOUNT}:model-import-job/import-{name}",
            "modelDataSource": {"s3DataSource": {"s3Uri": source}},
            "creationTime": "2026-12-01T00:00:00Z",
            "modelArchitecture": "llama3",
        },
    )


def _imported_scan(server: FaultServer, settings: ArtifactSettings | None = None) -> ScanReport:
    options = AwsOptions(
        endpoint_url=server.url, regions=("us-east-1",), workers=4, artifacts=settings or ArtifactSettings()
    )
    provider = AwsProvider(options)
    provider.connect()
    return scan(provider, IMPORTED_CHECKS, workers=4)


def test_an_imported_models_prefix_is_listed_and_each_model_file_judged(moto: FaultServer) -> None:
    config = b'{"architectures": ["LlamaForCausalLM"]}'
    poisoned_pickle = reduce_pickle(os.system, "id")
    _imported_model(
        moto,
        "poisoned",
        f"s3://{WEIGHTS}/poisoned/",
        {"model.safetensors": safetensors(), "pytorch_model.bin": poisoned_pickle, "config.json": config},
    )
    _imported_model(moto, "clean", f"s3://{WEIGHTS}/clean", {"model.safetensors": safetensors(), "config.json": config})
    _imported_model(moto, "configs-only", f"s3://{WEIGHTS}/configs-only/", {"config.json": config})
    _imported_model(moto, "locked", "s3://locked-weights/llama/", {"model.safetensors": safetensors()})
    moto.faults.configure(Faults(denied=frozenset({"s3:GET bucket@locked-weights"})))

    report = _imported_scan(moto)

    verdicts = _verdicts(report)
    unsafe = verdicts[(IMPORTED_UNSAFE, "poisoned")]
    assert unsafe.status is Status.FAIL
    by_uri = {a["uri"]: a for a in unsafe.evidence["artifacts"]}
    # both model files under the prefix are judged; config.json is not a model file
    assert set(by_uri) == {f"s3://{WEIGHTS}/poisoned/model.safetensors", f"s3://{WEIGHTS}/poisoned/pytorch_model.bin"}
    bad = by_uri[f"s3://{WEIGHTS}/poisoned/pytorch_model.bin"]
    assert bad["sha256"] == hashlib.sha256(poisoned_pickle).hexdigest()
    assert [(i["module"], i["name"]) for i in bad["dangerous_imports"]] == [(os.system.__module__, "system")]
    assert verdicts[(IMPORTED_FORMAT, "poisoned")].status is Status.FAIL
    assert verdicts[(IMPORTED_UNSAFE, "clean")].status is Status.PASS  # a source without its trailing slash
    assert verdicts[(IMPORTED_FORMAT, "clean")].status is Status.PASS
    # a prefix without model files, or one that cannot be listed, is never a PASS
    for name, reason in (("configs-only", "no model file under the prefix"), ("locked", "ListObjectsV2 failed")):
        for check_id in (IMPORTED_UNSAFE, IMPORTED_FORMAT):
            assert verdicts[(check_id, name)].status is Status.ERROR, (check_id, name)
            assert reason in verdicts[(check_id, name)].message
    assert [(e.service, e.operation, e.code) for e in report.errors] == [("artifacts", "ListObjectsV2", "AccessDenied")]
    assert (IMPORTED_SIGNED, "poisoned") not in verdicts  # no signing policy: signatures not looked at


def test_imported_model_signatures_are_required_of_every_imported_model(moto: FaultServer, tmp_path: Path) -> None:
    ours = make_signer(tmp_path / "keys")
    body = safetensors()
    _imported_model(moto, "signed", f"s3://{WEIGHTS}/signed/", {"model.safetensors": body})
    (tmp_path / "model.safetensors").write_bytes(body)
    ours.sign_with_key(tmp_path / "model.safetensors", tmp_path / "model.sig")
    s3 = _client(moto, "s3")
    s3.put_object(Bucket=WEIGHTS, Key="signed/model.safetensors.sig", Body=(tmp_path / "model.sig").read_bytes())
    _imported_model(moto, "unsigned", f"s3://{WEIGHTS}/unsigned/", {"model.safetensors": body})
    _imported_model(moto, "empty", f"s3://{WEIGHTS}/empty/", {})

    policy = SigningPolicy(public_key=str(ours.public), require="served")
    verdicts = _verdicts(_imported_scan(moto, ArtifactSettings(signing=policy)))

    assert verdicts[(IMPORTED_SIGNED, "signed")].status is Status.PASS
    assert verdicts[(IMPORTED_SIGNED, "unsigned")].status is Status.FAIL
    assert verdicts[(IMPORTED_SIGNED, "empty")].status is Status.ERROR
