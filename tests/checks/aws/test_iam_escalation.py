"""Issue 12: escalation verdicts that match AWS, and the two escalation checks never disagree.

``*_cannot_escalate_privileges`` reports escalation methods; a method whose evidence says
``admin_for_self`` (matched on the principal's own ARN, groups or attached policies, or a new role
it creates) makes the principal admin-equivalent. ``*_cannot_reach_admin`` reports a path to an
admin-equivalent principal, ``path == []`` when the principal is one. **Disagree** means: an
``admin_for_self`` method with verdict ALLOWED while the reach check does not FAIL with ``path ==
[]`` (or is not N/A for an administrator), or the reach check says admin-equivalent while the
escalation check finds no ALLOWED ``admin_for_self`` method.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cspm.checks.aws import iam
from cspm.iam.inventory import clear_memo
from cspm.models import Result, Status
from cspm.resources.aws.iam import IamGroup, IamPolicy, IamRole, IamUser, InlinePolicy, PolicyAttachment

ACCOUNT = "123456789012"


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any = "*") -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource}


def arn(kind: str, name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:{kind}/{name}"


def policy(name: str, document: dict[str, Any]) -> IamPolicy:
    return IamPolicy(uid=arn("policy", name), name=name, account=ACCOUNT, document=document, attachment_count=1)


READ = policy("team-read", doc(allow("s3:GetObject", "arn:aws:s3:::team/*")))
S3_BOUNDARY = policy("s3-only", doc(allow("s3:*")))
IAM_BOUNDARY = policy("create-roles-only", doc(allow(["iam:CreateRole", "iam:PutRolePolicy"])))


def user(*statements: dict[str, Any], attached: tuple[IamPolicy, ...] = (), **fields: Any) -> IamUser:
    inline = (InlinePolicy(name="p", document=doc(*statements)),) if statements else ()
    attachments = tuple(PolicyAttachment(name=p.name, arn=p.uid) for p in attached)
    base: dict[str, Any] = {"uid": arn("user", "alice"), "name": "alice", "account": ACCOUNT}
    return IamUser(**{**base, "inline_policies": inline, "attached_policies": attachments, **fields})


def role(*statements: dict[str, Any], attached: tuple[IamPolicy, ...] = (), **fields: Any) -> IamRole:
    inline = (InlinePolicy(name="p", document=doc(*statements)),) if statements else ()
    attachments = tuple(PolicyAttachment(name=p.name, arn=p.uid) for p in attached)
    trust = doc({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"})
    base: dict[str, Any] = {"uid": arn("role", "worker"), "name": "worker", "account": ACCOUNT, "trust_policy": trust}
    return IamRole(**{**base, "inline_policies": inline, "attached_policies": attachments, **fields})


def group(name: str, *statements: dict[str, Any], attached: tuple[IamPolicy, ...] = ()) -> IamGroup:
    inline = (InlinePolicy(name="p", document=doc(*statements)),) if statements else ()
    attachments = tuple(PolicyAttachment(name=p.name, arn=p.uid) for p in attached)
    return IamGroup(
        uid=arn("group", name), name=name, account=ACCOUNT, inline_policies=inline, attached_policies=attachments
    )


POLICIES = [READ, S3_BOUNDARY, IAM_BOUNDARY]


def verdicts(
    principal: IamUser | IamRole | IamGroup, groups: list[IamGroup] | None = None, policies: list[IamPolicy] = POLICIES
) -> tuple[Result, Result]:
    """(``*_cannot_escalate_privileges``, ``*_cannot_reach_admin``) for a one-principal account."""
    clear_memo()
    groups = [principal] if isinstance(principal, IamGroup) else (groups or [])
    users = [principal] if isinstance(principal, IamUser) else []
    roles = [principal] if isinstance(principal, IamRole) else []
    if isinstance(principal, IamUser):
        escalate = iam.user_cannot_escalate_privileges(principal, policies, groups)
        reach = iam.user_cannot_reach_admin(principal, users, groups, roles, policies)
    elif isinstance(principal, IamRole):
        escalate = iam.role_cannot_escalate_privileges(principal, policies)
        reach = iam.role_cannot_reach_admin(principal, users, groups, roles, policies)
    else:
        escalate = iam.group_cannot_escalate_privileges(principal, policies)
        reach = iam.group_cannot_reach_admin(principal, users, groups, roles, policies)
    return escalate, reach


def self_admin_methods(escalate: Result) -> set[str]:
    return {
        m["method"]
        for m in (escalate.evidence or {}).get("methods", ())
        if m["admin_for_self"] and m["verdict"] == "ALLOWED"
    }


def admin_equivalent(reach: Result) -> bool:
    return reach.status is Status.FAIL and (reach.evidence or {}).get("path") == []


# --- 3. policy versions: on the principal's own policy, on policy/* --------------------------------


@pytest.mark.parametrize("action", ["iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion"])
@pytest.mark.parametrize("kind", ["user", "role"])
@pytest.mark.parametrize("resource", [READ.uid, arn("policy", "*"), "*"])
def test_policy_version_on_an_attached_policy_is_admin_equivalent(action: str, kind: str, resource: str) -> None:
    make = user if kind == "user" else role
    escalate, reach = verdicts(make(allow(action, resource), attached=(READ,)))
    method = "iam-create-policy-version" if action == "iam:CreatePolicyVersion" else "iam-set-default-policy-version"
    assert escalate.status is Status.FAIL and method in self_admin_methods(escalate)
    assert admin_equivalent(reach) and reach.evidence["admin_reasons"] == [action]


def test_policy_version_through_a_group_s_policy() -> None:
    team = group("team", attached=(READ,))
    member = user(allow("iam:CreatePolicyVersion", READ.uid), groups=("team",))
    escalate, reach = verdicts(member, [team])
    assert "iam-create-policy-version" in self_admin_methods(escalate)
    assert admin_equivalent(reach)


def test_policy_version_on_a_policy_attached_to_someone_else() -> None:
    other = policy("other-team", doc(allow("s3:GetObject", "arn:aws:s3:::other/*")))
    escalate, reach = verdicts(
        user(allow("iam:CreatePolicyVersion", other.uid), attached=(READ,)), policies=[READ, other]
    )
    assert escalate.status is Status.PASS  # not every policy, and not one of its own
    assert reach.status is Status.PASS


def test_policy_version_on_every_policy_without_one_attached_is_escalation_but_not_admin() -> None:
    escalate, reach = verdicts(user(allow("iam:CreatePolicyVersion", arn("policy", "*"))))
    assert escalate.status is Status.FAIL  # it may rewrite any principal's policy
    assert escalate.evidence["methods"][0]["admin_for_self"] is False
    assert reach.status is Status.PASS  # but none of its own: alone, it cannot become admin


# --- 4. a new role that trusts its creator ---------------------------------------------------------


@pytest.mark.parametrize(
    ("statements", "kind", "admin"),
    [
        ([allow(["iam:CreateRole", "iam:PutRolePolicy"])], "user", True),
        ([allow(["iam:CreateRole", "iam:AttachRolePolicy"], arn("role", "app-*"))], "user", True),
        ([allow(["iam:CreateRole", "iam:AttachRolePolicy"], arn("role", "app-*"))], "role", True),
        (
            [allow("iam:CreateRole", arn("role", "app-*")), allow("iam:PutRolePolicy", arn("role", "ops-*"))],
            "user",
            False,
        ),
        ([allow("iam:CreateRole")], "user", False),
        ([allow(["iam:CreateRole", "iam:PutRolePolicy"]), deny("sts:AssumeRole")], "user", False),
    ],
    ids=["put", "attach-scoped", "role-creator", "disjoint-names", "create-only", "assume-denied"],
)
def test_create_role_then_grant_it(statements: list[dict[str, Any]], kind: str, admin: bool) -> None:
    make = user if kind == "user" else role
    escalate, reach = verdicts(make(*statements))
    assert ("iam-create-role" in self_admin_methods(escalate)) is admin
    assert admin_equivalent(reach) is admin
    if admin:
        assert reach.evidence["admin_reasons"][0].startswith("iam:CreateRole+")


def test_create_role_under_a_permissions_boundary_condition_is_conditional() -> None:
    # AWS's delegation example: CreateRole only with iam:PermissionsBoundary set to a given policy.
    guarded = allow(
        ["iam:CreateRole", "iam:PutRolePolicy"],
        Condition={"StringEquals": {"iam:PermissionsBoundary": S3_BOUNDARY.uid}},
    )
    escalate, reach = verdicts(user(guarded))
    assert escalate.status is Status.FAIL and "when conditions hold" in escalate.message
    assert not admin_equivalent(reach)


def test_a_boundary_limits_a_role_s_own_assumption_but_not_a_user_s() -> None:
    """A trust naming a user ARN is not limited by an implicit deny of the user's boundary; one naming a
    role ARN is (the role's session is what asks)."""
    grant = allow(["iam:CreateRole", "iam:PutRolePolicy"], arn("role", "new-*"))  # not on itself
    as_user = user(grant, permissions_boundary=IAM_BOUNDARY.uid)
    as_role = role(grant, permissions_boundary=IAM_BOUNDARY.uid)
    assert admin_equivalent(verdicts(as_user)[1])
    escalate, reach = verdicts(as_role)
    assert "iam-create-role" not in self_admin_methods(escalate) and not admin_equivalent(reach)


# --- the two checks never disagree -------------------------------------------------------------------

STATEMENTS = [
    allow("iam:CreatePolicyVersion", READ.uid),
    allow("iam:SetDefaultPolicyVersion", arn("policy", "*")),
    allow("iam:CreatePolicyVersion", arn("policy", "other-*")),
    allow(["iam:CreateRole", "iam:PutRolePolicy"], arn("role", "new-*")),
    allow("iam:CreateRole"),
    allow("iam:AttachRolePolicy"),
    allow("iam:AttachRolePolicy", arn("role", "worker")),
    allow("iam:PutUserPolicy", "arn:aws:iam::*:user/${aws:username}"),
    allow("iam:AttachUserPolicy", arn("user", "*")),
    allow("iam:PutGroupPolicy", arn("group", "team")),
    allow("iam:AttachGroupPolicy", arn("group", "*")),
    allow("iam:AddUserToGroup", arn("group", "*")),
    allow("iam:CreatePolicyVersion", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
    allow(["iam:PassRole", "sagemaker:CreateTrainingJob"]),
    allow("sts:AssumeRole"),
    deny("sts:AssumeRole"),
    deny("iam:CreatePolicyVersion", READ.uid),
    allow("s3:GetObject"),
]


@st.composite
def principals(draw: st.DrawFn) -> tuple[IamUser | IamRole | IamGroup, list[IamGroup]]:
    kind = draw(st.sampled_from(["user", "role", "group"]))
    statements = draw(st.lists(st.sampled_from(STATEMENTS), min_size=1, max_size=4))
    attached = (READ,) if draw(st.booleans()) else ()
    boundary = draw(st.sampled_from([None, S3_BOUNDARY.uid, IAM_BOUNDARY.uid])) if kind != "group" else None
    team = group("team", attached=(READ,) if draw(st.booleans()) else ())
    if kind == "group":
        return group("team", *statements, attached=attached), []
    if kind == "role":
        return role(*statements, attached=attached, permissions_boundary=boundary), []
    in_team = ("team",) if draw(st.booleans()) else ()
    return user(*statements, attached=attached, permissions_boundary=boundary, groups=in_team), [team]


@settings(max_examples=int(os.environ.get("CSPM_IAM_FUZZ_EXAMPLES", "60")), deadline=None)
@given(principals())
def test_escalation_and_reach_checks_never_disagree(case: tuple[IamUser | IamRole | IamGroup, list[IamGroup]]) -> None:
    principal, groups = case
    escalate, reach = verdicts(principal, groups)
    if reach.status is None:  # an administrator: *_is_not_admin reports it
        return
    assert bool(self_admin_methods(escalate)) == admin_equivalent(reach), (escalate.evidence, reach.evidence)
    if admin_equivalent(reach):
        assert escalate.status is Status.FAIL
