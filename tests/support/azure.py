"""A fake of the Azure Resource Manager API (and of the Entra token endpoint), for tests.

There is no emulator for the Azure management plane (see reference/test-infra.md §2), so
:class:`FakeArm` answers the handful of ARM routes the scanner reads, with bodies shaped as the
Azure REST reference documents them. The same fake is served two ways:

- :func:`mounted` routes ``https://management.azure.com`` through ``responses`` (no socket):
  the SDKs' real pipelines, bearer policy and model parsing run unchanged;
- :func:`serve_https` runs it on 127.0.0.1 with a self-signed certificate (:func:`make_cert`),
  for end-to-end tests of the real ``cspm scan azure`` process; that server also answers the
  OpenID configuration and OAuth token requests of a service principal, so ``AZURE_AUTHORITY_HOST``
  can point at it.

Every ARM request must carry a bearer token; a request with any method but GET is recorded in
``violations`` (the scanner is read-only) and answered 405.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

ARM = "https://management.azure.com"
SUB = "00000000-0000-0000-0000-000000000001"
SUB2 = "00000000-0000-0000-0000-000000000002"
TENANT = "11111111-1111-1111-1111-111111111111"


# ---------------------------------------------------------------------------------------------
# Documented response shapes
# ---------------------------------------------------------------------------------------------


def account_id(name: str, *, sub: str = SUB, rg: str = "ml-rg") -> str:
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Storage/storageAccounts/{name}"


def storage_account(
    name: str,
    *,
    sub: str = SUB,
    rg: str = "ml-rg",
    location: str = "westeurope",
    kind: str = "StorageV2",
    **properties: Any,
) -> dict[str, Any]:
    """A storage account as ``StorageAccounts_List`` returns it; ``properties`` as given (unset = omitted)."""
    return {
        "id": account_id(name, sub=sub, rg=rg),
        "name": name,
        "type": "Microsoft.Storage/storageAccounts",
        "location": location,
        "tags": {"team": "ml"},
        "kind": kind,
        "sku": {"name": "Standard_LRS", "tier": "Standard"},
        "properties": {"provisioningState": "Succeeded", "creationTime": "2024-01-01T00:00:00.0000000Z", **properties},
    }


def hardened_account(name: str, **kw: Any) -> dict[str, Any]:
    """An account configured the way every check wants it."""
    return storage_account(
        name,
        allowBlobPublicAccess=False,
        allowSharedKeyAccess=False,
        allowCrossTenantReplication=False,
        supportsHttpsTrafficOnly=True,
        minimumTlsVersion="TLS1_2",
        publicNetworkAccess="Disabled",
        defaultToOAuthAuthentication=True,
        networkAcls={"bypass": "AzureServices", "virtualNetworkRules": [], "ipRules": [], "defaultAction": "Deny"},
        privateEndpointConnections=[
            {
                "id": account_id(name) + "/privateEndpointConnections/pe-data",
                "name": "pe-data",
                "type": "Microsoft.Storage/storageAccounts/privateEndpointConnections",
                "properties": {
                    "privateEndpoint": {
                        "id": "/subscriptions/x/resourceGroups/net/providers/Microsoft.Network/privateEndpoints/pe"
                    },
                    "privateLinkServiceConnectionState": {
                        "status": "Approved",
                        "description": "",
                        "actionRequired": "None",
                    },
                    "provisioningState": "Succeeded",
                },
            }
        ],
        encryption={
            "services": {"blob": {"enabled": True, "keyType": "Account"}},
            "keySource": "Microsoft.Keyvault",
            "requireInfrastructureEncryption": True,
            "keyvaultproperties": {"keyname": "ml-key", "keyvaulturi": "https://ml-kv.vault.azure.net/"},
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
    sub: str = SUB,
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
        "id": account_id(account, sub=sub) + "/blobServices/default",
        "name": "default",
        "type": "Microsoft.Storage/storageAccounts/blobServices",
        "sku": {"name": "Standard_LRS", "tier": "Standard"},
        "properties": props,
    }


def container(account: str, name: str, public_access: str | None = "None", *, sub: str = SUB) -> dict[str, Any]:
    """A ``ListContainerItem``."""
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
        "id": account_id(account, sub=sub) + f"/blobServices/default/containers/{name}",
        "name": name,
        "type": "Microsoft.Storage/storageAccounts/blobServices/containers",
        "etag": '"0x8D589847D51C7DE"',
        "properties": props,
    }


def workspace_id(name: str, *, sub: str = SUB, rg: str = "ml-rg") -> str:
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{name}"


def workspace(
    name: str, *, sub: str = SUB, rg: str = "ml-rg", location: str = "eastus", kind: str = "Default", **properties: Any
) -> dict[str, Any]:
    """A workspace as ``Workspaces_ListBySubscription`` (API 2024-10-01) returns it."""
    group = f"/subscriptions/{sub}/resourceGroups/{rg}"
    return {
        "id": workspace_id(name, sub=sub, rg=rg),
        "name": name,
        "type": "Microsoft.MachineLearningServices/workspaces",
        "location": location,
        "tags": {"stage": "prod"},
        "kind": kind,
        "identity": {"type": "SystemAssigned", "principalId": "p-1", "tenantId": TENANT},
        "sku": {"name": "Basic", "tier": "Basic"},
        "systemData": {"createdAt": "2024-01-01T00:00:00Z", "createdBy": "someone@example.com"},
        "properties": {
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
    }


def hardened_workspace(name: str, **kw: Any) -> dict[str, Any]:
    return workspace(
        name,
        publicNetworkAccess="Disabled",
        encryption={
            "status": "Enabled",
            "keyVaultProperties": {
                "keyVaultArmId": "/subscriptions/x/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv",
                "keyIdentifier": "https://kv.vault.azure.net/keys/ml/1",
            },
        },
        privateEndpointConnections=[
            {
                "id": workspace_id(name) + "/privateEndpointConnections/pe-ws",
                "name": "pe-ws",
                "properties": {
                    "privateEndpoint": {
                        "id": "/subscriptions/x/resourceGroups/net/providers/Microsoft.Network/privateEndpoints/ws"
                    },
                    "privateLinkServiceConnectionState": {
                        "status": "Approved",
                        "description": "",
                        "actionsRequired": "None",
                    },
                    "provisioningState": "Succeeded",
                },
            }
        ],
        managedNetwork={"isolationMode": "AllowOnlyApprovedOutbound", "status": {"status": "Active"}},
        systemDatastoresAuthMode="identity",
        **kw,
    )


def compute(
    workspace_name: str, name: str, compute_type: str = "ComputeInstance", *, disable_local_auth: bool | None = True
) -> dict[str, Any]:
    """A compute as ``Compute_List`` returns it."""
    props: dict[str, Any] = {
        "computeType": compute_type,
        "provisioningState": "Succeeded",
        "computeLocation": "eastus",
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
        "id": workspace_id(workspace_name) + f"/computes/{name}",
        "name": name,
        "type": "Microsoft.MachineLearningServices/workspaces/computes",
        "location": "eastus",
        "properties": props,
    }


def subscription(sub_id: str, name: str = "ML", state: str = "Enabled") -> dict[str, Any]:
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
    return {"error": {"code": code, "message": message}}


# ---------------------------------------------------------------------------------------------
# The fake
# ---------------------------------------------------------------------------------------------


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
        for namespace in ("microsoft.storage", "microsoft.machinelearningservices"):
            if f"/providers/{namespace}/" in lowered and (sub, namespace) in {
                (s.lower(), n.lower()) for s, n in self.unregistered
            }:
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
        match = re.match(
            r"^(?P<account>/subscriptions/[^/]+/resourcegroups/[^/]+/providers/microsoft\.storage/storageaccounts/[^/]+)/blobservices/default(?P<rest>/containers)?$",
            lowered,
        )
        if match:
            account = match.group("account")
            if match.group("rest"):
                return 200, self._page(path, self.containers.get(account, []), query)
            blob = self.blob_services.get(account)
            return (200, blob) if blob is not None else (404, arm_error("ResourceNotFound", "no blob service"))
        match = re.match(
            r"^(?P<ws>/subscriptions/[^/]+/resourcegroups/[^/]+/providers/microsoft\.machinelearningservices/workspaces/[^/]+)/computes$",
            lowered,
        )
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


@contextmanager
def mounted(fake: FakeArm) -> Iterator[Any]:
    """Route https://management.azure.com (and nothing else) to ``fake``, with no socket."""
    import responses

    def callback(request: Any) -> tuple[int, dict[str, str], str]:
        body = request.body or b""
        status, payload = fake.handle(
            request.method, request.url, dict(request.headers), body if isinstance(body, bytes) else body.encode()
        )
        return status, {"Content-Type": "application/json"}, json.dumps(payload)

    pattern = re.compile(re.escape(ARM) + r"/.*")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"):
            rsps.add_callback(method, pattern, callback=callback)
        yield rsps


