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


# ---------------------------------------------------------------------------------------------
# Model artifacts (read by --inspect-artifacts; the demo turns it on when picklescan is installed)
# ---------------------------------------------------------------------------------------------

UNSAFE_MODEL = "fraud-detection-model-v3"  # behind the production endpoint fraud-detection-prod
DEMO_COMMAND = "echo 'cspm demo: this model file runs a shell command when it is loaded'"


class _RunsACommand:
    """Pickled (never loaded) as a call of ``os.system``: what a poisoned ``torch.save`` holds."""

    def __reduce__(self) -> tuple[object, tuple[str]]:
        import os

        return (os.system, (DEMO_COMMAND,))


def _model_tar(member: str, data: bytes) -> bytes:
    import io
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo(member)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def artifact_bodies() -> dict[str, bytes]:
    """The two artifacts of the demo: a PyTorch-style pickle that calls os.system, and safetensors."""
    import json
    import pickle
    import struct

    header = json.dumps({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}).encode()
    tensors = struct.pack("<Q", len(header)) + header + bytes(16)
    state = {"fc.weight": [0.1, 0.2], "fc.bias": [0.0], "_metadata": _RunsACommand()}
    return {
        "unsafe": _model_tar("model.pth", pickle.dumps(state, protocol=2)),
        "safe": _model_tar("model.safetensors", tensors),
    }


def seed_artifacts(clients: Clients, out: Seeded) -> int:
    """Upload the artifact of every model and model package whose bucket exists: the production
    fraud model's is the unsafe pickle, every other one safetensors. Returns how many."""
    from botocore.exceptions import ClientError

    bodies = artifact_bodies()
    uploaded: set[str] = set()
    for region in out.sagemaker:
        sm, s3 = clients("sagemaker", region), clients("s3", region)
        urls = []
        for summary in sm.list_models()["Models"]:
            container = sm.describe_model(ModelName=summary["ModelName"]).get("PrimaryContainer", {})
            urls.append((summary["ModelName"], container.get("ModelDataUrl")))
        for url_name, url in urls:
            if not url or url in uploaded:
                continue
            bucket, _, key = url[len("s3://") :].partition("/")
            body = bodies["unsafe" if url_name == UNSAFE_MODEL else "safe"]
            try:
                s3.put_object(Bucket=bucket, Key=key, Body=body)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "NoSuchBucket":
                    raise
                continue  # the archived model's bucket was deleted: its edge stays unresolved
            uploaded.add(url)
    return len(uploaded)
