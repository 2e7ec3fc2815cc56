"""S3 checks: a table of (case, snapshot(s), expected status) per check."""

from __future__ import annotations

from typing import Any

import pytest

from cspm.checks.aws import s3
from cspm.models import Status
from cspm.resources.aws.s3 import (
    Encryption,
    Grant,
    Logging,
    PublicAccessBlock,
    S3AccountSettings,
    S3Bucket,
    Versioning,
)

ALL_ON = PublicAccessBlock(
    block_public_acls=True, ignore_public_acls=True, block_public_policy=True, restrict_public_buckets=True
)
ALL_OFF = PublicAccessBlock()
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


def bucket(**fields: Any) -> S3Bucket:
    """A fully readable, well-configured bucket; override fields per case."""
    base: dict[str, Any] = {
        "uid": "arn:aws:s3:::ml-data",
        "name": "ml-data",
        "account": "123456789012",
        "region": "us-east-1",
        "encryption": Encryption(algorithm="aws:kms", kms_key_id="arn:aws:kms:us-east-1:123456789012:key/k"),
        "versioning": Versioning(status="Enabled", mfa_delete=True),
        "public_access_block": ALL_ON,
        "policy": {},
        "policy_is_public": False,
        "acl_grants": (),
        "object_ownership": "BucketOwnerEnforced",
        "logging": Logging(enabled=True, target_bucket="logs"),
        "has_lifecycle_configuration": False,
    }
    base.update(fields)
    return S3Bucket(**base)


def account(pab: PublicAccessBlock | None = ALL_ON) -> S3AccountSettings:
    return S3AccountSettings(
        uid="arn:aws:s3:::account/123456789012",
        name="123456789012",
        account="123456789012",
        public_access_block=pab,
    )


@pytest.mark.parametrize(
    ("case", "b", "a", "expected"),
    [
        ("bucket on", bucket(), account(ALL_OFF), Status.PASS),
        ("account on", bucket(public_access_block=ALL_OFF), account(ALL_ON), Status.PASS),
        ("both off", bucket(public_access_block=ALL_OFF), account(ALL_OFF), Status.FAIL),
        (
            "one flag off in both",
            bucket(public_access_block=ALL_ON.model_copy(update={"ignore_public_acls": False})),
            account(ALL_ON.model_copy(update={"ignore_public_acls": False})),
            Status.FAIL,
        ),
        ("bucket unreadable", bucket(public_access_block=None), account(), Status.ERROR),
        ("account unreadable", bucket(), account(None), Status.ERROR),
    ],
)
def test_bucket_blocks_public_access(case: str, b: S3Bucket, a: S3AccountSettings, expected: Status) -> None:
    result = s3.bucket_blocks_public_access(b, a)
    assert result.status is expected, case
    if expected is Status.FAIL:
        assert result.evidence["disabled"]


@pytest.mark.parametrize(
    ("case", "a", "expected"),
    [
        ("all on", account(ALL_ON), Status.PASS),
        ("off", account(ALL_OFF), Status.FAIL),
        ("unreadable", account(None), Status.ERROR),
    ],
)
def test_account_blocks_public_access(case: str, a: S3AccountSettings, expected: Status) -> None:
    assert s3.account_blocks_public_access(a).status is expected, case


