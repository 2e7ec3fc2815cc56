"""The Vertex AI collector's feature stores and registry versions (models.listVersions), against
the fake (``responses`` on the public hosts)."""

from __future__ import annotations

from cspm.demo.gcp_workbench import feature_online_store, featurestore, model_version
from cspm.resources.gcp.vertex import ModelVersion, VertexFeatureOnlineStore, VertexFeaturestore, VertexModel
from support.aws import one
from support.gcp import PROJECT, PROJECT_NUMBER, FakeGcs, collect_gcp, vertex_model

KEY = f"projects/{PROJECT}/locations/us-central1/keyRings/ml/cryptoKeys/vertex"
PREFIX = f"projects/{PROJECT_NUMBER}/locations/us-central1"
WHERE = {"project": PROJECT_NUMBER, "location": "us-central1"}


def _fake(page_size: int = 1000) -> FakeGcs:
    fake = FakeGcs(page_size=page_size)
    fake.add_vertex("featureOnlineStores", feature_online_store("private", psc=True, kms_key=KEY, **WHERE))
    fake.add_vertex("featureOnlineStores", feature_online_store("public", **WHERE))
    fake.add_vertex("featureOnlineStores", feature_online_store("bt", optimized=False, **WHERE))
    fake.add_vertex("featurestores", featurestore("legacy", kms_key=KEY, **WHERE))
    model = vertex_model("m", artifact_uri="gs://ml-models/m/v3/", kms_key=KEY)
    fake.add_vertex("models", model)
    fake.add_vertex("models", vertex_model("solo"))
    fake.model_versions["us-central1/m"] = [
        model_version(model, str(n), kms_key=KEY if n != 2 else None, artifact_uri=f"gs://ml-models/m/v{n}/",
                      aliases=("default",) if n == 3 else (), endpoints=(f"{PREFIX}/endpoints/ep",) if n == 2 else ())
        for n in (1, 2, 3)
    ]  # fmt: skip
    return fake


def test_feature_stores_are_snapshotted() -> None:
    inventory, _ = collect_gcp(_fake(), VertexFeatureOnlineStore, VertexFeaturestore)

    assert not inventory.errors
    private = one(inventory, VertexFeatureOnlineStore, "private")
    assert (private.storage, private.dedicated_endpoint, private.private_service_connect) == ("optimized", True, True)
    assert private.kms_key == KEY and private.public_endpoint is None
    public = one(inventory, VertexFeatureOnlineStore, "public")
    assert public.dedicated_endpoint and not public.private_service_connect
    assert public.public_endpoint == "us-central1-public.featurestore.vertexai.goog"
    bigtable = one(inventory, VertexFeatureOnlineStore, "bt")
    assert (bigtable.storage, bigtable.dedicated_endpoint, bigtable.kms_key) == ("bigtable", False, None)
    legacy = one(inventory, VertexFeaturestore, "legacy")
    assert (legacy.kms_key, legacy.online_nodes, legacy.state) == (KEY, 1, "STABLE")


def test_every_version_of_every_model_is_read_across_pages() -> None:
    fake = _fake(page_size=1)
    inventory, _ = collect_gcp(fake, VertexModel)

    assert not inventory.errors
    model = one(inventory, VertexModel, "m")
    assert model.version_id == "1" and model.artifact_uri == "gs://ml-models/m/v3/", "models.list: the default"
    assert model.versions is not None and [v.version_id for v in model.versions] == ["1", "2", "3"]
    assert model.versions[1] == ModelVersion(
        version_id="2", artifact_uri="gs://ml-models/m/v2/", deployed_to=(f"{PREFIX}/endpoints/ep",)
    )
    assert model.versions[2].aliases == ("default",) and model.versions[2].kms_key == KEY
    solo = one(inventory, VertexModel, "solo")
    assert solo.versions is not None and [v.version_id for v in solo.versions] == ["1"]
    calls = [path for _, path in fake.requests if path.endswith(":listVersions")]
    assert calls.count(f"/v1/{PREFIX}/models/m:listVersions") == 3, "paged"
    posts = {path for method, path in fake.requests if method != "GET"}  # the resources' own IAM policies
    assert all(path.endswith(":getIamPolicy") for path in posts) and not fake.violations


def test_a_denied_version_listing_leaves_only_that_model_unknown() -> None:
    fake = _fake()
    fake.denied.add("versions:m")
    inventory, _ = collect_gcp(fake, VertexModel)

    [error] = inventory.errors
    assert (error.service, error.operation, error.code) == ("vertex", "models.listVersions", "Forbidden")
    assert "aiplatform.models.list" in error.message
    assert one(inventory, VertexModel, "m").versions is None
    assert one(inventory, VertexModel, "m").kms_key == KEY, "the model itself is still read"
    assert one(inventory, VertexModel, "solo").versions is not None
    assert inventory.incomplete_reason(VertexModel, PROJECT) is None
