"""Vertex AI Workbench instances (Notebooks API v2), by plain REST through google-auth.

Requests per project: one ``GET https://notebooks.googleapis.com/v2/projects/P/locations/-/instances``
per page (``-`` is every location, as the v2 reference documents for ``parent``), so no location
listing is needed. ``CSPM_GCP_NOTEBOOKS_ENDPOINT`` sends the calls to another base URL (the demo's
fake).

Nothing here is ever PASS by default: a disabled Notebooks API (HTTP 403, reason
``SERVICE_DISABLED``), a denied listing or a broken page is recorded against
``gcp.workbench.instance``, so every Workbench check is ERROR for the project. Locations the API
reports in ``unreachable`` are recorded the same way (the instances it did return are kept).
An instance's ``region`` is its zone; the scan's scopes get the zone's region.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any, Final

from cspm.providers.base import ServiceSpec
from cspm.providers.gcp.context import PAGE_SIZE, GcpContext
from cspm.resources.base import Resource
from cspm.resources.gcp.workbench import WorkbenchDisk, WorkbenchInstance

ENDPOINT_VARIABLE: Final = "CSPM_GCP_NOTEBOOKS_ENDPOINT"
DEFAULT_ENDPOINT: Final = "https://notebooks.googleapis.com"
MAX_PAGES: Final = 1000  # a listing that keeps paging past this is recorded, not followed

PERMISSIONS = ("notebooks.instances.list",)
PRODUCES: Final = (WorkbenchInstance,)
OPERATION: Final = "instances.list"


def base_url() -> str:
    override = os.environ.get(ENDPOINT_VARIABLE)
    return override.rstrip("/") if override else DEFAULT_ENDPOINT


def collect(ctx: GcpContext) -> Iterator[Resource]:
    url = f"{base_url()}/v2/projects/{ctx.project}/locations/-/instances"
    params: dict[str, Any] = {"pageSize": PAGE_SIZE}
    for _ in range(MAX_PAGES):
        page = ctx.rest_get(url, operation=OPERATION, affects=PRODUCES, params=params)
        if page is None:
            return
        yield from _page(ctx, page)
        token = page.get("nextPageToken")
        if not token:
            return
        params = {**params, "pageToken": token}
    ctx.error(OPERATION, "TooManyPages", f"more than {MAX_PAGES} pages of instances", affects=PRODUCES)


def _page(ctx: GcpContext, page: dict[str, Any]) -> Iterator[Resource]:
    unreachable = [str(u) for u in page.get("unreachable") or () if u]
    if unreachable:
        ctx.error(OPERATION, "Unreachable", f"locations not reached: {', '.join(unreachable)}", affects=PRODUCES)
    items = page.get("instances", [])
    if not isinstance(items, list):
        ctx.error(OPERATION, "MalformedResponse", "'instances' is not a list in the answer", affects=PRODUCES)
        return
    for raw in items:
        name = raw.get("name") if isinstance(raw, dict) else None
        if not isinstance(name, str) or name.count("/") != 5:
            ctx.error(OPERATION, "MalformedResource", "an instance without a valid name", affects=PRODUCES)
            continue
        instance = instance_from_api(raw, ctx.project)
        ctx.saw_location(_region(instance.region))
        yield instance


# ---------------------------------------------------------------------------------------------
# REST resource -> snapshot (pure)
# ---------------------------------------------------------------------------------------------


def _obj(raw: Any, key: str) -> dict[str, Any] | None:
    value = raw.get(key) if isinstance(raw, dict) else None
    return value if isinstance(value, dict) else None


def _str(raw: Any, key: str) -> str | None:
    value = raw.get(key) if isinstance(raw, dict) else None
    return value if isinstance(value, str) and value else None


def _region(zone: str) -> str:
    """The region of a zone (``europe-west4-a`` -> ``europe-west4``): the scan's scopes list
    regions, as the Vertex AI and Cloud Storage collectors record them."""
    return re.sub(r"-[a-z]$", "", zone)


def _disk(raw: dict[str, Any], kind: str) -> WorkbenchDisk:
    return WorkbenchDisk(kind=kind, encryption=_str(raw, "diskEncryption"), kms_key=_str(raw, "kmsKey"))


def _disks(setup: dict[str, Any]) -> tuple[WorkbenchDisk, ...]:
    disks = [_disk(boot, "boot")] if (boot := _obj(setup, "bootDisk")) is not None else []
    disks.extend(_disk(d, "data") for d in setup.get("dataDisks") or () if isinstance(d, dict))
    return tuple(disks)


def _shielded(setup: dict[str, Any] | None) -> dict[str, bool | None]:
    config = _obj(setup, "shieldedInstanceConfig")
    if config is None:
        return {"secure_boot": None, "vtpm": None, "integrity_monitoring": None}
    return {
        "secure_boot": config.get("enableSecureBoot") is True,
        "vtpm": config.get("enableVtpm") is True,
        "integrity_monitoring": config.get("enableIntegrityMonitoring") is True,
    }


def instance_from_api(raw: dict[str, Any], project: str) -> WorkbenchInstance:
    name: str = raw["name"]
    setup = _obj(raw, "gceSetup")
    metadata = _obj(setup, "metadata") or {}
    accounts = [a for a in (setup or {}).get("serviceAccounts") or () if isinstance(a, dict) and _str(a, "email")]
    interfaces = [i for i in (setup or {}).get("networkInterfaces") or () if isinstance(i, dict)]
    labels = raw.get("labels")
    return WorkbenchInstance(
        uid=name,
        name=name.rsplit("/", 1)[-1],
        account=project,
        region=name.split("/")[3],
        tags={str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {},
        state=_str(raw, "state"),
        public_ip=None if setup is None else setup.get("disablePublicIp") is not True,
        root_access=None if setup is None else str(metadata.get("notebook-disable-root", "")).lower() != "true",
        **_shielded(setup),
        service_accounts=tuple(str(a["email"]) for a in accounts) or None,
        disks=None if setup is None else _disks(setup),
        network=_str(interfaces[0], "network") if interfaces else None,
        subnet=_str(interfaces[0], "subnet") if interfaces else None,
        proxy_access_disabled=raw.get("disableProxyAccess") is True,
        proxy_mode=_str(metadata, "proxy-mode"),
        ip_forwarding=None if setup is None else setup.get("enableIpForwarding") is True,
    )


SERVICE = ServiceSpec(
    name="workbench",
    produces=PRODUCES,
    regional=False,
    permissions=PERMISSIONS,
    collect=collect,
)
