"""The Azure ML collector through the SDK's real pipeline against the fake ARM (``responses``)."""

from __future__ import annotations

from collections import Counter

from cspm.resources.azure.ml import MlOnlineEndpoint, MlRegistry, MlWorkspace
from support.aws import one
from support.azure import (
    SUB,
    FakeArm,
    collect_azure,
    compute,
    datastore,
    diagnostic_setting,
    hardened_workspace,
    ml_registry,
    online_deployment,
    online_endpoint,
    workspace,
    workspace_id,
)


def test_workspaces_snapshot_every_setting_across_pages() -> None:
    fake = FakeArm(page_size=1)
    fake.add_workspace(
        hardened_workspace("secure"),
        [
            compute("secure", "ci-1"),
            compute("secure", "cluster", "AmlCompute", disable_local_auth=None),
            compute("secure", "aks", "Kubernetes"),
        ],
    )
    fake.add_workspace(workspace("bare", kind="Hub"))  # no property set: documented defaults

    inventory, provider = collect_azure(fake, MlWorkspace)

    assert not inventory.errors and not fake.violations
    secure = one(inventory, MlWorkspace, "secure")
    assert secure.uid == workspace_id("secure") and secure.region == "eastus" and secure.resource_group == "ml-rg"
    assert secure.kind == "Default" and secure.tags == {"stage": "prod"}
    assert secure.public_network_access == "Disabled"
    assert secure.encryption_status == "Enabled" and secure.encryption_key == "https://kv.vault.azure.net/keys/ml/1"
    assert [(c.name, c.status) for c in secure.private_endpoint_connections] == [("pe-ws", "Approved")]
    assert secure.managed_network_isolation == "AllowOnlyApprovedOutbound"
    assert secure.system_datastores_auth_mode == "Identity"
    assert secure.storage_account_id is not None and secure.storage_account_id.endswith("/storageAccounts/mlstore")
    assert secure.computes is not None
    assert {(c.name, c.compute_type, c.local_auth_enabled) for c in secure.computes} == {
        ("ci-1", "ComputeInstance", False),
        ("cluster", "AmlCompute", True),  # disableLocalAuth not set: local auth enabled
        ("aks", "Kubernetes", False),
    }

    bare = one(inventory, MlWorkspace, "bare")
    assert bare.kind == "Hub" and bare.public_network_access == "Enabled"
    assert bare.encryption_status == "Disabled" and bare.encryption_key is None
    assert bare.private_endpoint_connections == () and bare.managed_network_isolation == "Disabled"
    assert bare.system_datastores_auth_mode == "AccessKey" and bare.computes == ()
    assert provider.scopes()[0].regions == ["eastus"]


def test_workspaces_are_read_at_a_current_api_version() -> None:
    """The SDK models API 2020-08-01, which has no publicNetworkAccess: the client must ask for 2024-10-01."""
    fake = FakeArm()
    fake.add_workspace(hardened_workspace("ws"))
    seen: list[str] = []
    original = fake.handle

    def spy(method: str, url: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, object]]:
        seen.append(url)
        return original(method, url, headers, body)

    fake.handle = spy
    collect_azure(fake, MlWorkspace)
    # workspaces, computes, online endpoints, registries; diagnostic settings at Microsoft.Insights' version
    ml = [url for url in seen if "diagnosticSettings" not in url]
    # + datastores, jobs, model and data containers (tests/providers/azure/test_ml_assets.py)
    assert len(ml) == 8 and all("api-version=2024-10-01" in url for url in ml)
    assert len(seen) == 9


def test_denied_compute_listing_leaves_computes_none() -> None:
    fake = FakeArm()
    fake.add_workspace(hardened_workspace("ws"), [compute("ws", "ci")])
    fake.deny(workspace_id("ws") + "/computes")
    inventory, _ = collect_azure(fake, MlWorkspace)

    assert one(inventory, MlWorkspace, "ws").computes is None
    [error] = inventory.errors
    assert (error.operation, error.code) == ("MachineLearningCompute_ListByWorkspace", "AuthorizationFailed")
    assert inventory.incomplete_reason(MlWorkspace, SUB) is None


