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
from cspm.models import Status
from cspm.registry import load_checks
from cspm.resources.gcp.iam import GcpPrincipal, GcpServiceAccount, RoleGrant, ServiceAccountKey

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