@pytest.mark.parametrize(
    ("case", "b", "a", "expected"),
    [
        ("private", bucket(public_access_block=ALL_OFF), account(ALL_OFF), Status.PASS),
        (
            "public policy",
            bucket(public_access_block=ALL_OFF, policy_is_public=True),
            account(ALL_OFF),
            Status.FAIL,
        ),
        (
            "public policy neutralised by RestrictPublicBuckets",
            bucket(public_access_block=ALL_OFF, policy_is_public=True),
            account(ALL_ON),
            Status.PASS,
        ),
        (
            "public ACL",
            bucket(
                public_access_block=ALL_OFF,
                object_ownership="ObjectWriter",
                acl_grants=(Grant(grantee_type="Group", grantee=ALL_USERS, permission="READ"),),
            ),
            account(ALL_OFF),
            Status.FAIL,
        ),
        (
            "public ACL ignored by IgnorePublicAcls",
            bucket(acl_grants=(Grant(grantee_type="Group", grantee=ALL_USERS, permission="READ"),)),
            account(ALL_OFF),
            Status.PASS,
        ),
        (
            "ACL unreadable",
            bucket(public_access_block=ALL_OFF, acl_grants=None),
            account(ALL_OFF),
            Status.ERROR,
        ),
        (
            "policy status unreadable",
            bucket(public_access_block=ALL_OFF, policy_is_public=None),
            account(ALL_OFF),
            Status.ERROR,
        ),
        ("BPA unreadable", bucket(public_access_block=None), account(), Status.ERROR),
    ],
)
def test_bucket_is_not_public(case: str, b: S3Bucket, a: S3AccountSettings, expected: Status) -> None:
    result = s3.bucket_is_not_public(b, a)
    assert result.status is expected, case
    if expected is Status.FAIL:
        assert result.evidence.get("public_policy") or result.evidence.get("public_acl_grants")


SINGLE_BUCKET_CASES = [
    (s3.bucket_disables_acls, bucket(), Status.PASS),
    (s3.bucket_disables_acls, bucket(object_ownership="ObjectWriter"), Status.FAIL),
    (s3.bucket_disables_acls, bucket(object_ownership=None), Status.ERROR),
    (s3.bucket_encrypted_with_kms, bucket(), Status.PASS),
    (s3.bucket_encrypted_with_kms, bucket(encryption=Encryption(algorithm="aws:kms:dsse")), Status.PASS),
    (s3.bucket_encrypted_with_kms, bucket(encryption=Encryption(algorithm="AES256")), Status.FAIL),
    (s3.bucket_encrypted_with_kms, bucket(encryption=Encryption()), Status.FAIL),
    (s3.bucket_encrypted_with_kms, bucket(encryption=None), Status.ERROR),
    (s3.bucket_versioning_enabled, bucket(), Status.PASS),
    (s3.bucket_versioning_enabled, bucket(versioning=Versioning(status="Suspended")), Status.FAIL),
    (s3.bucket_versioning_enabled, bucket(versioning=Versioning()), Status.FAIL),
    (s3.bucket_versioning_enabled, bucket(versioning=None), Status.ERROR),
    (s3.bucket_mfa_delete_enabled, bucket(), Status.PASS),
    (s3.bucket_mfa_delete_enabled, bucket(versioning=Versioning(status="Enabled")), Status.FAIL),
    (s3.bucket_mfa_delete_enabled, bucket(versioning=None), Status.ERROR),
    # S3.20: "You cannot use MFA delete with a bucket that has a lifecycle configuration".
    (
        s3.bucket_mfa_delete_enabled,
        bucket(versioning=Versioning(status="Enabled"), has_lifecycle_configuration=True),
        None,
    ),
    (
        s3.bucket_mfa_delete_enabled,
        bucket(versioning=Versioning(status="Enabled"), has_lifecycle_configuration=None),
        Status.ERROR,
    ),
    # Enabled MFA delete passes whatever the lifecycle (the collector does not read it then).
    (s3.bucket_mfa_delete_enabled, bucket(has_lifecycle_configuration=None), Status.PASS),
    # Unversioned: versioning comes first (CIS 2.1.2); the lifecycle is not read then either.
    (
        s3.bucket_mfa_delete_enabled,
        bucket(versioning=Versioning(status="Disabled"), has_lifecycle_configuration=None),
        Status.FAIL,
    ),
    (
        s3.bucket_mfa_delete_enabled,
        bucket(versioning=Versioning(status="Suspended"), has_lifecycle_configuration=True),
        None,
    ),
]


