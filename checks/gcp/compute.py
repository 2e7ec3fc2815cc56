"""Compute Engine network checks for AI workloads: Private Google Access and flow logs on
subnets, the subnets Vertex AI custom jobs and training pipelines run in, and Private Service
Connect endpoints for Google APIs."""

from __future__ import annotations

from collections.abc import Sequence

from cspm.models import Baseline, Result, Severity, failed, not_applicable, passed, unknown
from cspm.registry import check
from cspm.resources.base import Resource
from cspm.resources.gcp.network import GcpForwardingRule, GcpSubnetwork
from cspm.resources.gcp.vertex import VertexCustomJob, VertexTrainingPipeline

VPC = "https://cloud.google.com/vpc/docs"
PRIVATE_GOOGLE_ACCESS = f"{VPC}/private-google-access"
FLOW_LOGS = f"{VPC}/flow-logs"
PSC_GOOGLE_APIS = f"{VPC}/private-service-connect#endpoints-google"
PSC_BUNDLES = f"{VPC}/configure-private-service-connect-apis"
SUBNET_REST = "https://cloud.google.com/compute/docs/reference/rest/v1/subnetworks"
VERTEX_PEERING = "https://cloud.google.com/vertex-ai/docs/general/vpc-peering"


@check(
    title="Subnet has Private Google Access enabled",
    severity=Severity.LOW,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Turn on Private Google Access on the subnet (gcloud compute networks subnets update "
    "SUBNET --region REGION --enable-private-ip-google-access) and remove the external IPs or NAT "
    "that workloads used to reach Google APIs.",
    compliance={"nist-800-53-r5": ["SC-7", "AC-4"]},
    attack=["AML.T0025"],
    references=(PRIVATE_GOOGLE_ACCESS, SUBNET_REST),
)
def subnetwork_has_private_google_access(subnet: GcpSubnetwork) -> Result:
    """Without Private Google Access, a VM, notebook or training worker with only an internal IP
    cannot reach Cloud Storage, Vertex AI or Artifact Registry; teams then give it an external
    IP or a NAT route to the internet, and the data path to Google APIs leaves the private
    network. Only subnets that hold workloads (purpose PRIVATE) are judged."""
    if not subnet.carries_workloads:
        return not_applicable(f"The subnet's purpose is {subnet.purpose}; it holds no workloads.")
    if subnet.private_ip_google_access is None:
        return unknown("The subnet's privateIpGoogleAccess was not in the API's answer.")
    if subnet.private_ip_google_access:
        return passed("Private Google Access is on.", evidence={"network": subnet.network})
    return failed("Private Google Access is off.", evidence={"network": subnet.network, "range": subnet.ip_cidr_range})


@check(
    title="Subnet has VPC flow logs enabled",
    severity=Severity.LOW,
    baseline=Baseline.LOGGING,
    remediation="Turn on VPC Flow Logs on the subnet (gcloud compute networks subnets update SUBNET "
    "--region REGION --enable-flow-logs --logging-metadata=include-all).",
    compliance={"cis-gcp-5.0": ["3.10"], "nist-800-53-r5": ["AU-12", "SI-4"]},
    attack=["AML.T0025"],
    references=(FLOW_LOGS, SUBNET_REST),
)
def subnetwork_has_flow_logs(subnet: GcpSubnetwork) -> Result:
    """Flow logs record the connections of every VM and worker in the subnet: without them an
    exfiltration of training data or model weights over the network leaves no trace. Subnets
    with another purpose than PRIVATE (proxy-only, Private Service Connect) do not support them.
    The API omits ``logConfig`` when flow logs were never turned on: that is off."""
    if not subnet.carries_workloads:
        return not_applicable(f"The subnet's purpose is {subnet.purpose}; flow logs do not apply.")
    if subnet.flow_logs:
        return passed("VPC flow logs are on.")
    return failed("VPC flow logs are off.", evidence={"network": subnet.network})


def _job_subnets(job: Resource, network: str, subnets: Sequence[GcpSubnetwork]) -> list[GcpSubnetwork] | None:
    """The workload subnets of the job's network in its region; None when the network is in
    another project (a Shared VPC host), whose subnets this scan does not hold."""
    parts = network.split("/")
    project, name = (parts[1], parts[-1]) if len(parts) == 5 else ("", network)
    if project and not project.isdigit() and project != job.account:
        return None
    return [
        s
        for s in subnets
        if s.network_name == name and s.region == job.region and s.carries_workloads
        and (s.network_project == project or project.isdigit() or not project)
    ]  # fmt: skip


def _subnets_verdict(job: Resource, network: str, subnets: Sequence[GcpSubnetwork]) -> Result:
    """PASS when every workload subnet of ``network`` in the job's region has Private Google
    Access; FAIL when one has it off; ERROR when one is unreadable or none is in the scan."""
    found = _job_subnets(job, network, subnets)
    if not found:
        return unknown(
            f"No subnet of {network} in {job.region} is among the scanned subnets of {job.account} "
            "(a Shared VPC network, or one the caller cannot list): unresolved.",
            evidence={"network": network},
        )
    without = sorted(s.uid for s in found if s.private_ip_google_access is False)
    unread = sorted(s.uid for s in found if s.private_ip_google_access is None)
    evidence = {"network": network, "subnets": sorted(s.uid for s in found)}
    if without:
        return failed(
            f"{len(without)} subnet(s) of the job's network lack Private Google Access.",
            evidence={**evidence, "without_private_google_access": without},
        )
    if unread:
        return unknown("The Private Google Access setting of a subnet of the job's network was not in the API's "
                       "answer.", evidence={**evidence, "unread": unread})  # fmt: skip
    return passed("Every subnet of the job's network in its region has Private Google Access.", evidence=evidence)


@check(
    title="Vertex AI custom job runs in subnets with Private Google Access",
    severity=Severity.MEDIUM,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Turn on Private Google Access on every subnet of the job's VPC network in the job's "
    "region, so the job reaches Cloud Storage and Vertex AI without a route to the internet.",
    compliance={"nist-800-53-r5": ["SC-7", "AC-4"]},
    attack=["AML.T0025"],
    references=(PRIVATE_GOOGLE_ACCESS, VERTEX_PEERING),
)
def custom_job_subnets_have_private_google_access(job: VertexCustomJob, subnets: Sequence[GcpSubnetwork]) -> Result:
    """A custom job peered to a VPC network (``jobSpec.network``) reads its data and writes its
    model through the routes of that network: its subnets in the job's region need Private
    Google Access, or the path to Cloud Storage goes through external IPs or NAT. A job on
    Google's network is judged by gcp.vertex.custom_job_uses_private_network; a job on a Private
    Service Connect interface or on a Shared VPC network of another project is unresolved (its
    subnets are not in this scan): ERROR, never PASS."""
    if job.network is None:
        if job.psc_interface:
            return unknown("The job uses a Private Service Connect interface; its network attachment's subnets are "
                           "not read by this scan.")  # fmt: skip
        return not_applicable("The job runs on Google's network (see gcp.vertex.custom_job_uses_private_network).")
    return _subnets_verdict(job, job.network, subnets)


@check(
    title="Vertex AI training pipeline runs in subnets with Private Google Access",
    severity=Severity.MEDIUM,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Turn on Private Google Access on every subnet of the pipeline's VPC network in its region.",
    compliance={"nist-800-53-r5": ["SC-7", "AC-4"]},
    attack=["AML.T0025"],
    references=(PRIVATE_GOOGLE_ACCESS, VERTEX_PEERING),
)
def training_pipeline_subnets_have_private_google_access(
    pipeline: VertexTrainingPipeline, subnets: Sequence[GcpSubnetwork]
) -> Result:
    """A custom-training pipeline peered to a VPC network (``trainingTaskInputs.network``) runs
    its training job on that network, as gcp.compute.custom_job_subnets_have_private_google_access
    explains. A pipeline without a network is not judged here (no check yet judges that)."""
    if pipeline.network is None:
        return not_applicable("The pipeline names no VPC network.")
    return _subnets_verdict(pipeline, pipeline.network, subnets)


@check(
    title="Private Service Connect endpoint for Google APIs uses the vpc-sc bundle",
    severity=Severity.MEDIUM,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Recreate the endpoint with --target-google-apis-bundle=vpc-sc, so only APIs that "
    "VPC Service Controls protect are reachable through it.",
    compliance={"nist-800-53-r5": ["SC-7", "AC-4"]},
    attack=["AML.T0025"],
    references=(PSC_GOOGLE_APIS, PSC_BUNDLES),
)
def psc_google_apis_endpoint_uses_vpc_sc_bundle(rule: GcpForwardingRule) -> Result:
    """A Private Service Connect endpoint for Google APIs targets a bundle: ``all-apis`` reaches
    most Google APIs, including those VPC Service Controls cannot protect, so code in the
    network can send data to a project outside the perimeter through an API the perimeter does
    not cover; ``vpc-sc`` reaches only the APIs that VPC Service Controls support. Forwarding
    rules that are not endpoints for Google APIs are not judged."""
    if rule.target is None and rule.backend_service is None:
        return unknown("The forwarding rule has neither a target nor a backend service in the API's answer.")
    bundle = rule.google_apis_bundle
    if bundle is None:
        return not_applicable("The forwarding rule is not a Private Service Connect endpoint for Google APIs.")
    evidence = {"bundle": bundle, "network": rule.network, "ip_address": rule.ip_address}
    if bundle == "vpc-sc":
        return passed("The endpoint targets the vpc-sc bundle.", evidence=evidence)
    return failed("The endpoint targets the all-apis bundle, including APIs no perimeter protects.", evidence=evidence)
