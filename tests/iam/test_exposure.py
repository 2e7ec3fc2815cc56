"""Resource-policy exposure and role trust analysis."""

from __future__ import annotations

from typing import Any

import pytest

from cspm.iam.analysis import is_public_principal, resource_policy_exposure, trust_policy_analysis
from cspm.iam.exposure import confused_deputy_trusts, needs_source_guard, outside_grants
from cspm.iam.policy import Principal, StatementRef, parse_policy

ACCOUNT = "111122223333"
OTHER = "444455556666"
BUCKET = "arn:aws:s3:::ml-data"


def doc(*statements: dict[str, Any]) -> Any:
    return parse_policy({"Version": "2012-10-17", "Statement": list(statements)})


def get_object(principal: Any, condition: dict[str, Any] | None = None, sid: str | None = None) -> dict[str, Any]:
    stmt: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": principal,
        "Action": "s3:GetObject",
        "Resource": f"{BUCKET}/*",
    }
    if condition:
        stmt["Condition"] = condition
    if sid:
        stmt["Sid"] = sid
    return stmt


@pytest.mark.parametrize(
    ("principal", "public"),
    [
        ("*", True),
        ({"AWS": "*"}, True),
        ({"AWS": ["arn:aws:iam::111122223333:root", "*"]}, True),
        (Principal(star=True), True),
        (Principal(aws=("*",)), True),
        ({"AWS": f"arn:aws:iam::{OTHER}:root"}, False),
        ({"Service": "cloudtrail.amazonaws.com"}, False),
        (Principal(service=("s3.amazonaws.com",)), False),
        (None, False),
    ],
)
def test_is_public_principal(principal: Any, public: bool) -> None:
    assert is_public_principal(principal) is public


