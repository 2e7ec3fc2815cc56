"""The private-path collectors (Compute subnets and forwarding rules; VPC Service Controls) by
plain REST through google-auth's session, against the fake (``responses``, the public hosts)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cspm.demo import gcp_network as net
from cspm.demo.gcp import DEMO_PROJECT, demo_project
from cspm.engine import evaluate
from cspm.models import Status
from cspm.providers.gcp import accesscontextmanager, network
from cspm.registry import load_checks
from cspm.resources.gcp.network import BRIDGE, REGULAR, GcpForwardingRule, GcpSubnetwork, VpcScProject
from cspm.resources.gcp.vertex import VertexCustomJob
from support.aws import one
from support.gcp import PROJECT, PROJECT_NUMBER, FakeGcs, collect_gcp

ME = f"projects/{PROJECT_NUMBER}"
AI = ("aiplatform.googleapis.com", "storage.googleapis.com")
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _findings(inventory: object, service: str) -> dict[tuple[str, str], Status]:
    specs = [s for s in load_checks(["gcp"]) if s.service == service]
    found = evaluate(specs, inventory, NOW)  # type: ignore[arg-type]
    return {(f.check_id.rsplit(".", 1)[-1], f.resource_uid.rsplit("/", 1)[-1]): f.status for f in found}


# ---------------------------------------------------------------------------------------------
# Compute Engine: subnets and forwarding rules
# ---------------------------------------------------------------------------------------------


def _compute_fake(page_size: int = 500) -> FakeGcs:
    fake = FakeGcs()
    fake.network.page_size = page_size
    fake.network.subnetworks[PROJECT] = [
        net.subnetwork("a", project=PROJECT, region="us-central1", network="ml-vpc", private_google_access=True,
                       flow_logs=True, cidr="10.0.0.0/24"),
        net.subnetwork("b", project=PROJECT, region="europe-west4", network="ml-vpc"),
        net.subnetwork("c", project=PROJECT, region="us-east1", purpose="PRIVATE_SERVICE_CONNECT", flow_logs=False),
    ]  # fmt: skip
    fake.network.forwarding_rules[PROJECT] = [
        net.forwarding_rule("apis", project=PROJECT, target="all-apis", network="ml-vpc"),
        net.forwarding_rule("svc", project=PROJECT, region="us-central1", ip_address="10.0.0.9",
                            target=f"{net.COMPUTE}/projects/tp/regions/us-central1/serviceAttachments/sa"),
    ]  # fmt: skip
    return fake


def test_subnets_and_forwarding_rules_are_read_across_pages_and_empty_scopes() -> None:
    """One resource per page: every other scope of each page answers NO_RESULTS_ON_PAGE."""
    fake = _compute_fake(page_size=1)
    inventory, provider = collect_gcp(fake, *network.PRODUCES)

    assert not inventory.errors and not fake.violations
    a = one(inventory, GcpSubnetwork, "a")
    assert a.uid == f"projects/{PROJECT}/regions/us-central1/subnetworks/a" and a.region == "us-central1"
    assert (a.network, a.ip_cidr_range, a.purpose) == (f"projects/{PROJECT}/global/networks/ml-vpc", "10.0.0.0/24",
                                                       "PRIVATE")  # fmt: skip
    assert a.private_ip_google_access is True and a.flow_logs is True
    b = one(inventory, GcpSubnetwork, "b")
    assert b.private_ip_google_access is False and b.flow_logs is False and b.region == "europe-west4"
    assert one(inventory, GcpSubnetwork, "c").purpose == "PRIVATE_SERVICE_CONNECT"
    apis = one(inventory, GcpForwardingRule, "apis")
    assert apis.region == "global" and apis.uid == f"projects/{PROJECT}/global/forwardingRules/apis"
    assert apis.google_apis_bundle == "all-apis" and apis.network == f"projects/{PROJECT}/global/networks/ml-vpc"
    svc = one(inventory, GcpForwardingRule, "svc")
    assert svc.service_attachment == "projects/tp/regions/us-central1/serviceAttachments/sa"
    assert svc.psc_connection_status == "ACCEPTED" and svc.region == "us-central1"
    paged = [p for _, p in fake.requests if p.endswith("/aggregated/subnetworks")]
    assert len(paged) == 3, "one page per subnet"
    assert provider.scopes()[0].regions == ["europe-west4", "us-central1", "us-east1"]
    assert _findings(inventory, "compute") == {
        ("subnetwork_has_private_google_access", "a"): Status.PASS,
        ("subnetwork_has_private_google_access", "b"): Status.FAIL,
        ("subnetwork_has_flow_logs", "a"): Status.PASS,
        ("subnetwork_has_flow_logs", "b"): Status.FAIL,
        ("psc_google_apis_endpoint_uses_vpc_sc_bundle", "apis"): Status.FAIL,
    }


def test_disabled_compute_api_is_recorded_and_every_compute_check_is_error() -> None:
    """The real answer of a disabled API: HTTP 403 with ErrorInfo reason SERVICE_DISABLED."""
    fake = _compute_fake()
    fake.network.denied.add(f"compute-disabled:{PROJECT}")
    inventory, _ = collect_gcp(fake, *network.PRODUCES, VertexCustomJob)

    assert {(e.service, e.operation, e.code) for e in inventory.errors} == {
        ("compute", "subnetworks.aggregatedList", "Forbidden"),
        ("compute", "forwardingRules.aggregatedList", "Forbidden"),
    }
    assert all(e.message.endswith("(reason SERVICE_DISABLED)") for e in inventory.errors)
    for kind in network.PRODUCES:
        assert inventory.incomplete_reason(kind, PROJECT) is not None
    statuses = set(_findings(inventory, "compute").values())
    assert statuses == {Status.ERROR}


def test_a_denied_subnet_listing_marks_only_subnets() -> None:
    fake = _compute_fake()
    fake.network.denied.add(f"compute:{PROJECT}:subnetworks")
    inventory, _ = collect_gcp(fake, *network.PRODUCES)

    [error] = inventory.errors
    assert (error.operation, error.code) == ("subnetworks.aggregatedList", "Forbidden")
    assert "compute.subnetworks.list" in error.message
    assert inventory.incomplete_reason(GcpSubnetwork, PROJECT) is not None
    assert inventory.incomplete_reason(GcpForwardingRule, PROJECT) is None
    assert not inventory.of_type(GcpSubnetwork) and len(inventory.of_type(GcpForwardingRule)) == 2


def test_a_project_without_networks_has_no_resources_and_no_error() -> None:
    inventory, _ = collect_gcp(FakeGcs(), *network.PRODUCES)
    assert not inventory.errors and not inventory.of_type(GcpSubnetwork) and not inventory.of_type(GcpForwardingRule)


def test_a_repeated_page_token_is_an_error_not_a_loop() -> None:
    class Looping(FakeGcs):
        def handle(self, method: str, url: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
            status, answer = super().handle(method, url, headers, body)
            if "/aggregated/" in url:
                answer["nextPageToken"] = "1"
            return status, answer

    fake = Looping()
    inventory, _ = collect_gcp(fake, GcpSubnetwork)
    assert {e.operation for e in inventory.errors} == {"subnetworks.aggregatedList", "forwardingRules.aggregatedList"}
    assert all("repeated page token" in e.message for e in inventory.errors)
    assert sum(p.endswith("/aggregated/subnetworks") for _, p in fake.requests) == 2


def test_snapshot_functions_tolerate_missing_fields() -> None:
    subnet = network.subnetwork_from_api({"name": "s"}, PROJECT, "us-central1")
    assert subnet.private_ip_google_access is None and subnet.network == "" and not subnet.flow_logs
    assert subnet.uid == f"projects/{PROJECT}/regions/us-central1/subnetworks/s"
    rule = network.forwarding_rule_from_api({"name": "r"}, PROJECT, "global")
    assert rule.target is None and rule.uid == f"projects/{PROJECT}/global/forwardingRules/r"


# ---------------------------------------------------------------------------------------------
# VPC Service Controls
# ---------------------------------------------------------------------------------------------


def _acm_fake(page_size: int = 500) -> FakeGcs:
    fake = FakeGcs()
    fake.network.page_size = page_size
    fake.network.add_project(PROJECT, PROJECT_NUMBER, parent="folders/2")
    fake.network.add_folder("folders/2", "folders/1")
    fake.network.add_folder("folders/1", "organizations/9")
    fake.network.add_policy(
        net.access_policy("70", "organizations/9"),
        net.service_perimeter("70", "bridge", resources=(ME, "projects/5"), bridge=True),
        net.service_perimeter("70", "ml", resources=(ME,), restricted=AI, open_egress_to=("storage.googleapis.com",)),
    )
    fake.network.add_policy(
        net.access_policy("71", "organizations/9", "scoped"),
        net.service_perimeter("71", "trial", dry_run_resources=(ME,), dry_run_restricted=AI),
    )
    return fake


def test_the_project_perimeters_are_read_through_its_folders_and_across_pages() -> None:
    fake = _acm_fake(page_size=1)
    inventory, _ = collect_gcp(fake, VpcScProject)

    assert not inventory.errors and not fake.violations
    [project] = inventory.of_type(VpcScProject)
    assert project.uid == f"//cloudresourcemanager.googleapis.com/projects/{PROJECT}#vpc-service-controls"
    assert (project.project_number, project.organization, project.unreadable) == (PROJECT_NUMBER, "organizations/9",
                                                                                   None)  # fmt: skip
    assert project.perimeters is not None
    by_name = {p.name.rsplit("/", 1)[-1]: p for p in project.perimeters}
    assert set(by_name) == {"bridge", "ml", "trial"}
    assert by_name["bridge"].perimeter_type == BRIDGE and by_name["ml"].perimeter_type == REGULAR
    assert by_name["ml"].resources == (ME,) and by_name["ml"].restricted_services == AI
    [egress] = by_name["ml"].egress_rules
    assert (egress.identity_type, egress.resources, egress.services) == ("ANY_IDENTITY", ("*",),
                                                                         ("storage.googleapis.com",))  # fmt: skip
    assert by_name["trial"].use_explicit_dry_run_spec and by_name["trial"].dry_run_resources == (ME,)
    assert by_name["trial"].resources == ()
    paths = [p for _, p in fake.requests]
    assert paths.count("/v1/accessPolicies") == 2, "two policies, one per page"
    assert {"/v3/folders/2", "/v3/folders/1", f"/v3/projects/{PROJECT}"} <= set(paths)
    assert _findings(inventory, "accesscontextmanager") == {
        ("project_in_enforced_service_perimeter", f"{PROJECT}#vpc-service-controls"): Status.PASS,
        ("project_watched_by_service_perimeter", f"{PROJECT}#vpc-service-controls"): Status.PASS,
        ("project_perimeter_egress_is_not_open", f"{PROJECT}#vpc-service-controls"): Status.FAIL,
    }


def test_denied_access_policies_are_error_naming_the_permission_never_pass_or_fail() -> None:
    """The common case: the scanner may read the project but not the organization's policies."""
    fake = _acm_fake()
    fake.network.denied.add("policies:organizations/9")
    inventory, _ = collect_gcp(fake, VpcScProject)

    [error] = inventory.errors
    assert (error.service, error.operation, error.code) == ("accesscontextmanager", "accessPolicies.list", "Forbidden")
    assert error.message.endswith("(reason IAM_PERMISSION_DENIED)")
    [project] = inventory.of_type(VpcScProject)
    assert project.perimeters is None and "accesscontextmanager.policies.list" in str(project.unreadable)
    findings = evaluate([s for s in load_checks(["gcp"]) if s.service == "accesscontextmanager"], inventory, NOW)
    assert len(findings) == 3
    assert all(f.status is Status.ERROR and "accesscontextmanager.policies.list" in f.message for f in findings)


