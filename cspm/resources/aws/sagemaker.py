"""SageMaker snapshots: the ML lifecycle from notebooks and feature stores to jobs, the model
registry, models, endpoints and their monitoring.

Each resource comes from a List call (uid, name, status, creation time) and one Describe call
(everything else). When the Describe call fails the resource is kept and every field it would
have filled is ``None``. Values that may legitimately be absent in a successful Describe (a KMS
key, a data-capture destination) live in small sub-models, so ``None`` on the resource always
means "unreadable" and an absent setting is an explicit value inside the sub-model.

The S3 URIs, image URIs, role ARNs and KMS key ids are kept as data: they are the edges of the
lineage graph (training data → training job → model artifact → model → endpoint config →
endpoint).

Secrets: environment variables, hyperparameters and lifecycle scripts are scanned by the collector
(:mod:`cspm.secrets`); a snapshot keeps only *where* a secret is and *what kind* it is
(:class:`SecretFinding`), never a value and never a script's text.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from cspm.resources.base import Resource, Snapshot


def is_customer_managed_key(kms_key_id: str | None) -> bool:
    """Whether a KmsKeyId names a customer-managed key: any key id, key ARN or alias except the
    AWS-managed aliases (``alias/aws/...``), which give no key policy of the customer's own."""
    if not kms_key_id:
        return False
    alias = kms_key_id.split(":", 5)[-1] if kms_key_id.startswith("arn:") else kms_key_id
    return not alias.startswith("alias/aws/")


class KmsEncryption(Snapshot):
    """A KmsKeyId setting. ``kms_key_id`` None: no key configured (SageMaker uses an AWS-managed key)."""

    kms_key_id: str | None = None

    @property
    def customer_managed(self) -> bool:
        return is_customer_managed_key(self.kms_key_id)


class SecretFinding(Snapshot):
    """A secret found in a resource's configuration. The value is never kept.

    ``source`` says where: ``Environment``, ``HyperParameters``, ``OnCreate`` / ``OnStart`` (a
    lifecycle script), ``Containers[i].Environment`` (a model container). ``key`` is the variable
    or hyperparameter name (for mappings), ``line`` the 1-based line (for scripts); ``kind`` is
    what was detected ("AWS Access Key", "Secret-named variable", ...; see cspm.secrets).
    """

    source: str
    kind: str
    key: str | None = None
    line: int | None = None


class TrainingJob(Resource):
    """One training job (DescribeTrainingJob)."""

    resource_type: ClassVar[str] = "aws.sagemaker.training_job"

    status: str | None = None  # InProgress | Completed | Failed | Stopping | Stopped
    created_at: datetime | None = None
    role_arn: str | None = None
    # None: unreadable; (): not in a customer VPC (runs in the SageMaker service network).
    subnet_ids: tuple[str, ...] | None = None
    security_group_ids: tuple[str, ...] | None = None
    network_isolation: bool | None = None  # EnableNetworkIsolation
    inter_container_encryption: bool | None = None  # EnableInterContainerTrafficEncryption
    # Instances in the cluster (ResourceConfig.InstanceCount, or the sum over InstanceGroups).
    instance_count: int | None = None
    volume_encryption: KmsEncryption | None = None  # ResourceConfig.VolumeKmsKeyId
    output_encryption: KmsEncryption | None = None  # OutputDataConfig.KmsKeyId
    output_s3_path: str | None = None  # OutputDataConfig.S3OutputPath
    # The artifact the job produced (ModelArtifacts.S3ModelArtifacts): unset until the job completes,
    # so None here also means "no artifact".
    model_artifacts_s3_uri: str | None = None
    input_s3_uris: tuple[str, ...] | None = None  # InputDataConfig[].DataSource.S3DataSource.S3Uri
    # AlgorithmSpecification: a training image, or an algorithm resource (Marketplace or own).
    # Both None when unreadable; exactly one is set for a described job.
    training_image: str | None = None
    algorithm_name: str | None = None
    # AlgorithmSpecification.TrainingImageConfig.TrainingRepositoryAccessMode: "Vpc" when the image
    # is pulled from a private Docker registry through the job's VPC; "Platform" when SageMaker
    # pulls it itself (from Amazon ECR), which is also what an absent TrainingImageConfig means.
    # None when the job could not be described.
    training_repository_access_mode: str | None = None
    # The names of the job's environment variables. Values are never kept: they often hold secrets.
    environment_keys: tuple[str, ...] | None = None
    # Secrets found in Environment and HyperParameters (key and kind only); () when none.
    secrets: tuple[SecretFinding, ...] | None = None


