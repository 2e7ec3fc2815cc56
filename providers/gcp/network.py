"""Compute Engine networking of a project: subnets and forwarding rules (Private Service Connect).

Requests per project, by plain REST through the provider's read-only session (no
google-cloud-compute): ``GET /compute/v1/projects/P/aggregated/subnetworks`` and
``GET /compute/v1/projects/P/aggregated/forwardingRules``, paged by ``maxResults`` /
``pageToken``. An aggregated list answers ``items`` as a map of scope (``regions/R``, and
``global`` for global forwarding rules: scopes where the type exists are always included) to a
scoped list holding the resources or only a ``warning`` (``NO_RESULTS_ON_PAGE``: nothing in that
scope on this page), so the scopes are walked, not indexed. ``returnPartialSuccess`` is not sent:
an unreachable scope fails the whole call, which is recorded, rather than silently missing; an
answer that lists ``unreachables`` anyway is recorded as an error too.
``CSPM_GCP_COMPUTE_ENDPOINT`` sends the calls elsewhere (the demo's fake).

A failed listing (403 ``SERVICE_DISABLED`` when compute.googleapis.com is off, or a denial) is
recorded against the type it would have produced, so its checks are ERROR for the project.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import partial
from typing import Any, Final

import google.api_core.exceptions as api_errors

from cspm.providers.base import ServiceSpec
from cspm.providers.gcp.context import TIMEOUT, GcpContext
from cspm.resources.base import GLOBAL_REGION, Resource
from cspm.resources.gcp.network import GcpForwardingRule, GcpSubnetwork

ENDPOINT_VARIABLE: Final = "CSPM_GCP_COMPUTE_ENDPOINT"
COMPUTE_ENDPOINT: Final = "https://compute.googleapis.com"
MAX_RESULTS: Final = 500  # the Compute API's largest page
MAX_PAGES: Final = 10_000  # a listing that never ends is an error, not a hang

PERMISSIONS = ("compute.subnetworks.list", "compute.forwardingRules.list")
PRODUCES: Final = (GcpSubnetwork, GcpForwardingRule)


def base_url() -> str:
    return (os.environ.get(ENDPOINT_VARIABLE) or COMPUTE_ENDPOINT).rstrip("/")


def aggregated_pages(session: Any, url: str, key: str) -> list[tuple[str, dict[str, Any]]]:
    """(scope, item) for every item under ``key`` of every scope of every page of an aggregated
    list; raises api-core errors (403 ``Forbidden``, also for ``SERVICE_DISABLED``)."""
    found: list[tuple[str, dict[str, Any]]] = []
    query: dict[str, Any] = {"maxResults": MAX_RESULTS}
    seen: set[str] = set()
    for _ in range(MAX_PAGES):
        response = session.get(url, params=query, timeout=TIMEOUT)
        if response.status_code != 200:
            raise api_errors.from_http_response(response)
        page = response.json()
        scopes = page.get("items", {}) if isinstance(page, dict) else None
        if not isinstance(scopes, dict):
            raise api_errors.GoogleAPICallError(f"{url}: 'items' is not a map of scopes in the answer")
        unreachable = page.get("unreachables")
        if unreachable:  # scopes the API could not read: their resources are missing, never "none"
            raise api_errors.GoogleAPICallError(f"{url}: unreachable scopes {unreachable}")
        for scope, scoped in sorted(scopes.items()):
            items = scoped.get(key) if isinstance(scoped, dict) else None
            found.extend((str(scope), item) for item in items or () if isinstance(item, dict))
        token = page.get("nextPageToken")
        if not token:
            return found
        if token in seen:
            raise api_errors.GoogleAPICallError(f"{url}: the API repeated page token {token!r}")
        seen.add(token)
        query["pageToken"] = token
    raise api_errors.GoogleAPICallError(f"{url}: more than {MAX_PAGES} pages")


def collect(ctx: GcpContext) -> Iterator[Resource]:
    root = f"{base_url()}/compute/v1/projects/{ctx.project}/aggregated"
    for key, kind, build in _KINDS:
        fn = partial(aggregated_pages, ctx.clients.session, f"{root}/{key}", key)
        retry = ctx.options["retry"]
        listed = ctx.list_items(
            retry(fn) if retry is not None else fn, operation=f"{key}.aggregatedList", affects=(kind,)
        )
        for scope, raw in listed or ():
            if not isinstance(raw.get("name"), str) or not raw["name"]:
                ctx.error(f"{key}.aggregatedList", "MalformedResource", f"a {key} item without a name in {scope}",
                          affects=(kind,))  # fmt: skip
                continue
            region = _region(scope)
            if region != GLOBAL_REGION:  # the report's scopes list regions, as the other collectors do
                ctx.saw_location(region)
            yield build(raw, ctx.project, region)


# ---------------------------------------------------------------------------------------------
# REST resource -> snapshot (pure)
# ---------------------------------------------------------------------------------------------


def _region(scope: str) -> str:
    """``regions/us-central1`` -> ``us-central1``; ``global`` -> ``global``."""
    return scope.split("/", 1)[1] if scope.startswith("regions/") else GLOBAL_REGION


def short_name(url: Any) -> str | None:
    """``https://www.googleapis.com/compute/v1/projects/P/global/networks/N`` ->
    ``projects/P/global/networks/N`` (a value that is already short is kept)."""
    if not isinstance(url, str) or not url:
        return None
    at = url.find("projects/")
    return url[at:] if at >= 0 else url


def _str(raw: dict[str, Any], key: str) -> str | None:
    value = raw.get(key)
    return value if isinstance(value, str) and value else None


def _uid(raw: dict[str, Any], project: str, region: str, collection: str) -> str:
    where = "global" if region == GLOBAL_REGION else f"regions/{region}"
    return short_name(raw.get("selfLink")) or f"projects/{project}/{where}/{collection}/{raw['name']}"


def subnetwork_from_api(raw: dict[str, Any], project: str, region: str) -> GcpSubnetwork:
    log_config = raw.get("logConfig")
    flow_logs = log_config.get("enable") is True if isinstance(log_config, dict) else raw.get("enableFlowLogs") is True
    access = raw.get("privateIpGoogleAccess")
    return GcpSubnetwork(
        uid=_uid(raw, project, region, "subnetworks"),
        name=raw["name"],
        account=project,
        region=region,
        network=short_name(raw.get("network")) or "",
        ip_cidr_range=_str(raw, "ipCidrRange"),
        purpose=_str(raw, "purpose"),
        private_ip_google_access=access if isinstance(access, bool) else None,
        flow_logs=flow_logs,
    )


def forwarding_rule_from_api(raw: dict[str, Any], project: str, region: str) -> GcpForwardingRule:
    target = _str(raw, "target")
    labels = raw.get("labels")
    return GcpForwardingRule(
        uid=_uid(raw, project, region, "forwardingRules"),
        name=raw["name"],
        account=project,
        region=region,
        tags={str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {},
        network=short_name(raw.get("network")),
        ip_address=_str(raw, "IPAddress"),
        target=short_name(target) if target and "/" in target else target,
        backend_service=short_name(raw.get("backendService")),
        load_balancing_scheme=_str(raw, "loadBalancingScheme"),
        psc_connection_status=_str(raw, "pscConnectionStatus"),
    )


_KINDS: Final = (
    ("subnetworks", GcpSubnetwork, subnetwork_from_api),
    ("forwardingRules", GcpForwardingRule, forwarding_rule_from_api),
)

SERVICE = ServiceSpec(
    name="compute",
    produces=PRODUCES,
    regional=False,
    permissions=PERMISSIONS,
    collect=collect,
)
