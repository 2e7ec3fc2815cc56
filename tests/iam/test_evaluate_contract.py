"""The smaller questions EffectivePermissions answers (the escalation graph and the checks rely on
them), and the evidence it gives: exact values, so that a changed answer fails a test."""

from __future__ import annotations

from typing import Any

from cspm.iam.actions import AccessLevel, ActionSet
from cspm.iam.evaluate import Verdict, effective_permissions, principal_context
from cspm.iam.policy import PolicyDocument, parse_policy

ACCOUNT = "111122223333"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/r"
BUCKET = "arn:aws:s3:::b"
TLS = {"Bool": {"aws:SecureTransport": "false"}}


def pol(*statements: dict[str, Any], name: str | None = None) -> PolicyDocument:
    doc = parse_policy({"Version": "2012-10-17", "Statement": list(statements)})
    return PolicyDocument(doc.version, doc.statements, doc.id, name=name)


def st(effect: str, action: Any, resource: Any = "*", **kw: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"Effect": effect, **kw}
    if action is not None:
        out["Action"] = action
    if resource is not None:
        out["Resource"] = resource
    return out


def test_decision_evidence_is_exact() -> None:
    perms = effective_permissions(
        [
            pol(
                st("Allow", "s3:*", Sid="All"),
                st("Deny", "s3:Delete*", BUCKET, Condition=TLS),
                st("Allow", "s3:DeleteBucket", BUCKET, Condition=TLS),
                name="p",
            )
        ],
        boundary=pol(st("Allow", "s3:*"), st("Deny", "s3:Delete*", "arn:aws:s3:::other")),
    )
    decision = perms.allows("s3:DeleteBucket", BUCKET)
    assert decision.as_dict() == {
        "action": "s3:DeleteBucket",
        "resource": BUCKET,
        "verdict": "ALLOWED",
        "allowed_by": [
            {"policy": "p", "boundary": False, "index": 0, "sid": "All"},
            {"policy": "boundary", "boundary": True, "index": 0, "sid": None},
        ],
        "conditionally_allowed_by": [{"policy": "p", "boundary": False, "index": 2, "sid": None}],
        "denied_by": [],
        "conditional_denies": [{"policy": "p", "boundary": False, "index": 1, "sid": None}],
        "partial_denies": [],
        "boundary_blocks": False,
        "blocked_by": [],  # no SCP/RCP guard layer here
    }
    everywhere = perms.allows("s3:DeleteBucket", "*").as_dict()
    assert everywhere["partial_denies"] == [
        {"policy": "p", "boundary": False, "index": 1, "sid": None},
        {"policy": "boundary", "boundary": True, "index": 1, "sid": None},
    ]
    blocked = effective_permissions([pol(st("Allow", "s3:*"))], boundary=pol(st("Allow", "ec2:*")))
    assert blocked.allows("s3:GetObject").as_dict()["boundary_blocks"] is True
    assert blocked.allows("s3:GetObject").as_dict()["verdict"] == "NOT_ALLOWED"
    denied = effective_permissions([pol(st("Allow", "s3:*"), st("Deny", "s3:GetObject"))])
    assert denied.allows("s3:GetObject").as_dict()["denied_by"] == [
        {"policy": "policy[0]", "boundary": False, "index": 1, "sid": None}
    ]


def test_allows_all_is_the_weakest_verdict() -> None:
    perms = effective_permissions(
        [pol(st("Allow", "s3:GetObject"), st("Allow", "s3:PutObject", Condition=TLS), st("Deny", "s3:DeleteObject"))]
    )
    assert perms.allows_all(["s3:GetObject"]) is Verdict.ALLOWED
    assert perms.allows_all(["s3:GetObject", "s3:PutObject"]) is Verdict.CONDITIONAL
    assert perms.allows_all(["s3:PutObject", "s3:ListBucket"]) is Verdict.NOT_ALLOWED
    assert perms.allows_all(["s3:ListBucket", "s3:DeleteObject"]) is Verdict.DENIED
    assert perms.allows_all([]) is Verdict.NOT_ALLOWED
    assert perms.allows_all(["s3:PutObject"], BUCKET, {"aws:SecureTransport": "false"}) is Verdict.ALLOWED
    assert perms.allows_all(["s3:GetObject"], None) is Verdict.ALLOWED


