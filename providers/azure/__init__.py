"""The Azure provider: credentials, subscriptions, and the plan of collector units.

Importing this package imports azure-core and azure-identity's error types; the CLI does so only
when an Azure scan is asked for. Collection runs one unit per (subscription, service); Azure
listings are subscription-wide, so units run in the "global" region and each resource carries
its own location.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import azure.core.exceptions as azure_errors

from cspm.engine import CollectorUnit, UnitContext
from cspm.errors import CredentialsError, ScanError
from cspm.models import CollectionError, Scope
from cspm.providers.azure.context import AzureClients, AzureContext, classify, text
from cspm.providers.azure.credentials import arm_endpoint, check_token, default_credential
from cspm.providers.azure.graph import graph_endpoint
from cspm.providers.base import ServiceSpec
from cspm.providers.resilience import DEFAULT_MAX_RESPONSE_BYTES, THROTTLING_ATTEMPTS
from cspm.resources.base import GLOBAL_REGION, Resource

if TYPE_CHECKING:
    from cspm.artifacts.collect import ArtifactSettings

log = logging.getLogger(__name__)

# --inspect-artifacts: the blobs Azure ML model assets load (cspm.providers.azure.artifacts). Reading
# blob contents is a data action (DataActions of a role), not an Action.
ARTIFACT_SERVICE = "artifacts"
ARTIFACT_DATA_ACTIONS = ("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",)

# Service name -> module. Explicit: a new collector is one line here.
SERVICE_MODULES: dict[str, str] = {
    "storage": "cspm.providers.azure.storage",
    "ml": "cspm.providers.azure.ml",
    "cognitiveservices": "cspm.providers.azure.cognitiveservices",
    "authorization": "cspm.providers.azure.authorization",
    "keyvault": "cspm.providers.azure.keyvault",
}

# What connecting needs, before any collector runs: listing the subscriptions (no --subscription).
CONNECT_PERMISSIONS = ("Microsoft.Resources/subscriptions/read",)

# Subscriptions in these states cannot be read; they are skipped when every subscription is listed.
UNREADABLE_STATES = frozenset({"disabled", "deleted"})


def service_spec(name: str) -> ServiceSpec:
    module = importlib.import_module(SERVICE_MODULES[name])
    spec: ServiceSpec = module.SERVICE
    return spec


@dataclass(frozen=True)
class AzureOptions:
    subscriptions: tuple[str, ...] = ()  # empty: every subscription the credential can list
    tenant: str | None = None
    managed_identity: bool = False  # try the instance metadata service (a VM sets no hint variable)
    endpoint: str | None = None  # None: CSPM_AZURE_ARM_ENDPOINT or https://management.azure.com
    # Microsoft Graph, to tell deleted principals (providers/azure/graph.py). None: CSPM_AZURE_GRAPH_ENDPOINT,
    # else the Graph of the endpoint's national cloud, else no Graph request at all.
    graph_endpoint: str | None = None
    credential: Any = None  # a TokenCredential; None: DefaultAzureCredential (tests pass a fake)
    retry_total: int = THROTTLING_ATTEMPTS - 1  # throttling retries; server errors get TRANSIENT_ATTEMPTS in all
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES  # a larger API answer is an error, not read
    artifacts: ArtifactSettings | None = None  # --inspect-artifacts: read the model assets' blobs


class AzureProvider:
    """Connects once (credentials, subscriptions), then plans collector units."""

    name = "azure"

    def __init__(self, options: AzureOptions) -> None:
        self.options = options
        self.subscriptions: tuple[str, ...] = ()
        self.setup_errors: list[CollectionError] = []
        self._clients: AzureClients | None = None
        self._locations: dict[str, set[str]] = defaultdict(set)
        self._lock = threading.Lock()

    # -- connection -----------------------------------------------------------------------

    def connect(self) -> None:
        """Resolve credentials and subscriptions. Raises CspmError subclasses."""
        endpoint = (self.options.endpoint or arm_endpoint()).rstrip("/")
        credential = self.options.credential or default_credential(
            tenant=self.options.tenant, managed_identity=self.options.managed_identity
        )
        self._clients = AzureClients(
            credential,
            endpoint,
            retry_total=self.options.retry_total,
            max_response_bytes=self.options.max_response_bytes,
            graph_endpoint=(self.options.graph_endpoint or graph_endpoint(endpoint) or "").rstrip("/") or None,
            read_blobs=self.options.artifacts is not None,
        )
        check_token(credential, self._clients.scope)
        self.subscriptions = self.options.subscriptions or self._list_subscriptions()

    def _list_subscriptions(self) -> tuple[str, ...]:
        assert self._clients is not None
        try:
            listed = list(self._clients.subscriptions().subscriptions.list())
        except azure_errors.ClientAuthenticationError as exc:
            raise CredentialsError(f"Azure rejected the credentials: {classify(exc)[1]}") from exc
        except azure_errors.AzureError as exc:
            code, message = classify(exc)
            raise ScanError(f"cannot list Azure subscriptions ({code}): {message}; pass --subscription") from exc
        readable = []
        for sub in listed:
            state = (text(sub.state) or "").lower()
            if state in UNREADABLE_STATES:
                log.info("skipping subscription %s: it is %s", sub.subscription_id, state)
                continue
            readable.append(str(sub.subscription_id))
        if not readable:
            raise ScanError("the credential can read no Azure subscription; pass --subscription ID")
        return tuple(sorted(readable))

    # -- the engine's Provider protocol ------------------------------------------------------

    def scopes(self) -> list[Scope]:
        with self._lock:
            return [
                Scope(account=sub, regions=sorted(self._locations.get(sub, ())) or [GLOBAL_REGION])
                for sub in self.subscriptions
            ]

    def plan(self, resource_types: set[type[Resource]]) -> list[CollectorUnit]:
        services = sorted({t.service() for t in resource_types} - {ARTIFACT_SERVICE})
        unknown = [s for s in services if s not in SERVICE_MODULES]
        if unknown:
            raise ScanError(f"no Azure collector produces resources of service(s): {', '.join(unknown)}")
        units: list[CollectorUnit] = []
        for name in services:
            spec = service_spec(name)
            units.extend(
                CollectorUnit(
                    account=sub,
                    region=GLOBAL_REGION,
                    service=name,
                    produces=spec.produces,
                    run=partial(self._run, spec),
                )
                for sub in self.subscriptions
            )
        if any(t.service() == ARTIFACT_SERVICE for t in resource_types):
            units.extend(self._artifact_units())
        return units

    def _artifact_units(self) -> list[CollectorUnit]:
        """One unit per subscription, in the second phase: the blobs its model assets load."""
        from cspm.artifacts.collect import ScanBudget
        from cspm.providers.azure import artifacts

        settings = self.options.artifacts
        if settings is None:
            raise ScanError("the model artifact checks read blob contents: they run only with --inspect-artifacts")
        spec = ServiceSpec(
            name=ARTIFACT_SERVICE,
            produces=(artifacts.AzureBlobModelArtifact,),
            regional=False,
            permissions=(),  # a data action: ARTIFACT_DATA_ACTIONS
            collect=partial(artifacts.collect, settings=settings, budget=ScanBudget(settings.max_scan_bytes)),
        )
        return [
            CollectorUnit(
                account=sub,
                region=GLOBAL_REGION,
                service=ARTIFACT_SERVICE,
                produces=spec.produces,
                run=partial(self._run, spec),
                phase=1,
            )
            for sub in self.subscriptions
        ]

    def _run(self, spec: ServiceSpec, unit: UnitContext) -> Iterable[Resource]:
        assert self._clients is not None
        result: Iterable[Resource] = spec.collect(AzureContext(unit, self._clients, self._saw_location))
        return result

    def _saw_location(self, subscription: str, location: str) -> None:
        with self._lock:
            self._locations[subscription].add(location)
