"""Vertex AI Workbench instance snapshots, from the Notebooks API v2
(``notebooks.googleapis.com/v2/projects/P/locations/-/instances``).

Each field is read from the instance's listing. The API writes JSON the proto3 way: a boolean
that is false and a map or list that is empty are left out, so an absent ``disablePublicIp`` is
"has a public IP" and an absent ``notebook-disable-root`` key is "root allowed". Where the
whole sub-object is missing (no ``gceSetup``, no ``shieldedInstanceConfig``, no service account)
the field is ``None``: not returned, so not judged (ERROR). ``uid`` is the instance name
(``projects/P/locations/ZONE/instances/ID``), ``region`` its zone.
"""

from __future__ import annotations

from typing import ClassVar

from cspm.resources.base import Resource, Snapshot


class WorkbenchDisk(Snapshot):
    kind: str  # "boot" or "data"
    encryption: str | None = None  # diskEncryption (GMEK / CMEK); None: not returned (the API marks it input-only)
    kms_key: str | None = None  # kmsKey; None: not returned or not set


class WorkbenchInstance(Resource):
    resource_type: ClassVar[str] = "gcp.workbench.instance"

    state: str | None = None  # ACTIVE, STOPPED, ...
    public_ip: bool | None = None  # not gceSetup.disablePublicIp; None: no gceSetup
    root_access: bool | None = None  # metadata notebook-disable-root is not "true"; None: no gceSetup
    secure_boot: bool | None = None  # shieldedInstanceConfig.enableSecureBoot; None: no shieldedInstanceConfig
    vtpm: bool | None = None  # shieldedInstanceConfig.enableVtpm
    integrity_monitoring: bool | None = None  # shieldedInstanceConfig.enableIntegrityMonitoring
    service_accounts: tuple[str, ...] | None = None  # gceSetup.serviceAccounts[].email; None: none returned
    disks: tuple[WorkbenchDisk, ...] | None = None  # bootDisk and dataDisks; None: no gceSetup
    network: str | None = None  # networkInterfaces[0].network
    subnet: str | None = None  # networkInterfaces[0].subnet
    proxy_access_disabled: bool = False  # disableProxyAccess
    proxy_mode: str | None = None  # metadata proxy-mode (service_account, mail, ...)
    ip_forwarding: bool | None = None  # gceSetup.enableIpForwarding; None: no gceSetup
