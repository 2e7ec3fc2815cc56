"""SageMaker checks: a table of (check, snapshot, expected status) per resource kind, and the
VPC private-endpoint check over hand-built VPC snapshots."""

from __future__ import annotations

from typing import Any

import pytest

from cspm.checks.aws import sagemaker
from cspm.models import Result, Status
from cspm.resources.artifacts import ImportFound, SignatureCheck
from cspm.resources.aws.artifacts import S3ModelArtifact
from cspm.resources.aws.ec2 import RouteTable, Subnet, Vpc, VpcEndpoint
from cspm.resources.aws.sagemaker import (
    DataCapture,
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
    OfflineStore,
    OnlineStore,
    PackageContainer,
    ProcessingJob,
    ProductionVariant,
    ScheduleJob,
    SecretFinding,
    TrainingJob,
)

ACCOUNT = "123456789012"
REGION = "us-east-1"
KEY = KmsEncryption(kms_key_id=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k")
AWS_MANAGED = KmsEncryption(kms_key_id="alias/aws/sagemaker")
NO_KEY = KmsEncryption()


def _common(kind: str, name: str, region: str) -> dict[str, Any]:
    return {
        "uid": f"arn:aws:sagemaker:{region}:{ACCOUNT}:{kind}/{name}",
        "name": name,
        "account": ACCOUNT,
        "region": region,
    }


def notebook(name: str = "nb", region: str = REGION, **fields: Any) -> NotebookInstance:
    """A fully readable, well-configured notebook instance; override fields per case."""
    base: dict[str, Any] = {
        **_common("notebook-instance", name, region),
        "direct_internet_access": False,
        "root_access": False,
        "subnet_ids": ("subnet-a",),
        "security_group_ids": ("sg-1",),
        "encryption": KEY,
    }
    return NotebookInstance(**(base | fields))


def job(name: str = "job", region: str = REGION, **fields: Any) -> TrainingJob:
    base: dict[str, Any] = {
        **_common("training-job", name, region),
        "subnet_ids": ("subnet-a",),
        "security_group_ids": ("sg-1",),
        "network_isolation": True,
        "inter_container_encryption": True,
        "instance_count": 2,
        "volume_encryption": KEY,
        "output_encryption": KEY,
    }
    return TrainingJob(**(base | fields))


def model(name: str = "model", region: str = REGION, **fields: Any) -> Model:
    base: dict[str, Any] = {
        **_common("model", name, region),
        "subnet_ids": ("subnet-a",),
        "security_group_ids": ("sg-1",),
        "network_isolation": True,
        "containers": (),
    }
    return Model(**(base | fields))


def instance_variant(name: str = "main", count: int | None = 2) -> ProductionVariant:
    return ProductionVariant(name=name, model_name="model", instance_type="ml.m5.large", initial_instance_count=count)


SERVERLESS = ProductionVariant(name="sls", model_name="model", serverless=True)
CAPTURE_ON = DataCapture(enabled=True, destination_s3_uri="s3://capture/", kms_key_id=KEY.kms_key_id)


def config(**fields: Any) -> EndpointConfig:
    base: dict[str, Any] = {
        **_common("endpoint-config", "config", REGION),
        "encryption": KEY,
        "variants": (instance_variant(),),
        "data_capture": CAPTURE_ON,
    }
    return EndpointConfig(**(base | fields))


CASES: list[tuple[Any, Any, Status | None]] = [
    # notebooks
    (sagemaker.notebook_has_no_direct_internet_access, notebook(), Status.PASS),
    (sagemaker.notebook_has_no_direct_internet_access, notebook(direct_internet_access=True), Status.FAIL),
    (sagemaker.notebook_has_no_direct_internet_access, notebook(direct_internet_access=None), Status.ERROR),
    (sagemaker.notebook_runs_in_vpc, notebook(), Status.PASS),
    (sagemaker.notebook_runs_in_vpc, notebook(subnet_ids=(), security_group_ids=()), Status.FAIL),
    (sagemaker.notebook_runs_in_vpc, notebook(subnet_ids=None), Status.ERROR),
    (sagemaker.notebook_has_no_root_access, notebook(), Status.PASS),
    (sagemaker.notebook_has_no_root_access, notebook(root_access=True), Status.FAIL),
    (sagemaker.notebook_has_no_root_access, notebook(root_access=None), Status.ERROR),
    (sagemaker.notebook_encrypted_with_kms, notebook(), Status.PASS),
    (sagemaker.notebook_encrypted_with_kms, notebook(encryption=NO_KEY), Status.FAIL),
    (sagemaker.notebook_encrypted_with_kms, notebook(encryption=AWS_MANAGED), Status.FAIL),
    (sagemaker.notebook_encrypted_with_kms, notebook(encryption=None), Status.ERROR),
    # training jobs
    (sagemaker.training_job_runs_in_vpc, job(), Status.PASS),
    (sagemaker.training_job_runs_in_vpc, job(subnet_ids=()), Status.FAIL),
    (sagemaker.training_job_runs_in_vpc, job(subnet_ids=None), Status.ERROR),
    (sagemaker.training_job_has_network_isolation, job(), Status.PASS),
    (sagemaker.training_job_has_network_isolation, job(network_isolation=False), Status.FAIL),
    (sagemaker.training_job_has_network_isolation, job(network_isolation=None), Status.ERROR),
    (sagemaker.training_job_encrypts_inter_container_traffic, job(), Status.PASS),
    (sagemaker.training_job_encrypts_inter_container_traffic, job(inter_container_encryption=False), Status.FAIL),
    (
        sagemaker.training_job_encrypts_inter_container_traffic,
        job(inter_container_encryption=False, instance_count=None),
        Status.FAIL,
    ),
    (
        sagemaker.training_job_encrypts_inter_container_traffic,
        job(inter_container_encryption=False, instance_count=1),
        None,
    ),
    (sagemaker.training_job_encrypts_inter_container_traffic, job(inter_container_encryption=None), Status.ERROR),
    (sagemaker.training_job_encrypts_volume_and_output_with_kms, job(), Status.PASS),
    (sagemaker.training_job_encrypts_volume_and_output_with_kms, job(volume_encryption=NO_KEY), Status.FAIL),
    (sagemaker.training_job_encrypts_volume_and_output_with_kms, job(output_encryption=AWS_MANAGED), Status.FAIL),
    (sagemaker.training_job_encrypts_volume_and_output_with_kms, job(volume_encryption=None), Status.ERROR),
    (sagemaker.training_job_encrypts_volume_and_output_with_kms, job(output_encryption=None), Status.ERROR),
    # models
    (sagemaker.model_has_network_isolation, model(), Status.PASS),
    (sagemaker.model_has_network_isolation, model(network_isolation=False), Status.FAIL),
    (sagemaker.model_has_network_isolation, model(network_isolation=None), Status.ERROR),
    (sagemaker.model_runs_in_vpc, model(), Status.PASS),
    (sagemaker.model_runs_in_vpc, model(subnet_ids=()), Status.FAIL),
    (sagemaker.model_runs_in_vpc, model(subnet_ids=None), Status.ERROR),
    # endpoint configs
    (sagemaker.endpoint_config_encrypted_with_kms, config(), Status.PASS),
    (sagemaker.endpoint_config_encrypted_with_kms, config(encryption=NO_KEY), Status.FAIL),
    (sagemaker.endpoint_config_encrypted_with_kms, config(encryption=None), Status.ERROR),
    (sagemaker.endpoint_config_has_multiple_instances, config(), Status.PASS),
    (sagemaker.endpoint_config_has_multiple_instances, config(variants=(instance_variant(), SERVERLESS)), Status.PASS),
    (
        sagemaker.endpoint_config_has_multiple_instances,
        config(variants=(instance_variant(), instance_variant("canary", 1))),
        Status.FAIL,
    ),
    (sagemaker.endpoint_config_has_multiple_instances, config(variants=(instance_variant(count=None),)), Status.FAIL),
    (sagemaker.endpoint_config_has_multiple_instances, config(variants=(SERVERLESS,)), None),
    (sagemaker.endpoint_config_has_multiple_instances, config(variants=None), Status.ERROR),
    (sagemaker.endpoint_config_data_capture_encrypted_with_kms, config(), Status.PASS),
    (
        sagemaker.endpoint_config_data_capture_encrypted_with_kms,
        config(data_capture=DataCapture(enabled=True, destination_s3_uri="s3://capture/")),
        Status.FAIL,
    ),
    (sagemaker.endpoint_config_data_capture_encrypted_with_kms, config(data_capture=DataCapture()), None),
    (sagemaker.endpoint_config_data_capture_encrypted_with_kms, config(data_capture=None), Status.ERROR),
]


@pytest.mark.parametrize(("check", "resource", "expected"), CASES, ids=lambda v: getattr(v, "__name__", ""))
def test_single_resource_checks(check: Any, resource: Any, expected: Status | None) -> None:
    result: Result = check(resource)
    assert result.status is expected, result.message
    assert result.message


def test_failures_carry_evidence() -> None:
    variants = (instance_variant(), instance_variant("canary", 1))
    assert sagemaker.endpoint_config_has_multiple_instances(config(variants=variants)).evidence == {
        "variants": [{"variant": "canary", "initial_instance_count": 1}]
    }
    result = sagemaker.training_job_encrypts_volume_and_output_with_kms(job(volume_encryption=NO_KEY))
    assert result.evidence == {
        "without_customer_managed_key": ["volume"],
        "volume_kms_key_id": None,
        "output_kms_key_id": KEY.kms_key_id,
    }
    assert sagemaker.notebook_encrypted_with_kms(notebook(encryption=AWS_MANAGED)).evidence == {
        "kms_key_id": "alias/aws/sagemaker"
    }


@pytest.mark.parametrize(
    ("key", "customer_managed"),
    [
        ("1234abcd-12ab-34cd-56ef-1234567890ab", True),
        (f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd", True),
        ("alias/ml-artifacts", True),
        (f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/ml-artifacts", True),
        ("alias/aws/sagemaker", False),
        (f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/aws/sagemaker", False),
        (None, False),
    ],
)
def test_customer_managed_keys(key: str | None, customer_managed: bool) -> None:
    assert KmsEncryption(kms_key_id=key).customer_managed is customer_managed


# ---------------------------------------------------------------------------------------------
# ai_vpc_has_private_endpoints
# ---------------------------------------------------------------------------------------------


def endpoint(service: str, kind: str, **fields: Any) -> VpcEndpoint:
    base: dict[str, Any] = {
        "uid": f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc-endpoint/vpce-{service}",
        "name": f"vpce-{service}",
        "account": ACCOUNT,
        "region": REGION,
        "vpc_id": "vpc-ml",
        "service_name": f"com.amazonaws.{REGION}.{service}",
        "endpoint_type": kind,
        "state": "available",
        "private_dns_enabled": kind == "Interface",
        "route_table_ids": ("rtb-main",) if kind == "Gateway" else (),
    }
    return VpcEndpoint(**(base | fields))


S3_GATEWAY = endpoint("s3", "Gateway")
API = endpoint("sagemaker.api", "Interface")
RUNTIME = endpoint("sagemaker.runtime", "Interface")
ALL_ENDPOINTS = (S3_GATEWAY, API, RUNTIME)
MAIN_TABLE = RouteTable(id="rtb-main", main=True)


def vpc(**fields: Any) -> Vpc:
    """A VPC with subnets a and b (both on the main route table) and every required endpoint."""
    base: dict[str, Any] = {
        "uid": f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/vpc-ml",
        "name": "vpc-ml",
        "account": ACCOUNT,
        "region": REGION,
        "vpc_id": "vpc-ml",
        "subnets": (Subnet(id="subnet-a"), Subnet(id="subnet-b")),
        "route_tables": (MAIN_TABLE,),
        "endpoints": ALL_ENDPOINTS,
    }
    return Vpc(**(base | fields))


def run(
    v: Vpc,
    notebooks: tuple[NotebookInstance, ...] = (),
    jobs: tuple[TrainingJob, ...] = (),
    models: tuple[Model, ...] = (),
    processing: tuple[ProcessingJob, ...] = (),
) -> Result:
    return sagemaker.ai_vpc_has_private_endpoints(v, notebooks, jobs, models, processing)


HOSTED = (notebook(),)
ELSEWHERE = (notebook("elsewhere", subnet_ids=("subnet-other",)),)


@pytest.mark.parametrize(
    ("case", "v", "notebooks", "jobs", "models", "expected"),
    [
        ("all endpoints, notebook hosted", vpc(), HOSTED, (), (), Status.PASS),
        ("all endpoints, training job hosted", vpc(), (), (job(subnet_ids=("subnet-b",)),), (), Status.PASS),
        ("all endpoints, model hosted", vpc(), (), (), (model(),), Status.PASS),
        ("FIPS interface endpoints", vpc(endpoints=(S3_GATEWAY, endpoint("sagemaker.api-fips", "Interface"),
                                                    endpoint("sagemaker.runtime-fips", "Interface"))),
         HOSTED, (), (), Status.PASS),
        ("no S3 gateway", vpc(endpoints=(API, RUNTIME)), HOSTED, (), (), Status.FAIL),
        ("S3 interface, not gateway", vpc(endpoints=(endpoint("s3", "Interface"), API, RUNTIME)), HOSTED, (), (),
         Status.FAIL),
        ("no runtime endpoint", vpc(endpoints=(S3_GATEWAY, API)), (), (job(),), (), Status.FAIL),
        ("no endpoints at all", vpc(endpoints=()), (), (), (model(),), Status.FAIL),
        ("private DNS off", vpc(endpoints=(S3_GATEWAY, API, endpoint("sagemaker.runtime", "Interface",
                                                                      private_dns_enabled=False))),
         HOSTED, (), (), Status.FAIL),
        ("endpoint rejected", vpc(endpoints=(S3_GATEWAY, API.model_copy(update={"state": "rejected"}), RUNTIME)),
         HOSTED, (), (), Status.FAIL),
        ("gateway not on the subnet's route table",
         vpc(route_tables=(MAIN_TABLE, RouteTable(id="rtb-a", subnet_ids=("subnet-a",)))), HOSTED, (), (),
         Status.FAIL),
        ("gateway on the subnet's explicit table",
         vpc(route_tables=(RouteTable(id="rtb-main", main=True), RouteTable(id="rtb-a", subnet_ids=("subnet-a",))),
             endpoints=(endpoint("s3", "Gateway", route_table_ids=("rtb-a",)), API, RUNTIME)),
         HOSTED, (), (), Status.PASS),
        ("hosts nothing", vpc(endpoints=()), ELSEWHERE, (job(subnet_ids=()),), (), None),
        ("hosts only in another region", vpc(endpoints=()), (notebook(region="eu-west-1"),), (), (), None),
        ("subnets unreadable", vpc(subnets=None), HOSTED, (), (), Status.ERROR),
        ("endpoints unreadable", vpc(endpoints=None), HOSTED, (), (), Status.ERROR),
        ("route tables unreadable", vpc(route_tables=None), HOSTED, (), (), Status.ERROR),
        ("private DNS unreadable", vpc(endpoints=(S3_GATEWAY, API.model_copy(update={"private_dns_enabled": None}),
                                                   RUNTIME)), HOSTED, (), (), Status.ERROR),
        ("endpoint state unreadable", vpc(endpoints=(S3_GATEWAY, API, RUNTIME.model_copy(update={"state": None}))),
         HOSTED, (), (), Status.ERROR),
        ("hosted resource unknown", vpc(endpoints=()), (notebook(subnet_ids=None),), (), (), Status.ERROR),
        ("a definite gap beats an unreadable one",
         vpc(endpoints=(API, RUNTIME.model_copy(update={"state": None}))), HOSTED, (), (), Status.FAIL),
        ("an undescribed resource does not hide a hosted one",
         vpc(endpoints=(API, RUNTIME)), (notebook(), notebook("x", subnet_ids=None)), (), (), Status.FAIL),
    ],
)  # fmt: skip
def test_ai_vpc_has_private_endpoints(
    case: str,
    v: Vpc,
    notebooks: tuple[NotebookInstance, ...],
    jobs: tuple[TrainingJob, ...],
    models: tuple[Model, ...],
    expected: Status | None,
) -> None:
    result = run(v, notebooks, jobs, models)
    assert result.status is expected, f"{case}: {result.message}"


def test_ai_vpc_counts_processing_jobs_as_hosted() -> None:
    hosted = (processing_job(subnet_ids=("subnet-b",)),)
    assert run(vpc(), processing=hosted).status is Status.PASS
    assert run(vpc(endpoints=(S3_GATEWAY, API)), processing=hosted).status is Status.FAIL
    assert run(vpc(endpoints=()), processing=(processing_job(subnet_ids=None),)).status is Status.ERROR


def test_ai_vpc_evidence_names_the_gaps_and_the_hosted_resources() -> None:
    v = vpc(
        route_tables=(MAIN_TABLE, RouteTable(id="rtb-b", subnet_ids=("subnet-b",))),
        endpoints=(S3_GATEWAY, endpoint("sagemaker.api", "Interface", private_dns_enabled=False)),
    )
    result = run(v, HOSTED, (job(subnet_ids=("subnet-b",)),), (model(subnet_ids=("subnet-z",)),))
    assert result.status is Status.FAIL
    assert result.evidence == {
        "missing": ["sagemaker.runtime (Interface)"],
        "private_dns_disabled": [{"service": "sagemaker.api", "endpoints": [API.uid]}],
        "s3_gateway_not_routed_for_subnets": ["subnet-b"],
        "hosted": [
            {"type": "aws.sagemaker.notebook_instance", "name": "nb", "uid": notebook().uid},
            {"type": "aws.sagemaker.training_job", "name": "job", "uid": job().uid},
        ],
        "hosted_count": 2,
    }
    assert result.message.startswith("The VPC hosts 2 SageMaker resources but has no sagemaker.runtime")
    assert "subnet-b" in result.message


def test_ai_vpc_evidence_names_endpoints_that_are_not_available() -> None:
    rejected = API.model_copy(update={"state": "rejected"})
    result = run(vpc(endpoints=(S3_GATEWAY, rejected, RUNTIME)), HOSTED)
    assert result.status is Status.FAIL
    assert result.evidence["missing"] == ["sagemaker.api (Interface)"]
    assert result.evidence["not_available"] == [{"service": "sagemaker.api", "endpoint": API.uid, "state": "rejected"}]
    assert result.message.startswith("The VPC hosts 1 SageMaker resource but")


def test_ai_vpc_evidence_is_bounded() -> None:
    jobs = tuple(job(f"job-{i:03}") for i in range(50))
    result = run(vpc(endpoints=()), (), jobs, ())
    assert result.status is Status.FAIL
    assert result.evidence["hosted_count"] == 50
    assert len(result.evidence["hosted"]) == sagemaker.EVIDENCE_LIMIT


# =============================================================================================
# The rest of the lifecycle
# =============================================================================================

ENV_SECRET = SecretFinding(source="Environment", key="HF_TOKEN", kind="Hugging Face Token")
SCRIPT_SECRET = SecretFinding(source="OnStart", line=4, kind="AWS Access Key")


def processing_job(name: str = "prep", region: str = REGION, **fields: Any) -> ProcessingJob:
    base: dict[str, Any] = {
        **_common("processing-job", name, region),
        "subnet_ids": ("subnet-a",),
        "security_group_ids": ("sg-1",),
        "network_isolation": True,
        "inter_container_encryption": True,
        "instance_count": 2,
        "volume_encryption": KEY,
        "output_encryption": KEY,
        "secrets": (),
    }
    return ProcessingJob(**(base | fields))


def lifecycle(**fields: Any) -> NotebookLifecycleConfig:
    base: dict[str, Any] = {**_common("notebook-instance-lifecycle-config", "lc", REGION), "secrets": ()}
    return NotebookLifecycleConfig(**(base | fields))


def vpc_container(**fields: Any) -> ModelContainer:
    return ModelContainer(**({"image": "img:1", "repository_access_mode": "Vpc"} | fields))


PACKAGE_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/fraud/3"


def feature_group(**fields: Any) -> FeatureGroup:
    base: dict[str, Any] = {
        **_common("feature-group", "customers", REGION),
        "offline_store": OfflineStore(enabled=True, s3_uri="s3://features/", encryption=KEY),
        "online_store": OnlineStore(enabled=True, storage_type="Standard", encryption=KEY),
    }
    return FeatureGroup(**(base | fields))


def domain(**fields: Any) -> Domain:
    base: dict[str, Any] = {
        **_common("domain", "studio", REGION),
        "domain_id": "d-123",
        "auth_mode": "SSO",
        "app_network_access_type": "VpcOnly",
        "encryption": KEY,
    }
    return Domain(**(base | fields))


def experiment(**fields: Any) -> InferenceExperiment:
    base: dict[str, Any] = {
        **_common("inference-experiment", "shadow", REGION),
        "encryption": KEY,
        "data_capture": CAPTURE_ON,
    }
    return InferenceExperiment(**(base | fields))


LIFECYCLE_CASES: list[tuple[Any, Any, Status | None]] = [
    # SageMaker.8
    (sagemaker.notebook_runs_on_supported_platform, notebook(platform_identifier="notebook-al2023-v1"), Status.PASS),
    (sagemaker.notebook_runs_on_supported_platform, notebook(platform_identifier="notebook-al2-v2"), Status.FAIL),
    (sagemaker.notebook_runs_on_supported_platform, notebook(platform_identifier="notebook-al1-v1"), Status.FAIL),
    (sagemaker.notebook_runs_on_supported_platform, notebook(platform_identifier=None), Status.ERROR),
    # secrets
    (sagemaker.notebook_lifecycle_config_has_no_secrets, lifecycle(), Status.PASS),
    (sagemaker.notebook_lifecycle_config_has_no_secrets, lifecycle(secrets=(SCRIPT_SECRET,)), Status.FAIL),
    (sagemaker.notebook_lifecycle_config_has_no_secrets, lifecycle(secrets=None), Status.ERROR),
    (sagemaker.training_job_has_no_secrets_in_configuration, job(secrets=()), Status.PASS),
    (sagemaker.training_job_has_no_secrets_in_configuration, job(secrets=(ENV_SECRET,)), Status.FAIL),
    (sagemaker.training_job_has_no_secrets_in_configuration, job(secrets=None), Status.ERROR),
    (sagemaker.processing_job_has_no_secrets_in_environment, processing_job(), Status.PASS),
    (sagemaker.processing_job_has_no_secrets_in_environment, processing_job(secrets=(ENV_SECRET,)), Status.FAIL),
    (sagemaker.processing_job_has_no_secrets_in_environment, processing_job(secrets=None), Status.ERROR),
    (sagemaker.model_has_no_secrets_in_environment, model(secrets=()), Status.PASS),
    (sagemaker.model_has_no_secrets_in_environment, model(secrets=(ENV_SECRET,)), Status.FAIL),
    (sagemaker.model_has_no_secrets_in_environment, model(secrets=None), Status.ERROR),
    # processing jobs
    (sagemaker.processing_job_has_network_isolation, processing_job(), Status.PASS),
    (sagemaker.processing_job_has_network_isolation, processing_job(network_isolation=False), Status.FAIL),
    (sagemaker.processing_job_has_network_isolation, processing_job(network_isolation=None), Status.ERROR),
    (sagemaker.processing_job_encrypts_inter_container_traffic, processing_job(), Status.PASS),
    (
        sagemaker.processing_job_encrypts_inter_container_traffic,
        processing_job(inter_container_encryption=False),
        Status.FAIL,
    ),
    (
        sagemaker.processing_job_encrypts_inter_container_traffic,
        processing_job(inter_container_encryption=False, instance_count=1),
        None,
    ),
    (
        sagemaker.processing_job_encrypts_inter_container_traffic,
        processing_job(inter_container_encryption=None),
        Status.ERROR,
    ),
    (sagemaker.processing_job_runs_in_vpc, processing_job(), Status.PASS),
    (sagemaker.processing_job_runs_in_vpc, processing_job(subnet_ids=()), Status.FAIL),
    (sagemaker.processing_job_runs_in_vpc, processing_job(subnet_ids=None), Status.ERROR),
    (sagemaker.processing_job_encrypts_volume_and_output_with_kms, processing_job(), Status.PASS),
    (
        sagemaker.processing_job_encrypts_volume_and_output_with_kms,
        processing_job(output_encryption=NO_KEY),
        Status.FAIL,
    ),
    (
        sagemaker.processing_job_encrypts_volume_and_output_with_kms,
        processing_job(volume_encryption=AWS_MANAGED),
        Status.FAIL,
    ),
    (
        sagemaker.processing_job_encrypts_volume_and_output_with_kms,
        processing_job(volume_encryption=None),
        Status.ERROR,
    ),
    # SageMaker.16 / .19
    (
        sagemaker.model_primary_container_uses_private_registry,
        model(containers=(vpc_container(primary=True),)),
        Status.PASS,
    ),
    (
        sagemaker.model_primary_container_uses_private_registry,
        model(containers=(vpc_container(primary=True, repository_access_mode="Platform"),)),
        Status.FAIL,
    ),
    (
        sagemaker.model_primary_container_uses_private_registry,
        model(containers=(vpc_container(primary=True, repository_access_mode=None),)),  # no ImageConfig
        Status.FAIL,
    ),
    (sagemaker.model_primary_container_uses_private_registry, model(containers=(vpc_container(),)), None),
    (sagemaker.model_primary_container_uses_private_registry, model(containers=None), Status.ERROR),
    (
        sagemaker.model_containers_use_private_registry,
        model(containers=(vpc_container(), vpc_container(image="img:2"))),
        Status.PASS,
    ),
    (
        sagemaker.model_containers_use_private_registry,
        model(containers=(vpc_container(), vpc_container(repository_access_mode=None))),
        Status.FAIL,
    ),
    (sagemaker.model_containers_use_private_registry, model(containers=(vpc_container(primary=True),)), None),
    (sagemaker.model_containers_use_private_registry, model(containers=None), Status.ERROR),
    # model registry in use
    (
        sagemaker.model_comes_from_model_registry,
        model(containers=(ModelContainer(model_package_name=PACKAGE_ARN, primary=True),)),
        Status.PASS,
    ),
    (sagemaker.model_comes_from_model_registry, model(containers=(vpc_container(primary=True),)), Status.FAIL),
    (
        sagemaker.model_comes_from_model_registry,
        model(containers=(ModelContainer(model_package_name=PACKAGE_ARN), vpc_container())),
        Status.FAIL,
    ),
    (sagemaker.model_comes_from_model_registry, model(containers=None), Status.ERROR),
    # SageMaker.17 / .18
    (sagemaker.feature_group_offline_store_encrypted_with_kms, feature_group(), Status.PASS),
    (
        sagemaker.feature_group_offline_store_encrypted_with_kms,
        feature_group(offline_store=OfflineStore(enabled=True, s3_uri="s3://features/")),
        Status.FAIL,
    ),
    (sagemaker.feature_group_offline_store_encrypted_with_kms, feature_group(offline_store=OfflineStore()), None),
    (sagemaker.feature_group_offline_store_encrypted_with_kms, feature_group(offline_store=None), Status.ERROR),
    (sagemaker.feature_group_online_store_encrypted_with_kms, feature_group(), Status.PASS),
    (
        sagemaker.feature_group_online_store_encrypted_with_kms,
        feature_group(online_store=OnlineStore(enabled=True)),  # storage type not reported: Standard
        Status.FAIL,
    ),
    (
        sagemaker.feature_group_online_store_encrypted_with_kms,
        feature_group(online_store=OnlineStore(enabled=True, storage_type="InMemory")),
        None,
    ),
    (sagemaker.feature_group_online_store_encrypted_with_kms, feature_group(online_store=OnlineStore()), None),
    (sagemaker.feature_group_online_store_encrypted_with_kms, feature_group(online_store=None), Status.ERROR),
    # domains
    (sagemaker.domain_is_vpc_only, domain(), Status.PASS),
    (sagemaker.domain_is_vpc_only, domain(app_network_access_type="PublicInternetOnly"), Status.FAIL),
    (sagemaker.domain_is_vpc_only, domain(app_network_access_type=None), Status.ERROR),
    (sagemaker.domain_uses_sso, domain(), Status.PASS),
    (sagemaker.domain_uses_sso, domain(auth_mode="IAM"), Status.FAIL),
    (sagemaker.domain_uses_sso, domain(auth_mode=None), Status.ERROR),
    (sagemaker.domain_encrypted_with_kms, domain(), Status.PASS),
    (sagemaker.domain_encrypted_with_kms, domain(encryption=NO_KEY), Status.FAIL),
    (sagemaker.domain_encrypted_with_kms, domain(encryption=None), Status.ERROR),
    # SageMaker.23 / .24
    (sagemaker.inference_experiment_encrypts_instance_storage_with_kms, experiment(), Status.PASS),
    (sagemaker.inference_experiment_encrypts_instance_storage_with_kms, experiment(encryption=NO_KEY), Status.FAIL),
    (sagemaker.inference_experiment_encrypts_instance_storage_with_kms, experiment(encryption=None), Status.ERROR),
    (sagemaker.inference_experiment_encrypts_captured_data_with_kms, experiment(), Status.PASS),
    (
        sagemaker.inference_experiment_encrypts_captured_data_with_kms,
        experiment(data_capture=DataCapture(enabled=True, destination_s3_uri="s3://shadow/")),
        Status.FAIL,
    ),
    (sagemaker.inference_experiment_encrypts_captured_data_with_kms, experiment(data_capture=DataCapture()), None),
    (sagemaker.inference_experiment_encrypts_captured_data_with_kms, experiment(data_capture=None), Status.ERROR),
]


@pytest.mark.parametrize(("check", "resource", "expected"), LIFECYCLE_CASES, ids=lambda v: getattr(v, "__name__", ""))
def test_lifecycle_checks(check: Any, resource: Any, expected: Status | None) -> None:
    result: Result = check(resource)
    assert result.status is expected, result.message
    assert result.message


def test_secret_findings_name_the_place_and_kind_only() -> None:
    result = sagemaker.notebook_lifecycle_config_has_no_secrets(lifecycle(secrets=(SCRIPT_SECRET,)))
    assert result.evidence == {"secrets": [{"source": "OnStart", "line": 4, "kind": "AWS Access Key"}]}
    assert "OnStart line 4 (AWS Access Key)" in result.message
    result = sagemaker.training_job_has_no_secrets_in_configuration(job(secrets=(ENV_SECRET,)))
    assert result.evidence == {"secrets": [{"source": "Environment", "key": "HF_TOKEN", "kind": "Hugging Face Token"}]}


# ---------------------------------------------------------------------------------------------
# model_uses_approved_model_packages
# ---------------------------------------------------------------------------------------------


def package(arn: str = PACKAGE_ARN, status: str | None = "Approved", account: str = ACCOUNT) -> ModelPackage:
    return ModelPackage(
        uid=arn,
        name="fraud/3",
        account=account,
        region=REGION,
        group_name="fraud",
        version=3,
        approval_status=status,
    )


def from_package(*refs: str) -> Model:
    return model(containers=tuple(ModelContainer(model_package_name=r, primary=i == 0) for i, r in enumerate(refs)))


OTHER_ACCOUNT_ARN = f"arn:aws:sagemaker:{REGION}:999988887777:model-package/central/7"


@pytest.mark.parametrize(
    ("case", "m", "packages", "expected"),
    [
        ("approved", from_package(PACKAGE_ARN), (package(),), Status.PASS),
        ("ARN case differs", from_package(PACKAGE_ARN.replace("fraud", "Fraud")), (package(),), Status.PASS),
        ("pending", from_package(PACKAGE_ARN), (package(status="PendingManualApproval"),), Status.FAIL),
        ("rejected after deployment", from_package(PACKAGE_ARN), (package(status="Rejected"),), Status.FAIL),
        ("a rejected one beats an unknown one", from_package(PACKAGE_ARN, OTHER_ACCOUNT_ARN),
         (package(status="Rejected"),), Status.FAIL),
        ("approval not reported", from_package(PACKAGE_ARN), (package(status=None),), Status.ERROR),
        ("package not found", from_package(PACKAGE_ARN), (), Status.ERROR),
        ("package of another account", from_package(OTHER_ACCOUNT_ARN), (), Status.ERROR),
        ("same ARN collected in another account does not count", from_package(PACKAGE_ARN),
         (package(account="999988887777"),), Status.ERROR),
        ("not from a package", model(containers=(vpc_container(primary=True),)), (package(),), None),
        ("model undescribed", model(containers=None), (package(),), Status.ERROR),
    ],
)  # fmt: skip
def test_model_uses_approved_model_packages(
    case: str, m: Model, packages: tuple[ModelPackage, ...], expected: Status | None
) -> None:
    result = sagemaker.model_uses_approved_model_packages(m, packages)
    assert result.status is expected, f"{case}: {result.message}"


def test_unapproved_package_evidence() -> None:
    result = sagemaker.model_uses_approved_model_packages(from_package(PACKAGE_ARN), (package(status="Rejected"),))
    assert result.evidence == {"packages": [{"package": PACKAGE_ARN, "status": "Rejected"}]}


# ---------------------------------------------------------------------------------------------
# Model Monitor
# ---------------------------------------------------------------------------------------------


def schedule(name: str = "fraud-dq", **fields: Any) -> MonitoringSchedule:
    base: dict[str, Any] = {
        **_common("monitoring-schedule", name, REGION),
        "status": "Scheduled",
        "monitoring_type": "DataQuality",
        "endpoint_name": "fraud",
        "job": ScheduleJob(definition_name="fraud-dq-def"),
    }
    return MonitoringSchedule(**(base | fields))


def endpoint_(status: str | None = "InService", name: str = "fraud") -> Endpoint:
    return Endpoint(**_common("endpoint", name, REGION), status=status, endpoint_config_name="c")


SECURE_JOB = MonitoringJobConfig(network_isolation=True, inter_container_encryption=True, instance_count=2)
OPEN_JOB = MonitoringJobConfig(instance_count=2)


def definition(rtype: type[MonitoringJobDefinition], name: str = "fraud-dq-def", **fields: Any) -> Any:
    kind = rtype.resource_type.rsplit(".", 1)[1].replace("_", "-")
    base: dict[str, Any] = {**_common(kind, name, REGION), "endpoint_name": "fraud", "config": SECURE_JOB}
    return rtype(**(base | fields))


@pytest.mark.parametrize(
    ("case", "e", "schedules", "expected"),
    [
        ("a running schedule", endpoint_(), (schedule(),), Status.PASS),
        ("no schedule", endpoint_(), (), Status.FAIL),
        ("a stopped schedule", endpoint_(), (schedule(status="Stopped"),), Status.FAIL),
        ("a schedule for another endpoint", endpoint_(), (schedule(endpoint_name="other"),), Status.FAIL),
        ("a schedule in another region", endpoint_(), (schedule().model_copy(update={"region": "eu-west-1"}),),
         Status.FAIL),
        ("one of two running", endpoint_(), (schedule(status="Stopped"), schedule("b")), Status.PASS),
        ("endpoint not in service", endpoint_("Creating"), (), None),
        ("status unknown", endpoint_(None), (schedule(),), Status.ERROR),
    ],
)  # fmt: skip
def test_endpoint_has_model_monitoring(
    case: str, e: Endpoint, schedules: tuple[MonitoringSchedule, ...], expected: Status | None
) -> None:
    result = sagemaker.endpoint_has_model_monitoring(e, schedules)
    assert result.status is expected, f"{case}: {result.message}"


def test_endpoint_monitoring_evidence_lists_idle_schedules() -> None:
    result = sagemaker.endpoint_has_model_monitoring(endpoint_(), (schedule(status="Stopped"),))
    assert result.evidence == {"schedules": [{"schedule": "fraud-dq", "status": "Stopped"}]}


SCHEDULE_CHECKS = (
    (sagemaker.monitoring_schedule_has_network_isolation, {"network_isolation": False}),
    (sagemaker.monitoring_schedule_encrypts_inter_container_traffic, {"inter_container_encryption": False}),
)


def run_schedule(check: Any, s: MonitoringSchedule, *definitions: MonitoringJobDefinition) -> Result:
    def of(rtype: type[MonitoringJobDefinition]) -> list[Any]:
        return [d for d in definitions if isinstance(d, rtype)]

    return check(
        s,
        of(DataQualityJobDefinition),
        of(ModelQualityJobDefinition),
        of(ModelBiasJobDefinition),
        of(ModelExplainabilityJobDefinition),
    )


@pytest.mark.parametrize(("check", "weakness"), SCHEDULE_CHECKS, ids=lambda v: getattr(v, "__name__", ""))
@pytest.mark.parametrize(
    ("case", "s", "definitions", "expected"),
    [
        ("by name, secure", schedule(), (definition(DataQualityJobDefinition),), Status.PASS),
        ("by name, open", schedule(), (definition(DataQualityJobDefinition, config=OPEN_JOB),), Status.FAIL),
        ("embedded, secure", schedule(job=ScheduleJob(inline=SECURE_JOB)), (), Status.PASS),
        ("embedded, open", schedule(job=ScheduleJob(inline=OPEN_JOB)), (), Status.FAIL),
        ("model bias by name", schedule(monitoring_type="ModelBias"),
         (definition(DataQualityJobDefinition, config=OPEN_JOB), definition(ModelBiasJobDefinition)), Status.PASS),
        ("type not reported: data quality", schedule(monitoring_type=None),
         (definition(DataQualityJobDefinition, config=OPEN_JOB),), Status.FAIL),
        ("definition of another kind only", schedule(), (definition(ModelQualityJobDefinition),), Status.ERROR),
        ("definition not found", schedule(), (), Status.ERROR),
        ("definition undescribed", schedule(), (definition(DataQualityJobDefinition, config=None),), Status.ERROR),
        ("schedule undescribed", schedule(job=None), (definition(DataQualityJobDefinition),), Status.ERROR),
    ],
)  # fmt: skip
def test_monitoring_schedule_checks(
    check: Any,
    weakness: dict[str, bool],
    case: str,
    s: MonitoringSchedule,
    definitions: tuple[MonitoringJobDefinition, ...],
    expected: Status,
) -> None:
    result = run_schedule(check, s, *definitions)
    assert result.status is expected, f"{case}: {result.message}"
    if expected is Status.FAIL:
        assert weakness.items() <= result.evidence.items()


DEFINITION_CHECKS = (
    (sagemaker.data_quality_job_definition_has_network_isolation, DataQualityJobDefinition),
    (sagemaker.data_quality_job_definition_encrypts_inter_container_traffic, DataQualityJobDefinition),
    (sagemaker.model_quality_job_definition_has_network_isolation, ModelQualityJobDefinition),
    (sagemaker.model_quality_job_definition_encrypts_inter_container_traffic, ModelQualityJobDefinition),
    (sagemaker.model_bias_job_definition_has_network_isolation, ModelBiasJobDefinition),
    (sagemaker.model_bias_job_definition_encrypts_inter_container_traffic, ModelBiasJobDefinition),
    (sagemaker.model_explainability_job_definition_has_network_isolation, ModelExplainabilityJobDefinition),
    (
        sagemaker.model_explainability_job_definition_encrypts_inter_container_traffic,
        ModelExplainabilityJobDefinition,
    ),
)


@pytest.mark.parametrize(("check", "rtype"), DEFINITION_CHECKS, ids=lambda v: getattr(v, "__name__", ""))
def test_job_definition_checks(check: Any, rtype: type[MonitoringJobDefinition]) -> None:
    used_by = schedule(monitoring_type=rtype.monitoring_type)
    assert check(definition(rtype), [used_by]).status is Status.PASS
    failing = check(definition(rtype, config=OPEN_JOB), [used_by])
    assert failing.status is Status.FAIL
    assert failing.evidence["scheduled_by"] == [{"schedule": "fraud-dq", "status": "Scheduled"}]
    assert check(definition(rtype, config=OPEN_JOB), []).status is Status.FAIL  # unused definitions too
    assert check(definition(rtype, config=None), [used_by]).status is Status.ERROR


@pytest.mark.parametrize(
    ("check", "exempt"),
    [
        (sagemaker.data_quality_job_definition_encrypts_inter_container_traffic, False),  # SageMaker.9
        (sagemaker.model_quality_job_definition_encrypts_inter_container_traffic, False),  # SageMaker.13
        (sagemaker.model_explainability_job_definition_encrypts_inter_container_traffic, False),  # SageMaker.10
        (sagemaker.model_bias_job_definition_encrypts_inter_container_traffic, True),  # SageMaker.15
    ],
    ids=lambda v: getattr(v, "__name__", str(v)),
)
def test_only_model_bias_exempts_single_instance_definitions(check: Any, exempt: bool) -> None:
    rtype = next(t for c, t in DEFINITION_CHECKS if c is check)
    single = definition(rtype, config=MonitoringJobConfig(instance_count=1))
    assert check(single, []).status is (None if exempt else Status.FAIL)
    unknown_count = definition(rtype, config=MonitoringJobConfig(instance_count=None))
    assert check(unknown_count, []).status is Status.FAIL


def test_scheduled_by_matches_name_type_and_region() -> None:
    dq = definition(DataQualityJobDefinition, config=OPEN_JOB)
    schedules = [
        schedule("runs-it"),
        schedule("other-type", monitoring_type="ModelQuality"),
        schedule("other-name", job=ScheduleJob(definition_name="else")),
        schedule("embedded", job=ScheduleJob(inline=SECURE_JOB)),
        schedule("undescribed", job=None),
        schedule("elsewhere").model_copy(update={"region": "eu-west-1"}),
    ]
    result = sagemaker.data_quality_job_definition_has_network_isolation(dq, schedules)
    assert result.evidence["scheduled_by"] == [{"schedule": "runs-it", "status": "Scheduled"}]


# ---------------------------------------------------------------------------------------------
# ai_vpc_has_ecr_endpoints
# ---------------------------------------------------------------------------------------------

PRIVATE_IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/acme-ml/training:2.3.0"
PUBLIC_IMAGE = "public.ecr.aws/docker/library/python:3.11"
ECR_API = endpoint("ecr.api", "Interface")
ECR_DKR = endpoint("ecr.dkr", "Interface")
WITH_ECR = (*ALL_ENDPOINTS, ECR_API, ECR_DKR)


def pulls_private(**fields: Any) -> TrainingJob:
    """A training job that pulls an ECR image through its VPC (TrainingRepositoryAccessMode=Vpc)."""
    return job(**({"training_image": PRIVATE_IMAGE, "training_repository_access_mode": "Vpc"} | fields))


# The SageMaker Developer Guide's own example (train-vpc.html): a training job in a private VPC
# with a private ECR image and the default access mode. "You don't need to specify the subnet for
# the container of the training job. SageMaker automatically pulls the training container image
# from Amazon ECR": the pull does not go through the VPC, so a VPC without ECR endpoints is fine.
DOCUMENTED_TRAINING_JOB = job(training_image=PRIVATE_IMAGE, training_repository_access_mode="Platform")
PLATFORM_MODEL = model(containers=(ModelContainer(image=PRIVATE_IMAGE, primary=True),))  # no ImageConfig


@pytest.mark.parametrize(
    ("case", "v", "jobs", "models", "expected"),
    [
        ("both endpoints, job pulls ECR through the VPC", vpc(endpoints=WITH_ECR), (pulls_private(),), (), Status.PASS),
        (
            "model container pulls ECR through the VPC",
            vpc(endpoints=WITH_ECR),
            (),
            (model(containers=(vpc_container(image=PRIVATE_IMAGE),)),),
            Status.PASS,
        ),
        ("no ecr.dkr", vpc(endpoints=(*ALL_ENDPOINTS, ECR_API)), (pulls_private(),), (), Status.FAIL),
        ("no ECR endpoints", vpc(), (pulls_private(),), (), Status.FAIL),
        (
            "private DNS off",
            vpc(endpoints=(*ALL_ENDPOINTS, ECR_API, endpoint("ecr.dkr", "Interface", private_dns_enabled=False))),
            (pulls_private(),),
            (),
            Status.FAIL,
        ),
        ("documented example: ECR image, Platform, no ECR endpoints", vpc(), (DOCUMENTED_TRAINING_JOB,), (), None),
        ("model without ImageConfig, no ECR endpoints", vpc(), (), (PLATFORM_MODEL,), None),
        ("model with ImageConfig Platform", vpc(), (), (model(containers=(vpc_container(image=PRIVATE_IMAGE,
                                                                   repository_access_mode="Platform"),)),), None),
        ("Vpc mode, registry is not ECR", vpc(), (job(training_image="registry.corp.example/ml/train:1",
                                                      training_repository_access_mode="Vpc"),), (), None),
        ("only a public image", vpc(), (job(training_image=PUBLIC_IMAGE, training_repository_access_mode="Vpc"),), (),
         None),
        ("job elsewhere", vpc(), (pulls_private(subnet_ids=("subnet-other",)),), (), None),
        ("subnets unreadable", vpc(subnets=None), (pulls_private(),), (), Status.ERROR),
        ("endpoints unreadable", vpc(endpoints=None), (pulls_private(),), (), Status.ERROR),
        ("job undescribed", vpc(), (pulls_private(subnet_ids=None, training_repository_access_mode=None),), (),
         Status.ERROR),
        (
            "private DNS unreadable",
            vpc(endpoints=(*ALL_ENDPOINTS, ECR_API, endpoint("ecr.dkr", "Interface", private_dns_enabled=None))),
            (pulls_private(),),
            (),
            Status.ERROR,
        ),
    ],
)  # fmt: skip
def test_ai_vpc_has_ecr_endpoints(
    case: str,
    v: Vpc,
    jobs: tuple[TrainingJob, ...],
    models: tuple[Model, ...],
    expected: Status | None,
) -> None:
    result = sagemaker.ai_vpc_has_ecr_endpoints(v, jobs, models)
    assert result.status is expected, f"{case}: {result.message}"
    if expected is Status.FAIL:
        assert result.evidence["hosted_count"] >= 1
        assert result.evidence.get("missing") or result.evidence.get("private_dns_disabled")


def test_documented_training_job_in_a_private_vpc_is_not_a_failure() -> None:
    """Regression (issue 19): a private VPC whose training job and model run private ECR images
    in the default access mode, with the S3 and SageMaker endpoints but no ECR endpoints."""
    result = sagemaker.ai_vpc_has_ecr_endpoints(vpc(), (DOCUMENTED_TRAINING_JOB,), (PLATFORM_MODEL,))
    assert result.status is None
    assert "Platform" in result.message


# ---------------------------------------------------------------------------------------------
# model_artifact_is_free_of_unsafe_code, model_artifact_uses_safe_format (--inspect-artifacts)
# ---------------------------------------------------------------------------------------------

ART_URI = "s3://ml-models/fraud/model.tar.gz"
PKG_URI = "s3://ml-models/registry/model.safetensors"
SYSTEM = ImportFound(module="posix", name="system", member="fraud/model.tar.gz!model.pth")


def artifact(uri: str = ART_URI, **fields: Any) -> S3ModelArtifact:
    """A safetensors artifact read whole; override fields per case."""
    bucket, _, key = uri[len("s3://") :].partition("/")
    base: dict[str, Any] = {
        "uid": f"arn:aws:s3:::{bucket}/{key}",
        "name": uri,
        "account": ACCOUNT,
        "uri": uri,
        "sha256": "ab" * 32,
        "format": "tar.gz",
        "members": ((f"{key}!model.safetensors", "safetensors"),),
        "dangerous": (),
        "scanners": {"picklescan": "1.0.5"},
    }
    return S3ModelArtifact(**(base | fields))


def loading(*urls: str | None) -> Model:
    return model(
        containers=tuple(ModelContainer(image="i", model_data_url=u, primary=i == 0) for i, u in enumerate(urls))
    )


def packaged_with(url: str) -> ModelPackage:
    return package().model_copy(update={"containers": (PackageContainer(image="i", model_data_url=url),)})


PICKLED = artifact(members=(("fraud/model.tar.gz!model.pth", "pickle"),), dangerous=())
UNSAFE = artifact(members=(("fraud/model.tar.gz!model.pth", "pickle"),), dangerous=(SYSTEM,))
DENIED = artifact(sha256=None, format=None, members=(), dangerous=None, error="HeadObject failed (see errors)")
BOMB = artifact(members=(), dangerous=(), problems=("fraud/model.tar.gz: decompression bomb? inspection stopped",))
TOO_BIG_PICKLE = artifact(sha256=None, format="pickle", members=(), dangerous=None, error="not inspected: 9 GB")
UNRECOGNISED = artifact(format="unknown", members=(), dangerous=())

ARTIFACT_CASES = [
    # (case, model, packages, artifacts, unsafe-code status, safe-format status); None: no finding
    ("safetensors", loading(ART_URI), (), (artifact(),), Status.PASS, Status.PASS),
    ("pickle without dangerous imports", loading(ART_URI), (), (PICKLED,), Status.PASS, Status.FAIL),
    ("pickle importing os.system", loading(ART_URI), (), (UNSAFE,), Status.FAIL, Status.FAIL),
    ("a bomb stopped before a verdict", loading(ART_URI), (), (BOMB,), Status.ERROR, Status.ERROR),
    ("denied", loading(ART_URI), (), (DENIED,), Status.ERROR, Status.ERROR),
    ("over budget, first bytes a pickle", loading(ART_URI), (), (TOO_BIG_PICKLE,), Status.ERROR, Status.FAIL),
    ("no model file recognised", loading(ART_URI), (), (UNRECOGNISED,), Status.ERROR, Status.ERROR),
    ("not inspected", loading(ART_URI), (), (), Status.ERROR, Status.ERROR),
    ("one unsafe of two", loading(ART_URI, PKG_URI), (), (artifact(PKG_URI), UNSAFE), Status.FAIL, Status.FAIL),
    ("no artifact", loading(None), (), (), None, None),
    ("unreadable model", model(containers=None), (), (artifact(),), Status.ERROR, Status.ERROR),
    ("from a package", from_package(PACKAGE_ARN), (packaged_with(PKG_URI),), (artifact(PKG_URI),), Status.PASS,
     Status.PASS),
    ("package not collected", from_package(PACKAGE_ARN), (), (artifact(PKG_URI),), Status.ERROR, Status.ERROR),
    ("package not described", from_package(PACKAGE_ARN), (package(),), (artifact(PKG_URI),), Status.ERROR,
     Status.ERROR),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "m", "packages", "artifacts", "unsafe", "fmt"), ARTIFACT_CASES, ids=[c[0] for c in ARTIFACT_CASES]
)
def test_model_artifact_checks(
    case: str,
    m: Model,
    packages: tuple[ModelPackage, ...],
    artifacts: tuple[S3ModelArtifact, ...],
    unsafe: Status | None,
    fmt: Status | None,
) -> None:
    assert sagemaker.model_artifact_is_free_of_unsafe_code(m, packages, artifacts).status is unsafe
    assert sagemaker.model_artifact_uses_safe_format(m, packages, artifacts).status is fmt


def test_artifact_evidence_names_the_object_hash_format_imports_and_scanner() -> None:
    result = sagemaker.model_artifact_is_free_of_unsafe_code(loading(ART_URI), (), (UNSAFE,))
    assert result.message == "The model artifact imports posix.system when loaded."
    (item,) = result.evidence["artifacts"]
    assert item["uri"] == ART_URI and item["sha256"] == "ab" * 32 and item["format"] == "tar.gz"
    assert item["dangerous_imports"] == [SYSTEM.model_dump()]
    assert item["scanners"] == {"picklescan": "1.0.5"}
    reused = UNSAFE.model_copy(update={"reused_from": "scan-1"})
    result = sagemaker.model_artifact_uses_safe_format(loading(ART_URI), (), (reused,))
    assert result.evidence["artifacts"][0]["reused_from"] == "scan-1"


# ---------------------------------------------------------------------------------------------
# model_artifact_signature_verifies
# ---------------------------------------------------------------------------------------------


def signed(status: str | None, policy: str | None = "all", **fields: Any) -> S3ModelArtifact:
    signature = None if status is None else SignatureCheck(status=status, method="key", detail="why")
    return artifact(signing_policy=policy, signature=signature, **fields)


LIVE = Endpoint(**_common("endpoint", "prod", REGION), status="InService", endpoint_config_name="config")
DOWN = LIVE.model_copy(update={"status": "OutOfService"})
HOSTING = config(variants=(instance_variant(),))  # hosts "model"

SIGNATURE_CASES = [
    # (case, artifacts, endpoints, expected)
    ("verified", (signed("verified"),), (), Status.PASS),
    ("does not verify", (signed("invalid"),), (), Status.FAIL),
    ("absent under 'all'", (signed("absent"),), (), Status.FAIL),
    ("absent, no policy", (signed("absent", "none"),), (), None),
    ("absent under 'served', served", (signed("absent", "served"),), (LIVE,), Status.FAIL),
    ("absent under 'served', endpoint down", (signed("absent", "served"),), (DOWN,), None),
    ("unverifiable (keyless offline)", (signed("unverifiable"),), (), Status.ERROR),
    ("artifact unreadable under a policy", (signed(None, error="HeadObject failed (see errors)"),), (), Status.ERROR),
    ("signatures not looked at", (signed(None, None),), (), None),
    ("not inspected", (), (), Status.ERROR),
]


@pytest.mark.parametrize(
    ("case", "artifacts", "endpoints", "expected"), SIGNATURE_CASES, ids=[c[0] for c in SIGNATURE_CASES]
)
def test_model_artifact_signature_verifies(
    case: str, artifacts: tuple[S3ModelArtifact, ...], endpoints: tuple[Endpoint, ...], expected: Status | None
) -> None:
    result = sagemaker.model_artifact_signature_verifies(loading(ART_URI), (), artifacts, endpoints, (HOSTING,))
    assert result.status is expected, result.message
    if expected is not None and artifacts:
        assert result.evidence["artifacts"][0]["uri"] == ART_URI
