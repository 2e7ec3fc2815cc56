"""SageMaker: the ML lifecycle, regional.

Collected per region, each kind with one paginated List call (plus one per extra page) and one
Describe call per resource, fanned out with ``ctx.map``:

=====================================  ================================================
training jobs                          ListTrainingJobs, DescribeTrainingJob
processing jobs                        ListProcessingJobs, DescribeProcessingJob
notebook instances                     ListNotebookInstances, DescribeNotebookInstance
notebook lifecycle configurations      ListNotebookInstanceLifecycleConfigs, Describe...
models                                 ListModels, DescribeModel
endpoint configs                       ListEndpointConfigs, DescribeEndpointConfig
endpoints                              ListEndpoints, DescribeEndpoint
monitoring schedules                   ListMonitoringSchedules, DescribeMonitoringSchedule
data quality / model quality / model   List<Kind>JobDefinitions, Describe<Kind>JobDefinition
bias / model explainability job defs   (four kinds)
feature groups                         ListFeatureGroups, DescribeFeatureGroup
domains                                ListDomains, DescribeDomain
inference experiments                  ListInferenceExperiments, DescribeInferenceExperiment
model package groups and packages      ListModelPackageGroups (no Describe); ListModelPackages
                                       per group, DescribeModelPackage per package
=====================================  ================================================

So a region costs 16 + G listing requests (G model package groups) plus one Describe per resource
other than package groups. SageMaker has no batch describe. ListTrainingJobs and
ListProcessingJobs return the account's whole job history and every job is described: a finished
job still tells which data, role, image and network it used. (Processing jobs include every run
of a monitoring schedule, one per hour per schedule: in accounts with long-running monitors they
dominate the request count.)

Failures: a failed List call marks its type incomplete in the region (its checks answer ERROR
there, and so do checks that need every resource of that type). A failed Describe call keeps the
resource, built from its list entry, with every described field ``None``; the error is recorded.
A failed ListModelPackageGroups marks both groups and packages incomplete; a failed
ListModelPackages of one group marks packages incomplete.

Secrets: training job ``Environment`` and ``HyperParameters``, processing job and model container
``Environment`` and lifecycle scripts are scanned with :mod:`cspm.secrets` during translation;
only the key or line and the kind of secret are kept, never the value or the script.

Not collected: tags (one ListTags call per resource).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from cspm.providers.aws.context import AwsContext
from cspm.providers.base import ServiceSpec
from cspm.resources.aws.sagemaker import (
    JOB_DEFINITION_TYPES,
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
from cspm.resources.base import Resource
from cspm.secrets import find_secrets, find_secrets_in_text


@dataclass(frozen=True)
class _Kind:
    """How one kind of resource is listed, described and translated."""

    rtype: type[Resource]
    list_method: str
    result_key: str
    describe_method: str
    name_key: str  # the name in the list entry (and, by default, the Describe parameter)
    arn_key: str | None  # the ARN in the list entry: the resource uid (None: built from the name)
    build: Callable[[dict[str, Any], dict[str, Any] | None, dict[str, Any]], Resource]
    describe_param: str | None = None  # Describe's parameter, when it is not ``name_key``
    id_key: str | None = None  # the list entry's value for that parameter, when not ``name_key``
    arn_resource: str = ""  # with ``arn_key`` None: the ARN's resource type ("inference-experiment")


def collect(ctx: AwsContext) -> Iterator[Resource]:
    sagemaker = ctx.client("sagemaker")
    for kind in KINDS:
        summaries = ctx.paginate(sagemaker, kind.list_method, kind.result_key, affects=(kind.rtype,))
        if summaries is None:
            continue
        yield from ctx.map(partial(_describe, ctx, sagemaker, kind), summaries)
    yield from _model_registry(ctx, sagemaker)


def _describe(ctx: AwsContext, sagemaker: Any, kind: _Kind, summary: dict[str, Any]) -> Resource:
    name = summary[kind.name_key]
    param = kind.describe_param or kind.name_key
    raw = ctx.call(sagemaker, kind.describe_method, **{param: summary[kind.id_key or kind.name_key]})
    if kind.arn_key:
        uid = summary[kind.arn_key]  # required in every list entry shape that has one
    else:
        uid = ctx.arn("sagemaker", f"{kind.arn_resource}/{name}", region=ctx.region)
    base = {
        "uid": uid,
        "name": name,
        "account": ctx.account,
        "region": ctx.region,
        "created_at": summary.get("CreationTime"),
    }
    return kind.build(summary, raw, base)


def _model_registry(ctx: AwsContext, sagemaker: Any) -> Iterator[Resource]:
    """Package groups from their listing; then every group's versioned packages, described."""
    groups = ctx.paginate(
        sagemaker,
        "list_model_package_groups",
        "ModelPackageGroupSummaryList",
        affects=(ModelPackageGroup, ModelPackage),
    )
    if groups is None:
        return
    summaries: list[dict[str, Any]] = []
    for raw in groups:
        yield model_package_group_from_api(raw, ctx.account, ctx.region)
        packages = ctx.paginate(
            sagemaker,
            "list_model_packages",
            "ModelPackageSummaryList",
            affects=(ModelPackage,),
            ModelPackageGroupName=raw["ModelPackageGroupName"],
        )
        summaries.extend(packages or [])
    yield from ctx.map(partial(_describe_package, ctx, sagemaker), summaries)


