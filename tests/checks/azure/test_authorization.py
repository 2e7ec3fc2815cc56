"""Azure RBAC checks: principals built from documented ARM bodies (the fake's builders) through the
collector's own translation, then judged. Unreadable RBAC is ERROR through the engine here and end
to end (naming the permission) in tests/providers/azure/test_authorization.py."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from cspm.checks.azure import authorization as rbac
from cspm.engine import Inventory, evaluate
from cspm.models import Status
from cspm.registry import load_checks
from cspm.resources.azure.authorization import RbacPrincipal
from support.azure import SUB, ai_account_id, principals, role_assignment, role_definition

SUB_SCOPE = f"/subscriptions/{SUB}"
RG_SCOPE = f"{SUB_SCOPE}/resourceGroups/ml-rg"
MG_SCOPE = "/providers/Microsoft.Management/managementGroups/ml-platform"
WILDCARD = role_definition("ml-admin", "ML admin", actions=["*"])
ROLE_WRITER = role_definition("rbac-writer", "RBAC writer", actions=["Microsoft.Authorization/*/write"])
MI_LAUNCHER = role_definition(
    "mi-launcher",
    "MI launcher",
    actions=["Microsoft.ManagedIdentity/userAssignedIdentities/*/action", "Microsoft.Compute/virtualMachines/*"],
)
BLOB_WRITER = role_definition(
    "blob-writer", "Blob writer", data_actions=["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*"]
)
CUSTOM = [WILDCARD, ROLE_WRITER, MI_LAUNCHER, BLOB_WRITER]


def principal(*assignments: tuple[str, str], principal_type: str = "ServicePrincipal", **kw: Any) -> RbacPrincipal:
    """One principal holding (role, scope) pairs."""
    raws = [role_assignment("p", role, scope, principal_type=principal_type, **kw) for role, scope in assignments]
    [found] = principals(raws, CUSTOM)
    return found


CONDITION = (
    "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR "
    "(@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] "
    "ForAnyOfAnyValues:GuidEquals {acdd72a7-3385-48ef-bd42-f606fba81ae7}))"
)


@pytest.mark.parametrize(
    ("check", "case", "subject", "expected"),
    [
        (rbac.principal_has_no_privileged_subscription_role, "reader", principal(("Reader", SUB_SCOPE)), Status.PASS),
        (
            rbac.principal_has_no_privileged_subscription_role,
            "contributor on a resource group",
            principal(("Contributor", RG_SCOPE)),
            Status.PASS,
        ),
        (
            rbac.principal_has_no_privileged_subscription_role,
            "contributor on the subscription",
            principal(("Contributor", SUB_SCOPE)),
            Status.FAIL,
        ),
        (
            rbac.principal_has_no_privileged_subscription_role,
            "owner on a management group",
            principal(("Owner", MG_SCOPE)),
            Status.FAIL,
        ),
        (
            rbac.principal_has_no_privileged_subscription_role,
            "user access administrator at the root",
            principal(("User Access Administrator", "/")),
            Status.FAIL,
        ),
        (
            rbac.principal_has_no_privileged_subscription_role,
            "owner held by a deleted (Unknown) principal",
            principal(("Owner", SUB_SCOPE), principal_type="Unknown"),
            Status.FAIL,
        ),
        (
            rbac.principal_has_no_privileged_subscription_role,
            "a user",
            principal(("Owner", SUB_SCOPE), principal_type="User"),
            None,
        ),
        (rbac.principal_has_no_wildcard_custom_role, "built-in owner", principal(("Owner", SUB_SCOPE)), Status.PASS),
        (rbac.principal_has_no_wildcard_custom_role, "custom *", principal(("ml-admin", RG_SCOPE)), Status.FAIL),
        (
            rbac.principal_has_no_broad_data_plane_role,
            "blob data owner on a resource group",
            principal(("Storage Blob Data Owner", RG_SCOPE)),
            Status.PASS,
        ),
        (
            rbac.principal_has_no_broad_data_plane_role,
            "blob data owner on the subscription",
            principal(("Storage Blob Data Owner", SUB_SCOPE)),
            Status.FAIL,
        ),
        (
            rbac.principal_has_no_broad_data_plane_role,
            "openai contributor on a management group",
            principal(("Cognitive Services OpenAI Contributor", MG_SCOPE)),
            Status.FAIL,
        ),
        (
            rbac.principal_has_no_broad_data_plane_role,
            "custom blob writer on the subscription",
            principal(("blob-writer", SUB_SCOPE)),
            Status.FAIL,
        ),
        (
            rbac.principal_has_no_broad_data_plane_role,
            "openai user on the subscription",
            principal(("Cognitive Services OpenAI User", SUB_SCOPE)),
            Status.PASS,
        ),
        (rbac.principal_cannot_escalate_privileges, "reader", principal(("Reader", SUB_SCOPE)), Status.PASS),
        (rbac.principal_cannot_escalate_privileges, "owner", principal(("Owner", RG_SCOPE)), Status.FAIL),
        (
            rbac.principal_cannot_escalate_privileges,
            "user access administrator",
            principal(("User Access Administrator", RG_SCOPE)),
            Status.FAIL,
        ),
        (
            rbac.principal_cannot_escalate_privileges,
            "contributor: identity assign + compute",
            principal(("Contributor", RG_SCOPE)),
            Status.FAIL,
        ),
        (
            rbac.principal_cannot_escalate_privileges,
            "custom role-definition writer",
            principal(("rbac-writer", RG_SCOPE)),
            Status.FAIL,
        ),
        (
            rbac.principal_cannot_escalate_privileges,
            "custom identity assign + vm create",
            principal(("mi-launcher", RG_SCOPE)),
            Status.FAIL,
        ),
        (
            rbac.principal_cannot_escalate_privileges,
            "openai contributor",
            principal(("Cognitive Services OpenAI Contributor", ai_account_id("a"))),
            Status.PASS,
        ),
        (
            rbac.principal_is_resolved,
            "Graph has it",
            principal(("Reader", SUB_SCOPE)).model_copy(update={"in_directory": True, "directory_type": "user"}),
            Status.PASS,
        ),
        (
            rbac.principal_is_resolved,
            "Graph does not have it: deleted, though ARM still says ServicePrincipal",
            principal(("Reader", SUB_SCOPE)).model_copy(update={"in_directory": False}),
            Status.FAIL,
        ),
        (
            rbac.principal_is_resolved,
            "Graph not asked, ARM type known: cannot tell",
            principal(("Reader", SUB_SCOPE)).model_copy(update={"directory_error": "Graph denied"}),
            Status.ERROR,
        ),
        (
            rbac.principal_is_resolved,
            "unknown type, Graph not asked",
            principal(("Reader", SUB_SCOPE), principal_type="Unknown"),
            Status.FAIL,
        ),
        (
            rbac.principal_is_resolved,
            "foreign group",
            principal(("Reader", SUB_SCOPE), principal_type="ForeignGroup"),
            None,
        ),
    ],
)
def test_principal_checks(check: Any, case: str, subject: RbacPrincipal, expected: Status | None) -> None:
    result = check(subject)
    assert result.status is expected, f"{case}: {result.message}"


def test_escalation_evidence_names_the_method_and_the_role() -> None:
    result = rbac.principal_cannot_escalate_privileges(principal(("Contributor", SUB_SCOPE)))
    [path] = result.evidence["paths"]
    assert path["method"].startswith("Microsoft.ManagedIdentity/userAssignedIdentities/assign/action")
    assert path["via"] == [{"role": "Contributor", "scope": SUB_SCOPE, "scope_level": "subscription"}]
    assert "Microsoft.Compute/virtualMachines/write" in path["compute"]


def test_a_conditioned_role_assignment_write_is_constrained_delegation() -> None:
    """RBAC Administrator with a condition limiting the roles it may assign: that path is not counted."""
    raw = role_assignment("p", "User Access Administrator", RG_SCOPE, condition=CONDITION)
    [subject] = principals([raw])
    result = rbac.principal_cannot_escalate_privileges(subject)
    methods = [p["method"] for p in result.evidence.get("paths", [])]
    assert "Microsoft.Authorization/roleAssignments/write" not in methods


def test_an_assignment_of_an_unlisted_role_is_not_a_grant() -> None:
    """A role definition the subscription does not list (deleted custom role): nothing is granted,
    the assignment is still shown."""
    [subject] = principals([role_assignment("p", "0badc0de-0000-0000-0000-000000000000", SUB_SCOPE)])
    assert subject.assignments[0].role is None
    assert rbac.principal_cannot_escalate_privileges(subject).status is Status.PASS


def test_unreadable_rbac_gives_error_for_every_check() -> None:
    specs = [s for s in load_checks(["azure"]) if s.service == "authorization"]
    inventory = Inventory()
    inventory.mark_incomplete(
        RbacPrincipal, SUB, "global", "RoleAssignments_ListForSubscription failed; reading RBAC needs X"
    )
    findings = evaluate(specs, inventory, datetime(2026, 1, 1, tzinfo=UTC))
    assert {f.check_id for f in findings} == {s.id for s in specs}
    assert {f.status for f in findings} == {Status.ERROR}


def test_the_directory_lookup_decides_which_principals_exist() -> None:
    """principals_from_arm with Graph's answer: found, missing, foreign group and not asked."""
    raws = [
        role_assignment("a", "Reader", SUB_SCOPE, principal_type="User"),
        role_assignment("b", "Reader", SUB_SCOPE, principal_type="User"),
        role_assignment("c", "Reader", SUB_SCOPE, principal_type="ForeignGroup"),
    ]
    found = {p.principal_id: p for p in principals(raws, directory={"a": "user"})}
    assert (found["a"].in_directory, found["a"].directory_type) == (True, "user")
    assert found["b"].in_directory is False
    assert found["c"].in_directory is None and "another tenant" in (found["c"].directory_error or "")
    unasked = {p.principal_id: p for p in principals(raws, directory_error="403 from Graph")}
    assert unasked["a"].in_directory is None and unasked["a"].directory_error == "403 from Graph"
    assert rbac.principal_is_resolved(unasked["a"]).status is Status.ERROR
