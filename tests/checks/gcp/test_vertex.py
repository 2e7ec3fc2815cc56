"""Vertex AI checks: a table of (case, snapshot, expected status) per check.

Every field comes from the resource's listing; a listing that failed (a disabled API, a denied
location) gives ERROR through the engine (``test_unlisted_resources_give_error_for_every_check``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from cspm.checks.gcp import vertex
from cspm.engine import Inventory, evaluate
from cspm.models import Status
from cspm.providers.gcp.vertex import PRODUCES
from cspm.registry import load_checks
from cspm.resources.gcp.vertex import (
    ModelVersion,
    VertexCustomJob,
    VertexDataset,
    VertexEndpoint,
    VertexFeatureOnlineStore,
    VertexFeaturestore,
    VertexModel,
    VertexTrainingPipeline,
)

KEY = "projects/ml-project/locations/us-central1/keyRings/ml/cryptoKeys/vertex"
WHERE = {"account": "ml-project", "region": "us-central1"}


def _make(kind: type[Any], **fields: Any) -> Any:
    return kind(uid=f"projects/1/locations/us-central1/x/{kind.__name__}", name=kind.__name__, **WHERE, **fields)


@pytest.mark.parametrize(
    ("check", "kind", "case", "fields", "expected"),
    [
        (vertex.endpoint_is_private, VertexEndpoint, "PSC", {"private_service_connect": True}, Status.PASS),
        (vertex.endpoint_is_private, VertexEndpoint, "peered", {"network": "projects/1/n"}, Status.PASS),
        (vertex.endpoint_is_private, VertexEndpoint, "public", {}, Status.FAIL),
        (vertex.endpoint_encrypted_with_cmek, VertexEndpoint, "CMEK", {"kms_key": KEY}, Status.PASS),
        (vertex.endpoint_encrypted_with_cmek, VertexEndpoint, "Google key", {}, Status.FAIL),
        (vertex.model_encrypted_with_cmek, VertexModel, "CMEK", {"kms_key": KEY}, Status.PASS),
        (vertex.model_encrypted_with_cmek, VertexModel, "Google key", {}, Status.FAIL),
        (vertex.dataset_encrypted_with_cmek, VertexDataset, "CMEK", {"kms_key": KEY}, Status.PASS),
        (vertex.dataset_encrypted_with_cmek, VertexDataset, "Google key", {}, Status.FAIL),
        (vertex.custom_job_encrypted_with_cmek, VertexCustomJob, "CMEK", {"kms_key": KEY}, Status.PASS),
        (vertex.custom_job_encrypted_with_cmek, VertexCustomJob, "Google key", {}, Status.FAIL),
        (vertex.training_pipeline_encrypted_with_cmek, VertexTrainingPipeline, "CMEK", {"kms_key": KEY}, Status.PASS),
        (vertex.training_pipeline_encrypted_with_cmek, VertexTrainingPipeline, "model key only",
         {"model_kms_key": KEY}, Status.FAIL),
        (vertex.custom_job_uses_private_network, VertexCustomJob, "peered", {"network": "n"}, Status.PASS),
        (vertex.custom_job_uses_private_network, VertexCustomJob, "PSC interface",
         {"psc_interface": True}, Status.PASS),
        (vertex.custom_job_uses_private_network, VertexCustomJob, "Google's network", {}, Status.FAIL),
        (vertex.custom_job_uses_dedicated_service_account, VertexCustomJob, "dedicated",
         {"service_account": "trainer@ml-project.iam.gserviceaccount.com"}, Status.PASS),
        (vertex.custom_job_uses_dedicated_service_account, VertexCustomJob, "service agent", {}, Status.FAIL),
        (vertex.custom_job_uses_dedicated_service_account, VertexCustomJob, "default compute",
         {"service_account": "123-compute@developer.gserviceaccount.com"}, Status.FAIL),
        (vertex.custom_job_web_access_disabled, VertexCustomJob, "off", {}, Status.PASS),
        (vertex.custom_job_web_access_disabled, VertexCustomJob, "shell open", {"web_access": True}, Status.FAIL),
    ],
)  # fmt: skip
def test_vertex_checks(check: Any, kind: type[Any], case: str, fields: dict[str, Any], expected: Status) -> None:
    result = check(_make(kind, **fields))
    assert result.status is expected, f"{case}: {result.message}"


def test_public_endpoint_evidence_names_its_deployed_models() -> None:
    from cspm.resources.gcp.vertex import DeployedModel

    endpoint = _make(VertexEndpoint, deployed_models=(DeployedModel(id="7", model="m", traffic_percent=100),))
    assert vertex.endpoint_is_private(endpoint).evidence == {"deployed_models": ["7"]}


def test_unlisted_resources_give_error_for_every_check() -> None:
    """Unreadable input: a disabled API or a denied listing marks the kinds incomplete."""
    specs = [s for s in load_checks(["gcp"]) if s.service == "vertex"]
    inventory = Inventory()
    for kind in PRODUCES:
        inventory.mark_incomplete(kind, "ml-project", "global", "locations.list failed: Forbidden (SERVICE_DISABLED)")
    findings = evaluate(specs, inventory, datetime(2026, 1, 1, tzinfo=UTC))
    assert {f.check_id for f in findings} == {s.id for s in specs}
    assert {f.status for f in findings} == {Status.ERROR}


def _bucket(name: str, **fields: Any) -> Any:
    from cspm.resources.gcp.storage import GcsBucket, IamBinding

    base: dict[str, Any] = {
        "uid": f"//storage.googleapis.com/projects/_/buckets/{name}",
        "name": name,
        **WHERE,
        "uniform_access": True,
        "public_access_prevention": "inherited",
        "versioning_enabled": False,
        "iam_bindings": (IamBinding(role="roles/storage.objectViewer", members=("group:ml@example.com",)),),
        "acl": (),
        "default_object_acl": (),
    }
    return GcsBucket(**{**base, **fields})


@pytest.mark.parametrize(
    ("case", "uri", "buckets", "expected"),
    [
        ("private bucket", "gs://models/m/", [_bucket("models")], Status.PASS),
        ("no IAM binding at all", "gs://models/m/", [_bucket("models", iam_bindings=())], Status.PASS),
        ("allUsers on the bucket", "gs://models/m/", "public", Status.FAIL),
        ("bucket in another project, unseen", "gs://elsewhere/m/", [_bucket("models")], Status.ERROR),
        ("bucket IAM unreadable", "gs://models/m/", [_bucket("models", iam_bindings=None)], Status.ERROR),
        ("not a gs:// location", "https://example.com/m", [_bucket("models")], Status.ERROR),
        ("no artifactUri", None, [], None),
    ],
)  # fmt: skip
def test_model_artifact_bucket_is_not_public(case: str, uri: str | None, buckets: Any, expected: Status | None) -> None:
    from cspm.resources.gcp.storage import IamBinding

    if buckets == "public":
        buckets = [
            _bucket("models", iam_bindings=(IamBinding(role="roles/storage.objectAdmin", members=("allUsers",)),))
        ]
    result = vertex.model_artifact_bucket_is_not_public(_make(VertexModel, artifact_uri=uri), buckets)
    assert result.status is expected, f"{case}: {result.message}"


# Registry versions and feature stores
V1 = ModelVersion(version_id="1", aliases=("default",), kms_key=KEY, artifact_uri="gs://m/1/")
V2 = ModelVersion(version_id="2", artifact_uri="gs://m/2-hotfix/", deployed_to=("projects/1/locations/l/endpoints/e",))


STORE = VertexFeatureOnlineStore
NEW_CHECKS = (
    vertex.model_versions_encrypted_with_cmek,
    vertex.feature_online_store_encrypted_with_cmek,
    vertex.feature_online_store_is_private,
    vertex.featurestore_encrypted_with_cmek,
)


@pytest.mark.parametrize(
    ("check", "kind", "case", "fields", "expected"),
    [
        (vertex.model_versions_encrypted_with_cmek, VertexModel, "all CMEK", {"versions": (V1,)}, Status.PASS),
        (vertex.model_versions_encrypted_with_cmek, VertexModel, "a non-default version without",
         {"kms_key": KEY, "versions": (V1, V2)}, Status.FAIL),
        (vertex.model_versions_encrypted_with_cmek, VertexModel, "listVersions failed", {"kms_key": KEY}, Status.ERROR),
        (vertex.model_versions_encrypted_with_cmek, VertexModel, "no version listed", {"versions": ()}, Status.ERROR),
        (vertex.feature_online_store_encrypted_with_cmek, STORE, "CMEK", {"kms_key": KEY}, Status.PASS),
        (vertex.feature_online_store_encrypted_with_cmek, STORE, "Google key", {}, Status.FAIL),
        (vertex.feature_online_store_is_private, STORE, "PSC",
         {"storage": "optimized", "dedicated_endpoint": True, "private_service_connect": True}, Status.PASS),
        (vertex.feature_online_store_is_private, STORE, "public dedicated endpoint",
         {"storage": "optimized", "dedicated_endpoint": True, "public_endpoint": "x.vertexai.goog"}, Status.FAIL),
        (vertex.feature_online_store_is_private, STORE, "optimized, endpoint not returned",
         {"storage": "optimized"}, Status.ERROR),
        (vertex.feature_online_store_is_private, STORE, "bigtable", {"storage": "bigtable"}, None),
        (vertex.featurestore_encrypted_with_cmek, VertexFeaturestore, "CMEK", {"kms_key": KEY}, Status.PASS),
        (vertex.featurestore_encrypted_with_cmek, VertexFeaturestore, "Google key", {}, Status.FAIL),
    ],
)  # fmt: skip
def test_breadth_checks(check: Any, kind: type[Any], case: str, fields: dict[str, Any], expected: Any) -> None:
    result = check(_make(kind, **fields))
    assert result.status is expected, f"{case}: {result.message}"


def test_failing_versions_name_the_deployed_ones() -> None:
    result = vertex.model_versions_encrypted_with_cmek(_make(VertexModel, versions=(V1, V2)))
    assert result.evidence == {"versions": ["2"], "deployed": ["2"]}


def test_unlisted_feature_stores_give_error() -> None:
    """Unreadable input: a failed listing marks the kind incomplete, and its checks answer ERROR."""
    specs = [s for s in load_checks(["gcp"]) if s.id.rsplit(".", 1)[1] in {c.__name__ for c in NEW_CHECKS}]
    assert len(specs) == len(NEW_CHECKS)
    inventory = Inventory()
    for kind in (VertexModel, VertexFeatureOnlineStore, VertexFeaturestore):
        inventory.mark_incomplete(kind, "ml-project", "global", "locations.list failed: Forbidden (SERVICE_DISABLED)")
    findings = evaluate(specs, inventory, datetime(2026, 1, 1, tzinfo=UTC))
    assert {f.check_id for f in findings} == {s.id for s in specs}
    assert {f.status for f in findings} == {Status.ERROR}


def test_version_artifact_buckets() -> None:
    """PASS, FAIL (a non-default version's bucket is public), ERROR (a bucket not scanned; the
    versions not listed), not applicable (no artifacts)."""
    from cspm.resources.gcp.storage import IamBinding

    private = _bucket("ml-models", public_access_prevention="enforced")
    public = _bucket("ml-public", iam_bindings=(IamBinding(role="roles/storage.objectViewer", members=("allUsers",)),))
    check = vertex.model_version_artifact_buckets_are_not_public

    def versions(*uris: str) -> Any:
        return _make(VertexModel, versions=tuple(ModelVersion(version_id=str(n), artifact_uri=u)
                                                 for n, u in enumerate(uris, 1)))  # fmt: skip

    assert check(versions("gs://ml-models/m/1/", "gs://ml-models/m/2/"), [private, public]).status is Status.PASS
    leaked = check(versions("gs://ml-models/m/1/", "gs://ml-public/m/2/"), [private, public])
    assert leaked.status is Status.FAIL and leaked.evidence == {"public": {"2": "ml-public"}}
    elsewhere = check(versions("gs://ml-models/m/1/", "gs://other-project/m/2/"), [private, public])
    assert elsewhere.status is Status.ERROR and elsewhere.evidence == {"unresolved": {"2": "other-project"}}
    assert check(_make(VertexModel), [private]).status is Status.ERROR, "versions not listed"
    assert check(versions(), [private]).status is None


# ---------------------------------------------------------------------------------------------
# model_artifact_* (--inspect-artifacts): the shared reasoning (cspm.artifacts.verdict) on the
# files under a Vertex AI model's artifactUri folder
# ---------------------------------------------------------------------------------------------

FOLDER = "gs://ml-models/fraud/v3/"


def _gcs(name: str = "model.safetensors", **fields: Any) -> Any:
    from cspm.resources.gcp.artifacts import GcsModelArtifact

    uri = FOLDER + name
    kind = "pickle" if name.endswith(".pkl") else "safetensors"
    base: dict[str, Any] = {
        "uid": f"//storage.googleapis.com/projects/_/buckets/ml-models/objects/fraud/v3/{name}",
        "name": uri,
        "account": "ml-project",
        "uri": uri,
        "sha256": "ab" * 32,
        "format": kind,
        "members": ((f"fraud/v3/{name}", kind),),
        "dangerous": (),
        "scanners": {"picklescan": "1.0.5"},
    }
    return GcsModelArtifact(**(base | fields))


def _system() -> Any:
    from cspm.resources.artifacts import ImportFound

    return ImportFound(module="os", name="system", member="fraud/v3/model.pkl")


def _folder_error() -> Any:
    from cspm.resources.gcp.artifacts import GcsModelArtifact

    return GcsModelArtifact(uid="//x", name=FOLDER, account="ml-project", uri=FOLDER,
                            error="objects.list failed (see errors)")  # fmt: skip


@pytest.mark.parametrize(
    ("case", "uri", "artifacts", "unsafe", "fmt"),
    [
        ("safetensors", FOLDER, lambda: (_gcs(),), Status.PASS, Status.PASS),
        ("folder without its slash", FOLDER[:-1], lambda: (_gcs(),), Status.PASS, Status.PASS),
        ("pickle importing os.system", FOLDER, lambda: (_gcs("model.pkl", dangerous=(_system(),)),), Status.FAIL,
         Status.FAIL),
        ("pickle without dangerous imports", FOLDER, lambda: (_gcs("model.pkl"),), Status.PASS, Status.FAIL),
        ("bucket of another project, denied", FOLDER, lambda: (_folder_error(),), Status.ERROR, Status.ERROR),
        ("changed while read (412)", FOLDER, lambda: (_gcs(sha256=None, members=(), dangerous=None, format=None,
                                                           error="the media read failed (see errors)"),),
         Status.ERROR, Status.ERROR),
        ("not inspected", FOLDER, lambda: (), Status.ERROR, Status.ERROR),
        ("no artifactUri", None, lambda: (), None, None),
    ],
)  # fmt: skip
def test_model_artifact_checks(case: str, uri: str | None, artifacts: Any, unsafe: Status, fmt: Status) -> None:
    model = _make(VertexModel, artifact_uri=uri)
    found = artifacts()
    result = vertex.model_artifact_is_free_of_unsafe_code(model, found)
    assert result.status is unsafe, f"{case}: {result.message}"
    assert vertex.model_artifact_uses_safe_format(model, found).status is fmt, case
    if unsafe is Status.FAIL:
        assert result.evidence["artifacts"][0]["dangerous_imports"][0]["name"] == "system"


@pytest.mark.parametrize(
    ("case", "status", "policy", "deployed", "expected"),
    [
        ("verified", "verified", "all", (), Status.PASS),
        ("does not verify", "invalid", "all", (), Status.FAIL),
        ("absent under 'all'", "absent", "all", (), Status.FAIL),
        ("absent under 'served', deployed", "absent", "served", ("projects/1/locations/l/endpoints/e",), Status.FAIL),
        ("absent under 'served', not deployed", "absent", "served", (), None),
        ("unverifiable", "unverifiable", "all", (), Status.ERROR),
        ("not looked at", None, None, (), None),
    ],
)
def test_model_artifact_signature_verifies(
    case: str, status: str | None, policy: str | None, deployed: tuple[str, ...], expected: Status | None
) -> None:
    from cspm.resources.artifacts import SignatureCheck

    signature = None if status is None else SignatureCheck(status=status, method="key", detail="why")
    found = (_gcs(signing_policy=policy, signature=signature),)
    model = _make(VertexModel, artifact_uri=FOLDER, deployed_to=deployed)
    result = vertex.model_artifact_signature_verifies(model, found)
    assert result.status is expected, f"{case}: {result.message}"


# ---------------------------------------------------------------------------------------------
# The IAM policies ON the resources (cspm.providers.gcp.vertex_iam)
# ---------------------------------------------------------------------------------------------


def _policy_cases() -> list[Any]:
    from cspm.resources.gcp.iam import PolicyBinding

    named = (PolicyBinding(role="roles/aiplatform.user", members=("group:ml@example.com",)),)
    anyone = (*named, PolicyBinding(role="roles/aiplatform.user", members=("allUsers",)))
    google_accounts = (
        PolicyBinding(
            role="roles/aiplatform.featurestoreDataViewer",
            members=("allAuthenticatedUsers",),
            condition='request.time < timestamp("2027-01-01T00:00:00Z")',
            condition_title="until-2027",
        ),
    )
    denied = "endpoints.getIamPolicy of x failed (it needs aiplatform.endpoints.getIamPolicy)"
    cases = []
    for check, kind in (
        (vertex.endpoint_iam_policy_is_not_public, VertexEndpoint),
        (vertex.feature_online_store_iam_policy_is_not_public, VertexFeatureOnlineStore),
        (vertex.featurestore_iam_policy_is_not_public, VertexFeaturestore),
    ):
        cases += [
            pytest.param(check, kind, {"iam_bindings": named}, Status.PASS, id=f"{check.__name__}-named"),
            pytest.param(check, kind, {"iam_bindings": ()}, Status.PASS, id=f"{check.__name__}-empty-policy"),
            pytest.param(check, kind, {"iam_bindings": anyone}, Status.FAIL, id=f"{check.__name__}-allUsers"),
            pytest.param(check, kind, {"iam_bindings": google_accounts}, Status.FAIL, id=f"{check.__name__}-cond"),
            pytest.param(check, kind, {"iam_policy_error": denied}, Status.ERROR, id=f"{check.__name__}-denied"),
            pytest.param(check, kind, {}, Status.ERROR, id=f"{check.__name__}-not-collected"),
        ]
    return cases


@pytest.mark.parametrize(("check", "kind", "fields", "expected"), _policy_cases())
def test_resource_iam_policy_checks(check: Any, kind: type[Any], fields: dict[str, Any], expected: Status) -> None:
    result = check(_make(kind, **fields))
    assert result.status is expected, result.message
    if expected is Status.ERROR and "iam_policy_error" in fields:
        assert "aiplatform.endpoints.getIamPolicy" in result.message  # names the permission
    if expected is Status.FAIL:
        assert {g["member"] for g in result.evidence["public_bindings"]} & {"allUsers", "allAuthenticatedUsers"}


def test_a_conditional_public_binding_is_reported_with_its_condition() -> None:
    from cspm.resources.gcp.iam import PolicyBinding

    binding = PolicyBinding(role="roles/aiplatform.user", members=("allAuthenticatedUsers",), condition="c == 1")
    result = vertex.endpoint_iam_policy_is_not_public(_make(VertexEndpoint, iam_bindings=(binding,)))
    assert result.evidence["public_bindings"] == [
        {"role": "roles/aiplatform.user", "member": "allAuthenticatedUsers", "condition": "c == 1"}
    ]
