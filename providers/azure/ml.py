"""Azure Machine Learning: workspaces (hubs, projects, feature stores) and their computes,
online endpoints with their deployments, and registries.

Requests per subscription: Workspaces_ListBySubscription and Registries_ListBySubscription (one
per page each); per workspace: MachineLearningCompute_ListByWorkspace, OnlineEndpoints_List and
DiagnosticSettings_List (one per page each); per online endpoint: OnlineDeployments_List. So
2 + 4 per workspace (with Datastores_List) + 1 per endpoint (asserted in
tests/providers/azure/test_ml.py); the workspace's jobs, models and data assets add 3 per
workspace + 1 per model or data asset (:mod:`cspm.providers.azure.ml_assets`).

azure-mgmt-machinelearningservices (1.0.1, its newest release) models API version 2020-08-01,
which predates publicNetworkAccess, managedNetwork, systemDatastoresAuthMode and
disableLocalAuth. The client is therefore pinned to API version 2024-10-01 and the
snapshots are built from the raw ARM JSON of each page (``AzureContext.list_json``); the SDK
still authenticates, pages, retries and maps errors.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cspm.providers.azure import ml_assets
from cspm.providers.azure.arm import (
    DIAGNOSTICS_API_VERSION,
    diagnostic_setting_from_arm,
    diagnostic_settings_path,
    identity_from_arm,
    private_endpoint_from_arm,
)
from cspm.providers.azure.context import ML_API_VERSION, AzureContext, resource_group_of
from cspm.providers.base import ServiceSpec
from cspm.resources.azure.ml import (
    MlCompute,
    MlDatastore,
    MlOnlineDeployment,
    MlOnlineEndpoint,
    MlRegistry,
    MlWorkspace,
)
from cspm.resources.azure.network import PrivateEndpointConnection
from cspm.resources.base import Resource

PERMISSIONS = (
    "Microsoft.MachineLearningServices/workspaces/read",
    "Microsoft.MachineLearningServices/workspaces/computes/read",
    "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/read",
    "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments/read",
    "Microsoft.MachineLearningServices/registries/read",
    "Microsoft.MachineLearningServices/workspaces/datastores/read",
    "Microsoft.Insights/diagnosticSettings/read",
    *ml_assets.PERMISSIONS,
)

# ARM answers this for a subscription that never used Azure ML: no workspace exists there.
NOTHING_HERE = {"MissingSubscriptionRegistration"}


def collect(ctx: AzureContext) -> Iterator[Resource]:
    client = ctx.client("ml")
    arm = ctx.client("arm")
    items = ctx.list_json(
        client.workspaces.list_by_subscription,
        operation="Workspaces_ListBySubscription",
        absent=NOTHING_HERE,
        affects=(MlWorkspace, MlOnlineEndpoint),
    )
    for resources in ctx.map(lambda raw: _workspace_and_endpoints(ctx, client, arm, raw), items or ()):
        yield from resources
    yield from _registries(ctx, arm)


def _workspace_and_endpoints(ctx: AzureContext, client: Any, arm: Any, raw: dict[str, Any]) -> list[Resource]:
    workspace = _workspace(ctx, client, raw)
    if workspace is None:
        return []
    diagnostics = ctx.list_items(
        arm.list, diagnostic_settings_path(workspace.uid), DIAGNOSTICS_API_VERSION, operation="DiagnosticSettings_List"
    )
    datastores = ctx.list_items(arm.list, f"{workspace.uid}/datastores", ML_API_VERSION, operation="Datastores_List")
    workspace = workspace.model_copy(
        update={
            "diagnostic_settings": None
            if diagnostics is None
            else tuple(map(diagnostic_setting_from_arm, diagnostics)),
            "datastores": None if datastores is None else tuple(map(datastore_from_arm, datastores)),
        }
    )
    endpoints = ctx.list_items(
        arm.list,
        f"{workspace.uid}/onlineEndpoints",
        ML_API_VERSION,
        operation="OnlineEndpoints_List",
        affects=(MlOnlineEndpoint,),
    )
    workspace, assets = ml_assets.workspace_assets(ctx, arm, workspace)
    return [workspace, *(_endpoint(ctx, arm, e, workspace) for e in endpoints or ()), *assets]


def _endpoint(ctx: AzureContext, arm: Any, raw: dict[str, Any], workspace: MlWorkspace) -> MlOnlineEndpoint:
    deployments = ctx.list_items(
        arm.list, f"{raw.get('id')}/deployments", ML_API_VERSION, operation="OnlineDeployments_List"
    )
    parsed = None if deployments is None else tuple(online_deployment_from_arm(d) for d in deployments)
    return online_endpoint_from_arm(raw, workspace, parsed)


def _registries(ctx: AzureContext, arm: Any) -> list[MlRegistry]:
    items = ctx.list_items(
        arm.list,
        f"/subscriptions/{ctx.subscription}/providers/Microsoft.MachineLearningServices/registries",
        ML_API_VERSION,
        operation="Registries_ListBySubscription",
        absent=NOTHING_HERE,
        affects=(MlRegistry,),
    )
    registries = []
    for raw in items or ():
        resource_group = resource_group_of(str(raw.get("id") or ""))
        if resource_group is not None:
            registries.append(
                registry_from_arm(raw, ctx.subscription, resource_group, ctx.saw_location(raw.get("location")))
            )
    return registries


def _workspace(ctx: AzureContext, client: Any, raw: dict[str, Any]) -> MlWorkspace | None:
    resource_group = resource_group_of(raw.get("id", ""))
    if resource_group is None:
        ctx.error(
            "Workspaces_ListBySubscription",
            "MalformedResourceId",
            f"no resource group in the workspace id {raw.get('id')!r}",
            affects=(MlWorkspace,),
        )
        return None
    computes = ctx.list_json(
        client.machine_learning_compute.list_by_workspace,
        resource_group,
        raw.get("name", ""),
        operation="MachineLearningCompute_ListByWorkspace",
    )
    parsed = None if computes is None else tuple(compute_from_arm(c) for c in computes)
    return workspace_from_arm(
        raw, ctx.subscription, resource_group, parsed, location=ctx.saw_location(raw.get("location"))
    )


# ---------------------------------------------------------------------------------------------
# ARM JSON -> snapshot (pure; absent properties mapped to the documented defaults)
# ---------------------------------------------------------------------------------------------


def workspace_from_arm(
    raw: dict[str, Any],
    subscription: str,
    resource_group: str,
    computes: tuple[MlCompute, ...] | None,
    *,
    location: str,
) -> MlWorkspace:
    props: dict[str, Any] = raw.get("properties") or {}
    encryption: dict[str, Any] = props.get("encryption") or {}
    managed_network: dict[str, Any] = props.get("managedNetwork") or {}
    return MlWorkspace(
        uid=raw["id"],
        name=raw.get("name", ""),
        account=subscription,
        region=location,
        tags=dict(raw.get("tags") or {}),
        resource_group=resource_group,
        kind=raw.get("kind") or "Default",
        public_network_access=props.get("publicNetworkAccess") or "Enabled",
        encryption_status=encryption.get("status") or "Disabled",
        encryption_key=(encryption.get("keyVaultProperties") or {}).get("keyIdentifier"),
        private_endpoint_connections=tuple(
            private_endpoint_from_arm(pec) for pec in props.get("privateEndpointConnections") or ()
        ),
        managed_network_isolation=managed_network.get("isolationMode") or "Disabled",
        system_datastores_auth_mode=_auth_mode(props.get("systemDatastoresAuthMode")),
        storage_account_id=props.get("storageAccount"),
        computes=computes,
        identity=identity_from_arm(raw.get("identity")),
        hub_id=props.get("hubResourceId") or None,
        application_insights=props.get("applicationInsights") or None,
        key_vault=props.get("keyVault") or None,
    )


def _auth_mode(value: str | None) -> str:
    """Canonical spelling (ARM accepts ``identity``, ``accessKey``, ...); not set = AccessKey."""
    known = {"accesskey": "AccessKey", "identity": "Identity", "userdelegationsas": "UserDelegationSAS"}
    if not value:
        return "AccessKey"
    return known.get(value.lower(), value)


def compute_from_arm(raw: dict[str, Any]) -> MlCompute:
    props: dict[str, Any] = raw.get("properties") or {}
    return MlCompute(
        name=raw.get("name", ""),
        compute_type=props.get("computeType") or "Unknown",
        local_auth_enabled=props.get("disableLocalAuth") is not True,
    )


def datastore_from_arm(raw: dict[str, Any]) -> MlDatastore:
    props: dict[str, Any] = raw.get("properties") or {}
    return MlDatastore(
        name=raw.get("name", ""),
        datastore_type=props.get("datastoreType") or "Unknown",
        credentials_type=(props.get("credentials") or {}).get("credentialsType") or "Unknown",
        account_name=props.get("accountName"),
        is_default=props.get("isDefault") is True,
        container_name=props.get("containerName") or props.get("filesystem"),
        endpoint=props.get("endpoint"),
        subscription_id=props.get("subscriptionId") or None,
        resource_group=props.get("resourceGroup") or None,
    )


def online_endpoint_from_arm(
    raw: dict[str, Any], workspace: MlWorkspace, deployments: tuple[MlOnlineDeployment, ...] | None
) -> MlOnlineEndpoint:
    props: dict[str, Any] = raw.get("properties") or {}
    return MlOnlineEndpoint(
        uid=raw["id"],
        name=raw.get("name", ""),
        account=workspace.account,
        region=(raw.get("location") or workspace.region).lower(),
        tags=dict(raw.get("tags") or {}),
        workspace_id=workspace.uid,
        workspace_name=workspace.name,
        auth_mode=props.get("authMode") or "Key",
        public_network_access=props.get("publicNetworkAccess") or "Enabled",
        identity=identity_from_arm(raw.get("identity")),
        scoring_uri=props.get("scoringUri"),
        deployments=deployments,
    )


def online_deployment_from_arm(raw: dict[str, Any]) -> MlOnlineDeployment:
    props: dict[str, Any] = raw.get("properties") or {}
    return MlOnlineDeployment(
        name=raw.get("name", ""),
        compute_type=props.get("endpointComputeType") or "Managed",
        model=props.get("model"),
        instance_type=props.get("instanceType"),
        egress_public_network_access=props.get("egressPublicNetworkAccess") or "Enabled",
        app_insights_enabled=props.get("appInsightsEnabled") is True,
    )


def registry_from_arm(raw: dict[str, Any], subscription: str, resource_group: str, location: str) -> MlRegistry:
    props: dict[str, Any] = raw.get("properties") or {}
    connections = []
    for pec in props.get("registryPrivateEndpointConnections") or ():
        state = (pec.get("properties") or {}).get("registryPrivateLinkServiceConnectionState") or {}
        connections.append(
            PrivateEndpointConnection(
                name=str(pec.get("id") or "").rsplit("/", 1)[-1], status=state.get("status") or "Unknown"
            )
        )
    return MlRegistry(
        uid=raw["id"],
        name=raw.get("name", ""),
        account=subscription,
        region=location,
        tags=dict(raw.get("tags") or {}),
        resource_group=resource_group,
        public_network_access=props.get("publicNetworkAccess") or "Enabled",
        private_endpoint_connections=tuple(connections),
        identity=identity_from_arm(raw.get("identity")),
    )


SERVICE = ServiceSpec(
    name="ml",
    produces=(MlWorkspace, MlOnlineEndpoint, MlRegistry, *ml_assets.PRODUCES),
    regional=False,
    permissions=PERMISSIONS,
    collect=collect,
)
