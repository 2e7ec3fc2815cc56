"""The fake's private-path routes: Resource Manager ancestry, Access Context Manager (VPC Service
Controls) and Compute Engine subnets and forwarding rules, with the JSON shapes of each API's
REST reference (v1 discovery documents):

- ``GET /v3/projects/P`` and ``GET /v3/folders/F`` (Resource Manager v3 ``Project`` / ``Folder``);
- ``GET /v1/accessPolicies?parent=organizations/O`` (``accessPolicies``, paged) and
  ``GET /v1/accessPolicies/ID/servicePerimeters`` (``servicePerimeters``, paged);
- ``GET /compute/v1/projects/P/aggregated/subnetworks|forwardingRules``: ``items`` maps every
  scope (``regions/R``, ``global``) to its resources on the page, or to a ``NO_RESULTS_ON_PAGE``
  warning, as Compute answers; paged by ``maxResults`` / ``pageToken`` over the resources.

:class:`NetworkState` is one field of :class:`cspm.demo.gcp.FakeGcs` (``fake.network``), whose
``handle`` asks :meth:`NetworkState.handle` first. A project not added with
:meth:`NetworkState.add_project` answers as a project directly under :data:`DEFAULT_ORG` with a
number derived from its id, so fakes that do not care still answer. Importing this module
imports no Google SDK.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Final

DEFAULT_ORG: Final = "organizations/100000000001"
COMPUTE: Final = "https://www.googleapis.com/compute/v1"
REGIONS: Final = ("asia-east1", "europe-west4", "us-central1")  # scopes every aggregated answer lists

_PROJECT = re.compile(r"^/v3/projects/(?P<project>[^/:]+)$")
_FOLDER = re.compile(r"^/v3/(?P<folder>folders/[^/:]+)$")
_PERIMETERS = re.compile(r"^/v1/(?P<policy>accessPolicies/[^/]+)/servicePerimeters$")
_AGGREGATED = re.compile(r"^/compute/v1/projects/(?P<project>[^/]+)/aggregated/(?P<key>subnetworks|forwardingRules)$")


def default_number(project: str) -> str:
    """The number the fake gives a project it was not told about (12 digits, stable)."""
    return str(100000000000 + sum(ord(c) * (i + 1) for i, c in enumerate(project)))


def network_permissions(method: str, path: str) -> set[str] | None:
    """The IAM permission Google checks for one of these routes; None for another route."""
    if method != "GET":
        return None
    if _PROJECT.match(path):
        return {"resourcemanager.projects.get"}
    if _FOLDER.match(path):
        return {"resourcemanager.folders.get"}
    if path == "/v1/accessPolicies":
        return {"accesscontextmanager.policies.list"}
    if _PERIMETERS.match(path):
        return {"accesscontextmanager.servicePerimeters.list"}
    aggregated = _AGGREGATED.match(path)
    if aggregated:
        return {f"compute.{aggregated.group('key')}.list"}
    return None


# ---------------------------------------------------------------------------------------------
# Documented response shapes
# ---------------------------------------------------------------------------------------------


def _network_url(project: str, network: str) -> str:
    return f"{COMPUTE}/projects/{project}/global/networks/{network}"


def subnetwork(
    name: str,
    *,
    project: str,
    region: str = "us-central1",
    network: str = "default",
    cidr: str = "10.128.0.0/20",
    private_google_access: bool | None = False,
    flow_logs: bool | None = None,
    purpose: str = "PRIVATE",
) -> dict[str, Any]:
    """A ``compute#subnetwork``; ``flow_logs`` None: never configured (no logConfig);
    ``private_google_access`` None: the field left out."""
    raw: dict[str, Any] = {
        "kind": "compute#subnetwork",
        "id": str(5000000000000000000 + sum(map(ord, name + region))),
        "creationTimestamp": "2026-01-01T00:00:00.000-08:00",
        "name": name,
        "network": _network_url(project, network),
        "ipCidrRange": cidr,
        "gatewayAddress": cidr.split("/", maxsplit=1)[0].rsplit(".", 1)[0] + ".1",
        "region": f"{COMPUTE}/projects/{project}/regions/{region}",
        "selfLink": f"{COMPUTE}/projects/{project}/regions/{region}/subnetworks/{name}",
        "fingerprint": "ExDcDkTHL5I=",
        "purpose": purpose,
        "stackType": "IPV4_ONLY",
        "privateIpv6GoogleAccess": "DISABLE_GOOGLE_ACCESS",
    }
    if private_google_access is not None:
        raw["privateIpGoogleAccess"] = private_google_access
    if flow_logs is not None:
        raw["enableFlowLogs"] = flow_logs
        raw["logConfig"] = {"enable": flow_logs}
        if flow_logs:
            raw["logConfig"] |= {"aggregationInterval": "INTERVAL_5_SEC", "flowSampling": 1,
                                 "metadata": "INCLUDE_ALL_METADATA"}  # fmt: skip
    return raw


def forwarding_rule(
    name: str,
    *,
    project: str,
    target: str,
    region: str | None = None,
    network: str = "default",
    ip_address: str = "10.255.255.254",
) -> dict[str, Any]:
    """A ``compute#forwardingRule`` of a Private Service Connect endpoint: global (``region``
    None) for a Google APIs bundle (``target`` ``all-apis`` / ``vpc-sc``), regional for a
    service attachment (``target`` its URL)."""
    where = "global" if region is None else f"regions/{region}"
    raw: dict[str, Any] = {
        "kind": "compute#forwardingRule",
        "id": str(6000000000000000000 + sum(map(ord, name))),
        "creationTimestamp": "2026-01-01T00:00:00.000-08:00",
        "name": name,
        "IPAddress": ip_address,
        "target": target,
        "selfLink": f"{COMPUTE}/projects/{project}/{where}/forwardingRules/{name}",
        "network": _network_url(project, network),
        "networkTier": "PREMIUM",
        "labelFingerprint": "42WmSpB8rSM=",
        "fingerprint": "pMbGzWHtXm8=",
        "pscConnectionId": str(70000000000 + sum(map(ord, name))),
        "pscConnectionStatus": "ACCEPTED",
    }
    if region is not None:
        raw["region"] = f"{COMPUTE}/projects/{project}/regions/{region}"
    return raw


def access_policy(ident: str, organization: str = DEFAULT_ORG, title: str = "default policy") -> dict[str, Any]:
    """An ``AccessPolicy`` as accessPolicies.list returns it."""
    return {"name": f"accessPolicies/{ident}", "parent": organization, "title": title, "etag": "7a1ebd4c0b3f0c8e"}


def service_perimeter(
    policy: str,
    name: str,
    *,
    resources: tuple[str, ...] = (),
    restricted: tuple[str, ...] = (),
    dry_run_resources: tuple[str, ...] | None = None,
    dry_run_restricted: tuple[str, ...] = (),
    bridge: bool = False,
    open_egress_to: tuple[str, ...] = (),
) -> dict[str, Any]:
    """A ``ServicePerimeter`` of ``accessPolicies/{policy}``: ``status`` holds the enforced
    ``resources`` (``projects/NUMBER``) and ``restricted`` services; a ``dry_run_resources``
    adds a ``spec`` and ``useExplicitDryRunSpec`` (a dry-run configuration); ``open_egress_to``
    adds an egress policy letting ANY_IDENTITY call those services on any project."""
    raw: dict[str, Any] = {
        "name": f"accessPolicies/{policy}/servicePerimeters/{name}",
        "title": name,
        "status": {"resources": list(resources)},
        "etag": "5bd7f3c93a2e1f07",
    }
    if bridge:
        raw["perimeterType"] = "PERIMETER_TYPE_BRIDGE"
    else:
        raw["status"] |= {"restrictedServices": list(restricted), "vpcAccessibleServices": {}}
    if open_egress_to:
        operations = [{"serviceName": s, "methodSelectors": [{"method": "*"}]} for s in open_egress_to]
        raw["status"]["egressPolicies"] = [
            {"egressFrom": {"identityType": "ANY_IDENTITY"}, "egressTo": {"resources": ["*"], "operations": operations}}
        ]
    if dry_run_resources is not None:
        raw["spec"] = {"resources": list(dry_run_resources), "restrictedServices": list(dry_run_restricted)}
        raw["useExplicitDryRunSpec"] = True
    return raw


def _denied(permission: str, resource: str) -> tuple[int, dict[str, Any]]:
    from cspm.demo.gcp import google_error

    return 403, google_error(
        403,
        "PERMISSION_DENIED",
        f"Permission '{permission}' denied on resource '{resource}' (or it may not exist).",
        "IAM_PERMISSION_DENIED",
        permission=permission,
    )


def _disabled(project: str, title: str, service: str) -> tuple[int, dict[str, Any]]:
    from cspm.demo.gcp import google_error

    return 403, google_error(
        403,
        "PERMISSION_DENIED",
        f"{title} has not been used in project {project} before or it is disabled. Enable it by visiting "
        f"https://console.developers.google.com/apis/api/{service}/overview?project={project} then retry.",
        "SERVICE_DISABLED",
        service=service,
        consumer=f"projects/{project}",
    )


# ---------------------------------------------------------------------------------------------
# The state and its routes
# ---------------------------------------------------------------------------------------------


@dataclass
class NetworkState:
    """Ancestry, access policies, perimeters, subnets and forwarding rules of the fake."""

    projects: dict[str, dict[str, Any]] = field(default_factory=dict)  # project id -> v3 Project
    folders: dict[str, dict[str, Any]] = field(default_factory=dict)  # folders/ID -> v3 Folder
    policies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # organizations/O -> policies
    perimeters: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # accessPolicies/ID -> perimeters
    subnetworks: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # project -> subnets
    forwarding_rules: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # project -> rules
    # "project:P", "folder:folders/F", "policies:organizations/O", "perimeters:accessPolicies/ID",
    # "acm-disabled", "compute-disabled:P", "compute:P:subnetworks|forwardingRules"
    denied: set[str] = field(default_factory=set)
    page_size: int = 500

    def add_project(self, project: str, number: str, parent: str | None = DEFAULT_ORG) -> None:
        raw: dict[str, Any] = {"name": f"projects/{number}", "projectId": project, "state": "ACTIVE",
                               "displayName": project, "etag": "W/\"1a2b3c\""}  # fmt: skip
        if parent:
            raw["parent"] = parent
        self.projects[project] = raw

    def add_folder(self, folder: str, parent: str) -> None:
        self.folders[folder] = {"name": folder, "parent": parent, "displayName": folder, "state": "ACTIVE"}

    def add_policy(self, policy: dict[str, Any], *perimeters: dict[str, Any]) -> None:
        self.policies.setdefault(policy["parent"], []).append(policy)
        self.perimeters.setdefault(policy["name"], []).extend(perimeters)

    def handle(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, Any]] | None:
        """The answer to a GET of one of these routes, or None for another route."""
        project = _PROJECT.match(path)
        if project:
            return self._project(project.group("project"))
        folder = _FOLDER.match(path)
        if folder:
            name = folder.group("folder")
            if f"folder:{name}" in self.denied or name not in self.folders:
                return _denied("resourcemanager.folders.get", name)
            return 200, self.folders[name]
        if path == "/v1/accessPolicies" or _PERIMETERS.match(path):
            return self._acm(path, query)
        aggregated = _AGGREGATED.match(path)
        if aggregated:
            return self._aggregated(aggregated.group("project"), aggregated.group("key"), query)
        return None

    def _project(self, project: str) -> tuple[int, dict[str, Any]]:
        if f"project:{project}" in self.denied:
            return _denied("resourcemanager.projects.get", f"projects/{project}")
        default = {"name": f"projects/{default_number(project)}", "projectId": project, "parent": DEFAULT_ORG,
                   "state": "ACTIVE", "displayName": project}  # fmt: skip
        return 200, self.projects.get(project, default)

    def _acm(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if "acm-disabled" in self.denied:
            return _disabled("ml-scanner", "Access Context Manager API", "accesscontextmanager.googleapis.com")
        perimeters = _PERIMETERS.match(path)
        if perimeters is None:
            parent = query.get("parent", "")
            if not parent.startswith("organizations/"):
                from cspm.demo.gcp import google_error

                return 400, google_error(400, "INVALID_ARGUMENT", "parent must be organizations/{organization_id}")
            if f"policies:{parent}" in self.denied:
                return _denied("accesscontextmanager.policies.list", f"//cloudresourcemanager.googleapis.com/{parent}")
            return 200, self._page("accessPolicies", self.policies.get(parent, []), query)
        policy = perimeters.group("policy")
        if f"perimeters:{policy}" in self.denied:
            return _denied("accesscontextmanager.servicePerimeters.list", policy)
        return 200, self._page("servicePerimeters", self.perimeters.get(policy, []), query)

    def _page(self, key: str, items: list[dict[str, Any]], query: dict[str, str]) -> dict[str, Any]:
        start = int(query.get("pageToken") or 0)
        size = min(self.page_size, int(query.get("pageSize") or self.page_size))
        page: dict[str, Any] = {key: items[start : start + size]} if items else {}
        if start + size < len(items):
            page["nextPageToken"] = str(start + size)
        return page

    def _aggregated(self, project: str, key: str, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if f"compute-disabled:{project}" in self.denied:
            return _disabled(project, "Compute Engine API", "compute.googleapis.com")
        if f"compute:{project}:{key}" in self.denied:
            return _denied(f"compute.{key}.list", f"projects/{project}")
        store = self.subnetworks if key == "subnetworks" else self.forwarding_rules
        found = sorted(((_scope(raw), raw) for raw in store.get(project, [])), key=lambda pair: pair[0])
        start = int(query.get("pageToken") or 0)
        size = min(self.page_size, int(query.get("maxResults") or self.page_size))
        on_page = found[start : start + size]
        scopes = {f"regions/{r}" for r in REGIONS} | {scope for scope, _ in found}
        if key == "forwardingRules":
            scopes.add("global")
        items: dict[str, Any] = {}
        for scope in sorted(scopes):
            here = [raw for where, raw in on_page if where == scope]
            items[scope] = {key: here} if here else {"warning": _no_results(scope)}
        kind = "subnetworkAggregatedList" if key == "subnetworks" else "forwardingRuleAggregatedList"
        page: dict[str, Any] = {
            "kind": f"compute#{kind}",
            "id": f"projects/{project}/aggregated/{key}",
            "items": items,
            "selfLink": f"{COMPUTE}/projects/{project}/aggregated/{key}",
        }
        if start + size < len(found):
            page["nextPageToken"] = str(start + size)
        return 200, page


def _scope(raw: dict[str, Any]) -> str:
    region = raw.get("region")
    return f"regions/{region.rsplit('/', 1)[-1]}" if isinstance(region, str) else "global"


def _no_results(scope: str) -> dict[str, Any]:
    return {
        "code": "NO_RESULTS_ON_PAGE",
        "message": f"There are no results for scope '{scope}' on this page.",
        "data": [{"key": "scope", "value": scope}],
    }


# ---------------------------------------------------------------------------------------------
# The demo's project
# ---------------------------------------------------------------------------------------------

DEMO_ORG: Final = "organizations/512340987612"
DEMO_FOLDER: Final = "folders/267453110291"
DEMO_POLICY: Final = "8123456789"
AI_SERVICES: Final = ("aiplatform.googleapis.com", "storage.googleapis.com")


def seed_demo_network(state: NetworkState, project: str, number: str) -> None:
    """The demo project's private paths: it sits in a folder of the acme organization whose
    perimeter holds it only in a dry-run configuration (nothing enforced); the training VPC
    (ml-vpc, the fraud job's network) has Private Google Access and flow logs in europe-west4,
    while the auto-mode default network's subnet has neither; Google APIs are reached through a
    Private Service Connect endpoint for the all-apis bundle, and the fraud endpoint through one
    for its service attachment."""
    state.add_project(project, number, parent=DEMO_FOLDER)
    state.add_folder(DEMO_FOLDER, DEMO_ORG)
    state.add_policy(
        access_policy(DEMO_POLICY, DEMO_ORG, "acme"),
        service_perimeter(
            DEMO_POLICY,
            "ml_perimeter",
            resources=("projects/733019384521",),  # the data lake project, enforced
            restricted=AI_SERVICES,
            dry_run_resources=("projects/733019384521", f"projects/{number}"),
            dry_run_restricted=AI_SERVICES,
        ),
    )
    state.subnetworks[project] = [
        subnetwork("ml-training", project=project, region="europe-west4", network="ml-vpc", cidr="10.20.0.0/20",
                   private_google_access=True, flow_logs=True),
        subnetwork("default", project=project, region="europe-west4", network="default", cidr="10.164.0.0/20"),
        subnetwork("ml-proxy-only", project=project, region="europe-west4", network="ml-vpc", cidr="10.20.64.0/23",
                   purpose="REGIONAL_MANAGED_PROXY", private_google_access=None),
    ]  # fmt: skip
    state.forwarding_rules[project] = [
        forwarding_rule(
            "googleapis-psc", project=project, target="all-apis", network="ml-vpc", ip_address="10.20.255.1"
        ),
        forwarding_rule(
            "fraud-psc-endpoint",
            project=project,
            region="europe-west4",
            network="ml-vpc",
            ip_address="10.20.0.50",
            target=f"{COMPUTE}/projects/e7d1a2b3c4-tp/regions/europe-west4/serviceAttachments/sa-fraud-psc",
        ),
    ]
