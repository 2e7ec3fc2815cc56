"""The Google Cloud provider: credentials, projects, and the plan of collector units.

Importing this package imports google-auth and google-api-core; the CLI does so only when a GCP
scan is asked for. Collection runs one unit per (project, service); Cloud Storage listings are
project-wide, so units run in the "global" region and each bucket carries its own location.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

from cspm.engine import CollectorUnit, UnitContext
from cspm.errors import CredentialsError, ScanError
from cspm.models import CollectionError, Scope
from cspm.providers.base import ServiceSpec
from cspm.providers.gcp.context import SDK_ERRORS, TIMEOUT, GcpClients, GcpContext, classify
from cspm.providers.gcp.credentials import CRM_ENDPOINT, default_credentials, list_projects
from cspm.resources.base import GLOBAL_REGION, Resource

log = logging.getLogger(__name__)

# Service name -> module. Explicit: a new collector is one line here.
SERVICE_MODULES: dict[str, str] = {
    "storage": "cspm.providers.gcp.storage",
}

# Error codes that mean the credentials themselves are not usable.
CREDENTIAL_CODES = frozenset({"Unauthorized", "RefreshError"})


def service_spec(name: str) -> ServiceSpec:
    module = importlib.import_module(SERVICE_MODULES[name])
    spec: ServiceSpec = module.SERVICE
    return spec


@dataclass(frozen=True)
class GcpOptions:
    projects: tuple[str, ...] = ()  # empty: every ACTIVE project the credential can see
    credentials: Any = None  # google.auth credentials; None: Application Default Credentials
    crm_endpoint: str = CRM_ENDPOINT
    retry_deadline: float | None = 30.0  # seconds of retries per call; None: no retries


class GcpProvider:
    """Connects once (credentials, projects), then plans collector units."""

    name = "gcp"

    def __init__(self, options: GcpOptions) -> None:
        self.options = options
        self.projects: tuple[str, ...] = ()
        self.setup_errors: list[CollectionError] = []
        self._clients: GcpClients | None = None
        self._locations: dict[str, set[str]] = defaultdict(set)
        self._lock = threading.Lock()

    # -- connection -----------------------------------------------------------------------

    def connect(self) -> None:
        """Resolve credentials and projects. Raises CspmError subclasses."""
        if self.options.credentials is not None:
            credentials, default_project = self.options.credentials, None
        else:
            credentials, default_project = default_credentials()
        self._clients = GcpClients(credentials, retry_deadline=self.options.retry_deadline)
        self.projects = self.options.projects or self._list_projects(default_project)

    def _list_projects(self, default_project: str | None) -> tuple[str, ...]:
        assert self._clients is not None
        try:
            projects = list_projects(self._clients.session, endpoint=self.options.crm_endpoint, timeout=TIMEOUT)
        except SDK_ERRORS as exc:
            code, message = classify(exc)
            if code in CREDENTIAL_CODES:
                raise CredentialsError(f"Google rejected the credentials ({code}): {message}") from exc
            if default_project is None:
                raise ScanError(f"cannot list Google Cloud projects ({code}): {message}; pass --project") from exc
            log.warning("cannot list projects (%s); scanning the credentials' project %s", code, default_project)
            self.setup_errors.append(
                CollectionError(
                    account=default_project,
                    region=GLOBAL_REGION,
                    service="resourcemanager",
                    operation="projects.search",
                    code=code,
                    message=message,
                )
            )
            return (default_project,)
        if not projects:
            raise ScanError("the credential can see no Google Cloud project; pass --project ID")
        return tuple(projects)

    # -- the engine's Provider protocol ------------------------------------------------------

    def scopes(self) -> list[Scope]:
        with self._lock:
            return [
                Scope(account=project, regions=sorted(self._locations.get(project, ())) or [GLOBAL_REGION])
                for project in self.projects
            ]

    def plan(self, resource_types: set[type[Resource]]) -> list[CollectorUnit]:
        services = sorted({t.service() for t in resource_types})
        unknown = [s for s in services if s not in SERVICE_MODULES]
        if unknown:
            raise ScanError(f"no GCP collector produces resources of service(s): {', '.join(unknown)}")
        units: list[CollectorUnit] = []
        for name in services:
            spec = service_spec(name)
            units.extend(
                CollectorUnit(
                    account=project,
                    region=GLOBAL_REGION,
                    service=name,
                    produces=spec.produces,
                    run=partial(self._run, spec),
                )
                for project in self.projects
            )
        return units

    def _run(self, spec: ServiceSpec, unit: UnitContext) -> Iterable[Resource]:
        assert self._clients is not None
        result: Iterable[Resource] = spec.collect(GcpContext(unit, self._clients, self._saw_location))
        return result

    def _saw_location(self, project: str, location: str) -> None:
        with self._lock:
            self._locations[project].add(location)
