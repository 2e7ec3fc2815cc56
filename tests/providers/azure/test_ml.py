"""The Azure ML collector through the SDK's real pipeline against the fake ARM (``responses``)."""

from __future__ import annotations

from cspm.resources.azure.ml import MlWorkspace
from support.aws import one
from support.azure import SUB, FakeArm, collect_azure, compute, hardened_workspace, workspace, workspace_id


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
    assert len(seen) == 2 and all("api-version=2024-10-01" in url for url in seen)


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
    fake.deny(f"/subscriptions/{SUB}/providers/Microsoft.MachineLearningServices")
    inventory, _ = collect_azure(fake, MlWorkspace)

    assert not inventory.of_type(MlWorkspace)
    [error] = inventory.errors
    assert (error.operation, error.code, error.service) == (
        "Workspaces_ListBySubscription",
        "AuthorizationFailed",
        "ml",
    )
    assert inventory.incomplete_reason(MlWorkspace, SUB) is not None


def test_subscription_without_azure_ml_has_no_workspaces() -> None:
    fake = FakeArm()
    fake.unregistered.add((SUB, "Microsoft.MachineLearningServices"))
    inventory, _ = collect_azure(fake, MlWorkspace)
    assert not inventory.of_type(MlWorkspace) and not inventory.errors and not fake.violations
