"""The IAM collector's depth against the fake (``responses``, public hosts): the project's
ancestry, folder and organization policies (inherited, conditional, denied), service accounts'
own policies, role expansion (predefined, custom, unknown), the read-only guard of the new POST
reads, the permission list proven by the requests, and the demo project's escalation path."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from cspm.demo import gcp_iam
from cspm.demo.gcp import DEMO_PROJECT, DEMO_PROJECT_NUMBER, demo_project
from cspm.engine import Inventory, evaluate
from cspm.models import Finding, Status
from cspm.providers.gcp.context import is_read
from cspm.providers.gcp.iam import PRODUCES, SERVICE
from cspm.registry import load_checks
from cspm.resources.gcp.iam import GcpIamHierarchy, GcpPrincipal
from cspm.resources.gcp.vertex import VertexCustomJob
from support.gcp import PROJECT, FakeGcs, collect_gcp, project_policy, service_account

NOW = datetime(2026, 12, 6, tzinfo=UTC)
FOLDER, ORG = "folders/111", "organizations/222"
TRAINER = f"trainer@{PROJECT}.iam.gserviceaccount.com"
DEPLOYER = f"deployer@{PROJECT}.iam.gserviceaccount.com"
UNTIL = {"title": "until-2027", "expression": 'request.time < timestamp("2027-01-01T00:00:00Z")'}


def _fake() -> FakeGcs:
    fake = FakeGcs()
    fake.project_policies[PROJECT] = project_policy(
        ("roles/aiplatform.user", ["user:dev@example.com"]),
        ("roles/editor", [f"serviceAccount:{DEPLOYER}"]),
    )
    fake.service_accounts[PROJECT] = [service_account(TRAINER), service_account(DEPLOYER)]
    depth = fake.iam_depth
    depth.ancestors[PROJECT] = [FOLDER, ORG]
    depth.node_policies[FOLDER] = gcp_iam.policy(("roles/iam.serviceAccountUser", ["user:dev@example.com"], UNTIL))
    depth.node_policies[ORG] = gcp_iam.policy(("roles/resourcemanager.organizationAdmin", ["group:admins@example.com"]))
    return fake


def _findings(inventory: Inventory, name: str) -> dict[str, Finding]:
    specs = [s for s in load_checks(["gcp"]) if s.id.endswith(name)]
    return {f.resource_uid.rsplit("#", 1)[-1]: f for f in evaluate(specs, inventory, NOW)}


def test_inherited_and_conditional_bindings_reach_the_project() -> None:
    fake = _fake()
    inventory, _ = collect_gcp(fake, *PRODUCES)
    assert not inventory.errors and not fake.violations and inventory.complete
    (hierarchy,) = inventory.of_type(GcpIamHierarchy)
    assert hierarchy.ancestry == (f"projects/{PROJECT}", FOLDER, ORG)
    assert [p.resource for p in hierarchy.policies] == [f"projects/{PROJECT}", FOLDER, ORG]
    principals = {p.member: p for p in inventory.of_type(GcpPrincipal)}
    dev = principals["user:dev@example.com"]
    assert [(g.role, g.source, g.condition) for g in dev.grants] == [
        ("roles/aiplatform.user", None, None),
        ("roles/iam.serviceAccountUser", FOLDER, UNTIL["expression"]),
    ]
    assert principals["group:admins@example.com"].grants[0].source == ORG
    roles = {r.name: r for r in hierarchy.roles}
    assert roles["roles/iam.serviceAccountUser"].origin == "api"
    assert roles["roles/iam.serviceAccountUser"].permissions == ("iam.serviceAccounts.actAs",)

    found = _findings(inventory, "principal_cannot_escalate_privileges")
    dev_finding = found["user:dev@example.com"]
    assert dev_finding.status is Status.FAIL and "conditional" in dev_finding.message
    escalation = dev_finding.evidence["escalations"][0]
    assert escalation["path"][0]["to"] == f"serviceAccount:{DEPLOYER}" and escalation["conditional"]
    admins = found["group:admins@example.com"].evidence["escalations"][0]
    assert admins["kind"] == "set-iam-policy" and admins["grants"][0]["bound_on"] == ORG


@pytest.mark.parametrize(
    ("denied", "permission"),
    [
        (f"policy:{FOLDER}", "resourcemanager.folders.getIamPolicy"),
        (f"policy:{ORG}", "resourcemanager.organizations.getIamPolicy"),
        (f"ancestry:{PROJECT}", "resourcemanager.projects.get"),
    ],
)
def test_a_denied_ancestor_is_never_read_as_no_bindings(denied: str, permission: str) -> None:
    fake = _fake()
    fake.project_policies[PROJECT] = project_policy(("roles/viewer", ["user:reader@example.com"]))
    fake.iam_depth.denied.add(denied)
    inventory, _ = collect_gcp(fake, *PRODUCES)
    assert [e.code for e in inventory.errors] == ["Forbidden"]
    assert any(permission in reason for _, _, _, reason in inventory.incomplete_marks())
    found = _findings(inventory, "principal_cannot_escalate_privileges")
    reader = found["user:reader@example.com"]
    assert reader.status is Status.ERROR and permission in reader.message
    basic = _findings(inventory, "human_has_no_basic_role")
    unassessed = [f for uid, f in basic.items() if uid.endswith(":*")]
    assert unassessed and permission in unassessed[0].message


def test_an_unknown_custom_role_is_unresolved_and_errors() -> None:
    fake = _fake()
    ghost = f"projects/{PROJECT}/roles/ghost"
    fake.project_policies[PROJECT] = project_policy((ghost, ["user:odd@example.com"]))
    inventory, _ = collect_gcp(fake, *PRODUCES)
    assert [(e.operation, e.code) for e in inventory.errors] == [("roles.get", "NotFound")]
    (hierarchy,) = inventory.of_type(GcpIamHierarchy)
    role = next(r for r in hierarchy.roles if r.name == ghost)
    assert role.permissions is None and role.origin == "unresolved"
    odd = _findings(inventory, "principal_cannot_escalate_privileges")["user:odd@example.com"]
    assert odd.status is Status.ERROR and ghost in odd.message


def test_a_custom_role_is_read_and_its_holder_can_update_it() -> None:
    fake = _fake()
    custom = f"projects/{PROJECT}/roles/mlOps"
    fake.iam_depth.custom_roles[custom] = gcp_iam.role(custom, ["iam.roles.update", "aiplatform.endpoints.get"])
    fake.project_policies[PROJECT] = project_policy((custom, ["user:ops@example.com"]))
    inventory, _ = collect_gcp(fake, *PRODUCES)
    (hierarchy,) = inventory.of_type(GcpIamHierarchy)
    role = next(r for r in hierarchy.roles if r.name == custom)
    assert (role.permissions, role.permission_count, role.origin) == (("iam.roles.update",), 2, "api")
    ops = _findings(inventory, "principal_cannot_escalate_privileges")["user:ops@example.com"]
    assert ops.evidence["escalations"][0]["kind"] == "update-custom-role"


def test_a_denied_predefined_role_falls_back_to_the_snapshot_and_the_call_is_recorded() -> None:
    fake = _fake()
    fake.iam_depth.denied.add("role:roles/editor")
    inventory, _ = collect_gcp(fake, *PRODUCES)
    (hierarchy,) = inventory.of_type(GcpIamHierarchy)
    assert next(r for r in hierarchy.roles if r.name == "roles/editor").origin == "snapshot"
    assert [(e.operation, e.code) for e in inventory.errors] == [("roles.get", "Forbidden")]


def test_a_denied_service_account_policy_errors_the_job_check() -> None:
    fake = _fake()
    fake.iam_depth.denied.add(f"sa-policy:{DEPLOYER}")
    inventory, _ = collect_gcp(fake, *PRODUCES)
    assert [(e.operation, e.code) for e in inventory.errors] == [("serviceAccounts.getIamPolicy", "Forbidden")]
    (hierarchy,) = inventory.of_type(GcpIamHierarchy)
    from cspm.checks.gcp.iam import custom_job_service_account_cannot_reach_project_admin

    job = VertexCustomJob(uid="j", name="j", account=PROJECT, region="us-central1", service_account=TRAINER)
    result = custom_job_service_account_cannot_reach_project_admin(job, hierarchy)
    assert result.status is Status.ERROR and "iam.serviceAccounts.getIamPolicy" in result.message


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("POST", f"/v1/projects/{PROJECT}:getAncestry", True),
        ("POST", f"/v3/{FOLDER}:getIamPolicy", True),
        ("POST", f"/v3/{ORG}:getIamPolicy", True),
        ("POST", f"/v1/projects/{PROJECT}/serviceAccounts/{TRAINER}:getIamPolicy", True),
        ("POST", f"/v3/{FOLDER}:setIamPolicy", False),
        ("POST", f"/v3/{ORG}:setIamPolicy", False),
        ("POST", f"/v1/projects/{PROJECT}/serviceAccounts/{TRAINER}:setIamPolicy", False),
        ("POST", f"/v1/projects/{PROJECT}/serviceAccounts/{TRAINER}:signBlob", False),
        ("POST", f"/v1/projects/{PROJECT}/serviceAccounts/{TRAINER}/keys", False),
        ("POST", f"/v1/projects/{PROJECT}/roles", False),
        ("POST", "/v3/folders/abc:getIamPolicy", False),
        ("PATCH", f"/v1/projects/{PROJECT}/roles/x", False),
    ],
)
def test_the_read_only_guard_allows_only_the_new_reads(method: str, path: str, allowed: bool) -> None:
    assert is_read(method, f"https://iam.googleapis.com{path}") is allowed


_REQUEST_PERMISSIONS = [
    (re.compile(r"POST /v3/projects/[^/]+:getIamPolicy"), "resourcemanager.projects.getIamPolicy"),
    (re.compile(r"GET /v1/projects/[^/]+/serviceAccounts"), "iam.serviceAccounts.list"),
    (re.compile(r"GET /v1/projects/[^/]+/serviceAccounts/[^/]+/keys"), "iam.serviceAccountKeys.list"),
    *gcp_iam.PERMISSIONS_BY_ROUTE,
]


def test_every_request_is_covered_by_a_declared_permission_and_every_permission_is_used() -> None:
    fake = _fake()
    custom = f"organizations/{ORG.split('/')[1]}/roles/auditor"
    fake.iam_depth.custom_roles[custom] = gcp_iam.role(custom, [])
    fake.iam_depth.node_policies[ORG] = gcp_iam.policy((custom, ["group:audit@example.com"]))
    collect_gcp(fake, *PRODUCES)
    used = set()
    for method, path in fake.requests:
        if path.endswith("/token"):
            continue
        matched = [perm for pattern, perm in _REQUEST_PERMISSIONS if pattern.fullmatch(f"{method} {path}")]
        assert matched, f"{method} {path} maps to no permission"
        used.update(matched)
    assert used == set(SERVICE.permissions)


def test_the_demo_project_shows_one_escalation_path() -> None:
    fake = demo_project()
    inventory, _ = collect_gcp(fake, *PRODUCES, VertexCustomJob, projects=(DEMO_PROJECT,))
    assert not inventory.errors and inventory.complete
    found = _findings(inventory, "principal_cannot_escalate_privileges")
    failing = {uid for uid, f in found.items() if f.status is Status.FAIL}
    assert failing == {"user:notebook-user@acme.example"}
    (escalation,) = found["user:notebook-user@acme.example"].evidence["escalations"]
    (step,) = escalation["path"]
    assert step["method"] == "act-as"
    assert step["to"] == f"serviceAccount:{DEMO_PROJECT_NUMBER}-compute@developer.gserviceaccount.com"
    assert escalation["gained"][0] == "roles/editor" and escalation["reaches_admin"]
    jobs = {
        uid.rsplit("/", 1)[-1]: f.status
        for uid, f in _findings(inventory, "custom_job_service_account_cannot_reach_project_admin").items()
    }
    assert jobs["train-fraud"] is Status.PASS  # its dedicated account reaches no admin
    # any other job of the demo running as the default compute account (Editor) fails
    assert all(status is Status.FAIL for name, status in jobs.items() if name != "train-fraud")


class _Clients:
    def __init__(self) -> None:
        self.shared: dict[str, object] = {}


class _Context:
    """The two members of GcpContext that reading a role uses."""

    def __init__(self, answer: dict[str, object] | None) -> None:
        self.clients = _Clients()
        self.answer = answer
        self.calls: list[str] = []

    def rest_get(self, url: str, **_: object) -> dict[str, object] | None:
        self.calls.append(url)
        return self.answer


def test_a_role_is_read_once_per_scan_and_only_answers_are_remembered() -> None:
    from cspm.providers.gcp.iam import _role

    ctx = _Context({"name": "roles/x", "includedPermissions": ["iam.serviceAccounts.actAs"]})
    first, second = (_role(ctx, "https://iam", "roles/x") for _ in range(2))  # type: ignore[arg-type]
    assert first == second and first.origin == "api" and ctx.calls == ["https://iam/v1/roles/x"]
    failing = _Context(None)
    for _ in range(2):
        assert _role(failing, "https://iam", "roles/editor").origin == "snapshot"  # type: ignore[arg-type]
    assert len(failing.calls) == 2  # a failed read is tried again by the next project


def test_a_member_named_only_in_a_service_account_policy_is_a_judged_principal() -> None:
    fake = _fake()
    fake.iam_depth.sa_policies[DEPLOYER] = gcp_iam.policy(
        ("roles/iam.serviceAccountTokenCreator", ["user:ext@example.com"])
    )
    inventory, _ = collect_gcp(fake, *PRODUCES)
    ext = next(p for p in inventory.of_type(GcpPrincipal) if p.member == "user:ext@example.com")
    assert ext.grants == ()  # no role on the project itself
    found = _findings(inventory, "principal_cannot_escalate_privileges")["user:ext@example.com"]
    assert found.status is Status.FAIL
    step = found.evidence["escalations"][0]["path"][0]
    assert (step["method"], step["to"]) == ("token", f"serviceAccount:{DEPLOYER}")
    assert _findings(inventory, "principal_has_no_project_level_impersonation")["user:ext@example.com"].status is (
        Status.PASS
    )


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({}, (f"projects/{PROJECT}",)),
        (
            {
                "ancestor": [
                    {"resourceId": {"type": "project", "id": PROJECT}},
                    {"resourceId": {"type": "folder", "id": "1"}},
                    {"resourceId": {"type": "organization", "id": "2"}},
                ]
            },
            (f"projects/{PROJECT}", "folders/1", "organizations/2"),
        ),
        ({"ancestor": [{"resourceId": {"type": "folder", "id": "1"}}]}, None),  # must start at the project
        ({"ancestor": [{"resourceId": {"type": "project", "id": PROJECT}}, {"resourceId": {"type": "x"}}]}, None),
        ({"ancestor": ["junk"]}, None),
    ],
)
def test_the_ancestry_answer_is_read_strictly(answer: dict[str, object], expected: tuple[str, ...] | None) -> None:
    from cspm.providers.gcp.iam import ancestry_from_api

    assert ancestry_from_api(answer, PROJECT) == expected


def test_a_policy_answer_groups_members_by_role_and_condition() -> None:
    from cspm.providers.gcp.iam import node_policy

    raw = gcp_iam.policy(("roles/viewer", ["user:a@x", "user:b@x"]), ("roles/viewer", ["user:c@x"], UNTIL))
    found = node_policy(FOLDER, raw, "unused")
    assert found.bindings is not None
    assert [(b.role, b.members, b.condition) for b in found.bindings] == [
        ("roles/viewer", ("user:a@x", "user:b@x"), None),
        ("roles/viewer", ("user:c@x",), UNTIL["expression"]),
    ]
    failed = node_policy(
        FOLDER, None, "folders.getIamPolicy of folders/111 failed (resourcemanager.folders.getIamPolicy)"
    )
    assert failed.bindings is None and failed.error is not None and "resourcemanager.folders" in failed.error
