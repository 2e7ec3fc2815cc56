"""The fault middleware speaks each protocol's real errors, and throttles reproducibly."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import boto3
import botocore.exceptions
import botocore.retries.standard
import pytest
from botocore.config import Config

from support.aws import ACCOUNT, s3control_client
from support.faults import (
    DENIED,
    EC2,
    JSON,
    QUERY,
    REST_XML,
    THROTTLED,
    THROTTLING,
    Faults,
    FaultServer,
    decode,
    error_response,
)

# One fault server (moto, in this process) per worker: with `pytest -n --dist loadgroup` these
# tests share one worker, so the account is seeded and scanned once.
pytestmark = pytest.mark.xdist_group("resilience-moto")

# botocore's "max_attempts" counts retries; "total_max_attempts" counts the first attempt too.
NO_RETRY = Config(retries={"mode": "standard", "total_max_attempts": 1})
ONE_RETRY = Config(retries={"mode": "standard", "total_max_attempts": 2})


def _client(url: str, service: str, config: Config) -> Any:
    return boto3.client(service, region_name="us-east-1", endpoint_url=url, config=config)


# (fault name, protocol, call) for one operation of each protocol the scanner meets.
CALLS: list[tuple[str, str, Callable[[str, Config], Any]]] = [
    ("sts:GetCallerIdentity", QUERY, lambda url, c: _client(url, "sts", c).get_caller_identity()),
    ("iam:GetAccountSummary", QUERY, lambda url, c: _client(url, "iam", c).get_account_summary()),
    ("ec2:DescribeVpcs", EC2, lambda url, c: _client(url, "ec2", c).describe_vpcs()),
    ("kms:ListKeys", JSON, lambda url, c: _client(url, "kms", c).list_keys()),
    ("sagemaker:ListModels", JSON, lambda url, c: _client(url, "sagemaker", c).list_models()),
    ("s3:ListBuckets", REST_XML, lambda url, c: _client(url, "s3", c).list_buckets()),
]


@pytest.fixture
def server(fault_server: FaultServer) -> FaultServer:
    """The session's server with no faults (these tests need no particular account)."""
    fault_server.set_iam_enforcement(False)
    fault_server.faults.configure(Faults())
    return fault_server


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore retries at once (its throttling backoff is up to 1 s for a first retry)."""
    monkeypatch.setattr(botocore.retries.standard.ExponentialBackoff, "delay_amount", lambda self, context: 0.0)


@pytest.mark.parametrize(("name", "protocol", "call"), CALLS, ids=[c[0] for c in CALLS])
def test_throttling_is_each_protocols_own_error_and_botocore_retries_it(
    server: FaultServer, no_backoff: None, name: str, protocol: str, call: Callable[[str, Config], Any]
) -> None:
    server.faults.configure(Faults(throttle_first={name: 1}))
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        call(server.url, NO_RETRY)
    status, code = THROTTLING[protocol]
    assert raised.value.response["Error"]["Code"] == code
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == status

    server.faults.configure(Faults(throttle_first={name: 1}))
    response = call(server.url, ONE_RETRY)  # botocore recognises it as throttling and retries
    assert response["ResponseMetadata"]["RetryAttempts"] == 1
    assert [r.outcome for r in server.faults.calls()] == [THROTTLED, "forwarded"]


@pytest.mark.parametrize(("name", "protocol", "call"), CALLS, ids=[c[0] for c in CALLS])
def test_denial_is_each_protocols_own_access_denied(
    server: FaultServer, name: str, protocol: str, call: Callable[[str, Config], Any]
) -> None:
    server.faults.configure(Faults(denied=frozenset({name}), denied_message={name: "no & <way>"}))
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        call(server.url, ONE_RETRY)
    status, code = DENIED[protocol]
    assert raised.value.response["Error"]["Code"] == code
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert raised.value.response["Error"]["Message"] == "no & <way>"
    assert raised.value.response["ResponseMetadata"]["RetryAttempts"] == 0, "a denial is not retried"


def test_s3control_is_named_apart_from_s3(server: FaultServer) -> None:
    server.faults.configure(Faults(denied=frozenset({"s3control:GetPublicAccessBlock"})))
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        s3control_client(server.url).get_public_access_block(AccountId=ACCOUNT)
    assert raised.value.response["Error"]["Code"] == "AccessDenied"
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=server.url, config=NO_RETRY)
    with pytest.raises(botocore.exceptions.ClientError) as other:
        s3.get_public_access_block(Bucket="rs-faults-no-such-bucket")
    assert other.value.response["Error"]["Code"] == "NoSuchBucket"  # S3's own operation was not denied


def _outcomes(server: FaultServer, seed: int) -> list[str]:
    server.faults.configure(Faults(throttle_rate=0.3), seed=seed)
    kms = boto3.client("kms", region_name="us-east-1", endpoint_url=server.url, config=NO_RETRY)
    for limit in range(1, 151):
        with contextlib.suppress(botocore.exceptions.ClientError):
            kms.list_keys(Limit=limit)
    return [r.outcome for r in server.faults.calls()]


def test_throttling_is_reproducible_and_close_to_the_rate(server: FaultServer) -> None:
    first, again, other = _outcomes(server, 1), _outcomes(server, 1), _outcomes(server, 2)
    assert first == again, "the same seed throttles the same requests"
    assert first != other
    assert 0.2 < first.count(THROTTLED) / len(first) < 0.4


def test_decoding_names_operations_as_the_sdk_does() -> None:
    auth = {"authorization": "AWS4-HMAC-SHA256 Credential=AKID/20261125/eu-west-1/s3/aws4_request, Signed..."}
    assert decode("GET", "/", "", auth).name == "s3:ListBuckets"
    assert decode("GET", "/ml-data", "encryption", auth).operation == "GetBucketEncryption"
    assert decode("GET", "/ml-data", "policyStatus", auth).bucket == "ml-data"
    assert (
        decode("GET", "/v20180820/configuration/publicAccessBlock", "", auth).name == "s3control:GetPublicAccessBlock"
    )
    assert decode("PUT", "/ml-data/key", "", auth).operation == "PUT object"
    target = {**auth, "x-amz-target": "SageMaker.ListModels"}
    assert decode("POST", "/", "", target).protocol == JSON
    form = {
        "authorization": auth["authorization"].replace("/s3/", "/ec2/"),
        "content-type": "application/x-www-form-urlencoded",
    }
    call = decode("POST", "/", "", form, b"Action=DescribeVpcs&Version=2016-11-15")
    assert (call.name, call.protocol, call.region) == ("ec2:DescribeVpcs", EC2, "eu-west-1")


def test_error_bodies_escape_the_message() -> None:
    _, _, body = error_response(QUERY, 403, "AccessDenied", "a < b & c")
    assert b"a &lt; b &amp; c" in body
