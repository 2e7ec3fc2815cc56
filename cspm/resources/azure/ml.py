"""Azure Machine Learning snapshots: workspaces (hubs, projects, feature stores) and their computes.

Read at ARM API version 2024-10-01. ARM omits properties that were never set; the collector maps
each omission to the documented default noted on the field. ``computes`` comes from a second
call and is ``None`` when that call failed.
"""

from __future__ import annotations

from typing import ClassVar

from cspm.resources.azure.identity import NO_IDENTITY, ManagedIdentity
from cspm.resources.azure.monitor import DiagnosticSetting
from cspm.resources.azure.network import PrivateEndpointConnection
from cspm.resources.base import Resource, Snapshot


class MlCompute(Snapshot):
    """One compute of a workspace (``workspaces/computes``)."""

    name: str
    compute_type: str  # ComputeInstance | AmlCompute | Kubernetes | ...
    local_auth_enabled: bool  # not disableLocalAuth; not set = local auth enabled


class MlDatastore(Snapshot):
    """One datastore of a workspace (``workspaces/datastores``): where jobs read data from, and how."""

    name: str
    datastore_type: str  # AzureBlob | AzureDataLakeGen1 | AzureDataLakeGen2 | AzureFile | OneLake
    # credentials.credentialsType: AccountKey | Sas | ServicePrincipal | Certificate | None (identity-based);
    # Unknown when the listing gave none (the API requires it)
    credentials_type: str
    account_name: str | None = None
    is_default: bool = False
    container_name: str | None = None  # containerName (AzureBlob) or filesystem (AzureDataLakeGen2)
    endpoint: str | None = None  # the storage endpoint suffix: core.windows.net in Azure's public cloud
    subscription_id: str | None = None  # the storage account's subscription, when the datastore names it
    resource_group: str | None = None  # and its resource group

    @property
    def uses_account_secret(self) -> bool:
        """Reached with a storage account key or a SAS token rather than a Microsoft Entra identity."""
        return self.credentials_type.lower() in ("accountkey", "sas")


class MlWorkspace(Resource):
    """One Azure ML workspace. ``account`` is the subscription id, ``region`` the location."""

    resource_type: ClassVar[str] = "azure.ml.workspace"

    resource_group: str
    kind: str  # Default | Hub | Project | FeatureStore; not set = Default
    public_network_access: str  # Enabled | Disabled; not set = Enabled (the policy treats missing as public)
    encryption_status: str  # encryption.status: Enabled = customer-managed key; not set = Disabled
    encryption_key: str | None = None  # encryption.keyVaultProperties.keyIdentifier
    private_endpoint_connections: tuple[PrivateEndpointConnection, ...] = ()
    # managedNetwork.isolationMode: Disabled | AllowInternetOutbound | AllowOnlyApprovedOutbound; not set = Disabled
    managed_network_isolation: str
    # systemDatastoresAuthMode: AccessKey | Identity | UserDelegationSAS; not set = AccessKey (credential-based)
    system_datastores_auth_mode: str
    storage_account_id: str | None = None  # the workspace's default storage account
    computes: tuple[MlCompute, ...] | None = None  # None: the computes could not be listed
    identity: ManagedIdentity = NO_IDENTITY  # the workspace's managed identity; not set = none
    hub_id: str | None = None  # hubResourceId: the hub a project belongs to
    application_insights: str | None = None  # applicationInsights resource id; not set = none
    key_vault: str | None = None  # keyVault resource id
    diagnostic_settings: tuple[DiagnosticSetting, ...] | None = None  # None: could not be listed
    datastores: tuple[MlDatastore, ...] | None = None  # None: could not be listed
    jobs_capped: bool = False  # the job listing stopped at the collector's cap (providers/azure/ml_assets.py)


class MlOnlineDeployment(Snapshot):
    """One deployment of a managed (or Kubernetes) online endpoint (``onlineEndpoints/deployments``)."""

    name: str
    compute_type: str  # endpointComputeType: Managed | Kubernetes | AzureMLCompute
    model: str | None = None  # the model asset id (azureml://registries/... or a workspace model id)
    instance_type: str | None = None
    # egressPublicNetworkAccess: Enabled | Disabled; not set = Enabled (legacy network isolation,
    # superseded by the workspace's managed network)
    egress_public_network_access: str = "Enabled"
    app_insights_enabled: bool = False  # appInsightsEnabled; not set = false


class MlOnlineEndpoint(Resource):
    """One online endpoint of a workspace (``workspaces/onlineEndpoints``, API 2024-10-01)."""

    resource_type: ClassVar[str] = "azure.ml.online_endpoint"

    workspace_id: str
    workspace_name: str
    auth_mode: str  # Key | AMLToken | AADToken
    public_network_access: str  # Enabled | Disabled; not set = Enabled
    identity: ManagedIdentity = NO_IDENTITY
    scoring_uri: str | None = None
    deployments: tuple[MlOnlineDeployment, ...] | None = None  # None: could not be listed


class MlRegistry(Resource):
    """One Azure ML registry (``Microsoft.MachineLearningServices/registries``): models, components
    and environments shared across workspaces."""

    resource_type: ClassVar[str] = "azure.ml.registry"

    resource_group: str
    public_network_access: str  # Enabled | Disabled; not set = Enabled
    private_endpoint_connections: tuple[PrivateEndpointConnection, ...] = ()
    identity: ManagedIdentity = NO_IDENTITY