def make_cert(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 / localhost: (cert.pem, key.pem)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cspm test fake")])
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
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@contextmanager
def serve_https(fake: FakeArm, cert: Path, key: Path) -> Iterator[str]:
    """Serve ``fake`` over HTTPS on 127.0.0.1 and a free port; yields the base URL."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, payload = fake.handle(self.command, fake.base + self.path, dict(self.headers), body)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    fake.base = f"https://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake.base
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# ---------------------------------------------------------------------------------------------
# Running the provider
# ---------------------------------------------------------------------------------------------


class FakeCredential:
    """A TokenCredential that hands out a fixed token (tests never build DefaultAzureCredential)."""

    def __init__(self) -> None:
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **_: Any) -> Any:
        from azure.core.credentials import AccessToken

        self.scopes.append(scopes)
        return AccessToken("fake-token", int(time.time()) + 3600)

    def get_token_info(self, *scopes: str, options: Any = None) -> Any:
        from azure.core.credentials import AccessTokenInfo

        self.scopes.append(scopes)
        return AccessTokenInfo("fake-token", int(time.time()) + 3600)


def collect_azure(fake: FakeArm, *types: type, subscriptions: tuple[str, ...] = (SUB,)) -> tuple[Any, Any]:
    """Run the real provider and collectors for ``types`` against ``fake``: (inventory, provider)."""
    from cspm.engine import collect
    from cspm.providers.azure import AzureOptions, AzureProvider

    provider = AzureProvider(
        AzureOptions(subscriptions=subscriptions, credential=FakeCredential(), endpoint=ARM, retry_total=0)
    )
    with mounted(fake):
        provider.connect()
        inventory = collect(provider.plan(set(types)), workers=4)
    for error in provider.setup_errors:
        inventory.record_error(error)
    return inventory, provider


# ---------------------------------------------------------------------------------------------
# Process helpers shared by the end-to-end tests (Azure and GCP)
# ---------------------------------------------------------------------------------------------


@contextmanager
def silent_server() -> Iterator[str]:
    """A TCP server on 127.0.0.1 that accepts connections and never answers: a stalled instance
    metadata endpoint. Yields ``host:port``."""
    import socket

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in held:
            conn.close()
        listener.close()


# Runs the real CLI entry point with the Azure and GCP commands mounted (cspm.cli_clouds), and
# writes the cloud SDK modules the process imported to $CSPM_TEST_MODULES when that is set.
CLI_RUNNER = """
import json, os, sys
import cspm.cli, cspm.cli_clouds
try:
    code = cspm.cli.main(sys.argv[1:])
finally:
    if os.environ.get("CSPM_TEST_MODULES"):
        sdk = ("azure", "google", "boto3", "botocore", "msal")
        with open(os.environ["CSPM_TEST_MODULES"], "w") as out:
            json.dump(sorted(m for m in sys.modules if m.split(".")[0] in sdk), out)
sys.exit(code)
"""


def run_cli(args: list[str], env: dict[str, str], *, timeout: float = 120) -> Any:
    """Run ``cspm ARGS`` in a fresh interpreter with exactly ``env``; a CompletedProcess with .elapsed."""
    import subprocess
    import sys

    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", CLI_RUNNER, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    done.elapsed = time.monotonic() - started  # type: ignore[attr-defined]
    return done


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """An environment with no cloud credentials, no CLI on PATH and an empty home."""
    return {"PATH": "/nonexistent", "HOME": str(home), "LANG": "C.UTF-8", **extra}
