"""The demo's Azure subscription: a fake of Azure Resource Manager and of the Entra token endpoint.

There is no emulator for the Azure management plane, so :class:`FakeArm` answers the ARM routes
the scanner reads, with bodies shaped as the Azure REST API reference documents them:

- ``GET /subscriptions`` (Subscriptions_List);
- ``GET /subscriptions/{id}/providers/Microsoft.Storage/storageAccounts`` (StorageAccounts_List),
  ``.../storageAccounts/{name}/blobServices/default`` (BlobServices_GetServiceProperties) and
  ``.../blobServices/default/containers`` (BlobContainers_List);
- ``GET /subscriptions/{id}/providers/Microsoft.MachineLearningServices/workspaces``
  (Workspaces_ListBySubscription, API 2024-10-01) and ``.../workspaces/{name}/computes``
  (MachineLearningCompute_ListByWorkspace);
- a service principal's sign-in: ``GET /{tenant}/v2.0/.well-known/openid-configuration`` and
  ``POST /{tenant}/oauth2/v2.0/token`` (client credentials), so ``AZURE_AUTHORITY_HOST`` can
  point at the fake.

Listings are paged through an absolute ``nextLink`` as ARM pages them. Every ARM request must
carry a bearer token; any method but GET (other than the token request) is recorded in
``violations`` and answered 405 (the scanner is read-only).

:func:`serve_https` runs the fake on 127.0.0.1 with a self-signed certificate
(:func:`make_cert`), which the scanner trusts through ``REQUESTS_CA_BUNDLE``; ARM sends tokens
over TLS only, and so does the scanner (``CSPM_AZURE_ARM_ENDPOINT`` must be https).
:func:`simulated` starts the demo's subscription (:func:`demo_subscription`) and
gives the documented settings that reach it: the unmodified Azure provider then signs in with
``DefaultAzureCredential`` and scans it through the SDKs' real HTTP pipelines.

The end-to-end and provider tests use the same fake (``tests/support/azure.py``). Importing this
module imports no Azure SDK (only :func:`demo_provider` does).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import ssl
import threading
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlparse

from cspm.demo import azure_blobs, azure_graph
from cspm.demo.fake_http import Simulated, serve

if TYPE_CHECKING:
    from cspm.providers.azure import AzureProvider

ARM = "https://management.azure.com"
# Defaults of the response builders below (the demo's own subscription is further down).
SUBSCRIPTION = "00000000-0000-0000-0000-000000000001"
TENANT = "11111111-1111-1111-1111-111111111111"
RESOURCE_GROUP = "ml-rg"

# What the demo needs installed to scan Azure (the 'azure' extra).
SDK_MODULES = ("azure.identity", "azure.mgmt.storage", "azure.mgmt.machinelearningservices")


# ---------------------------------------------------------------------------------------------
# Documented response shapes
# ---------------------------------------------------------------------------------------------


STORAGE_ACCOUNTS = "Microsoft.Storage/storageAccounts"
WORKSPACES = "Microsoft.MachineLearningServices/workspaces"
AI_ACCOUNTS = "Microsoft.CognitiveServices/accounts"


def resource_id(resource_type: str, name: str, *, sub: str = SUBSCRIPTION, rg: str = RESOURCE_GROUP) -> str:
    """An ARM resource id: ``/subscriptions/{sub}/resourceGroups/{rg}/providers/{type}/{name}``."""
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{resource_type}/{name}"


def account_id(name: str, *, sub: str = SUBSCRIPTION, rg: str = RESOURCE_GROUP) -> str:
    return resource_id(STORAGE_ACCOUNTS, name, sub=sub, rg=rg)


def workspace_id(name: str, *, sub: str = SUBSCRIPTION, rg: str = RESOURCE_GROUP) -> str:
    return resource_id(WORKSPACES, name, sub=sub, rg=rg)


def tracked_resource(resource_type: str, name: str, *, sub: str, rg: str, **body: Any) -> dict[str, Any]:
    """A tracked ARM resource: ``id``, ``name`` and ``type``, then ``body`` (location, tags, kind,
    sku, properties ...) as given."""
    return {"id": resource_id(resource_type, name, sub=sub, rg=rg), "name": name, "type": resource_type, **body}


def storage_account(
    name: str,
    *,
    sub: str = SUBSCRIPTION,
    rg: str = RESOURCE_GROUP,
    location: str = "westeurope",
    kind: str = "StorageV2",
    tags: dict[str, str] | None = None,
    **properties: Any,
) -> dict[str, Any]:
    """A storage account as ``StorageAccounts_List`` returns it; ``properties`` as given (unset = omitted)."""
    return tracked_resource(
        STORAGE_ACCOUNTS,
        name,
        sub=sub,
        rg=rg,
        location=location,
        tags={"team": "ml"} if tags is None else tags,
        kind=kind,
        sku={"name": "Standard_LRS", "tier": "Standard"},
        properties={"provisioningState": "Succeeded", "creationTime": "2024-01-01T00:00:00.0000000Z", **properties},
    )


def private_endpoint_connection(
    resource_id: str, name: str, status: str = "Approved", *, actions_field: str = "actionRequired"
) -> dict[str, Any]:
    """A ``PrivateEndpointConnection`` of a storage account or (``actions_field="actionsRequired"``,
    the Machine Learning API's spelling) of a workspace."""
    return {
        "id": f"{resource_id}/privateEndpointConnections/{name}",
        "name": name,
        "type": f"{resource_id.split('/providers/')[1].rsplit('/', 1)[0]}/privateEndpointConnections",
        "properties": {
            "privateEndpoint": {
                "id": f"/subscriptions/x/resourceGroups/net/providers/Microsoft.Network/privateEndpoints/{name}"
            },
            "privateLinkServiceConnectionState": {"status": status, "description": "", actions_field: "None"},
            "provisioningState": "Succeeded",
        },
    }


def hardened_account(
    name: str,
    *,
    sub: str = SUBSCRIPTION,
    rg: str = RESOURCE_GROUP,
    key_vault: str = "ml-kv",
    key_name: str = "ml-key",
    **kw: Any,
) -> dict[str, Any]:
    """An account configured the way every check wants it."""
    return storage_account(
        name,
        sub=sub,
        rg=rg,
        allowBlobPublicAccess=False,
        allowSharedKeyAccess=False,
        allowCrossTenantReplication=False,
        supportsHttpsTrafficOnly=True,
        minimumTlsVersion="TLS1_2",
        publicNetworkAccess="Disabled",
        defaultToOAuthAuthentication=True,
        networkAcls={"bypass": "AzureServices", "virtualNetworkRules": [], "ipRules": [], "defaultAction": "Deny"},
        privateEndpointConnections=[private_endpoint_connection(account_id(name, sub=sub, rg=rg), "pe-data")],
        encryption={
            "services": {"blob": {"enabled": True, "keyType": "Account"}},
            "keySource": "Microsoft.Keyvault",
            "requireInfrastructureEncryption": True,
            "keyvaultproperties": {"keyname": key_name, "keyvaulturi": f"https://{key_vault}.vault.azure.net/"},
        },
        sasPolicy={"sasExpirationPeriod": "0.01:00:00", "expirationAction": "Block"},
        keyPolicy={"keyExpirationPeriodInDays": 60},
        **kw,
    )


def blob_service(
    account: str,
    *,
    blob_days: int | None = 7,
    container_days: int | None = 7,
    versioning: bool | None = True,
    sub: str = SUBSCRIPTION,
    rg: str = RESOURCE_GROUP,
) -> dict[str, Any]:
    """``BlobServices_GetServiceProperties``; a ``None`` setting is omitted (never configured)."""
    props: dict[str, Any] = {"cors": {"corsRules": []}}
    if blob_days is not None:
        props["deleteRetentionPolicy"] = {"enabled": True, "days": blob_days, "allowPermanentDelete": False}
    if container_days is not None:
        props["containerDeleteRetentionPolicy"] = {"enabled": True, "days": container_days}
    if versioning is not None:
        props["isVersioningEnabled"] = versioning
    return {
        "id": account_id(account, sub=sub, rg=rg) + "/blobServices/default",
        "name": "default",
        "type": "Microsoft.Storage/storageAccounts/blobServices",
        "sku": {"name": "Standard_LRS", "tier": "Standard"},
        "properties": props,
    }


def container(
    account: str,
    name: str,
    public_access: str | None = "None",
    *,
    sub: str = SUBSCRIPTION,
    rg: str = RESOURCE_GROUP,
) -> dict[str, Any]:
    """A ``ListContainerItem``; ``public_access`` is ``None`` / ``Blob`` / ``Container`` (Python None: omitted)."""
    props: dict[str, Any] = {
        "deleted": False,
        "remainingRetentionDays": 0,
        "defaultEncryptionScope": "$account-encryption-key",
        "denyEncryptionScopeOverride": False,
        "lastModifiedTime": "2024-01-01T00:00:00.0000000Z",
        "leaseStatus": "Unlocked",
        "leaseState": "Available",
        "hasImmutabilityPolicy": False,
        "hasLegalHold": False,
    }
    if public_access is not None:
        props["publicAccess"] = public_access
    return {
        "id": account_id(account, sub=sub, rg=rg) + f"/blobServices/default/containers/{name}",
        "name": name,
        "type": "Microsoft.Storage/storageAccounts/blobServices/containers",
        "etag": '"0x8D589847D51C7DE"',
        "properties": props,
    }


def workspace(
    name: str,
    *,
    sub: str = SUBSCRIPTION,
    rg: str = RESOURCE_GROUP,
    location: str = "eastus",
    kind: str = "Default",
    tags: dict[str, str] | None = None,
    principal_id: str = "p-1",
    **properties: Any,
) -> dict[str, Any]:
    """A workspace as ``Workspaces_ListBySubscription`` (API 2024-10-01) returns it, with a
    system-assigned identity whose object id is ``principal_id``."""
    group = f"/subscriptions/{sub}/resourceGroups/{rg}"
    return tracked_resource(
        WORKSPACES,
        name,
        sub=sub,
        rg=rg,
        location=location,
        tags={"stage": "prod"} if tags is None else tags,
        kind=kind,
        identity=system_identity(principal_id),
        sku={"name": "Basic", "tier": "Basic"},
        systemData={"createdAt": "2024-01-01T00:00:00Z", "createdBy": "someone@example.com"},
        properties={
            "friendlyName": name,
            "provisioningState": "Succeeded",
            "storageAccount": account_id("mlstore", sub=sub, rg=rg),
            "keyVault": f"{group}/providers/Microsoft.KeyVault/vaults/ml-kv",
            "applicationInsights": f"{group}/providers/Microsoft.insights/components/ml",
            "hbiWorkspace": False,
            "v1LegacyMode": False,
            "discoveryUrl": f"https://{location}.api.azureml.ms/discovery",
            "mlFlowTrackingUri": f"azureml://{location}.api.azureml.ms/mlflow/v1.0{workspace_id(name, sub=sub, rg=rg)}",
            **properties,
        },
    )


def hardened_workspace(name: str, *, sub: str = SUBSCRIPTION, rg: str = RESOURCE_GROUP, **kw: Any) -> dict[str, Any]:
    """A workspace configured the way every check wants it."""
    connection = private_endpoint_connection(
        workspace_id(name, sub=sub, rg=rg), "pe-ws", actions_field="actionsRequired"
    )
    return workspace(
        name,
        sub=sub,
        rg=rg,
        publicNetworkAccess="Disabled",
        encryption={
            "status": "Enabled",
            "keyVaultProperties": {
                "keyVaultArmId": "/subscriptions/x/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv",
                "keyIdentifier": "https://kv.vault.azure.net/keys/ml/1",
            },
        },
        privateEndpointConnections=[connection],
        managedNetwork={"isolationMode": "AllowOnlyApprovedOutbound", "status": {"status": "Active"}},
        systemDatastoresAuthMode="identity",
        **kw,
    )


def compute(
    workspace_name: str,
    name: str,
    compute_type: str = "ComputeInstance",
    *,
    disable_local_auth: bool | None = True,
    sub: str = SUBSCRIPTION,
    rg: str = RESOURCE_GROUP,
    location: str = "eastus",
) -> dict[str, Any]:
    """A compute as ``MachineLearningCompute_ListByWorkspace`` returns it."""
    props: dict[str, Any] = {
        "computeType": compute_type,
        "provisioningState": "Succeeded",
        "computeLocation": location,
        "isAttachedCompute": False,
        "properties": {"vmSize": "STANDARD_DS3_V2"},
    }
    if compute_type == "AmlCompute":
        props["properties"] = {
            "vmSize": "STANDARD_NC6",
            "vmPriority": "Dedicated",
            "scaleSettings": {"maxNodeCount": 4, "minNodeCount": 0, "nodeIdleTimeBeforeScaleDown": "PT120S"},
        }
    if disable_local_auth is not None:
        props["disableLocalAuth"] = disable_local_auth
    return {
        "id": workspace_id(workspace_name, sub=sub, rg=rg) + f"/computes/{name}",
        "name": name,
        "type": "Microsoft.MachineLearningServices/workspaces/computes",
        "location": location,
        "properties": props,
    }


def ai_account_id(name: str, *, sub: str = SUBSCRIPTION, rg: str = RESOURCE_GROUP) -> str:
    return resource_id(AI_ACCOUNTS, name, sub=sub, rg=rg)


def ai_account(
    name: str,
    *,
    sub: str = SUBSCRIPTION,
    rg: str = RESOURCE_GROUP,
    location: str = "swedencentral",
    kind: str = "AIServices",
    tags: dict[str, str] | None = None,
    identity: dict[str, Any] | None = None,
    **properties: Any,
) -> dict[str, Any]:
    """An account as ``Accounts_List`` (Microsoft.CognitiveServices, API 2024-10-01) returns it;
    ``properties`` as given (unset = omitted); no ``identity`` unless given."""
    body: dict[str, Any] = {
        "location": location,
        "tags": {"team": "ml"} if tags is None else tags,
        "kind": kind,
        "sku": {"name": "S0"},
        "etag": '"0a00c2d1-0000-0c00-0000-000000000000"',
        "systemData": {"createdAt": "2024-01-01T00:00:00Z", "createdBy": "someone@example.com"},
        "properties": {
            "endpoint": f"https://{name}.cognitiveservices.azure.com/",
            "customSubDomainName": name,
            "provisioningState": "Succeeded",
            "capabilities": [{"name": "VirtualNetworks"}, {"name": "CustomerManagedKey"}, {"name": "RaiMonitor"}],
            "dateCreated": "2024-01-01T00:00:00.0000000Z",
            **properties,
        },
    }
    if identity is not None:
        body["identity"] = identity
    return tracked_resource(AI_ACCOUNTS, name, sub=sub, rg=rg, **body)


def system_identity(principal_id: str) -> dict[str, Any]:
    """A system-assigned managed identity, as ARM shows it on a resource."""
    return {"type": "SystemAssigned", "principalId": principal_id, "tenantId": TENANT}


def hardened_ai_account(
    name: str, *, sub: str = SUBSCRIPTION, rg: str = RESOURCE_GROUP, principal_id: str = "ai-principal", **kw: Any
) -> dict[str, Any]:
    """An AI Services account configured the way every check wants it."""
    connection = private_endpoint_connection(ai_account_id(name, sub=sub, rg=rg), "pe-ai")
    properties: dict[str, Any] = {
        "disableLocalAuth": True,
        "publicNetworkAccess": "Disabled",
        "networkAcls": {"defaultAction": "Deny", "ipRules": [], "virtualNetworkRules": [], "bypass": "None"},
        "privateEndpointConnections": [connection],
        "encryption": {
            "keySource": "Microsoft.KeyVault",
            "keyVaultProperties": {
                "keyName": "ai-key",
                "keyVersion": "0123456789abcdef0123456789abcdef",
                "keyVaultUri": "https://ml-kv.vault.azure.net/",
            },
        },
        "restrictOutboundNetworkAccess": True,
        "allowedFqdnList": ["mlstore.blob.core.windows.net"],
    }
    properties.update(kw.pop("properties", {}))
    return ai_account(name, sub=sub, rg=rg, identity=system_identity(principal_id), **properties, **kw)


def ai_deployment(
    account: str,
    name: str,
    model: str = "gpt-4o",
    version: str = "2024-11-20",
    *,
    rai_policy: str | None = "Microsoft.DefaultV2",
    sku: str = "GlobalStandard",
    sub: str = SUBSCRIPTION,
    rg: str = RESOURCE_GROUP,
) -> dict[str, Any]:
    """A deployment as ``Deployments_List`` returns it; ``rai_policy`` None: ``raiPolicyName`` omitted."""
    props: dict[str, Any] = {
        "model": {"format": "OpenAI", "name": model, "version": version},
        "versionUpgradeOption": "OnceNewDefaultVersionAvailable",
        "provisioningState": "Succeeded",
        "capabilities": {"chatCompletion": "true"},
    }
    if rai_policy is not None:
        props["raiPolicyName"] = rai_policy
    return {
        "id": ai_account_id(account, sub=sub, rg=rg) + f"/deployments/{name}",
        "name": name,
        "type": "Microsoft.CognitiveServices/accounts/deployments",
        "sku": {"name": sku, "capacity": 10},
        "properties": props,
    }


HARM_CATEGORIES = ("Hate", "Sexual", "Violence", "Selfharm")


def rai_policy(
    account: str,
    name: str,
    *,
    threshold: str = "Medium",
    jailbreak: bool = True,
    blocking: bool = True,
    policy_type: str = "UserManaged",
    blocklists: tuple[str, ...] = (),
    sub: str = SUBSCRIPTION,
    rg: str = RESOURCE_GROUP,
) -> dict[str, Any]:
    """A RAI policy as ``RaiPolicies_List`` returns it: the four harm categories at ``threshold``
    on prompts and completions, the Jailbreak (prompt shield) filter on prompts."""
    filters: list[dict[str, Any]] = [
        {"name": category, "severityThreshold": threshold, "blocking": blocking, "enabled": True, "source": source}
        for source in ("Prompt", "Completion")
        for category in HARM_CATEGORIES
    ]
    filters.append({"name": "Jailbreak", "blocking": blocking, "enabled": jailbreak, "source": "Prompt"})
    filters.append({"name": "Protected Material Text", "blocking": blocking, "enabled": True, "source": "Completion"})
    props: dict[str, Any] = {"type": policy_type, "mode": "Blocking", "contentFilters": filters}
    if policy_type == "UserManaged":
        props["basePolicyName"] = "Microsoft.DefaultV2"
    props["customBlocklists"] = [{"source": "Prompt", "blocklistName": b, "blocking": True} for b in blocklists]
    return {
        "id": ai_account_id(account, sub=sub, rg=rg) + f"/raiPolicies/{name}",
        "name": name,
        "type": "Microsoft.CognitiveServices/accounts/raiPolicies",
        "properties": props,
    }


def default_rai_policies(account: str, *, sub: str = SUBSCRIPTION, rg: str = RESOURCE_GROUP) -> list[dict[str, Any]]:
    """The built-in policies every account lists (SystemManaged)."""
    return [
        rai_policy(account, "Microsoft.Default", jailbreak=False, policy_type="SystemManaged", sub=sub, rg=rg),
        rai_policy(account, "Microsoft.DefaultV2", policy_type="SystemManaged", sub=sub, rg=rg),
    ]


def diagnostic_setting(
    resource: str,
    name: str = "to-law",
    *,
    categories: tuple[str, ...] = (),
    category_groups: tuple[str, ...] = ("audit",),
    workspace: bool = True,
) -> dict[str, Any]:
    """A ``Microsoft.Insights/diagnosticSettings`` of ``resource`` (API 2021-05-01-preview)."""
    logs = [{"category": c, "categoryGroup": None, "enabled": True} for c in categories]
    logs += [{"category": None, "categoryGroup": g, "enabled": True} for g in category_groups]
    props: dict[str, Any] = {
        "logs": logs,
        "metrics": [{"category": "AllMetrics", "enabled": False, "timeGrain": None}],
        "logAnalyticsDestinationType": None,
    }
    if workspace:
        props["workspaceId"] = (
            "/subscriptions/x/resourceGroups/logs/providers/Microsoft.OperationalInsights/workspaces/law"
        )
    return {
        "id": f"{resource}/providers/microsoft.insights/diagnosticSettings/{name}",
        "name": name,
        "type": "Microsoft.Insights/diagnosticSettings",
        "properties": props,
    }


# Built-in roles (same GUID in every tenant) and their permissions, as RoleDefinitions_List returns them.
BUILT_IN_ROLES: dict[str, tuple[str, dict[str, list[str]]]] = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": ("Owner", {"actions": ["*"]}),
    "b24988ac-6180-42a0-ab88-20f7382dd24c": (
        "Contributor",
        {
            "actions": ["*"],
            "notActions": [
                "Microsoft.Authorization/*/Delete",
                "Microsoft.Authorization/*/Write",
                "Microsoft.Authorization/elevateAccess/Action",
                "Microsoft.Blueprint/blueprintAssignments/write",
                "Microsoft.Blueprint/blueprintAssignments/delete",
                "Microsoft.Compute/galleries/share/action",
                "Microsoft.Purview/consents/write",
                "Microsoft.Purview/consents/delete",
                "Microsoft.Resources/deploymentStacks/manageDenySetting/action",
                "Microsoft.Subscription/cancel/action",
                "Microsoft.Subscription/enable/action",
            ],
        },
    ),
    "acdd72a7-3385-48ef-bd42-f606fba81ae7": ("Reader", {"actions": ["*/read"]}),
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": (
        "User Access Administrator",
        {"actions": ["*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"]},
    ),
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": (
        "Storage Blob Data Owner",
        {
            "actions": [
                "Microsoft.Storage/storageAccounts/blobServices/containers/*",
                "Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action",
            ],
            "dataActions": ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*"],
        },
    ),
    "ba92f5b4-2d11-453d-a403-e96b0029c9fe": (
        "Storage Blob Data Contributor",
        {
            "actions": [
                "Microsoft.Storage/storageAccounts/blobServices/containers/delete",
                "Microsoft.Storage/storageAccounts/blobServices/containers/read",
                "Microsoft.Storage/storageAccounts/blobServices/containers/write",
                "Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action",
            ],
            "dataActions": [
                "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete",
                "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
                "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write",
                "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/move/action",
                "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action",
            ],
        },
    ),
    "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1": (
        "Storage Blob Data Reader",
        {
            "actions": [
                "Microsoft.Storage/storageAccounts/blobServices/containers/read",
                "Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action",
            ],
            "dataActions": ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"],
        },
    ),
    "a001fd3d-188f-4b5d-821b-7da978bf7442": (
        "Cognitive Services OpenAI Contributor",
        {
            "actions": [
                "Microsoft.CognitiveServices/*/read",
                "Microsoft.CognitiveServices/accounts/deployments/write",
                "Microsoft.CognitiveServices/accounts/deployments/delete",
                "Microsoft.CognitiveServices/accounts/raiPolicies/read",
                "Microsoft.Authorization/roleAssignments/read",
                "Microsoft.Authorization/roleDefinitions/read",
            ],
            "dataActions": ["Microsoft.CognitiveServices/accounts/OpenAI/*"],
        },
    ),
    "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd": (
        "Cognitive Services OpenAI User",
        {
            "actions": ["Microsoft.CognitiveServices/*/read", "Microsoft.Authorization/roleAssignments/read"],
            "dataActions": ["Microsoft.CognitiveServices/accounts/OpenAI/*/read"],
        },
    ),
}
ROLE_IDS = {name: guid for guid, (name, _) in BUILT_IN_ROLES.items()}