def test_context_values_as_text_and_as_a_set_are_different_requests() -> None:
    perms = effective_permissions([pol(st("Allow", "s3:GetObject", Condition={"StringEquals": {"k": "ab"}}))])
    assert perms.allows("s3:GetObject", BUCKET, {"k": "ab"}).verdict is Verdict.ALLOWED
    assert perms.allows("s3:GetObject", BUCKET, {"k": ["a", "b"]}).verdict is Verdict.NOT_ALLOWED
    assert perms.allows("s3:GetObject", BUCKET, {"k": None}).verdict is Verdict.NOT_ALLOWED
    assert perms.allows("s3:GetObject", BUCKET, {"k": []}).verdict is Verdict.NOT_ALLOWED
    assert perms.allows("s3:GetObject", BUCKET, {"K": "ab"}).verdict is Verdict.ALLOWED


def test_upper_bound_counts_allows_on_every_resource() -> None:
    universe = ActionSet(["s3:GetObject", "s3:PutObject", "iam:PassRole"])
    perms = effective_permissions(
        [
            pol(
                st("Allow", "s3:*"),
                st("Allow", "iam:PassRole", ROLE),
                st("Deny", "s3:GetObject"),
                st("Allow", "s3:Get*"),
            )
        ]
    )
    assert perms.upper_bound(universe) == 3
    assert effective_permissions([]).upper_bound(universe) == 0


def test_resource_elements_and_allows_alike() -> None:
    perms = effective_permissions(
        [
            pol(
                st("Allow", "iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/*"),
                st("Deny", "iam:PassRole", [f"arn:aws:iam::{ACCOUNT}:role/admin", f"arn:aws:iam::{ACCOUNT}:role/*"]),
                st("Allow", "iam:PassRole", None, NotResource=f"arn:aws:iam::{ACCOUNT}:role/x"),
                st("Allow", "iam:PassRole", ROLE, Condition={"StringEquals": {"aws:username": "someone"}}),
                st("Deny", "iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/last"),
            )
        ],
        principal_context=principal_context(ROLE, "role"),
    )
    patterns, bare = perms.resource_elements("iam:PassRole")
    assert patterns == (
        f"arn:aws:iam::{ACCOUNT}:role/*",
        f"arn:aws:iam::{ACCOUNT}:role/admin",
        f"arn:aws:iam::{ACCOUNT}:role/x",
        f"arn:aws:iam::{ACCOUNT}:role/last",
    )
    assert bare is False
    trust_like = effective_permissions([pol(st("Allow", "sts:AssumeRole", None))])
    assert trust_like.resource_elements("sts:AssumeRole") == ((), True)
    # The conditional Allow on role/r is known not to apply to this role (aws:username is absent).
    assert perms.allows_alike("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/*") is True
    unknown = effective_permissions(perms.policies)
    assert unknown.allows_alike("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/*") is False
    assert ROLE in unknown.resource_elements("iam:PassRole")[0]
    narrow = effective_permissions([pol(st("Allow", "iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/ml-*"))])
    assert narrow.allows_alike("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/*") is False
    assert narrow.allows_alike("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/ml-*") is True
    assert narrow.allows_alike("iam:GetRole", f"arn:aws:iam::{ACCOUNT}:role/*") is True  # nothing covers it


def test_mentions_deny() -> None:
    perms = effective_permissions(
        [
            pol(
                st("Allow", "*"),
                st("Deny", "s3:DeleteBucket", BUCKET),
                st("Deny", "iam:*", Condition={"StringEquals": {"aws:username": "bob"}}),
            )
        ],
        boundary=pol(st("Allow", "*"), st("Deny", "ec2:RunInstances")),
        principal_context=principal_context(ROLE, "role"),  # aws:username absent: the iam Deny never applies
    )
    assert perms.mentions_deny("s3:DeleteBucket") is True
    assert perms.mentions_deny("ec2:RunInstances") is True  # in the boundary
    assert perms.mentions_deny("iam:CreateUser") is False
    assert perms.mentions_deny("s3:GetObject") is False


def test_actions_matching_and_allowed_actions() -> None:
    perms = effective_permissions(
        [
            pol(
                st("Allow", "s3:GetObject"),
                st("Allow", "s3:PutObject", Condition=TLS),
                st("Allow", "s3:ListBucket", BUCKET),
            )
        ]
    )
    assert perms.actions_matching("s3:*Object") == ("s3:GetObject",)
    assert set(perms.actions_matching("s3:*Object", include_conditional=True)) == {"s3:GetObject", "s3:PutObject"}
    assert perms.actions_matching("s3:ListBucket", BUCKET) == ("s3:ListBucket",)
    assert perms.allowed_actions() == ("s3:GetObject",)
    assert perms.allowed_actions(include_conditional=True) == ("s3:GetObject", "s3:PutObject")
    assert perms.allowed_actions(BUCKET) == ("s3:GetObject", "s3:ListBucket")
    assert perms.allowed_actions(access_levels=[AccessLevel.WRITE], include_conditional=True) == ("s3:PutObject",)
    assert perms.allowed_actions(access_levels=[AccessLevel.LIST]) == ()
    denied = effective_permissions([pol(st("Deny", "s3:*"))])
    assert denied.allowed_actions() == ()


