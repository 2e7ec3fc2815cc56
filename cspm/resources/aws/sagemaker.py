"""SageMaker snapshots: training jobs, notebook instances, models, endpoint configs and endpoints.

Each resource comes from a List call (uid, name, status, creation time) and one Describe call
(everything else). When the Describe call fails the resource is kept and every field it would
have filled is ``None``. Values that may legitimately be absent in a successful Describe (a KMS
key, a data-capture destination) live in small sub-models, so ``None`` on the resource always
means "unreadable" and an absent setting is an explicit value inside the sub-model.

The S3 URIs, image URIs, role ARNs and KMS key ids are kept as data: they are the edges of the
lineage graph (training data → training job → model artifact → model → endpoint config →
endpoint).
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
    # The names of the job's environment variables. Values are never kept: they often hold secrets.
    environment_keys: tuple[str, ...] | None = None


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
    # Informational (no check decides on them): None when unreadable or not reported.
    platform_identifier: str | None = None  # notebook-al2-v2, notebook-al2023-v1, ...
    lifecycle_config_name: str | None = None


class ModelContainer(Snapshot):
    """One container of a model: PrimaryContainer, or an element of Containers[] (inference pipeline)."""

    image: str | None = None  # None when the container comes from a model package
    model_data_url: str | None = None  # the S3 artifact; None for models without one
    model_package_name: str | None = None
    # ImageConfig.RepositoryAccessMode: "Platform" | "Vpc"; None when ImageConfig is absent
    # (which SageMaker treats as Platform).
    repository_access_mode: str | None = None


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


# The resources that can run in a customer VPC: each has ``subnet_ids`` and ``security_group_ids``.
VpcHosted = TrainingJob | NotebookInstance | Model
