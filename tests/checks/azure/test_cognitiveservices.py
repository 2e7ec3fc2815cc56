"""AI Services checks: a table of (case, snapshot, expected status) per check.

Account properties come from one listing (an unlisted account gives ERROR through the engine:
``test_unlisted_accounts_and_deployments_give_error_for_every_check``); RAI policies and
diagnostic settings come from further calls and have their own unreadable (None) cases.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from cspm.checks.azure import cognitiveservices as cs
from cspm.engine import Inventory, evaluate
from cspm.models import Status
from cspm.providers.azure.cognitiveservices import rai_policy_from_arm, resolve_rai_policy
from cspm.registry import load_checks
from cspm.resources.azure.cognitiveservices import (
    AiDeployment,
    AiServicesAccount,
    DiagnosticSetting,
    ManagedIdentity,
    RaiPolicy,
)
from cspm.resources.azure.network import PrivateEndpointConnection
from support.azure import default_rai_policies, principals, rai_policy, role_assignment

SUB = "00000000-0000-0000-0000-000000000001"
ACCOUNT_ID = f"/subscriptions/{SUB}/resourceGroups/ai-rg/providers/Microsoft.CognitiveServices/accounts/ai"
AUDIT = DiagnosticSetting(name="to-law", category_groups=("audit",), destinations=("workspace",))


def account(**fields: Any) -> AiServicesAccount:
    """A hardened, fully readable account; override fields per case."""
    base: dict[str, Any] = {
        "uid": ACCOUNT_ID,
        "name": "ai",
        "account": SUB,
        "region": "swedencentral",
        "resource_group": "ai-rg",
        "kind": "AIServices",
        "local_auth_enabled": False,
        "public_network_access": "Disabled",
        "network_default_action": "Deny",
        "private_endpoint_connections": (PrivateEndpointConnection(name="pe", status="Approved"),),
        "key_source": "Microsoft.KeyVault",
        "key_vault_key": "ai-key",
        "identity": ManagedIdentity(type="SystemAssigned", principal_id="p-1"),
        "restrict_outbound": True,
        "allowed_fqdns": ("mlstore.blob.core.windows.net",),
        "capabilities": ("VirtualNetworks", "CustomerManagedKey"),
        "rai_policies": (),
        "diagnostic_settings": (AUDIT,),
    }
    base.update(fields)
    return AiServicesAccount(**base)


def policy(name: str = "strict", **kw: Any) -> RaiPolicy:
    return rai_policy_from_arm(rai_policy("ai", name, **kw))


def deployment(**fields: Any) -> AiDeployment:
    base: dict[str, Any] = {
        "uid": f"{ACCOUNT_ID}/deployments/chat",
        "name": "chat",
        "account": SUB,
        "region": "swedencentral",
        "account_id": ACCOUNT_ID,
        "account_name": "ai",
        "model_name": "gpt-4o",
        "rai_policy_name": "strict",
        "rai_policy": policy(),
        "rai_policy_state": "found",
    }
    base.update(fields)
    return AiDeployment(**base)


def pec(status: str) -> tuple[PrivateEndpointConnection, ...]:
    return (PrivateEndpointConnection(name="pe", status=status),)


@pytest.mark.parametrize(
    ("check", "case", "fields", "expected"),
    [
        (cs.account_disables_local_auth, "disabled", {}, Status.PASS),
        (cs.account_disables_local_auth, "keys accepted (or unset)", {"local_auth_enabled": True}, Status.FAIL),
        (cs.account_disables_public_network_access, "disabled", {}, Status.PASS),
        (cs.account_disables_public_network_access, "enabled", {"public_network_access": "Enabled"}, Status.FAIL),
        (
            cs.account_disables_public_network_access,
            "no network capability",
            {"public_network_access": "Enabled", "capabilities": ("Other",)},
            None,
        ),
        (cs.account_restricts_network_access, "deny", {}, Status.PASS),
        (
            cs.account_restricts_network_access,
            "allow, public disabled",
            {"network_default_action": "Allow"},
            Status.PASS,
        ),
        (
            cs.account_restricts_network_access,
            "allow, public enabled",
            {"network_default_action": "Allow", "public_network_access": "Enabled"},
            Status.FAIL,
        ),
        (cs.account_uses_private_endpoint, "approved", {}, Status.PASS),
        (cs.account_uses_private_endpoint, "pending", {"private_endpoint_connections": pec("Pending")}, Status.FAIL),
        (cs.account_uses_private_endpoint, "rejected", {"private_endpoint_connections": pec("Rejected")}, Status.FAIL),
        (
            cs.account_uses_private_endpoint,
            "approved, lower case",
            {"private_endpoint_connections": pec("approved")},
            Status.PASS,
        ),
        (cs.account_uses_private_endpoint, "none", {"private_endpoint_connections": ()}, Status.FAIL),
        (cs.account_encrypted_with_cmk, "cmk", {}, Status.PASS),
        (cs.account_encrypted_with_cmk, "microsoft keys", {"key_source": "Microsoft.CognitiveServices"}, Status.FAIL),
        (
            cs.account_encrypted_with_cmk,
            "no cmk capability",
            {"key_source": "Microsoft.CognitiveServices", "capabilities": ("VirtualNetworks",)},
            None,
        ),
        (cs.account_uses_managed_identity, "system assigned", {}, Status.PASS),
        (cs.account_uses_managed_identity, "none", {"identity": ManagedIdentity(type="None")}, Status.FAIL),
        (cs.account_restricts_outbound_access, "restricted", {}, Status.PASS),
        (cs.account_restricts_outbound_access, "unrestricted (or unset)", {"restrict_outbound": False}, Status.FAIL),
        (cs.account_sends_audit_logs, "audit group to a workspace", {}, Status.PASS),
        (
            cs.account_sends_audit_logs,
            "audit category to storage",
            {"diagnostic_settings": (DiagnosticSetting(name="s", categories=("Audit",), destinations=("storage",)),)},
            Status.PASS,
        ),
        (
            cs.account_sends_audit_logs,
            "only request logs",
            {"diagnostic_settings": (DiagnosticSetting(name="s", categories=("Trace",), destinations=("storage",)),)},
            Status.FAIL,
        ),
        (
            cs.account_sends_audit_logs,
            "audit to nowhere",
            {"diagnostic_settings": (DiagnosticSetting(name="s", category_groups=("allLogs",)),)},
            Status.FAIL,
        ),
        (cs.account_sends_audit_logs, "no setting", {"diagnostic_settings": ()}, Status.FAIL),
        (cs.account_sends_audit_logs, "unreadable", {"diagnostic_settings": None}, Status.ERROR),
    ],
)
def test_account_checks(check: Any, case: str, fields: dict[str, Any], expected: Status | None) -> None:
    result = check(account(**fields))
    assert result.status is expected, f"{case}: {result.message}"


def test_pending_and_rejected_connections_are_named_in_the_evidence() -> None:
    connections = (
        PrivateEndpointConnection(name="pe-new", status="Pending"),
        PrivateEndpointConnection(name="pe-old", status="Rejected"),
    )
    result = cs.account_uses_private_endpoint(account(private_endpoint_connections=connections))
    assert result.status is Status.FAIL
    assert result.evidence == {"connections": {"pe-new": "Pending", "pe-old": "Rejected"}}


MISSING = {"rai_policy_name": "deleted-filter", "rai_policy": None, "rai_policy_state": "missing"}
UNREADABLE = {"rai_policy": None, "rai_policy_state": "unreadable"}


@pytest.mark.parametrize(
    ("check", "case", "fields", "expected"),
    [
        (cs.deployment_filters_harmful_content, "medium, blocking", {}, Status.PASS),
        (cs.deployment_filters_harmful_content, "low", {"rai_policy": policy(threshold="Low")}, Status.PASS),
        (cs.deployment_filters_harmful_content, "high only", {"rai_policy": policy(threshold="High")}, Status.FAIL),
        (cs.deployment_filters_harmful_content, "annotate only", {"rai_policy": policy(blocking=False)}, Status.FAIL),
        (cs.deployment_filters_harmful_content, "policy missing", MISSING, Status.FAIL),
        (cs.deployment_filters_harmful_content, "policies unreadable", UNREADABLE, Status.ERROR),
        (cs.deployment_blocks_prompt_attacks, "jailbreak blocking", {}, Status.PASS),
        (cs.deployment_blocks_prompt_attacks, "jailbreak off", {"rai_policy": policy(jailbreak=False)}, Status.FAIL),
        (cs.deployment_blocks_prompt_attacks, "annotate only", {"rai_policy": policy(blocking=False)}, Status.FAIL),
        (
            cs.deployment_blocks_prompt_attacks,
            "no jailbreak filter",
            {"rai_policy": RaiPolicy(name="bare", policy_type="UserManaged")},
            Status.FAIL,
        ),
        (cs.deployment_blocks_prompt_attacks, "policy missing", MISSING, Status.FAIL),
        (cs.deployment_blocks_prompt_attacks, "policies unreadable", UNREADABLE, Status.ERROR),
    ],
)
def test_deployment_checks(check: Any, case: str, fields: dict[str, Any], expected: Status) -> None:
    result = check(deployment(**fields))
    assert result.status is expected, f"{case}: {result.message}"


def test_a_missing_rai_policy_is_named() -> None:
    result = cs.deployment_blocks_prompt_attacks(deployment(**MISSING))
    assert "deleted-filter" in result.message
    assert result.evidence == {"rai_policy": "deleted-filter", "rai_policy_state": "missing"}


def test_the_default_filters_resolve_and_are_judged_as_documented() -> None:
    """No raiPolicyName: DefaultV2 (prompt shields on), else Default (prompt shields off)."""
    both = tuple(rai_policy_from_arm(p) for p in default_rai_policies("ai"))
    v2, state = resolve_rai_policy(None, both)
    assert state == "found" and v2 is not None and v2.name == "Microsoft.DefaultV2"
    v1, _ = resolve_rai_policy(None, tuple(p for p in both if p.name == "Microsoft.Default"))
    assert v1 is not None
    assert cs.deployment_blocks_prompt_attacks(deployment(rai_policy_name=None, rai_policy=v2)).status is Status.PASS
    assert cs.deployment_blocks_prompt_attacks(deployment(rai_policy_name=None, rai_policy=v1)).status is Status.FAIL
    assert resolve_rai_policy("MICROSOFT.DEFAULTV2", both)[1] == "found"  # ARM names ignore case
    assert resolve_rai_policy(None, ()) == (None, "missing")
    assert resolve_rai_policy("x", None) == (None, "unreadable")


def test_unlisted_accounts_and_deployments_give_error_for_every_check() -> None:
    specs = [s for s in load_checks(["azure"]) if s.service == "cognitiveservices"]
    inventory = Inventory()
    for rtype in (AiServicesAccount, AiDeployment):
        inventory.mark_incomplete(rtype, SUB, "global", "Accounts_List failed: AuthorizationFailed")
    findings = evaluate(specs, inventory, datetime(2026, 1, 1, tzinfo=UTC))
    assert {f.check_id for f in findings} == {s.id for s in specs}
    assert {f.status for f in findings} == {Status.ERROR}


@pytest.mark.parametrize(
    ("case", "fields", "role", "expected"),
    [
        ("identity is contributor on the subscription", {}, "Contributor", Status.FAIL),
        ("identity is a reader", {}, "Reader", Status.PASS),
        ("no identity", {"identity": ManagedIdentity(type="None")}, "Owner", None),
    ],
)
def test_account_identity_is_not_privileged(case: str, fields: dict[str, Any], role: str, expected: Status) -> None:
    held = principals([role_assignment("p-1", role, f"/subscriptions/{SUB}")])
    result = cs.account_identity_is_not_privileged(account(**fields), held)
    assert result.status is expected, f"{case}: {result.message}"