class ProcessingJob(Resource):
    """One processing job (DescribeProcessingJob): data preparation, evaluation, and the runs of
    monitoring schedules."""

    resource_type: ClassVar[str] = "aws.sagemaker.processing_job"

    status: str | None = None  # InProgress | Completed | Failed | Stopping | Stopped
    created_at: datetime | None = None
    role_arn: str | None = None
    # NetworkConfig. None: unreadable; (): not in a customer VPC.
    subnet_ids: tuple[str, ...] | None = None
    security_group_ids: tuple[str, ...] | None = None
    network_isolation: bool | None = None  # NetworkConfig.EnableNetworkIsolation
    inter_container_encryption: bool | None = None  # NetworkConfig.EnableInterContainerTrafficEncryption
    instance_count: int | None = None  # ProcessingResources.ClusterConfig.InstanceCount
    volume_encryption: KmsEncryption | None = None  # ProcessingResources.ClusterConfig.VolumeKmsKeyId
    output_encryption: KmsEncryption | None = None  # ProcessingOutputConfig.KmsKeyId
    image: str | None = None  # AppSpecification.ImageUri
    input_s3_uris: tuple[str, ...] | None = None  # ProcessingInputs[].S3Input.S3Uri
    output_s3_uris: tuple[str, ...] | None = None  # ProcessingOutputConfig.Outputs[].S3Output.S3Uri
    environment_keys: tuple[str, ...] | None = None  # names only, as for training jobs
    secrets: tuple[SecretFinding, ...] | None = None  # found in Environment
    # Informational: what started the job (None when unreadable or started directly).
    monitoring_schedule_arn: str | None = None
    training_job_arn: str | None = None


class NotebookInstance(Resource):
    """One notebook instance (DescribeNotebookInstance)."""

    resource_type: ClassVar[str] = "aws.sagemaker.notebook_instance"

    status: str | None = None  # Pending | InService | Stopping | Stopped | Failed | Deleting | Updating
    created_at: datetime | None = None
    instance_type: str | None = None
    # None: unreadable; (): not in a customer VPC (runs in the SageMaker service network).
    subnet_ids: tuple[str, ...] | None = None
    security_group_ids: tuple[str, ...] | None = None
    direct_internet_access: bool | None = None  # DirectInternetAccess == "Enabled"
    # RootAccess == "Enabled". AWS documents "Enabled" as the default, and a response without the
    # field is read as that default (moto omits it when it was not set at creation).
    root_access: bool | None = None
    encryption: KmsEncryption | None = None  # KmsKeyId (the ML storage volume)
    role_arn: str | None = None
    # None when unreadable or not reported. platform_identifier decides SageMaker.8.
    platform_identifier: str | None = None  # notebook-al2-v2, notebook-al2023-v1, ...
    lifecycle_config_name: str | None = None


class NotebookLifecycleConfig(Resource):
    """One notebook instance lifecycle configuration (DescribeNotebookInstanceLifecycleConfig).

    The OnCreate/OnStart scripts are scanned for secrets when collected; their text is never kept.
    """

    resource_type: ClassVar[str] = "aws.sagemaker.notebook_lifecycle_config"

    created_at: datetime | None = None
    last_modified_at: datetime | None = None
    hooks: tuple[str, ...] | None = None  # the hooks that have a script: "OnCreate", "OnStart"
    # None: unreadable (describe failed, or a script was not valid base64); (): no secret found.
    secrets: tuple[SecretFinding, ...] | None = None


class ModelContainer(Snapshot):
    """One container of a model: PrimaryContainer, or an element of Containers[] (inference pipeline)."""

    image: str | None = None  # None when the container comes from a model package
    model_data_url: str | None = None  # the S3 artifact; None for models without one
    model_package_name: str | None = None
    # ImageConfig.RepositoryAccessMode: "Platform" (the image is in Amazon ECR and SageMaker pulls
    # it) | "Vpc" (a private Docker registry reached through the model's VPC); None when ImageConfig
    # is absent, which is the ECR default (Platform).
    repository_access_mode: str | None = None
    primary: bool = False  # True for PrimaryContainer, False for an element of Containers[]


class Model(Resource):
    """One model (DescribeModel)."""

    resource_type: ClassVar[str] = "aws.sagemaker.model"

    created_at: datetime | None = None
    # None: unreadable; (): not in a customer VPC (runs in the SageMaker service network).
    subnet_ids: tuple[str, ...] | None = None
    security_group_ids: tuple[str, ...] | None = None
    network_isolation: bool | None = None  # EnableNetworkIsolation
    # The primary container first (when set), then Containers[] in order.
    containers: tuple[ModelContainer, ...] | None = None
    # Informational: None when unreadable or when the model has no execution role.
    execution_role_arn: str | None = None
    # Secrets in the containers' Environment (source "PrimaryContainer.Environment" or
    # "Containers[i].Environment"); () when none.
    secrets: tuple[SecretFinding, ...] | None = None


