"""Condition semantics as the IAM User Guide defines them (issue 12), with the issue's reproductions.

Sources, all in the IAM User Guide: "IAM JSON policy elements: Condition operators" (the operator
tables, ``…IfExists``, ``Null``), "Single-valued vs. multivalued context keys" (``ForAllValues`` /
``ForAnyValue``), "IAM policy elements: Variables and tags" (variables, defaults, ``${*}``, policy
variables with no value), "AWS global condition context keys" (``aws:username`` exists for IAM
users only), "Policy evaluation logic".
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cspm.iam.conditions import (
    LITERAL_STAR,
    NO_VALUE,
    UNKNOWN,
    Condition,
    all3,
    any3,
    compare,
    evaluate_condition,
    evaluate_conditions,
    lookup,
    resolve_resource_variables,
    resolve_variables,
)
from cspm.iam.escalation import PrincipalNode, trust_allows
from cspm.iam.evaluate import Verdict, effective_permissions, principal_context
from cspm.iam.exposure import trust_policy_analysis
from cspm.iam.policy import PolicyDocument, parse_policy

ACCOUNT = "111122223333"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/alpha"
BUCKET = "arn:aws:s3:::data-bucket"


def doc(*statements: dict[str, Any]) -> PolicyDocument:
    return parse_policy({"Version": "2012-10-17", "Statement": list(statements)})


def cond(operator: str, key: str, *values: str) -> Condition:
    return Condition(operator, key, values)


# --- Issue 12, wrong verdict 1: policy variables in condition values ---


HOME_FOLDER = {
    "Effect": "Allow",
    "Action": "s3:ListBucket",
    "Resource": BUCKET,
    "Condition": {"StringLike": {"s3:prefix": "home/${aws:username}/*"}},
}


def test_home_folder_example_allows_alice_her_prefix() -> None:
    """The User Guide's home-folder example: ``${aws:username}`` is alice's name in the request."""
    perms = effective_permissions([doc(HOME_FOLDER)], principal_context=principal_context(ALICE, "user", "alice"))
    assert perms.allows("s3:ListBucket", BUCKET, {"s3:prefix": "home/alice/docs"}).verdict is Verdict.ALLOWED
    assert perms.allows("s3:ListBucket", BUCKET, {"s3:prefix": "home/bob/docs"}).verdict is Verdict.NOT_ALLOWED
    assert perms.allows("s3:ListBucket", BUCKET).verdict is Verdict.CONDITIONAL  # prefix unknown
    # A role session has no aws:username: the variable has no value, the condition never holds.
    role = effective_permissions([doc(HOME_FOLDER)], principal_context=principal_context(ROLE, "role"))
    assert role.allows("s3:ListBucket", BUCKET, {"s3:prefix": "home/alpha/docs"}).verdict is Verdict.NOT_ALLOWED


def test_deny_outside_home_folder_does_not_deny_alice() -> None:
    deny = {
        "Effect": "Deny",
        "Action": "s3:ListBucket",
        "Resource": BUCKET,
        "Condition": {"StringNotLike": {"s3:prefix": "home/${aws:username}/*"}},
    }
    perms = effective_permissions(
        [doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}, deny)],
        principal_context=principal_context(ALICE, "user", "alice"),
    )
    assert perms.allows("s3:ListBucket", BUCKET, {"s3:prefix": "home/alice/docs"}).verdict is Verdict.ALLOWED
    assert perms.allows("s3:ListBucket", BUCKET, {"s3:prefix": "home/bob/docs"}).verdict is Verdict.DENIED
    # Without a prefix in the request the negated operator is true: the Deny applies.
    assert perms.allows("s3:ListBucket", BUCKET, {"s3:prefix": None}).verdict is Verdict.DENIED


def test_arn_like_with_principal_account_variable() -> None:
    condition = cond("ArnLike", "aws:SourceArn", "arn:aws:lambda:*:${aws:PrincipalAccount}:function:*")
    function = f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:train"
    context = {**principal_context(ALICE, "user", "alice"), "aws:SourceArn": function}
    assert evaluate_condition(condition, context) is True
    context["aws:SourceArn"] = "arn:aws:lambda:eu-west-1:444455556666:function:train"
    assert evaluate_condition(condition, context) is False
    del context["aws:PrincipalAccount"]
    assert evaluate_condition(condition, context) is None  # the variable is unknown


# --- Issue 12, wrong verdict 2: IfExists on an unknown key ---


def region_guarded_admin() -> list[PolicyDocument]:
    return [
        doc(
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {
                "Effect": "Deny",
                "Action": "*",
                "Resource": "*",
                "Condition": {"StringNotEqualsIfExists": {"aws:RequestedRegion": "us-east-1"}},
            },
        )
    ]


def test_region_guardrail_admin_is_admin_with_or_without_principal_context() -> None:
    bare = effective_permissions(region_guarded_admin())
    known = effective_permissions(region_guarded_admin(), principal_context=principal_context(ALICE, "user", "alice"))
    assert bare.is_admin is True
    assert known.is_admin is True
    decision = known.allows("iam:CreateUser", "*")
    assert decision.verdict is Verdict.ALLOWED
    assert decision.conditional_denies  # listed, as documented
    # Known values decide it: another region is denied, and so is a request without the key
    # (…IfExists is true when the key is absent, so the Deny applies).
    assert known.allows("iam:CreateUser", "*", {"aws:RequestedRegion": "eu-west-1"}).verdict is Verdict.DENIED
    assert known.allows("iam:CreateUser", "*", {"aws:RequestedRegion": "us-east-1"}).verdict is Verdict.ALLOWED
    assert known.allows("iam:CreateUser", "*", {"aws:RequestedRegion": None}).verdict is Verdict.DENIED


def test_unrelated_key_does_not_change_the_verdict() -> None:
    perms = effective_permissions(region_guarded_admin())
    alone = perms.allows("s3:GetObject", "*")
    with_unrelated = perms.allows("s3:GetObject", "*", {"aws:SecureTransport": "true"})
    assert alone.verdict is with_unrelated.verdict is Verdict.ALLOWED


# --- Issue 12, wrong verdicts 7 and 8: trusts ---


def test_trust_of_everyone_with_only_an_external_id_is_public() -> None:
    trust = doc(
        {
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": "secret-42"}},
        }
    )
    analysis = trust_policy_analysis(trust, ACCOUNT)
    assert [ref.index for ref in analysis.public] == [0]
    # An organization condition does restrict it.
    org = doc(
        {
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": "secret-42", "aws:PrincipalOrgID": "o-abc"}},
        }
    )
    assert trust_policy_analysis(org, ACCOUNT).public == ()


def test_role_session_never_matches_a_username_trust() -> None:
    trust = doc(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringLike": {"aws:username": "al*"}},
        }
    )
    assume = doc({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"})
    role = PrincipalNode(ROLE, effective_permissions([assume]))
    alice = PrincipalNode(
        ALICE, effective_permissions([assume], principal_context=principal_context(ALICE, "user", "alice"))
    )
    stranger = PrincipalNode(f"arn:aws:iam::{ACCOUNT}:user/bob", effective_permissions([assume]))
    assert trust_allows(trust, role)[0] is Verdict.NOT_ALLOWED
    assert trust_allows(trust, alice)[0] is Verdict.ALLOWED
    assert trust_allows(trust, stranger)[0] is Verdict.CONDITIONAL  # a user whose name is not known


# --- Every operator family, evaluated when values are known ---


@pytest.mark.parametrize(
    ("condition", "context", "expected"),
    [
        # String: StringEquals is exact and case-sensitive, no wildcards; IgnoreCase folds case.
        (cond("StringEquals", "k", "a*"), {"k": "abc"}, False),
        (cond("StringEquals", "k", "a*"), {"k": "a*"}, True),
        (cond("StringEquals", "k", "Abc"), {"k": "abc"}, False),
        (cond("StringNotEquals", "k", "a*"), {"k": "abc"}, True),
        (cond("StringEqualsIgnoreCase", "k", "ABC"), {"k": "abc"}, True),
        (cond("StringEqualsIgnoreCase", "k", "ABD"), {"k": "abc"}, False),
        (cond("StringNotEqualsIgnoreCase", "k", "ABC"), {"k": "abc"}, False),
        (cond("StringLike", "k", "A*"), {"k": "abc"}, False),  # StringLike is case-sensitive
        (cond("StringLike", "k", "a?c"), {"k": "abc"}, True),
        (cond("StringLike", "k", "a?c"), {"k": "abbc"}, False),
        (cond("StringNotLike", "k", "a*"), {"k": "bcd"}, True),
        (cond("StringLike", "k", "a*b"), {"k": "a\nb"}, True),  # a wildcard matches a newline too
        (cond("StringNotLike", "k", "home/${aws:userid}/*"), {"k": "home/x/y"}, None),  # unknown variable
        (cond("ForAllValues:StringNotLike", "k", "${aws:userid}"), {"k": ["x"]}, None),
        # Numeric
        (cond("NumericEquals", "n", "10"), {"n": "10.0"}, True),
        (cond("NumericEquals", "n", "10"), {"n": "11"}, False),
        (cond("NumericNotEquals", "n", "10"), {"n": "11"}, True),
        (cond("NumericNotEquals", "n", "10"), {"n": "10"}, False),
        (cond("NumericLessThan", "n", "10"), {"n": "9"}, True),
        (cond("NumericLessThan", "n", "10"), {"n": "10"}, False),
        (cond("NumericLessThanEquals", "n", "10"), {"n": "10"}, True),
        (cond("NumericLessThanEquals", "n", "10"), {"n": "11"}, False),
        (cond("NumericGreaterThan", "n", "10"), {"n": "11"}, True),
        (cond("NumericGreaterThan", "n", "10"), {"n": "10"}, False),
        (cond("NumericGreaterThanEquals", "n", "10"), {"n": "10"}, True),
        (cond("NumericGreaterThanEquals", "n", "10"), {"n": "9"}, False),
        (cond("NumericLessThan", "n", "ten"), {"n": "9"}, None),  # not a number: undecided
        (cond("NumericLessThan", "n", "10"), {"n": "NaN"}, None),
        (cond("NumericLessThan", "n", "1_0"), {"n": "9"}, None),
        # Date: ISO 8601 and epoch seconds, UTC when no zone is given.
        (cond("DateLessThan", "aws:CurrentTime", "2026-01-01T00:00:00Z"), {"aws:CurrentTime": "2025-12-31"}, True),
        (cond("DateLessThan", "aws:CurrentTime", "2026-01-01T00:00:00Z"), {"aws:CurrentTime": "2026-01-01"}, False),
        (cond("DateEquals", "aws:CurrentTime", "2026-01-01T00:00:00Z"), {"aws:CurrentTime": "1767225600"}, True),
        (cond("DateNotEquals", "t", "2026-01-01T01:00:00+01:00"), {"t": "2026-01-01"}, False),
        (cond("DateGreaterThan", "aws:EpochTime", "1767225600"), {"aws:EpochTime": "2026-01-01T00:00:01Z"}, True),
        (cond("DateGreaterThanEquals", "aws:EpochTime", "1767225600"), {"aws:EpochTime": "1767225599"}, False),
        (cond("DateLessThanEquals", "aws:EpochTime", "1767225600"), {"aws:EpochTime": "1767225600"}, True),
        (cond("DateLessThan", "aws:CurrentTime", "yesterday"), {"aws:CurrentTime": "2026-01-01"}, None),
        # Bool
        (cond("Bool", "aws:SecureTransport", "false"), {"aws:SecureTransport": "FALSE"}, True),
        (cond("Bool", "aws:SecureTransport", "false"), {"aws:SecureTransport": "true"}, False),
        # Binary (base64; compared as bytes)
        (cond("BinaryEquals", "b", "QmluYXJ5VmFsdWU="), {"b": "QmluYXJ5VmFsdWU="}, True),
        (cond("BinaryEquals", "b", "QmluYXJ5VmFsdWU="), {"b": "T3RoZXI="}, False),
        (cond("BinaryEquals", "b", "not base64!"), {"b": "T3RoZXI="}, None),
        (cond("BinaryEquals", "b", "QQ=="), {"b": "QQ==!"}, None),  # strictly base64
        # IpAddress / NotIpAddress, IPv4 and IPv6
        (cond("IpAddress", "aws:SourceIp", "203.0.113.0/24"), {"aws:SourceIp": "203.0.113.7"}, True),
        (cond("IpAddress", "aws:SourceIp", "203.0.113.0/24"), {"aws:SourceIp": "203.0.114.7"}, False),
        (cond("IpAddress", "aws:SourceIp", "203.0.113.7"), {"aws:SourceIp": "203.0.113.7"}, True),
        (cond("IpAddress", "aws:SourceIp", "2001:db8::/32"), {"aws:SourceIp": "2001:db8::1"}, True),
        (cond("IpAddress", "aws:SourceIp", "2001:db8::/32"), {"aws:SourceIp": "203.0.113.7"}, False),
        (cond("IpAddress", "aws:SourceIp", "::/0"), {"aws:SourceIp": "203.0.113.7"}, False),  # v4 not in a v6 net
        (cond("NotIpAddress", "aws:SourceIp", "10.0.0.0/8"), {"aws:SourceIp": "192.0.2.10"}, True),
        (cond("NotIpAddress", "aws:SourceIp", "10.0.0.0/8"), {"aws:SourceIp": "10.1.2.3"}, False),
        (cond("IpAddress", "aws:SourceIp", "10.0.0.0/8"), {"aws:SourceIp": "not-an-ip"}, None),
        (cond("IpAddress", "aws:SourceIp", "10.9.9.9/8"), {"aws:SourceIp": "10.1.2.3"}, True),  # host bits set
        (cond("IpAddress", "aws:SourceIp", " 10.0.0.0/8 "), {"aws:SourceIp": " 10.1.2.3"}, True),
        (cond("IpAddress", "aws:SourceIp", "10.0.0.0/33"), {"aws:SourceIp": "10.0.0.1"}, None),
        # ARN: six parts, each matched alone; ArnEquals takes wildcards as ArnLike does.
        (cond("ArnLike", "a", "arn:aws:iam::*:role/x"), {"a": "arn:aws:iam::1:role/x"}, True),
        (cond("ArnEquals", "a", "arn:aws:iam::*:role/x"), {"a": "arn:aws:iam::1:role/x"}, True),
        (cond("ArnEquals", "a", "arn:aws:iam::1:role/x"), {"a": "arn:aws:iam::1:role/y"}, False),
        (cond("ArnNotEquals", "a", "arn:aws:iam::1:role/x"), {"a": "arn:aws:iam::1:role/y"}, True),
        (cond("ArnNotEquals", "a", "arn:aws:iam::1:role/x"), {"a": "arn:aws:iam::1:role/x"}, False),
        (cond("ArnNotLike", "a", "arn:aws:iam::1:role/*"), {"a": "arn:aws:iam::1:role/x"}, False),
        (cond("ArnLike", "a", "arn:aws:iam::1:role/X"), {"a": "arn:aws:iam::1:role/x"}, False),  # case-sensitive
        # A * does not cross a colon outside the resource part; in the resource part it may.
        (cond("ArnLike", "a", "arn:aws:*:123"), {"a": "arn:aws:s3:eu:123:b"}, None),  # not six parts
        (cond("ArnLike", "a", "arn:aws:s*::123:b"), {"a": "arn:aws:s3:eu:123:b"}, False),
        (cond("ArnLike", "a", "arn:aws:*:*:123:b"), {"a": "arn:aws:s3:eu:123:b"}, True),
        (cond("ArnLike", "a", "arn:aws:sns:*:*:t*"), {"a": "arn:aws:sns:eu:1:topic:sub"}, True),
        (cond("ArnLike", "a", "arn:aws:sns:*:*:*"), {"a": "not:an:arn"}, False),
        (cond("ArnLike", "a", "arn:aws:sns:*:*:*"), {"a": "arn:aws:sns:eu:1"}, False),
        # Null: true = absent, false = present
        (cond("Null", "aws:TokenIssueTime", "true"), {"aws:TokenIssueTime": None}, True),
        (cond("Null", "aws:TokenIssueTime", "true"), {"aws:TokenIssueTime": "2026-01-01"}, False),
        (cond("Null", "aws:TokenIssueTime", "false"), {"aws:TokenIssueTime": None}, False),
        (cond("Null", "aws:TokenIssueTime", "FALSE"), {"aws:TokenIssueTime": "2026-01-01"}, True),
        (cond("Null", "aws:TokenIssueTime", "true"), {}, None),
        (cond("Null", "aws:TokenIssueTime", "maybe"), {"aws:TokenIssueTime": None}, None),
        (cond("Null", "aws:TagKeys", "true"), {"aws:TagKeys": []}, True),  # an empty set is null
    ],
)
def test_operator_tables(condition: Condition, context: dict[str, Any], expected: bool | None) -> None:
    assert evaluate_condition(condition, context) is expected


@pytest.mark.parametrize(
    ("operator", "expected"),
    [
        ("StringEquals", False),
        ("StringNotEquals", True),
        ("StringEqualsIfExists", True),
        ("StringNotEqualsIfExists", True),
        ("NumericLessThan", False),
        ("NotIpAddress", True),
        ("ArnNotLike", True),
        ("ForAllValues:StringEquals", True),
        ("ForAllValues:StringNotEquals", True),
        ("ForAnyValue:StringEquals", False),
        ("ForAnyValue:StringNotEquals", False),
        ("ForAnyValue:StringEqualsIfExists", True),
    ],
)
def test_absent_and_empty_keys(operator: str, expected: bool) -> None:
    """A key known absent (or present with no values): the User Guide's rules for each kind of operator."""
    condition = cond(operator, "aws:TagKeys", "1")
    assert evaluate_condition(condition, {"aws:TagKeys": None}) is expected
    assert evaluate_condition(condition, {"aws:TagKeys": []}) is expected
    assert evaluate_condition(condition, {}) is None  # unknown: always undecided