def role_definition(
    guid: str,
    name: str,
    *,
    sub: str = SUBSCRIPTION,
    role_type: str = "CustomRole",
    actions: list[str] | None = None,
    not_actions: list[str] | None = None,
    data_actions: list[str] | None = None,
    not_data_actions: list[str] | None = None,
) -> dict[str, Any]:
    """A role definition as ``RoleDefinitions_List`` (API 2022-04-01) returns it."""
    return {
        "id": f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{guid}",
        "type": "Microsoft.Authorization/roleDefinitions",
        "name": guid,
        "properties": {
            "roleName": name,
            "type": role_type,
            "description": name,
            "assignableScopes": ["/"] if role_type == "BuiltInRole" else [f"/subscriptions/{sub}"],
            "permissions": [
                {
                    "actions": actions or [],
                    "notActions": not_actions or [],
                    "dataActions": data_actions or [],
                    "notDataActions": not_data_actions or [],
                }
            ],
            "createdOn": "2015-02-02T21:55:09.8806423Z",
            "updatedOn": "2024-01-01T00:00:00.0000000Z",
        },
    }


def built_in_role_definitions(sub: str = SUBSCRIPTION) -> list[dict[str, Any]]:
    return [
        role_definition(
            guid,
            name,
            sub=sub,
            role_type="BuiltInRole",
            actions=perms.get("actions"),
            not_actions=perms.get("notActions"),
            data_actions=perms.get("dataActions"),
        )
        for guid, (name, perms) in BUILT_IN_ROLES.items()
    ]


