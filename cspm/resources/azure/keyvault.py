"""Azure Key Vault snapshots: the vaults that hold the keys and secrets of AI resources
(customer-managed keys of workspaces and AI Services accounts, workspace secrets).

Read from ``Vaults_ListBySubscription`` (API 2023-07-01), which returns each vault's properties;
ARM omits a property that was never set, mapped to the default noted on each field.
"""

from __future__ import annotations

from typing import ClassVar

from cspm.resources.azure.network import PrivateEndpointConnection
from cspm.resources.base import Resource


class KeyVault(Resource):
    """One key vault. ``account`` is the subscription id, ``region`` the location."""

    resource_type: ClassVar[str] = "azure.keyvault.vault"

    resource_group: str
    vault_uri: str | None = None
    public_network_access: str  # Enabled | Disabled; not set = Enabled
    network_default_action: str  # networkAcls.defaultAction; no networkAcls = Allow
    private_endpoint_connections: tuple[PrivateEndpointConnection, ...] = ()
    soft_delete: bool  # enableSoftDelete; not set = false (Azure Policy 0b60c0b2 treats missing as off)
    purge_protection: bool  # enablePurgeProtection; not set = false
    rbac_authorization: bool  # enableRbacAuthorization; not set = false (access policies)