@pytest.mark.parametrize(
    ("condition", "public"),
    [
        (None, True),
        ({"Bool": {"aws:SecureTransport": "true"}}, True),
        ({"StringEquals": {"aws:SourceVpce": "vpce-1a2b"}}, False),
        ({"StringEquals": {"aws:SourceVpc": "vpc-1"}}, False),
        ({"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}, False),
        ({"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-abc/r-1/*"}}, False),
        ({"StringEquals": {"aws:SourceAccount": ACCOUNT}}, False),
        ({"ArnLike": {"aws:SourceArn": f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/t"}}, False),
        ({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, False),
        ({"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}, True),
        ({"StringLike": {"aws:PrincipalAccount": "*"}}, True),
        ({"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b"}}, True),
        ({"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1a2b"}}, True),
        ({"StringEquals": {"aws:PrincipalAccount": ACCOUNT}}, False),
        ({"Bool": {"aws:PrincipalIsAWSService": "true"}}, False),
        ({"Bool": {"aws:PrincipalIsAWSService": "false"}}, True),
    ],
)
def test_public_unless_restricted(condition: dict[str, Any] | None, public: bool) -> None:
    exposure = resource_policy_exposure(doc(get_object("*", condition, sid="Pub")), ACCOUNT)
    assert exposure.public == ((StatementRef(0, "Pub"),) if public else ())
    assert exposure.is_exposed is public


def test_cross_account_principals_and_conditions() -> None:
    policy = doc(
        get_object({"AWS": [f"arn:aws:iam::{OTHER}:role/reader", f"arn:aws:iam::{ACCOUNT}:role/me"]}),
        get_object({"AWS": "999988887777"}),
        get_object({"AWS": "*"}, {"StringEquals": {"aws:PrincipalAccount": ["777766665555", ACCOUNT]}}),
        get_object({"AWS": "*"}, {"StringEquals": {"aws:PrincipalOrgID": "o-other"}}),
        get_object({"Service": "cloudtrail.amazonaws.com"}),
        {"Effect": "Deny", "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"}, "Action": "s3:*", "Resource": "*"},
    )
    exposure = resource_policy_exposure(policy, ACCOUNT, org_id="o-mine")
    assert exposure.public == ()
    assert [(who, ref.index) for who, ref in exposure.cross_account] == [
        (f"arn:aws:iam::{OTHER}:role/reader", 0),
        ("999988887777", 1),
        ("777766665555", 2),
        ("o-other", 3),
    ]
    assert exposure.as_dict()["cross_account"][0] == {
        "principal": f"arn:aws:iam::{OTHER}:role/reader",
        "index": 0,
        "sid": None,
    }


def test_org_condition_without_known_org_is_not_reported() -> None:
    policy = doc(get_object("*", {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}))
    assert not resource_policy_exposure(policy, ACCOUNT).is_exposed
    assert resource_policy_exposure(policy, ACCOUNT, org_id="o-abc").cross_account == ()


def test_allow_with_not_principal_is_public() -> None:
    policy = doc(
        {"Effect": "Allow", "NotPrincipal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "s3:*", "Resource": "*"}
    )
    assert resource_policy_exposure(policy, ACCOUNT).public == (StatementRef(0, None),)


@pytest.mark.parametrize(
    ("deny", "public"),
    [
        (
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [BUCKET, f"{BUCKET}/*"],
                "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}},
            },
            False,
        ),
        (
            {
                "Effect": "Deny",
                "NotPrincipal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/app"},
                "Action": "*",
                "Resource": "*",
            },
            False,
        ),
        (  # covers another bucket only
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": "arn:aws:s3:::other/*",
                "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}},
            },
            True,
        ),
        (  # TLS only: not about who
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            True,
        ),
        (  # covers PutObject only
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": "*",
                "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}},
            },
            True,
        ),
    ],
    ids=["vpce-guard", "not-principal-guard", "other-bucket", "tls-only", "other-action"],
)
def test_guarding_deny(deny: dict[str, Any], public: bool) -> None:
    exposure = resource_policy_exposure(doc(get_object("*"), deny), ACCOUNT)
    assert bool(exposure.public) is public


def assume(principal: Any, condition: dict[str, Any] | None = None, action: Any = "sts:AssumeRole") -> dict[str, Any]:
    stmt: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": action}
    if condition:
        stmt["Condition"] = condition
    return stmt


def test_trust_sagemaker_role_without_source_guard() -> None:
    trust = trust_policy_analysis(doc(assume({"Service": "sagemaker.amazonaws.com"})), ACCOUNT)
    assert trust.trusted_services == ("sagemaker.amazonaws.com",)
    assert trust.services_without_source_guard == (("sagemaker.amazonaws.com", StatementRef(0, None)),)
    assert trust.public == () and trust.cross_account_without_guard == ()


@pytest.mark.parametrize(
    "condition",
    [
        {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
        {"ArnLike": {"aws:SourceArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:*"}},
        {"StringEquals": {"aws:SourceOrgID": "o-abc"}},
    ],
)
def test_trust_service_with_source_guard(condition: dict[str, Any]) -> None:
    trust = trust_policy_analysis(doc(assume({"Service": ["sagemaker.amazonaws.com"]}, condition)), ACCOUNT)
    assert trust.services_without_source_guard == ()
    assert trust.trusted_services == ("sagemaker.amazonaws.com",)


@pytest.mark.parametrize(
    ("condition", "guarded"),
    [
        (None, False),
        ({"StringEquals": {"sts:ExternalId": "a-secret"}}, True),
        ({"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}, True),
        ({"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-abc/*"}}, True),
        ({"StringLike": {"sts:ExternalId": "*"}}, False),
        ({"Bool": {"aws:MultiFactorAuthPresent": "true"}}, False),
    ],
)
def test_trust_cross_account(condition: dict[str, Any] | None, guarded: bool) -> None:
    principal = {"AWS": [f"arn:aws:iam::{OTHER}:root", f"arn:aws:iam::{ACCOUNT}:role/ci"]}
    trust = trust_policy_analysis(doc(assume(principal, condition)), ACCOUNT)
    assert trust.trusted_accounts == tuple(sorted([ACCOUNT, OTHER]))
    expected = () if guarded else ((f"arn:aws:iam::{OTHER}:root", StatementRef(0, None)),)
    assert trust.cross_account_without_guard == expected


@pytest.mark.parametrize(
    ("principal", "condition", "public"),
    [
        ("*", None, True),
        ({"AWS": "*"}, None, True),
        ({"AWS": "*"}, {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}, False),
        ({"AWS": "*"}, {"StringEquals": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/x"}}, False),
    ],
)
def test_trust_public(principal: Any, condition: dict[str, Any] | None, public: bool) -> None:
    trust = trust_policy_analysis(doc(assume(principal, condition)), ACCOUNT)
    assert bool(trust.public) is public


@pytest.mark.parametrize(
    ("condition", "guarded"),
    [
        (None, False),
        ({"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}, False),
        ({"StringLike": {"token.actions.githubusercontent.com:sub": "repo:org/repo:*"}}, True),
        ({"StringLike": {"token.actions.githubusercontent.com:sub": "*"}}, False),
    ],
)
def test_trust_github_oidc_needs_sub(condition: dict[str, Any] | None, guarded: bool) -> None:
    provider = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
    trust = trust_policy_analysis(
        doc(assume({"Federated": provider}, condition, action="sts:AssumeRoleWithWebIdentity")), ACCOUNT
    )
    assert trust.trusted_federated == (provider,)
    assert bool(trust.federated_without_guard) is not guarded


def test_trust_ignores_deny_and_other_actions() -> None:
    policy = doc(
        {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole"},
        assume({"Service": "ec2.amazonaws.com"}, action="sts:TagSession"),
    )
    trust = trust_policy_analysis(policy, ACCOUNT)
    assert trust.public == () and trust.trusted_services == ()
    assert trust.as_dict()["trusted_services"] == []


# --- who outside the account a resource policy lets in (S3.6 and cross-account evidence) -----------


def outsiders(*statements: dict[str, Any]) -> list[tuple[str, str, bool, int]]:
    return [(g.who, g.kind, g.org_condition, g.statement.index) for g in outside_grants(doc(*statements), ACCOUNT)]


ORG = {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}


@pytest.mark.parametrize(
    ("statements", "expected"),
    [
        ([get_object({"AWS": f"arn:aws:iam::{ACCOUNT}:root"})], []),
        ([get_object({"AWS": OTHER})], [(OTHER, "account", False, 0)]),
        (
            [get_object({"AWS": f"arn:aws:iam::{OTHER}:role/r"}, ORG)],
            [(f"arn:aws:iam::{OTHER}:role/r", "account", True, 0)],
        ),
        ([get_object("*")], [("*", "public", False, 0)]),
        ([get_object("*", ORG)], [("o-abc123", "organization", True, 0)]),
        ([get_object("*", {"StringEquals": {"aws:SourceVpce": "vpce-1"}})], [("*", "restricted", False, 0)]),
        ([get_object("*", {"StringEquals": {"aws:PrincipalAccount": ACCOUNT}})], []),
        ([get_object("*", {"StringEquals": {"aws:SourceAccount": OTHER}})], [(OTHER, "account", False, 0)]),
        ([get_object({"Service": "cloudtrail.amazonaws.com"})], []),
        (
            [
                get_object({"AWS": OTHER}),
                {
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": f"{BUCKET}/*",
                    "Condition": {"StringNotEquals": {"aws:PrincipalAccount": ACCOUNT}},
                },
            ],
            [],
        ),
        (
            [
                get_object({"AWS": OTHER}),
                {
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": f"{BUCKET}/*",
                    "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc123"}},
                },
            ],
            [(OTHER, "account", True, 0)],  # the organization's other accounts stay in
        ),
    ],
)
def test_outside_grants(statements: list[dict[str, Any]], expected: list[tuple[str, str, bool, int]]) -> None:
    assert outsiders(*statements) == expected


def test_outside_grant_evidence() -> None:
    [grant] = outside_grants(doc(get_object({"AWS": OTHER}, sid="Partner")), ACCOUNT)
    assert grant.as_dict() == {
        "principal": OTHER,
        "kind": "account",
        "org_condition": False,
        "index": 0,
        "sid": "Partner",
        "actions": ["s3:GetObject"],
        "not_actions": None,
        "resources": [f"{BUCKET}/*"],
    }


@pytest.mark.parametrize(
    ("service", "needs"),
    [
        ("sagemaker.amazonaws.com", False),
        ("lambda.amazonaws.com", False),
        ("EC2.amazonaws.com", False),
        ("logs.amazonaws.com", True),
        ("cloudtrail.amazonaws.com", True),
        ("bedrock.amazonaws.com", True),
    ],
)
def test_confused_deputy_applies_to_services_that_are_not_passed_a_role(service: str, needs: bool) -> None:
    assert needs_source_guard(service) is needs
    trust = trust_policy_analysis(
        doc({"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}), ACCOUNT
    )
    assert [s for s, _ in confused_deputy_trusts(trust)] == ([service] if needs else [])
