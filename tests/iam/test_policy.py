"""Parsing policies: accepted spellings, the model, and PolicyError paths."""

from __future__ import annotations

import json
import urllib.parse

import pytest

from cspm.iam.conditions import parse_operator
from cspm.iam.policy import PolicyError, Principal, parse_policy, parse_policy_with_issues

SIMPLE = {
    "Version": "2012-10-17",
    "Id": "p1",
    "Statement": [
        {
            "Sid": "Read",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": ["arn:aws:s3:::b/*"],
            "Condition": {"Bool": {"aws:SecureTransport": True}, "NumericLessThan": {"s3:max-keys": [10, 20]}},
        },
        {"Effect": "Deny", "NotAction": ["iam:*"], "NotResource": "arn:aws:iam::111122223333:role/x"},
    ],
}


def test_parses_dict_into_frozen_model() -> None:
    doc = parse_policy(SIMPLE)
    assert doc.version == "2012-10-17" and doc.id == "p1"
    first, second = doc.statements
    assert (first.index, first.sid, first.effect) == (0, "Read", "Allow")
    assert first.actions == ("s3:GetObject",) and first.not_actions is None
    assert first.resources == ("arn:aws:s3:::b/*",)
    assert [(c.operator, c.key, c.values) for c in first.conditions] == [
        ("Bool", "aws:SecureTransport", ("true",)),
        ("NumericLessThan", "s3:max-keys", ("10", "20")),
    ]
    assert first.conditions[0].path == "Statement[0].Condition.Bool.aws:SecureTransport"
    assert second.not_actions == ("iam:*",) and second.not_resources == ("arn:aws:iam::111122223333:role/x",)
    assert second.ref.as_dict() == {"index": 1, "sid": None}
    with pytest.raises(AttributeError):
        first.effect = "Deny"  # type: ignore[misc]


@pytest.mark.parametrize(
    "raw",
    [
        json.dumps(SIMPLE),
        json.dumps(SIMPLE).encode(),
        urllib.parse.quote(json.dumps(SIMPLE)),
        "\ufeff" + json.dumps(SIMPLE, indent=2),
    ],
    ids=["json", "bytes", "url-encoded", "bom"],
)
def test_accepts_strings_in_every_encoding(raw: str | bytes) -> None:
    assert parse_policy(raw) == parse_policy(SIMPLE)


def test_single_statement_object_and_bare_list() -> None:
    stmt = {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}
    single = parse_policy({"Version": "2012-10-17", "Statement": stmt})
    bare = parse_policy([stmt])
    assert single.statements[0].actions == bare.statements[0].actions == ("s3:ListBucket",)
    assert single.statements[0].path == "Statement" and bare.statements[0].path == "Statement[0]"
    assert bare.version is None


def test_principals() -> None:
    doc = parse_policy(
        {
            "Statement": [
                {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"},
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": ["arn:aws:iam::111122223333:root", "*"], "Service": "ec2.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                },
            ]
        }
    )
    assert doc.statements[0].principals == Principal(star=True)
    second = doc.statements[1].principals
    assert second is not None
    assert second.items() == [
        ("AWS", "arn:aws:iam::111122223333:root"),
        ("AWS", "*"),
        ("Service", "ec2.amazonaws.com"),
    ]
    assert doc.statements[1].resources is None


@pytest.mark.parametrize(
    ("policy", "path", "fragment"),
    [
        ("not json", "", "invalid JSON at line 1 column 1"),
        ('{"Statement": [}', "", "invalid JSON at line 1 column 16"),
        ("[1]", "Statement[0]", "must be a JSON object"),
        ({"Version": "2012-10-17"}, "Statement", "needs a Statement"),
        ({"Statement": 5}, "Statement", "object or an array"),
        ({"Version": "2020-01-01", "Statement": []}, "Version", "Version must be"),
        ({"Statement": [], "Foo": 1}, "Foo", "unknown top-level"),
        ({"Statement": [{"Effect": "allow", "Action": "*", "Resource": "*"}]}, "Statement[0].Effect", "Effect"),
        ({"Statement": [{"Effect": "Allow", "Resource": "*"}]}, "Statement[0]", "needs Action or NotAction"),
        (
            {"Statement": [{"Effect": "Allow", "Action": "*", "NotAction": "s3:*", "Resource": "*"}]},
            "Statement[0].NotAction",
            "both Action and NotAction",
        ),
        (
            {"Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", 5], "Resource": "*"}]},
            "Statement[0].Action[1]",
            "must be a string",
        ),
        (
            {"Statement": [{"Effect": "Allow", "Action": "s3GetObject", "Resource": "*"}]},
            "Statement[0].Action",
            "not an action",
        ),
        (
            {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": ["*", "bucket"]}]},
            "Statement[0].Resource[1]",
            "not an ARN",
        ),
        (
            {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"StrEq": {"a": "b"}}}]},
            "Statement[0].Condition.StrEq",
            "invalid condition operator",
        ),
        (
            {
                "Statement": [
                    {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"Bool": {"aws:x": {"a": 1}}}}
                ]
            },
            "Statement[0].Condition.Bool.aws:x",
            "condition values",
        ),
        (
            {"Statement": [{"Effect": "Allow", "Principal": {"User": "x"}, "Action": "s3:*", "Resource": "*"}]},
            "Statement[0].Principal.User",
            "unknown principal type",
        ),
        (
            {
                "Statement": [
                    {"Sid": "A", "Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                    {"Sid": "A", "Effect": "Deny", "Action": "s3:*", "Resource": "*"},
                ]
            },
            "Statement[1].Sid",
            "duplicate Sid",
        ),
    ],
)
def test_policy_error_has_path_and_message(policy: object, path: str, fragment: str) -> None:
    with pytest.raises(PolicyError) as info:
        parse_policy(policy)  # type: ignore[arg-type]
    assert info.value.path == path
    assert fragment in info.value.message
    assert isinstance(info.value, ValueError)


def test_with_issues_collects_every_problem_and_keeps_the_rest() -> None:
    doc, issues = parse_policy_with_issues(
        {
            "Statement": [
                {"Effect": "Allow", "Action": "bad", "Resource": "*"},
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "nope"},
                {"Effect": "Maybe", "Action": "s3:GetObject", "Resource": "*"},
            ]
        }
    )
    assert [i.path for i in issues] == ["Statement[0].Action", "Statement[1].Resource", "Statement[2].Effect"]
    assert doc is not None and len(doc.statements) == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("StringEquals", ("StringEquals", None, False, False)),
        ("stringlike", ("StringLike", None, False, False)),
        ("ForAnyValue:StringNotLikeIfExists", ("StringNotLike", "ForAnyValue", True, True)),
        ("ForAllValues:ArnLike", ("ArnLike", "ForAllValues", False, False)),
        ("NotIpAddress", ("NotIpAddress", None, False, True)),
        ("Null", ("Null", None, False, False)),
    ],
)
def test_operator_parsing(text: str, expected: tuple[str, str | None, bool, bool]) -> None:
    op = parse_operator(text)
    assert op is not None
    assert (op.base, op.qualifier, op.if_exists, op.negated) == expected


@pytest.mark.parametrize("text", ["NullIfExists", "ForAnyValue:Null", "Sometimes:StringEquals", "StringEq", ""])
def test_invalid_operators(text: str) -> None:
    assert parse_operator(text) is None


def test_public_surface() -> None:
    import cspm.iam

    assert sorted(cspm.iam.__all__) == cspm.iam.__all__
    assert all(hasattr(cspm.iam, name) for name in cspm.iam.__all__)
    assert {"parse_policy", "effective_permissions", "EscalationGraph", "admin_statements"} <= set(cspm.iam.__all__)
