"""Service control policies as guard layers of effective permissions (issue 12, item 7: the evaluation).

AWS: at every level from the organization root to the account, an action must be allowed by at least
one attached SCP, and no attached SCP may deny it. Examples follow the AWS Organizations user guide
("deny list" with FullAWSAccess plus a Deny; "allow list" replacing FullAWSAccess).
"""

from __future__ import annotations

from typing import Any

from cspm.iam.evaluate import Guardrail, Verdict, effective_permissions, principal_context
from cspm.iam.policy import PolicyDocument, parse_policy

ARN = "arn:aws:iam::123456789012:role/ops"


def policy(name: str, *statements: dict[str, Any]) -> PolicyDocument:
    doc = parse_policy({"Version": "2012-10-17", "Statement": list(statements)})
    return PolicyDocument(doc.version, doc.statements, doc.id, name=name)


FULL_AWS_ACCESS = policy("p-FullAWSAccess", {"Effect": "Allow", "Action": "*", "Resource": "*"})
DENY_IAM_USERS = policy("p-deny-users", {"Effect": "Deny", "Action": "iam:CreateUser", "Resource": "*"})
ALLOW_S3_EC2 = policy("p-allow-list", {"Effect": "Allow", "Action": ["s3:*", "ec2:*"], "Resource": "*"})
ADMIN = policy("admin", {"Effect": "Allow", "Action": "*", "Resource": "*"})


def perms(*levels: tuple[str, tuple[PolicyDocument, ...]]) -> Any:
    guards = [Guardrail(label, docs) for label, docs in levels]
    return effective_permissions([ADMIN], principal_context=principal_context(ARN, "role"), guardrails=guards)


def test_without_scps_an_admin_stays_admin() -> None:
    assert perms().is_admin
    assert perms(("root r-1", (FULL_AWS_ACCESS,)), ("account 1", (FULL_AWS_ACCESS,))).is_admin


def test_a_deny_list_scp_cuts_admin_and_says_where() -> None:
    p = perms(("root r-1", (FULL_AWS_ACCESS,)), ("ou ou-1", (FULL_AWS_ACCESS, DENY_IAM_USERS)))
    assert not p.is_admin
    decision = p.allows("iam:CreateUser")
    assert decision.verdict is Verdict.DENIED and decision.blocked_by == ("ou ou-1",)
    assert [o.guardrail for o in decision.denied_by] == ["ou ou-1"]
    assert decision.denied_by[0].as_dict()["policy"] == "p-deny-users"
    assert p.allows("s3:GetObject").allowed


def test_an_allow_list_must_allow_at_every_level() -> None:
    # FullAWSAccess at the root, an allow list at the OU: only s3 and ec2 pass.
    p = perms(("root r-1", (FULL_AWS_ACCESS,)), ("ou ou-1", (ALLOW_S3_EC2,)), ("account 1", (FULL_AWS_ACCESS,)))
    assert p.allows("s3:PutObject").allowed and p.allows("ec2:RunInstances").allowed
    blocked = p.allows("iam:AttachRolePolicy")
    assert blocked.verdict is Verdict.NOT_ALLOWED and blocked.boundary_blocks and blocked.blocked_by == ("ou ou-1",)
    # A level with no SCP allowing anything (FullAWSAccess detached) blocks everything.
    assert (
        perms(
            ("root r-1", ()),
        )
        .allows("s3:GetObject")
        .verdict
        is Verdict.NOT_ALLOWED
    )


def test_set_algebra_agrees_with_single_decisions() -> None:
    from cspm.iam.actions import ActionSet

    p = perms(("root r-1", (FULL_AWS_ACCESS,)), ("ou ou-1", (ALLOW_S3_EC2, DENY_IAM_USERS)))
    universe = ActionSet(frozenset({"s3:GetObject", "ec2:RunInstances", "iam:CreateUser", "iam:PassRole"}))
    grants = p.grants(universe)
    assert grants.allowed == {a for a in universe.actions if p.allows(a).allowed}


def test_guards_alone_for_a_trust_naming_the_caller() -> None:
    p = perms(("root r-1", (ALLOW_S3_EC2,)))
    assert p.guards_allow("sts:AssumeRole", ARN) is Verdict.NOT_ALLOWED
    assert perms().guards_allow("sts:AssumeRole", ARN) is Verdict.ALLOWED


def test_a_level_shared_by_principals_answers_each_by_its_own_context() -> None:
    """Context-free levels are computed once for every principal (the bench's speed-up); a level
    with a condition on the principal is not shared: each principal gets its own answer."""
    from cspm.iam.actions import all_actions

    exempt = policy(
        "p-deny-unless-admin",
        {
            "Effect": "Deny",
            "Action": "iam:*",
            "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:PrincipalTag/team": "platform"}},
        },
    )
    shared = [Guardrail("root r-1", (FULL_AWS_ACCESS,)), Guardrail("ou ou-1", (FULL_AWS_ACCESS, exempt))]
    assert shared[0].context_free and not shared[1].context_free
    universe = all_actions()

    def grants(tags: dict[str, str]) -> frozenset[str]:
        context = principal_context(ARN, "role", tags=tags)
        return effective_permissions([ADMIN], principal_context=context, guardrails=shared).grants(universe).allowed

    def verdict(tags: dict[str, str], action: str) -> Verdict:
        context = principal_context(ARN, "role", tags=tags)
        return effective_permissions([ADMIN], principal_context=context, guardrails=shared).allows(action).verdict

    for _ in range(2):  # the second round reads what the first shared
        assert verdict({"team": "platform"}, "iam:CreateRole") is Verdict.ALLOWED
        assert verdict({"team": "ml"}, "iam:CreateRole") is Verdict.DENIED
        assert verdict({"team": "ml"}, "s3:GetObject") is Verdict.ALLOWED
    platform, other = grants({"team": "platform"}), grants({"team": "ml"})
    assert "iam:CreateRole" in platform and "iam:CreateRole" not in other
    assert grants({"team": "platform"}) == platform and grants({"team": "ml"}) == other  # repeated: same answers
    no_conditions = [Guardrail("root r-1", (FULL_AWS_ACCESS,)), Guardrail("ou ou-1", (FULL_AWS_ACCESS, DENY_IAM_USERS))]
    first = effective_permissions([ADMIN], guardrails=no_conditions).grants(universe).allowed
    again = effective_permissions([ADMIN], guardrails=no_conditions).grants(universe).allowed
    assert first == again and "iam:CreateUser" not in first and "iam:CreateRole" in first
