"""Azure Key Vault: the vaults of a subscription, with their network and recovery settings.

Requests per subscription: Vaults_ListBySubscription (one per page), whatever the number of
vaults: the listing carries every property read (docs/azure-gcp.md). Plain ARM GETs through
``ctx.client("arm")``, as for AI Services (no azure-mgmt-keyvault).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

from cspm.providers.azure.arm import private_endpoint_from_arm
from cspm.providers.azure.context import AzureContext, resource_group_of
from cspm.providers.base import ServiceSpec
from cspm.resources.azure.keyvault import KeyVault

API_VERSION: Final = "2023-07-01"
PERMISSIONS = ("Microsoft.KeyVault/vaults/read",)
NOTHING_HERE = {"MissingSubscriptionRegistration"}


def collect(ctx: AzureContext) -> Iterator[KeyVault]:
    items = ctx.list_items(
        ctx.client("arm").list,
        f"/subscriptions/{ctx.subscription}/providers/Microsoft.KeyVault/vaults",
        API_VERSION,
        operation="Vaults_ListBySubscription",
        absent=NOTHING_HERE,
        affects=(KeyVault,),
    )
    for raw in items or ():
        resource_group = resource_group_of(str(raw.get("id") or ""))
        if resource_group is None:
            ctx.error("Vaults_ListBySubscription", "MalformedResourceId", f"no resource group in {raw.get('id')!r}")
            continue
        yield vault_from_arm(raw, ctx.subscription, resource_group, ctx.saw_location(raw.get("location")))


def vault_from_arm(raw: dict[str, Any], subscription: str, resource_group: str, location: str) -> KeyVault:
    props: dict[str, Any] = raw.get("properties") or {}
    acls: dict[str, Any] = props.get("networkAcls") or {}
    return KeyVault(
        uid=raw["id"],
        name=raw.get("name", ""),
        account=subscription,
        region=location,
        tags=dict(raw.get("tags") or {}),
        resource_group=resource_group,
        vault_uri=props.get("vaultUri"),
        public_network_access=props.get("publicNetworkAccess") or "Enabled",
        network_default_action=acls.get("defaultAction") or "Allow",
        private_endpoint_connections=tuple(
            private_endpoint_from_arm(pec) for pec in props.get("privateEndpointConnections") or ()
        ),
        soft_delete=props.get("enableSoftDelete") is True,
        purge_protection=props.get("enablePurgeProtection") is True,
        rbac_authorization=props.get("enableRbacAuthorization") is True,
    )


SERVICE = ServiceSpec(
    name="keyvault",
    produces=(KeyVault,),
    regional=False,
    permissions=PERMISSIONS,
    collect=collect,
)
