"""The organization's SCPs as guard layers (cspm.iam.organization) and the checks' rule for them:
a FAIL in an account where an applicable SCP could not be read is ERROR; a PASS stays."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cspm.checks.aws.iam import role_cannot_escalate_privileges, role_is_not_admin
from cspm.iam.inventory import clear_memo
from cspm.iam.organization import NOT_READ, org_guard, scp_cuts
from cspm.models import Status
from cspm.resources.aws.iam import IamRole, InlinePolicy
from cspm.resources.aws.organizations import OrgLevel, OrgPolicies, OrgPolicy

ACCOUNT = "111111111111"
ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
DENY_IAM = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "iam:*", "Resource": "*"}]}
READ = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
FULL = OrgPolicy(id="p-FullAWSAccess", name="FullAWSAccess", aws_managed=True, document=ALLOW_ALL)
DENY = OrgPolicy(id="p-denyiam1", name="DenyIAM", document=DENY_IAM)


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    clear_memo()
    yield
    clear_memo()


def org(*levels: OrgLevel, **fields: Any) -> OrgPolicies:
    values: dict[str, Any] = {
        "uid": f"arn:aws:organizations:::policies/{ACCOUNT}",
        "name": ACCOUNT,
        "account": ACCOUNT,
        "state": "read",
        "management_account": "999999999999",
        "scp_enabled": True,
        "rcp_enabled": False,
        "levels": levels,
        **fields,
    }
    return OrgPolicies(**values)


def chain(ou: tuple[OrgPolicy, ...] | None, error: str | None = None) -> tuple[OrgLevel, ...]:
    return (
        OrgLevel(kind="root", id="r-1", scps=(FULL,)),
        OrgLevel(kind="ou", id="ou-1-ml", name="ml", scps=ou, error=error),
        OrgLevel(kind="account", id=ACCOUNT, scps=(FULL,)),
    )


def role(name: str, document: dict[str, Any] = ALLOW_ALL, path: str = "/") -> IamRole:
    return IamRole(
        uid=f"arn:aws:iam::{ACCOUNT}:role/{name}",
        name=name,
        account=ACCOUNT,
        path=path,
        trust_policy={"Version": "2012-10-17", "Statement": []},
        inline_policies=(InlinePolicy(name="access", document=document),),
    )


# -- the guard ----------------------------------------------------------------------------------------


def test_every_readable_level_is_a_guard_layer() -> None:
    guard = org_guard([org(*chain((FULL, DENY)))])
    assert [g.label for g in guard.scps] == ["root r-1", "ou ou-1-ml (ml)", f"account {ACCOUNT}"]
    assert [d.name for d in guard.scps[1].policies] == ["p-FullAWSAccess (FullAWSAccess)", "p-denyiam1 (DenyIAM)"]
    assert guard.applied and not guard.uncertain


@pytest.mark.parametrize(
    ("snapshots", "note"),
    [
        ([], "were not read"),
        ([org(state="not_requested", reason="not read: --scp")], "--scp"),
        ([org(state="unavailable", reason="not a member of an organization")], "not a member"),
        ([org(management_account=ACCOUNT)], "management account"),
        ([org(*chain((FULL,)), scp_enabled=False)], "not enabled"),
    ],
)
def test_no_layers_when_scps_do_not_apply_or_were_not_read(snapshots: list[OrgPolicies], note: str) -> None:
    guard = org_guard(snapshots)
    assert guard.scps == () and not guard.uncertain
    assert note in guard.evidence()["note"]


@pytest.mark.parametrize(
    ("ou", "error", "problem"),
    [
        (None, "ListPoliciesForTarget: AccessDenied", "the SCPs attached to ou ou-1-ml (ml) could not be listed"),
        ((FULL, DENY.model_copy(update={"document": None, "error": "DescribePolicy failed: AccessDenied"})), None,
         "SCP p-denyiam1 (DenyIAM) at ou ou-1-ml (ml) could not be read"),
        ((FULL, DENY.model_copy(update={"document": {"Statement": "nope"}})), None,
         "SCP p-denyiam1 (DenyIAM) at ou ou-1-ml (ml) is not a valid policy"),
    ],
)  # fmt: skip
def test_an_unreadable_level_is_left_out_and_named(
    ou: tuple[OrgPolicy, ...] | None, error: str | None, problem: str
) -> None:
    guard = org_guard([org(*chain(ou, error))])
    assert [g.label for g in guard.scps] == ["root r-1", f"account {ACCOUNT}"]  # the others still apply
    assert guard.uncertain and guard.problems[0].startswith(problem)


def test_unread_parents_leave_nothing_applied_and_everything_uncertain() -> None:
    guard = org_guard([org(levels=None, reason="the parents of account 1 could not be read (ListParents: X)")])
    assert guard.scps == () and guard.uncertain and not guard.applied


def test_scp_cuts_names_the_level_and_the_denying_policy() -> None:
    from cspm.iam.evaluate import effective_permissions
    from cspm.iam.policy import parse_policy

    guard = org_guard([org(*chain((FULL, DENY)))])
    perms = effective_permissions([parse_policy(ALLOW_ALL)], guardrails=guard.scps)
    [cut] = scp_cuts(perms)
    assert cut["level"] == "ou ou-1-ml (ml)" and cut["denied_by"] == ["p-denyiam1 (DenyIAM)"]
    assert cut["blocked_actions"] > 100 and all(a.startswith("iam:") for a in cut["actions"])


def test_the_default_is_not_read() -> None:
    assert org_guard([]) is NOT_READ


# -- the checks' rule -----------------------------------------------------------------------------------


def test_a_cut_admin_passes_and_says_which_scp_cut_it() -> None:
    result = role_is_not_admin(role("ops"), [], [org(*chain((FULL, DENY)))])
    assert result.status is Status.PASS
    assert result.evidence["cut_by_scps"][0]["denied_by"] == ["p-denyiam1 (DenyIAM)"]


def test_an_unreadable_scp_turns_a_fail_into_an_error_and_a_pass_stays() -> None:
    unreadable = [org(*chain(None, "ListPoliciesForTarget: AccessDenied"))]
    admin = role_is_not_admin(role("ops"), [], unreadable)
    assert admin.status is Status.ERROR
    assert admin.message.startswith("Could not assess: the SCPs attached to ou ou-1-ml (ml) could not be listed")
    assert "holds administrator access" in admin.message  # what the verdict would be without it
    assert role_is_not_admin(role("reader", READ), [], unreadable).status is Status.PASS
    assert role_cannot_escalate_privileges(role("reader", READ), [], unreadable).status is Status.PASS


def test_a_service_linked_role_ignores_scps() -> None:
    linked = role("AWSServiceRoleForX", path="/aws-service-role/x.amazonaws.com/")
    assert role_is_not_admin(linked, [], [org(*chain((FULL, DENY)))]).status is None  # not applicable


def test_without_organization_data_the_evidence_says_scps_were_not_applied() -> None:
    result = role_is_not_admin(role("ops"), [])
    assert result.status is Status.FAIL and result.evidence["scps"]["applied"] is False
