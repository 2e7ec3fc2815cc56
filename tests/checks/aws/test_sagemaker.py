"""SageMaker checks: a table of (check, snapshot, expected status) per resource kind, and the
VPC private-endpoint check over hand-built VPC snapshots."""

from __future__ import annotations

from typing import Any

import pytest

from cspm.checks.aws import sagemaker
from cspm.models import Result, Status
from cspm.resources.aws.ec2 import RouteTable, Subnet, Vpc, VpcEndpoint
from cspm.resources.aws.sagemaker import (
    DataCapture,
    EndpointConfig,
    KmsEncryption,
    Model,
    NotebookInstance,
    ProductionVariant,
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
) -> Result:
    return sagemaker.ai_vpc_has_private_endpoints(v, notebooks, jobs, models)


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