@pytest.mark.parametrize(("check", "b", "expected"), SINGLE_BUCKET_CASES, ids=lambda v: getattr(v, "__name__", ""))
def test_single_bucket_checks(check: Any, b: S3Bucket, expected: Status) -> None:
    assert check(b).status is expected


@pytest.mark.parametrize(
    ("case", "b", "others", "expected"),
    [
        ("logging on", bucket(), [], Status.PASS),
        ("logging off", bucket(logging=Logging(enabled=False)), [], Status.FAIL),
        ("unreadable", bucket(logging=None), [], Status.ERROR),
        # S3.9: "The target logging bucket does not need to have server access logging enabled".
        (
            "log target of another bucket",
            bucket(name="logs", uid="arn:aws:s3:::logs", logging=Logging(enabled=False)),
            [bucket()],
            None,
        ),
        (
            "another bucket logs elsewhere",
            bucket(logging=Logging(enabled=False)),
            [bucket(name="other", logging=Logging(enabled=True, target_bucket="logs"))],
            Status.FAIL,
        ),
        ("logs to itself", bucket(logging=Logging(enabled=True, target_bucket="ml-data")), [], Status.PASS),
    ],
)
def test_bucket_access_logging_enabled(case: str, b: S3Bucket, others: list[S3Bucket], expected: Status) -> None:
    result = s3.bucket_access_logging_enabled(b, [b, *others])
    assert result.status is expected, case
    if expected is None:
        assert "ml-data" in result.message


