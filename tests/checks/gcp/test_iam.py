"""IAM checks: principals of the project's IAM policy and service accounts with their keys.

A project whose IAM policy could not be read (403 on getIamPolicy) produces no principal; the
failure marks the kind incomplete and every principal check is ERROR through the engine
(``test_unreadable_policy_gives_error_naming_the_permission``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from cspm.checks.gcp import iam
from cspm.engine import Inventory, evaluate
from cspm.gcp_iam import role_snapshot
from cspm.models import Status
from cspm.registry import load_checks
from cspm.resources.gcp.iam import (
    GcpIamHierarchy,
    GcpPrincipal,
    GcpServiceAccount,
    NodePolicy,
    PolicyBinding,
    RoleDefinition,
    RoleGrant,
    ServiceAccountKey,
)
from cspm.resources.gcp.vertex import VertexCustomJob, VertexTrainingPipeline

NOW = datetime(2026, 12, 6, tzinfo=UTC)
SA = "serviceAccount:trainer@ml-project.iam.gserviceaccount.com"
COMPUTE = "serviceAccount:123456789012-compute@developer.gserviceaccount.com"
UNTIL = 'request.time < timestamp("2027-01-01T00:00:00Z")'


def _principal(member: str, *roles: str | tuple[str, str]) -> GcpPrincipal:
    grants = tuple(
        RoleGrant(role=r[0], condition=r[1], condition_title="until") if isinstance(r, tuple) else RoleGrant(role=r)
        for r in roles
    )
    kind = member.split(":", 1)[0] if ":" in member else member
    return GcpPrincipal(
        uid=f"//cloudresourcemanager.googleapis.com/projects/ml-project#{member}",
        name=member,
        account="ml-project",
        region="global",
        member=member,
        kind=kind,
        grants=grants,
    )


@pytest.mark.parametrize(
    ("check", "member", "roles", "expected"),
    [
        (iam.service_account_has_no_admin_role, SA, ("roles/aiplatform.user",), Status.PASS),
        (iam.service_account_has_no_admin_role, SA, ("roles/editor",), Status.FAIL),
        (iam.service_account_has_no_admin_role, SA, ("roles/owner",), Status.FAIL),
        (iam.service_account_has_no_admin_role, SA, ("roles/iam.securityAdmin",), Status.FAIL),
        (iam.service_account_has_no_admin_role, SA, (("roles/aiplatform.admin", UNTIL),), Status.FAIL),
        (iam.service_account_has_no_admin_role, "user:a@example.com", ("roles/owner",), None),
        (iam.human_has_no_basic_role, "user:a@example.com", ("roles/aiplatform.user",), Status.PASS),
        (iam.human_has_no_basic_role, "user:a@example.com", ("roles/editor",), Status.FAIL),
        (iam.human_has_no_basic_role, "group:ml@example.com", ("roles/owner",), Status.FAIL),
        (iam.human_has_no_basic_role, "domain:example.com", ("roles/viewer",), Status.PASS),
        (iam.human_has_no_basic_role, SA, ("roles/editor",), None),
        (iam.principal_is_not_public, "user:a@example.com", ("roles/owner",), Status.PASS),
        (iam.principal_is_not_public, "allUsers", ("roles/aiplatform.viewer",), Status.FAIL),
        (iam.principal_is_not_public, "allAuthenticatedUsers", ("roles/viewer",), Status.FAIL),
        (iam.default_compute_service_account_has_no_basic_role, COMPUTE, ("roles/aiplatform.user",), Status.PASS),
        (iam.default_compute_service_account_has_no_basic_role, COMPUTE, ("roles/editor",), Status.FAIL),
        (iam.default_compute_service_account_has_no_basic_role, SA, ("roles/editor",), None),
        (iam.principal_has_no_project_level_impersonation, "group:ml@example.com", ("roles/viewer",), Status.PASS),
        (iam.principal_has_no_project_level_impersonation, "group:ml@example.com",
         ("roles/iam.serviceAccountUser",), Status.FAIL),
        (iam.principal_has_no_project_level_impersonation, SA, ("roles/iam.serviceAccountTokenCreator",), Status.FAIL),
    ],
)  # fmt: skip
def test_principal_checks(check: Any, member: str, roles: tuple[Any, ...], expected: Status | None) -> None:
    result = check(_principal(member, *roles))
    assert result.status is expected, f"{member} {roles}: {result.message}"


def test_a_conditional_binding_is_judged_as_a_grant_and_says_so() -> None:
    result = iam.service_account_has_no_admin_role(_principal(SA, ("roles/editor", UNTIL)))
    assert result.status is Status.FAIL
    assert "conditional" in result.message
    assert result.evidence["grants"] == [{"role": "roles/editor", "condition": UNTIL, "condition_title": "until"}]


def _account(keys: tuple[ServiceAccountKey, ...] | None) -> GcpServiceAccount:
    email = "trainer@ml-project.iam.gserviceaccount.com"
    return GcpServiceAccount(
        uid=f"projects/ml-project/serviceAccounts/{email}",
        name=email,
        account="ml-project",
        region="global",
        email=email,
        user_managed_keys=keys,
    )


def _key(days_old: int | None, key_id: str = "k1") -> ServiceAccountKey:
    created = None if days_old is None else datetime.fromtimestamp(NOW.timestamp() - days_old * 86400, UTC)
    return ServiceAccountKey(id=key_id, valid_after=created)


@pytest.mark.parametrize(
    ("keys", "no_keys", "rotated"),
    [
        ((), Status.PASS, Status.PASS),
        ((_key(10),), Status.FAIL, Status.PASS),
        ((_key(10), _key(200, "k2")), Status.FAIL, Status.FAIL),
        ((_key(None),), Status.FAIL, Status.ERROR),
        (None, Status.ERROR, Status.ERROR),
    ],
)
def test_service_account_key_checks(keys: Any, no_keys: Status, rotated: Status) -> None:
    account = _account(keys)
    assert iam.service_account_has_no_user_managed_keys(account).status is no_keys
    assert iam.service_account_keys_rotated_within_90_days(account, NOW).status is rotated


def test_old_key_evidence_names_the_key_and_its_age() -> None:
    result = iam.service_account_keys_rotated_within_90_days(_account((_key(200, "old"), _key(3, "new"))), NOW)
    assert [(k["id"], k["age_days"]) for k in result.evidence["keys"]] == [("old", 200)]


def test_unreadable_policy_gives_error_naming_the_permission() -> None:
    specs = [s for s in load_checks(["gcp"]) if s.service == "iam"]
    inventory = Inventory()
    denied = "projects.getIamPolicy failed: Forbidden: lacks resourcemanager.projects.getIamPolicy"
    inventory.mark_incomplete(GcpPrincipal, "ml-project", "global", denied)
    inventory.add(_account(()))
    findings = evaluate(specs, inventory, NOW)
    principal_checks = {s.id for s in specs if s.resource_type is GcpPrincipal}
    errors = [f for f in findings if f.check_id in principal_checks]
    assert {f.check_id for f in errors} == principal_checks
    assert all(f.status is Status.ERROR and "resourcemanager.projects.getIamPolicy" in f.message for f in errors)
    assert {f.status for f in findings if f.check_id not in principal_checks} == {Status.PASS}


def test_disabled_keys_are_left_out_of_rotation_but_still_counted_as_keys() -> None:
    old_disabled = ServiceAccountKey(id="old", valid_after=datetime(2025, 1, 1, tzinfo=UTC), disabled=True)
    account = _account((old_disabled, _key(5, "new")))
    assert iam.service_account_keys_rotated_within_90_days(account, NOW).status is Status.PASS
    assert iam.service_account_has_no_user_managed_keys(account).status is Status.FAIL


# ---------------------------------------------------------------------------------------------
# Escalation: principal_cannot_escalate_privileges and the Vertex AI identity checks
# ---------------------------------------------------------------------------------------------

PROJECT_NODE = "projects/ml-project"
TRAINER = "trainer@ml-project.iam.gserviceaccount.com"
ADMIN_SA = "admin-bot@ml-project.iam.gserviceaccount.com"
ALICE = "user:alice@example.com"


def _hierarchy(
    *bindings: tuple[str, tuple[str, ...]],
    sa_policies: dict[str, tuple[tuple[str, tuple[str, ...]], ...] | None] | None = None,
    roles: dict[str, tuple[str, ...] | None] | None = None,
    inherited: tuple[NodePolicy, ...] = (),
    ancestry: tuple[str, ...] | None = (PROJECT_NODE,),
) -> GcpIamHierarchy:
    """A project's IAM: project bindings, service-account policies (None: unreadable), roles
    (default: every role named, from the bundled snapshot)."""
    sa_policies = sa_policies if sa_policies is not None else {TRAINER: (), ADMIN_SA: ()}
    project = NodePolicy(resource=PROJECT_NODE, bindings=tuple(PolicyBinding(role=r, members=m) for r, m in bindings))
    accounts = tuple(
        NodePolicy(
            resource=f"{PROJECT_NODE}/serviceAccounts/{email}",
            bindings=None if found is None else tuple(PolicyBinding(role=r, members=m) for r, m in found),
            error=None
            if found is not None
            else f"serviceAccounts.getIamPolicy of {email} failed (iam.serviceAccounts.getIamPolicy)",
        )
        for email, found in sa_policies.items()
    )
    names = {b.role for n in (project, *inherited, *accounts) for b in n.bindings or ()}
    if roles is None:
        roles = {name: role_snapshot.ROLES.get(name) for name in names}
    return GcpIamHierarchy(
        uid="//cloudresourcemanager.googleapis.com/projects/ml-project#iam",
        name=PROJECT_NODE,
        account="ml-project",
        ancestry=ancestry,
        policies=(project, *inherited),
        service_accounts=tuple(sa_policies),
        service_account_policies=accounts,
        roles=tuple(
            RoleDefinition(name=n, permissions=p, origin="snapshot" if p is not None else "unresolved")
            for n, p in roles.items()
        ),
    )


def _job(account: str | None) -> VertexCustomJob:
    name = "projects/123/locations/us-central1/customJobs/1"
    return VertexCustomJob(uid=name, name="train", account="ml-project", region="us-central1", service_account=account)


def _pipeline(account: str | None) -> VertexTrainingPipeline:
    name = "projects/123/locations/us-central1/trainingPipelines/1"
    return VertexTrainingPipeline(
        uid=name, name="p", account="ml-project", region="us-central1", service_account=account
    )


ADMIN_BOT = f"serviceAccount:{ADMIN_SA}"
TRAINER_MEMBER = f"serviceAccount:{TRAINER}"


@pytest.mark.parametrize(
    ("case", "hierarchy", "expected"),
    [
        ("no path", _hierarchy(("roles/aiplatform.user", (ALICE,)), ("roles/editor", (ADMIN_BOT,))), Status.PASS),
        (
            "actAs on an editor account + customJobs.create",
            _hierarchy(
                ("roles/aiplatform.user", (ALICE,)),
                ("roles/editor", (ADMIN_BOT,)),
                sa_policies={ADMIN_SA: (("roles/iam.serviceAccountUser", (ALICE,)),), TRAINER: ()},
            ),
            Status.FAIL,
        ),
        ("project IAM admin", _hierarchy(("roles/resourcemanager.projectIamAdmin", (ALICE,))), Status.FAIL),
        (
            "token creator on an owner account",
            _hierarchy(("roles/iam.serviceAccountTokenCreator", (ALICE,)), ("roles/owner", (ADMIN_BOT,))),
            Status.FAIL,
        ),
        (
            "a service account policy is unreadable",
            _hierarchy(("roles/aiplatform.user", (ALICE,)), sa_policies={ADMIN_SA: None}),
            Status.ERROR,
        ),
        (
            "an unknown custom role",
            _hierarchy(
                ("projects/ml-project/roles/mystery", (ALICE,)), roles={"projects/ml-project/roles/mystery": None}
            ),
            Status.ERROR,
        ),
        ("the ancestry is unknown", _hierarchy(("roles/viewer", (ALICE,)), ancestry=None), Status.ERROR),
    ],
)
def test_principal_cannot_escalate_privileges(case: str, hierarchy: GcpIamHierarchy, expected: Status) -> None:
    result = iam.principal_cannot_escalate_privileges(_principal(ALICE), hierarchy)
    assert result.status is expected, (case, result.message)


def test_escalation_evidence_is_the_path_with_its_bindings() -> None:
    hierarchy = _hierarchy(
        ("roles/aiplatform.user", (ALICE,)),
        ("roles/editor", (ADMIN_BOT,)),
        sa_policies={ADMIN_SA: (("roles/iam.serviceAccountUser", (ALICE,)),)},
    )
    result = iam.principal_cannot_escalate_privileges(_principal(ALICE), hierarchy)
    (escalation,) = result.evidence["escalations"]
    assert escalation["reaches_admin"] and escalation["gained"][0] == "roles/editor"
    assert "iam.serviceAccountKeys.create" in escalation["gained"]
    (step,) = escalation["path"]
    assert (step["from"], step["to"], step["method"]) == (ALICE, ADMIN_BOT, "act-as")
    assert step["permissions"] == ["iam.serviceAccounts.actAs", "aiplatform.customJobs.create"]
    assert {"role": "roles/iam.serviceAccountUser", "bound_on": f"{PROJECT_NODE}/serviceAccounts/{ADMIN_SA}"} in step[
        "grants"
    ]


def test_a_failing_path_is_reported_even_when_something_else_is_unreadable() -> None:
    hierarchy = _hierarchy(("roles/resourcemanager.projectIamAdmin", (ALICE,)), sa_policies={ADMIN_SA: None})
    assert iam.principal_cannot_escalate_privileges(_principal(ALICE), hierarchy).status is Status.FAIL


def test_an_owner_does_not_escalate_to_what_it_holds() -> None:
    hierarchy = _hierarchy(("roles/owner", (ALICE,)), ("roles/editor", (ADMIN_BOT,)))
    assert iam.principal_cannot_escalate_privileges(_principal(ALICE), hierarchy).status is Status.PASS


@pytest.mark.parametrize("check", [iam.custom_job_service_account_cannot_reach_project_admin])
@pytest.mark.parametrize(
    ("account", "hierarchy", "expected"),
    [
        (TRAINER, _hierarchy(("roles/aiplatform.user", (TRAINER_MEMBER,))), Status.PASS),
        (TRAINER, _hierarchy(("roles/editor", (TRAINER_MEMBER,))), Status.FAIL),
        (
            TRAINER,
            _hierarchy(("roles/iam.serviceAccountTokenCreator", (TRAINER_MEMBER,)), ("roles/owner", (ADMIN_BOT,))),
            Status.FAIL,
        ),
        (TRAINER, _hierarchy(("roles/aiplatform.user", (TRAINER_MEMBER,)), sa_policies={ADMIN_SA: None}), Status.ERROR),
        (None, _hierarchy(("roles/editor", (TRAINER_MEMBER,))), None),
    ],
)
def test_vertex_job_identity_checks(
    check: Any, account: str | None, hierarchy: GcpIamHierarchy, expected: Status
) -> None:
    assert iam.custom_job_service_account_cannot_reach_project_admin(_job(account), hierarchy).status is expected
    pipeline = iam.training_pipeline_service_account_cannot_reach_project_admin(_pipeline(account), hierarchy)
    assert pipeline.status is expected


def test_the_job_evidence_names_the_account_it_becomes() -> None:
    hierarchy = _hierarchy(("roles/iam.serviceAccountTokenCreator", (TRAINER_MEMBER,)), ("roles/owner", (ADMIN_BOT,)))
    result = iam.custom_job_service_account_cannot_reach_project_admin(_job(TRAINER), hierarchy)
    assert result.evidence["holder"] == ADMIN_BOT and result.evidence["holds"][0] == "roles/owner"
    assert [s["method"] for s in result.evidence["path"]] == ["token"]
    assert "can act as" in result.message


def test_many_unreadable_policies_give_one_short_message() -> None:
    accounts: dict[str, tuple[tuple[str, tuple[str, ...]], ...] | None] = {f"sa{i}@p.iam": None for i in range(60)}
    result = iam.principal_cannot_escalate_privileges(
        _principal(ALICE), _hierarchy(("roles/viewer", (ALICE,)), sa_policies=accounts)
    )
    assert result.status is Status.ERROR and "and 57 more" in result.message and len(result.message) < 600
    assert result.evidence["missing_count"] == 60 and len(result.evidence["missing"]) == 50