class ProductionVariant(Snapshot):
    name: str
    model_name: str | None = None
    instance_type: str | None = None
    initial_instance_count: int | None = None
    serverless: bool = False  # ServerlessConfig present: no instances to count


class DataCapture(Snapshot):
    """DataCaptureConfig. ``enabled`` False when capture is off or not configured."""

    enabled: bool = False
    destination_s3_uri: str | None = None
    kms_key_id: str | None = None
    sampling_percentage: int | None = None

    @property
    def customer_managed_key(self) -> bool:
        return is_customer_managed_key(self.kms_key_id)


class EndpointConfig(Resource):
    """One endpoint configuration (DescribeEndpointConfig)."""

    resource_type: ClassVar[str] = "aws.sagemaker.endpoint_config"

    created_at: datetime | None = None
    encryption: KmsEncryption | None = None  # KmsKeyId (the ML storage volume of the hosting instances)
    variants: tuple[ProductionVariant, ...] | None = None
    data_capture: DataCapture | None = None


class Endpoint(Resource):
    """One endpoint (DescribeEndpoint)."""

    resource_type: ClassVar[str] = "aws.sagemaker.endpoint"

    status: str | None = None  # OutOfService | Creating | Updating | ... | InService | Failed
    created_at: datetime | None = None
    endpoint_config_name: str | None = None


# ---------------------------------------------------------------------------------------------
# Model registry
# ---------------------------------------------------------------------------------------------


class ModelPackageGroup(Resource):
    """One model package group of the model registry (ListModelPackageGroups)."""

    resource_type: ClassVar[str] = "aws.sagemaker.model_package_group"

    status: str | None = None  # Pending | InProgress | Completed | Failed | Deleting | DeleteFailed
    created_at: datetime | None = None


class PackageContainer(Snapshot):
    """One container of a model package's InferenceSpecification."""

    image: str | None = None
    image_digest: str | None = None
    model_data_url: str | None = None


class ModelPackage(Resource):
    """One versioned model package (ListModelPackages per group, then DescribeModelPackage).

    ``name`` is ``<group>/<version>``; ``uid`` the package ARN that models reference.
    """

    resource_type: ClassVar[str] = "aws.sagemaker.model_package"

    group_name: str
    version: int | None = None
    # From the listing: Approved | Rejected | PendingManualApproval; None when not reported.
    approval_status: str | None = None
    status: str | None = None  # ModelPackageStatus: Pending | InProgress | Completed | Failed | Deleting
    created_at: datetime | None = None
    # From DescribeModelPackage; None when it failed.
    containers: tuple[PackageContainer, ...] | None = None


# ---------------------------------------------------------------------------------------------
# Model Monitor
# ---------------------------------------------------------------------------------------------


class MonitoringJobConfig(Snapshot):
    """The job a monitor runs: a job definition's settings, or the MonitoringJobDefinition embedded
    in a monitoring schedule. Absent flags are False, as the API documents their defaults."""

    network_isolation: bool = False  # NetworkConfig.EnableNetworkIsolation
    inter_container_encryption: bool = False  # NetworkConfig.EnableInterContainerTrafficEncryption
    subnet_ids: tuple[str, ...] = ()  # NetworkConfig.VpcConfig
    security_group_ids: tuple[str, ...] = ()
    instance_count: int | None = None  # JobResources / MonitoringResources .ClusterConfig.InstanceCount
    volume_encryption: KmsEncryption = KmsEncryption()  # ClusterConfig.VolumeKmsKeyId
    output_encryption: KmsEncryption = KmsEncryption()  # ...OutputConfig.KmsKeyId
    role_arn: str | None = None
    image: str | None = None  # ...AppSpecification.ImageUri
    endpoint_name: str | None = None  # ...JobInput.EndpointInput.EndpointName (None for batch input)


class MonitoringJobDefinition(Resource):
    """A Model Monitor job definition. Not a resource type itself: one subclass per kind."""

    monitoring_type: ClassVar[str]  # the MonitoringType a schedule names for this kind

    created_at: datetime | None = None
    endpoint_name: str | None = None  # from the listing
    config: MonitoringJobConfig | None = None  # None: the Describe call failed


class DataQualityJobDefinition(MonitoringJobDefinition):
    """DescribeDataQualityJobDefinition."""

    resource_type: ClassVar[str] = "aws.sagemaker.data_quality_job_definition"
    monitoring_type: ClassVar[str] = "DataQuality"


class ModelQualityJobDefinition(MonitoringJobDefinition):
    """DescribeModelQualityJobDefinition."""

    resource_type: ClassVar[str] = "aws.sagemaker.model_quality_job_definition"
    monitoring_type: ClassVar[str] = "ModelQuality"