def test_disabled_access_context_manager_api_is_error() -> None:
    fake = _acm_fake()
    fake.network.denied.add("acm-disabled")
    inventory, _ = collect_gcp(fake, VpcScProject)
    [error] = inventory.errors
    assert error.message.endswith("(reason SERVICE_DISABLED)")
    [project] = inventory.of_type(VpcScProject)
    assert project.perimeters is None and project.organization == "organizations/9"


def test_denied_perimeters_denied_folder_and_denied_project_are_error() -> None:
    for denied, permission in (
        ("perimeters:accessPolicies/71", "accesscontextmanager.servicePerimeters.list"),
        ("folder:folders/1", "resourcemanager.folders.get"),
        (f"project:{PROJECT}", "resourcemanager.projects.get"),
    ):
        fake = _acm_fake()
        fake.network.denied.add(denied)
        inventory, _ = collect_gcp(fake, VpcScProject)
        [error] = inventory.errors
        assert permission in error.message, denied
        [project] = inventory.of_type(VpcScProject)
        assert project.perimeters is None and permission in str(project.unreadable), denied
        assert project_status(inventory) is Status.ERROR, denied


def project_status(inventory: object) -> Status:
    """The status of project_in_enforced_service_perimeter for the one project; when it is
    ERROR, every VPC Service Controls check is ERROR too."""
    found = _findings(inventory, "accesscontextmanager")
    status = found[("project_in_enforced_service_perimeter", f"{PROJECT}#vpc-service-controls")]
    if status is Status.ERROR:
        assert set(found.values()) == {Status.ERROR} and len(found) == 3
    return status


