"""SageMaker checks over the ML lifecycle: notebooks and their lifecycle scripts, training and
processing jobs, the model registry, models, endpoint configs and endpoints, Model Monitor
schedules and job definitions, feature groups, Studio domains, inference experiments, and the
private endpoints of the VPCs that host them.

Compliance ids come from the Security Hub SageMaker controls (FSBP and AI Security Best
Practices); checks without a Security Hub control (Prowler and AWS Config have equivalents for
most) cite NIST SP 800-53 only. docs/sagemaker-controls.md maps every SageMaker control to its
check, or says why it has none.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from cspm.artifacts.verdict import free_of_unsafe_code, signature_verifies, uses_safe_format
from cspm.checks.aws._docs import security_hub_for
from cspm.models import Baseline, Result, Severity, failed, not_applicable, passed, unknown
from cspm.registry import check
from cspm.resources.aws.artifacts import S3ModelArtifact
from cspm.resources.aws.ec2 import Vpc, VpcEndpoint
from cspm.resources.aws.ecr import parse_image_uri
from cspm.resources.aws.sagemaker import (
    JOB_DEFINITION_TYPES,
    DataQualityJobDefinition,
    Domain,
    Endpoint,
    EndpointConfig,
    FeatureGroup,
    InferenceExperiment,
    KmsEncryption,
    Model,
    ModelBiasJobDefinition,
    ModelContainer,
    ModelExplainabilityJobDefinition,
    ModelPackage,
    ModelQualityJobDefinition,
    MonitoringJobConfig,
    MonitoringJobDefinition,
    MonitoringSchedule,
    NotebookInstance,
    NotebookLifecycleConfig,
    ProcessingJob,
    SecretFinding,
    TrainingJob,
    VpcHosted,
)

NETWORK_NIST = ["AC-4", "AC-4(21)", "AC-21", "SC-7", "SC-7(11)"]
AT_REST_NIST = ["SC-12", "SC-28"]

# Vendor documentation the rationales rest on (docs/check-audit.md: what each page says).
_DG = "https://docs.aws.amazon.com/sagemaker/latest/dg"
_API = "https://docs.aws.amazon.com/sagemaker/latest/APIReference"


_sh = security_hub_for("sagemaker")


TRAIN_VPC = f"{_DG}/train-vpc.html"
HOST_VPC = f"{_DG}/host-vpc.html"
INFRASTRUCTURE_VPC = f"{_DG}/infrastructure-give-access.html"
INTERFACE_VPC_ENDPOINT = f"{_DG}/interface-vpc-endpoint.html"
TRAINING_PRIVATE_REGISTRY = f"{_DG}/docker-containers-adapt-your-own-private-registry.html"
INFERENCE_PRIVATE_REGISTRY = f"{_DG}/your-algorithms-containers-inference-private.html"
API_TRAINING_IMAGE_CONFIG = f"{_API}/API_TrainingImageConfig.html"
API_IMAGE_CONFIG = f"{_API}/API_ImageConfig.html"
ECR_VPC_ENDPOINTS = "https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html"
NETWORK_ISOLATION = f"{_DG}/mkt-algo-model-internet-free.html"
API_APP_SPECIFICATION = f"{_API}/API_AppSpecification.html"
API_DATA_CAPTURE = f"{_API}/API_DataCaptureConfig.html"
API_CONTAINER_DEFINITION = f"{_API}/API_ContainerDefinition.html"
API_MODEL_PACKAGE_SUMMARY = f"{_API}/API_ModelPackageSummary.html"
API_LIFECYCLE_CONFIG = f"{_API}/API_CreateNotebookInstanceLifecycleConfig.html"
MODEL_REGISTRY = f"{_DG}/model-registry-models.html"
CONFIG_PRIVATE_REGISTRY = (
    "https://docs.aws.amazon.com/config/latest/developerguide/sagemaker-model-private-registry-required.html"
)
_KOTLIN = "https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/sagemaker/aws.sdk.kotlin.services.sagemaker.model"
ROOT_ACCESS_DEFAULT = f"{_KOTLIN}/-update-notebook-instance-request/root-access.html"
ROOT_ACCESS_LIFECYCLE = f"{_KOTLIN}/-describe-notebook-instance-response/root-access.html"
TRAINING_VOLUME_KEY = f"{_KOTLIN}/-resource-config/volume-kms-key-id.html"
ENDPOINT_CONFIG_KEY = f"{_KOTLIN}/-create-endpoint-config-request/kms-key-id.html"
PROCESSING_ENVIRONMENT = f"{_KOTLIN}/-describe-processing-job-response/environment.html"
TRAINING_JOB_RESULT = (
    "https://docs.aws.amazon.com/AWSJavaSDK/latest/javadoc/com/amazonaws/services/sagemaker/model/"
    "DescribeTrainingJobResult.html"
)
CREATE_DOMAIN = "https://docs.aws.amazon.com/sdkfornet/v3/apidocs/items/SageMaker/TCreateDomainRequest.html"

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
    references=(_sh(1),),
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
    references=(_sh(2), INFRASTRUCTURE_VPC),
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
    references=(_sh(3), ROOT_ACCESS_DEFAULT, ROOT_ACCESS_LIFECYCLE),
)
def notebook_has_no_root_access(notebook: NotebookInstance) -> Result:
    """With root access, every user of the notebook (and any code a user runs) can change the
    instance's system configuration. Root access is Enabled unless it was explicitly disabled
    (the API's default value), and a response without the field is read as that default.
    Disabling it does not affect lifecycle configurations, which always run with root access."""
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
    references=(_sh(21),),
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
    references=(TRAIN_VPC, INFRASTRUCTURE_VPC),
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
    references=(NETWORK_ISOLATION,),
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
    references=(_sh(15), NETWORK_ISOLATION),
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
    references=(TRAINING_VOLUME_KEY, _sh(21)),
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
    references=(_sh(5), NETWORK_ISOLATION),
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
    references=(HOST_VPC, INFRASTRUCTURE_VPC),
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
    references=(ENDPOINT_CONFIG_KEY,),
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
    references=(_sh(4),),
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
    references=(API_DATA_CAPTURE,),
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
    remediation="In every VPC that hosts notebooks, training or processing jobs or models, create an S3 gateway "
    "endpoint "
    "associated with the route tables of those subnets, and sagemaker.api and sagemaker.runtime "
    "interface endpoints with private DNS enabled.",
    compliance={"nist-800-53-r5": ["AC-4", "SC-7", "SC-7(3)"]},
    attack=["AML.T0025"],
    references=(TRAIN_VPC, HOST_VPC, INTERFACE_VPC_ENDPOINT),
)
def ai_vpc_has_private_endpoints(
    vpc: Vpc,
    notebooks: Sequence[NotebookInstance],
    training_jobs: Sequence[TrainingJob],
    models: Sequence[Model],
    processing_jobs: Sequence[ProcessingJob],
) -> Result:
    """In a VPC without internet access, training and model containers "can't connect to the
    Amazon S3 buckets that contain your data unless you create a VPC endpoint"; with a NAT or
    internet gateway instead, that traffic leaves the VPC, where no endpoint policy can restrict
    which buckets it reaches. The sagemaker.api and sagemaker.runtime interface endpoints let code
    in the VPC (notebooks, jobs, applications) call the SageMaker API and invoke endpoints
    "without using an internet gateway, NAT device, VPN connection". The S3 gateway endpoint only
    acts for subnets whose route table it is associated with; the interface endpoints only capture
    the SDK's default host names when private DNS is on. VPCs that host no SageMaker resource are
    not assessed."""
    candidates: list[VpcHosted] = [*notebooks, *training_jobs, *models, *processing_jobs]
    hosted = _hosted_by(vpc, candidates)
    if isinstance(hosted, Result):
        return hosted
    return _endpoint_verdict(
        vpc,
        hosted,
        REQUIRED_ENDPOINTS,
        "The VPC has the S3 gateway and SageMaker interface endpoints with private DNS.",
    )


ECR_ENDPOINTS = (
    _Required("ecr.api", frozenset({"ecr.api", "ecr.api-fips"}), "Interface", private_dns=True),
    _Required("ecr.dkr", frozenset({"ecr.dkr", "ecr.dkr-fips"}), "Interface", private_dns=True),
)


@check(
    title="VPC through which SageMaker pulls ECR images has ECR endpoints",
    severity=Severity.MEDIUM,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="In every VPC through which a training job or model pulls an Amazon ECR image "
    "(TrainingRepositoryAccessMode or RepositoryAccessMode Vpc), create ecr.api and ecr.dkr interface "
    "endpoints with private DNS enabled.",
    compliance={"nist-800-53-r5": ["AC-4", "SC-7"]},
    attack=["AML.T0010.004", "AML.T0025"],
    references=(
        TRAIN_VPC,
        TRAINING_PRIVATE_REGISTRY,
        INFERENCE_PRIVATE_REGISTRY,
        API_TRAINING_IMAGE_CONFIG,
        API_IMAGE_CONFIG,
        ECR_VPC_ENDPOINTS,
    ),
)
def ai_vpc_has_ecr_endpoints(vpc: Vpc, training_jobs: Sequence[TrainingJob], models: Sequence[Model]) -> Result:
    """SageMaker pulls a training job's or a model's image from Amazon ECR itself, not through the
    customer's VPC: for a training job in a VPC "you don't need to specify the subnet for the
    container of the training job", SageMaker "automatically pulls the training container image
    from Amazon ECR" (TrainingRepositoryAccessMode and RepositoryAccessMode Platform, the default).
    Only with access mode Vpc does SageMaker use "a network connection within your VPC" to reach
    the registry, which must then be reachable from that VPC. The documentation describes Vpc
    mode for private Docker registries other than ECR; when such a pull names an ECR image, the
    VPC reaches ECR privately only through the ecr.api and ecr.dkr interface endpoints (with
    private DNS, so the registry's usual host names resolve to them). Processing jobs have no
    access mode: their images are always pulled by SageMaker. VPCs with no image pulled through
    them from ECR are not assessed; whether every VPC has ECR endpoints is the generic question
    of Security Hub EC2.55/EC2.56."""
    candidates: list[VpcHosted] = [*training_jobs, *models]
    hosted = _hosted_by(vpc, candidates)
    if isinstance(hosted, Result):
        return hosted
    through_vpc = [r for r in hosted if _vpc_pulled_images(r)]
    pulling = [r for r in through_vpc if any(parse_image_uri(image) for image in _vpc_pulled_images(r))]
    if pulling:
        return _endpoint_verdict(
            vpc, pulling, ECR_ENDPOINTS, "The VPC has ecr.api and ecr.dkr endpoints with private DNS."
        )
    if through_vpc:
        return not_applicable("Images pulled through the VPC come from registries other than Amazon ECR.")
    return not_applicable("SageMaker pulls the images of the resources in this VPC itself (access mode Platform).")


def _vpc_pulled_images(resource: VpcHosted) -> list[str]:
    """The images SageMaker pulls through the resource's VPC (access mode Vpc)."""
    if isinstance(resource, TrainingJob):
        vpc_mode = resource.training_repository_access_mode == "Vpc"
        return [resource.training_image] if vpc_mode and resource.training_image else []
    if isinstance(resource, Model):
        return [c.image for c in resource.containers or () if c.image and c.repository_access_mode == "Vpc"]
    return []


class InVpc(Protocol):
    """A resource that may run in customer subnets (SageMaker, Bedrock customization and import
    jobs): ``subnet_ids`` None when unreadable, () when not in a customer VPC."""

    @property
    def subnet_ids(self) -> tuple[str, ...] | None: ...

    @property
    def security_group_ids(self) -> tuple[str, ...] | None: ...


class HostedInVpc(InVpc, Protocol):
    """A resource that runs in customer subnets, as the VPC endpoint checks see it."""

    @property
    def uid(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def region(self) -> str: ...


H = TypeVar("H", bound=HostedInVpc)


def _hosted_by(vpc: Vpc, candidates: Sequence[H], kind: str = "SageMaker") -> list[H] | Result:
    """The ``kind`` resources running in ``vpc``; or the verdict when that cannot be told
    (unreadable subnets: ERROR) or nothing runs there (not applicable)."""
    if vpc.subnet_ids is None:
        return unknown("The VPC's subnets could not be read.")
    in_region = [r for r in candidates if r.region == vpc.region]
    hosted = [r for r in in_region if r.subnet_ids and vpc.subnet_ids.intersection(r.subnet_ids)]
    if hosted:
        return hosted
    unreadable = [r.uid for r in in_region if r.subnet_ids is None]
    if unreadable:
        return unknown(
            f"Whether the VPC hosts {kind} resources is unknown: some could not be described.",
            evidence={"undescribed": unreadable[:EVIDENCE_LIMIT]},
        )
    return not_applicable(f"The VPC hosts no {kind} resources.")


def _endpoint_verdict(
    vpc: Vpc, hosted: Sequence[HostedInVpc], required: Sequence[_Required], success: str, kind: str = "SageMaker"
) -> Result:
    evidence: dict[str, Any] = {"hosted": _hosted_evidence(hosted), "hosted_count": len(hosted)}
    if vpc.endpoints is None:
        return unknown("The VPC's endpoints could not be read.", evidence=evidence)
    assert vpc.subnet_ids is not None  # checked by _hosted_by
    gaps = _endpoint_gaps(vpc, vpc.endpoints, _subnets_used(vpc.subnet_ids, hosted), required)
    if gaps.found:
        return failed(f"The VPC hosts {_count(hosted, kind)} but {_describe(gaps)}.", {**gaps.found, **evidence})
    if gaps.unreadable:
        return unknown(f"Could not read: {'; '.join(gaps.unreadable)}.", evidence=evidence)
    return passed(success, evidence)


def _count(hosted: Sequence[HostedInVpc], kind: str) -> str:
    return f"{len(hosted)} {kind} resource{'' if len(hosted) == 1 else 's'}"


def _subnets_used(vpc_subnets: frozenset[str], hosted: Iterable[HostedInVpc]) -> frozenset[str]:
    return frozenset(s for r in hosted for s in r.subnet_ids or () if s in vpc_subnets)


def _hosted_evidence(hosted: Sequence[HostedInVpc]) -> list[dict[str, str]]:
    ordered = sorted(hosted, key=lambda r: (type(r).__name__, r.name))
    return [{"type": _resource_type(r), "name": r.name, "uid": r.uid} for r in ordered[:EVIDENCE_LIMIT]]


def _resource_type(resource: HostedInVpc) -> str:
    return str(getattr(type(resource), "resource_type", type(resource).__name__))


def _endpoint_gaps(
    vpc: Vpc, endpoints: Sequence[VpcEndpoint], hosting_subnets: frozenset[str], required_endpoints: Sequence[_Required]
) -> _Gaps:
    gaps = _Gaps()
    for required in required_endpoints:
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


def _runs_in_vpc(resource: InVpc, kind: str) -> Result:
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


# =============================================================================================
# The rest of the lifecycle
# =============================================================================================

SECRETS_NIST = ["IA-5", "SC-28"]
SUPPORTED_NOTEBOOK_PLATFORMS = frozenset({"notebook-al2023-v1"})

# ---------------------------------------------------------------------------------------------
# Notebook platforms and lifecycle configurations
# ---------------------------------------------------------------------------------------------


@check(
    title="SageMaker notebook instance runs on a supported platform",
    severity=Severity.MEDIUM,
    baseline=Baseline.INTEGRITY,
    remediation="Create a new notebook instance with PlatformIdentifier notebook-al2023-v1, move the "
    "notebooks and data over (the platform cannot be changed in place) and delete the old instance.",
    compliance={"aws-fsbp": ["SageMaker.8"], "aws-ai-security": ["SageMaker.8"], "nist-800-53-r5": ["SI-2"]},
    attack=["AML.T0011.001"],
    references=(_sh(8),),
)
def notebook_runs_on_supported_platform(notebook: NotebookInstance) -> Result:
    """A notebook instance on a platform that is no longer supported gets no operating system or
    JupyterLab security patches ("it might not receive security patches, bug fixes, or other types
    of updates", Security Hub). The supported list is Security Hub's (not customizable) parameter
    for SageMaker.8, notebook-al2023-v1 (Amazon Linux 2023); every other platform fails. A notebook
    whose platform is not reported is not assessed as supported."""
    platform = notebook.platform_identifier
    if platform is None:
        return unknown("The notebook instance's platform identifier could not be read.")
    evidence = {"platform_identifier": platform, "supported": sorted(SUPPORTED_NOTEBOOK_PLATFORMS)}
    if platform in SUPPORTED_NOTEBOOK_PLATFORMS:
        return passed(f"The notebook instance runs on {platform}.", evidence)
    return failed(f"The notebook instance runs on {platform}, which is not a supported platform.", evidence)


@check(
    title="SageMaker notebook lifecycle configuration holds no secrets",
    severity=Severity.HIGH,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Remove the credentials from the OnCreate/OnStart scripts, rotate them, and read them at "
    "run time from AWS Secrets Manager or SSM Parameter Store with the notebook's execution role.",
    compliance={"nist-800-53-r5": SECRETS_NIST},
    attack=["AML.T0055"],
    references=(API_LIFECYCLE_CONFIG,),
)
def notebook_lifecycle_config_has_no_secrets(config: NotebookLifecycleConfig) -> Result:
    """Lifecycle scripts are returned (base64-encoded, not encrypted) by
    DescribeNotebookInstanceLifecycleConfig: anyone allowed to describe the configuration can read
    a credential written into them, and the scripts run with root access and the notebook's
    execution role. The scripts are
    scanned with detect-secrets and a key-name rule (cspm.secrets); the finding names the script,
    the line and the kind of secret, never the value."""
    return _no_secrets(config.secrets, "The lifecycle configuration's scripts")


# ---------------------------------------------------------------------------------------------
# Secrets in job and model configuration
# ---------------------------------------------------------------------------------------------


@check(
    title="SageMaker training job has no secrets in its environment or hyperparameters",
    severity=Severity.HIGH,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Stop passing credentials as environment variables or hyperparameters; rotate the ones "
    "found and read them in the training code from AWS Secrets Manager with the job's execution role.",
    compliance={"nist-800-53-r5": SECRETS_NIST},
    attack=["AML.T0055"],
    references=(TRAINING_JOB_RESULT, API_CONTAINER_DEFINITION),
)
def training_job_has_no_secrets_in_configuration(job: TrainingJob) -> Result:
    """A training job's Environment and HyperParameters are returned in clear text by
    DescribeTrainingJob, to anyone with that read permission, for as long as the job's record
    exists; the API reference says not to include sensitive data in environment variables.
    Hugging Face, Weights & Biases and cloud credentials are often passed this way. The finding
    names the key and the kind of secret, never the value."""
    return _no_secrets(job.secrets, "The training job's environment and hyperparameters")


@check(
    title="SageMaker processing job has no secrets in its environment",
    severity=Severity.HIGH,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Stop passing credentials as environment variables; rotate the ones found and read them "
    "in the processing code from AWS Secrets Manager with the job's execution role.",
    compliance={"nist-800-53-r5": SECRETS_NIST},
    attack=["AML.T0055"],
    references=(PROCESSING_ENVIRONMENT, API_CONTAINER_DEFINITION),
)
def processing_job_has_no_secrets_in_environment(job: ProcessingJob) -> Result:
    """A processing job's Environment is returned in clear text by DescribeProcessingJob to anyone
    with that read permission, for as long as the job's record exists; the API reference says not
    to include sensitive data in environment variables. The finding names the key and the kind
    of secret, never the value."""
    return _no_secrets(job.secrets, "The processing job's environment")


@check(
    title="SageMaker model has no secrets in its container environment",
    severity=Severity.HIGH,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Recreate the model without credentials in the containers' Environment (for example "
    "HUGGING_FACE_HUB_TOKEN); rotate them and let the container read them from AWS Secrets Manager.",
    compliance={"nist-800-53-r5": SECRETS_NIST},
    attack=["AML.T0055"],
    references=(API_CONTAINER_DEFINITION,),
)
def model_has_no_secrets_in_environment(model: Model) -> Result:
    """Inference containers are commonly given hub tokens and API keys through Environment, which
    DescribeModel returns in clear text to anyone with that read permission; the API reference
    says "Don't include any sensitive data in your environment variables". The finding names the
    container, the key and the kind of secret, never the value."""
    return _no_secrets(model.secrets, "The model's container environments")


def _no_secrets(secrets: Sequence[SecretFinding] | None, what: str) -> Result:
    if secrets is None:
        return unknown(f"{what} could not be read.")
    if not secrets:
        return passed(f"{what} hold no secrets that cspm recognises.")
    found = [s.model_dump(exclude_none=True) for s in secrets]
    places = sorted({_place(s) for s in secrets})
    return failed(f"{what} hold secrets: {', '.join(places)}.", evidence={"secrets": found})


def _place(secret: SecretFinding) -> str:
    if secret.key is not None:
        return f"{secret.source} {secret.key} ({secret.kind})"
    return f"{secret.source} line {secret.line} ({secret.kind})"


# ---------------------------------------------------------------------------------------------
# Processing jobs
# ---------------------------------------------------------------------------------------------


@check(
    title="SageMaker processing job has network isolation enabled",
    severity=Severity.MEDIUM,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Run processing jobs with NetworkConfig.EnableNetworkIsolation=True "
    "(network_config=NetworkConfig(enable_network_isolation=True) on the processor).",
    compliance={"nist-800-53-r5": ["AC-4", "SC-7"]},
    attack=["AML.T0011.000", "AML.T0025"],
    references=(_sh(11), NETWORK_ISOLATION),
)
def processing_job_has_network_isolation(job: ProcessingJob) -> Result:
    """Processing jobs read raw training data and write the features and evaluation results the
    model is built from. Network isolation blocks every outbound call from the container, so a
    malicious dependency cannot send the data out or poison it from outside."""
    if job.network_isolation is None:
        return unknown("The processing job could not be described.")
    if job.network_isolation:
        return passed("Network isolation is enabled.")
    return failed("Network isolation is disabled.", evidence={"network_isolation": False})


@check(
    title="SageMaker processing job encrypts inter-container traffic",
    severity=Severity.MEDIUM,
    baseline=Baseline.ENCRYPTION,
    remediation="Set NetworkConfig.EnableInterContainerTrafficEncryption=True on distributed processing "
    "jobs (encrypt_inter_container_traffic=True on the processor's NetworkConfig).",
    compliance={"nist-800-53-r5": ["SC-8", "SC-8(1)"]},
    attack=["AML.T0035"],
    references=(_sh(15),),
)
def processing_job_encrypts_inter_container_traffic(job: ProcessingJob) -> Result:
    """Distributed processing jobs exchange data between instances in clear text unless
    inter-container traffic encryption is on. A single-instance job has no inter-container
    traffic, so the check does not apply to it."""
    if job.inter_container_encryption is None:
        return unknown("The processing job could not be described.")
    if job.inter_container_encryption:
        return passed("Inter-container traffic encryption is enabled.")
    if job.instance_count == 1:
        return not_applicable("The job runs on one instance: there is no inter-container traffic.")
    return failed(
        "Inter-container traffic encryption is disabled.",
        evidence={"inter_container_encryption": False, "instance_count": job.instance_count},
    )


@check(
    title="SageMaker processing job runs in a customer VPC",
    severity=Severity.MEDIUM,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Run processing jobs with NetworkConfig.VpcConfig (private subnets and security groups of your VPC).",
    compliance={"nist-800-53-r5": ["AC-4", "SC-7"]},
    attack=["AML.T0025"],
    references=(INFRASTRUCTURE_VPC,),
)
def processing_job_runs_in_vpc(job: ProcessingJob) -> Result:
    """Without a VpcConfig the processing containers reach S3 and the internet from the SageMaker
    service network, outside your security groups, endpoint policies and flow logs."""
    return _runs_in_vpc(job, "processing job")


@check(
    title="SageMaker processing job encrypts its volume and output with KMS keys",
    severity=Severity.MEDIUM,
    baseline=Baseline.ENCRYPTION,
    remediation="Set ProcessingResources.ClusterConfig.VolumeKmsKeyId and ProcessingOutputConfig.KmsKeyId to "
    "customer-managed KMS keys (volume_kms_key and output_kms_key on the processor).",
    compliance={"nist-800-53-r5": [*AT_REST_NIST, "SC-28(1)"]},
    attack=["AML.T0035", "AML.T0020"],
    references=(TRAINING_VOLUME_KEY, _sh(21)),
)
def processing_job_encrypts_volume_and_output_with_kms(job: ProcessingJob) -> Result:
    """The processing volume holds the raw data; the output becomes the training set. Customer-
    managed keys gate both behind a key policy you control and log every decryption."""
    if job.volume_encryption is None or job.output_encryption is None:
        return unknown("The processing job could not be described.")
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
# Models: private registries and the model registry
# ---------------------------------------------------------------------------------------------


@check(
    title="SageMaker model pulls its primary container from a private registry in a VPC",
    severity=Severity.INFORMATIONAL,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Only if your policy requires a self-run registry instead of Amazon ECR: host the inference "
    "image in a private Docker registry reachable from the model's VPC and recreate the model with "
    "PrimaryContainer.ImageConfig.RepositoryAccessMode=Vpc. For ECR images there is nothing to change.",
    compliance={"aws-ai-security": ["SageMaker.16"], "nist-800-53-r5": ["AC-4", "SC-7"]},
    attack=["AML.T0010.004", "AML.T0010.003"],
    references=(_sh(16), CONFIG_PRIVATE_REGISTRY, API_IMAGE_CONFIG, INFERENCE_PRIVATE_REGISTRY),
)
def model_primary_container_uses_private_registry(model: Model) -> Result:
    """Informational: reports Security Hub SageMaker.16 (the primary container's ImageConfig is
    absent or its RepositoryAccessMode is Platform) without counting it against the score. The
    API defines Platform as "The model image is hosted in Amazon ECR" and Vpc as "hosted in a
    private Docker registry in your VPC"; SageMaker hosting uses ECR images by default, and the
    control's remediation page is about registries "other than Amazon Elastic Container
    Registry". So every model whose image is in ECR fails, and the only remediation is to move
    the image out of ECR to a self-run registry: the control does not measure a weakness of ECR
    images. Supply-chain questions about ECR images are answered by the ECR and lineage checks.
    Models without a primary container (inference pipelines) are assessed by SageMaker.19."""
    if model.containers is None:
        return unknown("The model could not be described.")
    primary = [c for c in model.containers if c.primary]
    if not primary:
        return not_applicable("The model has no primary container (an inference pipeline).")
    return _private_registry(primary, "The primary container")


@check(
    title="SageMaker inference pipeline pulls every container from a private registry in a VPC",
    severity=Severity.INFORMATIONAL,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Only if your policy requires a self-run registry instead of Amazon ECR: host the inference "
    "images in a private Docker registry reachable from the model's VPC and recreate the model with "
    "ImageConfig.RepositoryAccessMode=Vpc on every container. For ECR images there is nothing to change.",
    compliance={"aws-ai-security": ["SageMaker.19"], "nist-800-53-r5": ["AC-4", "SC-7"]},
    attack=["AML.T0010.004", "AML.T0010.003"],
    references=(_sh(19), API_IMAGE_CONFIG, INFERENCE_PRIVATE_REGISTRY),
)
def model_containers_use_private_registry(model: Model) -> Result:
    """Informational: reports Security Hub SageMaker.19 (a container of Containers[] has no
    ImageConfig or has RepositoryAccessMode Platform) without counting it against the score.
    Platform means "The model image is hosted in Amazon ECR" (API reference), the default for
    SageMaker hosting; Vpc is for a private Docker registry other than ECR. Every pipeline whose
    images are in ECR fails, and the only remediation is to move them out of ECR: the control
    does not measure a weakness of ECR images. Single-container models are assessed by
    SageMaker.16."""
    if model.containers is None:
        return unknown("The model could not be described.")
    pipeline = [c for c in model.containers if not c.primary]
    if not pipeline:
        return not_applicable("The model has no Containers[] (it is not an inference pipeline).")
    return _private_registry(pipeline, "Every container")


def _private_registry(containers: Sequence[ModelContainer], what: str) -> Result:
    platform = [
        {"image": c.image, "model_package": c.model_package_name, "repository_access_mode": c.repository_access_mode}
        for c in containers
        if c.repository_access_mode != "Vpc"
    ]
    if platform:
        return failed(
            f"{len(platform)} container(s) use access mode Platform (the image is in Amazon ECR), "
            "not a private registry in the VPC.",
            evidence={"containers": platform},
        )
    return passed(f"{what} is pulled from a private registry through the VPC (RepositoryAccessMode=Vpc).")


# Security Hub's SageMaker.16/19 pass only RepositoryAccessMode=Vpc, which the API defines as a
# private Docker registry other than Amazon ECR: see the two checks' rationales.


@check(
    title="SageMaker model is created from a model registry package",
    severity=Severity.LOW,
    baseline=Baseline.INTEGRITY,
    remediation="Register models in a SageMaker Model Registry model package group, approve them there, "
    "and create models from the approved package version (ModelPackageName) instead of an image and an "
    "artifact URL.",
    compliance={"nist-800-53-r5": ["CM-3", "SI-7"]},
    attack=["AML.T0010.003", "AML.T0018"],
    references=(MODEL_REGISTRY, API_MODEL_PACKAGE_SUMMARY),
)
def model_comes_from_model_registry(model: Model) -> Result:
    """A model built directly from an image and an S3 artifact has passed no approval gate: anyone
    who can call CreateModel can put any artifact behind an endpoint. A model created from a model
    package version carries the registry's lineage and approval status (Prowler's
    sagemaker_models_registry_in_use, per model)."""
    if model.containers is None:
        return unknown("The model could not be described.")
    outside = [c.image or "(no image)" for c in model.containers if not c.model_package_name]
    if not model.containers or outside:
        return failed(
            "The model is not created from a model package.",
            evidence={"containers_without_package": outside},
        )
    packages = sorted({c.model_package_name or "" for c in model.containers})
    return passed("Every container comes from a model package.", evidence={"model_packages": packages})


@check(
    title="SageMaker model uses only approved model package versions",
    severity=Severity.MEDIUM,
    baseline=Baseline.INTEGRITY,
    remediation="Recreate the model (and update its endpoints) from a model package version whose "
    "ModelApprovalStatus is Approved, or review and approve the version in the model registry.",
    compliance={"nist-800-53-r5": ["CM-3", "SI-7"]},
    attack=["AML.T0010.003", "AML.T0018"],
    references=(API_MODEL_PACKAGE_SUMMARY, MODEL_REGISTRY),
)
def model_uses_approved_model_packages(model: Model, packages: Sequence[ModelPackage]) -> Result:
    """The registry's approval status is the gate between a trained artifact and production. A
    model that uses a package version that is pending, or was rejected after the model was
    created, serves an artifact nobody signed off. Models created without a package are assessed
    by model_comes_from_model_registry; packages of other accounts (a central registry, AWS
    Marketplace) cannot be assessed from this account."""
    if model.containers is None:
        return unknown("The model could not be described.")
    refs = sorted({c.model_package_name for c in model.containers if c.model_package_name})
    if not refs:
        return not_applicable("The model is not created from a model package.")
    by_arn = {p.uid.lower(): p for p in packages if p.account == model.account}
    verdicts = [_package_verdict(ref, by_arn, model.account) for ref in refs]
    not_approved = [v for v in verdicts if v["status"] not in ("Approved", None)]
    unresolved = [v for v in verdicts if v["status"] is None]
    if not_approved:
        return failed("The model uses model package versions that are not approved.", {"packages": not_approved})
    if unresolved:
        return unknown("The approval status of some model packages could not be read.", {"packages": unresolved})
    return passed("Every model package version the model uses is approved.", {"packages": verdicts})


def _package_verdict(ref: str, by_arn: dict[str, ModelPackage], account: str) -> dict[str, Any]:
    package = by_arn.get(ref.lower())
    if package is not None:
        return {"package": ref, "status": package.approval_status}
    if ref.startswith("arn:") and ref.split(":")[4:5] != [account]:
        return {"package": ref, "status": None, "reason": "in another account"}
    return {"package": ref, "status": None, "reason": "not found in the model registry"}


# ---------------------------------------------------------------------------------------------
# Model Monitor: endpoints, schedules and job definitions
# ---------------------------------------------------------------------------------------------

MONITORING_NIST = ["SI-4", "CA-7"]


@check(
    title="SageMaker endpoint is watched by a running Model Monitor schedule",
    severity=Severity.LOW,
    baseline=Baseline.LOGGING,
    remediation="Enable data capture on the endpoint config and create a Model Monitor schedule (data "
    "quality, model quality, bias or explainability) for the endpoint; keep it in the Scheduled state.",
    compliance={"nist-800-53-r5": MONITORING_NIST},
    attack=["AML.T0031", "AML.T0020"],
    references=(API_DATA_CAPTURE, _sh(14)),
)
def endpoint_has_model_monitoring(endpoint: Endpoint, schedules: Sequence[MonitoringSchedule]) -> Result:
    """Model Monitor jobs, run by a monitoring schedule over the data the endpoint captures, are
    SageMaker's way of noticing changes in what the endpoint receives and answers; without one,
    nothing watches the endpoint's traffic (Prowler's sagemaker_models_monitor_enabled, per
    endpoint). Only endpoints in service are assessed; a schedule counts when it is in the
    Scheduled state."""
    if endpoint.status is None:
        return unknown("The endpoint's status could not be read.")
    if endpoint.status != "InService":
        return not_applicable(f"The endpoint is {endpoint.status}, not in service.")
    mine = [s for s in schedules if s.region == endpoint.region and s.endpoint_name == endpoint.name]
    running = sorted(s.name for s in mine if s.status == "Scheduled")
    if running:
        return passed(f"Monitored by {', '.join(running)}.", evidence={"schedules": running})
    others = [{"schedule": s.name, "status": s.status} for s in sorted(mine, key=lambda s: s.name)]
    return failed("No monitoring schedule is running for the endpoint.", evidence={"schedules": others})


JobDefinitions = dict[str, Sequence[MonitoringJobDefinition]]


@check(
    title="SageMaker monitoring schedule runs its jobs with network isolation",
    severity=Severity.MEDIUM,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Recreate the schedule's job definition (or the schedule's embedded MonitoringJobDefinition) "
    "with NetworkConfig.EnableNetworkIsolation=True.",
    compliance={"aws-ai-security": ["SageMaker.14"], "nist-800-53-r5": ["AC-4", "SC-7"]},
    attack=["AML.T0025"],
    references=(_sh(14),),
)
def monitoring_schedule_has_network_isolation(
    schedule: MonitoringSchedule,
    data_quality: Sequence[DataQualityJobDefinition],
    model_quality: Sequence[ModelQualityJobDefinition],
    model_bias: Sequence[ModelBiasJobDefinition],
    explainability: Sequence[ModelExplainabilityJobDefinition],
) -> Result:
    """Monitoring jobs read the endpoint's captured requests and responses. With network isolation
    their containers can make no outbound call. A schedule that names a job definition is judged
    by that definition's NetworkConfig (the job it actually runs); Security Hub reads only the
    schedule's own configuration."""
    definitions = _definitions(data_quality, model_quality, model_bias, explainability)
    job, evidence = _schedule_job(schedule, definitions)
    if job is None:
        return unknown(evidence.pop("reason"), evidence)
    if job.network_isolation:
        return passed("The monitoring job runs with network isolation.", evidence)
    return failed("The monitoring job runs without network isolation.", {**evidence, "network_isolation": False})


@check(
    title="SageMaker monitoring schedule encrypts inter-container traffic",
    severity=Severity.MEDIUM,
    baseline=Baseline.ENCRYPTION,
    remediation="Recreate the schedule's job definition (or the schedule's embedded MonitoringJobDefinition) "
    "with NetworkConfig.EnableInterContainerTrafficEncryption=True.",
    compliance={"aws-ai-security": ["SageMaker.22"], "nist-800-53-r5": ["SC-8", "SC-8(1)"]},
    attack=["AML.T0035"],
    references=(_sh(22),),
)
def monitoring_schedule_encrypts_inter_container_traffic(
    schedule: MonitoringSchedule,
    data_quality: Sequence[DataQualityJobDefinition],
    model_quality: Sequence[ModelQualityJobDefinition],
    model_bias: Sequence[ModelBiasJobDefinition],
    explainability: Sequence[ModelExplainabilityJobDefinition],
) -> Result:
    """Distributed monitoring jobs exchange captured inference data between instances in clear
    text unless inter-container traffic encryption is on. A schedule that names a job definition
    is judged by that definition; Security Hub (SageMaker.22) fails regardless of the instance
    count, and so does this check."""
    definitions = _definitions(data_quality, model_quality, model_bias, explainability)
    job, evidence = _schedule_job(schedule, definitions)
    if job is None:
        return unknown(evidence.pop("reason"), evidence)
    if job.inter_container_encryption:
        return passed("The monitoring job encrypts inter-container traffic.", evidence)
    return failed(
        "The monitoring job does not encrypt inter-container traffic.",
        {**evidence, "inter_container_encryption": False, "instance_count": job.instance_count},
    )


def _definitions(*kinds: Sequence[MonitoringJobDefinition]) -> JobDefinitions:
    """The job definitions by monitoring type."""
    return {t.monitoring_type: [d for kind in kinds for d in kind if isinstance(d, t)] for t in JOB_DEFINITION_TYPES}


def _schedule_job(
    schedule: MonitoringSchedule, definitions: JobDefinitions
) -> tuple[MonitoringJobConfig | None, dict[str, Any]]:
    """The job a schedule runs, or None with a ``reason`` in the evidence."""
    if schedule.job is None:
        return None, {"reason": "The monitoring schedule could not be described."}
    if schedule.job.inline is not None:
        return schedule.job.inline, {"job_definition": "embedded in the schedule"}
    name = schedule.job.definition_name
    kind = schedule.monitoring_type or "DataQuality"  # the API's default monitoring type
    evidence: dict[str, Any] = {"job_definition": name, "monitoring_type": kind}
    match = next(
        (d for d in definitions.get(kind, ()) if d.name == name and d.region == schedule.region),
        None,
    )
    if match is None:
        return None, {**evidence, "reason": f"The schedule's job definition {name} was not found."}
    if match.config is None:
        return None, {**evidence, "reason": f"The schedule's job definition {name} could not be described."}
    return match.config, evidence


def _definition_isolation(definition: MonitoringJobDefinition, schedules: Sequence[MonitoringSchedule]) -> Result:
    if definition.config is None:
        return unknown("The job definition could not be described.")
    evidence = {"scheduled_by": _scheduled_by(definition, schedules)}
    if definition.config.network_isolation:
        return passed("Network isolation is enabled.", evidence)
    return failed("Network isolation is disabled.", {**evidence, "network_isolation": False})


def _definition_encryption(
    definition: MonitoringJobDefinition,
    schedules: Sequence[MonitoringSchedule],
    *,
    single_instance_exempt: bool = False,
) -> Result:
    config = definition.config
    if config is None:
        return unknown("The job definition could not be described.")
    evidence: dict[str, Any] = {"scheduled_by": _scheduled_by(definition, schedules)}
    if config.inter_container_encryption:
        return passed("Inter-container traffic encryption is enabled.", evidence)
    if single_instance_exempt and config.instance_count is not None and config.instance_count < 2:
        return not_applicable("The job runs on one instance: there is no inter-container traffic.")
    return failed(
        "Inter-container traffic encryption is disabled.",
        {**evidence, "inter_container_encryption": False, "instance_count": config.instance_count},
    )


def _scheduled_by(definition: MonitoringJobDefinition, schedules: Sequence[MonitoringSchedule]) -> list[dict[str, Any]]:
    """The schedules that run ``definition``: whether its weakness is live."""
    return [
        {"schedule": s.name, "status": s.status}
        for s in sorted(schedules, key=lambda s: s.name)
        if s.region == definition.region
        and s.job is not None
        and s.job.definition_name == definition.name
        and (s.monitoring_type or "DataQuality") == definition.monitoring_type
    ]


@check(
    title="SageMaker data quality job definition has network isolation enabled",
    severity=Severity.MEDIUM,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Recreate the data quality job definition with NetworkConfig.EnableNetworkIsolation=True "
    "and point its monitoring schedules at it.",
    compliance={"aws-ai-security": ["SageMaker.11"], "nist-800-53-r5": ["AC-4", "SC-7"]},
    attack=["AML.T0025"],
    references=(_sh(11),),
)
def data_quality_job_definition_has_network_isolation(
    definition: DataQualityJobDefinition, schedules: Sequence[MonitoringSchedule]
) -> Result:
    """Data quality monitoring jobs read the endpoint's captured traffic; network isolation keeps
    their containers from sending it anywhere.
    The evidence lists the monitoring schedules that run the definition (whether the weakness is
    live); when the schedules could not be listed the check answers ERROR.
    """
    return _definition_isolation(definition, schedules)


@check(
    title="SageMaker data quality job definition encrypts inter-container traffic",
    severity=Severity.MEDIUM,
    baseline=Baseline.ENCRYPTION,
    remediation="Recreate the data quality job definition with "
    "NetworkConfig.EnableInterContainerTrafficEncryption=True and point its monitoring schedules at it.",
    compliance={"aws-ai-security": ["SageMaker.9"], "nist-800-53-r5": ["SC-8", "SC-8(1)"]},
    attack=["AML.T0035"],
    references=(_sh(9),),
)
def data_quality_job_definition_encrypts_inter_container_traffic(
    definition: DataQualityJobDefinition, schedules: Sequence[MonitoringSchedule]
) -> Result:
    """Distributed data quality jobs exchange captured inference data between instances in clear
    text unless inter-container traffic encryption is on. Security Hub (SageMaker.9) fails it
    whatever the instance count, and so does this check.
    The evidence lists the monitoring schedules that run the definition (whether the weakness is
    live); when the schedules could not be listed the check answers ERROR.
    """
    return _definition_encryption(definition, schedules)


@check(
    title="SageMaker model quality job definition has network isolation enabled",
    severity=Severity.HIGH,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Recreate the model quality job definition with NetworkConfig.EnableNetworkIsolation=True "
    "and point its monitoring schedules at it.",
    compliance={"aws-ai-security": ["SageMaker.25"], "nist-800-53-r5": ["AC-4", "SC-7"]},
    attack=["AML.T0025"],
    references=(_sh(25),),
)
def model_quality_job_definition_has_network_isolation(
    definition: ModelQualityJobDefinition, schedules: Sequence[MonitoringSchedule]
) -> Result:
    """Model quality jobs join captured predictions with ground-truth labels; network isolation
    keeps their containers from sending either anywhere.
    The evidence lists the monitoring schedules that run the definition (whether the weakness is
    live); when the schedules could not be listed the check answers ERROR.
    """
    return _definition_isolation(definition, schedules)


@check(
    title="SageMaker model quality job definition encrypts inter-container traffic",
    severity=Severity.MEDIUM,
    baseline=Baseline.ENCRYPTION,
    remediation="Recreate the model quality job definition with "
    "NetworkConfig.EnableInterContainerTrafficEncryption=True and point its monitoring schedules at it.",
    compliance={"aws-ai-security": ["SageMaker.13"], "nist-800-53-r5": ["SC-8", "SC-8(1)"]},
    attack=["AML.T0035"],
    references=(_sh(13),),
)
def model_quality_job_definition_encrypts_inter_container_traffic(
    definition: ModelQualityJobDefinition, schedules: Sequence[MonitoringSchedule]
) -> Result:
    """Distributed model quality jobs exchange predictions and labels between instances in clear
    text unless inter-container traffic encryption is on. Security Hub (SageMaker.13) fails it
    whatever the instance count, and so does this check.
    The evidence lists the monitoring schedules that run the definition (whether the weakness is
    live); when the schedules could not be listed the check answers ERROR.
    """
    return _definition_encryption(definition, schedules)


@check(
    title="SageMaker model bias job definition has network isolation enabled",
    severity=Severity.MEDIUM,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Recreate the model bias job definition with NetworkConfig.EnableNetworkIsolation=True "
    "and point its monitoring schedules at it.",
    compliance={"aws-ai-security": ["SageMaker.12"], "nist-800-53-r5": ["AC-4", "SC-7"]},
    attack=["AML.T0025"],
    references=(_sh(12),),
)
def model_bias_job_definition_has_network_isolation(
    definition: ModelBiasJobDefinition, schedules: Sequence[MonitoringSchedule]
) -> Result:
    """Bias monitoring jobs read captured traffic including sensitive facets (age, sex, ...);
    network isolation keeps their containers from sending it anywhere.
    The evidence lists the monitoring schedules that run the definition (whether the weakness is
    live); when the schedules could not be listed the check answers ERROR.
    """
    return _definition_isolation(definition, schedules)


@check(
    title="SageMaker model bias job definition encrypts inter-container traffic",
    severity=Severity.MEDIUM,
    baseline=Baseline.ENCRYPTION,
    remediation="Recreate the model bias job definition with "
    "NetworkConfig.EnableInterContainerTrafficEncryption=True and point its monitoring schedules at it.",
    compliance={"aws-ai-security": ["SageMaker.15"], "nist-800-53-r5": ["SC-8", "SC-8(1)"]},
    attack=["AML.T0035"],
    references=(_sh(15),),
)
def model_bias_job_definition_encrypts_inter_container_traffic(
    definition: ModelBiasJobDefinition, schedules: Sequence[MonitoringSchedule]
) -> Result:
    """Distributed bias jobs exchange captured data between instances in clear text unless
    inter-container traffic encryption is on. As in Security Hub (SageMaker.15), definitions
    that run on a single instance are not assessed.
    The evidence lists the monitoring schedules that run the definition (whether the weakness is
    live); when the schedules could not be listed the check answers ERROR.
    """
    return _definition_encryption(definition, schedules, single_instance_exempt=True)


@check(
    title="SageMaker model explainability job definition has network isolation enabled",
    severity=Severity.HIGH,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Recreate the model explainability job definition with "
    "NetworkConfig.EnableNetworkIsolation=True and point its monitoring schedules at it.",
    compliance={"aws-ai-security": ["SageMaker.20"], "nist-800-53-r5": ["AC-4", "SC-7"]},
    attack=["AML.T0025"],
    references=(_sh(20),),
)
def model_explainability_job_definition_has_network_isolation(
    definition: ModelExplainabilityJobDefinition, schedules: Sequence[MonitoringSchedule]
) -> Result:
    """Explainability jobs query the model many times per record and read its captured traffic;
    network isolation keeps their containers from sending data or model behaviour anywhere.
    The evidence lists the monitoring schedules that run the definition (whether the weakness is
    live); when the schedules could not be listed the check answers ERROR.
    """
    return _definition_isolation(definition, schedules)


@check(
    title="SageMaker model explainability job definition encrypts inter-container traffic",
    severity=Severity.MEDIUM,
    baseline=Baseline.ENCRYPTION,
    remediation="Recreate the model explainability job definition with "
    "NetworkConfig.EnableInterContainerTrafficEncryption=True and point its monitoring schedules at it.",
    compliance={"aws-ai-security": ["SageMaker.10"], "nist-800-53-r5": ["SC-8", "SC-8(1)"]},
    attack=["AML.T0035"],
    references=(_sh(10),),
)
def model_explainability_job_definition_encrypts_inter_container_traffic(
    definition: ModelExplainabilityJobDefinition, schedules: Sequence[MonitoringSchedule]
) -> Result:
    """Distributed explainability jobs exchange model data and results between instances in
    clear text unless inter-container traffic encryption is on. Security Hub (SageMaker.10) fails
    it whatever the instance count, and so does this check.
    The evidence lists the monitoring schedules that run the definition (whether the weakness is
    live); when the schedules could not be listed the check answers ERROR.
    """
    return _definition_encryption(definition, schedules)


# ---------------------------------------------------------------------------------------------
# Feature Store
# ---------------------------------------------------------------------------------------------


@check(
    title="SageMaker feature group offline store is encrypted with a customer-managed KMS key",
    severity=Severity.MEDIUM,
    baseline=Baseline.ENCRYPTION,
    remediation="Recreate the feature group with OfflineStoreConfig.S3StorageConfig.KmsKeyId set to a "
    "customer-managed key and backfill it (the key cannot be changed in place).",
    compliance={"aws-ai-security": ["SageMaker.17"], "nist-800-53-r5": AT_REST_NIST},
    attack=["AML.T0036", "AML.T0020"],
    references=(_sh(17),),
)
def feature_group_offline_store_encrypted_with_kms(group: FeatureGroup) -> Result:
    """The offline store is the training-data lake of the features: an S3 prefix and a Glue table.
    A customer-managed key puts a key policy you control in front of it and logs every read.
    Feature groups without an offline store are not assessed."""
    if group.offline_store is None:
        return unknown("The feature group could not be described.")
    if not group.offline_store.enabled:
        return not_applicable("The feature group has no offline store.")
    return _customer_managed(group.offline_store.encryption, "The offline store")


@check(
    title="SageMaker feature group online store is encrypted with a customer-managed KMS key",
    severity=Severity.MEDIUM,
    baseline=Baseline.ENCRYPTION,
    remediation="Recreate the feature group with OnlineStoreConfig.SecurityConfig.KmsKeyId set to a "
    "customer-managed key (the key cannot be changed in place).",
    compliance={"aws-ai-security": ["SageMaker.18"], "nist-800-53-r5": [*AT_REST_NIST, "SC-28(1)"]},
    attack=["AML.T0036"],
    references=(_sh(18),),
)
def feature_group_online_store_encrypted_with_kms(group: FeatureGroup) -> Result:
    """The online store serves the latest feature values to models at inference time. As in
    Security Hub (SageMaker.18) only online stores with Standard storage are assessed; the
    InMemory tier and feature groups without an online store are not."""
    if group.online_store is None:
        return unknown("The feature group could not be described.")
    store = group.online_store
    if not store.enabled:
        return not_applicable("The feature group has no online store.")
    if (store.storage_type or "Standard") != "Standard":
        return not_applicable(f"The online store uses {store.storage_type} storage.")
    return _customer_managed(store.encryption, "The online store")


# ---------------------------------------------------------------------------------------------
# Studio domains
# ---------------------------------------------------------------------------------------------


@check(
    title="SageMaker domain sends app traffic through the customer VPC only",
    severity=Severity.HIGH,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Update the domain to AppNetworkAccessType=VpcOnly (all apps must be deleted first), with "
    "private subnets, security groups, and VPC endpoints or a NAT for the services the users need.",
    compliance={"nist-800-53-r5": ["AC-4", "SC-7", "SC-7(4)"]},
    attack=["AML.T0025", "AML.T0049"],
    references=(CREATE_DOMAIN,),
)
def domain_is_vpc_only(domain: Domain) -> Result:
    """With PublicInternetOnly, Studio apps (JupyterLab, Code Editor, Canvas, ...) reach the
    internet from the SageMaker service network, outside your security groups, endpoint policies
    and flow logs: the Studio equivalent of a notebook with direct internet access (SageMaker.1).
    Prowler: sagemaker_domain_vpc_only_enabled."""
    mode = domain.app_network_access_type
    if mode is None:
        return unknown("The domain could not be described.")
    evidence = {"app_network_access_type": mode}
    if mode == "VpcOnly":
        return passed("Studio apps reach the network only through the domain's VPC.", evidence)
    return failed(f"App network access is {mode}: apps have direct internet access.", evidence)


@check(
    title="SageMaker domain authenticates users through IAM Identity Center",
    severity=Severity.MEDIUM,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Create a new domain with AuthMode=SSO (the mode cannot be changed) and move the user "
    "profiles and spaces to it.",
    compliance={"nist-800-53-r5": ["AC-2", "IA-2"]},
    attack=["AML.T0012"],
    references=(CREATE_DOMAIN,),
)
def domain_uses_sso(domain: Domain) -> Result:
    """In IAM mode every Studio user is a locally managed IAM identity with presigned-URL access,
    outside the organisation's identity provider: offboarding, MFA and session policies drift.
    SSO mode ties Studio access to IAM Identity Center. Prowler: sagemaker_domain_sso_configured."""
    if domain.auth_mode is None:
        return unknown("The domain could not be described.")
    evidence = {"auth_mode": domain.auth_mode}
    if domain.auth_mode == "SSO":
        return passed("Users sign in through IAM Identity Center.", evidence)
    return failed(f"The domain uses {domain.auth_mode} authentication.", evidence)


@check(
    title="SageMaker domain is encrypted with a customer-managed KMS key",
    severity=Severity.MEDIUM,
    baseline=Baseline.ENCRYPTION,
    remediation="Create a new domain with KmsKeyId set to a customer-managed key (the key cannot be "
    "changed) and move the user profiles and their home directories to it.",
    compliance={"nist-800-53-r5": AT_REST_NIST},
    attack=["AML.T0035", "AML.T0018"],
    references=(CREATE_DOMAIN,),
)
def domain_encrypted_with_kms(domain: Domain) -> Result:
    """The domain's key encrypts the users' EFS home directories and app storage: notebooks,
    datasets, credentials and checkpoints of every Studio user. A customer-managed key puts a
    key policy you control in front of them. Prowler: sagemaker_domain_encrypted_with_cmk."""
    return _customer_managed(domain.encryption, "The domain's storage")


# ---------------------------------------------------------------------------------------------
# Inference experiments (shadow tests)
# ---------------------------------------------------------------------------------------------


@check(
    title="SageMaker inference experiment encrypts instance storage with a customer-managed KMS key",
    severity=Severity.MEDIUM,
    baseline=Baseline.ENCRYPTION,
    remediation="Create inference experiments with KmsKey set to a customer-managed key (it cannot be "
    "changed on an existing experiment).",
    compliance={"aws-ai-security": ["SageMaker.23"], "nist-800-53-r5": AT_REST_NIST},
    attack=["AML.T0035"],
    references=(_sh(23),),
)
def inference_experiment_encrypts_instance_storage_with_kms(experiment: InferenceExperiment) -> Result:
    """A shadow test runs candidate models on their own instances, whose storage volumes hold the
    model artifacts and temporary inference data."""
    return _customer_managed(experiment.encryption, "The shadow variants' instance storage")


@check(
    title="SageMaker inference experiment encrypts captured data with a customer-managed KMS key",
    severity=Severity.MEDIUM,
    baseline=Baseline.ENCRYPTION,
    remediation="Create inference experiments with DataStorageConfig.KmsKey set to a customer-managed key.",
    compliance={"aws-ai-security": ["SageMaker.24"], "nist-800-53-r5": AT_REST_NIST},
    attack=["AML.T0035", "AML.T0036"],
    references=(_sh(24),),
)
def inference_experiment_encrypts_captured_data_with_kms(experiment: InferenceExperiment) -> Result:
    """A shadow test copies production requests and both models' responses to S3. Experiments
    without a data storage configuration capture nothing and are not assessed."""
    if experiment.data_capture is None:
        return unknown("The inference experiment could not be described.")
    capture = experiment.data_capture
    if not capture.enabled:
        return not_applicable("The experiment captures no data.")
    evidence = {"destination_s3_uri": capture.destination_s3_uri, "kms_key_id": capture.kms_key_id}
    if capture.customer_managed_key:
        return passed("Captured data is encrypted with a customer-managed KMS key.", evidence)
    return failed("Captured data is not encrypted with a customer-managed KMS key.", evidence)


# ---------------------------------------------------------------------------------------------
# Model artifacts (--inspect-artifacts): the contents of the files the models load
# ---------------------------------------------------------------------------------------------

PICKLE_WARNING = "https://docs.python.org/3/library/pickle.html"
SAFETENSORS = "https://huggingface.co/docs/safetensors/index"


@check(
    title="SageMaker model artifacts import no code known to be dangerous",
    fail_title="SageMaker model artifact runs code known to be dangerous when loaded",
    severity=Severity.CRITICAL,
    baseline=Baseline.INTEGRITY,
    remediation="Do not deploy the model. Find who wrote the artifact (S3 data events, the training job), "
    "rebuild it from trusted code and data, and store the weights as safetensors or ONNX.",
    compliance={"nist-800-53-r5": ["SI-3", "SI-7", "SR-11"]},
    attack=["AML.T0010.003", "AML.T0011.000", "AML.T0018"],
    references=(PICKLE_WARNING,),
)
def model_artifact_is_free_of_unsafe_code(
    model: Model, packages: Sequence[ModelPackage], artifacts: Sequence[S3ModelArtifact]
) -> Result:
    """A pickle-based model file runs the code it names when it is loaded: a model whose
    artifact imports os.system, subprocess, eval or exec hands the endpoint's role and data to
    whoever wrote the file. Read only with --inspect-artifacts: pickle streams are scanned with
    picklescan (never unpickled), Keras files for Lambda layers, SavedModels for file-system and
    Python ops."""
    return free_of_unsafe_code(model, packages, artifacts)


@check(
    title="SageMaker model artifacts use a format that cannot carry code",
    fail_title="SageMaker model artifact is serialised with pickle",
    severity=Severity.MEDIUM,
    baseline=Baseline.INTEGRITY,
    remediation="Save the weights as safetensors (or ONNX or GGUF) instead of pickle, torch.save or "
    "joblib, and load them with a loader that reads tensors only.",
    compliance={"nist-800-53-r5": ["SI-7", "CM-7"]},
    attack=["AML.T0010.003", "AML.T0011.000"],
    references=(PICKLE_WARNING, SAFETENSORS),
)
def model_artifact_uses_safe_format(
    model: Model, packages: Sequence[ModelPackage], artifacts: Sequence[S3ModelArtifact]
) -> Result:
    """A pickle, joblib or PyTorch file may be harmless today and still runs whatever the next
    writer of the object puts in it: scanners list known-dangerous imports, never all of them.
    Formats that hold tensors only (safetensors, ONNX, GGUF) take code out of the question. Read
    only with --inspect-artifacts."""
    return uses_safe_format(model, packages, artifacts)


MODEL_SIGNING = "https://github.com/sigstore/model-transparency"


@check(
    title="SageMaker model artifacts carry a model signature that verifies",
    fail_title="SageMaker model artifact signature is missing or does not verify",
    severity=Severity.HIGH,
    baseline=Baseline.INTEGRITY,
    remediation="Sign the model with OpenSSF Model Signing (model_signing sign) when it is produced, store "
    "the signature next to the artifact as <key>.sig, and verify it before deployment.",
    compliance={"nist-800-53-r5": ["SI-7", "SI-7(6)", "SR-4"]},
    attack=["AML.T0010.003", "AML.T0018"],
    references=(MODEL_SIGNING,),
)
def model_artifact_signature_verifies(
    model: Model,
    packages: Sequence[ModelPackage],
    artifacts: Sequence[S3ModelArtifact],
    endpoints: Sequence[Endpoint],
    configs: Sequence[EndpointConfig],
) -> Result:
    """A signature binds the artifact to who produced it: an artifact replaced in the bucket after
    training (by a compromised pipeline or a too-broad bucket policy) no longer verifies. Read with
    --inspect-artifacts and a signing key, certificate chain or Sigstore identity; under a signing
    policy (--require-signed-models all|served) a model without a signature fails."""
    return signature_verifies(model, packages, artifacts, served=_served(model, endpoints, configs))


def _served(model: Model, endpoints: Sequence[Endpoint], configs: Sequence[EndpointConfig]) -> bool:
    """Whether an InService endpoint hosts the model (through its endpoint config)."""
    live = {e.endpoint_config_name for e in endpoints if e.status == "InService" and e.region == model.region}
    return any(
        c.name in live and any(v.model_name == model.name for v in c.variants or ())
        for c in configs
        if c.region == model.region
    )