class ModelBiasJobDefinition(MonitoringJobDefinition):
    """DescribeModelBiasJobDefinition."""

    resource_type: ClassVar[str] = "aws.sagemaker.model_bias_job_definition"
    monitoring_type: ClassVar[str] = "ModelBias"


class ModelExplainabilityJobDefinition(MonitoringJobDefinition):
    """DescribeModelExplainabilityJobDefinition."""

    resource_type: ClassVar[str] = "aws.sagemaker.model_explainability_job_definition"
    monitoring_type: ClassVar[str] = "ModelExplainability"


JOB_DEFINITION_TYPES: tuple[type[MonitoringJobDefinition], ...] = (
    DataQualityJobDefinition,
    ModelQualityJobDefinition,
    ModelBiasJobDefinition,
    ModelExplainabilityJobDefinition,
)


class ScheduleJob(Snapshot):
    """What a monitoring schedule runs: a job definition by name, or an embedded definition."""

    definition_name: str | None = None  # MonitoringScheduleConfig.MonitoringJobDefinitionName
    inline: MonitoringJobConfig | None = None  # MonitoringScheduleConfig.MonitoringJobDefinition


class MonitoringSchedule(Resource):
    """One monitoring schedule (DescribeMonitoringSchedule)."""

    resource_type: ClassVar[str] = "aws.sagemaker.monitoring_schedule"

    status: str | None = None  # Pending | Failed | Scheduled | Stopped (from the listing too)
    created_at: datetime | None = None
    # DataQuality | ModelQuality | ModelBias | ModelExplainability (data quality when not reported)
    monitoring_type: str | None = None
    endpoint_name: str | None = None  # the endpoint monitored; None for batch transform monitors
    job: ScheduleJob | None = None  # None: the Describe call failed


# ---------------------------------------------------------------------------------------------
# Feature Store, Studio domains, inference experiments
# ---------------------------------------------------------------------------------------------


class OfflineStore(Snapshot):
    """OfflineStoreConfig. ``enabled`` False when the feature group has no offline store."""

    enabled: bool = False
    s3_uri: str | None = None  # S3StorageConfig.ResolvedOutputS3Uri, else S3Uri
    encryption: KmsEncryption = KmsEncryption()  # S3StorageConfig.KmsKeyId


class OnlineStore(Snapshot):
    """OnlineStoreConfig. ``enabled`` False when the feature group has no online store."""

    enabled: bool = False
    storage_type: str | None = None  # Standard | InMemory; None when not reported (Standard)
    encryption: KmsEncryption = KmsEncryption()  # SecurityConfig.KmsKeyId


class FeatureGroup(Resource):
    """One feature group (DescribeFeatureGroup)."""

    resource_type: ClassVar[str] = "aws.sagemaker.feature_group"

    status: str | None = None  # Creating | Created | CreateFailed | Deleting | DeleteFailed
    created_at: datetime | None = None
    role_arn: str | None = None
    offline_store: OfflineStore | None = None  # None: unreadable
    online_store: OnlineStore | None = None  # None: unreadable


class Domain(Resource):
    """One SageMaker AI (Studio) domain (DescribeDomain). ``name`` is the domain name."""

    resource_type: ClassVar[str] = "aws.sagemaker.domain"

    domain_id: str
    status: str | None = None
    created_at: datetime | None = None
    auth_mode: str | None = None  # SSO | IAM
    app_network_access_type: str | None = None  # PublicInternetOnly | VpcOnly
    encryption: KmsEncryption | None = None  # KmsKeyId (the domain's EFS volume and apps)
    vpc_id: str | None = None
    subnet_ids: tuple[str, ...] | None = None
    security_group_ids: tuple[str, ...] | None = None  # DefaultUserSettings.SecurityGroups
    default_execution_role: str | None = None  # DefaultUserSettings.ExecutionRole
    default_space_execution_role: str | None = None  # DefaultSpaceSettings.ExecutionRole


class InferenceExperiment(Resource):
    """One inference experiment, a shadow test (DescribeInferenceExperiment)."""

    resource_type: ClassVar[str] = "aws.sagemaker.inference_experiment"

    status: str | None = None  # Creating | Created | Updating | Running | Starting | Stopping | Completed | Cancelled
    created_at: datetime | None = None
    experiment_type: str | None = None  # ShadowMode
    role_arn: str | None = None
    endpoint_name: str | None = None
    encryption: KmsEncryption | None = None  # KmsKey (storage of the shadow variants' instances)
    data_capture: DataCapture | None = None  # DataStorageConfig; enabled False when absent


# The resources that can run in a customer VPC: each has ``subnet_ids`` and ``security_group_ids``.
VpcHosted = TrainingJob | NotebookInstance | Model | ProcessingJob
