"""The IAM collector (Resource Manager v3 getIamPolicy, IAM service accounts and keys) by plain
REST through google-auth's read-only session, against the fake (``responses``, public hosts)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cspm.engine import evaluate
from cspm.models import Status
from cspm.providers.gcp.context import GcpClients, ReadOnlyViolation, is_read
from cspm.providers.gcp.iam import PRODUCES
from cspm.registry import load_checks
from cspm.resources.gcp.iam import GcpPrincipal, GcpServiceAccount
from support.gcp import (
    PROJECT,
    PROJECT_NUMBER,
    FakeGcs,
    collect_gcp,
    fake_credentials,
    mounted,
    project_policy,
    service_account,
    service_account_key,
)

NOW = datetime(2026, 12, 6, tzinfo=UTC)
TRAINER = f"trainer@{PROJECT}.iam.gserviceaccount.com"
COMPUTE = f"{PROJECT_NUMBER}-compute@developer.gserviceaccount.com"
UNTIL = {"title": "until-2027", "expression": 'request.time < timestamp("2027-01-01T00:00:00Z")'}


def _fake(page_size: int = 1000) -> FakeGcs:
    fake = FakeGcs(page_size=page_size)
    fake.project_policies[PROJECT] = project_policy(
        ("roles/owner", ["user:lead@example.com"]),
        ("roles/editor", [f"serviceAccount:{COMPUTE}", "user:lead@example.com"]),
        ("roles/aiplatform.admin", [f"serviceAccount:{TRAINER}"], UNTIL),
        ("roles/iam.serviceAccountUser", ["group:ml@example.com"]),
        ("roles/aiplatform.viewer", ["allUsers"]),
    )
    fake.service_accounts[PROJECT] = [service_account(COMPUTE), service_account(TRAINER)]
    fake.sa_keys[TRAINER] = [
        service_account_key(TRAINER, "old", "2026-01-02T03:04:05Z"),
        service_account_key(TRAINER, "new", "2026-11-30T00:00:00Z"),
    ]
    return fake


def test_principals_and_service_accounts_are_collected() -> None:
    fake = _fake(page_size=1)
    inventory, _ = collect_gcp(fake, *PRODUCES)
    assert not inventory.errors and not fake.violations
    principals = {p.member: p for p in inventory.of_type(GcpPrincipal)}
    assert set(principals) == {
        "user:lead@example.com",
        f"serviceAccount:{COMPUTE}",
        f"serviceAccount:{TRAINER}",
        "group:ml@example.com",
        "allUsers",
    }
    assert [g.role for g in principals["user:lead@example.com"].grants] == ["roles/owner", "roles/editor"]
    grant = principals[f"serviceAccount:{TRAINER}"].grants[0]
    assert (grant.condition, grant.condition_title) == (UNTIL["expression"], "until-2027")
    assert principals["allUsers"].kind == "allUsers"
    accounts = {a.email: a for a in inventory.of_type(GcpServiceAccount)}  # two pages of one
    assert accounts[COMPUTE].user_managed_keys == ()
    keys = accounts[TRAINER].user_managed_keys
    assert keys is not None and [k.id for k in keys] == ["old", "new"]
    assert keys[0].valid_after == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    # the POSTs are the reads Google defines as POSTs: the project's policy and ancestry, and
    # each service account's policy (tests/providers/gcp/test_iam_hierarchy.py covers the rest)
    posts = sorted(p for m, p in fake.requests if m == "POST" and not p.endswith("/token"))
    assert posts == sorted(
        [
            f"/v3/projects/{PROJECT}:getIamPolicy",
            f"/v1/projects/{PROJECT}:getAncestry",
            f"/v1/projects/{PROJECT}/serviceAccounts/{COMPUTE}:getIamPolicy",
            f"/v1/projects/{PROJECT}/serviceAccounts/{TRAINER}:getIamPolicy",
        ]
    )


def test_findings_of_the_collected_project() -> None:
    inventory, _ = collect_gcp(_fake(), *PRODUCES)
    specs = [s for s in load_checks(["gcp"]) if s.service == "iam"]
    found = {
        (f.check_id.rsplit(".", 1)[-1], f.resource_uid.rsplit("#", 1)[-1]): f for f in evaluate(specs, inventory, NOW)
    }
    assert (
        found[("default_compute_service_account_has_no_basic_role", f"serviceAccount:{COMPUTE}")].status is Status.FAIL
    )
    admin = found[("service_account_has_no_admin_role", f"serviceAccount:{TRAINER}")]
    assert admin.status is Status.FAIL and "conditional" in admin.message
    assert found[("principal_is_not_public", "allUsers")].status is Status.FAIL
    assert found[("principal_has_no_project_level_impersonation", "group:ml@example.com")].status is Status.FAIL
    assert found[("human_has_no_basic_role", "user:lead@example.com")].status is Status.FAIL
    rotated = found[("service_account_keys_rotated_within_90_days", f"projects/{PROJECT}/serviceAccounts/{TRAINER}")]
    assert rotated.status is Status.FAIL and [k["id"] for k in rotated.evidence["keys"]] == ["old"]


def test_a_denied_policy_errors_the_principal_checks_and_the_rest_is_judged() -> None:
    fake = _fake()
    fake.denied.add(f"getIamPolicy:{PROJECT}")
    inventory, _ = collect_gcp(fake, *PRODUCES)
    assert inventory.of_type(GcpPrincipal) == []
    assert [(e.operation, e.code) for e in inventory.errors] == [("projects.getIamPolicy", "Forbidden")]
    assert "resourcemanager.projects.getIamPolicy" in inventory.errors[0].message
    specs = [s for s in load_checks(["gcp"]) if s.service == "iam"]
    findings = evaluate(specs, inventory, NOW)
    on_principals = [f for f in findings if f.resource_type == "gcp.iam.principal"]
    assert on_principals and {f.status for f in on_principals} == {Status.ERROR}
    assert all("resourcemanager.projects.getIamPolicy" in f.message for f in on_principals)
    keys = [f for f in findings if f.check_id.endswith("service_account_has_no_user_managed_keys")]
    assert {f.status for f in keys} == {Status.PASS, Status.FAIL}


def test_denied_keys_leave_that_account_unreadable() -> None:
    fake = _fake()
    fake.denied.add(f"keys:{TRAINER}")
    inventory, _ = collect_gcp(fake, *PRODUCES)
    accounts = {a.email: a for a in inventory.of_type(GcpServiceAccount)}
    assert accounts[TRAINER].user_managed_keys is None and accounts[COMPUTE].user_managed_keys == ()
    assert [e.operation for e in inventory.errors] == ["serviceAccounts.keys.list"]


@pytest.mark.parametrize(
    ("method", "url", "allowed"),
    [
        ("GET", "https://iam.googleapis.com/v1/projects/p/serviceAccounts", True),
        ("POST", "https://cloudresourcemanager.googleapis.com/v3/projects/p-1:getIamPolicy", True),
        ("POST", "https://cloudresourcemanager.googleapis.com/v3/projects/p-1:setIamPolicy", False),
        ("POST", "https://cloudresourcemanager.googleapis.com/v3/projects/p/x:getIamPolicy", False),
        ("POST", "https://cloudresourcemanager.googleapis.com/v3/projects/p:getIamPolicyX", False),
        ("PATCH", "https://cloudresourcemanager.googleapis.com/v3/projects/p:getIamPolicy", False),
        ("POST", "https://iam.googleapis.com/v1/projects/p/serviceAccounts", False),
    ],
)
def test_the_read_only_session_allows_exactly_the_get_iam_policy_post(method: str, url: str, allowed: bool) -> None:
    assert is_read(method, url) is allowed


def test_set_iam_policy_is_refused_before_it_is_sent() -> None:
    fake = _fake()
    session = GcpClients(fake_credentials(), retry_deadline=None).session
    with mounted(fake), pytest.raises(ReadOnlyViolation, match="setIamPolicy"):
        session.post(f"https://cloudresourcemanager.googleapis.com/v3/projects/{PROJECT}:setIamPolicy", json={})
    assert fake.requests == []
