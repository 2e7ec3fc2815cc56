"""The SageMaker collector against moto (in-process mock_aws): snapshots and error handling.

moto gaps worked around here with ``patch_sagemaker`` (never in production code): a model's
EnableNetworkIsolation is hard-coded False, a training or processing job's Environment is never
stored, and a processing job's ProcessingResources neither. moto omits a notebook's RootAccess
when it was not set, which is also how the collector reads a real response without the field:
the documented default, Enabled. moto never returns a notebook's PlatformIdentifier or a feature
group's OnlineStoreConfig: those are covered by translation tests on recorded responses.

moto does not implement ListNotebookInstanceLifecycleConfigs, ListFeatureGroups,
ListMonitoringSchedules / DescribeMonitoringSchedule and ListInferenceExperiments /
DescribeInferenceExperiment (in process it raises NotImplementedError, which would abort the
whole SageMaker unit). The autouse ``canned`` fixture answers them on the scanner's own clients
with ``canned_response``: empty listings by default, or what a test puts in the dict.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from moto import mock_aws

import cspm.providers.aws as aws_provider
from cspm.providers.aws.context import ClientFactory, client_config
from cspm.providers.aws.sagemaker import (
    domain_from_api,
    endpoint_config_from_api,
    feature_group_from_api,
    inference_experiment_from_api,
    job_definition_builder,
    lifecycle_config_from_api,
    model_from_api,
    monitoring_schedule_from_api,
    notebook_from_api,
    training_job_from_api,
)
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
    ModelPackageGroup,
    ModelQualityJobDefinition,
    MonitoringJobConfig,
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
from support.aws import ACCOUNT, canned_response, collect_aws, one, patch_sagemaker

ALL_TYPES = (TrainingJob, NotebookInstance, Model, EndpointConfig, Endpoint)
ROLE = f"arn:aws:iam::{ACCOUNT}:role/sagemaker-execution"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
IMAGE = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/train:1.0"
SERVE_IMAGE = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/serve:1.0"


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


# (operation, region) -> canned response; (operation, None) answers every region.
Canned = dict[tuple[str, str | None], dict[str, Any]]
UNIMPLEMENTED_LISTINGS: dict[str, dict[str, Any]] = {
    "ListNotebookInstanceLifecycleConfigs": {"NotebookInstanceLifecycleConfigs": []},
    "ListFeatureGroups": {"FeatureGroupSummaries": []},
    "ListMonitoringSchedules": {"MonitoringScheduleSummaries": []},
    "ListInferenceExperiments": {"InferenceExperiments": []},
}


@pytest.fixture(autouse=True)
def canned(monkeypatch: pytest.MonkeyPatch) -> Canned:
    """Answers for the SageMaker operations moto lacks, registered on each sagemaker client the
    scanner creates. Tests add or replace entries before collecting."""
    responses: Canned = {(op, None): response for op, response in UNIMPLEMENTED_LISTINGS.items()}
    original = ClientFactory.client

    def client(self: ClientFactory, service: str, region: str) -> Any:
        created = original(self, service, region)
        if service == "sagemaker" and not getattr(created, "_canned", False):
            created._canned = True
            for operation in sorted({op for op, _ in responses}):
                response = responses.get((operation, region), responses.get((operation, None)))
                if response is not None:
                    canned_response(created, operation, response)
        return created

    monkeypatch.setattr(ClientFactory, "client", client)
    return responses


def _network(region: str) -> tuple[str, str]:
    ec2 = boto3.client("ec2", region_name=region)
    vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.8.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="ml", Description="ml", VpcId=vpc)["GroupId"]
    return subnet, group


def _training_job(sm: Any, name: str, **extra: Any) -> None:
    sm.create_training_job(
        TrainingJobName=name,
        AlgorithmSpecification=extra.pop(
            "AlgorithmSpecification", {"TrainingImage": IMAGE, "TrainingInputMode": "File"}
        ),
        RoleArn=ROLE,
        InputDataConfig=[
            {
                "ChannelName": "train",
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://ml-data/train/"}},
            },
            {
                "ChannelName": "validation",
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://ml-data/validation/"}},
            },
        ],
        OutputDataConfig=extra.pop("OutputDataConfig", {"S3OutputPath": "s3://ml-artifacts/"}),
        ResourceConfig=extra.pop(
            "ResourceConfig", {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10}
        ),
        StoppingCondition={"MaxRuntimeInSeconds": 3600},
        **extra,
    )


def _seed_us_east_1() -> dict[str, str]:
    subnet, group = _network("us-east-1")
    sm = boto3.client("sagemaker", region_name="us-east-1")
    _training_job(
        sm,
        "hardened-job",
        OutputDataConfig={"S3OutputPath": "s3://ml-artifacts/", "KmsKeyId": KEY},
        ResourceConfig={
            "InstanceType": "ml.m5.large",
            "InstanceCount": 2,
            "VolumeSizeInGB": 10,
            "VolumeKmsKeyId": KEY,
        },
        VpcConfig={"SecurityGroupIds": [group], "Subnets": [subnet]},
        EnableNetworkIsolation=True,
        EnableInterContainerTrafficEncryption=True,
    )
    _training_job(sm, "default-job")
    patch_sagemaker("us-east-1", "training_jobs", "default-job", environment={"HF_TOKEN": "hf_x", "EPOCHS": "3"})

    sm.create_notebook_instance(
        NotebookInstanceName="hardened-notebook",
        InstanceType="ml.t3.medium",
        RoleArn=ROLE,
        SubnetId=subnet,
        SecurityGroupIds=[group],
        KmsKeyId=KEY,
        DirectInternetAccess="Disabled",
        RootAccess="Disabled",
    )
    sm.create_notebook_instance(NotebookInstanceName="default-notebook", InstanceType="ml.t3.medium", RoleArn=ROLE)

    sm.create_model(
        ModelName="vpc-model",
        ExecutionRoleArn=ROLE,
        PrimaryContainer={
            "Image": SERVE_IMAGE,
            "ModelDataUrl": "s3://ml-artifacts/hardened-job/output/model.tar.gz",
            "ImageConfig": {"RepositoryAccessMode": "Vpc"},
        },
        VpcConfig={"SecurityGroupIds": [group], "Subnets": [subnet]},
    )
    patch_sagemaker("us-east-1", "_models", "vpc-model", enable_network_isolation=True)
    sm.create_model(ModelName="open-model", ExecutionRoleArn=ROLE, Containers=[{"Image": SERVE_IMAGE}])

    sm.create_endpoint_config(
        EndpointConfigName="hardened-config",
        KmsKeyId=KEY,
        ProductionVariants=[
            {"VariantName": "main", "ModelName": "vpc-model", "InstanceType": "ml.m5.large", "InitialInstanceCount": 2}
        ],
        DataCaptureConfig={
            "EnableCapture": True,
            "InitialSamplingPercentage": 20,
            "DestinationS3Uri": "s3://ml-capture/",
            "KmsKeyId": KEY,
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        },
    )
    sm.create_endpoint_config(
        EndpointConfigName="serverless-config",
        ProductionVariants=[
            {
                "VariantName": "main",
                "ModelName": "open-model",
                "ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 2},
            }
        ],
    )
    sm.create_endpoint(EndpointName="fraud", EndpointConfigName="hardened-config")
    return {"subnet": subnet, "group": group}


def test_snapshots_in_two_regions(aws: None) -> None:
    network = _seed_us_east_1()
    eu = boto3.client("sagemaker", region_name="eu-west-1")
    _training_job(eu, "eu-job")
    eu.create_notebook_instance(
        NotebookInstanceName="eu-notebook", InstanceType="ml.t3.medium", RoleArn=ROLE, RootAccess="Disabled"
    )
    patch_sagemaker("eu-west-1", "notebook_instances", "eu-notebook", root_access="Enabled")

    inventory = collect_aws(*ALL_TYPES, regions=("us-east-1", "eu-west-1"))

    assert not inventory.errors
    assert inventory.complete
    hardened = one(inventory, TrainingJob, "hardened-job")
    assert hardened.uid == f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:training-job/hardened-job"
    assert hardened.region == "us-east-1" and hardened.status == "Completed" and hardened.created_at is not None
    assert hardened.subnet_ids == (network["subnet"],) and hardened.security_group_ids == (network["group"],)
    assert hardened.network_isolation is True and hardened.inter_container_encryption is True
    assert hardened.instance_count == 2
    assert hardened.volume_encryption == KmsEncryption(kms_key_id=KEY)
    assert hardened.output_encryption == KmsEncryption(kms_key_id=KEY)
    assert hardened.role_arn == ROLE and hardened.training_image == IMAGE and hardened.algorithm_name is None
    assert hardened.input_s3_uris == ("s3://ml-data/train/", "s3://ml-data/validation/")
    assert hardened.output_s3_path == "s3://ml-artifacts/"
    assert hardened.model_artifacts_s3_uri == "s3://ml-artifacts/hardened-job/output/model.tar.gz"
    assert hardened.environment_keys == ()

    default = one(inventory, TrainingJob, "default-job")
    assert default.subnet_ids == () and default.security_group_ids == ()
    assert default.network_isolation is False and default.inter_container_encryption is False
    assert default.volume_encryption == KmsEncryption() and default.output_encryption == KmsEncryption()
    assert default.environment_keys == ("EPOCHS", "HF_TOKEN")  # names only, never values
    # No TrainingImageConfig: SageMaker pulls the image itself (train-vpc.html), access mode Platform.
    assert hardened.training_repository_access_mode == "Platform"
    assert default.training_repository_access_mode == "Platform"

    nb = one(inventory, NotebookInstance, "hardened-notebook")
    assert nb.uid == f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:notebook-instance/hardened-notebook"
    assert nb.direct_internet_access is False and nb.root_access is False
    assert nb.subnet_ids == (network["subnet"],) and nb.security_group_ids == (network["group"],)
    assert nb.encryption == KmsEncryption(kms_key_id=KEY)
    assert nb.role_arn == ROLE and nb.instance_type == "ml.t3.medium" and nb.status == "InService"
    open_nb = one(inventory, NotebookInstance, "default-notebook")
    assert open_nb.direct_internet_access is True
    assert open_nb.root_access is True  # absent from the response: the documented default
    assert open_nb.subnet_ids == () and open_nb.security_group_ids == ()
    assert open_nb.encryption == KmsEncryption()

    vpc_model = one(inventory, Model, "vpc-model")
    assert vpc_model.network_isolation is True
    assert vpc_model.subnet_ids == (network["subnet"],) and vpc_model.security_group_ids == (network["group"],)
    assert vpc_model.execution_role_arn == ROLE
    assert vpc_model.containers == (
        ModelContainer(
            image=SERVE_IMAGE,
            model_data_url="s3://ml-artifacts/hardened-job/output/model.tar.gz",
            repository_access_mode="Vpc",
            primary=True,
        ),
    )
    open_model = one(inventory, Model, "open-model")
    assert open_model.network_isolation is False and open_model.subnet_ids == ()
    assert open_model.containers == (ModelContainer(image=SERVE_IMAGE),)

    config = one(inventory, EndpointConfig, "hardened-config")
    assert config.encryption == KmsEncryption(kms_key_id=KEY)
    assert config.variants == (
        ProductionVariant(name="main", model_name="vpc-model", instance_type="ml.m5.large", initial_instance_count=2),
    )
    assert config.data_capture is not None and config.data_capture.enabled
    assert config.data_capture.destination_s3_uri == "s3://ml-capture/" and config.data_capture.kms_key_id == KEY
    assert config.data_capture.sampling_percentage == 20
    serverless = one(inventory, EndpointConfig, "serverless-config")
    assert serverless.encryption == KmsEncryption()
    assert serverless.variants is not None and serverless.variants[0].serverless
    assert serverless.variants[0].initial_instance_count is None
    assert serverless.data_capture is not None and not serverless.data_capture.enabled

    endpoint = one(inventory, Endpoint, "fraud")
    assert endpoint.endpoint_config_name == "hardened-config" and endpoint.status == "InService"
    assert endpoint.uid == f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/fraud"

    eu_job = one(inventory, TrainingJob, "eu-job")
    assert eu_job.region == "eu-west-1" and eu_job.uid.startswith("arn:aws:sagemaker:eu-west-1:")
    eu_nb = one(inventory, NotebookInstance, "eu-notebook")
    assert eu_nb.region == "eu-west-1" and eu_nb.root_access is True
    assert {r.region for r in inventory.of_type(Model)} == {"us-east-1"}


def _deny(monkeypatch: pytest.MonkeyPatch, operation: str) -> None:
    original = BaseClient._make_api_call

    def denied(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        if operation_name == operation:
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "denied"}}, operation_name)
        return original(self, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", denied)


def test_a_denied_describe_keeps_the_job_with_unknown_fields(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    _training_job(boto3.client("sagemaker", region_name="us-east-1"), "secret-job")
    _deny(monkeypatch, "DescribeTrainingJob")

    inventory = collect_aws(TrainingJob)

    job = one(inventory, TrainingJob, "secret-job")
    assert job.uid == f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:training-job/secret-job"
    assert job.status == "Completed" and job.created_at is not None  # from the listing
    for name in (
        "subnet_ids",
        "security_group_ids",
        "network_isolation",
        "inter_container_encryption",
        "volume_encryption",
        "output_encryption",
        "role_arn",
        "input_s3_uris",
        "environment_keys",
    ):
        assert getattr(job, name) is None, name
    assert [(e.service, e.region, e.operation, e.code) for e in inventory.errors] == [
        ("sagemaker", "us-east-1", "DescribeTrainingJob", "AccessDenied")
    ]
    assert not inventory.incomplete_scopes(TrainingJob)


def test_a_denied_listing_marks_models_incomplete(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    sm = boto3.client("sagemaker", region_name="us-east-1")
    sm.create_model(ModelName="m", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": SERVE_IMAGE})
    _training_job(sm, "still-listed")
    _deny(monkeypatch, "ListModels")

    inventory = collect_aws(Model, TrainingJob)

    assert inventory.of_type(Model) == []
    assert inventory.incomplete_scopes(Model) == [(ACCOUNT, "us-east-1", "ListModels failed: AccessDenied")]
    assert [e.operation for e in inventory.errors] == ["ListModels"]
    assert [j.name for j in inventory.of_type(TrainingJob)] == ["still-listed"]
    assert not inventory.incomplete_scopes(TrainingJob)


# ---------------------------------------------------------------------------------------------
# Translation of responses moto cannot produce
# ---------------------------------------------------------------------------------------------

BASE: dict[str, Any] = {"uid": "arn:x", "name": "x", "account": ACCOUNT, "region": "us-east-1", "created_at": None}


def test_training_repository_access_mode_is_collected(aws: None) -> None:
    """TrainingImageConfig.TrainingRepositoryAccessMode decides whether the image is pulled through
    the job's VPC. moto keeps the field as given (no patch needed)."""
    subnet, group = _network("us-east-1")
    sm = boto3.client("sagemaker", region_name="us-east-1")
    _training_job(
        sm,
        "registry-job",
        AlgorithmSpecification={
            "TrainingImage": "registry.corp.example/ml/train:1",
            "TrainingInputMode": "File",
            "TrainingImageConfig": {"TrainingRepositoryAccessMode": "Vpc"},
        },
        VpcConfig={"SecurityGroupIds": [group], "Subnets": [subnet]},
    )
    _training_job(
        sm,
        "explicit-platform-job",
        AlgorithmSpecification={
            "TrainingImage": IMAGE,
            "TrainingInputMode": "File",
            "TrainingImageConfig": {"TrainingRepositoryAccessMode": "Platform"},
        },
    )

    inventory = collect_aws(TrainingJob)

    assert not inventory.errors
    registry = one(inventory, TrainingJob, "registry-job")
    assert registry.training_repository_access_mode == "Vpc"
    assert registry.training_image == "registry.corp.example/ml/train:1"
    assert one(inventory, TrainingJob, "explicit-platform-job").training_repository_access_mode == "Platform"


