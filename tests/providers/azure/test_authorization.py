"""The RBAC collector through azure-core's real ARM pipeline against the fake ARM (``responses``),
and the common setup where the caller reads resources but not role assignments."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from cspm.engine import evaluate
from cspm.models import Status
from cspm.providers import azure
from cspm.providers.azure.authorization import API_VERSION, scope_level
from cspm.registry import load_checks
from cspm.resources.azure.authorization import OWNER, RbacPrincipal
from support.aws import one
from support.azure import (
    SUB,
    FakeArm,
    ai_account_id,
    arm_error,
    collect_azure,
    hardened_ai_account,
    hardened_workspace,
    role_assignment,
    role_definition,
)

SUB_SCOPE = f"/subscriptions/{SUB}"
MG_SCOPE = "/providers/Microsoft.Management/managementGroups/ml-platform"


def test_principals_group_their_assignments_with_resolved_roles() -> None:
    fake = FakeArm(page_size=2)
    fake.add_rbac(
        SUB,
        [
            role_assignment("ai-principal", "Contributor", SUB_SCOPE),
            role_assignment("ai-principal", "Storage Blob Data Owner", f"{SUB_SCOPE}/resourceGroups/ml-rg"),
            role_assignment("ops", "Owner", MG_SCOPE, principal_type="Group"),
            role_assignment("ghost", "c0ffee00-0000-0000-0000-000000000000", SUB_SCOPE, principal_type="Unknown"),
            role_assignment("dev", "ml-admin", ai_account_id("a"), principal_type="User"),
        ],
        [role_definition("ml-admin", "ML admin", actions=["*"])],
    )
    inventory, _ = collect_azure(fake, RbacPrincipal)

    assert not inventory.errors and not fake.violations
    ai = one(inventory, RbacPrincipal, "ai-principal")
    assert ai.principal_type == "ServicePrincipal" and ai.account == SUB
    assert ai.uid == f"{SUB_SCOPE}/providers/Microsoft.Authorization/principals/ai-principal"
    assert [(a.role_name, a.scope_level) for a in ai.assignments] == [
        ("Contributor", "subscription"),
        ("Storage Blob Data Owner", "resource_group"),
    ]
    contributor = ai.assignments[0].role
    assert contributor is not None and contributor.grants("Microsoft.Compute/virtualMachines/write")
    assert not contributor.grants("Microsoft.Authorization/roleAssignments/write")  # notActions, any case
    ops = one(inventory, RbacPrincipal, "ops")
    assert ops.assignments[0].role_definition_id == OWNER and ops.assignments[0].scope_level == "management_group"
    ghost = one(inventory, RbacPrincipal, "ghost")
    assert ghost.principal_type == "Unknown" and ghost.assignments[0].role is None  # definition not listed
    dev = one(inventory, RbacPrincipal, "dev")
    role = dev.assignments[0].role
    assert role is not None and role.custom and role.actions == ("*",) and dev.assignments[0].scope_level == "resource"


@pytest.mark.parametrize("count", [40, 1001])
def test_requests_per_subscription_are_two_plus_one_graph_lookup_per_thousand_principals(count: int) -> None:
    fake = FakeArm(page_size=5000)  # one page of assignments: the Graph batches are what is counted
    fake.add_rbac(SUB, [role_assignment(f"p{i}", "Reader", SUB_SCOPE) for i in range(count)])
    inventory, _ = collect_azure(fake, RbacPrincipal)
    principals = inventory.of_type(RbacPrincipal)
    assert len(principals) == count and all(p.in_directory for p in principals)
    paths = [p for _, p in fake.requests]
    assert paths == [
        f"{SUB_SCOPE}/providers/Microsoft.Authorization/roleAssignments",
        f"{SUB_SCOPE}/providers/Microsoft.Authorization/roleDefinitions",
        *["/v1.0/directoryObjects/getByIds"] * (1 if count <= 1000 else 2),
    ]
    assert API_VERSION == "2022-04-01"


def test_scope_levels() -> None:
    assert scope_level("/") == "root"
    assert scope_level(MG_SCOPE) == "management_group"
    assert scope_level(SUB_SCOPE) == "subscription"
    assert scope_level(f"{SUB_SCOPE}/resourceGroups/rg") == "resource_group"
    assert scope_level(ai_account_id("a")) == "resource"


class NoRoleAssignmentsArm(FakeArm):
    """A Reader-like caller denied Microsoft.Authorization/roleAssignments/read, answered as ARM does."""

    def handle(self, method: str, url: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
        if "/providers/microsoft.authorization/roleassignments" in url.lower():
            self.requests.append((method, url))
            return 403, arm_error(
                "AuthorizationFailed",
                "The client 'scanner' with object id 'x' does not have authorization to perform action "
                f"'Microsoft.Authorization/roleAssignments/read' over scope '{SUB_SCOPE}' or the scope is invalid.",
            )
        return super().handle(method, url, headers, body)


def test_unreadable_role_assignments_make_rbac_checks_error_and_the_rest_is_judged() -> None:
    fake = NoRoleAssignmentsArm()
    fake.add_ai_account(hardened_ai_account("ai", principal_id="ai-principal"))
    fake.add_workspace(hardened_workspace("ws"))
    types = {t for name in azure.SERVICE_MODULES for t in azure.service_spec(name).produces}
    inventory, _ = collect_azure(fake, *types)
    [error] = inventory.errors
    assert (error.operation, error.code) == ("RoleAssignments_ListForSubscription", "AuthorizationFailed")
    assert "Microsoft.Authorization/roleAssignments/read" in error.message

    findings = evaluate(load_checks(["azure"]), inventory, datetime(2026, 1, 1, tzinfo=UTC))
    rbac = [f for f in findings if f.check_id.startswith("azure.authorization.") or "identity_is_not" in f.check_id]
    assert {f.check_id for f in rbac} >= {
        "azure.authorization.principal_cannot_escalate_privileges",
        "azure.cognitiveservices.account_identity_is_not_privileged",
        "azure.ml.workspace_identity_is_not_privileged",
    }
    assert {f.status for f in rbac} == {Status.ERROR}
    assert all("Microsoft.Authorization/roleAssignments/read" in f.message for f in rbac)
    others = [f for f in findings if f not in rbac]
    assert others and {f.status for f in others} <= {Status.PASS, Status.FAIL}
