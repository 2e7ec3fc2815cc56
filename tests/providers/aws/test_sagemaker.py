"""The SageMaker collector against moto (in-process mock_aws): snapshots and error handling.

moto gaps worked around here with ``patch_sagemaker`` (never in production code): a model's
EnableNetworkIsolation is hard-coded False, a training job's Environment is never stored.
moto omits a notebook's RootAccess when it was not set, which is also how the collector reads a
real response without the field: the documented default, Enabled.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from moto import mock_aws

from cspm.providers.aws.sagemaker import (
    endpoint_config_from_api,
    model_from_api,
    notebook_from_api,
    training_job_from_api,
)
from cspm.resources.aws.sagemaker import (
    Endpoint,
    EndpointConfig,
    KmsEncryption,
    Model,
    ModelContainer,
    NotebookInstance,
    ProductionVariant,
    TrainingJob,
)
from support.aws import ACCOUNT, collect_aws, one, patch_sagemaker

ALL_TYPES = (TrainingJob, NotebookInstance, Model, EndpointConfig, Endpoint)
ROLE = f"arn:aws:iam::{ACCOUNT}:role/sagemaker-execution"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
IMAGE = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/train:1.0"
SERVE_IMAGE = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/serve:1.0"


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


def _network(region: str) -> tuple[str, str]:
    ec2 = boto3.client("ec2", region_name=region)
    vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.8.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="ml", Description="ml", VpcId=vpc)["GroupId"]
    return subnet, group


def _training_job(sm: Any, name: str, **extra: Any) -> None:
    sm.create_training_job(
        TrainingJobName=name,
        AlgorithmSpecification={"TrainingImage": IMAGE, "TrainingInputMode": "File"},
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
        ModelContainer(image="a", repository_access_mode="Platform"),
        ModelContainer(model_package_name="arn:aws:sagemaker:us-east-1:123:model-package/p/1"),
    )


def test_an_undescribed_notebook_keeps_its_listing_fields() -> None:
    nb = notebook_from_api({"NotebookInstanceStatus": "Stopped", "InstanceType": "ml.t3.medium"}, None, BASE)
    assert nb.status == "Stopped" and nb.instance_type == "ml.t3.medium"
    assert nb.direct_internet_access is None and nb.root_access is None and nb.subnet_ids is None
    assert nb.encryption is None