def _describe_package(ctx: AwsContext, sagemaker: Any, summary: dict[str, Any]) -> ModelPackage:
    raw = ctx.call(sagemaker, "describe_model_package", ModelPackageName=summary["ModelPackageArn"])
    return model_package_from_api(summary, raw, ctx.account, ctx.region)


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
    environment = raw.get("Environment") or {}
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
        # No TrainingImageConfig: SageMaker pulls the image itself (Platform), as for ECR images.
        training_repository_access_mode=(algorithm.get("TrainingImageConfig") or {}).get(
            "TrainingRepositoryAccessMode", "Platform"
        ),
        environment_keys=tuple(sorted(environment)),
        secrets=(
            *_mapping_secrets("Environment", environment),
            *_mapping_secrets("HyperParameters", raw.get("HyperParameters")),
        ),
    )


def _mapping_secrets(source: str, items: Mapping[str, Any] | None) -> tuple[SecretFinding, ...]:
    """Secrets in an Environment or HyperParameters map: the key and the kind, never the value."""
    hits = find_secrets({str(k): str(v) for k, v in (items or {}).items()})
    return tuple(SecretFinding(source=source, key=hit.key, kind=hit.kind) for hit in hits)


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


def processing_job_from_api(summary: dict[str, Any], raw: dict[str, Any] | None, base: dict[str, Any]) -> ProcessingJob:
    status = summary.get("ProcessingJobStatus")
    if raw is None:
        return ProcessingJob(**base, status=status)
    network = raw.get("NetworkConfig") or {}
    cluster = (raw.get("ProcessingResources") or {}).get("ClusterConfig") or {}
    output = raw.get("ProcessingOutputConfig") or {}
    environment = raw.get("Environment") or {}
    inputs = ((i.get("S3Input") or {}).get("S3Uri") for i in raw.get("ProcessingInputs") or [])
    outputs = ((o.get("S3Output") or {}).get("S3Uri") for o in output.get("Outputs") or [])
    return ProcessingJob(
        **base,
        status=raw.get("ProcessingJobStatus") or status,
        role_arn=raw.get("RoleArn"),
        **_vpc(network.get("VpcConfig")),
        network_isolation=bool(network.get("EnableNetworkIsolation")),
        inter_container_encryption=bool(network.get("EnableInterContainerTrafficEncryption")),
        instance_count=cluster.get("InstanceCount"),
        volume_encryption=KmsEncryption(kms_key_id=cluster.get("VolumeKmsKeyId") or None),
        output_encryption=KmsEncryption(kms_key_id=output.get("KmsKeyId") or None),
        image=(raw.get("AppSpecification") or {}).get("ImageUri"),
        input_s3_uris=tuple(u for u in inputs if u),
        output_s3_uris=tuple(u for u in outputs if u),
        environment_keys=tuple(sorted(environment)),
        secrets=_mapping_secrets("Environment", environment),
        monitoring_schedule_arn=raw.get("MonitoringScheduleArn"),
        training_job_arn=raw.get("TrainingJobArn"),
    )


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