@pytest.mark.parametrize(
    ("operator", "request_values", "expected"),
    [
        ("ForAllValues:StringEquals", ["a", "b"], True),
        ("ForAllValues:StringEquals", ["a", "c"], False),
        ("ForAnyValue:StringEquals", ["c", "a"], True),
        ("ForAnyValue:StringEquals", ["c", "d"], False),
        ("ForAllValues:StringNotEquals", ["c", "d"], True),  # every value is none of a, b
        ("ForAllValues:StringNotEquals", ["c", "a"], False),
        ("ForAnyValue:StringNotEquals", ["c", "a"], True),  # c is none of a, b
        ("ForAnyValue:StringNotEquals", ["a", "b"], False),
        ("StringEquals", ["c", "a"], True),  # no qualifier: some value matches
        ("StringNotEquals", ["c", "a"], False),  # the complement: no value may match
        ("StringNotEquals", ["c", "d"], True),
    ],
)
def test_set_operators(operator: str, request_values: list[str], expected: bool) -> None:
    assert evaluate_condition(cond(operator, "aws:TagKeys", "a", "b"), {"aws:TagKeys": request_values}) is expected


def test_invalid_operator_is_undecided() -> None:
    assert evaluate_condition(cond("StringSoundsLike", "k", "a"), {"k": "a"}) is None