def test_heterogeneous_cluster_and_algorithm_resource() -> None:
    raw = {
        "TrainingJobStatus": "InProgress",
        "RoleArn": ROLE,
        "AlgorithmSpecification": {"AlgorithmName": "arn:aws:sagemaker:us-east-1:123:algorithm/xgb"},
        "ResourceConfig": {
            "InstanceGroups": [{"InstanceCount": 2, "InstanceGroupName": "a"}, {"InstanceCount": 3}],
            "VolumeKmsKeyId": "alias/aws/sagemaker",
        },
        "OutputDataConfig": {"S3OutputPath": "s3://out/"},
        "InputDataConfig": [{"ChannelName": "fs", "DataSource": {"FileSystemDataSource": {"FileSystemId": "fs-1"}}}],
    }
    job = training_job_from_api({"TrainingJobStatus": "Completed"}, raw, BASE)
    assert job.status == "InProgress"  # Describe is fresher than the listing
    assert job.instance_count == 5
    assert job.training_image is None and job.algorithm_name == "arn:aws:sagemaker:us-east-1:123:algorithm/xgb"
    assert job.input_s3_uris == ()  # a file-system channel has no S3 URI
    assert job.training_repository_access_mode == "Platform"  # no TrainingImageConfig
    assert job.volume_encryption is not None and not job.volume_encryption.customer_managed


