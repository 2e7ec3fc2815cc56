"""Azure Storage: storage accounts, their blob service settings, and blob containers.

Requests per subscription: StorageAccounts_List (one per page). Per account:
BlobServices_GetServiceProperties and BlobContainers_List (one per page) — neither for
FileStorage accounts, which have no blob service. So 1 + 2 per account for a small subscription.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import chain
from typing import Any

from cspm.providers.azure.context import AzureContext, resource_group_of, text
from cspm.providers.base import ABSENT, ServiceSpec
from cspm.resources.azure.network import PrivateEndpointConnection
from cspm.resources.azure.storage import (
    NO_BLOB_SERVICE_KINDS,
    BlobServiceSettings,
    DeleteRetention,
    NetworkRules,
    StorageAccount,
    StorageContainer,
)
from cspm.resources.base import Resource

PERMISSIONS = (
    "Microsoft.Storage/storageAccounts/read",
    "Microsoft.Storage/storageAccounts/blobServices/read",
    "Microsoft.Storage/storageAccounts/blobServices/containers/read",
)

# ARM answers these for a subscription that never used Microsoft.Storage: no accounts exist.
NOTHING_HERE = {"MissingSubscriptionRegistration"}
_TIMESPAN = re.compile(r"^(?:(?P<days>\d+)\.)?(?P<hours>\d{1,2}):(?P<minutes>\d{2}):(?P<seconds>\d{2})$")


def collect(ctx: AzureContext) -> Iterator[Resource]:
    client = ctx.client("storage")
    accounts = ctx.list_items(
        client.storage_accounts.list,
        operation="StorageAccounts_List",
        absent=NOTHING_HERE,
        affects=(StorageAccount, StorageContainer),
    )
    if accounts is None:
        return
    yield from chain.from_iterable(ctx.map(lambda raw: _account_and_containers(ctx, client, raw), accounts))


def _account_and_containers(ctx: AzureContext, client: Any, raw: Any) -> list[Resource]:
    resource_group = resource_group_of(raw.id)
    if resource_group is None:
        ctx.error(
            "StorageAccounts_List",
            "MalformedResourceId",
            f"no resource group in the account id {raw.id!r}",
            affects=(StorageAccount, StorageContainer),
        )
        return []
    kind = text(raw.kind)
    has_blob = kind not in NO_BLOB_SERVICE_KINDS
    blob = _blob_service(ctx, client, resource_group, raw.name) if has_blob else None
    account = account_from_api(raw, ctx.subscription, resource_group, blob, location=ctx.saw_location(raw.location))
    containers = _containers(ctx, client, account) if has_blob else []
    return [account, *containers]


def _blob_service(ctx: AzureContext, client: Any, resource_group: str, name: str) -> BlobServiceSettings | None:
    raw = ctx.call(
        client.blob_services.get_service_properties,
        resource_group,
        name,
        operation="BlobServices_GetServiceProperties",
    )
    if raw is None or raw is ABSENT:
        return None
    return blob_service_from_api(raw)


def _containers(ctx: AzureContext, client: Any, account: StorageAccount) -> list[StorageContainer]:
    items = ctx.list_items(
        client.blob_containers.list,
        account.resource_group,
        account.name,
        operation="BlobContainers_List",
        affects=(StorageContainer,),
    )
    if items is None:
        return []
    return [container_from_api(raw, account) for raw in items]


# ---------------------------------------------------------------------------------------------
# SDK model -> snapshot (pure; absent properties mapped to the documented defaults)
# ---------------------------------------------------------------------------------------------


def account_from_api(
    raw: Any, subscription: str, resource_group: str, blob: BlobServiceSettings | None, *, location: str
) -> StorageAccount:
    encryption = raw.encryption
    key_source = text(getattr(encryption, "key_source", None)) or "Microsoft.Storage"
    vault = getattr(encryption, "key_vault_properties", None)
    sas, key_policy = raw.sas_policy, raw.key_policy
    return StorageAccount(
        uid=raw.id,
        name=raw.name,
        account=subscription,
        region=location,
        tags=dict(raw.tags or {}),
        resource_group=resource_group,
        kind=text(raw.kind),
        sku=text(getattr(raw.sku, "name", None)),
        hierarchical_namespace=_default(raw.is_hns_enabled, False),
        allow_blob_public_access=_default(raw.allow_blob_public_access, True),
        allow_shared_key_access=_default(raw.allow_shared_key_access, True),
        allow_cross_tenant_replication=_default(raw.allow_cross_tenant_replication, True),
        https_only=_default(raw.enable_https_traffic_only, True),
        minimum_tls_version=text(raw.minimum_tls_version) or "TLS1_0",
        public_network_access=text(raw.public_network_access) or "Enabled",
        network_rules=network_rules_from_api(raw.network_rule_set),
        private_endpoint_connections=tuple(_private_endpoint(pec) for pec in raw.private_endpoint_connections or ()),
        key_source=key_source,
        key_vault_key=getattr(vault, "key_name", None) if key_source.lower() == "microsoft.keyvault" else None,
        infrastructure_encryption=_default(getattr(encryption, "require_infrastructure_encryption", None), False),
        sas_expiration_seconds=timespan_seconds(sas.sas_expiration_period) if sas is not None else None,
        sas_expiration_action=text(sas.expiration_action) if sas is not None else None,
        key_expiration_days=key_policy.key_expiration_period_in_days if key_policy is not None else None,
        default_to_oauth=_default(raw.default_to_o_auth_authentication, False),
        blob_service=blob,
    )


def _default(value: bool | None, default: bool) -> bool:
    return default if value is None else bool(value)


def network_rules_from_api(raw: Any) -> NetworkRules:
    if raw is None:  # no networkAcls: every network allowed; trusted services bypass by default
        return NetworkRules(default_action="Allow", bypass=("AzureServices",))
    bypass = text(raw.bypass)
    return NetworkRules(
        default_action=text(raw.default_action) or "Allow",
        bypass=tuple(p.strip() for p in (bypass or "").split(",") if p.strip() and p.strip() != "None"),
        ip_rule_count=len(raw.ip_rules or ()),
        virtual_network_rule_count=len(raw.virtual_network_rules or ()),
    )


def _private_endpoint(raw: Any) -> PrivateEndpointConnection:
    state = raw.private_link_service_connection_state
    return PrivateEndpointConnection(name=raw.name or "", status=text(getattr(state, "status", None)) or "Unknown")


def timespan_seconds(value: str | None) -> int | None:
    """``sasExpirationPeriod`` (``D.HH:MM:SS``) in seconds; None when absent or unreadable."""
    match = _TIMESPAN.match((value or "").strip())
    if not match:
        return None
    days = int(match.group("days") or 0)
    return ((days * 24 + int(match.group("hours"))) * 60 + int(match.group("minutes"))) * 60 + int(
        match.group("seconds")
    )


def blob_service_from_api(raw: Any) -> BlobServiceSettings:
    return BlobServiceSettings(
        blob_soft_delete=_retention(raw.delete_retention_policy),
        container_soft_delete=_retention(raw.container_delete_retention_policy),
        versioning_enabled=_default(raw.is_versioning_enabled, False),
    )


def _retention(raw: Any) -> DeleteRetention:
    if raw is None:
        return DeleteRetention(enabled=False)
    return DeleteRetention(enabled=_default(raw.enabled, False), days=raw.days)


def container_from_api(raw: Any, account: StorageAccount) -> StorageContainer:
    return StorageContainer(
        uid=raw.id,
        name=raw.name,
        account=account.account,
        region=account.region,
        storage_account=account.name,
        storage_account_id=account.uid,
        public_access=text(raw.public_access) or "None",
        account_allows_public_access=account.allow_blob_public_access,
    )


SERVICE = ServiceSpec(
    name="storage",
    produces=(StorageAccount, StorageContainer),
    regional=False,
    permissions=PERMISSIONS,
    collect=collect,
)
