"""Azure in the lineage graph: edges from snapshots collected through the fake ARM, unresolved
references with their reason, and the AI-supply-chain severity rule on storage accounts."""

from __future__ import annotations

from datetime import UTC, datetime

from cspm.engine import Inventory, evaluate
from cspm.lineage import LineageGraph, build_lineage, raise_supply_chain_severity
from cspm.lineage_azure import FILTERED_BY, IN_REGISTRY, IN_WORKSPACE, SECRETS_IN, STORES_IN
from cspm.models import LineageEdge, Severity, Status
from cspm.providers import azure
from cspm.registry import load_checks
from support.azure import (
    SUB,
    FakeArm,
    account_id,
    ai_account,
    ai_account_id,
    ai_deployment,
    blob_service,
    collect_azure,
    hardened_ai_account,
    hardened_workspace,
    key_vault,
    ml_registry,
    online_deployment,
    online_endpoint,
    role_assignment,
    storage_account,
    workspace_id,
)


def _estate() -> FakeArm:
    fake = FakeArm()
    fake.add_account(storage_account("mlstore", allowBlobPublicAccess=True), blob=blob_service("mlstore"))
    fake.add_workspace(hardened_workspace("hub", kind="Hub"))
    endpoint = online_endpoint("hub", "scoring", principal_id="ep-1")
    fake.add_online_endpoint(
        endpoint,
        [
            online_deployment(endpoint, "blue", model="azureml://registries/acme-models/models/fraud/versions/3"),
            online_deployment(endpoint, "green"),  # Microsoft's public azureml registry
        ],
    )
    fake.add_registry(ml_registry("acme-models"))
    fake.add_key_vault(key_vault("ml-kv", hardened=False))  # the hub's secrets and the AI account's key
    fake.add_ai_account(
        hardened_ai_account(
            "ai", principal_id="ai-1", properties={"userOwnedStorage": [{"resourceId": account_id("gone")}]}
        ),
        deployments=[ai_deployment("ai", "chat"), ai_deployment("ai", "test", rai_policy="deleted-filter")],
    )
    fake.add_rbac(SUB, [role_assignment("p-1", "Storage Blob Data Reader", account_id("mlstore"))])
    return fake


def _graph_and_inventory() -> tuple[LineageGraph, Inventory]:
    types = {t for name in azure.SERVICE_MODULES for t in azure.service_spec(name).produces}
    inventory, _ = collect_azure(_estate(), *types)
    assert not inventory.errors
    return build_lineage(inventory.resources()), inventory


def _edge(graph: LineageGraph, source: str, relation: str) -> list[LineageEdge]:
    return graph.edges_from(source, relation)


def test_azure_edges_from_the_collected_snapshots() -> None:
    graph, _ = _graph_and_inventory()
    hub, ai = workspace_id("hub"), ai_account_id("ai")

    [store] = _edge(graph, hub, STORES_IN)
    assert store.target == account_id("mlstore") and store.resolved and store.api_field == "storageAccount"
    [runs_as] = _edge(graph, hub, "runs_as")  # the workspace identity is the RBAC principal p-1
    principal = graph.resource(runs_as.target)
    assert runs_as.resolved and principal is not None and principal.resource_type == "azure.authorization.principal"

    scoring = f"{hub}/onlineEndpoints/scoring"
    assert [e.target for e in _edge(graph, scoring, IN_WORKSPACE)] == [hub]
    loads = {e.target for e in _edge(graph, scoring, "loads")}
    assert "azureml://registries/acme-models/models/fraud/versions/3" in loads
    [acme] = _edge(graph, "azureml://registries/acme-models/models/fraud/versions/3", IN_REGISTRY)
    assert acme.resolved and acme.target.endswith("/registries/acme-models")
    public = "azureml://registries/azureml/models/Phi-3-mini-4k-instruct/versions/15"
    [catalog] = _edge(graph, public, IN_REGISTRY)
    assert not catalog.resolved and catalog.reason == "registry azureml is not in this scan"

    assert {e.target.rsplit("/", 1)[-1] for e in _edge(graph, ai, "hosts")} == {"chat", "test"}
    [ok] = _edge(graph, f"{ai}/deployments/chat", FILTERED_BY)
    assert ok.resolved and ok.target.endswith("/raiPolicies/Microsoft.DefaultV2")
    [missing] = _edge(graph, f"{ai}/deployments/test", FILTERED_BY)
    assert not missing.resolved and missing.reason == "RAI policy deleted-filter does not exist in the account"
    vault = f"/subscriptions/{SUB}/resourceGroups/ml-rg/providers/Microsoft.KeyVault/vaults/ml-kv"
    [secrets] = _edge(graph, hub, SECRETS_IN)
    [key] = _edge(graph, ai, "encrypted_by")
    assert secrets.resolved and key.resolved and secrets.target == key.target == vault
    [byos] = _edge(graph, ai, STORES_IN)
    assert not byos.resolved and "gone" in str(byos.reason)


def test_a_failing_storage_account_used_by_an_ai_resource_is_raised_one_level() -> None:
    graph, inventory = _graph_and_inventory()
    checks = [s for s in load_checks(["azure"]) if s.id == "azure.storage.account_disallows_anonymous_blob_access"]
    findings = evaluate(checks, inventory, datetime(2026, 1, 1, tzinfo=UTC))
    [finding] = [f for f in findings if f.resource_uid == account_id("mlstore")]
    assert finding.status is Status.FAIL and finding.severity is Severity.HIGH
    [raised] = raise_supply_chain_severity([finding], graph)
    assert raised.severity is Severity.CRITICAL
    used_by = raised.evidence["ai_supply_chain"]["used_by"]
    assert {u["resource"] for u in used_by} == {workspace_id("hub")}
    assert used_by[0]["relation"] == STORES_IN


def test_an_unknown_workspace_reference_is_unresolved_not_dropped() -> None:
    fake = FakeArm()
    fake.add_ai_account(ai_account("ai"))
    fake.add_workspace(hardened_workspace("proj", kind="Project", hubResourceId=workspace_id("gone-hub")))
    types = {t for name in azure.SERVICE_MODULES for t in azure.service_spec(name).produces}
    inventory, _ = collect_azure(fake, *types)
    graph = build_lineage(inventory.resources())
    [edge] = graph.edges_from(workspace_id("proj"), "in_hub")
    assert not edge.resolved and "gone-hub" in str(edge.reason)


def test_a_failing_key_vault_of_an_ai_resource_is_raised_too() -> None:
    graph, inventory = _graph_and_inventory()
    checks = [s for s in load_checks(["azure"]) if s.id == "azure.keyvault.vault_is_recoverable"]
    [finding] = evaluate(checks, inventory, datetime(2026, 1, 1, tzinfo=UTC))
    assert finding.status is Status.FAIL and finding.severity is Severity.MEDIUM
    [raised] = raise_supply_chain_severity([finding], graph)
    assert raised.severity is Severity.HIGH
    assert {u["resource"] for u in raised.evidence["ai_supply_chain"]["used_by"]} == {
        workspace_id("hub"),
        ai_account_id("ai"),
    }
