"""SageMaker checks: network isolation, encryption and availability of notebook instances,
training jobs, models and endpoint configs, and the private endpoints of the VPCs that host them.

Compliance ids come from the Security Hub SageMaker controls (FSBP and AI Security Best
Practices); the training-job, model-VPC and endpoint-config KMS checks have no Security Hub
control (Prowler and AWS Config have equivalents) and cite NIST SP 800-53 only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cspm.models import Baseline, Result, Severity, failed, not_applicable, passed, unknown
from cspm.registry import check
from cspm.resources.aws.ec2 import Vpc, VpcEndpoint
from cspm.resources.aws.sagemaker import (
    EndpointConfig,
    KmsEncryption,
    Model,
    NotebookInstance,
    TrainingJob,
    VpcHosted,
)

NETWORK_NIST = ["AC-4", "AC-4(21)", "AC-21", "SC-7", "SC-7(11)"]
AT_REST_NIST = ["SC-12", "SC-28"]

# ---------------------------------------------------------------------------------------------
# Notebook instances
# ---------------------------------------------------------------------------------------------


@check(
    title="SageMaker notebook instance has no direct internet access",
    severity=Severity.HIGH,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Recreate the notebook instance in a VPC subnet with direct internet access disabled "
    "(the setting cannot be changed in place); reach AWS services through VPC endpoints.",
    compliance={"aws-fsbp": ["SageMaker.1"], "aws-ai-security": ["SageMaker.1"], "nist-800-53-r5": NETWORK_NIST},
    attack=["AML.T0025", "AML.T0049"],
)
def notebook_has_no_direct_internet_access(notebook: NotebookInstance) -> Result:
    """With direct internet access, SageMaker gives the notebook a network interface with a route
    to the internet that no VPC security group, NACL or flow log sees: anyone with the notebook's
    role can send training data and model artifacts anywhere, and code pulled from the internet
    runs next to them."""
    if notebook.direct_internet_access is None:
        return unknown("The notebook instance could not be described.")
    if notebook.direct_internet_access:
        return failed("Direct internet access is enabled.", evidence={"direct_internet_access": "Enabled"})
    return passed("Direct internet access is disabled.")


@check(
    title="SageMaker notebook instance runs in a customer VPC",
    severity=Severity.HIGH,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Recreate the notebook instance with a subnet and security groups of your own VPC "
    "(the network settings cannot be changed in place).",
    compliance={"aws-fsbp": ["SageMaker.2"], "aws-ai-security": ["SageMaker.2"], "nist-800-53-r5": NETWORK_NIST},
    attack=["AML.T0025"],
)
def notebook_runs_in_vpc(notebook: NotebookInstance) -> Result:
    """A notebook outside your VPC runs in the SageMaker service network: your security groups,
    VPC endpoints, endpoint policies and flow logs do not apply to its traffic."""
    return _runs_in_vpc(notebook, "notebook instance")


@check(
    title="SageMaker notebook instance has root access disabled",
    severity=Severity.HIGH,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Stop the notebook instance, set Root access to Disabled (UpdateNotebookInstance "
    "RootAccess=Disabled) and start it again; install packages through lifecycle configurations.",
    compliance={
        "aws-fsbp": ["SageMaker.3"],
        "aws-ai-security": ["SageMaker.3"],
        "nist-800-53-r5": ["AC-2(1)", "AC-3(7)", "AC-3(15)", "AC-6", "AC-6(2)", "AC-6(10)"],
    },
    attack=["AML.T0011.000"],
)
def notebook_has_no_root_access(notebook: NotebookInstance) -> Result:
    """Root on the notebook lets any user, or any unsafe artifact a user opens, change the system,
    disable the lifecycle configuration's controls and persist across restarts. Root access is
    enabled unless it was explicitly disabled."""
    if notebook.root_access is None:
        return unknown("The notebook instance could not be described.")
    if notebook.root_access:
        return failed("Root access is enabled.", evidence={"root_access": "Enabled"})
    return passed("Root access is disabled.")


@check(
    title="SageMaker notebook instance is encrypted with a customer-managed KMS key",
    severity=Severity.MEDIUM,
    baseline=Baseline.ENCRYPTION,
    remediation="Recreate the notebook instance with a customer-managed KMS key (KmsKeyId); copy the "
    "data from the old volume first (the key cannot be changed in place).",
    compliance={"aws-ai-security": ["SageMaker.21"], "nist-800-53-r5": AT_REST_NIST},
    attack=["AML.T0035", "AML.T0018"],
)
def notebook_encrypted_with_kms(notebook: NotebookInstance) -> Result:
    """The notebook's volume holds datasets, credentials and model checkpoints. A customer-managed
    key puts a key policy you control in front of them and logs every use in CloudTrail."""
    return _customer_managed(notebook.encryption, "The notebook's storage volume")


# ---------------------------------------------------------------------------------------------
# Training jobs
# ---------------------------------------------------------------------------------------------


@check(
    title="SageMaker training job runs in a customer VPC",
    severity=Severity.MEDIUM,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Run training jobs with a VpcConfig (private subnets and security groups of your VPC), "
    "for example by setting subnets and security_group_ids on the estimator.",
    compliance={"nist-800-53-r5": ["AC-4", "SC-7"]},
    attack=["AML.T0025"],
)
def training_job_runs_in_vpc(job: TrainingJob) -> Result:
    """Without a VpcConfig the training containers reach S3 and the internet from the SageMaker
    service network, outside your security groups, endpoint policies and flow logs."""
    return _runs_in_vpc(job, "training job")


@check(
    title="SageMaker training job has network isolation enabled",
    severity=Severity.MEDIUM,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Set EnableNetworkIsolation=True on training jobs (enable_network_isolation=True on the "
    "estimator); SageMaker still downloads the inputs and uploads the outputs for the job.",
    compliance={"nist-800-53-r5": ["AC-4", "SC-7"]},
    attack=["AML.T0011.000", "AML.T0025"],
)
def training_job_has_network_isolation(job: TrainingJob) -> Result:
    """Training code and third-party packages run with the job's role. Network isolation blocks
    every outbound call from the container, so a malicious dependency or model file cannot send
    data out or fetch a second stage."""
    if job.network_isolation is None:
        return unknown("The training job could not be described.")
    if job.network_isolation:
        return passed("Network isolation is enabled.")
    return failed("Network isolation is disabled.", evidence={"network_isolation": False})


@check(
    title="SageMaker training job encrypts inter-container traffic",
    severity=Severity.MEDIUM,
    baseline=Baseline.ENCRYPTION,
    remediation="Set EnableInterContainerTrafficEncryption=True on distributed training jobs "
    "(encrypt_inter_container_traffic=True on the estimator).",
    compliance={"nist-800-53-r5": ["SC-8", "SC-8(1)"]},
    attack=["AML.T0035"],
)
def training_job_encrypts_inter_container_traffic(job: TrainingJob) -> Result:
    """In distributed training the nodes exchange gradients, parameters and data in clear text
    unless inter-container traffic encryption is on. A single-instance job has no inter-container
    traffic, so the check does not apply to it."""
    if job.inter_container_encryption is None:
        return unknown("The training job could not be described.")
    if job.inter_container_encryption:
        return passed("Inter-container traffic encryption is enabled.")
    if job.instance_count == 1:
        return not_applicable("The job runs on one instance: there is no inter-container traffic.")
    return failed(
        "Inter-container traffic encryption is disabled.",
        evidence={"inter_container_encryption": False, "instance_count": job.instance_count},
    )


@check(
    title="SageMaker training job encrypts its volume and output with KMS keys",
    severity=Severity.MEDIUM,
    baseline=Baseline.ENCRYPTION,
    remediation="Set ResourceConfig.VolumeKmsKeyId and OutputDataConfig.KmsKeyId to customer-managed KMS "
    "keys (volume_kms_key and output_kms_key on the estimator). Instance types with local NVMe "
    "storage encrypt it in hardware and refuse a volume key; only the output key applies to them.",
    compliance={"nist-800-53-r5": [*AT_REST_NIST, "SC-28(1)"]},
    attack=["AML.T0035", "AML.T0018"],
)
def training_job_encrypts_volume_and_output_with_kms(job: TrainingJob) -> Result:
    """The training volume holds the dataset and checkpoints; the output is the model artifact.
    Customer-managed keys gate both behind a key policy you control and log every decryption."""
    if job.volume_encryption is None or job.output_encryption is None:
        return unknown("The training job could not be described.")
    keys = {"volume": job.volume_encryption, "output": job.output_encryption}
    evidence = {f"{k}_kms_key_id": v.kms_key_id for k, v in keys.items()}
    without = [k for k, v in keys.items() if not v.customer_managed]
    if without:
        return failed(
            f"No customer-managed KMS key for the {' and the '.join(without)}.",
            evidence={"without_customer_managed_key": without, **evidence},
        )
    return passed("The volume and the output are encrypted with customer-managed KMS keys.", evidence=evidence)


# ---------------------------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------------------------


@check(
    title="SageMaker model has network isolation enabled",
    severity=Severity.MEDIUM,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Recreate the model with EnableNetworkIsolation=True and point the endpoint config at it.",
    compliance={"aws-fsbp": ["SageMaker.5"], "aws-ai-security": ["SageMaker.5"], "nist-800-53-r5": ["AC-4", "SC-7"]},
    attack=["AML.T0011.000", "AML.T0025"],
)
def model_has_network_isolation(model: Model) -> Result:
    """An isolated inference container can make no network calls and gets no AWS credentials, so
    a backdoored model or serving library cannot exfiltrate requests or reach other services."""
    if model.network_isolation is None:
        return unknown("The model could not be described.")
    if model.network_isolation:
        return passed("Network isolation is enabled.")
    return failed("Network isolation is disabled.", evidence={"network_isolation": False})


@check(
    title="SageMaker model runs in a customer VPC",
    severity=Severity.MEDIUM,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Recreate the model with a VpcConfig (private subnets and security groups of your VPC).",
    compliance={"nist-800-53-r5": ["AC-4", "SC-7"]},
    attack=["AML.T0025"],
)
def model_runs_in_vpc(model: Model) -> Result:
    """Without a VpcConfig the hosting containers reach S3, ECR and the internet from the SageMaker
    service network, outside your security groups, endpoint policies and flow logs."""
    return _runs_in_vpc(model, "model")


# ---------------------------------------------------------------------------------------------
# Endpoint configs
# ---------------------------------------------------------------------------------------------


@check(
    title="SageMaker endpoint config encrypts instance storage with a customer-managed KMS key",
    severity=Severity.MEDIUM,
    baseline=Baseline.ENCRYPTION,
    remediation="Create a new endpoint config with KmsKeyId set to a customer-managed key and update the "
    "endpoint to it (instance types with local NVMe storage encrypt it in hardware and refuse a key).",
    compliance={"nist-800-53-r5": AT_REST_NIST},
    attack=["AML.T0035"],
)
def endpoint_config_encrypted_with_kms(config: EndpointConfig) -> Result:
    """The hosting instances' storage volumes hold the model artifact. A customer-managed key
    gates it behind a key policy you control (AWS Config rule
    sagemaker-endpoint-configuration-kms-key-configured)."""
    return _customer_managed(config.encryption, "The hosting instances' storage")


@check(
    title="SageMaker endpoint config runs more than one instance per production variant",
    severity=Severity.MEDIUM,
    baseline=Baseline.INTEGRITY,
    remediation="Create a new endpoint config with InitialInstanceCount of 2 or more for every "
    "instance-based production variant, and update the endpoint to it.",
    compliance={
        "aws-fsbp": ["SageMaker.4"],
        "aws-ai-security": ["SageMaker.4"],
        "nist-800-53-r5": ["CP-10", "SC-5", "SC-36", "SA-13"],
    },
    attack=["AML.T0029"],
)
def endpoint_config_has_multiple_instances(config: EndpointConfig) -> Result:
    """With two or more instances SageMaker spreads a variant across Availability Zones, so one
    instance or zone failure does not take the model offline. Serverless variants have no
    instances and are not assessed."""
    if config.variants is None:
        return unknown("The endpoint config could not be described.")
    instance_based = [v for v in config.variants if not v.serverless]
    if not instance_based:
        return not_applicable("The endpoint config has only serverless variants.")
    single = [v for v in instance_based if (v.initial_instance_count or 0) <= 1]
    if single:
        names = ", ".join(v.name or "(unnamed)" for v in single)
        return failed(
            f"Variants with at most one instance: {names}.",
            evidence={
                "variants": [{"variant": v.name, "initial_instance_count": v.initial_instance_count} for v in single]
            },
        )
    return passed(f"Every instance-based variant ({len(instance_based)}) runs more than one instance.")


@check(
    title="SageMaker endpoint config encrypts captured inference data with a customer-managed KMS key",
    severity=Severity.MEDIUM,
    baseline=Baseline.ENCRYPTION,
    remediation="Create a new endpoint config whose DataCaptureConfig.KmsKeyId is a customer-managed key "
    "and update the endpoint to it.",
    compliance={"nist-800-53-r5": AT_REST_NIST},
    attack=["AML.T0035", "AML.T0036"],
)
def endpoint_config_data_capture_encrypted_with_kms(config: EndpointConfig) -> Result:
    """Data capture writes the endpoint's requests and responses, often personal or confidential
    data, to S3. A customer-managed key keeps that copy behind a key policy you control. Endpoint
    configs without data capture are not assessed."""
    if config.data_capture is None:
        return unknown("The endpoint config could not be described.")
    capture = config.data_capture
    if not capture.enabled:
        return not_applicable("Data capture is off.")
    evidence = {"destination_s3_uri": capture.destination_s3_uri, "kms_key_id": capture.kms_key_id}
    if capture.customer_managed_key:
        return passed("Captured data is encrypted with a customer-managed KMS key.", evidence=evidence)
    return failed("Captured data is not encrypted with a customer-managed KMS key.", evidence=evidence)


# ---------------------------------------------------------------------------------------------
# Private endpoints of the VPCs that host SageMaker resources
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Required:
    """A VPC endpoint an ML VPC needs. ``services``: short service names that satisfy it."""

    label: str
    services: frozenset[str]
    endpoint_type: str
    private_dns: bool


REQUIRED_ENDPOINTS = (
    _Required("s3", frozenset({"s3"}), "Gateway", private_dns=False),
    _Required("sagemaker.api", frozenset({"sagemaker.api", "sagemaker.api-fips"}), "Interface", private_dns=True),
    _Required(
        "sagemaker.runtime",
        frozenset({"sagemaker.runtime", "sagemaker.runtime-fips"}),
        "Interface",
        private_dns=True,
    ),
)
EVIDENCE_LIMIT = 20  # hosted resources listed in evidence (the count is always given)


@dataclass
class _Gaps:
    """What an ML VPC lacks (``found``) and what could not be read (``unreadable``)."""

    found: dict[str, Any] = field(default_factory=dict)
    unreadable: list[str] = field(default_factory=list)

    def add(self, key: str, value: Any) -> None:
        self.found.setdefault(key, []).append(value)


@check(
    title="VPC hosting SageMaker resources has private S3 and SageMaker endpoints",
    severity=Severity.MEDIUM,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="In every VPC that hosts notebooks, training jobs or models, create an S3 gateway endpoint "
    "associated with the route tables of those subnets, and sagemaker.api and sagemaker.runtime "
    "interface endpoints with private DNS enabled.",
    compliance={"nist-800-53-r5": ["AC-4", "SC-7", "SC-7(3)"]},
    attack=["AML.T0025"],
)
def ai_vpc_has_private_endpoints(
    vpc: Vpc,
    notebooks: Sequence[NotebookInstance],
    training_jobs: Sequence[TrainingJob],
    models: Sequence[Model],
) -> Result:
    """Without these endpoints, the training data, model artifacts and API calls of the SageMaker
    resources in a VPC leave it through a NAT or internet gateway, where no endpoint policy can
    restrict which buckets and accounts they reach. The S3 gateway endpoint only acts for subnets
    whose route table it is associated with; the interface endpoints only capture the SDK's
    default host names when private DNS is on. VPCs that host no SageMaker resource are not
    assessed."""
    if vpc.subnet_ids is None:
        return unknown("The VPC's subnets could not be read.")
    candidates: list[VpcHosted] = [*notebooks, *training_jobs, *models]
    in_region = [r for r in candidates if r.region == vpc.region]
    hosted = [r for r in in_region if r.subnet_ids and vpc.subnet_ids.intersection(r.subnet_ids)]
    if not hosted:
        unreadable = [r.uid for r in in_region if r.subnet_ids is None]
        if unreadable:
            return unknown(
                "Whether the VPC hosts SageMaker resources is unknown: some could not be described.",
                evidence={"undescribed": unreadable[:EVIDENCE_LIMIT]},
            )
        return not_applicable("The VPC hosts no SageMaker resources.")
    evidence: dict[str, Any] = {"hosted": _hosted_evidence(hosted), "hosted_count": len(hosted)}
    if vpc.endpoints is None:
        return unknown("The VPC's endpoints could not be read.", evidence=evidence)
    gaps = _endpoint_gaps(vpc, vpc.endpoints, _subnets_used(vpc.subnet_ids, hosted))
    if gaps.found:
        return failed(f"The VPC hosts {_count(hosted)} but {_describe(gaps)}.", {**gaps.found, **evidence})
    if gaps.unreadable:
        return unknown(f"Could not read: {'; '.join(gaps.unreadable)}.", evidence=evidence)
    return passed("The VPC has the S3 gateway and SageMaker interface endpoints with private DNS.", evidence)


def _count(hosted: Sequence[VpcHosted]) -> str:
    return f"{len(hosted)} SageMaker resource{'' if len(hosted) == 1 else 's'}"


def _subnets_used(vpc_subnets: frozenset[str], hosted: Iterable[VpcHosted]) -> frozenset[str]:
    return frozenset(s for r in hosted for s in r.subnet_ids or () if s in vpc_subnets)


def _hosted_evidence(hosted: Sequence[VpcHosted]) -> list[dict[str, str]]:
    ordered = sorted(hosted, key=lambda r: (r.resource_type, r.name))
    return [{"type": r.resource_type, "name": r.name, "uid": r.uid} for r in ordered[:EVIDENCE_LIMIT]]


def _endpoint_gaps(vpc: Vpc, endpoints: Sequence[VpcEndpoint], hosting_subnets: frozenset[str]) -> _Gaps:
    gaps = _Gaps()
    for required in REQUIRED_ENDPOINTS:
        candidates = [
            e for e in endpoints if e.short_service in required.services and e.endpoint_type == required.endpoint_type
        ]
        available = [e for e in candidates if (e.state or "").lower() == "available"]
        if not available:
            if any(e.state is None for e in candidates):
                gaps.unreadable.append(f"the state of the {required.label} endpoint")
                continue
            gaps.add("missing", f"{required.label} ({required.endpoint_type})")
            for e in candidates:
                gaps.add("not_available", {"service": required.label, "endpoint": e.uid, "state": e.state})
        elif required.private_dns:
            _check_private_dns(required, available, gaps)
        else:
            _check_routes(vpc, available, hosting_subnets, gaps)
    return gaps


def _check_private_dns(required: _Required, available: Sequence[VpcEndpoint], gaps: _Gaps) -> None:
    if any(e.private_dns_enabled for e in available):
        return
    if any(e.private_dns_enabled is None for e in available):
        gaps.unreadable.append(f"private DNS of the {required.label} endpoint")
        return
    gaps.add("private_dns_disabled", {"service": required.label, "endpoints": sorted(e.uid for e in available)})


def _check_routes(vpc: Vpc, gateways: Sequence[VpcEndpoint], hosting_subnets: frozenset[str], gaps: _Gaps) -> None:
    """The S3 gateway endpoint must be associated with the route table of every hosting subnet
    (its explicitly associated table, else the VPC's main table)."""
    if vpc.route_tables is None:
        gaps.unreadable.append("the VPC's route tables")
        return
    explicit = {subnet: table.id for table in vpc.route_tables for subnet in table.subnet_ids}
    main = next((table.id for table in vpc.route_tables if table.main), None)
    routed = {table_id for e in gateways for table_id in e.route_table_ids}
    unrouted = sorted(s for s in hosting_subnets if explicit.get(s, main) not in routed)
    if unrouted:
        gaps.found["s3_gateway_not_routed_for_subnets"] = unrouted


def _describe(gaps: _Gaps) -> str:
    parts = []
    if "missing" in gaps.found:
        parts.append(f"has no {', '.join(gaps.found['missing'])} endpoint")
    if "private_dns_disabled" in gaps.found:
        services = ", ".join(g["service"] for g in gaps.found["private_dns_disabled"])
        parts.append(f"private DNS is off on {services}")
    if "s3_gateway_not_routed_for_subnets" in gaps.found:
        parts.append(f"the S3 gateway is not routed for {', '.join(gaps.found['s3_gateway_not_routed_for_subnets'])}")
    return "; ".join(parts)


# ---------------------------------------------------------------------------------------------
# Shared by several checks above
# ---------------------------------------------------------------------------------------------


def _runs_in_vpc(resource: VpcHosted, kind: str) -> Result:
    if resource.subnet_ids is None:
        return unknown(f"The {kind} could not be described.")
    if not resource.subnet_ids:
        return failed(f"The {kind} does not run in a customer VPC.", evidence={"subnet_ids": []})
    return passed(
        f"The {kind} runs in subnets {', '.join(resource.subnet_ids)}.",
        evidence={
            "subnet_ids": list(resource.subnet_ids),
            "security_group_ids": list(resource.security_group_ids or ()),
        },
    )


def _customer_managed(encryption: KmsEncryption | None, what: str) -> Result:
    if encryption is None:
        return unknown(f"{what} encryption settings could not be read.")
    evidence = {"kms_key_id": encryption.kms_key_id}
    if encryption.customer_managed:
        return passed(f"{what} is encrypted with KMS key {encryption.kms_key_id}.", evidence=evidence)
    if encryption.kms_key_id:
        return failed(f"{what} uses the AWS-managed key {encryption.kms_key_id}.", evidence=evidence)
    return failed(f"{what} has no customer-managed KMS key (an AWS-managed key is used).", evidence=evidence)