LIFECYCLE_HOOKS = ("OnCreate", "OnStart")


def lifecycle_config_from_api(
    summary: dict[str, Any], raw: dict[str, Any] | None, base: dict[str, Any]
) -> NotebookLifecycleConfig:
    """The scripts are decoded and scanned here; only the findings (hook, line, kind) are kept.
    A script that is not valid base64 makes ``secrets`` None (unreadable)."""
    modified = summary.get("LastModifiedTime")
    if raw is None:
        return NotebookLifecycleConfig(**base, last_modified_at=modified)
    scripts = [
        (hook if index == 0 else f"{hook}[{index}]", script.get("Content") or "")
        for hook in LIFECYCLE_HOOKS
        for index, script in enumerate(raw.get(hook) or [])
    ]
    hooks = tuple(dict.fromkeys(source.split("[")[0] for source, content in scripts if content))
    found: list[SecretFinding] = []
    for source, content in scripts:
        text = _decode_script(content)
        if text is None:
            return NotebookLifecycleConfig(**base, last_modified_at=modified, hooks=hooks)
        found.extend(SecretFinding(source=source, line=h.line, kind=h.kind) for h in find_secrets_in_text(text))
    return NotebookLifecycleConfig(
        **base,
        last_modified_at=raw.get("LastModifiedTime") or modified,
        hooks=hooks,
        secrets=tuple(found),
    )


def _decode_script(content: str) -> str | None:
    try:
        return base64.b64decode(content, validate=True).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        return None


def model_from_api(summary: dict[str, Any], raw: dict[str, Any] | None, base: dict[str, Any]) -> Model:
    if raw is None:
        return Model(**base)
    primary = raw.get("PrimaryContainer")
    sourced = ([("PrimaryContainer", primary)] if primary else []) + [
        (f"Containers[{i}]", c) for i, c in enumerate(raw.get("Containers") or [])
    ]
    return Model(
        **base,
        **_vpc(raw.get("VpcConfig")),
        network_isolation=bool(raw.get("EnableNetworkIsolation")),
        containers=tuple(_container(c, primary=s == "PrimaryContainer") for s, c in sourced),
        execution_role_arn=raw.get("ExecutionRoleArn"),
        secrets=tuple(
            secret for s, c in sourced for secret in _mapping_secrets(f"{s}.Environment", c.get("Environment"))
        ),
    )


