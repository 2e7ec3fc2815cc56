"""Azure ML model and data asset versions and jobs, through the real pipeline against the fake ARM."""

from __future__ import annotations

from collections import Counter

import pytest

from cspm.demo.azure import data_version, ml_job, model_version
from cspm.providers.azure import ml_assets
from cspm.resources.azure.ml import MlDatastore, MlOnlineEndpoint, MlWorkspace
from cspm.resources.azure.ml_assets import MlDataAsset, MlJob, MlModel, resolve_uri
from support.aws import one
from support.azure import SUB, FakeArm, collect_azure, datastore, hardened_workspace, workspace_id

TYPES = (MlWorkspace, MlOnlineEndpoint, MlJob, MlModel, MlDataAsset)


def _fake(page_size: int = 1000) -> FakeArm:
    fake = FakeArm(page_size=page_size)
    fake.add_workspace(hardened_workspace("ws"))
    fake.add_listing(
        workspace_id("ws") + "/datastores",
        [
            datastore("ws", account="mlstore", container_name="models", storage_rg="data-rg"),
            datastore("ws", "trainingdata", account="mldata", container_name="training"),
        ],
    )
    return fake


def test_models_data_assets_and_jobs_across_pages() -> None:
    fake = _fake(page_size=1)
    fake.add_jobs(
        [
            ml_job(
                "ws",
                "train-1",
                identity={"identityType": "Managed", "objectId": "job-oid", "clientId": "job-cid"},
                inputs={"training_data": "azureml://datastores/trainingdata/paths/fraud/2026/"},
                outputs={"model": "azureml://datastores/workspaceblobstore/paths/runs/train-1/model/"},
            ),
            ml_job("ws", "pipe", job_type="Pipeline", identity={"identityType": "AMLToken"}, outputs={"out": None}),
        ]
    )
    fake.add_asset(
        "models",
        [
            model_version("ws", "fraud", "1", job_name="train-1", flavors=("python_function", "sklearn")),
            model_version("ws", "fraud", "2", model_uri="azureml://jobs/train-1/outputs/model/paths/model.pkl"),
            model_version("ws", "ext", model_uri="https://other.blob.core.windows.net/drop/m.onnx", stage=None),
        ],
    )
    fake.add_asset(
        "data", [data_version("ws", "fraud-data", data_uri="azureml://datastores/trainingdata/paths/fraud/")]
    )

    inventory, _ = collect_azure(fake, *TYPES)

    assert not inventory.errors and not fake.violations
    job = one(inventory, MlJob, "train-1")
    assert job.uid == workspace_id("ws") + "/jobs/train-1" and job.job_type == "Command"
    assert (job.identity_type, job.identity_object_id, job.identity_client_id) == ("Managed", "job-oid", "job-cid")
    assert job.compute_id is not None and job.compute_id.endswith("/computes/train-gpu")
    assert job.created_by == "priya@acme.example"
    [data_in] = job.inputs
    assert data_in.location is not None and (data_in.location.account, data_in.location.container) == (
        "mldata",
        "training",
    )
    assert one(inventory, MlJob, "pipe").identity_type == "AMLToken" and one(inventory, MlJob, "pipe").outputs == ()

    v1 = one(inventory, MlModel, "fraud:1")
    assert v1.uid == workspace_id("ws") + "/models/fraud/versions/1" and v1.job_name == "train-1"
    assert v1.flavors == ("python_function", "sklearn") and v1.stage == "Development"
    assert v1.model_uri == "azureml://datastores/workspaceblobstore/paths/models/model.pkl"  # exactly as ARM gave it
    assert v1.artifact_blob_uri == "https://mlstore.blob.core.windows.net/models/models/model.pkl"
    assert v1.artifact is not None and v1.artifact.container_id() == (
        f"/subscriptions/{SUB}/resourceGroups/data-rg/providers/Microsoft.Storage/storageAccounts/mlstore/blobServices/default/containers/models"
    )
    v2 = one(inventory, MlModel, "fraud:2")  # registered from the job's output: resolved through the job
    assert v2.job_name == "train-1"
    assert v2.artifact_blob_uri == "https://mlstore.blob.core.windows.net/models/runs/train-1/model/model.pkl"
    assert not v1.artifact_is_folder  # a custom_model file
    ext = one(inventory, MlModel, "ext:1")
    assert ext.artifact_blob_uri == "https://other.blob.core.windows.net/drop/m.onnx" and ext.stage is None
    data = one(inventory, MlDataAsset, "fraud-data:1")
    assert data.data_type == "uri_folder" and data.location is not None and data.location.container == "training"


def test_a_model_of_a_deleted_job_stays_unresolved_with_the_reason() -> None:
    fake = _fake()
    fake.add_asset(
        "models", [model_version("ws", "orphan", model_uri="azureml://jobs/gone-42/outputs/model/paths/model/")]
    )
    inventory, _ = collect_azure(fake, *TYPES)
    orphan = one(inventory, MlModel, "orphan:1")
    assert orphan.job_name == "gone-42" and orphan.artifact is None and orphan.artifact_blob_uri is None
    assert orphan.artifact_unresolved is not None and "job gone-42 was not found" in orphan.artifact_unresolved


