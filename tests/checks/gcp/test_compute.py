"""Compute Engine network checks: subnets, the subnets of Vertex AI custom jobs, and Private
Service Connect endpoints for Google APIs. Unlisted subnets or forwarding rules (a disabled
Compute API) give ERROR through the engine (``test_unlisted_resources_give_error``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from cspm.checks.gcp import compute
from cspm.engine import Inventory, evaluate
from cspm.models import Status
from cspm.providers.gcp.network import PRODUCES
from cspm.registry import load_checks
from cspm.resources.gcp.network import GcpForwardingRule, GcpSubnetwork
from cspm.resources.gcp.vertex import VertexCustomJob, VertexTrainingPipeline

WHERE = {"account": "ml-project", "region": "us-central1"}
VPC = "projects/ml-project/global/networks/ml-vpc"


def _subnet(name: str = "s", **fields: Any) -> GcpSubnetwork:
    base: dict[str, Any] = {
        "uid": f"projects/ml-project/regions/us-central1/subnetworks/{name}",
        "name": name,
        **WHERE,
        "network": VPC,
        "purpose": "PRIVATE",
        "private_ip_google_access": True,
    }
    return GcpSubnetwork(**{**base, **fields})


def _rule(**fields: Any) -> GcpForwardingRule:
    return GcpForwardingRule(uid="projects/ml-project/global/forwardingRules/psc", name="psc",
                             account="ml-project", region="global", **fields)  # fmt: skip


def _job(**fields: Any) -> VertexCustomJob:
    return VertexCustomJob(uid="projects/1/locations/us-central1/customJobs/1", name="job", **WHERE, **fields)


@pytest.mark.parametrize(
    ("check", "case", "fields", "expected"),
    [
        (compute.subnetwork_has_private_google_access, "on", {}, Status.PASS),
        (compute.subnetwork_has_private_google_access, "off", {"private_ip_google_access": False}, Status.FAIL),
        (compute.subnetwork_has_private_google_access, "field missing", {"private_ip_google_access": None},
         Status.ERROR),
        (compute.subnetwork_has_private_google_access, "purpose left out (PRIVATE)",
         {"purpose": None, "private_ip_google_access": False}, Status.FAIL),
        (compute.subnetwork_has_private_google_access, "proxy-only subnet",
         {"purpose": "REGIONAL_MANAGED_PROXY", "private_ip_google_access": None}, None),
        (compute.subnetwork_has_flow_logs, "on", {"flow_logs": True}, Status.PASS),
        (compute.subnetwork_has_flow_logs, "never configured", {}, Status.FAIL),
        (compute.subnetwork_has_flow_logs, "PSC subnet", {"purpose": "PRIVATE_SERVICE_CONNECT"}, None),
    ],
)  # fmt: skip
def test_subnet_checks(check: Any, case: str, fields: dict[str, Any], expected: Status | None) -> None:
    result = check(_subnet(**fields))
    assert result.status is expected, f"{case}: {result.message}"


@pytest.mark.parametrize(
    ("case", "fields", "expected"),
    [
        ("vpc-sc bundle", {"target": "vpc-sc"}, Status.PASS),
        ("all-apis bundle", {"target": "all-apis"}, Status.FAIL),
        ("service attachment",
         {"target": "projects/tp/regions/us-central1/serviceAttachments/sa"}, None),
        ("load balancer", {"backend_service": "projects/p/regions/r/backendServices/b"}, None),
        ("neither target nor backend", {}, Status.ERROR),
    ],
)  # fmt: skip
def test_psc_google_apis_endpoint_uses_vpc_sc_bundle(case: str, fields: dict[str, Any], expected: Status) -> None:
    result = compute.psc_google_apis_endpoint_uses_vpc_sc_bundle(_rule(**fields))
    assert result.status is expected, f"{case}: {result.message}"


OFF = _subnet("off", private_ip_google_access=False)


@pytest.mark.parametrize(
    ("case", "job", "subnets", "expected"),
    [
        ("every subnet on", {"network": "projects/123/global/networks/ml-vpc"}, [_subnet()], Status.PASS),
        ("one subnet off", {"network": "projects/123/global/networks/ml-vpc"}, [_subnet(), OFF], Status.FAIL),
        ("network by project id", {"network": VPC}, [OFF], Status.FAIL),
        ("off only in another region", {"network": VPC},
         [_subnet(), _subnet("eu", region="europe-west4", private_ip_google_access=False)], Status.PASS),
        ("other networks only", {"network": "projects/123/global/networks/other"}, [OFF], Status.ERROR),
        ("Shared VPC host project", {"network": "projects/host-project/global/networks/ml-vpc"}, [_subnet()],
         Status.ERROR),
        ("subnet field missing", {"network": VPC}, [_subnet(private_ip_google_access=None)], Status.ERROR),
        ("PSC interface", {"psc_interface": True}, [_subnet()], Status.ERROR),
        ("Google's network", {}, [_subnet()], None),
    ],
)  # fmt: skip
def test_custom_job_subnets_have_private_google_access(
    case: str, job: dict[str, Any], subnets: list[GcpSubnetwork], expected: Status | None
) -> None:
    result = compute.custom_job_subnets_have_private_google_access(_job(**job), subnets)
    assert result.status is expected, f"{case}: {result.message}"


def test_job_evidence_names_the_subnets_without_private_google_access() -> None:
    result = compute.custom_job_subnets_have_private_google_access(_job(network=VPC), [_subnet(), OFF])
    assert result.evidence["without_private_google_access"] == [OFF.uid]


def test_unlisted_resources_give_error() -> None:
    """Unreadable input: compute.googleapis.com disabled (SERVICE_DISABLED) marks both kinds incomplete,
    so every compute check is ERROR for the project, the job check included."""
    specs = [s for s in load_checks(["gcp"]) if s.service == "compute"]
    inventory = Inventory()
    for kind in PRODUCES:
        inventory.mark_incomplete(kind, "ml-project", "global", "aggregatedList failed: Forbidden (SERVICE_DISABLED)")
    inventory.add(_job(network=VPC))
    inventory.add(VertexTrainingPipeline(uid="projects/1/locations/us-central1/trainingPipelines/1", name="tp",
                                         **WHERE, network=VPC))  # fmt: skip
    findings = evaluate(specs, inventory, datetime(2026, 1, 1, tzinfo=UTC))
    assert {f.check_id for f in findings} == {s.id for s in specs}
    assert {f.status for f in findings} == {Status.ERROR}


@pytest.mark.parametrize(
    ("case", "network", "subnets", "expected"),
    [
        ("every subnet on", VPC, [_subnet()], Status.PASS),
        ("one subnet off", VPC, [_subnet(), OFF], Status.FAIL),
        ("network not scanned", "projects/host/global/networks/shared", [_subnet()], Status.ERROR),
        ("no network", None, [_subnet()], None),
    ],
)  # fmt: skip
def test_training_pipeline_subnets_have_private_google_access(
    case: str, network: str | None, subnets: list[GcpSubnetwork], expected: Status | None
) -> None:
    pipeline = VertexTrainingPipeline(uid="projects/1/locations/us-central1/trainingPipelines/1", name="tp",
                                      **WHERE, network=network)  # fmt: skip
    result = compute.training_pipeline_subnets_have_private_google_access(pipeline, subnets)
    assert result.status is expected, f"{case}: {result.message}"