def test_denied_workspace_listing_marks_workspaces_incomplete() -> None:
    fake = FakeArm()
    fake.add_workspace(hardened_workspace("ws"))
    fake.deny(f"/subscriptions/{SUB}/providers/Microsoft.MachineLearningServices")  # registries too
    inventory, _ = collect_azure(fake, MlWorkspace)

    assert not inventory.of_type(MlWorkspace)
    assert {(e.operation, e.code, e.service) for e in inventory.errors} == {
        ("Workspaces_ListBySubscription", "AuthorizationFailed", "ml"),
        ("Registries_ListBySubscription", "AuthorizationFailed", "ml"),
    }
    assert inventory.incomplete_reason(MlWorkspace, SUB) is not None
    assert inventory.incomplete_reason(MlOnlineEndpoint, SUB) is not None
    assert inventory.incomplete_reason(MlRegistry, SUB) is not None


def test_subscription_without_azure_ml_has_no_workspaces() -> None:
    fake = FakeArm()
    fake.unregistered.add((SUB, "Microsoft.MachineLearningServices"))
    inventory, _ = collect_azure(fake, MlWorkspace)
    assert not inventory.of_type(MlWorkspace) and not inventory.errors and not fake.violations


def test_online_endpoints_deployments_and_registries() -> None:
    fake = FakeArm(page_size=1)
    fake.add_workspace(hardened_workspace("ws", kind="Hub"))
    fake.add_workspace(workspace("proj", kind="Project", hubResourceId=workspace_id("ws")))
    secure = online_endpoint("ws", "scoring", principal_id="ep-principal")
    fake.add_online_endpoint(secure, [online_deployment(secure), online_deployment(secure, "green", egress=None)])
    fake.add_online_endpoint(online_endpoint("ws", "open", auth_mode="Key", public_network_access=None))
    fake.add_registry(ml_registry("shared", connections=(("pe-a", "Pending"), ("pe-b", "Rejected"))))
    fake.add_registry(ml_registry("public", public_network_access=None, connections=()))

    inventory, _ = collect_azure(fake, MlWorkspace, MlOnlineEndpoint, MlRegistry)

    assert not inventory.errors and not fake.violations
    assert one(inventory, MlWorkspace, "proj").hub_id == workspace_id("ws")
    hub = one(inventory, MlWorkspace, "ws")
    assert hub.application_insights is not None and hub.key_vault is not None and hub.identity.principal_ids == ("p-1",)
    scoring = one(inventory, MlOnlineEndpoint, "scoring")
    assert scoring.workspace_id == workspace_id("ws") and scoring.auth_mode == "AADToken"
    assert scoring.public_network_access == "Disabled" and scoring.identity.principal_ids == ("ep-principal",)
    assert scoring.deployments is not None
    assert [(d.name, d.model, d.egress_public_network_access) for d in scoring.deployments] == [
        ("blue", "azureml://registries/azureml/models/Phi-3-mini-4k-instruct/versions/15", "Disabled"),
        ("green", "azureml://registries/azureml/models/Phi-3-mini-4k-instruct/versions/15", "Enabled"),
    ]
    opened = one(inventory, MlOnlineEndpoint, "open")
    assert (opened.auth_mode, opened.public_network_access, opened.deployments) == ("Key", "Enabled", ())
    shared = one(inventory, MlRegistry, "shared")
    assert [(c.name, c.status) for c in shared.private_endpoint_connections] == [
        ("pe-a", "Pending"),
        ("pe-b", "Rejected"),
    ]
    assert one(inventory, MlRegistry, "public").public_network_access == "Enabled"


