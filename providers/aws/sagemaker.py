"""SageMaker: training jobs, notebook instances, models, endpoint configs and endpoints (regional).

Requests per region: one paginated List call per kind (5, plus one per extra page of 100), then one
Describe call per resource (DescribeTrainingJob, DescribeNotebookInstance, DescribeModel,
DescribeEndpointConfig, DescribeEndpoint), fanned out with ``ctx.map``. SageMaker has no batch
describe, so a region with J jobs, N notebooks, M models, C configs and E endpoints costs
5 + J + N + M + C + E requests. ListTrainingJobs returns the account's whole job history; every
job is described, because a finished job still tells which data, role, image and network it used.

Failures: a failed List call marks its type incomplete in the region (its checks answer ERROR
there). A failed Describe call keeps the resource, built from its list entry, with every
described field ``None``; the error is recorded.

Not collected: tags (one ListTags call per resource), and environment variable values (only
their names are kept: values often hold secrets).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from cspm.providers.aws.context import AwsContext
from cspm.providers.base import ServiceSpec
from cspm.resources.aws.sagemaker import (
    DataCapture,
    Endpoint,
    EndpointConfig,
    KmsEncryption,
    Model,
    ModelContainer,
    NotebookInstance,
    ProductionVariant,
    TrainingJob,
)
from cspm.resources.base import Resource


@dataclass(frozen=True)
class _Kind:
    """How one kind of resource is listed, described and translated."""

    rtype: type[Resource]
    list_method: str
    result_key: str
    describe_method: str
    name_key: str  # the name in the list entry and the Describe parameter
    arn_key: str  # the ARN in the list entry: the resource uid
    build: Callable[[dict[str, Any], dict[str, Any] | None, dict[str, Any]], Resource]


def collect(ctx: AwsContext) -> Iterator[Resource]:
    sagemaker = ctx.client("sagemaker")
    for kind in KINDS:
        summaries = ctx.paginate(sagemaker, kind.list_method, kind.result_key, affects=(kind.rtype,))
        if summaries is None:
            continue
        yield from ctx.map(partial(_describe, ctx, sagemaker, kind), summaries)


def _describe(ctx: AwsContext, sagemaker: Any, kind: _Kind, summary: dict[str, Any]) -> Resource:
    name = summary[kind.name_key]
    raw = ctx.call(sagemaker, kind.describe_method, **{kind.name_key: name})
    base = {
        "uid": summary[kind.arn_key],  # required in every list entry shape
        "name": name,
        "account": ctx.account,
        "region": ctx.region,
        "created_at": summary.get("CreationTime"),
    }
    return kind.build(summary, raw, base)


# ---------------------------------------------------------------------------------------------
# Translation: (list entry, Describe response or None, common fields) -> snapshot
# ---------------------------------------------------------------------------------------------


def training_job_from_api(summary: dict[str, Any], raw: dict[str, Any] | None, base: dict[str, Any]) -> TrainingJob:
    status = summary.get("TrainingJobStatus")
    if raw is None:
        return TrainingJob(**base, status=status)
    resources = raw.get("ResourceConfig") or {}
    output = raw.get("OutputDataConfig") or {}
    algorithm = raw.get("AlgorithmSpecification") or {}
    return TrainingJob(
        **base,
        status=raw.get("TrainingJobStatus") or status,
        role_arn=raw.get("RoleArn"),
        **_vpc(raw.get("VpcConfig")),
        network_isolation=bool(raw.get("EnableNetworkIsolation")),
        inter_container_encryption=bool(raw.get("EnableInterContainerTrafficEncryption")),
        instance_count=_instance_count(resources),
        volume_encryption=KmsEncryption(kms_key_id=resources.get("VolumeKmsKeyId") or None),
        output_encryption=KmsEncryption(kms_key_id=output.get("KmsKeyId") or None),
        output_s3_path=output.get("S3OutputPath"),
        model_artifacts_s3_uri=(raw.get("ModelArtifacts") or {}).get("S3ModelArtifacts"),
        input_s3_uris=_input_s3_uris(raw.get("InputDataConfig") or []),
        training_image=algorithm.get("TrainingImage"),
        algorithm_name=algorithm.get("AlgorithmName"),
        environment_keys=tuple(sorted(raw.get("Environment") or {})),
    )


def _vpc(raw: dict[str, Any] | None) -> dict[str, tuple[str, ...]]:
    """VpcConfig -> subnet and security group ids; () for both when the resource is not in a VPC."""
    config = raw or {}
    return {
        "subnet_ids": tuple(config.get("Subnets") or ()),
        "security_group_ids": tuple(config.get("SecurityGroupIds") or ()),
    }


def _instance_count(resources: dict[str, Any]) -> int | None:
    if "InstanceCount" in resources:
        return int(resources["InstanceCount"])
    groups = resources.get("InstanceGroups") or []
    return sum(int(g.get("InstanceCount", 0)) for g in groups) if groups else None


def _input_s3_uris(channels: list[dict[str, Any]]) -> tuple[str, ...]:
    uris = (c.get("DataSource", {}).get("S3DataSource", {}).get("S3Uri") for c in channels)
    return tuple(u for u in uris if u)


def notebook_from_api(summary: dict[str, Any], raw: dict[str, Any] | None, base: dict[str, Any]) -> NotebookInstance:
    status = summary.get("NotebookInstanceStatus")
    instance_type = summary.get("InstanceType")
    if raw is None:
        return NotebookInstance(**base, status=status, instance_type=instance_type)
    subnet = raw.get("SubnetId")
    return NotebookInstance(
        **base,
        status=raw.get("NotebookInstanceStatus") or status,
        instance_type=raw.get("InstanceType") or instance_type,
        subnet_ids=(subnet,) if subnet else (),
        security_group_ids=tuple(raw.get("SecurityGroups") or ()),
        # Both default to "Enabled" (API reference); an absent field is that default.
        direct_internet_access=raw.get("DirectInternetAccess", "Enabled") != "Disabled",
        root_access=raw.get("RootAccess", "Enabled") != "Disabled",
        encryption=KmsEncryption(kms_key_id=raw.get("KmsKeyId") or None),
        role_arn=raw.get("RoleArn"),
        platform_identifier=raw.get("PlatformIdentifier"),
        lifecycle_config_name=raw.get("NotebookInstanceLifecycleConfigName"),
    )


def model_from_api(summary: dict[str, Any], raw: dict[str, Any] | None, base: dict[str, Any]) -> Model:
    if raw is None:
        return Model(**base)
    primary = raw.get("PrimaryContainer")
    containers = ([primary] if primary else []) + list(raw.get("Containers") or [])
    return Model(
        **base,
        **_vpc(raw.get("VpcConfig")),
        network_isolation=bool(raw.get("EnableNetworkIsolation")),
        containers=tuple(_container(c) for c in containers),
        execution_role_arn=raw.get("ExecutionRoleArn"),
    )


def _container(raw: dict[str, Any]) -> ModelContainer:
    return ModelContainer(
        image=raw.get("Image"),
        model_data_url=raw.get("ModelDataUrl"),
        model_package_name=raw.get("ModelPackageName"),
        repository_access_mode=(raw.get("ImageConfig") or {}).get("RepositoryAccessMode"),
    )


def endpoint_config_from_api(
    summary: dict[str, Any], raw: dict[str, Any] | None, base: dict[str, Any]
) -> EndpointConfig:
    if raw is None:
        return EndpointConfig(**base)
    return EndpointConfig(
        **base,
        encryption=KmsEncryption(kms_key_id=raw.get("KmsKeyId") or None),
        variants=tuple(_variant(v) for v in raw.get("ProductionVariants") or []),
        data_capture=_data_capture(raw.get("DataCaptureConfig")),
    )


def _variant(raw: dict[str, Any]) -> ProductionVariant:
    return ProductionVariant(
        name=raw.get("VariantName", ""),
        model_name=raw.get("ModelName"),
        instance_type=raw.get("InstanceType"),
        initial_instance_count=raw.get("InitialInstanceCount"),
        serverless=bool(raw.get("ServerlessConfig")),
    )


def _data_capture(raw: dict[str, Any] | None) -> DataCapture:
    if not raw:
        return DataCapture()
    return DataCapture(
        enabled=bool(raw.get("EnableCapture", True)),  # "defaults to enabled" (API reference)
        destination_s3_uri=raw.get("DestinationS3Uri"),
        kms_key_id=raw.get("KmsKeyId") or None,
        sampling_percentage=raw.get("InitialSamplingPercentage"),
    )


def endpoint_from_api(summary: dict[str, Any], raw: dict[str, Any] | None, base: dict[str, Any]) -> Endpoint:
    status = summary.get("EndpointStatus")
    if raw is None:
        return Endpoint(**base, status=status)
    return Endpoint(
        **base,
        status=raw.get("EndpointStatus") or status,
        endpoint_config_name=raw.get("EndpointConfigName"),
    )


KINDS: tuple[_Kind, ...] = (
    _Kind(
        TrainingJob,
        "list_training_jobs",
        "TrainingJobSummaries",
        "describe_training_job",
        "TrainingJobName",
        "TrainingJobArn",
        training_job_from_api,
    ),
    _Kind(
        NotebookInstance,
        "list_notebook_instances",
        "NotebookInstances",
        "describe_notebook_instance",
        "NotebookInstanceName",
        "NotebookInstanceArn",
        notebook_from_api,
    ),
    _Kind(Model, "list_models", "Models", "describe_model", "ModelName", "ModelArn", model_from_api),
    _Kind(
        EndpointConfig,
        "list_endpoint_configs",
        "EndpointConfigs",
        "describe_endpoint_config",
        "EndpointConfigName",
        "EndpointConfigArn",
        endpoint_config_from_api,
    ),
    _Kind(
        Endpoint,
        "list_endpoints",
        "Endpoints",
        "describe_endpoint",
        "EndpointName",
        "EndpointArn",
        endpoint_from_api,
    ),
)

PERMISSIONS = (
    "sagemaker:ListTrainingJobs",
    "sagemaker:DescribeTrainingJob",
    "sagemaker:ListNotebookInstances",
    "sagemaker:DescribeNotebookInstance",
    "sagemaker:ListModels",
    "sagemaker:DescribeModel",
    "sagemaker:ListEndpointConfigs",
    "sagemaker:DescribeEndpointConfig",
    "sagemaker:ListEndpoints",
    "sagemaker:DescribeEndpoint",
)

SERVICE = ServiceSpec(
    name="sagemaker",
    produces=(TrainingJob, NotebookInstance, Model, EndpointConfig, Endpoint),
    regional=True,
    permissions=PERMISSIONS,
    collect=collect,
)