def test_data_capture_defaults_to_enabled_and_pipelines_keep_every_container() -> None:
    config = endpoint_config_from_api(
        {},
        {
            "ProductionVariants": [{"VariantName": "v", "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}],
            "DataCaptureConfig": {"DestinationS3Uri": "s3://capture/", "InitialSamplingPercentage": 5},
        },
        BASE,
    )
    assert config.data_capture is not None and config.data_capture.enabled
    assert config.data_capture.kms_key_id is None
    model = model_from_api(
        {},
        {
            "ModelName": "pipeline",
            "Containers": [
                {"Image": "a", "ImageConfig": {"RepositoryAccessMode": "Platform"}},
                {"ModelPackageName": "arn:aws:sagemaker:us-east-1:123:model-package/p/1"},
            ],
            "EnableNetworkIsolation": True,
        },
        BASE,
    )
    assert model.subnet_ids == () and model.network_isolation is True
    assert model.containers == (
        ModelContainer(image="a", repository_access_mode="Platform"),  # Containers[]: not primary
        ModelContainer(model_package_name="arn:aws:sagemaker:us-east-1:123:model-package/p/1"),
    )


def test_an_undescribed_notebook_keeps_its_listing_fields() -> None:
    nb = notebook_from_api({"NotebookInstanceStatus": "Stopped", "InstanceType": "ml.t3.medium"}, None, BASE)
    assert nb.status == "Stopped" and nb.instance_type == "ml.t3.medium"
    assert nb.direct_internet_access is None and nb.root_access is None and nb.subnet_ids is None
    assert nb.encryption is None


# =============================================================================================
# The rest of the lifecycle
# =============================================================================================

DATA_IMAGE = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/prep:1.0"
MONITOR_IMAGE = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
LIFECYCLE_SCRIPT = "#!/bin/bash\nset -e\npip install -q xgboost==2.0.3\nexport HF_TOKEN={token}\n"
CLEAN_SCRIPT = "#!/bin/bash\nsudo -u ec2-user -i conda install -y pandas\n"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _processing_job(sm: Any, name: str, **extra: Any) -> None:
    sm.create_processing_job(
        ProcessingJobName=name,
        RoleArn=ROLE,
        AppSpecification={"ImageUri": DATA_IMAGE},
        ProcessingResources={
            "ClusterConfig": {"InstanceCount": 2, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 10}
            | extra.pop("cluster", {})
        },
        ProcessingInputs=[
            {
                "InputName": "raw",
                "S3Input": {
                    "S3Uri": "s3://ml-raw/events/",
                    "LocalPath": "/opt/ml/processing/input",
                    "S3DataType": "S3Prefix",
                    "S3InputMode": "File",
                },
            }
        ],
        ProcessingOutputConfig={
            "Outputs": [
                {
                    "OutputName": "train",
                    "S3Output": {
                        "S3Uri": "s3://ml-data/train/",
                        "LocalPath": "/opt/ml/processing/train",
                        "S3UploadMode": "EndOfJob",
                    },
                }
            ]
        }
        | extra.pop("output", {}),
        StoppingCondition={"MaxRuntimeInSeconds": 3600},
        **extra,
    )


def _job_definition(sm: Any, rtype: type[Any], name: str, network: dict[str, Any]) -> None:
    prefix = rtype.monitoring_type
    snake = {"DataQuality": "data_quality", "ModelQuality": "model_quality", "ModelBias": "model_bias"}.get(
        prefix, "model_explainability"
    )
    app: dict[str, Any] = {"ImageUri": MONITOR_IMAGE}
    job_input: dict[str, Any] = {"EndpointInput": {"EndpointName": "fraud", "LocalPath": "/opt/ml/processing/input"}}
    if prefix in ("ModelBias", "ModelExplainability"):
        app["ConfigUri"] = "s3://ml-monitor/config.json"
    if prefix in ("ModelQuality", "ModelBias"):
        job_input["GroundTruthS3Input"] = {"S3Uri": "s3://ml-monitor/ground-truth/"}
    getattr(sm, f"create_{snake}_job_definition")(
        JobDefinitionName=name,
        RoleArn=ROLE,
        JobResources={"ClusterConfig": {"InstanceCount": 2, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 20}},
        NetworkConfig=network,
        **{
            f"{prefix}AppSpecification": app,
            f"{prefix}JobInput": job_input,
            f"{prefix}JobOutputConfig": {
                "MonitoringOutputs": [
                    {"S3Output": {"S3Uri": "s3://ml-monitor/reports/", "LocalPath": "/opt/ml/processing/output"}}
                ],
                "KmsKeyId": KEY,
            },
        },
    )


SCHEDULE_ARN = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:monitoring-schedule/fraud-data-quality"
EXPERIMENT_NAME = "fraud-shadow"


def _canned_monitoring_and_experiments(canned: Canned) -> None:
    """The schedule and the experiment moto cannot serve, in us-east-1 only."""
    canned[("ListMonitoringSchedules", "us-east-1")] = {
        "MonitoringScheduleSummaries": [
            {
                "MonitoringScheduleName": "fraud-data-quality",
                "MonitoringScheduleArn": SCHEDULE_ARN,
                "CreationTime": datetime(2026, 1, 5, tzinfo=UTC),
                "LastModifiedTime": datetime(2026, 1, 5, tzinfo=UTC),
                "MonitoringScheduleStatus": "Scheduled",
                "EndpointName": "fraud",
                "MonitoringJobDefinitionName": "dq-open",
                "MonitoringType": "DataQuality",
            }
        ]
    }
    canned[("DescribeMonitoringSchedule", "us-east-1")] = {
        "MonitoringScheduleArn": SCHEDULE_ARN,
        "MonitoringScheduleName": "fraud-data-quality",
        "MonitoringScheduleStatus": "Scheduled",
        "MonitoringType": "DataQuality",
        "CreationTime": datetime(2026, 1, 5, tzinfo=UTC),
        "LastModifiedTime": datetime(2026, 1, 5, tzinfo=UTC),
        "EndpointName": "fraud",
        "MonitoringScheduleConfig": {
            "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"},
            "MonitoringJobDefinitionName": "dq-open",
            "MonitoringType": "DataQuality",
        },
    }
    canned[("ListInferenceExperiments", "us-east-1")] = {
        "InferenceExperiments": [
            {
                "Name": EXPERIMENT_NAME,
                "Type": "ShadowMode",
                "Status": "Running",
                "CreationTime": datetime(2026, 2, 1, tzinfo=UTC),
                "LastModifiedTime": datetime(2026, 2, 1, tzinfo=UTC),
                "RoleArn": ROLE,
            }
        ]
    }
    canned[("DescribeInferenceExperiment", "us-east-1")] = {
        "Arn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:inference-experiment/{EXPERIMENT_NAME}",
        "Name": EXPERIMENT_NAME,
        "Type": "ShadowMode",
        "Status": "Running",
        "RoleArn": ROLE,
        "EndpointMetadata": {"EndpointName": "fraud"},
        "ModelVariants": [],
        "KmsKey": KEY,
        "DataStorageConfig": {"Destination": "s3://ml-shadow/"},
        "ShadowModeConfig": {"SourceModelVariantName": "main", "ShadowModelVariants": []},
    }


def _seed_lifecycle(canned: Canned) -> None:
    sm = boto3.client("sagemaker", region_name="us-east-1")
    _processing_job(
        sm,
        "prep-hardened",
        cluster={"VolumeKmsKeyId": KEY},
        output={"KmsKeyId": KEY},
        NetworkConfig={
            "EnableNetworkIsolation": True,
            "EnableInterContainerTrafficEncryption": True,
            "VpcConfig": {"SecurityGroupIds": ["sg-0ml"], "Subnets": ["subnet-0ml"]},
        },
    )
    # moto drops ProcessingResources (the instance count and the volume key).
    patch_sagemaker(
        "us-east-1",
        "processing_jobs",
        "prep-hardened",
        processing_resources={"ClusterConfig": {"InstanceCount": 2, "VolumeKmsKeyId": KEY}},
    )
    _processing_job(sm, "prep-default")

    sm.create_notebook_instance_lifecycle_config(
        NotebookInstanceLifecycleConfigName="install-packages",
        OnCreate=[{"Content": _b64(CLEAN_SCRIPT)}],
        OnStart=[{"Content": _b64(CLEAN_SCRIPT)}],
    )
    canned[("ListNotebookInstanceLifecycleConfigs", "us-east-1")] = {
        "NotebookInstanceLifecycleConfigs": [
            {
                "NotebookInstanceLifecycleConfigName": "install-packages",
                "NotebookInstanceLifecycleConfigArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:"
                "notebook-instance-lifecycle-config/install-packages",
                "CreationTime": datetime(2026, 1, 1, tzinfo=UTC),
                "LastModifiedTime": datetime(2026, 1, 2, tzinfo=UTC),
            }
        ]
    }

    sm.create_model_package_group(ModelPackageGroupName="fraud", ModelPackageGroupDescription="fraud models")
    spec = {
        "Containers": [{"Image": SERVE_IMAGE, "ModelDataUrl": "s3://ml-artifacts/fraud/model.tar.gz"}],
        "SupportedContentTypes": ["text/csv"],
        "SupportedResponseMIMETypes": ["text/csv"],
    }
    approved = sm.create_model_package(
        ModelPackageGroupName="fraud", ModelApprovalStatus="Approved", InferenceSpecification=spec
    )["ModelPackageArn"]
    sm.create_model_package(
        ModelPackageGroupName="fraud", ModelApprovalStatus="PendingManualApproval", InferenceSpecification=spec
    )
    sm.create_model(ModelName="fraud-v1", ExecutionRoleArn=ROLE, PrimaryContainer={"ModelPackageName": approved})

    _job_definition(sm, DataQualityJobDefinition, "dq-open", {"EnableNetworkIsolation": False})
    secure = {"EnableNetworkIsolation": True, "EnableInterContainerTrafficEncryption": True}
    _job_definition(sm, ModelQualityJobDefinition, "mq-secure", secure)
    _job_definition(sm, ModelBiasJobDefinition, "bias-secure", secure)
    _job_definition(sm, ModelExplainabilityJobDefinition, "explain-open", {"EnableNetworkIsolation": False})

    sm.create_domain(
        DomainName="studio",
        AuthMode="IAM",
        DefaultUserSettings={"ExecutionRole": ROLE, "SecurityGroups": ["sg-0ml"]},
        SubnetIds=["subnet-0ml"],
        VpcId="vpc-0ml",
    )

    sm.create_feature_group(
        FeatureGroupName="customers",
        RecordIdentifierFeatureName="customer_id",
        EventTimeFeatureName="event_time",
        FeatureDefinitions=[
            {"FeatureName": "customer_id", "FeatureType": "String"},
            {"FeatureName": "event_time", "FeatureType": "String"},
        ],
        OfflineStoreConfig={"S3StorageConfig": {"S3Uri": "s3://ml-features", "KmsKeyId": KEY}},
        RoleArn=ROLE,
    )
    canned[("ListFeatureGroups", "us-east-1")] = {
        "FeatureGroupSummaries": [
            {
                "FeatureGroupName": "customers",
                "FeatureGroupArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:feature-group/customers",
                "CreationTime": datetime(2026, 1, 3, tzinfo=UTC),
                "FeatureGroupStatus": "Created",
            }
        ]
    }
    _canned_monitoring_and_experiments(canned)


LIFECYCLE_TYPES = (
    ProcessingJob,
    NotebookLifecycleConfig,
    Model,
    ModelPackageGroup,
    ModelPackage,
    MonitoringSchedule,
    DataQualityJobDefinition,
    ModelQualityJobDefinition,
    ModelBiasJobDefinition,
    ModelExplainabilityJobDefinition,
    FeatureGroup,
    Domain,
    InferenceExperiment,
)


def test_lifecycle_snapshots(aws: None, canned: Canned) -> None:
    _seed_lifecycle(canned)

    inventory = collect_aws(*LIFECYCLE_TYPES)

    assert not inventory.errors and inventory.complete
    hardened = one(inventory, ProcessingJob, "prep-hardened")
    assert hardened.uid == f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:processing-job/prep-hardened"
    assert hardened.status == "Completed" and hardened.role_arn == ROLE and hardened.image == DATA_IMAGE
    assert hardened.network_isolation is True and hardened.inter_container_encryption is True
    assert hardened.subnet_ids == ("subnet-0ml",) and hardened.security_group_ids == ("sg-0ml",)
    assert hardened.instance_count == 2
    assert hardened.volume_encryption == KmsEncryption(kms_key_id=KEY)
    assert hardened.output_encryption == KmsEncryption(kms_key_id=KEY)
    assert hardened.input_s3_uris == ("s3://ml-raw/events/",) and hardened.output_s3_uris == ("s3://ml-data/train/",)
    assert hardened.environment_keys == () and hardened.secrets == ()
    default = one(inventory, ProcessingJob, "prep-default")
    assert default.network_isolation is False and default.inter_container_encryption is False
    assert default.subnet_ids == () and default.volume_encryption == KmsEncryption()

    config = one(inventory, NotebookLifecycleConfig, "install-packages")
    assert config.hooks == ("OnCreate", "OnStart") and config.secrets == ()
    assert config.last_modified_at is not None

    (group,) = inventory.of_type(ModelPackageGroup)
    assert group.name == "fraud" and group.status == "Completed"
    assert group.uid == f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:model-package-group/fraud"
    packages = {p.name: p for p in inventory.of_type(ModelPackage)}
    assert set(packages) == {"fraud/1", "fraud/2"}
    assert packages["fraud/1"].approval_status == "Approved" and packages["fraud/1"].version == 1
    assert packages["fraud/2"].approval_status == "PendingManualApproval"
    assert packages["fraud/1"].containers == (
        PackageContainer(image=SERVE_IMAGE, model_data_url="s3://ml-artifacts/fraud/model.tar.gz"),
    )
    model = one(inventory, Model, "fraud-v1")
    assert model.containers == (ModelContainer(model_package_name=packages["fraud/1"].uid, primary=True),)

    schedule = one(inventory, MonitoringSchedule, "fraud-data-quality")
    assert schedule.uid == SCHEDULE_ARN and schedule.status == "Scheduled" and schedule.endpoint_name == "fraud"
    assert schedule.monitoring_type == "DataQuality" and schedule.job == ScheduleJob(definition_name="dq-open")
    dq = one(inventory, DataQualityJobDefinition, "dq-open")
    assert dq.uid == f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:data-quality-job-definition/dq-open"
    assert dq.endpoint_name == "fraud"
    assert dq.config == MonitoringJobConfig(
        instance_count=2, output_encryption=KmsEncryption(kms_key_id=KEY), role_arn=ROLE, image=MONITOR_IMAGE,
        endpoint_name="fraud",
    )  # fmt: skip
    for rtype, name in (
        (ModelQualityJobDefinition, "mq-secure"),
        (ModelBiasJobDefinition, "bias-secure"),
    ):
        secure = one(inventory, rtype, name)
        assert secure.config.network_isolation and secure.config.inter_container_encryption, name
    explain = one(inventory, ModelExplainabilityJobDefinition, "explain-open")
    assert explain.config is not None and not explain.config.network_isolation

    studio = one(inventory, Domain, "studio")
    assert studio.domain_id == "d-studio" and studio.auth_mode == "IAM"
    assert studio.app_network_access_type == "PublicInternetOnly" and studio.encryption == KmsEncryption()
    assert studio.vpc_id == "vpc-0ml" and studio.subnet_ids == ("subnet-0ml",)
    assert studio.default_execution_role == ROLE and studio.security_group_ids == ("sg-0ml",)

    features = one(inventory, FeatureGroup, "customers")
    assert features.role_arn == ROLE and features.status == "Created"
    assert features.offline_store is not None and features.offline_store.enabled
    assert features.offline_store.encryption == KmsEncryption(kms_key_id=KEY)
    assert features.offline_store.s3_uri is not None and features.offline_store.s3_uri.startswith("s3://ml-features/")
    assert features.online_store == OnlineStore()  # moto drops OnlineStoreConfig; see the translation test

    shadow = one(inventory, InferenceExperiment, EXPERIMENT_NAME)
    assert shadow.uid == f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:inference-experiment/{EXPERIMENT_NAME}"
    assert shadow.status == "Running" and shadow.experiment_type == "ShadowMode" and shadow.endpoint_name == "fraud"
    assert shadow.encryption == KmsEncryption(kms_key_id=KEY)
    assert shadow.data_capture == DataCapture(enabled=True, destination_s3_uri="s3://ml-shadow/")


# ---------------------------------------------------------------------------------------------
# Secrets: found by key or line, never kept
# ---------------------------------------------------------------------------------------------

CANARIES = {
    "training_env": "hf_CanaryTrainingEnvironment0123456789abc",
    "hyperparameter": "canary-hyperparameter-wandb-7f3k9q",
    "processing_env": "CanaryProcessingPassw0rd-x91",
    "model_env": "hf_CanaryModelContainerEnvironment987654",
    "script_key_id": "AKIACANARYSCRIPT0001",
    "script_token": "hf_CanaryLifecycleScriptToken0123456789z",
}


def _seed_secrets(canned: Canned) -> None:
    sm = boto3.client("sagemaker", region_name="us-east-1")
    _training_job(sm, "leaky-job", HyperParameters={"epochs": "3", "wandb_api_key": CANARIES["hyperparameter"]})
    patch_sagemaker(
        "us-east-1",
        "training_jobs",
        "leaky-job",
        environment={"HF_TOKEN": CANARIES["training_env"], "SAGEMAKER_PROGRAM": "train.py"},
    )
    _processing_job(sm, "leaky-prep")
    patch_sagemaker(
        "us-east-1", "processing_jobs", "leaky-prep", environment={"DB_PASSWORD": CANARIES["processing_env"]}
    )
    sm.create_model(
        ModelName="leaky-llm",
        ExecutionRoleArn=ROLE,
        PrimaryContainer={"Image": SERVE_IMAGE, "Environment": {"HUGGING_FACE_HUB_TOKEN": CANARIES["model_env"]}},
    )
    script = (
        "#!/bin/bash\n"
        f"export AWS_ACCESS_KEY_ID={CANARIES['script_key_id']}\n"
        "pip install -q transformers\n"
        f"huggingface-cli login --token {CANARIES['script_token']}\n"
    )
    sm.create_notebook_instance_lifecycle_config(
        NotebookInstanceLifecycleConfigName="leaky-lc", OnStart=[{"Content": _b64(script)}]
    )
    canned[("ListNotebookInstanceLifecycleConfigs", "us-east-1")] = {
        "NotebookInstanceLifecycleConfigs": [
            {
                "NotebookInstanceLifecycleConfigName": "leaky-lc",
                "NotebookInstanceLifecycleConfigArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:"
                "notebook-instance-lifecycle-config/leaky-lc",
            }
        ]
    }


def test_secrets_are_found_by_key_and_line(aws: None, canned: Canned) -> None:
    _seed_secrets(canned)

    inventory = collect_aws(TrainingJob, ProcessingJob, Model, NotebookLifecycleConfig)

    assert not inventory.errors
    job = one(inventory, TrainingJob, "leaky-job")
    assert job.environment_keys == ("HF_TOKEN", "SAGEMAKER_PROGRAM")
    assert job.secrets == (
        SecretFinding(source="Environment", key="HF_TOKEN", kind="Hugging Face Token"),
        SecretFinding(source="HyperParameters", key="wandb_api_key", kind="Secret Keyword"),
    )
    assert one(inventory, ProcessingJob, "leaky-prep").secrets == (
        SecretFinding(source="Environment", key="DB_PASSWORD", kind="Secret Keyword"),
    )
    assert one(inventory, Model, "leaky-llm").secrets == (
        SecretFinding(source="PrimaryContainer.Environment", key="HUGGING_FACE_HUB_TOKEN", kind="Hugging Face Token"),
    )
    assert one(inventory, NotebookLifecycleConfig, "leaky-lc").secrets == (
        SecretFinding(source="OnStart", line=2, kind="AWS Access Key"),
        SecretFinding(source="OnStart", line=4, kind="Hugging Face Token"),
    )


def test_secret_values_appear_nowhere_in_snapshots_findings_or_report(
    aws: None, canned: Canned, tmp_path: Path
) -> None:
    from cspm.engine import scan
    from cspm.providers.aws import AwsOptions, AwsProvider
    from cspm.registry import load_checks
    from cspm.reporting.json_report import write_json

    _seed_secrets(canned)
    checks = [
        spec
        for spec in load_checks(["aws"])
        if all(t.resource_type.startswith("aws.sagemaker.") for t in spec.resource_types)
    ]
    provider = AwsProvider(AwsOptions(regions=("us-east-1",), workers=4))
    provider.connect()

    report = scan(provider, checks, workers=4)
    path = write_json(report, tmp_path / "report.json")

    secret_checks = {
        "aws.sagemaker.training_job_has_no_secrets_in_configuration": "leaky-job",
        "aws.sagemaker.processing_job_has_no_secrets_in_environment": "leaky-prep",
        "aws.sagemaker.model_has_no_secrets_in_environment": "leaky-llm",
        "aws.sagemaker.notebook_lifecycle_config_has_no_secrets": "leaky-lc",
    }
    failing = {(f.check_id, f.resource_uid.rsplit("/", 1)[1]) for f in report.findings if f.status.value == "FAIL"}
    assert set(secret_checks.items()) <= failing  # the secrets were found...
    inventory = collect_aws(TrainingJob, ProcessingJob, Model, NotebookLifecycleConfig)
    snapshots = "\n".join(r.model_dump_json() for r in inventory.resources())
    findings = "\n".join(f.model_dump_json() for f in report.findings)
    report_text = path.read_text(encoding="utf-8")
    assert "HF_TOKEN" in snapshots and "HF_TOKEN" in findings and "HF_TOKEN" in report_text  # ...and named
    for name, value in CANARIES.items():  # ...but never copied
        for where, text in (("snapshots", snapshots), ("findings", findings), ("report.json", report_text)):
            assert value not in text, f"the {name} canary leaked into {where}"
            assert value[4:-4] not in text, f"part of the {name} canary leaked into {where}"


# ---------------------------------------------------------------------------------------------
# Failures
# ---------------------------------------------------------------------------------------------


def _evaluate(inventory: Any, *check_ids: str) -> dict[str, list[Any]]:
    from cspm.engine import evaluate
    from cspm.registry import load_checks

    specs = [s for s in load_checks(["aws"]) if s.id in check_ids]
    assert len(specs) == len(check_ids)
    findings = evaluate(specs, inventory, datetime(2026, 6, 1, tzinfo=UTC))
    return {cid: [f for f in findings if f.check_id == cid] for cid in check_ids}


MONITOR_CHECKS = (
    "aws.sagemaker.data_quality_job_definition_has_network_isolation",
    "aws.sagemaker.data_quality_job_definition_encrypts_inter_container_traffic",
    "aws.sagemaker.endpoint_has_model_monitoring",
)


def test_unlisted_schedules_make_monitoring_checks_answer_error(
    aws: None, canned: Canned, monkeypatch: pytest.MonkeyPatch
) -> None:
    sm = boto3.client("sagemaker", region_name="us-east-1")
    _job_definition(sm, DataQualityJobDefinition, "dq-open", {"EnableNetworkIsolation": False})
    sm.create_model(ModelName="m", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": SERVE_IMAGE})
    sm.create_endpoint_config(
        EndpointConfigName="c",
        ProductionVariants=[
            {"VariantName": "v", "ModelName": "m", "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}
        ],
    )
    sm.create_endpoint(EndpointName="fraud", EndpointConfigName="c")
    _deny(monkeypatch, "ListMonitoringSchedules")

    inventory = collect_aws(DataQualityJobDefinition, MonitoringSchedule, Endpoint)

    assert inventory.incomplete_scopes(MonitoringSchedule) == [
        (ACCOUNT, "us-east-1", "ListMonitoringSchedules failed: AccessDenied")
    ]
    assert one(inventory, DataQualityJobDefinition, "dq-open").config is not None  # readable, yet...
    for check_id, findings in _evaluate(inventory, *MONITOR_CHECKS).items():
        assert [f.status.value for f in findings] == ["ERROR"], check_id  # ...not judged, and not silent
        assert "monitoring_schedule" in findings[0].message


def test_unimplemented_listings_fail_with_http_500_on_a_moto_server(
    moto_url: str, canned: Canned, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The end-to-end shape of the ERROR path: a moto *server* answers ListMonitoringSchedules (and
    the other listings it lacks) with HTTP 500; the scan records the failures and the monitoring
    checks answer ERROR."""
    canned.clear()  # nothing canned: the real wire protocol
    # One attempt per call: the SDK would retry each HTTP 500 five times with back-off (seconds).
    monkeypatch.setattr(aws_provider, "client_config", partial(client_config, max_attempts=1))
    sm = boto3.client("sagemaker", region_name="us-east-1", endpoint_url=moto_url)
    _job_definition(sm, DataQualityJobDefinition, "dq-open", {"EnableNetworkIsolation": False})

    inventory = collect_aws(DataQualityJobDefinition, MonitoringSchedule, endpoint_url=moto_url)

    failed_listings = {(e.operation, e.code) for e in inventory.errors}
    assert failed_listings == {
        (op, "500")
        for op in (
            "ListMonitoringSchedules",
            "ListNotebookInstanceLifecycleConfigs",
            "ListFeatureGroups",
            "ListInferenceExperiments",
        )
    }
    assert inventory.incomplete_scopes(MonitoringSchedule)
    assert one(inventory, DataQualityJobDefinition, "dq-open").config is not None
    results = _evaluate(inventory, MONITOR_CHECKS[0])
    assert [f.status.value for f in results[MONITOR_CHECKS[0]]] == ["ERROR"]


@pytest.mark.parametrize(
    ("denied", "packages", "groups_listed", "packages_listed"),
    [
        ("DescribeModelPackage", ["fraud/1"], True, True),
        ("ListModelPackages", [], True, False),
        ("ListModelPackageGroups", [], False, False),
    ],
)
def test_model_registry_failures(
    aws: None,
    monkeypatch: pytest.MonkeyPatch,
    denied: str,
    packages: list[str],
    groups_listed: bool,
    packages_listed: bool,
) -> None:
    sm = boto3.client("sagemaker", region_name="us-east-1")
    sm.create_model_package_group(ModelPackageGroupName="fraud")
    sm.create_model_package(
        ModelPackageGroupName="fraud",
        ModelApprovalStatus="Approved",
        InferenceSpecification={
            "Containers": [{"Image": SERVE_IMAGE}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    )
    _deny(monkeypatch, denied)

    inventory = collect_aws(ModelPackage, ModelPackageGroup)

    assert [e.operation for e in inventory.errors] == [denied]
    assert [g.name for g in inventory.of_type(ModelPackageGroup)] == (["fraud"] if groups_listed else [])
    assert inventory.incomplete_scopes(ModelPackageGroup) is not groups_listed
    assert [p.name for p in inventory.of_type(ModelPackage)] == packages
    assert inventory.incomplete_scopes(ModelPackage) is not packages_listed
    for package in inventory.of_type(ModelPackage):  # described or not, the listing's approval is kept
        assert package.approval_status == "Approved" and package.containers is None


# ---------------------------------------------------------------------------------------------
# Translation of responses moto cannot produce
# ---------------------------------------------------------------------------------------------


def test_schedule_with_an_embedded_job_definition() -> None:
    schedule = monitoring_schedule_from_api(
        {"MonitoringScheduleStatus": "Scheduled", "EndpointName": "fraud"},
        {
            "MonitoringScheduleStatus": "Stopped",
            "MonitoringScheduleConfig": {
                "MonitoringJobDefinition": {
                    "MonitoringInputs": [{"EndpointInput": {"EndpointName": "fraud", "LocalPath": "/in"}}],
                    "MonitoringOutputConfig": {"MonitoringOutputs": [], "KmsKeyId": KEY},
                    "MonitoringResources": {"ClusterConfig": {"InstanceCount": 1, "VolumeKmsKeyId": KEY}},
                    "MonitoringAppSpecification": {"ImageUri": MONITOR_IMAGE},
                    "NetworkConfig": {"EnableNetworkIsolation": True},
                    "RoleArn": ROLE,
                }
            },
        },
        BASE,
    )
    assert schedule.status == "Stopped" and schedule.endpoint_name == "fraud" and schedule.monitoring_type is None
    assert schedule.job == ScheduleJob(
        inline=MonitoringJobConfig(
            network_isolation=True,
            instance_count=1,
            volume_encryption=KmsEncryption(kms_key_id=KEY),
            output_encryption=KmsEncryption(kms_key_id=KEY),
            role_arn=ROLE,
            image=MONITOR_IMAGE,
            endpoint_name="fraud",
        )
    )
    undescribed = monitoring_schedule_from_api({"MonitoringScheduleStatus": "Scheduled"}, None, BASE)
    assert undescribed.status == "Scheduled" and undescribed.job is None


def test_job_definition_keys_are_prefixed_by_kind() -> None:
    build = job_definition_builder(ModelBiasJobDefinition)
    definition = build(
        {"EndpointName": "listed"},
        {
            "ModelBiasAppSpecification": {"ImageUri": MONITOR_IMAGE, "ConfigUri": "s3://c"},
            "ModelBiasJobInput": {"BatchTransformInput": {"DataCapturedDestinationS3Uri": "s3://x"}},
            "ModelBiasJobOutputConfig": {"KmsKeyId": KEY},
            "JobResources": {"ClusterConfig": {"InstanceCount": 3}},
            "NetworkConfig": {
                "EnableInterContainerTrafficEncryption": True,
                "VpcConfig": {"Subnets": ["subnet-1"], "SecurityGroupIds": ["sg-1"]},
            },
        },
        BASE,
    )
    assert isinstance(definition, ModelBiasJobDefinition)
    assert definition.endpoint_name == "listed"  # batch input: no endpoint in the definition
    assert definition.config == MonitoringJobConfig(
        inter_container_encryption=True,
        subnet_ids=("subnet-1",),
        security_group_ids=("sg-1",),
        instance_count=3,
        output_encryption=KmsEncryption(kms_key_id=KEY),
        image=MONITOR_IMAGE,
    )
    assert build({}, None, BASE).config is None


def test_feature_group_online_store_and_platform_identifier() -> None:
    group = feature_group_from_api(
        {"FeatureGroupStatus": "Created"},
        {
            "OnlineStoreConfig": {
                "EnableOnlineStore": True,
                "StorageType": "InMemory",
                "SecurityConfig": {"KmsKeyId": KEY},
            }
        },
        BASE,
    )
    assert group.offline_store == OfflineStore()
    assert group.online_store == OnlineStore(
        enabled=True, storage_type="InMemory", encryption=KmsEncryption(kms_key_id=KEY)
    )
    assert feature_group_from_api({}, None, BASE).online_store is None
    notebook = notebook_from_api({}, {"PlatformIdentifier": "notebook-al2023-v1"}, BASE)
    assert notebook.platform_identifier == "notebook-al2023-v1"


def test_domain_and_experiment_defaults() -> None:
    domain = domain_from_api({"DomainId": "d-1"}, {"AuthMode": "SSO", "AppNetworkAccessType": "VpcOnly"}, BASE)
    assert domain.app_network_access_type == "VpcOnly" and domain.encryption == KmsEncryption()
    assert domain.subnet_ids == () and domain.default_execution_role is None
    assert domain_from_api({"DomainId": "d-1"}, {}, BASE).app_network_access_type == "PublicInternetOnly"
    undescribed = domain_from_api({"DomainId": "d-1", "Status": "InService"}, None, BASE)
    assert undescribed.auth_mode is None and undescribed.encryption is None and undescribed.status == "InService"

    experiment = inference_experiment_from_api({"Status": "Completed"}, {"Type": "ShadowMode"}, BASE)
    assert experiment.status == "Completed" and experiment.data_capture == DataCapture()
    assert experiment.encryption == KmsEncryption()
    assert inference_experiment_from_api({}, None, BASE).data_capture is None


def test_lifecycle_script_that_is_not_base64_is_unreadable() -> None:
    config = lifecycle_config_from_api({}, {"OnStart": [{"Content": "not base64!"}]}, BASE)
    assert config.hooks == ("OnStart",) and config.secrets is None
    empty = lifecycle_config_from_api({}, {"OnCreate": [], "OnStart": [{"Content": ""}]}, BASE)
    assert empty.hooks == () and empty.secrets == ()


def test_model_container_environments_are_scanned_per_container() -> None:
    model = model_from_api(
        {},
        {
            "Containers": [
                {"Image": "a", "Environment": {"MODEL_ID": "meta-llama/Llama-3-8B"}},
                {"Image": "b", "Environment": {"OPENAI_API_KEY": "sk-canary-pipeline-0123456789"}},
            ]
        },
        BASE,
    )
    assert model.secrets == (
        SecretFinding(source="Containers[1].Environment", key="OPENAI_API_KEY", kind="Secret Keyword"),
    )
    assert [c.primary for c in model.containers or ()] == [False, False]
