"""The real ``cspm scan aws --inspect-artifacts --signing-identity ID --signing-issuer URL
--sigstore-trust-config FILE`` process against moto's server (127.0.0.1): a model signed keyless
by the local Sigstore of ``support.fake_sigstore`` PASSes, one signed by a Sigstore the trust
root does not name FAILs; a rescan with ``--store`` reuses both verdicts without reading an
object, and a rescan after the trust config file changed judges both again. The process gets a
proxy on a closed port for anything but 127.0.0.1, so a fetch of Sigstore's public trust root
(TUF) could not succeed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from e2e.harness import Run, scan_aws

from support.fake_sigstore import FakeSigstore
from support.faults import FaultServer
from support.model_corpus import safetensors

pytestmark = pytest.mark.e2e

ACCOUNT = "123456789012"
IMAGE = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/serve:1.0"
IDENTITY, ISSUER = "release@acme.example", "https://accounts.acme.example"
SIGNED = "aws.sagemaker.model_artifact_signature_verifies"
CHECKS = ("--checks", SIGNED, "--services", "sagemaker")
NO_INTERNET = {"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9", "NO_PROXY": "127.0.0.1"}


@pytest.fixture(scope="module")
def ours() -> FakeSigstore:
    return FakeSigstore()


@pytest.fixture(scope="module")
def intruder() -> FakeSigstore:
    return FakeSigstore("intruder")


@pytest.fixture(scope="module")
def server(
    ours: FakeSigstore, intruder: FakeSigstore, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FaultServer]:
    running = FaultServer().start()
    running.reset()
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=running.url)
    sm = boto3.client("sagemaker", region_name="us-east-1", endpoint_url=running.url)
    s3.create_bucket(Bucket="ml-models")
    local = tmp_path_factory.mktemp("signing")
    for name, sigstore in (("signed", ours), ("foreign", intruder)):
        model = local / f"{name}.safetensors"
        model.write_bytes(safetensors({name: ("F32", [2])}))
        signature = sigstore.sign(model, local / f"{name}.sig", IDENTITY, ISSUER)
        key = f"{name}/model.safetensors"
        s3.put_object(Bucket="ml-models", Key=key, Body=model.read_bytes())
        s3.put_object(Bucket="ml-models", Key=f"{key}.sig", Body=signature.read_bytes())
        sm.create_model(
            ModelName=name,
            ExecutionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/serve",
            PrimaryContainer={"Image": IMAGE, "ModelDataUrl": f"s3://ml-models/{key}"},
        )
    yield running
    running.reset()
    running.stop()


def _scan(server: FaultServer, output: Path, trust: Path, store: str) -> Run:
    keyless = ("--signing-identity", IDENTITY, "--signing-issuer", ISSUER, "--sigstore-trust-config", str(trust))
    done = scan_aws(
        server.url, output, *CHECKS, "--inspect-artifacts", *keyless, "--require-signed-models", "all",
        "--store", store, "--quiet", env=NO_INTERNET,
    )  # fmt: skip
    assert done.returncode == 0, done.explain()
    return done


def _gets(server: FaultServer) -> int:
    return len([r for r in server.faults.calls() if r.call.name == "s3:GET object"])


def test_a_keyless_signature_verifies_and_the_store_rejudges_it_under_another_trust_root(
    server: FaultServer, ours: FakeSigstore, intruder: FakeSigstore, tmp_path: Path
) -> None:
    store, trust = f"sqlite:///{tmp_path / 'history.db'}", ours.trust_config(tmp_path / "trust.json")

    first = _scan(server, tmp_path / "one", trust, store)

    report = first.report
    assert report.status(SIGNED, "signed") == "PASS"
    signature = report.finding(SIGNED, "signed")["evidence"]["artifacts"][0]["signature"]
    assert (signature["status"], signature["method"], signature["identity"]) == ("verified", "sigstore", IDENTITY)
    assert report.status(SIGNED, "foreign") == "FAIL"  # same identity, a CA outside the trust root
    foreign = report.finding(SIGNED, "foreign")["evidence"]["artifacts"][0]["signature"]
    assert foreign["status"] == "invalid" and "CertValidationError" in foreign["detail"]
    gets = _gets(server)
    assert gets == 4  # two artifacts, two signatures

    again = _scan(server, tmp_path / "two", trust, store)

    assert _gets(server) == gets  # nothing read again
    assert {a["reused_from"] for a in again.report.data["artifacts"]} == {report.scan["id"]}
    assert (again.report.status(SIGNED, "signed"), again.report.status(SIGNED, "foreign")) == ("PASS", "FAIL")

    intruder.trust_config(trust)  # the same file now names the other Sigstore instance
    rotated = _scan(server, tmp_path / "three", trust, store)

    assert _gets(server) == gets + 4  # both judged again
    assert {a["reused_from"] for a in rotated.report.data["artifacts"]} == {None}
    assert (rotated.report.status(SIGNED, "signed"), rotated.report.status(SIGNED, "foreign")) == ("FAIL", "PASS")
