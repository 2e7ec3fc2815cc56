"""The Workbench collector (Notebooks API v2, ``locations/-``) by plain REST through google-auth's
session, against the fake (``responses`` on notebooks.googleapis.com)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cspm.demo.gcp_workbench import workbench_instance
from cspm.engine import evaluate
from cspm.models import Status
from cspm.providers.gcp.workbench import instance_from_api
from cspm.registry import CheckSpec, load_checks
from cspm.resources.gcp.workbench import WorkbenchDisk, WorkbenchInstance
from support.aws import one
from support.gcp import PROJECT, FakeGcs, collect_gcp

KEY = f"projects/{PROJECT}/locations/us-central1/keyRings/ml/cryptoKeys/notebooks"
SA = f"notebooks@{PROJECT}.iam.gserviceaccount.com"


def _fake(page_size: int = 1000) -> FakeGcs:
    fake = FakeGcs(page_size=page_size)
    fake.workbench[PROJECT] = [
        workbench_instance("hardened", public_ip=False, root=False, secure_boot=True, service_account=SA, kms_key=KEY),
        workbench_instance("open", zone="europe-west4-b"),
        workbench_instance("third", zone="us-central1-b", data_disk=False),
    ]
    return fake


def _specs() -> list[CheckSpec]:
    return [s for s in load_checks(["gcp"]) if s.service == "workbench"]


def test_every_instance_in_every_location_across_pages() -> None:
    fake = _fake(page_size=1)
    inventory, provider = collect_gcp(fake, WorkbenchInstance)

    assert not inventory.errors and not fake.violations
    hardened = one(inventory, WorkbenchInstance, "hardened")
    assert hardened.uid == f"projects/{PROJECT}/locations/us-central1-a/instances/hardened"
    assert (hardened.account, hardened.region, hardened.state) == (PROJECT, "us-central1-a", "ACTIVE")
    assert (hardened.public_ip, hardened.root_access, hardened.secure_boot, hardened.vtpm) == (False, False, True, True)
    assert hardened.service_accounts == (SA,) and hardened.proxy_mode == "service_account"
    assert hardened.disks == (WorkbenchDisk(kind="boot", encryption="CMEK", kms_key=KEY),
                              WorkbenchDisk(kind="data", encryption="CMEK", kms_key=KEY))  # fmt: skip
    opened = one(inventory, WorkbenchInstance, "open")
    assert (opened.public_ip, opened.root_access, opened.secure_boot) == (True, True, False)
    assert opened.service_accounts == ("123456789012-compute@developer.gserviceaccount.com",)
    assert one(inventory, WorkbenchInstance, "third").disks == (WorkbenchDisk(kind="boot", encryption="GMEK"),)
    paths = [path for _, path in fake.requests if path.startswith("/v2/")]
    assert paths == [f"/v2/projects/{PROJECT}/locations/-/instances"] * 3, "one listing for every location, paged"
    assert provider.scopes()[0].regions == ["europe-west4", "us-central1"], "zones are scoped by region"
    assert {method for method, _ in fake.requests} == {"GET"}


@pytest.mark.parametrize(
    ("denied", "code", "reason"),
    [
        (f"notebooks-disabled:{PROJECT}", "Forbidden", "SERVICE_DISABLED"),
        (f"notebooks:{PROJECT}", "Forbidden", "IAM_PERMISSION_DENIED"),
    ],
)
def test_a_disabled_or_denied_api_makes_every_workbench_check_error(denied: str, code: str, reason: str) -> None:
    fake = _fake()
    fake.denied.add(denied)
    inventory, _ = collect_gcp(fake, WorkbenchInstance)

    [error] = inventory.errors
    assert (error.service, error.operation, error.code) == ("workbench", "instances.list", code)
    assert error.message.endswith(f"(reason {reason})")
    assert not inventory.of_type(WorkbenchInstance)
    assert inventory.incomplete_reason(WorkbenchInstance, PROJECT) is not None
    findings = evaluate(_specs(), inventory, datetime(2026, 1, 1, tzinfo=UTC))
    assert len(_specs()) == 6
    assert {f.check_id for f in findings} == {s.id for s in _specs()}
    assert {f.status for f in findings} == {Status.ERROR}


def test_unreachable_locations_are_recorded_and_the_rest_kept() -> None:
    fake = _fake()
    fake.denied.add("notebooks-unreachable:europe-west4-b")
    inventory, _ = collect_gcp(fake, WorkbenchInstance)

    [error] = inventory.errors
    assert (error.operation, error.code) == ("instances.list", "Unreachable")
    assert "europe-west4-b" in error.message
    assert {i.name for i in inventory.of_type(WorkbenchInstance)} == {"hardened", "third"}
    assert inventory.incomplete_reason(WorkbenchInstance, PROJECT) is not None


def test_a_nameless_instance_is_recorded_not_snapshotted() -> None:
    fake = _fake()
    fake.workbench[PROJECT].append({"gceSetup": {}})
    inventory, _ = collect_gcp(fake, WorkbenchInstance)

    assert len(inventory.of_type(WorkbenchInstance)) == 3
    [error] = inventory.errors
    assert error.code == "MalformedResource"


def test_missing_sub_objects_are_unknown_not_defaults() -> None:
    """No gceSetup: nothing about the VM is known; no shieldedInstanceConfig: Shielded VM unknown;
    disks whose encryption fields were not returned (input-only in the reference): unknown."""
    bare = instance_from_api({"name": f"projects/{PROJECT}/locations/us-central1-a/instances/bare"}, PROJECT)
    assert (bare.public_ip, bare.root_access, bare.secure_boot, bare.service_accounts, bare.disks) == (None,) * 5
    assert bare.ip_forwarding is None
    name = f"projects/{PROJECT}/locations/us-central1-a/instances/q"
    quiet = instance_from_api({"name": name, "gceSetup": {"bootDisk": {"diskSizeGb": "150"}}}, PROJECT)
    assert quiet.public_ip is True and quiet.root_access is True, "proto3: a false/absent setting is off"
    assert quiet.secure_boot is None and quiet.service_accounts is None
    assert quiet.disks == (WorkbenchDisk(kind="boot"),)


def test_the_demo_project_shows_a_hardened_and_an_exposed_instance() -> None:
    from cspm.demo.gcp import DEMO_PROJECT, demo_project

    inventory, _ = collect_gcp(demo_project(), WorkbenchInstance, projects=(DEMO_PROJECT,))
    assert not inventory.errors
    findings = evaluate(_specs(), inventory, datetime(2026, 1, 1, tzinfo=UTC))
    verdicts = {(f.check_id.rsplit(".", 1)[1], f.resource_uid.rsplit("/", 1)[1]): f.status for f in findings}
    checks = {s.id.rsplit(".", 1)[1] for s in _specs()}
    assert {c for c, name in verdicts if name == "fraud-research"} == checks
    assert {verdicts[(c, "fraud-research")] for c in checks} == {Status.PASS}
    assert {verdicts[(c, "churn-sandbox")] for c in checks} == {Status.FAIL}