def test_a_project_without_an_organization_fails_without_listing_policies() -> None:
    fake = FakeGcs()
    fake.network.add_project(PROJECT, PROJECT_NUMBER, parent=None)
    inventory, _ = collect_gcp(fake, VpcScProject)
    [project] = inventory.of_type(VpcScProject)
    assert project.no_organization and project.unreadable is None
    assert project_status(inventory) is Status.FAIL
    assert not any(p.startswith("/v1/accessPolicies") for _, p in fake.requests)


def test_perimeter_snapshot_defaults() -> None:
    perimeter = accesscontextmanager.perimeter_from_api({"name": "accessPolicies/1/servicePerimeters/p"})
    assert perimeter.perimeter_type == REGULAR and perimeter.resources == () and not perimeter.use_explicit_dry_run_spec


# ---------------------------------------------------------------------------------------------
# The demo project
# ---------------------------------------------------------------------------------------------


def test_the_demo_shows_a_dry_run_perimeter_and_a_subnet_without_private_google_access() -> None:
    fake = demo_project()
    types = (*network.PRODUCES, VpcScProject, VertexCustomJob)
    inventory, _ = collect_gcp(fake, *types, projects=(DEMO_PROJECT,))

    assert not inventory.errors and not fake.violations
    findings = {**_findings(inventory, "compute"), **_findings(inventory, "accesscontextmanager")}
    assert findings[("project_in_enforced_service_perimeter", f"{DEMO_PROJECT}#vpc-service-controls")] is Status.FAIL
    assert findings[("project_watched_by_service_perimeter", f"{DEMO_PROJECT}#vpc-service-controls")] is Status.PASS
    assert findings[("subnetwork_has_private_google_access", "default")] is Status.FAIL
    assert findings[("subnetwork_has_private_google_access", "ml-training")] is Status.PASS
    assert findings[("custom_job_subnets_have_private_google_access", "train-fraud")] is Status.PASS
    assert findings[("psc_google_apis_endpoint_uses_vpc_sc_bundle", "googleapis-psc")] is Status.FAIL
    specs = [s for s in load_checks(["gcp"]) if s.id.endswith("project_in_enforced_service_perimeter")]
    [perimeter] = evaluate(specs, inventory, NOW)
    assert "dry-run" in perimeter.message and perimeter.evidence["dry_run_perimeters"] == [
        f"accessPolicies/{net.DEMO_POLICY}/servicePerimeters/ml_perimeter"
    ]


