"""Azure Machine Learning: workspaces (hubs, projects, feature stores) and their computes.

Requests per subscription: Workspaces_ListBySubscription (one per page); per workspace:
MachineLearningCompute_ListByWorkspace (one per page). So 1 + 1 per workspace.

azure-mgmt-machinelearningservices (1.0.1, its newest release) models API version 2020-08-01,
which predates publicNetworkAccess, managedNetwork, systemDatastoresAuthMode and
disableLocalAuth. The client is therefore pinned to API version 2024-10-01 and the
snapshots are built from the raw ARM JSON of each page (``AzureContext.list_json``); the SDK
still authenticates, pages, retries and maps errors.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cspm.providers.azure.context import AzureContext, resource_group_of
from cspm.providers.base import ServiceSpec
from cspm.resources.azure.identity import ManagedIdentity
from cspm.resources.azure.ml import MlCompute, MlWorkspace
from cspm.resources.azure.network import PrivateEndpointConnection

PERMISSIONS = (
    "Microsoft.MachineLearningServices/workspaces/read",
    "Microsoft.MachineLearningServices/workspaces/computes/read",
)

# ARM answers this for a subscription that never used Azure ML: no workspace exists there.
NOTHING_HERE = {"MissingSubscriptionRegistration"}


def collect(ctx: AzureContext) -> Iterator[MlWorkspace]:
    client = ctx.client("ml")
    items = ctx.list_json(
        client.workspaces.list_by_subscription,
        operation="Workspaces_ListBySubscription",
        absent=NOTHING_HERE,
        affects=(MlWorkspace,),
    )
    if items is None:
        return
    for workspace in ctx.map(lambda raw: _workspace(ctx, client, raw), items):
        if workspace is not None:
            yield workspace


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
    )


def _auth_mode(value: str | None) -> str:
    """Canonical spelling (ARM accepts ``identity``, ``accessKey``, ...); not set = AccessKey."""
    known = {"accesskey": "AccessKey", "identity": "Identity", "userdelegationsas": "UserDelegationSAS"}
    if not value:
        return "AccessKey"
    return known.get(value.lower(), value)


def identity_from_arm(raw: dict[str, Any] | None) -> ManagedIdentity:
    """``identity`` of a tracked resource; not set = no managed identity."""
    if not raw:
        return ManagedIdentity(type="None")
    assigned: dict[str, Any] = raw.get("userAssignedIdentities") or {}
    return ManagedIdentity(
        type=str(raw.get("type") or "None"),
        principal_id=raw.get("principalId"),
        user_assigned=tuple(sorted(assigned)),
        user_assigned_principals=tuple(
            str(v["principalId"]) for _, v in sorted(assigned.items()) if isinstance(v, dict) and v.get("principalId")
        ),
    )


def private_endpoint_from_arm(raw: dict[str, Any]) -> PrivateEndpointConnection:
    state = (raw.get("properties") or {}).get("privateLinkServiceConnectionState") or {}
    return PrivateEndpointConnection(name=raw.get("name", ""), status=state.get("status") or "Unknown")


def compute_from_arm(raw: dict[str, Any]) -> MlCompute:
    props: dict[str, Any] = raw.get("properties") or {}
    return MlCompute(
        name=raw.get("name", ""),
        compute_type=props.get("computeType") or "Unknown",
        local_auth_enabled=props.get("disableLocalAuth") is not True,
    )


SERVICE = ServiceSpec(
    name="ml",
    produces=(MlWorkspace,),
    regional=False,
    permissions=PERMISSIONS,
    collect=collect,
)
