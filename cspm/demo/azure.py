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
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlparse

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
    **properties: Any,
) -> dict[str, Any]:
    """A workspace as ``Workspaces_ListBySubscription`` (API 2024-10-01) returns it."""
    group = f"/subscriptions/{sub}/resourceGroups/{rg}"
    return tracked_resource(
        WORKSPACES,
        name,
        sub=sub,
        rg=rg,
        location=location,
        tags={"stage": "prod"} if tags is None else tags,
        kind=kind,
        identity={"type": "SystemAssigned", "principalId": "p-1", "tenantId": TENANT},
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
_NAMESPACES = ("microsoft.storage", "microsoft.machinelearningservices")


@dataclass
class FakeArm:
    """In-memory ARM state. Keys are lower-cased resource ids / subscription ids."""

    subscriptions: list[dict[str, Any]] = field(default_factory=list)
    accounts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # sub -> accounts
    blob_services: dict[str, dict[str, Any]] = field(default_factory=dict)  # account id -> properties
    containers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # account id -> containers
    workspaces: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # sub -> workspaces
    computes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # workspace id -> computes
    denied: set[str] = field(default_factory=set)  # path prefixes answered 403 AuthorizationFailed
    unregistered: set[tuple[str, str]] = field(default_factory=set)  # (sub, provider namespace) -> 409
    page_size: int = 1000
    requests: list[tuple[str, str]] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    tokens_issued: int = 0
    accepted_secret: str | None = None  # when set, a token request with another client secret is refused
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
        auth = self._auth_route(method, path, body)
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
        containers=[container(DATA_ACCOUNT, name, sub=sub, rg=DATA_RG) for name in ("training-data", "features")],
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
            SECURE_WORKSPACE, **ws, tags=_TAGS, storageAccount=account_id(DATA_ACCOUNT, sub=sub, rg=DATA_RG)
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
            storageAccount=account_id(LEGACY_ACCOUNT, sub=sub, rg=LEGACY_RG),
            publicNetworkAccess="Enabled",
            managedNetwork={"isolationMode": "Disabled"},
            systemDatastoresAuthMode="accessKey",
        ),
        [compute(OPEN_WORKSPACE, "ci-dana", disable_local_auth=False, **ws)],
    )
    return fake


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
    settings of :func:`demo_environment` (imports the Azure SDK)."""
    from cspm.providers.azure import AzureOptions, AzureProvider

    return AzureProvider(AzureOptions(subscriptions=(DEMO_SUBSCRIPTION,)))
