"""Extra resources for ``cspm demo`` that make the AI lineage visible from end to end.

:func:`seed_lineage` runs after the rest of the acme-ml account exists (it is called at the end of
:func:`cspm.demo.seed.seed`) and adds, in the home region:

- **a shadow deployment trained on public data**: the fine-tuning job
  ``fraud-detection-finetune-benchmark`` trains on the public benchmark bucket
  (``acme-ml-datasets-public``) with the legacy execution role (an administrator) and writes its
  artifact to the unversioned model-artifacts bucket; the model built from that artifact runs the
  platform's inference image and is served by the InService endpoint ``fraud-detection-shadow``.
  One chain, public data → admin-role job → unversioned artifact → model → endpoint, which the
  graph checks report: ``aws.lineage.training_data_is_not_broadly_writable``,
  ``aws.lineage.training_role_cannot_escalate_to_admin`` and
  ``aws.lineage.endpoint_model_artifacts_are_protected``.
- **an archived model whose artifact bucket is gone** (``acme-ml-models-archive-2022`` was
  deleted): the lineage keeps its edge, marked unresolved. No endpoint serves it and its image
  resolves, so it adds no ERROR finding.

Everything is created over the wire with boto3, like the rest of the demo account.
"""

from __future__ import annotations

from typing import Any

from cspm.demo.seed import HOME_REGION, PLANS, TAGS, Clients, Seeded, image_uri, role_arn

PUBLIC_DATA = "s3://acme-ml-datasets-public/benchmarks/fraud-2023/"
DELETED_BUCKET = "acme-ml-models-archive-2022"
FINETUNE_JOB = "fraud-detection-finetune-benchmark"
SHADOW_MODEL = "fraud-detection-model-finetuned"
SHADOW_CONFIG = "fraud-detection-shadow-config"
SHADOW_ENDPOINT = "fraud-detection-shadow"
ARCHIVED_MODEL = "fraud-detection-model-v0-archived"


def seed_lineage(clients: Clients, out: Seeded) -> list[str]:
    """Create the lineage story in the home region; returns the SageMaker names it created
    (also appended to ``out.sagemaker``). Does nothing when the home region was not seeded."""
    if HOME_REGION not in out.sagemaker:
        return []
    plan = PLANS[HOME_REGION]
    sm = clients("sagemaker", HOME_REGION)
    tags = [{"Key": k, "Value": v} for k, v in {**TAGS, "product": plan.product, "stage": "shadow"}.items()]
    account = out.account
    inference = image_uri(account, HOME_REGION, "acme-ml/inference")
    output = f"s3://{plan.artifact_bucket}/shadow"

    _finetune_job(sm, account, output, tags)
    sm.create_model(
        ModelName=SHADOW_MODEL,
        ExecutionRoleArn=role_arn(account, "AcmeSageMakerExecution-Training"),
        PrimaryContainer={"Image": inference, "ModelDataUrl": f"{output}/{FINETUNE_JOB}/output/model.tar.gz"},
        Tags=tags,
    )
    sm.create_endpoint_config(
        EndpointConfigName=SHADOW_CONFIG,
        ProductionVariants=[
            {
                "VariantName": "shadow",
                "ModelName": SHADOW_MODEL,
                "InitialInstanceCount": 1,
                "InstanceType": "ml.m5.large",
                "InitialVariantWeight": 1.0,
            }
        ],
        Tags=tags,
    )
    sm.create_endpoint(EndpointName=SHADOW_ENDPOINT, EndpointConfigName=SHADOW_CONFIG, Tags=tags)
    sm.create_model(
        ModelName=ARCHIVED_MODEL,
        ExecutionRoleArn=role_arn(account, "AcmeSageMakerExecution-Training"),
        PrimaryContainer={"Image": inference, "ModelDataUrl": f"s3://{DELETED_BUCKET}/fraud/v0/model.tar.gz"},
        Tags=tags,
    )
    names = [FINETUNE_JOB, SHADOW_MODEL, SHADOW_CONFIG, SHADOW_ENDPOINT, ARCHIVED_MODEL]
    out.sagemaker[HOME_REGION].extend(names)
    return names


def _finetune_job(sm: Any, account: str, output: str, tags: list[dict[str, str]]) -> None:
    sm.create_training_job(
        TrainingJobName=FINETUNE_JOB,
        AlgorithmSpecification={
            "TrainingImage": image_uri(account, HOME_REGION, "acme-ml/training"),
            "TrainingInputMode": "File",
        },
        RoleArn=role_arn(account, "AcmeSageMakerExecution-Legacy"),
        InputDataConfig=[
            {
                "ChannelName": "train",
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": PUBLIC_DATA,
                        "S3DataDistributionType": "FullyReplicated",
                    }
                },
            }
        ],
        OutputDataConfig={"S3OutputPath": output},
        ResourceConfig={"InstanceType": "ml.g5.2xlarge", "InstanceCount": 1, "VolumeSizeInGB": 100},
        StoppingCondition={"MaxRuntimeInSeconds": 14400},
        HyperParameters={"epochs": "3", "base-model": "fraud-detection-model-v3"},
        Tags=tags,
    )