def role_assignment(
    principal_id: str,
    role: str,
    scope: str,
    *,
    principal_type: str = "ServicePrincipal",
    sub: str = SUBSCRIPTION,
    condition: str | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    """A role assignment as ``RoleAssignments_ListForSubscription`` (API 2022-04-01) returns it;
    ``role`` is the name of a role in :data:`BUILT_IN_ROLES` or a role definition GUID."""
    guid = ROLE_IDS.get(role, role)
    if guid == role and " " in role:
        raise ValueError(f"{role!r} is not a built-in role of the fake; pass its GUID")
    assignment = name or str(uuid.uuid5(uuid.NAMESPACE_URL, f"{principal_id}|{guid}|{scope}".lower()))
    return {
        "id": f"{scope.rstrip('/')}/providers/Microsoft.Authorization/roleAssignments/{assignment}",
        "type": "Microsoft.Authorization/roleAssignments",
        "name": assignment,
        "properties": {
            "roleDefinitionId": f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{guid}",
            "principalId": principal_id,
            "principalType": principal_type,
            "scope": scope,
            "condition": condition,
            "conditionVersion": "2.0" if condition else None,
            "createdOn": "2024-01-01T00:00:00.0000000Z",
            "updatedOn": "2024-01-01T00:00:00.0000000Z",
            "createdBy": None,
            "updatedBy": None,
            "delegatedManagedIdentityResourceId": None,
            "description": None,
        },
    }


def datastore(
    workspace_name: str,
    name: str = "workspaceblobstore",
    credentials: str = "None",
    *,
    account: str = "mlstore",
    container_name: str | None = None,
    storage_rg: str | None = None,
    sub: str = SUBSCRIPTION,
    rg: str = RESOURCE_GROUP,
) -> dict[str, Any]:
    """A datastore as ``Datastores_List`` (API 2024-10-01) returns it; ``credentials`` is the
    credentialsType (AccountKey, Sas, ServicePrincipal, Certificate, None = identity-based);
    ``storage_rg``: the account's resource group (then ``subscriptionId``/``resourceGroup`` are set)."""
    located = {} if storage_rg is None else {"subscriptionId": sub, "resourceGroup": storage_rg}
    return {
        "id": workspace_id(workspace_name, sub=sub, rg=rg) + f"/datastores/{name}",
        "name": name,
        "type": "Microsoft.MachineLearningServices/workspaces/datastores",
        "properties": {
            "datastoreType": "AzureBlob",
            "accountName": account,
            "containerName": container_name or f"azureml-blobstore-{name}",
            **located,
            "endpoint": "core.windows.net",
            "protocol": "https",
            "credentials": {"credentialsType": credentials},
            "isDefault": name == "workspaceblobstore",
            "serviceDataAccessAuthIdentity": "WorkspaceSystemAssignedIdentity",
        },
    }


def online_endpoint(
    workspace_name: str,
    name: str,
    *,
    auth_mode: str = "AADToken",
    public_network_access: str | None = "Disabled",
    principal_id: str | None = None,
    sub: str = SUBSCRIPTION,
    rg: str = RESOURCE_GROUP,
    location: str = "eastus",
) -> dict[str, Any]:
    """An online endpoint as ``OnlineEndpoints_List`` (API 2024-10-01) returns it."""
    props: dict[str, Any] = {
        "authMode": auth_mode,
        "scoringUri": f"https://{name}.{location}.inference.ml.azure.com/score",
        "swaggerUri": f"https://{name}.{location}.inference.ml.azure.com/swagger.json",
        "provisioningState": "Succeeded",
        "traffic": {"blue": 100},
    }
    if public_network_access is not None:
        props["publicNetworkAccess"] = public_network_access
    body: dict[str, Any] = {
        "id": workspace_id(workspace_name, sub=sub, rg=rg) + f"/onlineEndpoints/{name}",
        "name": name,
        "type": "Microsoft.MachineLearningServices/workspaces/onlineEndpoints",
        "location": location,
        "kind": "Managed",
        "tags": {},
        "properties": props,
    }
    if principal_id is not None:
        body["identity"] = system_identity(principal_id)
    return body


def online_deployment(
    endpoint: dict[str, Any],
    name: str = "blue",
    *,
    model: str = "azureml://registries/azureml/models/Phi-3-mini-4k-instruct/versions/15",
    egress: str | None = "Disabled",
) -> dict[str, Any]:
    """A deployment of ``endpoint`` as ``OnlineDeployments_List`` returns it."""
    props: dict[str, Any] = {
        "endpointComputeType": "Managed",
        "model": model,
        "instanceType": "Standard_NC6s_v3",
        "appInsightsEnabled": True,
        "provisioningState": "Succeeded",
        "scaleSettings": {"scaleType": "Default"},
    }
    if egress is not None:
        props["egressPublicNetworkAccess"] = egress
    return {
        "id": f"{endpoint['id']}/deployments/{name}",
        "name": name,
        "type": "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments",
        "location": endpoint["location"],
        "kind": "Managed",
        "sku": {"name": "Default", "capacity": 1},
        "properties": props,
    }


def ml_registry(
    name: str,
    *,
    public_network_access: str | None = "Disabled",
    connections: tuple[tuple[str, str], ...] = (("pe-registry", "Approved"),),
    sub: str = SUBSCRIPTION,
    rg: str = RESOURCE_GROUP,
    location: str = "eastus",
) -> dict[str, Any]:
    """A registry as ``Registries_ListBySubscription`` returns it; ``connections`` are (name, status)."""
    rid = resource_id("Microsoft.MachineLearningServices/registries", name, sub=sub, rg=rg)
    network = f"/subscriptions/{sub}/resourceGroups/net/providers/Microsoft.Network"
    props: dict[str, Any] = {
        "discoveryUrl": f"https://{location}.api.azureml.ms/registrymanagement/v1.0/registries/{name}/discovery",
        "mlFlowRegistryUri": f"azureml://{location}.api.azureml.ms/mlflow/v1.0{rid}",
        "regionDetails": [{"location": location, "storageAccountDetails": [], "acrDetails": []}],
        "registryPrivateEndpointConnections": [
            {
                "id": f"{rid}/privateEndpointConnections/{pe}",
                "location": location,
                "properties": {
                    "privateEndpoint": {"id": f"{network}/privateEndpoints/{pe}"},
                    "registryPrivateLinkServiceConnectionState": {
                        "status": status,
                        "description": "",
                        "actionsRequired": "",
                    },
                    "groupIds": ["amlregistry"],
                    "provisioningState": "Succeeded",
                },
            }
            for pe, status in connections
        ],
    }
    if public_network_access is not None:
        props["publicNetworkAccess"] = public_network_access
    return tracked_resource(
        "Microsoft.MachineLearningServices/registries",
        name,
        sub=sub,
        rg=rg,
        location=location,
        tags={},
        identity={"type": "SystemAssigned", "principalId": f"{name}-principal", "tenantId": TENANT},
        properties=props,
    )


def key_vault(
    name: str,
    *,
    sub: str = SUBSCRIPTION,
    rg: str = RESOURCE_GROUP,
    location: str = "eastus",
    hardened: bool = True,
    connections: tuple[tuple[str, str], ...] | None = None,
    **properties: Any,
) -> dict[str, Any]:
    """A vault as ``Vaults_ListBySubscription`` (API 2023-07-01) returns it: hardened (private,
    purge protection, RBAC) or as the 2019-era defaults left it; ``connections`` are (name, status)."""
    vid = resource_id("Microsoft.KeyVault/vaults", name, sub=sub, rg=rg)
    pecs = connections if connections is not None else ((("pe-kv", "Approved"),) if hardened else ())
    props: dict[str, Any] = {
        "tenantId": TENANT,
        "sku": {"family": "A", "name": "standard"},
        "vaultUri": f"https://{name}.vault.azure.net/",
        "provisioningState": "Succeeded",
        "accessPolicies": [],
        # Key Vault lists its connections as id, etag and properties, without a name
        "privateEndpointConnections": [
            {
                "etag": "",
                **{k: v for k, v in private_endpoint_connection(vid, pe, status).items() if k in ("id", "properties")},
            }
            for pe, status in pecs
        ],
    }
    if hardened:
        props.update(
            enableSoftDelete=True,
            softDeleteRetentionInDays=90,
            enablePurgeProtection=True,
            enableRbacAuthorization=True,
            publicNetworkAccess="Disabled",
            networkAcls={"bypass": "AzureServices", "defaultAction": "Deny", "ipRules": [], "virtualNetworkRules": []},
        )
    props.update(properties)
    return tracked_resource(
        "Microsoft.KeyVault/vaults", name, sub=sub, rg=rg, location=location, tags={}, properties=props
    )


# -- Azure ML assets and jobs (API 2024-10-01: ModelVersions_List, DataVersions_List, Jobs_List) --


def _system_data(created_by: str = "priya@acme.example") -> dict[str, Any]:
    return {
        "createdAt": "2026-11-02T09:30:00.0000000Z",
        "createdBy": created_by,
        "createdByType": "User",
        "lastModifiedAt": "2026-11-02T09:30:00.0000000Z",
        "lastModifiedBy": created_by,
        "lastModifiedByType": "User",
    }


def asset_container(
    workspace_name: str, kind: str, name: str, *, sub: str = SUBSCRIPTION, rg: str = RESOURCE_GROUP
) -> dict[str, Any]:
    """A model (``kind`` models) or data (``kind`` data) container as ``ModelContainers_List`` /
    ``DataContainers_List`` return it."""
    props: dict[str, Any] = {
        "description": None,
        "tags": {},
        "properties": {},
        "isArchived": False,
        "latestVersion": "1",
        "nextVersion": "2",
        "provisioningState": "Succeeded",
    }
    if kind == "data":
        props["dataType"] = "uri_folder"
    return {
        "id": workspace_id(workspace_name, sub=sub, rg=rg) + f"/{kind}/{name}",
        "name": name,
        "type": f"Microsoft.MachineLearningServices/workspaces/{kind}",
        "properties": props,
        "systemData": _system_data(),
    }


def model_version(
    workspace_name: str,
    name: str,
    version: str = "1",
    *,
    model_uri: str | None = "azureml://datastores/workspaceblobstore/paths/models/model.pkl",
    job_name: str | None = None,
    model_type: str = "custom_model",
    stage: str | None = "Development",
    flavors: tuple[str, ...] = (),
    sub: str = SUBSCRIPTION,
    rg: str = RESOURCE_GROUP,
) -> dict[str, Any]:
    """A model version as ``ModelVersions_List`` returns it."""
    props: dict[str, Any] = {
        "description": None,
        "tags": {},
        "properties": {},
        "isArchived": False,
        "isAnonymous": False,
        "modelType": model_type,
        "flavors": {flavor: {"data": {}} for flavor in flavors},
        "provisioningState": "Succeeded",
    }
    for key, value in (("modelUri", model_uri), ("jobName", job_name), ("stage", stage)):
        if value is not None:
            props[key] = value
    return {
        "id": workspace_id(workspace_name, sub=sub, rg=rg) + f"/models/{name}/versions/{version}",
        "name": version,
        "type": "Microsoft.MachineLearningServices/workspaces/models/versions",
        "properties": props,
        "systemData": _system_data(),
    }


def data_version(
    workspace_name: str,
    name: str,
    version: str = "1",
    *,
    data_uri: str = "azureml://datastores/workspaceblobstore/paths/data/",
    data_type: str = "uri_folder",
    sub: str = SUBSCRIPTION,
    rg: str = RESOURCE_GROUP,
) -> dict[str, Any]:
    """A data asset version as ``DataVersions_List`` returns it."""
    return {
        "id": workspace_id(workspace_name, sub=sub, rg=rg) + f"/data/{name}/versions/{version}",
        "name": version,
        "type": "Microsoft.MachineLearningServices/workspaces/data/versions",
        "properties": {
            "description": None,
            "tags": {},
            "properties": {},
            "isArchived": False,
            "isAnonymous": False,
            "dataType": data_type,
            "dataUri": data_uri,
        },
        "systemData": _system_data(),
    }


def ml_job(
    workspace_name: str,
    name: str,
    *,
    job_type: str = "Command",
    identity: dict[str, Any] | None = None,
    inputs: dict[str, str] | None = None,
    outputs: dict[str, str | None] | None = None,
    compute: str = "train-gpu",
    status: str = "Completed",
    sub: str = SUBSCRIPTION,
    rg: str = RESOURCE_GROUP,
) -> dict[str, Any]:
    """A job as ``Jobs_List`` returns it; ``inputs`` / ``outputs`` map names to URIs (an output
    of ``None`` is left to the default location); ``identity`` is the IdentityConfiguration
    (``{"identityType": "AMLToken"}``, ``Managed`` with clientId/objectId/resourceId,
    ``UserIdentity``; None = not set)."""
    wid = workspace_id(workspace_name, sub=sub, rg=rg)
    props: dict[str, Any] = {
        "jobType": job_type,
        "displayName": name,
        "experimentName": "training",
        "status": status,
        "isArchived": False,
        "computeId": f"{wid}/computes/{compute}",
        "environmentId": "azureml://registries/azureml/environments/sklearn-1.5/versions/1",
        "properties": {},
        "tags": {},
        "services": {},
        "inputs": {
            key: {"jobInputType": "uri_folder", "uri": uri, "mode": "ReadOnlyMount"}
            for key, uri in (inputs or {}).items()
        },
        "outputs": {
            key: {
                "jobOutputType": "custom_model" if key == "model" else "uri_folder",
                "mode": "ReadWriteMount",
                **({"uri": uri} if uri is not None else {}),
            }
            for key, uri in (outputs or {}).items()
        },
    }
    if job_type == "Command":
        props["command"] = "python train.py --data ${{inputs.training_data}}"
    if identity is not None:
        props["identity"] = identity
    return {
        "id": f"{wid}/jobs/{name}",
        "name": name,
        "type": "Microsoft.MachineLearningServices/workspaces/jobs",
        "properties": props,
        "systemData": _system_data(),
    }


def subscription(sub_id: str, name: str = "ML", state: str = "Enabled") -> dict[str, Any]:
    """A ``Subscription`` as ``Subscriptions_List`` returns it."""
    return {
        "id": f"/subscriptions/{sub_id}",
        "subscriptionId": sub_id,
        "tenantId": TENANT,
        "displayName": name,
        "state": state,
        "subscriptionPolicies": {
            "locationPlacementId": "Public_2014-09-01",
            "quotaId": "PayAsYouGo_2014-09-01",
            "spendingLimit": "Off",
        },
        "authorizationSource": "RoleBased",
    }


def arm_error(code: str, message: str) -> dict[str, Any]:
    """ARM's error body."""
    return {"error": {"code": code, "message": message}}


# ---------------------------------------------------------------------------------------------
# The fake
# ---------------------------------------------------------------------------------------------

_BLOB_SERVICE = re.compile(
    r"^(?P<account>/subscriptions/[^/]+/resourcegroups/[^/]+/providers/microsoft\.storage/storageaccounts/[^/]+)"
    r"/blobservices/default(?P<rest>/containers)?$"
)
_COMPUTES = re.compile(
    r"^(?P<ws>/subscriptions/[^/]+/resourcegroups/[^/]+/providers/microsoft\.machinelearningservices/workspaces/[^/]+)"
    r"/computes$"
)
# Listings under an existing resource that hold nothing yet (ARM answers an empty list).
_CHILD_LISTING = (
    r"^/subscriptions/[^/]+/resourcegroups/[^/]+/providers/microsoft\.cognitiveservices/accounts/[^/]+"
    r"(/deployments|/raipolicies|/providers/microsoft\.insights/diagnosticsettings)$"
    r"|^/subscriptions/[^/]+/resourcegroups/[^/]+/providers/microsoft\.machinelearningservices/workspaces/[^/]+"
    r"/providers/microsoft\.insights/diagnosticsettings$"
)


def _unseeded_listing(lowered: str, sub: str) -> list[dict[str, Any]] | None:
    """What ARM lists where nothing was seeded: no AI accounts, no role assignments, the built-in
    role definitions, nothing under an AI account; None for a path that is no such listing."""
    if re.match(
        r"^/subscriptions/[^/]+/providers/microsoft\.(cognitiveservices/accounts|authorization/roleassignments)$",
        lowered,
    ):
        return []
    if re.match(r"^/subscriptions/[^/]+/providers/microsoft\.authorization/roledefinitions$", lowered):
        return built_in_role_definitions(sub)
    if re.match(_CHILD_LISTING, lowered) or re.match(_ML_LISTING, lowered):
        return []
    return None


_ML_LISTING = (
    r"^/subscriptions/[^/]+/(providers/microsoft\.(machinelearningservices/registries|keyvault/vaults)"
    r"|resourcegroups/[^/]+/providers/microsoft\.machinelearningservices/workspaces/[^/]+"
    r"/(onlineendpoints(/[^/]+/deployments)?|datastores|jobs|(models|data)(/[^/]+/versions)?))$"
)
_NAMESPACES = (
    "microsoft.storage",
    "microsoft.machinelearningservices",
    "microsoft.cognitiveservices",
    "microsoft.authorization",
    "microsoft.keyvault",
)


@dataclass
class FakeArm:
    """In-memory ARM state. Keys are lower-cased resource ids / subscription ids."""

    subscriptions: list[dict[str, Any]] = field(default_factory=list)
    accounts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # sub -> accounts
    blob_services: dict[str, dict[str, Any]] = field(default_factory=dict)  # account id -> properties
    containers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # account id -> containers
    workspaces: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # sub -> workspaces
    computes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # workspace id -> computes
    listings: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # any other listing: path -> items
    denied: set[str] = field(default_factory=set)  # path prefixes answered 403 AuthorizationFailed
    unregistered: set[tuple[str, str]] = field(default_factory=set)  # (sub, provider namespace) -> 409
    page_size: int = 1000
    requests: list[tuple[str, str]] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    tokens_issued: int = 0
    accepted_secret: str | None = None  # when set, a token request with another client secret is refused
    deleted_principals: set[str] = field(default_factory=set)  # assigned, but gone from the directory (Graph)
    graph_denied: bool = False  # Graph's getByIds answers 403 (no Directory.Read.All)
    blobs: azure_blobs.FakeBlobs = field(default_factory=azure_blobs.FakeBlobs)  # Blob Storage's data plane
    base: str = ARM
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # -- seeding ------------------------------------------------------------------------------

    def add_account(
        self, raw: dict[str, Any], *, blob: dict[str, Any] | None = None, containers: Iterable[dict[str, Any]] = ()
    ) -> None:
        sub = raw["id"].split("/")[2].lower()
        self.accounts.setdefault(sub, []).append(raw)
        if blob is not None:
            self.blob_services[raw["id"].lower()] = blob
        self.containers[raw["id"].lower()] = list(containers)

    def add_workspace(self, raw: dict[str, Any], computes: Iterable[dict[str, Any]] = ()) -> None:
        sub = raw["id"].split("/")[2].lower()
        self.workspaces.setdefault(sub, []).append(raw)
        self.computes[raw["id"].lower()] = list(computes)

    def add_listing(self, path: str, items: Iterable[dict[str, Any]]) -> None:
        """Serve ``items`` (paged) at ``path``; appended to what is there."""
        self.listings.setdefault(path.lower(), []).extend(items)

    def add_ai_account(
        self,
        raw: dict[str, Any],
        *,
        deployments: Iterable[dict[str, Any]] = (),
        rai_policies: Iterable[dict[str, Any]] | None = None,
        diagnostic_settings: Iterable[dict[str, Any]] = (),
    ) -> None:
        """An AI Services account, its deployments, RAI policies (default: the two built-in ones)
        and diagnostic settings."""
        account = raw["id"]
        sub = account.split("/")[2]
        self.add_listing(f"/subscriptions/{sub}/providers/{AI_ACCOUNTS}", [raw])
        self.add_listing(f"{account}/deployments", deployments)
        policies = default_rai_policies(raw["name"], sub=sub, rg=account.split("/")[4])
        self.add_listing(f"{account}/raiPolicies", policies if rai_policies is None else rai_policies)
        self.add_listing(f"{account}/providers/Microsoft.Insights/diagnosticSettings", diagnostic_settings)

    def add_online_endpoint(self, raw: dict[str, Any], deployments: Iterable[dict[str, Any]] = ()) -> None:
        """An online endpoint of an existing workspace (its id says which), with its deployments."""
        workspace = raw["id"].rsplit("/onlineEndpoints/", 1)[0]
        self.add_listing(f"{workspace}/onlineEndpoints", [raw])
        self.add_listing(f"{raw['id']}/deployments", deployments)

    def add_asset(self, kind: str, versions: Iterable[dict[str, Any]]) -> None:
        """Model (``kind`` models) or data (``kind`` data) versions, with their containers."""
        for version in versions:
            container_path = version["id"].rsplit("/versions/", 1)[0]
            workspace, name = container_path.rsplit(f"/{kind}/", 1)
            listed = self.listings.setdefault(f"{workspace}/{kind}".lower(), [])
            if not any(c["name"] == name for c in listed):
                sub, rg = workspace.split("/")[2], workspace.split("/")[4]
                listed.append(asset_container(workspace.rsplit("/", 1)[1], kind, name, sub=sub, rg=rg))
            self.add_listing(f"{container_path}/versions", [version])

    def add_jobs(self, jobs: Iterable[dict[str, Any]]) -> None:
        for job in jobs:
            self.add_listing(job["id"].rsplit("/", 1)[0], [job])

    def add_key_vault(self, raw: dict[str, Any]) -> None:
        sub = raw["id"].split("/")[2]
        self.add_listing(f"/subscriptions/{sub}/providers/Microsoft.KeyVault/vaults", [raw])

    def add_registry(self, raw: dict[str, Any]) -> None:
        sub = raw["id"].split("/")[2]
        self.add_listing(f"/subscriptions/{sub}/providers/Microsoft.MachineLearningServices/registries", [raw])

    def add_rbac(
        self, sub: str, assignments: Iterable[dict[str, Any]], definitions: Iterable[dict[str, Any]] = ()
    ) -> None:
        """Role assignments of a subscription, and its role definitions: the built-in ones plus ``definitions``."""
        base = f"/subscriptions/{sub}/providers/Microsoft.Authorization"
        self.add_listing(f"{base}/roleAssignments", assignments)
        if f"{base}/roledefinitions".lower() not in self.listings:
            self.add_listing(f"{base}/roleDefinitions", built_in_role_definitions(sub))
        self.add_listing(f"{base}/roleDefinitions", definitions)

    def deny(self, path_prefix: str) -> None:
        self.denied.add(path_prefix.lower())

    # -- answering ----------------------------------------------------------------------------

    def handle(self, method: str, url: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        """Answer one request: (HTTP status, JSON body)."""
        parsed = urlparse(url)
        path = parsed.path.rstrip("/")
        query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
        with self._lock:
            self.requests.append((method, path))
        auth = (
            self._auth_route(method, path, body)
            or azure_graph.route(self, method, path, headers, body)
            or azure_blobs.route(self, method, url, headers)
        )
        if auth is not None:
            return auth
        if method != "GET":
            with self._lock:
                self.violations.append(f"{method} {path}")
            return 405, arm_error("MethodNotAllowed", "the fake ARM is read-only")
        if not headers.get("authorization", headers.get("Authorization", "")).startswith("Bearer "):
            return 401, arm_error("AuthenticationFailed", "no bearer token")
        lowered = path.lower()
        if any(lowered.startswith(prefix) for prefix in self.denied):
            return 403, arm_error(
                "AuthorizationFailed", f"The client does not have authorization to perform action over scope '{path}'."
            )
        return self._route(lowered, path, query)

    def _auth_route(self, method: str, path: str, body: bytes) -> tuple[int, dict[str, Any]] | None:
        if path.endswith("/v2.0/.well-known/openid-configuration"):
            tenant = path.split("/")[1]
            issuer = f"{self.base}/{tenant}/v2.0"
            return 200, {
                "issuer": issuer,
                "authorization_endpoint": f"{self.base}/{tenant}/oauth2/v2.0/authorize",
                "token_endpoint": f"{self.base}/{tenant}/oauth2/v2.0/token",
                "device_authorization_endpoint": f"{self.base}/{tenant}/oauth2/v2.0/devicecode",
                "tenant_region_scope": "EU",
            }
        if method == "POST" and path.endswith("/oauth2/v2.0/token"):
            secret = parse_qs(body.decode()).get("client_secret", [""])[0]
            if self.accepted_secret is not None and secret != self.accepted_secret:
                return 401, {
                    "error": "invalid_client",
                    "error_description": "AADSTS7000215: Invalid client secret provided.",
                    "error_codes": [7000215],
                }
            with self._lock:
                self.tokens_issued += 1
            return 200, {
                "token_type": "Bearer",
                "expires_in": 3599,
                "ext_expires_in": 3599,
                "access_token": "fake-arm-token",
            }
        return None

    def _route(self, lowered: str, path: str, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        parts = lowered.split("/")
        if lowered == "/subscriptions":
            return 200, {"value": self.subscriptions, "count": {"type": "Total", "value": len(self.subscriptions)}}
        if len(parts) < 3 or parts[1] != "subscriptions":
            return 404, arm_error("InvalidResourceType", f"no route for {path}")
        sub = parts[2]
        unregistered = {(s.lower(), n.lower()) for s, n in self.unregistered}
        for namespace in _NAMESPACES:
            if f"/providers/{namespace}/" in lowered and (sub, namespace) in unregistered:
                return 409, arm_error(
                    "MissingSubscriptionRegistration",
                    f"The subscription is not registered to use namespace '{namespace}'.",
                )
        return self._resource_route(lowered, path, sub, query)

    def _resource_route(self, lowered: str, path: str, sub: str, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if lowered == f"/subscriptions/{sub}/providers/microsoft.storage/storageaccounts":
            return 200, self._page(path, self.accounts.get(sub, []), query)
        if lowered == f"/subscriptions/{sub}/providers/microsoft.machinelearningservices/workspaces":
            return 200, self._page(path, self.workspaces.get(sub, []), query)
        match = _BLOB_SERVICE.match(lowered)
        if match:
            account = match.group("account")
            if match.group("rest"):
                return 200, self._page(path, self.containers.get(account, []), query)
            blob = self.blob_services.get(account)
            return (200, blob) if blob is not None else (404, arm_error("ResourceNotFound", "no blob service"))
        match = _COMPUTES.match(lowered)
        if match:
            return 200, self._page(path, self.computes.get(match.group("ws"), []), query)
        if lowered in self.listings:
            return 200, self._page(path, self.listings[lowered], query)
        empty = _unseeded_listing(lowered, sub)
        if empty is not None:
            return 200, {"value": empty}
        return 404, arm_error("ResourceNotFound", f"no route for {path}")

    def _page(self, path: str, items: list[dict[str, Any]], query: dict[str, str]) -> dict[str, Any]:
        """One page of a listing; ``nextLink`` (absolute, as ARM sends it) when more remain."""
        start = int(query.get("$skiptoken", "0"))
        page: dict[str, Any] = {"value": items[start : start + self.page_size]}
        if start + self.page_size < len(items):
            next_query = {"api-version": query.get("api-version", ""), "$skiptoken": str(start + self.page_size)}
            page["nextLink"] = f"{self.base}{path}?{urlencode(next_query)}"
        return page


# ---------------------------------------------------------------------------------------------
# Serving it
# ---------------------------------------------------------------------------------------------


def make_cert(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 / localhost, valid for a day: (cert.pem, key.pem)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cspm local fake")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.touch(mode=0o600)
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@contextmanager
def serve_https(fake: FakeArm, cert: Path, key: Path) -> Iterator[str]:
    """Serve ``fake`` over HTTPS on 127.0.0.1 and a free port; yields the base URL (also set as
    ``fake.base``, so links and the OpenID configuration point back at it)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    with serve(fake, tls=context) as base:
        fake.base = base
        yield base


# ---------------------------------------------------------------------------------------------
# The demo's subscription
# ---------------------------------------------------------------------------------------------

DEMO_SUBSCRIPTION = "4a7c2e91-5d3b-4f68-9e1a-acde0b7f3c25"
DEMO_SUBSCRIPTION_NAME = "acme-ml"
DEMO_CLIENT_ID = "5f0c9d3e-7b21-4e8a-b6d4-3c9e2a1f0d77"
DEMO_CLIENT_SECRET = "demo-secret-not-a-real-credential"  # only ever sent to the local fake
DATA_RG = "acme-ml-data"
LEGACY_RG = "acme-ml-legacy"
WORKSPACE_RG = "acme-ml-workspaces"
DATA_ACCOUNT = "acmemldata"  # training data and features: hardened
LEGACY_ACCOUNT = "acmemllegacy"  # the first experiments' account, never cleaned up
SECURE_WORKSPACE = "acme-ml-prod"
OPEN_WORKSPACE = "acme-ml-sandbox"
AI_RG = "acme-ml-ai"
SECURE_AI_ACCOUNT = "acme-ml-openai"  # production Azure OpenAI: private, Entra-only, strict content filter
OPEN_AI_ACCOUNT = "acme-ml-playground"  # the prompt-engineering playground: keys, public, default filters
STRICT_FILTER = "acme-strict"
# Object ids of the demo's principals (Entra ID object ids are GUIDs).
PROD_WS_IDENTITY = "0e6f3b1a-2c4d-4e5f-8a9b-1c2d3e4f5a01"
SANDBOX_WS_IDENTITY = "0e6f3b1a-2c4d-4e5f-8a9b-1c2d3e4f5a02"
OPENAI_IDENTITY = "0e6f3b1a-2c4d-4e5f-8a9b-1c2d3e4f5a03"
DEPLOY_PIPELINE = "0e6f3b1a-2c4d-4e5f-8a9b-1c2d3e4f5a04"  # the CI/CD service principal
DATA_SCIENTISTS = "0e6f3b1a-2c4d-4e5f-8a9b-1c2d3e4f5a05"  # an Entra group
DELETED_PRINCIPAL = "0e6f3b1a-2c4d-4e5f-8a9b-1c2d3e4f5a06"  # a service principal deleted long ago
DELETED_USER = "0e6f3b1a-2c4d-4e5f-8a9b-1c2d3e4f5a07"  # a contractor's account, deleted; ARM still says User
ML_OPERATOR_ROLE = "7d1c2b3a-4e5f-4a6b-9c8d-0e1f2a3b4c5d"  # custom role "acme ML operator"
SCORING_IDENTITY = "0e6f3b1a-2c4d-4e5f-8a9b-1c2d3e4f5a07"
AI_HUB = "acme-ai-hub"  # an AI Foundry hub and its project
AI_PROJECT = "acme-support-assistant"
SECURE_ENDPOINT = "fraud-scoring"  # private, Entra tokens, a model from acme's own registry
OPEN_ENDPOINT = "demo-chat"  # keys, public, a model from Microsoft's public catalog
REGISTRY = "acme-ml-registry"
CHURN_JOB = "train-churn-7"  # a sandbox job trained on the public datasets container
FRAUD_MODEL = "fraud-detector"  # the production workspace's own copy: safetensors
CHURN_MODEL = "churn-classifier"  # registered from that job's output, served by demo-chat
SECURE_VAULT = "acme-ml-kv"
LEGACY_VAULT = "acme-ml-legacy-kv"
_TAGS = {"owner": "ml-platform", "env": "prod", "cost-center": "ml-4711"}

DESCRIPTION = f"an Azure subscription ({DEMO_SUBSCRIPTION_NAME}, {DEMO_SUBSCRIPTION}) on a fake Resource Manager"


def demo_subscription() -> FakeArm:
    """The acme-ml subscription: a hardened ML data account next to a legacy one with a public
    ``datasets`` container, and a locked-down production workspace next to an open sandbox."""
    fake = FakeArm(
        subscriptions=[subscription(DEMO_SUBSCRIPTION, DEMO_SUBSCRIPTION_NAME)], accepted_secret=DEMO_CLIENT_SECRET
    )
    sub = DEMO_SUBSCRIPTION
    fake.add_account(
        hardened_account(DATA_ACCOUNT, sub=sub, rg=DATA_RG, key_vault="acme-ml-kv", key_name="ml-data", tags=_TAGS),
        blob=blob_service(DATA_ACCOUNT, blob_days=14, container_days=14, sub=sub, rg=DATA_RG),
        containers=[
            container(DATA_ACCOUNT, name, sub=sub, rg=DATA_RG) for name in ("training-data", "features", "models")
        ],
    )
    fake.add_account(
        storage_account(
            LEGACY_ACCOUNT,
            sub=sub,
            rg=LEGACY_RG,
            location="eastus",
            tags={**_TAGS, "env": "dev"},
            allowBlobPublicAccess=True,
            allowSharedKeyAccess=True,
            supportsHttpsTrafficOnly=True,
            minimumTlsVersion="TLS1_0",
            publicNetworkAccess="Enabled",
            networkAcls={"bypass": "AzureServices", "virtualNetworkRules": [], "ipRules": [], "defaultAction": "Allow"},
            encryption={
                "services": {"blob": {"enabled": True, "keyType": "Account"}},
                "keySource": "Microsoft.Storage",  # Microsoft-managed keys
            },
        ),
        blob=blob_service(LEGACY_ACCOUNT, blob_days=None, container_days=None, versioning=False, sub=sub, rg=LEGACY_RG),
        containers=[
            container(LEGACY_ACCOUNT, "datasets", "Container", sub=sub, rg=LEGACY_RG),  # anyone can list and read
            container(LEGACY_ACCOUNT, "notebook-scratch", "None", sub=sub, rg=LEGACY_RG),
        ],
    )
    ws: dict[str, Any] = {"sub": sub, "rg": WORKSPACE_RG, "location": "westeurope"}
    fake.add_workspace(
        hardened_workspace(
            SECURE_WORKSPACE,
            **ws,
            tags=_TAGS,
            principal_id=PROD_WS_IDENTITY,
            storageAccount=account_id(DATA_ACCOUNT, sub=sub, rg=DATA_RG),
            keyVault=resource_id("Microsoft.KeyVault/vaults", SECURE_VAULT, sub=sub, rg=DATA_RG),
        ),
        [
            compute(SECURE_WORKSPACE, "train-gpu", "AmlCompute", **ws),
            compute(SECURE_WORKSPACE, "ci-priya", **ws),
        ],
    )
    fake.add_workspace(
        workspace(
            OPEN_WORKSPACE,
            **ws,
            tags={**_TAGS, "env": "dev"},
            principal_id=SANDBOX_WS_IDENTITY,
            storageAccount=account_id(LEGACY_ACCOUNT, sub=sub, rg=LEGACY_RG),
            keyVault=resource_id("Microsoft.KeyVault/vaults", LEGACY_VAULT, sub=sub, rg=LEGACY_RG),
            publicNetworkAccess="Enabled",
            managedNetwork={"isolationMode": "Disabled"},
            systemDatastoresAuthMode="accessKey",
        ),
        [compute(OPEN_WORKSPACE, "ci-dana", disable_local_auth=False, **ws)],
    )
    _demo_ml_serving(fake)
    _demo_ai_services(fake)
    _demo_rbac(fake)
    return fake


def _demo_ml_serving(fake: FakeArm) -> None:
    """Online endpoints of the two workspaces, acme's model registry, an AI Foundry hub with a
    project, the workspaces' key vaults and diagnostic settings."""
    sub = DEMO_SUBSCRIPTION
    ws: dict[str, Any] = {"sub": sub, "rg": WORKSPACE_RG, "location": "westeurope"}
    fake.add_registry(ml_registry(REGISTRY, **ws))
    secure = online_endpoint(SECURE_WORKSPACE, SECURE_ENDPOINT, principal_id=SCORING_IDENTITY, **ws)
    model = f"azureml://registries/{REGISTRY}/models/fraud-detector/versions/7"
    fake.add_online_endpoint(secure, [online_deployment(secure, model=model)])
    opened = online_endpoint(OPEN_WORKSPACE, OPEN_ENDPOINT, auth_mode="Key", public_network_access="Enabled", **ws)
    churn_model = workspace_id(OPEN_WORKSPACE, sub=sub, rg=WORKSPACE_RG) + f"/models/{CHURN_MODEL}/versions/3"
    fake.add_online_endpoint(
        opened,
        [online_deployment(opened, egress="Enabled"), online_deployment(opened, "churn", model=churn_model)],
    )
    _demo_ml_assets(fake)
    hub = hardened_workspace(AI_HUB, **ws, kind="Hub", tags=_TAGS, principal_id=PROD_WS_IDENTITY)
    project = hardened_workspace(
        AI_PROJECT, **ws, kind="Project", tags=_TAGS, principal_id=PROD_WS_IDENTITY, hubResourceId=hub["id"]
    )
    fake.add_workspace(hub)
    fake.add_workspace(project)
    fake.add_key_vault(key_vault(SECURE_VAULT, sub=sub, rg=DATA_RG, location="westeurope"))
    fake.add_key_vault(key_vault(LEGACY_VAULT, sub=sub, rg=LEGACY_RG, location="westeurope", hardened=False))
    for name, credentials in ((SECURE_WORKSPACE, "None"), (OPEN_WORKSPACE, "AccountKey"), (AI_PROJECT, "None")):
        fake.add_listing(
            workspace_id(name, sub=sub, rg=WORKSPACE_RG) + "/datastores",
            [datastore(name, credentials=credentials, sub=sub, rg=WORKSPACE_RG)],
        )
    for name in (SECURE_WORKSPACE, AI_HUB, AI_PROJECT):
        wid = workspace_id(name, sub=sub, rg=WORKSPACE_RG)
        fake.add_listing(
            f"{wid}/providers/Microsoft.Insights/diagnosticSettings",
            [diagnostic_setting(wid, "to-sentinel", category_groups=("allLogs",))],
        )


def _demo_ml_assets(fake: FakeArm) -> None:
    """The sandbox's supply chain: a job trained on the legacy account's public ``datasets``
    container wrote a model to ``notebook-scratch``; the model was registered from the job's
    output and is served by the open endpoint."""
    sub = DEMO_SUBSCRIPTION
    ws: dict[str, Any] = {"sub": sub, "rg": WORKSPACE_RG}
    legacy: dict[str, Any] = {"account": LEGACY_ACCOUNT, "storage_rg": LEGACY_RG, **ws}
    fake.add_listing(
        workspace_id(OPEN_WORKSPACE, **ws) + "/datastores",
        [
            datastore(OPEN_WORKSPACE, "legacydatasets", "AccountKey", container_name="datasets", **legacy),
            datastore(OPEN_WORKSPACE, "sandboxartifacts", "AccountKey", container_name="notebook-scratch", **legacy),
        ],
    )
    fake.add_jobs(
        [
            ml_job(
                OPEN_WORKSPACE,
                CHURN_JOB,
                compute="ci-dana",
                inputs={"training_data": "azureml://datastores/legacydatasets/paths/churn/2026-11/"},
                outputs={"model": f"azureml://datastores/sandboxartifacts/paths/churn/{CHURN_JOB}/"},
                **ws,
            )
        ]
    )
    fake.add_asset(
        "models",
        [
            model_version(
                OPEN_WORKSPACE,
                CHURN_MODEL,
                "3",
                model_uri=f"azureml://jobs/{CHURN_JOB}/outputs/model/paths/model.pkl",
                job_name=CHURN_JOB,
                flavors=("python_function", "sklearn"),
                **ws,
            )
        ],
    )
    fake.add_asset(
        "data",
        [data_version(OPEN_WORKSPACE, "churn-raw", data_uri="azureml://datastores/legacydatasets/paths/churn/", **ws)],
    )
    _demo_model_blobs(fake)


def _demo_model_blobs(fake: FakeArm) -> None:
    """What ``--inspect-artifacts`` reads (cspm.demo.azure_blobs): the churn model the open
    endpoint serves is a pickle that runs os.system when loaded; the production workspace's fraud
    model is an MLflow folder of safetensors."""
    from cspm.demo.gcp_objects import MALICIOUS_PICKLE, safetensors_model

    ws: dict[str, Any] = {"sub": DEMO_SUBSCRIPTION, "rg": WORKSPACE_RG}
    fake.blobs.put(LEGACY_ACCOUNT, "notebook-scratch", f"churn/{CHURN_JOB}/model.pkl", MALICIOUS_PICKLE)
    fake.add_asset(
        "models",
        [
            model_version(
                SECURE_WORKSPACE,
                FRAUD_MODEL,
                "7",
                model_uri="azureml://datastores/fraudmodels/paths/fraud/v7/",
                model_type="mlflow_model",
                stage="Production",
                flavors=("python_function",),
                **ws,
            )
        ],
    )
    fake.add_listing(
        workspace_id(SECURE_WORKSPACE, **ws) + "/datastores",
        [datastore(SECURE_WORKSPACE, "fraudmodels", account=DATA_ACCOUNT, container_name="models", storage_rg=DATA_RG,
                   **ws)],
    )  # fmt: skip
    fake.blobs.put(DATA_ACCOUNT, "models", "fraud/v7/MLmodel", b"flavors:\n  python_function: {}\n")
    fake.blobs.put(DATA_ACCOUNT, "models", "fraud/v7/model.safetensors", safetensors_model())


def _demo_ai_services(fake: FakeArm) -> None:
    """A production Azure OpenAI account next to an open playground."""
    sub, rg = DEMO_SUBSCRIPTION, AI_RG
    ai: dict[str, Any] = {"sub": sub, "rg": rg}
    secure_id = ai_account_id(SECURE_AI_ACCOUNT, **ai)
    fake.add_ai_account(
        hardened_ai_account(
            SECURE_AI_ACCOUNT,
            **ai,
            location="westeurope",
            kind="OpenAI",
            principal_id=OPENAI_IDENTITY,
            tags=_TAGS,
            properties={
                "encryption": {
                    "keySource": "Microsoft.KeyVault",
                    "keyVaultProperties": {
                        "keyName": "openai",
                        "keyVaultUri": f"https://{SECURE_VAULT}.vault.azure.net/",
                    },
                }
            },
        ),
        deployments=[
            ai_deployment(SECURE_AI_ACCOUNT, "gpt-4o-support", rai_policy=STRICT_FILTER, **ai),
            ai_deployment(SECURE_AI_ACCOUNT, "embeddings", "text-embedding-3-large", "1", rai_policy=None, **ai),
        ],
        rai_policies=[
            *default_rai_policies(SECURE_AI_ACCOUNT, **ai),
            rai_policy(SECURE_AI_ACCOUNT, STRICT_FILTER, threshold="Low", blocklists=("acme-pii",), **ai),
        ],
        diagnostic_settings=[diagnostic_setting(secure_id, "to-sentinel", categories=("Audit", "RequestResponse"))],
    )
    playground_id = ai_account_id(OPEN_AI_ACCOUNT, **ai)
    fake.add_ai_account(
        ai_account(
            OPEN_AI_ACCOUNT,
            **ai,
            location="westeurope",
            kind="AIServices",
            tags={**_TAGS, "env": "dev"},
            publicNetworkAccess="Enabled",
            networkAcls={"defaultAction": "Allow", "ipRules": [], "virtualNetworkRules": []},
            # someone asked for a private endpoint; nobody approved it
            privateEndpointConnections=[private_endpoint_connection(playground_id, "pe-playground", "Pending")],
        ),
        deployments=[
            ai_deployment(
                OPEN_AI_ACCOUNT, "gpt-35-legacy", "gpt-35-turbo", "0125", rai_policy="Microsoft.Default", **ai
            ),
            # its custom filter was deleted; the deployment still names it
            ai_deployment(OPEN_AI_ACCOUNT, "gpt-4o-mini-test", "gpt-4o-mini", rai_policy="acme-relaxed", **ai),
        ],
        diagnostic_settings=[diagnostic_setting(playground_id, "metrics-only", category_groups=())],
    )


def _demo_rbac(fake: FakeArm) -> None:
    """Who holds what: least-privilege identities for production, broad ones elsewhere."""
    sub = DEMO_SUBSCRIPTION
    scope = f"/subscriptions/{sub}"
    data = account_id(DATA_ACCOUNT, sub=sub, rg=DATA_RG)
    operator = role_definition(
        ML_OPERATOR_ROLE, "acme ML operator", sub=sub, actions=["*"], not_actions=["Microsoft.Authorization/*/Write"]
    )
    fake.add_rbac(
        sub,
        [
            role_assignment(PROD_WS_IDENTITY, "Storage Blob Data Reader", data, sub=sub),
            role_assignment(OPENAI_IDENTITY, "Storage Blob Data Reader", data, sub=sub),
            role_assignment(SCORING_IDENTITY, "Storage Blob Data Reader", data, sub=sub),
            role_assignment(SANDBOX_WS_IDENTITY, "Contributor", scope, sub=sub),
            role_assignment(DEPLOY_PIPELINE, "Owner", scope, sub=sub),
            role_assignment(DATA_SCIENTISTS, "Storage Blob Data Contributor", scope, principal_type="Group", sub=sub),
            role_assignment(
                DATA_SCIENTISTS,
                ML_OPERATOR_ROLE,
                f"{scope}/resourceGroups/{WORKSPACE_RG}",
                principal_type="Group",
                sub=sub,
            ),
            role_assignment(DELETED_PRINCIPAL, "Reader", scope, principal_type="Unknown", sub=sub),
            role_assignment(
                DELETED_USER, "Reader", f"{scope}/resourceGroups/{WORKSPACE_RG}", principal_type="User", sub=sub
            ),
        ],
        [operator],
    )
    fake.deleted_principals.add(DELETED_USER)  # Microsoft Graph no longer has it


def demo_environment(base: str, cert: Path) -> dict[str, str]:
    """The documented settings that send the Azure provider to the fake at ``base``: a service
    principal signing in at the fake authority, the fake as the Resource Manager endpoint, and
    its certificate as the trusted CA bundle."""
    return {
        "AZURE_CLIENT_ID": DEMO_CLIENT_ID,
        "AZURE_CLIENT_SECRET": DEMO_CLIENT_SECRET,
        "AZURE_TENANT_ID": TENANT,
        "AZURE_AUTHORITY_HOST": base,
        "CSPM_AZURE_ARM_ENDPOINT": base,
        "CSPM_AZURE_GRAPH_ENDPOINT": base,
        "CSPM_AZURE_BLOB_ENDPOINT": base,  # the fake serves Blob Storage's data plane too
        "REQUESTS_CA_BUNDLE": str(cert),
    }


@contextmanager
def simulated(directory: Path) -> Iterator[Simulated[FakeArm]]:
    """The demo subscription served over HTTPS on 127.0.0.1 (certificate and key written to
    ``directory``); stopped on exit."""
    fake = demo_subscription()
    cert, key = make_cert(directory)
    with serve_https(fake, cert, key) as base:
        yield Simulated(base, fake, demo_environment(base, cert))


def demo_provider() -> AzureProvider:
    """The unmodified Azure provider, for the demo subscription; it finds the fake through the
    settings of :func:`demo_environment` (imports the Azure SDK). It inspects the Azure ML model
    assets' blobs (``--inspect-artifacts``) when picklescan is installed, as the other clouds do."""
    from cspm.artifacts.collect import ArtifactSettings
    from cspm.providers.azure import AzureOptions, AzureProvider

    try:
        import picklescan.scanner  # noqa: F401
    except ImportError:
        return AzureProvider(AzureOptions(subscriptions=(DEMO_SUBSCRIPTION,)))
    return AzureProvider(AzureOptions(subscriptions=(DEMO_SUBSCRIPTION,), artifacts=ArtifactSettings()))
