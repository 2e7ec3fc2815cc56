"""The S3 collector against moto (in-process mock_aws): snapshots and error handling."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from cspm.resources.aws.s3 import S3AccountSettings, S3Bucket
from support.aws import ACCOUNT, collect_aws, one


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


def test_buckets_snapshot_every_setting(aws: None) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="hardened")
    s3.put_bucket_encryption(
        Bucket="hardened",
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": "alias/ml",
                    },
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    s3.put_bucket_versioning(Bucket="hardened", VersioningConfiguration={"Status": "Enabled"})
    s3.put_public_access_block(
        Bucket="hardened",
        PublicAccessBlockConfiguration={
            k: True for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
        },
    )
    s3.put_bucket_ownership_controls(
        Bucket="hardened", OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    )
    s3.create_bucket(Bucket="ml-access-logs")
    s3.put_bucket_acl(Bucket="ml-access-logs", ACL="log-delivery-write")
    s3.put_bucket_logging(
        Bucket="hardened",
        BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": "ml-access-logs", "TargetPrefix": "h/"}},
    )
    s3.create_bucket(Bucket="open", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_bucket_acl(Bucket="open", ACL="public-read")
    policy: dict[str, Any] = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::open/*"}
        ],
    }
    s3.put_bucket_policy(Bucket="open", Policy=json.dumps(policy))

    inventory = collect_aws(S3Bucket, regions=("us-east-1", "eu-west-1"))

    assert not inventory.errors
    hardened = one(inventory, S3Bucket, "hardened")
    assert hardened.region == "us-east-1"
    assert hardened.encryption is not None and hardened.encryption.algorithm == "aws:kms"
    assert hardened.encryption.kms_key_id == "alias/ml" and hardened.encryption.bucket_key_enabled
    assert hardened.versioning is not None and hardened.versioning.status == "Enabled"
    assert hardened.public_access_block is not None and hardened.public_access_block.all_enabled
    assert hardened.object_ownership == "BucketOwnerEnforced" and hardened.acl_grants == ()
    assert hardened.logging is not None and hardened.logging.target_bucket == "ml-access-logs"
    assert hardened.policy == {} and hardened.policy_is_public is False

    open_ = one(inventory, S3Bucket, "open")
    assert open_.region == "eu-west-1"
    assert open_.policy == policy and open_.policy_is_public is True
    assert open_.acl_grants is not None
    assert any(g.grantee.endswith("/AllUsers") and g.permission == "READ" for g in open_.acl_grants)
    assert open_.public_access_block is not None and not open_.public_access_block.block_public_acls
    assert open_.versioning is not None and open_.versioning.status == "Disabled"
    assert open_.logging is not None and not open_.logging.enabled

    settings = inventory.of_type(S3AccountSettings)
    assert len(settings) == 1 and settings[0].account == ACCOUNT
    assert settings[0].public_access_block is not None and not settings[0].public_access_block.all_enabled


def test_buckets_outside_the_selected_regions_are_skipped(aws: None) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="home")
    s3.create_bucket(Bucket="away", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    inventory = collect_aws(S3Bucket, regions=("us-east-1",))
    assert [b.name for b in inventory.of_type(S3Bucket)] == ["home"]


def test_a_failed_call_is_recorded_and_leaves_the_field_unknown(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="bucket-b")
    from botocore.exceptions import ClientError

    def denied(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        if operation_name == "GetBucketVersioning":
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "denied"}}, operation_name)
        return original(self, operation_name, api_params)

    from botocore.client import BaseClient

    original = BaseClient._make_api_call
    monkeypatch.setattr(BaseClient, "_make_api_call", denied)
    inventory = collect_aws(S3Bucket)
    bucket = one(inventory, S3Bucket, "bucket-b")
    assert bucket.versioning is None
    assert bucket.encryption is not None  # the other fields are still read
    assert [(e.operation, e.code, e.service) for e in inventory.errors] == [
        ("GetBucketVersioning", "AccessDenied", "s3")
    ]
    assert not inventory.incomplete_scopes(S3Bucket)


def test_a_failed_listing_marks_buckets_incomplete(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from botocore.client import BaseClient
    from botocore.exceptions import ClientError

    original = BaseClient._make_api_call

    def denied(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        if operation_name == "ListBuckets":
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "denied"}}, operation_name)
        return original(self, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", denied)
    inventory = collect_aws(S3Bucket)
    assert inventory.of_type(S3Bucket) == []
    assert inventory.incomplete_scopes(S3Bucket) == [(ACCOUNT, "global", "ListBuckets failed: AccessDenied")]
    assert inventory.errors[0].operation == "ListBuckets"


def test_not_found_answers_are_the_documented_defaults(aws: None) -> None:
    # moto 5.2 answers ServerSideEncryptionConfigurationNotFoundError, OwnershipControlsNotFoundError
    # and NoSuchPublicAccessBlockConfiguration for a new bucket. AWS does not: a bucket created since
    # April 2023 returns SSE-S3, BucketOwnerEnforced and all four Block Public Access settings on
    # (that bucket is "modern" below, configured explicitly). The not-found answers are what AWS
    # returns for a bucket whose setting was never set or was deleted, and each means the documented
    # default: SSE-S3 ("all buckets have a default encryption configuration that uses SSE-S3"),
    # ObjectWriter (ACLs enabled, the setting before April 2023), all four settings off.
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="legacy")
    s3.create_bucket(Bucket="modern")
    s3.put_bucket_encryption(
        Bucket="modern",
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    s3.put_bucket_ownership_controls(
        Bucket="modern", OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    )
    s3.put_public_access_block(
        Bucket="modern",
        PublicAccessBlockConfiguration={
            k: True for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
        },
    )
    for name in ("legacy", "modern"):  # the lifecycle is read only for versioned buckets without MFA delete
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s3.create_bucket(Bucket="unversioned")
    s3.put_bucket_lifecycle_configuration(
        Bucket="modern",
        LifecycleConfiguration={
            "Rules": [{"ID": "expire", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 30}}]
        },
    )

    inventory = collect_aws(S3Bucket)

    assert not inventory.errors  # not-found answers are facts, not failures
    legacy, modern = one(inventory, S3Bucket, "legacy"), one(inventory, S3Bucket, "modern")
    for b in (legacy, modern):
        assert b.encryption is not None and b.encryption.algorithm == "AES256" and not b.encryption.uses_kms
    assert legacy.object_ownership == "ObjectWriter" and legacy.acl_grants is not None
    assert legacy.public_access_block is not None and legacy.public_access_block.disabled == [
        "BlockPublicAcls",
        "IgnorePublicAcls",
        "BlockPublicPolicy",
        "RestrictPublicBuckets",
    ]
    assert legacy.has_lifecycle_configuration is False  # NoSuchLifecycleConfiguration
    assert modern.object_ownership == "BucketOwnerEnforced" and modern.acl_grants == ()
    assert modern.public_access_block is not None and modern.public_access_block.all_enabled
    assert modern.has_lifecycle_configuration is True
    assert one(inventory, S3Bucket, "unversioned").has_lifecycle_configuration is None  # not read: not needed


def test_policy_status_is_asked_only_where_a_verdict_reads_it(aws: None) -> None:
    """With RestrictPublicBuckets on, S3 limits a public policy to the account and AWS services, so
    bucket_is_not_public does not read the policy status, and the collector does not ask for it."""
    from cspm.checks.aws.s3 import bucket_is_not_public
    from cspm.models import Status

    s3 = boto3.client("s3", region_name="us-east-1")
    public = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::X/*"}],
    }
    for name, restrict in (("restricted", True), ("open", False)):
        s3.create_bucket(Bucket=name)
        s3.put_public_access_block(
            Bucket=name,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": False,
                "RestrictPublicBuckets": restrict,
            },
        )
        s3.put_bucket_policy(Bucket=name, Policy=json.dumps(public).replace("X", name))
    inventory = collect_aws(S3Bucket, S3AccountSettings)
    assert not inventory.errors
    (account,) = inventory.of_type(S3AccountSettings)
    restricted, open_ = one(inventory, S3Bucket, "restricted"), one(inventory, S3Bucket, "open")
    assert restricted.policy_is_public is None  # not asked: no verdict depends on it
    assert open_.policy_is_public is True
    assert bucket_is_not_public(restricted, account).status is Status.PASS
    assert bucket_is_not_public(open_, account).status is Status.FAIL