def test_allowed_actions_with_not_action() -> None:
    perms = effective_permissions([pol(st("Allow", None, NotAction=["iam:*", "s3:*", "ec2:*"]))])
    allowed = perms.allowed_actions(access_levels=[AccessLevel.PERMISSIONS_MANAGEMENT])
    assert "sagemaker:CreatePresignedNotebookInstanceUrl" not in allowed
    assert "kms:PutKeyPolicy" in allowed
    assert not any(a.startswith(("iam:", "s3:", "ec2:")) for a in allowed)


def test_a_deny_of_every_action_takes_admin_away() -> None:
    admin = st("Allow", "*")
    assert effective_permissions([pol(admin)]).is_admin is True
    assert effective_permissions([pol(admin, st("Deny", "*"))]).is_admin is False
    assert effective_permissions([pol(admin, st("Deny", None, NotAction="s3:GetObject"))]).is_admin is False
    # A NotAction Deny that excludes everything denies nothing.
    assert effective_permissions([pol(admin, st("Deny", None, NotAction="*"))]).is_admin is True
    assert effective_permissions([pol(admin, st("Deny", None, NotAction="*:*"))]).is_admin is True
    assert effective_permissions([pol(admin, st("Deny", None, NotAction=["*:**"]))]).is_admin is True
    assert effective_permissions([pol(admin, st("Deny", []))]).is_admin is True  # an empty Action list
    assert effective_permissions([pol(admin, st("Deny", "*", Condition=TLS))]).is_admin is True
    # For a role, a Deny on aws:username (absent) with a negated operator always applies.
    role_deny = st("Deny", "*", Condition={"StringNotEquals": {"aws:username": "alice"}})
    role = effective_permissions([pol(admin, role_deny)], principal_context=principal_context(ROLE, "role"))
    assert role.is_admin is False
    assert effective_permissions([pol(admin, role_deny)]).is_admin is True


def test_principal_context_exactly() -> None:
    assert principal_context(ROLE, "role") == {
        "aws:PrincipalArn": ROLE,
        "aws:PrincipalAccount": ACCOUNT,
        "aws:PrincipalType": "AssumedRole",
        "aws:username": None,
    }
    assert principal_context("not-an-arn", "user", "alice") == {
        "aws:PrincipalArn": "not-an-arn",
        "aws:PrincipalAccount": "",
        "aws:PrincipalType": "User",
        "aws:username": "alice",
    }
    assert principal_context(ROLE, "role", tags={"team": "ml", "env": "prod"}) == {
        "aws:PrincipalArn": ROLE,
        "aws:PrincipalAccount": ACCOUNT,
        "aws:PrincipalType": "AssumedRole",
        "aws:username": None,
        "aws:PrincipalTag/team": "ml",
        "aws:PrincipalTag/env": "prod",
    }


def test_default_resource_is_every_resource() -> None:
    perms = effective_permissions([pol(st("Allow", "s3:GetObject"))])
    decision = perms.allows("s3:GetObject")
    assert decision.resource == "*"
    assert decision.verdict is Verdict.ALLOWED


def test_both_layers_deny_is_not_the_boundary_blocking() -> None:
    perms = effective_permissions(
        [pol(st("Allow", "*"), st("Deny", "s3:GetObject"))], boundary=pol(st("Allow", "*"), st("Deny", "s3:*"))
    )
    decision = perms.allows("s3:GetObject")
    assert decision.verdict is Verdict.DENIED
    assert decision.boundary_blocks is False
    assert perms.allows("s3:PutObject").boundary_blocks is True


def test_not_resource_with_the_users_own_name() -> None:
    """``NotResource: user/${aws:username}`` excludes the user itself (its variable is substituted)."""
    alice = f"arn:aws:iam::{ACCOUNT}:user/alice"
    perms = effective_permissions(
        [
            pol(
                st("Allow", "iam:*"),
                st("Deny", "iam:CreateAccessKey", None, NotResource="arn:aws:iam::*:user/${aws:username}"),
            )
        ],
        principal_context=principal_context(alice, "user", "alice"),
    )
    assert perms.allows("iam:CreateAccessKey", alice).verdict is Verdict.ALLOWED
    assert perms.allows("iam:CreateAccessKey", f"arn:aws:iam::{ACCOUNT}:user/bob").verdict is Verdict.DENIED


