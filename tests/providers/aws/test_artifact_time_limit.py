"""An S3 object whose GetObject body drips (one byte at a time, each wait far shorter than
botocore's read timeout) cannot hold the scan: the reader takes the bytes as they arrive, so past
the time limit of one artifact read (``ArtifactSettings.read_seconds``, small here) it hangs up,
the artifact is an ERROR naming the limit, and the other models are judged. The same holds for
the ranged read of an object over the byte budget (``first_bytes``). moto on 127.0.0.1 behind
the fault middleware, which drips the real answers of one bucket's GetObject."""

from __future__ import annotations

import base64
import io
import pickle
import zlib
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.exceptions
import pytest
from botocore.httpchecksum import Crc32Checksum, StreamingChecksumBody
from botocore.response import StreamingBody

from cspm.artifacts.inspect import Limits
from cspm.engine import scan
from cspm.models import ScanReport, Status
from cspm.providers.aws import AwsOptions, AwsProvider
from cspm.providers.aws.artifacts import ArtifactSettings, arriving
from cspm.registry import load_checks
from support.faults import Faults, FaultServer
from support.model_corpus import safetensors

ROLE = "arn:aws:iam::123456789012:role/serve"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/serve:1.0"
SLOW, FAST = "slow-models", "ml-models"
UNSAFE = "aws.sagemaker.model_artifact_is_free_of_unsafe_code"
FORMAT = "aws.sagemaker.model_artifact_uses_safe_format"
CHECKS = [s for s in load_checks(["aws"]) if s.id in (UNSAFE, FORMAT)]
LIMIT = 0.5  # seconds
PAUSE = 0.01  # seconds between dripped bytes: the slow body whole takes 400 x 0.01 = 4 s
SLOW_BODY = pickle.dumps({"w": [0.5] * 3}, protocol=4).ljust(400, b".")


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


def _model(server: FaultServer, name: str, bucket: str, key: str, data: bytes) -> None:
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=server.url)
    if bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
        s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key=key, Body=data)
    sagemaker = boto3.client("sagemaker", region_name="us-east-1", endpoint_url=server.url)
    container = {"Image": IMAGE, "ModelDataUrl": f"s3://{bucket}/{key}"}
    sagemaker.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer=container)


def _dripping_scan(server: FaultServer, settings: ArtifactSettings) -> ScanReport:
    _model(server, "slow", SLOW, "slow/model.pkl", SLOW_BODY)
    _model(server, "fast", FAST, "fast/model.safetensors", safetensors())
    server.faults.configure(Faults(drip={f"s3:GET object@{SLOW}": PAUSE}))
    options = AwsOptions(endpoint_url=server.url, regions=("us-east-1",), workers=4, artifacts=settings)
    provider = AwsProvider(options)
    provider.connect()
    return scan(provider, CHECKS, workers=4)


def _verdicts(report: ScanReport) -> dict[tuple[str, str], Any]:
    return {(f.check_id, f.resource_uid.rsplit("/", 1)[1]): f for f in report.findings}


def test_a_dripping_object_is_an_error_naming_the_time_limit_and_the_scan_goes_on(moto: FaultServer) -> None:
    report = _dripping_scan(moto, ArtifactSettings(read_seconds=LIMIT))

    verdicts = _verdicts(report)
    slow = verdicts[(UNSAFE, "slow")]
    assert slow.status is Status.ERROR and f"{LIMIT:g} s, the time limit of one artifact read" in slow.message
    artifact = next(a for a in report.artifacts or () if a.uri == f"s3://{SLOW}/slow/model.pkl")
    assert artifact.sha256 is None and artifact.error and "time limit" in artifact.error
    # the reader took each byte as it came and hung up at the limit: the rest was never sent
    # (botocore's read(1 MiB) waits for the whole 400 bytes, 4 s, before anyone looks at the clock)
    assert 0 < moto.faults.dripped["s3:GET object"] < len(SLOW_BODY) // 2
    assert verdicts[(UNSAFE, "fast")].status is Status.PASS  # the rest of the scan went on
    assert verdicts[(FORMAT, "fast")].status is Status.PASS


def test_the_first_bytes_of_an_object_over_the_budget_are_read_within_the_limit_too(moto: FaultServer) -> None:
    settings = ArtifactSettings(limits=Limits(max_bytes=300), read_seconds=LIMIT)

    report = _dripping_scan(moto, settings)

    verdicts = _verdicts(report)
    slow = verdicts[(UNSAFE, "slow")]
    assert slow.status is Status.ERROR
    assert "over the per-artifact budget" in slow.message and "the time limit of one artifact read" in slow.message
    assert verdicts[(FORMAT, "slow")].status is Status.ERROR  # its format is unknown: never a PASS
    assert 0 < moto.faults.dripped["s3:GET object"] < len(SLOW_BODY) // 2  # the ranged read hung up
    assert verdicts[(UNSAFE, "fast")].status is Status.PASS
    assert verdicts[(FORMAT, "fast")].status is Status.PASS


def test_a_slow_object_within_the_limit_is_read_whole_and_judged(moto: FaultServer) -> None:
    report = _dripping_scan(moto, ArtifactSettings())  # 4 s of dripping, under the default 600 s

    verdicts = _verdicts(report)
    assert verdicts[(UNSAFE, "slow")].status is Status.PASS
    assert verdicts[(FORMAT, "slow")].status is Status.FAIL  # a pickle, read whole byte by byte
    artifact = next(a for a in report.artifacts or () if a.uri == f"s3://{SLOW}/slow/model.pkl")
    assert artifact.sha256 and artifact.bytes_read == len(SLOW_BODY)
    assert moto.faults.dripped["s3:GET object"] == len(SLOW_BODY)


class _Trickle(io.RawIOBase):
    """A urllib3 response stand-in that has 3 bytes at a time; its blocking ``read`` must not be used."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def read1(self, amt: int = -1) -> bytes:
        piece, self.data = self.data[: min(amt, 3)], self.data[min(amt, 3) :]
        return piece

    def read(self, amt: int | None = -1) -> bytes:
        if amt is None or amt < 0:
            piece, self.data = self.data, b""
            return piece
        raise AssertionError("read(n) waits for n bytes")


def _crc32(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def test_botocore_still_counts_and_checks_the_checksum_of_a_body_read_as_it_arrives() -> None:
    data = b"model bytes" * 3
    read = arriving(StreamingChecksumBody(_Trickle(data), len(data), Crc32Checksum(), _crc32(data)))
    pieces = iter(lambda: read(2**20), b"")
    assert next(pieces) == data[:3]  # what has arrived, not 1 MiB
    assert b"".join([data[:3], *pieces]) == data  # the checksum was checked at the end: it matched

    bad = arriving(StreamingChecksumBody(_Trickle(data), len(data), Crc32Checksum(), _crc32(b"other")))
    with pytest.raises(botocore.exceptions.FlexibleChecksumError):
        while bad(2**20):
            pass
    short = arriving(StreamingBody(_Trickle(data), len(data) + 5))  # fewer bytes than Content-Length
    with pytest.raises(botocore.exceptions.IncompleteReadError):
        while short(2**20):
            pass
