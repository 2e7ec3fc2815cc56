"""The KMS collector against moto (in-process mock_aws): snapshots, request counts and error handling."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from moto import mock_aws

from cspm.providers.aws import SERVICE_MODULES
from cspm.providers.aws.kms import aliases_by_key, key_from_api, policy_from_api
from cspm.resources.aws.kms import KmsKey
from support.aws import ACCOUNT, collect_aws

REGION = "us-east-1"
OTHER = "210987654321"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(SERVICE_MODULES, "kms", "cspm.providers.aws.kms")
    with mock_aws():
        yield


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    seen: Counter[str] = Counter()
    original = BaseClient._make_api_call

    def counting(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        seen[operation_name] += 1
        return original(self, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", counting)
    return seen


def _deny(monkeypatch: pytest.MonkeyPatch, operation: str) -> None:
    original = BaseClient._make_api_call

    def denied(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        if operation_name == operation:
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "denied"}}, operation_name)
        return original(self, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", denied)


def _seed(*, signing: bool = True) -> dict[str, str]:
    """Four keys; ``signing=False`` skips the RSA key (moto generates its key pair, which is slow)."""
    kms = boto3.client("kms", region_name=REGION)
    rotated = kms.create_key(Description="ml artifacts")["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=rotated)
    kms.create_alias(AliasName="alias/ml-artifacts", TargetKeyId=rotated)
    plain = kms.create_key()["KeyMetadata"]["KeyId"]
    shared_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"},
                "Action": "kms:Decrypt",
                "Resource": "*",
            },
        ],
    }
    kms.put_key_policy(KeyId=plain, PolicyName="default", Policy=json.dumps(shared_policy))
    doomed = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.schedule_key_deletion(KeyId=doomed, PendingWindowInDays=7)
    ids = {"rotated": rotated, "plain": plain, "doomed": doomed}
    if signing:
        ids["signing"] = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    return ids


def _by_id(keys: list[Any]) -> dict[str, KmsKey]:
    return {k.key_id: k for k in keys}


def test_keys_snapshot_every_setting(aws: None, calls: Counter[str]) -> None:
    ids = _seed()
    calls.clear()

    inventory = collect_aws(KmsKey)

    assert not inventory.errors
    keys = _by_id(inventory.of_type(KmsKey))
    assert set(keys) == set(ids.values())

    rotated = keys[ids["rotated"]]
    assert rotated.uid == f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{ids['rotated']}"
    assert rotated.name == "alias/ml-artifacts" and rotated.aliases == ("alias/ml-artifacts",)
    assert rotated.manager == "CUSTOMER" and rotated.state == "Enabled" and rotated.key_spec == "SYMMETRIC_DEFAULT"
    assert rotated.origin == "AWS_KMS" and rotated.multi_region is False and rotated.description == "ml artifacts"
    assert rotated.rotation_applies and rotated.rotation_enabled is True
    assert rotated.policy is not None and rotated.policy["Statement"][0]["Action"] == "kms:*"  # moto's default

    plain = keys[ids["plain"]]
    assert plain.name == ids["plain"] and plain.aliases == ()
    assert plain.rotation_enabled is False
    assert plain.policy is not None and plain.policy["Statement"][1]["Principal"] == {
        "AWS": f"arn:aws:iam::{OTHER}:root"
    }

    signing = keys[ids["signing"]]
    assert signing.key_spec == "RSA_2048" and not signing.rotation_applies and signing.rotation_enabled is None

    doomed = keys[ids["doomed"]]
    assert doomed.state == "PendingDeletion" and doomed.pending_deletion and doomed.deletion_date is not None
    assert doomed.rotation_enabled is None  # rotation is not read for a key pending deletion

    # ListKeys + ListAliases per region; DescribeKey per key; rotation for the 2 eligible keys;
    # the policy of every customer-managed key.
    scanner = {op: n for op, n in calls.items() if op not in ("GetCallerIdentity", "DescribeRegions")}
    assert scanner == {"ListKeys": 1, "ListAliases": 1, "DescribeKey": 4, "GetKeyRotationStatus": 2, "GetKeyPolicy": 4}


@pytest.mark.parametrize(
    ("operation", "field"),
    [("GetKeyRotationStatus", "rotation_enabled"), ("GetKeyPolicy", "policy"), ("ListAliases", "aliases")],
)
def test_a_denied_call_leaves_its_field_unknown(
    aws: None, monkeypatch: pytest.MonkeyPatch, operation: str, field: str
) -> None:
    ids = _seed(signing=False)
    _deny(monkeypatch, operation)
    inventory = collect_aws(KmsKey)
    rotated = _by_id(inventory.of_type(KmsKey))[ids["rotated"]]
    assert getattr(rotated, field) is None
    assert rotated.manager == "CUSTOMER" and rotated.state == "Enabled"  # the rest is read
    assert inventory.errors and {(e.service, e.operation, e.code) for e in inventory.errors} == {
        ("kms", operation, "AccessDeniedException")
    }
    assert not inventory.incomplete_scopes(KmsKey)


def test_a_denied_describe_keeps_the_key_with_unknown_metadata(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = _seed(signing=False)
    _deny(monkeypatch, "DescribeKey")
    inventory = collect_aws(KmsKey)
    keys = _by_id(inventory.of_type(KmsKey))
    assert set(keys) == set(ids.values())
    assert all(k.manager is None and k.state is None and k.policy is None for k in keys.values())
    assert {e.operation for e in inventory.errors} == {"DescribeKey"}  # nothing else is called for them


def test_a_denied_listing_marks_keys_incomplete(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    _seed(signing=False)
    _deny(monkeypatch, "ListKeys")
    inventory = collect_aws(KmsKey)
    assert inventory.of_type(KmsKey) == []
    assert inventory.incomplete_scopes(KmsKey) == [(ACCOUNT, REGION, "ListKeys failed: AccessDeniedException")]


# ---------------------------------------------------------------------------------------------
# Translation of recorded responses (what moto cannot produce)
# ---------------------------------------------------------------------------------------------


def test_an_aws_managed_key_from_a_recorded_response() -> None:
    entry = {"KeyId": "k1", "KeyArn": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k1"}
    meta = {
        "KeyId": "k1",
        "KeyManager": "AWS",
        "KeyState": "Enabled",
        "KeySpec": "SYMMETRIC_DEFAULT",
        "Origin": "AWS_KMS",
        "MultiRegion": False,
        "Description": "Default key that protects my ECR data when no other key is defined",
    }
    key = key_from_api(entry, meta, ACCOUNT, REGION)
    assert key.manager == "AWS" and not key.customer_managed and not key.rotation_applies


def test_aliases_and_policies_from_recorded_responses() -> None:
    assert aliases_by_key(None) is None
    assert aliases_by_key(
        [
            {"AliasName": "alias/b", "TargetKeyId": "k1"},
            {"AliasName": "alias/a", "TargetKeyId": "k1"},
            {"AliasName": "alias/aws/ecr"},  # an AWS-managed alias whose key was never created
        ]
    ) == {"k1": ("alias/a", "alias/b")}
    assert policy_from_api(None) == (None, None)
    assert policy_from_api({"Policy": '{"Statement": []}'}) == ({"Statement": []}, None)
    document, problem = policy_from_api({"Policy": "not json"})
    assert document is None and problem is not None and "not valid JSON" in problem