def test_admin_through_a_not_action_that_excludes_nothing() -> None:
    assert effective_permissions([pol(st("Allow", None, NotAction="nosuchservice:*"))]).is_admin is True
    assert effective_permissions([pol(st("Allow", None, NotAction="iam:*"))]).is_admin is False


def test_grants_evidence_lists_only_allows_on_every_resource() -> None:
    universe = ActionSet(["s3:GetObject", "s3:PutObject", "iam:PassRole"])
    perms = effective_permissions(
        [
            pol(
                st("Allow", "s3:PutObject", BUCKET),
                st("Allow", "s3:PutObject", Condition={"StringEquals": {"aws:username": "x"}}),  # never, for a role
                st("Allow", "s3:GetObject"),
                st("Deny", "s3:GetObject", Condition=TLS),
                st("Allow", "s3:GetObject", BUCKET),
                st("Allow", None, NotAction=["s3:*"]),
            )
        ],
        principal_context=principal_context(ROLE, "role"),
    )
    grants = perms.grants(universe)
    assert grants.allowed == frozenset({"s3:GetObject", "iam:PassRole"})
    assert grants.conditional == frozenset()
    assert [(origin.ref.index, set(granted)) for origin, _, granted in grants.statements] == [
        (2, {"s3:GetObject"}),
        (5, {"iam:PassRole"}),
    ]
    bounded = effective_permissions(perms.policies, boundary=pol(st("Allow", "*"), st("Deny", "iam:PassRole")))
    assert bounded.grants(universe).allowed == frozenset({"s3:GetObject"})


def test_the_boundary_reads_the_principals_variables() -> None:
    alice = f"arn:aws:iam::{ACCOUNT}:user/alice"
    perms = effective_permissions(
        [pol(st("Allow", "iam:*"))],
        boundary=pol(st("Allow", "iam:CreateAccessKey", "arn:aws:iam::*:user/${aws:username}")),
        principal_context=principal_context(alice, "user", "alice"),
    )
    assert perms.allows("iam:CreateAccessKey", alice).verdict is Verdict.ALLOWED
    assert perms.allows("iam:CreateAccessKey", f"arn:aws:iam::{ACCOUNT}:user/bob").verdict is Verdict.NOT_ALLOWED


def test_an_action_without_a_service() -> None:
    perms = effective_permissions([pol(st("Allow", "*"))])
    assert perms.allows("*").verdict is Verdict.ALLOWED
    assert effective_permissions([pol(st("Allow", "s3:*"))]).allows("*").verdict is Verdict.NOT_ALLOWED
    assert perms.resource_elements("s3:GetObject") == (("*",), False)
    assert effective_permissions([]).resource_elements("s3:GetObject") == ((), False)


def test_possible_anywhere_and_resource_patterns_ignore_denies() -> None:
    universe = ActionSet(["s3:GetObject", "s3:PutObject"])
    perms = effective_permissions([pol(st("Deny", "s3:PutObject", BUCKET), st("Allow", "s3:GetObject", BUCKET))])
    assert perms.possible_anywhere(universe) == frozenset({"s3:GetObject"})
    assert perms.possible_anywhere(universe) is perms.possible_anywhere(universe)  # cached
    assert perms.resource_patterns("s3:PutObject") == ()
    assert perms.resource_patterns("s3:GetObject") == (BUCKET,)


def test_default_resource_of_the_set_questions_is_every_resource() -> None:
    """``arn:*`` covers every resource; a grant on one bucket does not."""
    perms = effective_permissions([pol(st("Allow", "s3:GetObject", "arn:*"), st("Allow", "s3:ListBucket", BUCKET))])
    assert perms.allows_all(["s3:GetObject"]) is Verdict.ALLOWED
    assert perms.allows_all(["s3:ListBucket"]) is Verdict.NOT_ALLOWED
    assert perms.allows_all(["s3:ListBucket"], None) is Verdict.ALLOWED
    assert perms.actions_matching("s3:GetObject") == ("s3:GetObject",)
    assert perms.actions_matching("s3:ListBucket") == ()
    assert perms.allowed_actions() == ("s3:GetObject",)


def test_a_deny_of_all_but_one_service_takes_admin_away() -> None:
    assert effective_permissions([pol(st("Allow", "*"), st("Deny", None, NotAction="X:*"))]).is_admin is False


def test_the_boundary_is_kept() -> None:
    boundary = pol(st("Allow", "s3:*"))
    assert effective_permissions([], boundary).boundary is boundary
    assert effective_permissions([]).boundary is None
