"""Vertex AI snapshots: endpoints, models (registry versions), custom jobs, training pipelines
and datasets, from the Vertex AI REST API v1 (``{location}-aiplatform.googleapis.com``).

Every field comes from the resource's listing, so it is known whenever the resource is listed;
fields the API omits are "not configured" (documented on each field). ``uid`` is the resource
name (``projects/P/locations/L/endpoints/ID``), ``account`` the project the scan asked for,
``region`` the location.
"""

from __future__ import annotations

from typing import ClassVar

from cspm.resources.base import Resource, Snapshot
from cspm.resources.gcp.iam import PolicyBinding


class DeployedModel(Snapshot):
    id: str
    model: str  # projects/P/locations/L/models/ID
    model_version_id: str | None = None
    service_account: str | None = None  # the identity the serving container runs as; None: Vertex's service agent
    traffic_percent: int = 0  # the endpoint's trafficSplit for this deployed model


class VertexEndpoint(Resource):
    resource_type: ClassVar[str] = "gcp.vertex.endpoint"

    network: str | None = None  # VPC peering (private endpoint); None: not peered
    private_service_connect: bool = False  # privateServiceConnectConfig.enablePrivateServiceConnect
    psc_project_allowlist: tuple[str, ...] = ()
    kms_key: str | None = None  # encryptionSpec.kmsKeyName; None: Google-managed key
    deployed_models: tuple[DeployedModel, ...] = ()
    # The resource's own IAM policy (:getIamPolicy, cspm.providers.gcp.vertex_iam); None: not read
    # (``iam_policy_error`` says why), never "no bindings". () is a policy with no bindings.
    iam_bindings: tuple[PolicyBinding, ...] | None = None
    iam_policy_error: str | None = None


class ModelVersion(Snapshot):
    """One version of a registry model, as models.listVersions returns it."""

    version_id: str
    aliases: tuple[str, ...] = ()  # versionAliases (``default`` marks the default version)
    artifact_uri: str | None = None  # each version has its own artifacts: kept for lineage
    kms_key: str | None = None  # encryptionSpec.kmsKeyName; None: Google-managed key
    deployed_to: tuple[str, ...] = ()  # endpoint names (deployedModels[].endpoint)


class VertexModel(Resource):
    """One model of the registry (its default version, as models.list returns it), with every
    version in ``versions``."""

    resource_type: ClassVar[str] = "gcp.vertex.model"

    version_id: str | None = None
    version_aliases: tuple[str, ...] = ()
    artifact_uri: str | None = None  # gs://BUCKET/PATH of the model files; None: none (e.g. AutoML)
    kms_key: str | None = None
    container_image: str | None = None  # containerSpec.imageUri
    training_pipeline: str | None = None  # the pipeline that produced it
    deployed_to: tuple[str, ...] = ()  # endpoint names (deployedModels[].endpoint)
    versions: tuple[ModelVersion, ...] | None = None  # models.listVersions; None: could not be read


class VertexCustomJob(Resource):
    resource_type: ClassVar[str] = "gcp.vertex.custom_job"

    state: str | None = None
    service_account: str | None = None  # jobSpec.serviceAccount; None: the Custom Code Service Agent
    network: str | None = None  # jobSpec.network (VPC peering); None: Google's network
    psc_interface: bool = False  # jobSpec.pscInterfaceConfig set
    web_access: bool = False  # jobSpec.enableWebAccess (interactive shell)
    output_uri: str | None = None  # jobSpec.baseOutputDirectory.outputUriPrefix
    images: tuple[str, ...] = ()  # workerPoolSpecs[].containerSpec.imageUri / pythonPackageSpec.executorImageUri
    kms_key: str | None = None


class VertexTrainingPipeline(Resource):
    resource_type: ClassVar[str] = "gcp.vertex.training_pipeline"

    state: str | None = None
    service_account: str | None = None  # trainingTaskInputs.serviceAccount (custom training); None: not set
    network: str | None = None  # trainingTaskInputs.network
    output_uri: str | None = None  # trainingTaskInputs.baseOutputDirectory.outputUriPrefix
    kms_key: str | None = None
    model_kms_key: str | None = None  # modelToUpload.encryptionSpec.kmsKeyName
    model: str | None = None  # modelToUpload.name, once uploaded
    # The lineage (cspm/lineage_gcp.py): where the pipeline's data comes from and its model goes.
    model_id: str | None = None  # modelId: the id asked for the uploaded model
    dataset_id: str | None = None  # inputDataConfig.datasetId: the Vertex dataset it trains on
    data_export_uri: str | None = None  # inputDataConfig.gcsDestination.outputUriPrefix: the exported splits


class VertexDataset(Resource):
    resource_type: ClassVar[str] = "gcp.vertex.dataset"

    metadata_schema: str | None = None  # metadataSchemaUri
    # metadata.inputConfig.gcsSource.uri (tabular, time series): where the data is read from; () none
    gcs_sources: tuple[str, ...] = ()
    kms_key: str | None = None


class VertexFeatureOnlineStore(Resource):
    """A Vertex AI Feature Store online store (``featureOnlineStores``)."""

    resource_type: ClassVar[str] = "gcp.vertex.feature_online_store"

    storage: str | None = None  # "optimized" or "bigtable"; None: neither returned
    state: str | None = None
    dedicated_endpoint: bool = False  # dedicatedServingEndpoint returned (Optimized online serving)
    private_service_connect: bool = (
        False  # dedicatedServingEndpoint.privateServiceConnectConfig.enablePrivateServiceConnect
    )
    public_endpoint: str | None = None  # dedicatedServingEndpoint.publicEndpointDomainName
    kms_key: str | None = None
    # The resource's own IAM policy (:getIamPolicy, cspm.providers.gcp.vertex_iam); None: not read
    # (``iam_policy_error`` says why), never "no bindings". () is a policy with no bindings.
    iam_bindings: tuple[PolicyBinding, ...] | None = None
    iam_policy_error: str | None = None


class VertexFeaturestore(Resource):
    """A legacy Vertex AI Feature Store (``featurestores``)."""

    resource_type: ClassVar[str] = "gcp.vertex.featurestore"

    state: str | None = None
    online_nodes: int | None = None  # onlineServingConfig.fixedNodeCount (or scaling.minNodeCount); None: none
    kms_key: str | None = None
    # The resource's own IAM policy (:getIamPolicy, cspm.providers.gcp.vertex_iam); None: not read
    # (``iam_policy_error`` says why), never "no bindings". () is a policy with no bindings.
    iam_bindings: tuple[PolicyBinding, ...] | None = None
    iam_policy_error: str | None = None
