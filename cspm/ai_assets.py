"""Which resource types are AI assets, and of which kind: the one table behind
``summary.ai_inventory`` (:func:`cspm.lineage.ai_inventory`), for every cloud.

A kind is a field of :class:`cspm.models.AiInventory`. Adding a resource type that is an AI asset
is one entry here (``tests/test_ai_assets.py`` checks every entry names a resource type the
scanner collects, and that every kind is a field of the report).

- ``models``: what an endpoint serves or a job produced (SageMaker models, Bedrock custom and
  imported models, Azure ML model asset versions, Vertex AI models);
- ``endpoints``: what answers inference requests (SageMaker endpoints, Bedrock provisioned
  throughputs, Azure ML online endpoints, Azure AI Services / Azure OpenAI model deployments,
  Vertex AI endpoints);
- ``training_jobs``: what trains or fine-tunes a model (SageMaker training jobs, Bedrock model
  customization jobs, Azure ML jobs of every type, Vertex AI custom jobs and training pipelines);
- ``processing_jobs``: SageMaker processing jobs;
- ``notebooks``: SageMaker notebook instances, Vertex AI Workbench instances;
- ``registries``: SageMaker model package groups, Azure ML registries (and the ECR repositories
  that hold an image a job or model uses, which are not counted by type: see ``ai_inventory``);
- ``datasets``: managed datasets and feature stores (Azure ML data assets, Vertex AI datasets,
  feature stores and online stores, SageMaker feature groups); data in plain buckets is not
  counted.

Agents, knowledge bases, guardrails and AgentCore resources are not counted: no field of the
report holds them yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

MODELS, ENDPOINTS, TRAINING_JOBS = "models", "endpoints", "training_jobs"
PROCESSING_JOBS, NOTEBOOKS, REGISTRIES, DATASETS = "processing_jobs", "notebooks", "registries", "datasets"

# resource type -> the kind of AI asset it is
AI_ASSETS: Final[Mapping[str, str]] = MappingProxyType(
    {
        # AWS
        "aws.sagemaker.model": MODELS,
        "aws.bedrock.custom_model": MODELS,
        "aws.bedrock.imported_model": MODELS,
        "aws.sagemaker.endpoint": ENDPOINTS,
        "aws.bedrock.provisioned_throughput": ENDPOINTS,
        "aws.sagemaker.training_job": TRAINING_JOBS,
        "aws.bedrock.customization_job": TRAINING_JOBS,
        "aws.sagemaker.processing_job": PROCESSING_JOBS,
        "aws.sagemaker.notebook_instance": NOTEBOOKS,
        "aws.sagemaker.model_package_group": REGISTRIES,
        "aws.sagemaker.feature_group": DATASETS,
        # Azure
        "azure.ml.model": MODELS,
        "azure.ml.online_endpoint": ENDPOINTS,
        "azure.cognitiveservices.deployment": ENDPOINTS,
        "azure.ml.job": TRAINING_JOBS,
        "azure.ml.registry": REGISTRIES,
        "azure.ml.data_asset": DATASETS,
        # Google Cloud
        "gcp.vertex.model": MODELS,
        "gcp.vertex.endpoint": ENDPOINTS,
        "gcp.vertex.custom_job": TRAINING_JOBS,
        "gcp.vertex.training_pipeline": TRAINING_JOBS,
        "gcp.workbench.instance": NOTEBOOKS,
        "gcp.vertex.dataset": DATASETS,
        "gcp.vertex.featurestore": DATASETS,
        "gcp.vertex.feature_online_store": DATASETS,
    }
)
KINDS: Final = (MODELS, ENDPOINTS, TRAINING_JOBS, PROCESSING_JOBS, NOTEBOOKS, REGISTRIES, DATASETS)


def by_kind() -> dict[str, tuple[str, ...]]:
    """kind -> the resource types of that kind (every kind, in :data:`KINDS` order)."""
    return {kind: tuple(t for t, k in AI_ASSETS.items() if k == kind) for kind in KINDS}
