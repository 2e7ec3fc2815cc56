"""The Google Cloud provider: credentials, projects, and the plan of collector units.

Projects: those given with ``--project``; or every ACTIVE project under ``--organization`` /
``--folder``, at any depth (Resource Manager v3: ``projects.search`` with ``parent:`` for the
projects directly under each node, ``folders.list`` for its sub-folders, recursively); or every
ACTIVE project the credential can see. A folder whose projects or sub-folders cannot be listed is
recorded in the errors and the rest is scanned. ``CSPM_GCP_CRM_ENDPOINT`` sets the Resource
Manager endpoint (default ``https://cloudresourcemanager.googleapis.com``).

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
from typing import TYPE_CHECKING, Any

from cspm.engine import CollectorUnit, UnitContext
from cspm.errors import CredentialsError, ScanError, UsageError
from cspm.models import CollectionError, Scope
from cspm.providers.base import ServiceSpec
from cspm.providers.gcp.context import SDK_ERRORS, TIMEOUT, GcpClients, GcpContext, classify, rest_pages
from cspm.providers.gcp.credentials import CRM_ENDPOINT, default_credentials, list_projects
from cspm.providers.resilience import DEFAULT_MAX_RESPONSE_BYTES
from cspm.resources.base import GLOBAL_REGION, Resource

if TYPE_CHECKING:
    from cspm.artifacts.collect import ArtifactSettings

log = logging.getLogger(__name__)

# --inspect-artifacts: the Cloud Storage objects Vertex AI models load (cspm.providers.gcp.artifacts).
ARTIFACT_SERVICE = "artifacts"
ARTIFACT_PERMISSIONS = ("storage.objects.get", "storage.objects.list")

# Service name -> module. Explicit: a new collector is one line here.
SERVICE_MODULES: dict[str, str] = {
    "accesscontextmanager": "cspm.providers.gcp.accesscontextmanager",
    "compute": "cspm.providers.gcp.network",
    "iam": "cspm.providers.gcp.iam",
    "storage": "cspm.providers.gcp.storage",
    "vertex": "cspm.providers.gcp.vertex",
    "workbench": "cspm.providers.gcp.workbench",
}

# Error codes that mean the credentials themselves are not usable.
CREDENTIAL_CODES = frozenset({"Unauthorized", "RefreshError"})


def service_spec(name: str) -> ServiceSpec:
    module = importlib.import_module(SERVICE_MODULES[name])
    spec: ServiceSpec = module.SERVICE
    return spec


# Resource Manager permissions for --organization / --folder, on those nodes.
HIERARCHY_PERMISSIONS = ("resourcemanager.projects.get", "resourcemanager.folders.list")


@dataclass(frozen=True)
class GcpOptions:
    projects: tuple[str, ...] = ()  # empty: every ACTIVE project the credential can see
    credentials: Any = None  # google.auth credentials; None: Application Default Credentials
    crm_endpoint: str = CRM_ENDPOINT
    retry_deadline: float | None = 30.0  # seconds of retries per call; None: no retries
    organizations: tuple[str, ...] = ()  # every ACTIVE project under these (any depth)
    folders: tuple[str, ...] = ()
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES  # a larger API answer is an error, not read
    artifacts: ArtifactSettings | None = None  # --inspect-artifacts: read the models' objects

    def parents(self) -> list[str]:
        """``organizations/ID`` and ``folders/ID`` resource names; UsageError on a bad value."""
        if self.projects and (self.organizations or self.folders):
            raise UsageError("--project cannot be combined with --organization or --folder")
        return [_node("organizations", v) for v in self.organizations] + [_node("folders", v) for v in self.folders]


def _node(kind: str, value: str) -> str:
    ident = value.strip().removeprefix(f"{kind}/")
    if not ident.isdigit():
        option = "--organization" if kind == "organizations" else "--folder"
        raise UsageError(f"{option}: {value!r} is not a numeric {kind[:-1]} id (e.g. 123456789012)")
    return f"{kind}/{ident}"


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
        parents = self.options.parents()
        if self.options.credentials is not None:
            credentials, default_project = self.options.credentials, None
        else:
            credentials, default_project = default_credentials()
        self._clients = GcpClients(
            credentials,
            retry_deadline=self.options.retry_deadline,
            max_response_bytes=self.options.max_response_bytes,
            read_objects=self.options.artifacts is not None,
        )
        self._clients.organizations = tuple(p for p in parents if p.startswith("organizations/"))
        if self.options.projects:
            self.projects = self.options.projects
        elif parents:
            self.projects = self._projects_under(parents)
        else:
            self.projects = self._list_projects(default_project)

    # -- projects under organizations and folders --------------------------------------------

    def _projects_under(self, parents: list[str]) -> tuple[str, ...]:
        """Every ACTIVE project under ``parents``, at any depth (folders walked breadth first)."""
        projects: set[str] = set()
        queue, seen = list(parents), set(parents)
        while queue:
            node = queue.pop(0)
            found = self._hierarchy_call(node, "projects.search", "v3/projects:search", "projects",
                                         {"query": f"parent:{node} state:ACTIVE"})  # fmt: skip
            projects.update(str(p["projectId"]) for p in found if p.get("projectId"))
            folders = self._hierarchy_call(node, "folders.list", "v3/folders", "folders", {"parent": node})
            for folder in folders:
                name = str(folder.get("name", ""))
                if name and name not in seen and folder.get("state", "ACTIVE") == "ACTIVE":
                    seen.add(name)
                    queue.append(name)
        if not projects:
            raise ScanError(
                f"no ACTIVE project found under {', '.join(parents)}"
                + (" (see the errors above)" if self.setup_errors else "")
            )
        return tuple(sorted(projects))

    def _hierarchy_call(
        self, node: str, operation: str, path: str, key: str, params: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Every item of a Resource Manager listing; [] when it failed (recorded, under the node)."""
        assert self._clients is not None
        try:
            return rest_pages(self._clients.session, f"{self.options.crm_endpoint.rstrip('/')}/{path}", params, key)
        except SDK_ERRORS as exc:
            code, message = classify(exc)
            if code in CREDENTIAL_CODES:
                raise CredentialsError(f"Google rejected the credentials ({code}): {message}") from exc
            log.warning("cannot list under %s (%s %s): its projects are not scanned", node, operation, code)
            self.setup_errors.append(
                CollectionError(
                    account=node,
                    region=GLOBAL_REGION,
                    service="resourcemanager",
                    operation=operation,
                    code=code,
                    message=f"{message}; projects under {node} are not scanned",
                )
            )
            return []

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
        services = sorted({t.service() for t in resource_types} - {ARTIFACT_SERVICE})
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
        if any(t.service() == ARTIFACT_SERVICE for t in resource_types):
            units.extend(self._artifact_units())
        return units

    def _artifact_units(self) -> list[CollectorUnit]:
        """One unit per project, in the second phase: the Cloud Storage artifacts its models load."""
        from cspm.artifacts.collect import ScanBudget
        from cspm.providers.gcp import artifacts

        settings = self.options.artifacts
        if settings is None:
            raise ScanError("the model artifact checks read object contents: they run only with --inspect-artifacts")
        spec = ServiceSpec(
            name=ARTIFACT_SERVICE,
            produces=(artifacts.GcsModelArtifact,),
            regional=False,
            permissions=ARTIFACT_PERMISSIONS,
            collect=partial(artifacts.collect, settings=settings, budget=ScanBudget(settings.max_scan_bytes)),
        )
        return [
            CollectorUnit(
                account=project,
                region=GLOBAL_REGION,
                service=ARTIFACT_SERVICE,
                produces=spec.produces,
                run=partial(self._run, spec),
                phase=1,
            )
            for project in self.projects
        ]

    def _run(self, spec: ServiceSpec, unit: UnitContext) -> Iterable[Resource]:
        assert self._clients is not None
        result: Iterable[Resource] = spec.collect(GcpContext(unit, self._clients, self._saw_location))
        return result

    def _saw_location(self, project: str, location: str) -> None:
        with self._lock:
            self._locations[project].add(location)
