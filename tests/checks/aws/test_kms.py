"""KMS checks: a table of (case, key, expected status) per check, plus the policy-exposure helper
that the ECR checks share."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from cspm.checks.aws import kms
from cspm.engine import Inventory, evaluate
from cspm.models import Status
from cspm.registry import CheckSpec
from cspm.resources.aws.kms import KmsKey

ACCOUNT = "123456789012"
OTHER = "210987654321"
NOW = datetime(2026, 11, 25, tzinfo=UTC)
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
DEFAULT_POLICY = {
    "Version": "2012-10-17",
    "Id": "key-default-1",
    "Statement": [
        {
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ],
}


def key(**fields: Any) -> KmsKey:
    """A readable, compliant customer-managed symmetric key; override fields per case."""
    base: dict[str, Any] = {
        "uid": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{KEY_ID}",
        "name": "alias/ml-artifacts",
        "account": ACCOUNT,
        "region": "us-east-1",
        "key_id": KEY_ID,
        "manager": "CUSTOMER",
        "state": "Enabled",
        "key_spec": "SYMMETRIC_DEFAULT",
        "key_usage": "ENCRYPT_DECRYPT",
        "origin": "AWS_KMS",
        "multi_region": False,
        "aliases": ("alias/ml-artifacts",),
        "rotation_enabled": True,
        "rotation_period_days": 365,
        "policy": DEFAULT_POLICY,
    }
    base.update(fields)
    return KmsKey(**base)


def with_statement(statement: dict[str, Any]) -> dict[str, Any]:
    return {**DEFAULT_POLICY, "Statement": [*DEFAULT_POLICY["Statement"], statement]}


def allow(principal: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": ["kms:Decrypt"], "Resource": "*", **extra}


AWS_MANAGED = key(manager="AWS", aliases=("alias/aws/s3",), rotation_enabled=None, policy=None)
UNDESCRIBED = KmsKey(uid=f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{KEY_ID}", name=KEY_ID, account=ACCOUNT, key_id=KEY_ID)


@pytest.mark.parametrize(
    ("case", "k", "expected"),
    [
        ("enabled", key(), Status.PASS),
        ("disabled key, rotation on", key(state="Disabled"), Status.PASS),
        ("off", key(rotation_enabled=False), Status.FAIL),
        ("off on a multi-region key", key(rotation_enabled=False, multi_region=True), Status.FAIL),
        ("unreadable", key(rotation_enabled=None), Status.ERROR),
        ("not described", UNDESCRIBED, Status.ERROR),
        ("AWS-managed", AWS_MANAGED, None),
        ("asymmetric", key(key_spec="RSA_2048", key_usage="SIGN_VERIFY", rotation_enabled=None), None),
        ("HMAC", key(key_spec="HMAC_256", rotation_enabled=None), None),
        ("imported material", key(origin="EXTERNAL", rotation_enabled=None), None),
        ("custom key store", key(origin="AWS_CLOUDHSM", rotation_enabled=None), None),
        ("pending deletion", key(state="PendingDeletion", rotation_enabled=None), None),
    ],
)
def test_key_rotation_enabled(case: str, k: KmsKey, expected: Status | None) -> None:
    assert kms.key_rotation_enabled(k).status is expected, case


@pytest.mark.parametrize(
    ("case", "k", "expected"),
    [
        ("enabled", key(), Status.PASS),
        ("disabled", key(state="Disabled"), Status.PASS),
        ("pending deletion", key(state="PendingDeletion", deletion_date=NOW), Status.FAIL),
        ("pending replica deletion", key(state="PendingReplicaDeletion"), Status.FAIL),
        ("state unreadable", key(state=None), Status.ERROR),
        ("not described", UNDESCRIBED, Status.ERROR),
        ("AWS-managed", AWS_MANAGED, None),
    ],
)
def test_key_not_pending_deletion(case: str, k: KmsKey, expected: Status | None) -> None:
    result = kms.key_not_pending_deletion(k)
    assert result.status is expected, case
    if case == "pending deletion":
        assert result.evidence["deletion_date"] == NOW.isoformat()


@pytest.mark.parametrize(
    ("case", "k", "expected"),
    [
        ("default policy", key(), Status.PASS),
        (
            "AWS-managed style: everyone through the account's callers",
            key(policy=with_statement(allow({"AWS": "*"}, Condition={"StringEquals": {"kms:CallerAccount": ACCOUNT}}))),
            Status.PASS,
        ),
        ("everyone", key(policy=with_statement(allow("*"))), Status.FAIL),
        ("everyone (AWS: *)", key(policy=with_statement(allow({"AWS": ["*"]}))), Status.FAIL),
        (
            "everyone with an open condition",
            key(policy=with_statement(allow("*", Condition={"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}))),
            Status.FAIL,
        ),
        ("unreadable", key(policy=None, policy_error="AccessDenied"), Status.ERROR),
        ("invalid", key(policy={"Statement": "nope"}), Status.ERROR),
        ("not described", UNDESCRIBED, Status.ERROR),
        ("AWS-managed", AWS_MANAGED, None),
    ],
)
def test_key_policy_is_not_public(case: str, k: KmsKey, expected: Status | None) -> None:
    result = kms.key_policy_is_not_public(k)
    assert result.status is expected, case
    if expected is Status.FAIL:
        assert result.evidence["public_statements"] == [{"index": 1, "sid": None}]


@pytest.mark.parametrize(
    ("case", "k", "expected"),
    [
        ("default policy", key(), Status.PASS),
        (
            "other account within the organization",
            key(
                policy=with_statement(
                    allow(
                        {"AWS": f"arn:aws:iam::{OTHER}:role/consumer"},
                        Condition={"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}},
                    )
                )
            ),
            Status.PASS,
        ),
        ("other account root", key(policy=with_statement(allow({"AWS": f"arn:aws:iam::{OTHER}:root"}))), Status.FAIL),
        (
            "other account with an unrelated condition",
            key(
                policy=with_statement(
                    allow({"AWS": OTHER}, Condition={"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}})
                )
            ),
            Status.FAIL,
        ),
        (
            "organization condition that allows any value",
            key(
                policy=with_statement(
                    allow({"AWS": OTHER}, Condition={"StringLike": {"aws:PrincipalOrgID": "*"}}),
                )
            ),
            Status.FAIL,
        ),
        ("unreadable", key(policy=None), Status.ERROR),
        ("not described", UNDESCRIBED, Status.ERROR),
        ("AWS-managed", AWS_MANAGED, None),
    ],
)
def test_key_policy_guards_cross_account_access(case: str, k: KmsKey, expected: Status | None) -> None:
    result = kms.key_policy_guards_cross_account_access(k)
    assert result.status is expected, case
    if expected is Status.FAIL:
        (grant,) = result.evidence["cross_account_without_guard"]
        assert OTHER in grant["principal"] and grant["index"] == 1


# ---------------------------------------------------------------------------------------------
# The shared helper
# ---------------------------------------------------------------------------------------------


def test_policy_exposure_of_no_policy_is_empty() -> None:
    analysed, error = kms.policy_exposure({}, None, ACCOUNT, "repository policy")
    assert error is None and analysed is not None
    assert analysed.public == [] and analysed.unguarded_cross_account() == [] and analysed.guarded_cross_account() == []


def test_policy_exposure_errors_name_the_problem() -> None:
    analysed, error = kms.policy_exposure(None, "AccessDenied", ACCOUNT, "key policy")
    assert analysed is None and error is not None and error.status is Status.ERROR and "AccessDenied" in error.message
    analysed, error = kms.policy_exposure({"Statement": [{"Effect": "Allow"}]}, None, ACCOUNT, "key policy")
    assert analysed is None and error is not None and error.status is Status.ERROR and "path" in error.evidence


def test_policy_exposure_separates_guarded_and_unguarded_grants() -> None:
    document = {
        "Statement": [
            allow({"AWS": f"arn:aws:iam::{OTHER}:root"}),
            allow(
                {"AWS": "arn:aws:iam::333333333333:root"},
                Condition={"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-abc123/r-ab12/ou-ab12-11111111/*"}},
            ),
        ]
    }
    analysed, _ = kms.policy_exposure(document, None, ACCOUNT, "key policy")
    assert analysed is not None
    assert analysed.unguarded_cross_account() == [{"principal": f"arn:aws:iam::{OTHER}:root", "index": 0, "sid": None}]
    assert analysed.guarded_cross_account() == ["arn:aws:iam::333333333333:root"]


# ---------------------------------------------------------------------------------------------
# Through the engine
# ---------------------------------------------------------------------------------------------

SPECS: list[CheckSpec] = [
    obj.__cspm_check__
    for obj in vars(kms).values()
    if getattr(obj, "__module__", "") == kms.__name__ and hasattr(obj, "__cspm_check__")
]


def test_an_incomplete_listing_gives_errors_for_every_check() -> None:
    inventory = Inventory()
    inventory.mark_incomplete(KmsKey, ACCOUNT, "us-east-1", "ListKeys failed: AccessDenied")
    findings = evaluate(SPECS, inventory, NOW)
    assert len(SPECS) == 4
    assert {f.check_id for f in findings} == {s.id for s in SPECS}
    assert all(f.status is Status.ERROR for f in findings)


def test_aws_managed_keys_give_no_findings() -> None:
    inventory = Inventory()
    inventory.add(AWS_MANAGED)
    assert evaluate(SPECS, inventory, NOW) == []
