"""The demo project's AI supply chain on Google Cloud (docs/lineage.md, "GCP").

:func:`seed_lineage` grows :func:`cspm.demo.gcp.demo_project` by one chain:

public training bucket → custom job ``train-churn-v2`` (running as the default compute service
  account, which holds Editor) → model ``churn-model-v2`` (its artifact in the same bucket) →
  endpoint ``churn-public``, deployed at 0 % of the traffic split: still deployed, one edit from
  serving.

The demo keeps every GCP setting readable (its tests say so), so the unresolved references
(a dataset reading a bucket of a project the scan cannot see) are shown by tests/test_lineage_gcp.py,
which uses the builders below.

The JSON builders add the fields the shared builders of :mod:`cspm.demo.gcp` leave out, in the
shapes of the Vertex AI REST reference (``TrainingPipeline.inputDataConfig``, ``Dataset.metadata``
of a tabular dataset, ``Endpoint.deployedModels`` / ``trafficSplit``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cspm.demo.gcp import FakeGcs


def with_input_data(
    raw: dict[str, Any], *, dataset_id: str | None = None, export_uri: str | None = None, model_id: str | None = None
) -> dict[str, Any]:
    """A ``TrainingPipeline`` with ``inputDataConfig`` (datasetId, gcsDestination) and ``modelId``."""
    config: dict[str, Any] = {}
    if dataset_id:
        config["datasetId"] = dataset_id
    if export_uri:
        config["gcsDestination"] = {"outputUriPrefix": export_uri}
    if config:
        raw["inputDataConfig"] = config
    if model_id:
        raw["modelId"] = model_id
    return raw


def with_gcs_source(raw: dict[str, Any], *uris: str) -> dict[str, Any]:
    """A tabular ``Dataset`` whose data is read from Cloud Storage (``metadata.inputConfig.gcsSource.uri``)."""
    raw["metadata"] = {"inputConfig": {"gcsSource": {"uri": list(uris)}}}
    return raw


def with_deployed_model(
    raw: dict[str, Any], dm_id: str, model: str, percent: int, service_account: str | None = None
) -> dict[str, Any]:
    """An ``Endpoint`` with one more deployed model taking ``percent`` of the traffic split."""
    raw.setdefault("deployedModels", []).append(
        {
            "id": dm_id,
            "model": model,
            "modelVersionId": "1",
            "displayName": dm_id,
            "createTime": "2026-02-01T00:00:00.000000Z",
            "dedicatedResources": {"machineSpec": {"machineType": "n1-standard-4"}, "minReplicaCount": 1},
            **({"serviceAccount": service_account} if service_account else {}),
        }
    )
    raw.setdefault("trafficSplit", {})[dm_id] = percent
    return raw


def seed_lineage(fake: FakeGcs) -> None:
    """Add the chain above to the demo project (after its Vertex AI resources)."""
    from cspm.demo.gcp import (
        DEMO_PROJECT,
        DEMO_PROJECT_NUMBER,
        PUBLIC_BUCKET,
        custom_job,
        vertex_model,
    )
    from cspm.demo.gcp_objects import safetensors_model

    where: dict[str, Any] = {"project": DEMO_PROJECT_NUMBER, "location": "europe-west4"}
    prefix = f"projects/{DEMO_PROJECT_NUMBER}/locations/europe-west4"
    compute = f"{DEMO_PROJECT_NUMBER}-compute@developer.gserviceaccount.com"
    endpoint = f"{prefix}/endpoints/churn-public"
    fake.add_vertex(
        "customJobs",
        custom_job("train-churn-v2", service_account=compute, output_uri=f"gs://{PUBLIC_BUCKET}/churn-v2/", **where),
        project=DEMO_PROJECT,
    )
    fake.add_vertex(
        "models",
        vertex_model(
            "churn-model-v2", artifact_uri=f"gs://{PUBLIC_BUCKET}/churn-v2/model/", endpoints=(endpoint,), **where
        ),
        project=DEMO_PROJECT,
    )
    # the model's files (read with --inspect-artifacts): a safe format, in a bucket anyone can read
    fake.objects.put(PUBLIC_BUCKET, "churn-v2/model/model.safetensors", safetensors_model())
    for raw in fake.vertex.get((DEMO_PROJECT, "europe-west4", "endpoints"), []):
        if raw["name"] == endpoint:
            with_deployed_model(raw, "7003", f"{prefix}/models/churn-model-v2", 0, compute)