def test_requests_per_workspace_and_endpoint_are_constant() -> None:
    """2 per subscription + 7 per workspace + 1 per endpoint (docs/azure-gcp.md)."""
    fake = FakeArm()
    fake.add_workspace(hardened_workspace("a"), [compute("a", f"c{i}") for i in range(4)])
    fake.add_workspace(hardened_workspace("b"))
    for name in ("e1", "e2", "e3"):
        endpoint = online_endpoint("a", name)
        fake.add_online_endpoint(endpoint, [online_deployment(endpoint, d) for d in ("blue", "green")])
    fake.add_registry(ml_registry("r"))
    inventory, _ = collect_azure(fake, MlWorkspace, MlOnlineEndpoint, MlRegistry)
    assert not inventory.errors
    kinds = Counter(path.rsplit("/", 1)[1] for _, path in fake.requests)
    assert kinds == {
        "workspaces": 1,
        "registries": 1,
        "computes": 2,
        "onlineEndpoints": 2,
        "diagnosticSettings": 2,
        "datastores": 2,
        "deployments": 3,
        "jobs": 2,
        "models": 2,
        "data": 2,
    }


def test_denied_online_deployments_leave_them_none() -> None:
    fake = FakeArm()
    fake.add_workspace(hardened_workspace("ws"))
    endpoint = online_endpoint("ws", "scoring")
    fake.add_online_endpoint(endpoint, [online_deployment(endpoint)])
    fake.deny(endpoint["id"] + "/deployments")
    inventory, _ = collect_azure(fake, MlOnlineEndpoint)
    assert one(inventory, MlOnlineEndpoint, "scoring").deployments is None
    assert [(e.operation, e.code) for e in inventory.errors] == [("OnlineDeployments_List", "AuthorizationFailed")]


def test_denied_endpoint_listing_marks_endpoints_incomplete_not_workspaces() -> None:
    fake = FakeArm()
    fake.add_workspace(hardened_workspace("ws"))
    fake.deny(workspace_id("ws") + "/onlineEndpoints")
    inventory, _ = collect_azure(fake, MlWorkspace, MlOnlineEndpoint)
    assert inventory.of_type(MlWorkspace)
    assert inventory.incomplete_reason(MlOnlineEndpoint, SUB) is not None
    assert inventory.incomplete_reason(MlWorkspace, SUB) is None


def test_workspace_diagnostic_settings_are_read_and_a_denied_listing_is_none() -> None:
    fake = FakeArm()
    fake.add_workspace(hardened_workspace("logged"))
    fake.add_workspace(hardened_workspace("denied"))
    fake.add_listing(
        workspace_id("logged") + "/providers/Microsoft.Insights/diagnosticSettings",
        [diagnostic_setting(workspace_id("logged"), categories=("AmlComputeClusterEvent",), category_groups=())],
    )
    fake.deny(workspace_id("denied") + "/providers/Microsoft.Insights")
    inventory, _ = collect_azure(fake, MlWorkspace)
    logged = one(inventory, MlWorkspace, "logged").diagnostic_settings
    assert logged is not None and [(d.categories, d.destinations) for d in logged] == [
        (("AmlComputeClusterEvent",), ("workspace",))
    ]
    assert one(inventory, MlWorkspace, "denied").diagnostic_settings is None
    assert [(e.operation, e.code) for e in inventory.errors] == [("DiagnosticSettings_List", "AuthorizationFailed")]


def test_workspace_datastores_and_their_credentials_types() -> None:
    fake = FakeArm()
    fake.add_workspace(hardened_workspace("proj", kind="Project"))
    fake.add_listing(
        workspace_id("proj") + "/datastores",
        [datastore("proj"), datastore("proj", "legacy", "AccountKey", account="legacy")],
    )
    fake.add_workspace(hardened_workspace("denied"))
    fake.deny(workspace_id("denied") + "/datastores")
    inventory, _ = collect_azure(fake, MlWorkspace)
    stores = one(inventory, MlWorkspace, "proj").datastores
    assert stores is not None
    assert [(d.name, d.credentials_type, d.account_name, d.is_default) for d in stores] == [
        ("workspaceblobstore", "None", "mlstore", True),
        ("legacy", "AccountKey", "legacy", False),
    ]
    assert one(inventory, MlWorkspace, "denied").datastores is None
    assert [(e.operation, e.code) for e in inventory.errors] == [("Datastores_List", "AuthorizationFailed")]
