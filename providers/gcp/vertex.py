"""Vertex AI: endpoints, models (with their registry versions), custom jobs, training pipelines,
datasets and feature stores, by plain REST.

No Vertex client library: the calls go through the provider's read-only, bounded
``AuthorizedSession`` (google-auth, already needed for Cloud Storage). ``google-cloud-aiplatform``
was measured against this (docs/azure-gcp.md, "Vertex AI client"): it would add dozens of packages
and seconds of import time for five GET listings.

Requests per project: locations.list on the global endpoint
(``https://aiplatform.googleapis.com/v1/projects/P/locations``), then per location, on the
regional endpoint (``https://{location}-aiplatform.googleapis.com``), one listing per kind and
page: endpoints, models, customJobs, trainingPipelines, datasets, featureOnlineStores,
featurestores; and per model one ``models.listVersions`` (``GET .../models/ID:listVersions``, paged;
authorized by ``aiplatform.models.list``), since models.list returns only each model's default
version. Per endpoint, feature online store and featurestore, one ``:getIamPolicy`` (its own IAM
policy, :mod:`cspm.providers.gcp.vertex_iam`). So a project with L locations, M models and E
endpoints and feature stores costs 1 + 7 L + M + E requests (plus pages).
``CSPM_GCP_VERTEX_ENDPOINT`` sends every call to one base URL instead (the demo's fake).

A failed listing is recorded against the kinds it would have produced, so their checks are ERROR
for the project, never PASS: a disabled API (HTTP 403, reason ``SERVICE_DISABLED``) fails
locations.list and so every kind; a denied or broken location fails that location's kinds. A
failed listVersions is recorded and leaves that model's ``versions`` None (its version check is
ERROR); the model itself is still judged.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any, Final

from cspm.providers.base import ServiceSpec
from cspm.providers.gcp import vertex_iam
from cspm.providers.gcp.context import GcpContext
from cspm.resources.base import Resource
from cspm.resources.gcp.vertex import (
    DeployedModel,
    ModelVersion,
    VertexCustomJob,
    VertexDataset,
    VertexEndpoint,
    VertexFeatureOnlineStore,
    VertexFeaturestore,
    VertexModel,
    VertexTrainingPipeline,
)

ENDPOINT_VARIABLE: Final = "CSPM_GCP_VERTEX_ENDPOINT"
GLOBAL_ENDPOINT: Final = "https://aiplatform.googleapis.com"

PERMISSIONS = (
    "aiplatform.locations.list",
    "aiplatform.endpoints.list",
    "aiplatform.models.list",
    "aiplatform.customJobs.list",
    "aiplatform.trainingPipelines.list",
    "aiplatform.datasets.list",
    "aiplatform.featureOnlineStores.list",
    "aiplatform.featurestores.list",
    *vertex_iam.PERMISSIONS,
)

PRODUCES: Final = (
    VertexEndpoint,
    VertexModel,
    VertexCustomJob,
    VertexTrainingPipeline,
    VertexDataset,
    VertexFeatureOnlineStore,
    VertexFeaturestore,
)


def base_url(location: str | None) -> str:
    """The API root for ``location`` (None: the global endpoint), or the configured override."""
    override = os.environ.get(ENDPOINT_VARIABLE)
    if override:
        return override.rstrip("/")
    return GLOBAL_ENDPOINT if location is None else f"https://{location}-aiplatform.googleapis.com"


def collect(ctx: GcpContext) -> Iterator[Resource]:
    parent = f"projects/{ctx.project}"
    locations = ctx.rest_list(
        f"{base_url(None)}/v1/{parent}/locations", "locations", operation="locations.list", affects=PRODUCES
    )
    if locations is None:
        return
    ids = sorted({str(loc["locationId"]) for loc in locations if loc.get("locationId")})
    for found in ctx.map(lambda location: list(_location(ctx, location)), ids):
        yield from found


# (collection in the URL, key of the answer, resource type, snapshot builder)
def _location(ctx: GcpContext, location: str) -> Iterator[Resource]:
    parent = f"{base_url(location)}/v1/projects/{ctx.project}/locations/{location}"
    for collection, kind, build in _KINDS:
        items = ctx.rest_list(f"{parent}/{collection}", collection, operation=f"{collection}.list", affects=(kind,))
        for raw in items or ():
            name = raw.get("name")
            if not isinstance(name, str) or not name:
                ctx.error(
                    f"{collection}.list",
                    "MalformedResource",
                    f"a {collection} item without a name in {location}",
                    affects=(kind,),
                )
                continue
            ctx.saw_location(location)
            resource = build(raw, ctx.project, location)
            if isinstance(resource, VertexModel):
                resource = resource.model_copy(update={"versions": _versions(ctx, location, name)})
            if isinstance(resource, VertexEndpoint | VertexFeatureOnlineStore | VertexFeaturestore):
                resource = vertex_iam.with_policy(ctx, base_url(location), collection, resource)
            yield resource


def _versions(ctx: GcpContext, location: str, model: str) -> tuple[ModelVersion, ...] | None:
    """Every version of ``model`` (models.listVersions), or None when the listing failed (recorded)."""
    url = f"{base_url(location)}/v1/{model}:listVersions"
    items = ctx.rest_list(url, "models", operation="models.listVersions")
    if items is None:
        return None
    return tuple(version_from_api(raw) for raw in items if _str(raw, "versionId"))


# ---------------------------------------------------------------------------------------------
# REST resource -> snapshot (pure)
# ---------------------------------------------------------------------------------------------


def _str(raw: Any, *path: str) -> str | None:
    """The string at ``path`` in nested dicts, or None when absent, empty or not a string."""
    for key in path:
        raw = raw.get(key) if isinstance(raw, dict) else None
    return raw if isinstance(raw, str) and raw else None


def _obj(raw: dict[str, Any], key: str) -> dict[str, Any]:
    """The object under ``key``, or {} when absent or not an object."""
    value = raw.get(key)
    return value if isinstance(value, dict) else {}


def _common(raw: dict[str, Any], project: str, location: str) -> dict[str, Any]:
    labels = raw.get("labels")
    return {
        "uid": raw["name"],
        "name": _str(raw, "displayName") or raw["name"].rsplit("/", 1)[-1],
        "account": project,
        "region": location,
        "tags": {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {},
        "kms_key": _str(raw, "encryptionSpec", "kmsKeyName"),
    }


def endpoint_from_api(raw: dict[str, Any], project: str, location: str) -> VertexEndpoint:
    split = _obj(raw, "trafficSplit")
    psc = _obj(raw, "privateServiceConnectConfig")
    deployed = tuple(
        DeployedModel(
            id=str(d.get("id", "")),
            model=str(d.get("model", "")),
            model_version_id=_str(d, "modelVersionId"),
            service_account=_str(d, "serviceAccount"),
            traffic_percent=int(split.get(str(d.get("id", "")), 0) or 0),
        )
        for d in raw.get("deployedModels") or ()
        if isinstance(d, dict)
    )
    return VertexEndpoint(
        **_common(raw, project, location),
        network=_str(raw, "network"),
        private_service_connect=psc.get("enablePrivateServiceConnect") is True,
        psc_project_allowlist=tuple(str(p) for p in psc.get("projectAllowlist") or ()),
        deployed_models=deployed,
    )


def model_from_api(raw: dict[str, Any], project: str, location: str) -> VertexModel:
    refs = [r for r in raw.get("deployedModels") or () if isinstance(r, dict)]
    return VertexModel(
        **_common(raw, project, location),
        version_id=_str(raw, "versionId"),
        version_aliases=tuple(str(a) for a in raw.get("versionAliases") or ()),
        artifact_uri=_str(raw, "artifactUri"),
        container_image=_str(raw, "containerSpec", "imageUri"),
        training_pipeline=_str(raw, "trainingPipeline"),
        deployed_to=tuple(sorted({str(r["endpoint"]) for r in refs if r.get("endpoint")})),
    )


def version_from_api(raw: dict[str, Any]) -> ModelVersion:
    refs = [r for r in raw.get("deployedModels") or () if isinstance(r, dict)]
    return ModelVersion(
        version_id=str(raw["versionId"]),
        aliases=tuple(str(a) for a in raw.get("versionAliases") or ()),
        artifact_uri=_str(raw, "artifactUri"),
        kms_key=_str(raw, "encryptionSpec", "kmsKeyName"),
        deployed_to=tuple(sorted({str(r["endpoint"]) for r in refs if r.get("endpoint")})),
    )


def custom_job_from_api(raw: dict[str, Any], project: str, location: str) -> VertexCustomJob:
    spec = _obj(raw, "jobSpec")
    images = []
    for pool in spec.get("workerPoolSpecs") or ():
        image = _str(pool, "containerSpec", "imageUri") or _str(pool, "pythonPackageSpec", "executorImageUri")
        if image:
            images.append(image)
    return VertexCustomJob(
        **_common(raw, project, location),
        state=_str(raw, "state"),
        service_account=_str(spec, "serviceAccount"),
        network=_str(spec, "network"),
        psc_interface=isinstance(spec.get("pscInterfaceConfig"), dict),
        web_access=spec.get("enableWebAccess") is True,
        output_uri=_str(spec, "baseOutputDirectory", "outputUriPrefix"),
        images=tuple(images),
    )


def training_pipeline_from_api(raw: dict[str, Any], project: str, location: str) -> VertexTrainingPipeline:
    inputs = _obj(raw, "trainingTaskInputs")
    return VertexTrainingPipeline(
        **_common(raw, project, location),
        state=_str(raw, "state"),
        service_account=_str(inputs, "serviceAccount"),
        network=_str(inputs, "network"),
        output_uri=_str(inputs, "baseOutputDirectory", "outputUriPrefix"),
        model_kms_key=_str(raw, "modelToUpload", "encryptionSpec", "kmsKeyName"),
        model=_str(raw, "modelToUpload", "name"),
        model_id=_str(raw, "modelId"),
        dataset_id=_str(raw, "inputDataConfig", "datasetId"),
        data_export_uri=_str(raw, "inputDataConfig", "gcsDestination", "outputUriPrefix"),
    )


def dataset_from_api(raw: dict[str, Any], project: str, location: str) -> VertexDataset:
    uris = _obj(_obj(_obj(raw, "metadata"), "inputConfig"), "gcsSource").get("uri")
    sources = [uris] if isinstance(uris, str) else uris if isinstance(uris, list) else []
    return VertexDataset(
        **_common(raw, project, location),
        metadata_schema=_str(raw, "metadataSchemaUri"),
        gcs_sources=tuple(str(u) for u in sources if isinstance(u, str) and u),
    )


def feature_online_store_from_api(raw: dict[str, Any], project: str, location: str) -> VertexFeatureOnlineStore:
    endpoint = raw.get("dedicatedServingEndpoint")
    psc = _obj(endpoint, "privateServiceConnectConfig") if isinstance(endpoint, dict) else {}
    storage = next((kind for kind in ("optimized", "bigtable") if isinstance(raw.get(kind), dict)), None)
    return VertexFeatureOnlineStore(
        **_common(raw, project, location),
        storage=storage,
        state=_str(raw, "state"),
        dedicated_endpoint=isinstance(endpoint, dict),
        private_service_connect=psc.get("enablePrivateServiceConnect") is True,
        public_endpoint=_str(endpoint, "publicEndpointDomainName"),
    )


def featurestore_from_api(raw: dict[str, Any], project: str, location: str) -> VertexFeaturestore:
    serving = _obj(raw, "onlineServingConfig")
    nodes = serving.get("fixedNodeCount", _obj(serving, "scaling").get("minNodeCount"))
    return VertexFeaturestore(
        **_common(raw, project, location),
        state=_str(raw, "state"),
        online_nodes=int(nodes) if isinstance(nodes, int | str) and str(nodes).isdigit() else None,
    )


_KINDS: Final = (
    ("endpoints", VertexEndpoint, endpoint_from_api),
    ("models", VertexModel, model_from_api),
    ("customJobs", VertexCustomJob, custom_job_from_api),
    ("trainingPipelines", VertexTrainingPipeline, training_pipeline_from_api),
    ("datasets", VertexDataset, dataset_from_api),
    ("featureOnlineStores", VertexFeatureOnlineStore, feature_online_store_from_api),
    ("featurestores", VertexFeaturestore, featurestore_from_api),
)

SERVICE = ServiceSpec(
    name="vertex",
    produces=PRODUCES,
    regional=False,
    permissions=PERMISSIONS,
    collect=collect,
)