def test_an_unreadable_folder_falls_back_to_the_one_organization_given() -> None:
    """``--organization 9``: the project was found under it, so a denied folders.get does not hide
    its perimeters; the denial is still recorded."""
    from cspm.engine import collect
    from cspm.providers.gcp import GcpOptions, GcpProvider
    from support.gcp import fake_credentials, mounted

    fake = _acm_fake()
    fake.projects = [PROJECT]
    fake.network.denied.add("folder:folders/1")
    provider = GcpProvider(GcpOptions(organizations=("9",), credentials=fake_credentials(), retry_deadline=None))
    with mounted(fake):
        provider.connect()
        inventory = collect(provider.plan({VpcScProject}), workers=1)
    assert provider.projects == (PROJECT,)
    project = one(inventory, VpcScProject, PROJECT)
    assert project.organization == "organizations/9" and project.perimeters is not None and len(project.perimeters) == 3
    assert [e.operation for e in inventory.errors] == ["folders.get"]
    assert project_status(inventory) is Status.PASS


def test_a_malformed_aggregated_answer_and_a_nameless_subnet_are_errors() -> None:
    class Hostile(FakeGcs):
        def handle(self, method: str, url: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
            status, answer = super().handle(method, url, headers, body)
            if url.split("?", maxsplit=1)[0].endswith("/aggregated/forwardingRules"):
                answer["items"] = [answer["items"]]  # a list, not the map of scopes
            if url.split("?", maxsplit=1)[0].endswith("/aggregated/subnetworks"):
                del answer["items"]["regions/us-central1"]["subnetworks"][0]["name"]
            return status, answer

    fake = Hostile()
    fake.network.subnetworks[PROJECT] = [net.subnetwork("a", project=PROJECT), net.subnetwork("b", project=PROJECT)]
    inventory, _ = collect_gcp(fake, *network.PRODUCES)
    assert {(e.operation, e.code) for e in inventory.errors} == {
        ("forwardingRules.aggregatedList", "GoogleAPICallError"),
        ("subnetworks.aggregatedList", "MalformedResource"),
    }
    assert [s.name for s in inventory.of_type(GcpSubnetwork)] == ["b"]
    assert inventory.incomplete_reason(GcpForwardingRule, PROJECT) is not None
    assert inventory.incomplete_reason(GcpSubnetwork, PROJECT) is not None, "a lost subnet is never a silent PASS"


def test_unreachable_scopes_are_an_error_not_an_empty_region() -> None:
    class Partial(FakeGcs):
        def handle(self, method: str, url: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
            status, answer = super().handle(method, url, headers, body)
            if "/aggregated/subnetworks" in url:
                answer["unreachables"] = ["regions/me-central2"]
            return status, answer

    fake = Partial()
    fake.network.subnetworks[PROJECT] = [net.subnetwork("a", project=PROJECT)]
    inventory, _ = collect_gcp(fake, GcpSubnetwork)
    [error] = inventory.errors
    assert error.operation == "subnetworks.aggregatedList" and "regions/me-central2" in error.message
    assert inventory.incomplete_reason(GcpSubnetwork, PROJECT) is not None


def test_a_folder_without_parent_or_a_loop_of_folders_is_error_not_no_organization() -> None:
    for case, folders in (
        ("no parent", {"folders/2": None}),
        ("a loop", {"folders/2": "folders/3", "folders/3": "folders/2"}),
    ):
        fake = FakeGcs()
        fake.network.add_project(PROJECT, PROJECT_NUMBER, parent="folders/2")
        for folder, parent in folders.items():
            fake.network.folders[folder] = {"name": folder, **({"parent": parent} if parent else {})}
        inventory, _ = collect_gcp(fake, VpcScProject)
        [error] = inventory.errors
        assert (error.operation, error.code) == ("folders.get", "MalformedResource"), case
        project = one(inventory, VpcScProject, PROJECT)
        assert not project.no_organization and project.unreadable, case
        assert project_status(inventory) is Status.ERROR, case
