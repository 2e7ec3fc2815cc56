"""Document-level analysis: admin in every spelling, service wildcards, PassRole on ``*``."""

from __future__ import annotations

from typing import Any

import pytest

from cspm.iam.analysis import (
    admin_statements,
    conditional_admin_statements,
    near_admin_statements,
    pass_role_on_star,
    service_wildcards,
    statement_evidence,
)
from cspm.iam.policy import parse_policy


def doc(*statements: dict[str, Any]) -> Any:
    return parse_policy({"Version": "2012-10-17", "Statement": list(statements)})


def allow(**kw: Any) -> dict[str, Any]:
    return {"Effect": "Allow", **kw}


ADMIN_SPELLINGS = {
    "star": allow(Action="*", Resource="*"),
    "star-colon-star": allow(Action="*:*", Resource="*"),
    "in-a-list": allow(Action=["s3:*", "*"], Resource="*"),
    "double-star": allow(Action="**", Resource="*"),
    "star-colon-double-star": allow(Action=["*:**"], Resource=["*"]),
    "arn-star": allow(Action="*", Resource="arn:*"),
    "arn-star-star": allow(Action="*", Resource="arn:*:*"),
    "arn-aws-full": allow(Action="*", Resource="arn:aws:*:*:*:*"),
    "arn-aws-short": allow(Action="*", Resource="arn:aws:*"),
    "resource-list": allow(Action="*", Resource=["arn:aws:s3:::b", "*"]),
    "not-resource": allow(Action="*", NotResource="arn:aws:s3:::secret-bucket/*"),
    "not-action-empty": allow(NotAction=[], Resource="*"),
    "not-action-unknown": allow(NotAction="notaservice:*", Resource="*"),
}


@pytest.mark.parametrize("statement", ADMIN_SPELLINGS.values(), ids=ADMIN_SPELLINGS.keys())
def test_admin_in_every_spelling(statement: dict[str, Any]) -> None:
    policy = doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}, statement)
    assert [s.index for s in admin_statements(policy)] == [1]
    assert conditional_admin_statements(policy) == []


NOT_ADMIN = {
    "deny": {"Effect": "Deny", "Action": "*", "Resource": "*"},
    "service-wildcard": allow(Action="s3:*", Resource="*"),
    "get-everything": allow(Action="*:Get*", Resource="*"),
    "one-bucket": allow(Action="*", Resource="arn:aws:s3:::bucket/*"),
    "one-account": allow(Action="*", Resource="arn:aws:*:*:111122223333:*"),
    "not-resource-star": allow(Action="*", NotResource="*"),
    "not-action-iam": allow(NotAction="iam:*", Resource="*"),
    "trust-policy": allow(Action="*", Principal="*"),
}


@pytest.mark.parametrize("statement", NOT_ADMIN.values(), ids=NOT_ADMIN.keys())
def test_not_admin(statement: dict[str, Any]) -> None:
    assert admin_statements(doc(statement)) == []


def test_conditional_admin_reported_separately() -> None:
    policy = doc(allow(Action="*", Resource="*", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}))
    assert admin_statements(policy) == []
    assert [s.index for s in conditional_admin_statements(policy)] == [0]


def test_near_admin_power_user_shape() -> None:
    power_user = doc(
        allow(NotAction=["iam:*", "organizations:*", "account:*"], Resource="*"),
        allow(Action=["iam:CreateServiceLinkedRole", "iam:ListRoles"], Resource="*"),
    )
    assert admin_statements(power_user) == []
    (near,) = near_admin_statements(power_user)
    assert near.statement.index == 0 and not near.conditional
    assert near.excluded_patterns == ("iam:*", "organizations:*", "account:*")
    assert "iam:PassRole" in near.excluded_actions and "organizations:LeaveOrganization" in near.excluded_actions
    assert all(a.split(":")[0] in {"iam", "organizations", "account"} for a in near.excluded_actions)
    assert [(s.index, svc) for s, svc in service_wildcards(power_user)] == [(0, "*")]


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        (allow(Action="sagemaker:*", Resource="*"), ["sagemaker"]),
        (allow(Action=["SageMaker:*", "s3:*", "s3:**"], Resource="*"), ["sagemaker", "s3"]),
        (
            allow(Action="sagemaker:*", Resource="*", Condition={"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}),
            ["sagemaker"],
        ),
        (allow(Action="sagemaker:Describe*", Resource="*"), []),
        # Security Hub IAM.21: any Allow of "Service:*" fails, whatever the resource
        (allow(Action="sagemaker:*", Resource="arn:aws:sagemaker:*:*:notebook-instance/x"), ["sagemaker"]),
        (allow(Action="s3:*", Resource="arn:aws:s3:::training-data/*"), ["s3"]),
        # Allow + NotAction grants every action not listed, on its resources: reported as "*"
        (allow(NotAction="s3:DeleteBucket", Resource="arn:aws:s3:::training-data"), ["*"]),
        (allow(NotAction="iam:*", Resource="*"), ["*"]),
        (allow(Action="s*:*", Resource="*"), []),
        ({"Effect": "Deny", "Action": "s3:*", "Resource": "*"}, []),
        (allow(Action="*", Resource="*"), []),
    ],
)
def test_service_wildcards(statement: dict[str, Any], expected: list[str]) -> None:
    assert [svc for _, svc in service_wildcards(doc(statement))] == expected


@pytest.mark.parametrize(
    ("statement", "reported"),
    [
        (allow(Action="iam:PassRole", Resource="*"), True),
        (allow(Action="IAM:passrole", Resource="*"), True),
        (allow(Action="iam:Pass*", Resource="*"), True),
        (allow(Action="iam:?assRole", Resource="*"), True),
        (allow(Action="iam:*", Resource="*"), True),
        (allow(NotAction="s3:*", Resource="*"), True),
        (allow(Action="iam:PassRole", NotResource="arn:aws:iam::111122223333:role/admin"), True),
        (
            allow(
                Action="iam:PassRole",
                Resource="*",
                Condition={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
            ),
            True,
        ),
        (allow(Action="iam:PassRole", Resource="arn:aws:iam::111122223333:role/sagemaker-*"), False),
        (allow(NotAction="iam:PassRole", Resource="*"), False),
        ({"Effect": "Deny", "Action": "iam:PassRole", "Resource": "*"}, False),
        (allow(Action="iam:GetRole", Resource="*"), False),
    ],
)
def test_pass_role_on_star(statement: dict[str, Any], reported: bool) -> None:
    assert bool(pass_role_on_star(doc(statement))) is reported


def test_statement_evidence_is_data() -> None:
    policy = doc(
        {
            "Sid": "Admin",
            **allow(Action=["*"], Resource="*", Condition={"IpAddress": {"aws:SourceIp": ["10.0.0.0/8"]}}),
        }
    )
    (stmt,) = conditional_admin_statements(policy)
    assert statement_evidence(stmt) == {
        "index": 0,
        "sid": "Admin",
        "effect": "Allow",
        "actions": ["*"],
        "not_actions": None,
        "resources": ["*"],
        "not_resources": None,
        "conditions": [{"operator": "IpAddress", "key": "aws:SourceIp", "values": ["10.0.0.0/8"]}],
    }