def _container(raw: dict[str, Any], *, primary: bool = False) -> ModelContainer:
    return ModelContainer(
        image=raw.get("Image"),
        model_data_url=raw.get("ModelDataUrl"),
        model_package_name=raw.get("ModelPackageName"),
        repository_access_mode=(raw.get("ImageConfig") or {}).get("RepositoryAccessMode"),
        primary=primary,
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


# -- Model Monitor --------------------------------------------------------------------------


def monitoring_schedule_from_api(
    summary: dict[str, Any], raw: dict[str, Any] | None, base: dict[str, Any]
) -> MonitoringSchedule:
    listed = {
        "status": summary.get("MonitoringScheduleStatus"),
        "monitoring_type": summary.get("MonitoringType"),
        "endpoint_name": summary.get("EndpointName"),
    }
    if raw is None:
        return MonitoringSchedule(**base, **listed)
    config = raw.get("MonitoringScheduleConfig") or {}
    inline = config.get("MonitoringJobDefinition")
    return MonitoringSchedule(
        **base,
        status=raw.get("MonitoringScheduleStatus") or listed["status"],
        monitoring_type=raw.get("MonitoringType") or config.get("MonitoringType") or listed["monitoring_type"],
        endpoint_name=raw.get("EndpointName") or listed["endpoint_name"],
        job=ScheduleJob(
            definition_name=config.get("MonitoringJobDefinitionName"),
            inline=_inline_monitoring_job(inline) if inline else None,
        ),
    )


def _inline_monitoring_job(raw: dict[str, Any]) -> MonitoringJobConfig:
    """A MonitoringJobDefinition embedded in a schedule (its keys differ from a job definition's)."""
    inputs = raw.get("MonitoringInputs") or [{}]
    return _monitoring_job(
        network=raw.get("NetworkConfig"),
        resources=raw.get("MonitoringResources"),
        output=raw.get("MonitoringOutputConfig"),
        app=raw.get("MonitoringAppSpecification"),
        job_input=inputs[0],
        role_arn=raw.get("RoleArn"),
    )


def _monitoring_job(
    *,
    network: dict[str, Any] | None,
    resources: dict[str, Any] | None,
    output: dict[str, Any] | None,
    app: dict[str, Any] | None,
    job_input: dict[str, Any] | None,
    role_arn: str | None,
) -> MonitoringJobConfig:
    net = network or {}
    cluster = (resources or {}).get("ClusterConfig") or {}
    return MonitoringJobConfig(
        network_isolation=bool(net.get("EnableNetworkIsolation")),
        inter_container_encryption=bool(net.get("EnableInterContainerTrafficEncryption")),
        **_vpc(net.get("VpcConfig")),
        instance_count=cluster.get("InstanceCount"),
        volume_encryption=KmsEncryption(kms_key_id=cluster.get("VolumeKmsKeyId") or None),
        output_encryption=KmsEncryption(kms_key_id=(output or {}).get("KmsKeyId") or None),
        role_arn=role_arn,
        image=(app or {}).get("ImageUri"),
        endpoint_name=((job_input or {}).get("EndpointInput") or {}).get("EndpointName"),
    )


def job_definition_builder(
    rtype: type[MonitoringJobDefinition],
) -> Callable[[dict[str, Any], dict[str, Any] | None, dict[str, Any]], MonitoringJobDefinition]:
    """The translation of one job definition kind: its keys are prefixed with the monitoring type
    (``DataQualityAppSpecification``, ``ModelBiasJobInput``, ...)."""
    prefix = rtype.monitoring_type

    def build(summary: dict[str, Any], raw: dict[str, Any] | None, base: dict[str, Any]) -> MonitoringJobDefinition:
        if raw is None:
            return rtype(**base, endpoint_name=summary.get("EndpointName"))
        config = _monitoring_job(
            network=raw.get("NetworkConfig"),
            resources=raw.get("JobResources"),
            output=raw.get(f"{prefix}JobOutputConfig"),
            app=raw.get(f"{prefix}AppSpecification"),
            job_input=raw.get(f"{prefix}JobInput"),
            role_arn=raw.get("RoleArn"),
        )
        return rtype(**base, endpoint_name=config.endpoint_name or summary.get("EndpointName"), config=config)

    return build


# -- Feature Store, domains, inference experiments -------------------------------------------


def feature_group_from_api(summary: dict[str, Any], raw: dict[str, Any] | None, base: dict[str, Any]) -> FeatureGroup:
    status = summary.get("FeatureGroupStatus")
    if raw is None:
        return FeatureGroup(**base, status=status)
    return FeatureGroup(
        **base,
        status=raw.get("FeatureGroupStatus") or status,
        role_arn=raw.get("RoleArn"),
        offline_store=_offline_store(raw.get("OfflineStoreConfig")),
        online_store=_online_store(raw.get("OnlineStoreConfig")),
    )


def _offline_store(raw: dict[str, Any] | None) -> OfflineStore:
    if not raw:
        return OfflineStore()
    s3 = raw.get("S3StorageConfig") or {}
    return OfflineStore(
        enabled=True,
        s3_uri=s3.get("ResolvedOutputS3Uri") or s3.get("S3Uri"),
        encryption=KmsEncryption(kms_key_id=s3.get("KmsKeyId") or None),
    )


def _online_store(raw: dict[str, Any] | None) -> OnlineStore:
    if not raw:
        return OnlineStore()
    return OnlineStore(
        enabled=bool(raw.get("EnableOnlineStore")),
        storage_type=raw.get("StorageType"),
        encryption=KmsEncryption(kms_key_id=(raw.get("SecurityConfig") or {}).get("KmsKeyId") or None),
    )


def domain_from_api(summary: dict[str, Any], raw: dict[str, Any] | None, base: dict[str, Any]) -> Domain:
    domain_id = summary["DomainId"]
    status = summary.get("Status")
    if raw is None:
        return Domain(**base, domain_id=domain_id, status=status)
    user = raw.get("DefaultUserSettings") or {}
    return Domain(
        **base,
        domain_id=domain_id,
        status=raw.get("Status") or status,
        auth_mode=raw.get("AuthMode"),
        app_network_access_type=raw.get("AppNetworkAccessType", "PublicInternetOnly"),  # the documented default
        encryption=KmsEncryption(kms_key_id=raw.get("KmsKeyId") or None),
        vpc_id=raw.get("VpcId"),
        subnet_ids=tuple(raw.get("SubnetIds") or ()),
        security_group_ids=tuple(user.get("SecurityGroups") or ()),
        default_execution_role=user.get("ExecutionRole"),
        default_space_execution_role=(raw.get("DefaultSpaceSettings") or {}).get("ExecutionRole"),
    )


def inference_experiment_from_api(
    summary: dict[str, Any], raw: dict[str, Any] | None, base: dict[str, Any]
) -> InferenceExperiment:
    listed = {
        "status": summary.get("Status"),
        "experiment_type": summary.get("Type"),
        "role_arn": summary.get("RoleArn"),
    }
    if raw is None:
        return InferenceExperiment(**base, **listed)
    storage = raw.get("DataStorageConfig")
    return InferenceExperiment(
        **base,
        status=raw.get("Status") or listed["status"],
        experiment_type=raw.get("Type") or listed["experiment_type"],
        role_arn=raw.get("RoleArn") or listed["role_arn"],
        endpoint_name=(raw.get("EndpointMetadata") or {}).get("EndpointName"),
        encryption=KmsEncryption(kms_key_id=raw.get("KmsKey") or None),
        data_capture=(
            DataCapture(enabled=True, destination_s3_uri=storage.get("Destination"), kms_key_id=storage.get("KmsKey"))
            if storage
            else DataCapture()
        ),
    )


# -- Model registry -------------------------------------------------------------------------


def model_package_group_from_api(raw: dict[str, Any], account: str, region: str) -> ModelPackageGroup:
    return ModelPackageGroup(
        uid=raw["ModelPackageGroupArn"],
        name=raw["ModelPackageGroupName"],
        account=account,
        region=region,
        status=raw.get("ModelPackageGroupStatus"),
        created_at=raw.get("CreationTime"),
    )


def model_package_from_api(
    summary: dict[str, Any], raw: dict[str, Any] | None, account: str, region: str
) -> ModelPackage:
    group = summary.get("ModelPackageGroupName") or ""
    version = summary.get("ModelPackageVersion")
    listed: dict[str, Any] = {
        "uid": summary["ModelPackageArn"],
        "name": f"{group}/{version}" if version is not None else summary.get("ModelPackageName", group),
        "account": account,
        "region": region,
        "group_name": group,
        "version": version,
        "approval_status": summary.get("ModelApprovalStatus"),
        "status": summary.get("ModelPackageStatus"),
        "created_at": summary.get("CreationTime"),
    }
    if raw is None:
        return ModelPackage(**listed)
    containers = (raw.get("InferenceSpecification") or {}).get("Containers") or []
    return ModelPackage(
        **listed
        | {
            "approval_status": raw.get("ModelApprovalStatus") or listed["approval_status"],
            "status": raw.get("ModelPackageStatus") or listed["status"],
        },
        containers=tuple(
            PackageContainer(
                image=c.get("Image"), image_digest=c.get("ImageDigest"), model_data_url=c.get("ModelDataUrl")
            )
            for c in containers
        ),
    )


def _definition_kind(rtype: type[MonitoringJobDefinition]) -> _Kind:
    kind = rtype.monitoring_type  # DataQuality -> list_data_quality_job_definitions
    snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in kind).lstrip("_")
    return _Kind(
        rtype,
        f"list_{snake}_job_definitions",
        "JobDefinitionSummaries",
        f"describe_{snake}_job_definition",
        "MonitoringJobDefinitionName",
        "MonitoringJobDefinitionArn",
        job_definition_builder(rtype),
        describe_param="JobDefinitionName",
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
        ProcessingJob,
        "list_processing_jobs",
        "ProcessingJobSummaries",
        "describe_processing_job",
        "ProcessingJobName",
        "ProcessingJobArn",
        processing_job_from_api,
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
    _Kind(
        NotebookLifecycleConfig,
        "list_notebook_instance_lifecycle_configs",
        "NotebookInstanceLifecycleConfigs",
        "describe_notebook_instance_lifecycle_config",
        "NotebookInstanceLifecycleConfigName",
        "NotebookInstanceLifecycleConfigArn",
        lifecycle_config_from_api,
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
    _Kind(
        MonitoringSchedule,
        "list_monitoring_schedules",
        "MonitoringScheduleSummaries",
        "describe_monitoring_schedule",
        "MonitoringScheduleName",
        "MonitoringScheduleArn",
        monitoring_schedule_from_api,
    ),
    *(_definition_kind(rtype) for rtype in JOB_DEFINITION_TYPES),
    _Kind(
        FeatureGroup,
        "list_feature_groups",
        "FeatureGroupSummaries",
        "describe_feature_group",
        "FeatureGroupName",
        "FeatureGroupArn",
        feature_group_from_api,
    ),
    _Kind(
        Domain,
        "list_domains",
        "Domains",
        "describe_domain",
        "DomainName",
        "DomainArn",
        domain_from_api,
        id_key="DomainId",
        describe_param="DomainId",
    ),
    _Kind(
        InferenceExperiment,
        "list_inference_experiments",
        "InferenceExperiments",
        "describe_inference_experiment",
        "Name",
        None,
        inference_experiment_from_api,
        arn_resource="inference-experiment",
    ),
)

PERMISSIONS = (
    "sagemaker:ListTrainingJobs",
    "sagemaker:DescribeTrainingJob",
    "sagemaker:ListProcessingJobs",
    "sagemaker:DescribeProcessingJob",
    "sagemaker:ListNotebookInstances",
    "sagemaker:DescribeNotebookInstance",
    "sagemaker:ListNotebookInstanceLifecycleConfigs",
    "sagemaker:DescribeNotebookInstanceLifecycleConfig",
    "sagemaker:ListModels",
    "sagemaker:DescribeModel",
    "sagemaker:ListEndpointConfigs",
    "sagemaker:DescribeEndpointConfig",
    "sagemaker:ListEndpoints",
    "sagemaker:DescribeEndpoint",
    "sagemaker:ListMonitoringSchedules",
    "sagemaker:DescribeMonitoringSchedule",
    "sagemaker:ListDataQualityJobDefinitions",
    "sagemaker:DescribeDataQualityJobDefinition",
    "sagemaker:ListModelQualityJobDefinitions",
    "sagemaker:DescribeModelQualityJobDefinition",
    "sagemaker:ListModelBiasJobDefinitions",
    "sagemaker:DescribeModelBiasJobDefinition",
    "sagemaker:ListModelExplainabilityJobDefinitions",
    "sagemaker:DescribeModelExplainabilityJobDefinition",
    "sagemaker:ListFeatureGroups",
    "sagemaker:DescribeFeatureGroup",
    "sagemaker:ListDomains",
    "sagemaker:DescribeDomain",
    "sagemaker:ListInferenceExperiments",
    "sagemaker:DescribeInferenceExperiment",
    "sagemaker:ListModelPackageGroups",
    "sagemaker:ListModelPackages",
    "sagemaker:DescribeModelPackage",
)

SERVICE = ServiceSpec(
    name="sagemaker",
    produces=(
        TrainingJob,
        ProcessingJob,
        NotebookInstance,
        NotebookLifecycleConfig,
        Model,
        EndpointConfig,
        Endpoint,
        MonitoringSchedule,
        DataQualityJobDefinition,
        ModelQualityJobDefinition,
        ModelBiasJobDefinition,
        ModelExplainabilityJobDefinition,
        FeatureGroup,
        Domain,
        InferenceExperiment,
        ModelPackageGroup,
        ModelPackage,
    ),
    regional=True,
    permissions=PERMISSIONS,
    collect=collect,
)