def tls_policy(**statement: Any) -> dict[str, Any]:
    deny: dict[str, Any] = {
        "Sid": "TlsOnly",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": ["arn:aws:s3:::ml-data", "arn:aws:s3:::ml-data/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    deny.update(statement)
    return {"Version": "2012-10-17", "Statement": [deny]}


@pytest.mark.parametrize(
    ("case", "policy", "expected"),
    [
        ("deny s3:* without TLS", tls_policy(), Status.PASS),
        ("principal AWS *", tls_policy(Principal={"AWS": "*"}), Status.PASS),
        ("object actions only", tls_policy(Action=["s3:GetObject", "s3:PutObject"]), Status.PASS),
        ("wildcard resource", tls_policy(Resource="*"), Status.PASS),
        ("boolean true value", tls_policy(Condition={"Bool": {"aws:SecureTransport": False}}), Status.PASS),
        ("no policy", {}, Status.FAIL),
        ("allow, not deny", tls_policy(Effect="Allow"), Status.FAIL),
        ("only one principal", tls_policy(Principal={"AWS": "arn:aws:iam::123456789012:root"}), Status.FAIL),
        ("bucket only, not objects", tls_policy(Resource="arn:aws:s3:::ml-data"), Status.FAIL),
        ("reads only", tls_policy(Action="s3:GetObject"), Status.FAIL),
        ("TLS version only", tls_policy(Condition={"NumericLessThan": {"s3:TlsVersion": "1.2"}}), Status.FAIL),
        ("another bucket", tls_policy(Resource="arn:aws:s3:::other/*"), Status.FAIL),
        ("unreadable", None, Status.ERROR),
        ("malformed", {"Statement": [{"Effect": "Maybe", "Action": "s3:*", "Resource": "*"}]}, Status.ERROR),
    ],
)
def test_bucket_requires_tls(case: str, policy: dict[str, Any] | None, expected: Status) -> None:
    result = s3.bucket_requires_tls(bucket(policy=policy))
    assert result.status is expected, f"{case}: {result.message}"
    if expected is Status.PASS:
        assert result.evidence["statements"][0]["sid"] == "TlsOnly"


OTHER_ACCOUNT = "999988887777"
ORG_CONDITION = {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}


def bucket_statement(
    principal: Any, action: Any, resource: Any = "arn:aws:s3:::ml-data", **extra: Any
) -> dict[str, Any]:
    statement = {"Sid": "Shared", "Effect": "Allow", "Principal": principal, "Action": action, "Resource": resource}
    return {"Version": "2012-10-17", "Statement": [{**statement, **extra}]}


OTHER_ROOT = {"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"}


@pytest.mark.parametrize(
    ("case", "policy", "expected"),
    [
        ("no policy", {}, Status.PASS),
        (
            "own account may rewrite the policy",
            bucket_statement({"AWS": "arn:aws:iam::123456789012:root"}, "s3:*"),
            Status.PASS,
        ),
        ("other account reads", bucket_statement(OTHER_ROOT, "s3:GetObject", "arn:aws:s3:::ml-data/*"), Status.PASS),
        ("other account rewrites the policy", bucket_statement(OTHER_ROOT, "s3:PutBucketPolicy"), Status.FAIL),
        ("other account, s3:*", bucket_statement({"AWS": OTHER_ACCOUNT}, "s3:*"), Status.FAIL),
        (
            "other account sets object ACLs under a prefix",
            bucket_statement(OTHER_ROOT, "s3:PutObjectAcl", "arn:aws:s3:::ml-data/shared/*"),
            Status.FAIL,
        ),
        (
            "object ACLs of another bucket",
            bucket_statement(OTHER_ROOT, "s3:PutObjectAcl", "arn:aws:s3:::other/*"),
            Status.PASS,
        ),
        (
            "everyone in an organization",
            bucket_statement("*", "s3:PutEncryptionConfiguration", Condition=ORG_CONDITION),
            Status.FAIL,
        ),
        ("everyone", bucket_statement("*", ["s3:PutBucketAcl", "s3:GetObject"]), Status.FAIL),
        (
            "everyone, limited to the own account",
            bucket_statement(
                "*", "s3:PutBucketPolicy", Condition={"StringEquals": {"aws:PrincipalAccount": "123456789012"}}
            ),
            Status.PASS,
        ),
        (
            "a service",
            bucket_statement({"Service": "logging.s3.amazonaws.com"}, "s3:PutObject", "arn:aws:s3:::ml-data/*"),
            Status.PASS,
        ),
        ("unreadable", None, Status.ERROR),
        ("malformed", {"Statement": [{"Effect": "Allow", "Principal": "*"}]}, Status.ERROR),
    ],
)
def test_bucket_policy_restricts_cross_account_access(
    case: str, policy: dict[str, Any] | None, expected: Status
) -> None:
    result = s3.bucket_policy_restricts_cross_account_access(bucket(policy=policy))
    assert result.status is expected, f"{case}: {result.message}"


def test_cross_account_evidence() -> None:
    reads = bucket_statement(OTHER_ROOT, "s3:GetObject", "arn:aws:s3:::ml-data/*", Condition=ORG_CONDITION)
    result = s3.bucket_policy_restricts_cross_account_access(bucket(policy=reads))
    assert result.status is Status.PASS
    assert result.evidence["cross_account"] == [
        {
            "principal": f"arn:aws:iam::{OTHER_ACCOUNT}:root",
            "kind": "account",
            "org_condition": True,
            "index": 0,
            "sid": "Shared",
            "actions": ["s3:GetObject"],
            "not_actions": None,
            "resources": ["arn:aws:s3:::ml-data/*"],
        }
    ]
    rewrite = s3.bucket_policy_restricts_cross_account_access(bucket(policy=bucket_statement(OTHER_ROOT, "s3:Put*")))
    [risky] = rewrite.evidence["denied_to_other_accounts"]
    assert risky["denied_actions"] == ["s3:PutBucketAcl", "s3:PutBucketPolicy", "s3:PutEncryptionConfiguration"]
    assert rewrite.message.startswith(f"The bucket policy lets arn:aws:iam::{OTHER_ACCOUNT}:root use s3:PutBucketAcl")