def test_a_model_in_a_job_artifact_store_has_its_container_but_no_blob_uri() -> None:
    """MLflow models registered from a run: ``azureml://jobs/<job>/outputs/artifacts/paths/model/``.
    The artifact store is a listed datastore (its container is known); the run's path in it is not in ARM."""
    fake = _fake()
    fake.add_listing(
        workspace_id("ws") + "/datastores",
        [datastore("ws", "workspaceartifactstore", account="mlstore", container_name="azureml", storage_rg="data-rg")],
    )
    fake.add_asset(
        "models", [model_version("ws", "mlflow", model_uri="azureml://jobs/run-9/outputs/artifacts/paths/model/")]
    )
    inventory, _ = collect_azure(fake, *TYPES)
    model = one(inventory, MlModel, "mlflow:1")
    assert model.artifact is not None and (model.artifact.account, model.artifact.container) == ("mlstore", "azureml")
    assert model.artifact_blob_uri is None and model.job_name == "run-9" and model.artifact_is_folder
    assert (
        model.artifact_unresolved
        == "the path of job run-9's artifacts in datastore workspaceartifactstore is not in ARM"
    )


def test_denied_models_mark_models_incomplete_and_leave_the_rest() -> None:
    fake = _fake()
    fake.add_asset("models", [model_version("ws", "m")])
    fake.add_asset("data", [data_version("ws", "d")])
    fake.deny(workspace_id("ws") + "/models")
    inventory, _ = collect_azure(fake, *TYPES)
    assert not inventory.of_type(MlModel) and one(inventory, MlDataAsset, "d:1")
    [error] = inventory.errors
    assert (error.operation, error.code) == ("ModelContainers_List", "AuthorizationFailed")
    reason = inventory.incomplete_reason(MlModel, error.account)
    assert reason is not None and "AuthorizationFailed" in reason
    assert inventory.incomplete_reason(MlDataAsset, error.account) is None


def test_denied_datastores_leave_datastore_uris_unresolved() -> None:
    fake = _fake()
    fake.add_asset("models", [model_version("ws", "m")])
    fake.deny(workspace_id("ws") + "/datastores")
    inventory, _ = collect_azure(fake, *TYPES)
    model = one(inventory, MlModel, "m:1")
    assert model.artifact is None and model.artifact_unresolved is not None
    assert "datastores of workspace ws could not be listed" in model.artifact_unresolved


def test_requests_per_workspace_and_asset_are_constant() -> None:
    """3 per workspace (jobs, models, data) + 1 per model or data asset, however many versions."""
    fake = _fake()
    fake.add_jobs([ml_job("ws", f"j{i}") for i in range(5)])
    fake.add_asset("models", [model_version("ws", name, v) for name in ("a", "b") for v in ("1", "2", "3")])
    fake.add_asset("data", [data_version("ws", "d", v) for v in ("1", "2")])
    inventory, _ = collect_azure(fake, *TYPES)
    assert not inventory.errors
    kinds = Counter(path.rsplit("/", 1)[1] for _, path in fake.requests)
    assert (kinds["jobs"], kinds["models"], kinds["data"], kinds["versions"]) == (1, 1, 1, 3)


def test_the_job_listing_stops_at_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ml_assets, "MAX_JOBS", 3)
    fake = _fake(page_size=2)
    fake.add_jobs([ml_job("ws", f"j{i}") for i in range(10)])
    inventory, _ = collect_azure(fake, *TYPES)
    assert len(inventory.of_type(MlJob)) == 3 and one(inventory, MlWorkspace, "ws").jobs_capped
    assert Counter(path.rsplit("/", 1)[1] for _, path in fake.requests)["jobs"] == 2  # 4 jobs read: 2 pages of 5


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("azureml://datastores/ds/paths/a/b.pkl", "https://acct.blob.core.windows.net/c/a/b.pkl"),
        (
            "azureml://subscriptions/s/resourcegroups/rg/workspaces/ws/datastores/DS/paths/x/",
            "https://acct.blob.core.windows.net/c/x",
        ),
        (
            "https://Other.blob.core.windows.net/box/m.safetensors",
            "https://other.blob.core.windows.net/box/m.safetensors",
        ),
        ("abfss://fs@lake.dfs.core.windows.net/dir/f", "https://lake.blob.core.windows.net/fs/dir/f"),
        ("wasbs://box@acct2.blob.core.chinacloudapi.cn/p", "https://acct2.blob.core.chinacloudapi.cn/box/p"),
    ],
)
def test_storage_uris_resolve_to_blob_uris(uri: str, expected: str) -> None:
    stores = {
        "ds": MlDatastore(
            name="ds", datastore_type="AzureBlob", credentials_type="None", account_name="acct", container_name="c"
        )
    }
    location, why = resolve_uri(uri, stores)
    assert why is None and location is not None and location.blob_uri == expected


@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        ("azureml://datastores/missing/paths/x", "datastore missing does not exist"),
        ("azureml:fraud-data:3", "names another asset"),
        ("azureml://registries/azureml/models/phi/versions/1", "names another asset"),
        ("s3://bucket/key", "is not a Blob Storage or datastore URI"),
        ("azureml://jobs/j/outputs/model/paths/m", "the workspace's jobs could not be listed"),
    ],
)
def test_unresolvable_uris_say_why(uri: str, reason: str) -> None:
    location, why = resolve_uri(uri, {})
    assert location is None and why is not None and reason in why
