"""Condition evaluation against known request values, and the global key table."""

from __future__ import annotations

import pytest

from cspm.iam.conditions import (
    Condition,
    OperatorFamily,
    evaluate_condition,
    evaluate_conditions,
    global_key_type,
    is_multivalued_global_key,
)
from cspm.iam.evaluate import Verdict, effective_permissions
from cspm.iam.policy import parse_policy

SM = "sagemaker.amazonaws.com"


PTS = "iam:PassedToService"


@pytest.mark.parametrize(
    ("operator", "key", "values", "context", "expected"),
    [
        ("StringEquals", PTS, (SM,), {PTS: SM}, True),
        ("StringEquals", PTS, (SM,), {"iam:passedtoservice": SM}, True),  # keys are case-insensitive
        ("StringEquals", PTS, ("Sagemaker.amazonaws.com",), {PTS: SM}, False),
        ("StringEqualsIgnoreCase", PTS, ("Sagemaker.amazonaws.com",), {PTS: SM}, True),
        ("StringNotEquals", PTS, ("glue.amazonaws.com",), {PTS: SM}, True),
        ("StringLike", PTS, ("*.amazonaws.com",), {PTS: SM}, True),
        ("StringLike", PTS, ("sagemaker.?mazonaws.com",), {PTS: SM}, True),
        ("StringNotLike", PTS, ("sage*",), {PTS: SM}, False),
        ("StringEquals", PTS, ("glue.amazonaws.com", SM), {PTS: SM}, True),
        ("StringEquals", PTS, (SM,), {"other": "x"}, None),  # key not in the context: undecided
        ("StringEqualsIfExists", PTS, (SM,), {"other": "x"}, None),  # unknown: may be present with another value
        ("StringEqualsIfExists", PTS, (SM,), {PTS: None}, True),  # known absent: IfExists passes
        ("NumericLessThan", "s3:max-keys", ("5",), {"s3:max-keys": "3"}, True),
        ("ForAllValues:StringEquals", "aws:TagKeys", ("a", "b"), {"aws:TagKeys": ["a", "b"]}, True),
        ("ForAllValues:StringEquals", "aws:TagKeys", ("a",), {"aws:TagKeys": ["a", "c"]}, False),
        ("ForAnyValue:StringEquals", "aws:TagKeys", ("a",), {"aws:TagKeys": ["c", "a"]}, True),
        ("Bool", "aws:SecureTransport", ("true",), {"aws:SecureTransport": "TRUE"}, True),
        (
            "ArnLike",
            "aws:PrincipalArn",
            ("arn:aws:iam::*:role/x",),
            {"aws:PrincipalArn": "arn:aws:iam::1:role/x"},
            True,
        ),
    ],
)
def test_evaluate_condition(
    operator: str, key: str, values: tuple[str, ...], context: dict[str, str | list[str]], expected: bool | None
) -> None:
    assert evaluate_condition(Condition(operator, key, values), context) is expected


def test_evaluate_conditions_is_an_and() -> None:
    ok = Condition("StringEquals", "iam:PassedToService", (SM,))
    unknown = Condition("Bool", "aws:MultiFactorAuthPresent", ("true",))
    bad = Condition("StringEquals", "iam:PassedToService", ("glue.amazonaws.com",))
    context = {"iam:PassedToService": SM}
    assert evaluate_conditions([], None) is True
    assert evaluate_conditions([ok], None) is None
    assert evaluate_conditions([ok], context) is True
    assert evaluate_conditions([ok, unknown], context) is None
    assert evaluate_conditions([unknown, bad], context) is False


def test_context_in_effective_permissions() -> None:
    doc = parse_policy(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "iam:PassRole",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"iam:PassedToService": SM}},
                },
                {
                    "Effect": "Deny",
                    "Action": "iam:PassRole",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
                },
            ]
        }
    )
    perms = effective_permissions([doc])
    assert perms.allows("iam:PassRole").verdict is Verdict.CONDITIONAL
    assert perms.allows("iam:PassRole", context={"iam:PassedToService": SM}).verdict is Verdict.ALLOWED
    lam = perms.allows("iam:PassRole", context={"iam:PassedToService": "lambda.amazonaws.com"})
    assert lam.verdict is Verdict.NOT_ALLOWED
    ec2 = perms.allows("iam:PassRole", context={"iam:PassedToService": "ec2.amazonaws.com"})
    assert ec2.verdict is Verdict.DENIED


@pytest.mark.parametrize(
    ("key", "family", "multi"),
    [
        ("aws:SourceIp", OperatorFamily.IP_ADDRESS, False),
        ("AWS:sourceip", OperatorFamily.IP_ADDRESS, False),
        ("aws:CurrentTime", OperatorFamily.DATE, False),
        ("aws:MultiFactorAuthAge", OperatorFamily.NUMERIC, False),
        ("aws:SecureTransport", OperatorFamily.BOOL, False),
        ("aws:PrincipalArn", OperatorFamily.ARN, False),
        ("aws:RequestTag/team", OperatorFamily.STRING, False),
        ("aws:TagKeys", OperatorFamily.STRING, True),
        ("aws:PrincipalOrgPaths", OperatorFamily.STRING, True),
        ("aws:RequestTag", None, False),
        ("aws:PrincipalTag", None, False),
        ("aws:ResourceTag", None, False),
        ("aws:ResourceTag/team", OperatorFamily.STRING, False),
        ("aws:NoSuchKey", None, False),
    ],
)
def test_global_key_table(key: str, family: OperatorFamily | None, multi: bool) -> None:
    assert global_key_type(key) is family
    assert is_multivalued_global_key(key) is multi
