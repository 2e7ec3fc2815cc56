"""Workbench instance checks: a table of (case, snapshot, expected status) per check, with an
unreadable-input (ERROR) case for each."""

from __future__ import annotations

from typing import Any

import pytest

from cspm.checks.gcp import workbench
from cspm.models import Status
from cspm.resources.gcp.workbench import WorkbenchDisk, WorkbenchInstance

KEY = "projects/ml-project/locations/us-central1/keyRings/ml/cryptoKeys/notebooks"
DEFAULT_SA = "123456789012-compute@developer.gserviceaccount.com"


def _make(**fields: Any) -> WorkbenchInstance:
    return WorkbenchInstance(uid="projects/ml-project/locations/us-central1-a/instances/nb", name="nb",
                             account="ml-project", region="us-central1-a", **fields)  # fmt: skip


SHIELDED = {"secure_boot": True, "vtpm": True, "integrity_monitoring": True}
CMEK_DISKS = (WorkbenchDisk(kind="boot", encryption="CMEK", kms_key=KEY), WorkbenchDisk(kind="data", kms_key=KEY))


@pytest.mark.parametrize(
    ("check", "case", "fields", "expected"),
    [
        (workbench.instance_has_no_public_ip, "private", {"public_ip": False}, Status.PASS),
        (workbench.instance_has_no_public_ip, "external IP", {"public_ip": True}, Status.FAIL),
        (workbench.instance_has_no_public_ip, "no gceSetup", {}, Status.ERROR),
        (workbench.instance_root_access_disabled, "no root", {"root_access": False}, Status.PASS),
        (workbench.instance_root_access_disabled, "root", {"root_access": True}, Status.FAIL),
        (workbench.instance_root_access_disabled, "no gceSetup", {}, Status.ERROR),
        (workbench.instance_shielded_vm_enabled, "all on", SHIELDED, Status.PASS),
        (workbench.instance_shielded_vm_enabled, "no Secure Boot", {**SHIELDED, "secure_boot": False}, Status.FAIL),
        (workbench.instance_shielded_vm_enabled, "no vTPM", {**SHIELDED, "vtpm": False}, Status.FAIL),
        (workbench.instance_shielded_vm_enabled, "not returned", {}, Status.ERROR),
        (workbench.instance_disks_encrypted_with_cmek, "CMEK", {"disks": CMEK_DISKS}, Status.PASS),
        (workbench.instance_disks_encrypted_with_cmek, "a GMEK data disk",
         {"disks": (CMEK_DISKS[0], WorkbenchDisk(kind="data", encryption="GMEK"))}, Status.FAIL),
        (workbench.instance_disks_encrypted_with_cmek, "input-only fields not returned",
         {"disks": (WorkbenchDisk(kind="boot"),)}, Status.ERROR),
        (workbench.instance_disks_encrypted_with_cmek, "no disks listed", {"disks": ()}, Status.ERROR),
        (workbench.instance_disks_encrypted_with_cmek, "no gceSetup", {}, Status.ERROR),
        (workbench.instance_uses_dedicated_service_account, "dedicated",
         {"service_accounts": ("nb@ml-project.iam.gserviceaccount.com",)}, Status.PASS),
        (workbench.instance_uses_dedicated_service_account, "default compute",
         {"service_accounts": (DEFAULT_SA,)}, Status.FAIL),
        (workbench.instance_uses_dedicated_service_account, "not returned", {}, Status.ERROR),
        (workbench.instance_ip_forwarding_disabled, "off", {"ip_forwarding": False}, Status.PASS),
        (workbench.instance_ip_forwarding_disabled, "on", {"ip_forwarding": True}, Status.FAIL),
        (workbench.instance_ip_forwarding_disabled, "no gceSetup", {}, Status.ERROR),
    ],
)  # fmt: skip
def test_workbench_checks(check: Any, case: str, fields: dict[str, Any], expected: Status) -> None:
    result = check(_make(**fields))
    assert result.status is expected, f"{case}: {result.message}"


def test_evidence_names_what_is_off() -> None:
    result = workbench.instance_shielded_vm_enabled(_make(**{**SHIELDED, "secure_boot": False, "vtpm": False}))
    assert result.evidence == {"disabled": ["secure_boot", "vtpm"]}
    disks = (WorkbenchDisk(kind="boot", encryption="GMEK"), WorkbenchDisk(kind="data", kms_key=KEY))
    assert workbench.instance_disks_encrypted_with_cmek(_make(disks=disks)).evidence == {"google_managed": ["boot"]}