def test_deny_not_ip_address_applies_to_a_known_outside_address() -> None:
    perms = effective_permissions(
        [
            doc(
                {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                {
                    "Effect": "Deny",
                    "Action": "*",
                    "Resource": "*",
                    "Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
                },
            )
        ]
    )
    assert perms.allows("s3:GetObject", "*", {"aws:SourceIp": "192.0.2.10"}).verdict is Verdict.DENIED
    assert perms.allows("s3:GetObject", "*", {"aws:SourceIp": "10.0.0.9"}).verdict is Verdict.ALLOWED


# --- Policy variables ---


@pytest.mark.parametrize(
    ("text", "context", "expected"),
    [
        ("home/${aws:username}/*", {"aws:username": "alice"}, "home/alice/*"),
        ("home/${AWS:UserName}/*", {"aws:username": "alice"}, "home/alice/*"),  # keys are case-insensitive
        ("home/${aws:username}/*", {"aws:username": None}, NO_VALUE),
        ("home/${aws:username}/*", {}, UNKNOWN),
        ("home/${aws:username, 'nobody'}/*", {"aws:username": None}, "home/nobody/*"),
        ("home/${aws:username,'nobody'}/*", {"aws:username": "alice"}, "home/alice/*"),
        ("home/${aws:username, 'nobody'}/*", {}, UNKNOWN),  # may be present: the default may not apply
        ("home/${aws:username, nobody}/*", {"aws:username": None}, NO_VALUE),  # a default must be quoted
        ("${aws:PrincipalTag/team}-${aws:userid}", {"aws:PrincipalTag/team": "ml", "aws:userid": "AIDA1"}, "ml-AIDA1"),
        ("${aws:SourceIdentity}", {"aws:SourceIdentity": "ci"}, "ci"),
        ("${aws:TagKeys}", {"aws:TagKeys": ["a", "b"]}, NO_VALUE),  # a multivalued key is no variable
        ("${aws:TagKeys}", {"aws:TagKeys": ["a"]}, "a"),
        ("a${*}b${?}c${$}d", {}, f"a{LITERAL_STAR}b\ue001c$d"),
        ("${*, 'x'}", {}, NO_VALUE),
        ("${unknown}${aws:username}", {"aws:username": None}, NO_VALUE),  # no value wins over unknown
        ("${unknown}${aws:username}", {"aws:username": "a"}, UNKNOWN),
        ("plain", {}, "plain"),
    ],
)
def test_resolve_variables(text: str, context: dict[str, Any], expected: object) -> None:
    assert resolve_variables(text, context) == expected


@pytest.mark.parametrize(
    ("pattern", "context", "expected"),
    [
        ("arn:aws:iam::1:user/${aws:username}", {"aws:username": "alice"}, "arn:aws:iam::1:user/alice"),
        ("arn:aws:iam::1:user/${aws:username}", {"aws:username": None}, None),
        ("arn:aws:iam::1:user/${aws:username}", {}, "arn:aws:iam::1:user/${aws:username}"),
        ("arn:aws:s3:::b/${*}/${aws:username}", {"aws:username": "a"}, "arn:aws:s3:::b/${*}/a"),
        ("arn:aws:s3:::b/*", {"aws:username": "a"}, "arn:aws:s3:::b/*"),
    ],
)
def test_resolve_resource_variables(pattern: str, context: dict[str, Any], expected: str | None) -> None:
    assert resolve_resource_variables(pattern, context) == expected


def test_literal_wildcards_from_escapes() -> None:
    """``${*}`` is a literal star: in StringLike it matches only a ``*``; in StringEquals it is a ``*``."""
    like = cond("StringLike", "k", "a${*}")
    assert evaluate_condition(like, {"k": "a*"}) is True
    assert evaluate_condition(like, {"k": "ab"}) is False
    assert evaluate_condition(cond("StringLike", "k", "a${?}*"), {"k": "a?xyz"}) is True
    assert evaluate_condition(cond("StringLike", "k", "a${?}*"), {"k": "abxyz"}) is False
    assert evaluate_condition(cond("StringEquals", "k", "a${*}"), {"k": "a*"}) is True
    assert evaluate_condition(cond("StringEquals", "k", "a${?}"), {"k": "a?"}) is True
    assert evaluate_condition(cond("StringEquals", "k", "a${?}"), {"k": "ab"}) is False
    assert evaluate_condition(cond("StringEqualsIgnoreCase", "k", "A${*}"), {"k": "a*"}) is True


def test_variable_without_value_in_a_condition() -> None:
    """No value: a positive operator does not match it, a negated one does (its complement)."""
    role = principal_context(ROLE, "role")
    context = {**role, "s3:prefix": "home/alpha/x"}
    assert evaluate_condition(cond("StringLike", "s3:prefix", "home/${aws:username}/*"), context) is False
    assert evaluate_condition(cond("StringNotLike", "s3:prefix", "home/${aws:username}/*"), context) is True
    arn = cond("ArnLike", "aws:SourceArn", "arn:aws:s3:::${aws:username}")
    assert evaluate_condition(arn, {**role, "aws:SourceArn": "arn:aws:s3:::alpha"}) is False
    two = cond("StringLike", "s3:prefix", "home/${aws:username}/*", "home/*")
    assert evaluate_condition(two, context) is True  # another value still matches
    unknown = cond("StringLike", "s3:prefix", "home/${aws:userid}/*", "tmp/*")
    assert evaluate_condition(unknown, context) is None
    # Variables are not read in numeric values.
    assert evaluate_condition(cond("NumericEquals", "n", "${aws:username}"), {"n": "1", "aws:username": "1"}) is None


def test_resource_variable_without_value_matches_no_resource() -> None:
    keys = {"Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": "arn:aws:iam::*:user/${aws:username}"}
    role = effective_permissions([doc(keys)], principal_context=principal_context(ROLE, "role"))
    assert role.allows("iam:CreateAccessKey", f"arn:aws:iam::{ACCOUNT}:user/alpha").verdict is Verdict.NOT_ALLOWED
    user = effective_permissions([doc(keys)], principal_context=principal_context(ALICE, "user", "alice"))
    assert user.allows("iam:CreateAccessKey", ALICE).verdict is Verdict.ALLOWED
    anyone = effective_permissions([doc(keys)])
    assert anyone.allows("iam:CreateAccessKey", ALICE).verdict is Verdict.CONDITIONAL
    # NotResource with a variable that has no value excludes nothing.
    not_resource = {"Effect": "Deny", "Action": "iam:*", "NotResource": "arn:aws:iam::*:user/${aws:username}"}
    denied = effective_permissions(
        [doc({"Effect": "Allow", "Action": "iam:*", "Resource": "*"}, not_resource)],
        principal_context=principal_context(ROLE, "role"),
    )
    assert denied.allows("iam:CreateAccessKey", ALICE).verdict is Verdict.DENIED


# --- The three-valued building blocks ---


def test_lookup_and_kleene_logic() -> None:
    assert lookup({"AWS:SourceIp": "1.2.3.4"}, "aws:sourceip") == ("1.2.3.4",)
    assert lookup({"k": ["a", "b"]}, "K") == ("a", "b")
    assert lookup({"k": None}, "k") is None
    assert lookup({"k": "a"}, "other") is UNKNOWN
    assert lookup(None, "k") is UNKNOWN
    assert any3([False, None, True]) is True
    assert any3([False, None]) is None
    assert any3([False, False]) is False
    assert any3([]) is False
    assert all3([True, None, False]) is False
    assert all3([True, None]) is None
    assert all3([True, True]) is True
    assert all3([]) is True
    assert evaluate_conditions([], None) is True
    assert evaluate_conditions([cond("StringEquals", "k", "a")], None) is None


def test_compare_rejects_unknown_operator() -> None:
    assert compare("Whatever", "a", "a") is None


KEYS = ("aws:username", "aws:SourceIp", "s3:prefix", "aws:TagKeys", "aws:RequestedRegion", "n")
OPERATORS = (
    "StringEquals",
    "StringNotLike",
    "StringEqualsIfExists",
    "ForAllValues:StringLike",
    "ForAnyValue:StringNotEquals",
    "NumericLessThan",
    "IpAddress",
    "Null",
    "ArnLike",
)


@given(
    operator=st.sampled_from(OPERATORS),
    key=st.sampled_from(KEYS),
    values=st.lists(st.sampled_from(["a", "a*", "10", "10.0.0.0/8", "true", "${aws:username}"]), min_size=1),
    context=st.dictionaries(
        st.sampled_from(KEYS),
        st.one_of(st.none(), st.sampled_from(["a", "ab", "9", "10.1.1.1"]), st.lists(st.sampled_from(["a", "b"]))),
    ),
    unrelated=st.sampled_from(["aws:SecureTransport", "ec2:InstanceType", "aws:PrincipalTag/x"]),
    unrelated_value=st.one_of(st.none(), st.just("x"), st.lists(st.just("y"))),
)
def test_adding_an_unrelated_key_never_changes_a_condition(
    operator: str, key: str, values: list[str], context: dict[str, Any], unrelated: str, unrelated_value: Any
) -> None:
    condition = Condition(operator, key, tuple(values))
    before = evaluate_condition(condition, context)
    assert evaluate_condition(condition, {**context, unrelated: unrelated_value}) is before


@pytest.mark.parametrize("value", ["1e400", "99999999999999999", "-1e30", "9" * 5000])
def test_an_epoch_beyond_any_date_is_not_a_date_and_no_crash(value: str) -> None:
    from cspm.iam.conditions import Condition, evaluate_condition

    cond = Condition("DateGreaterThan", "aws:CurrentTime", (value,))
    assert evaluate_condition(cond, {"aws:CurrentTime": "2026-12-06T00:00:00Z"}) is None
    cond = Condition("DateLessThan", "aws:CurrentTime", ("2027-01-01T00:00:00Z",))
    assert evaluate_condition(cond, {"aws:CurrentTime": value}) is None
