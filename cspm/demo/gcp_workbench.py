"""The fake's Vertex AI Workbench instances (Notebooks API v2) and model registry versions
(Vertex AI ``models.listVersions``), and the demo project's Workbench, feature stores and versions.

Shapes follow the Notebooks v2 and Vertex AI v1 REST references (``Instance`` with ``gceSetup``;
``ListInstancesResponse`` with ``instances``, ``nextPageToken``, ``unreachable``;
``ListModelVersionsResponse`` with ``models``, ``nextPageToken``; ``FeatureOnlineStore``,
``Featurestore``). :func:`route` answers:

- ``GET /v2/projects/P/locations/-/instances`` (every location; one zone also works);
- ``GET /v1/projects/P/locations/L/models/ID:listVersions`` (a model with no versions stored
  answers its listed default version, as the real API always lists at least that one).

``FakeGcs.denied`` entries: ``notebooks-disabled:P`` (HTTP 403 SERVICE_DISABLED),
``notebooks:P`` (403 IAM_PERMISSION_DENIED), ``notebooks-unreachable:ZONE`` (the zone is listed in
``unreachable``), ``versions:ID`` (403 on that model's listVersions). Importing this module imports
nothing from Google.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cspm.demo.gcp import FakeGcs

NOTEBOOKS_API = "notebooks.googleapis.com"
_INSTANCES = re.compile(r"^/v2/projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/instances$")
_VERSIONS = re.compile(r"^/v1/projects/[^/]+/locations/(?P<location>[^/]+)/models/(?P<model>[^/:]+):listVersions$")


def workbench_instance(
    ident: str,
    *,
    project: str = "ml-project",
    zone: str = "us-central1-a",
    public_ip: bool = True,
    root: bool = True,
    secure_boot: bool = False,
    service_account: str | None = "123456789012-compute@developer.gserviceaccount.com",
    kms_key: str | None = None,
    data_disk: bool = True,
    network: str = "projects/ml-project/global/networks/default",
    ip_forwarding: bool = False,
) -> dict[str, Any]:
    """An ``Instance`` as instances.list returns it, proto3 JSON (false booleans left out).

    ``kms_key`` set: disks with diskEncryption CMEK and that key; else diskEncryption GMEK (the
    reference marks both input-only: the real API may omit them, which the checks treat as unknown).
    The metadata keys the checks read are ``notebook-disable-root`` and ``proxy-mode``; the others
    are illustrative, not taken from a stored answer.
    """
    disk_encryption = {"diskEncryption": "CMEK", "kmsKey": kms_key} if kms_key else {"diskEncryption": "GMEK"}
    metadata = {
        "proxy-mode": "service_account",
        "framework": "workbench",
        "idle-timeout-seconds": "10800",
        "report-event-health": "true",
    }
    if not root:
        metadata["notebook-disable-root"] = "true"
    shielded: dict[str, Any] = {"enableVtpm": True, "enableIntegrityMonitoring": True}
    if secure_boot:
        shielded["enableSecureBoot"] = True
    subnet = f"{network.split('/global/', maxsplit=1)[0]}/regions/{zone[:-2]}/subnetworks/default"
    setup: dict[str, Any] = {
        "machineType": f"https://www.googleapis.com/compute/v1/projects/{project}/zones/{zone}/machineTypes/e2-standard-4",
        "vmImage": {"project": "cloud-notebooks-managed", "family": "workbench-instances"},
        "bootDisk": {"diskSizeGb": "150", "diskType": "PD_BALANCED", **disk_encryption},
        "shieldedInstanceConfig": shielded,
        "networkInterfaces": [{"network": network, "subnet": subnet, "nicType": "GVNIC"}],
        "metadata": metadata,
        "tags": ["deeplearning-vm", "notebook-instance"],
    }  # fmt: skip
    if data_disk:
        setup["dataDisks"] = [{"diskSizeGb": "100", "diskType": "PD_BALANCED", **disk_encryption}]
    if service_account:
        setup["serviceAccounts"] = [
            {"email": service_account, "scopes": ["https://www.googleapis.com/auth/cloud-platform"]}
        ]
    if not public_ip:
        setup["disablePublicIp"] = True
    if ip_forwarding:
        setup["enableIpForwarding"] = True
    return {
        "name": f"projects/{project}/locations/{zone}/instances/{ident}",
        "proxyUri": f"{ident}-dot-{zone[:-2]}.notebooks.googleusercontent.com",
        "creator": "ml-lead@acme.example",
        "state": "ACTIVE",
        "id": f"{sum(map(ord, ident)):08d}-0000-4000-8000-000000000000",
        "healthState": "HEALTHY",
        "createTime": "2026-01-01T00:00:00.000000Z",
        "updateTime": "2026-01-01T00:00:00.000000Z",
        "labels": {"goog-caip-managed-notebook": "true"},
        "gceSetup": setup,
    }


def model_version(model: dict[str, Any], version_id: str, *, kms_key: str | None, artifact_uri: str | None,
                  aliases: tuple[str, ...] = (), endpoints: tuple[str, ...] = ()) -> dict[str, Any]:  # fmt: skip
    """One version of ``model`` (a ``Model`` as models.list returns it) for listVersions."""
    raw = {k: v for k, v in model.items() if k not in ("encryptionSpec", "artifactUri", "deployedModels")}
    raw.update(versionId=version_id, versionAliases=list(aliases), name=f"{model['name']}@{version_id}",
               deployedModels=[{"endpoint": e, "deployedModelId": version_id} for e in endpoints])  # fmt: skip
    if kms_key:
        raw["encryptionSpec"] = {"kmsKeyName": kms_key}
    if artifact_uri:
        raw["artifactUri"] = artifact_uri
    return raw


def feature_online_store(ident: str, *, project: str, location: str, optimized: bool = True, psc: bool = False,
                         kms_key: str | None = None) -> dict[str, Any]:  # fmt: skip
    """A ``FeatureOnlineStore`` (Optimized with a dedicated serving endpoint, or Bigtable)."""
    raw: dict[str, Any] = {
        "name": f"projects/{project}/locations/{location}/featureOnlineStores/{ident}",
        "createTime": "2026-01-01T00:00:00.000000Z",
        "updateTime": "2026-01-01T00:00:00.000000Z",
        "etag": "AMEw9yN=",
        "state": "STABLE",
    }
    if optimized:
        raw["optimized"] = {}
        endpoint: dict[str, Any] = {}
        if psc:
            psc_config = {"enablePrivateServiceConnect": True, "projectAllowlist": [project]}
            endpoint["privateServiceConnectConfig"] = psc_config
            endpoint["serviceAttachment"] = f"projects/sa-{project}/regions/{location}/serviceAttachments/{ident}"
        else:
            endpoint["publicEndpointDomainName"] = f"{location}-{ident}.featurestore.vertexai.goog"
        raw["dedicatedServingEndpoint"] = endpoint
    else:
        raw["bigtable"] = {"autoScaling": {"minNodeCount": 1, "maxNodeCount": 3, "cpuUtilizationTarget": 50}}
    if kms_key:
        raw["encryptionSpec"] = {"kmsKeyName": kms_key}
    return raw


def featurestore(ident: str, *, project: str, location: str, kms_key: str | None = None) -> dict[str, Any]:
    """A legacy ``Featurestore`` with online serving nodes."""
    raw: dict[str, Any] = {
        "name": f"projects/{project}/locations/{location}/featurestores/{ident}",
        "createTime": "2026-01-01T00:00:00.000000Z",
        "updateTime": "2026-01-01T00:00:00.000000Z",
        "etag": "AMEw9yN=",
        "onlineServingConfig": {"fixedNodeCount": 1},
        "state": "STABLE",
        "onlineStorageTtlDays": 4000,
    }
    if kms_key:
        raw["encryptionSpec"] = {"kmsKeyName": kms_key}
    return raw


# ---------------------------------------------------------------------------------------------
# Routes
# ---------------------------------------------------------------------------------------------


def route(fake: FakeGcs, path: str, query: dict[str, str]) -> tuple[int, dict[str, Any]] | None:
    """The answer to a GET this module serves, or None when ``path`` is not one of its routes."""
    instances = _INSTANCES.match(path)
    if instances is not None:
        return _instances(fake, instances.group("project"), instances.group("location"), query)
    versions = _VERSIONS.match(path)
    if versions is not None:
        return _versions(fake, versions.group("location"), versions.group("model"), query)
    return None


def _instances(fake: FakeGcs, project: str, location: str, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
    from cspm.demo.gcp import google_error

    if f"notebooks-disabled:{project}" in fake.denied:
        return 403, google_error(
            403,
            "PERMISSION_DENIED",
            f"Notebooks API has not been used in project {project} before or it is disabled. Enable it by visiting "
            f"https://console.developers.google.com/apis/api/{NOTEBOOKS_API}/overview?project={project} then retry.",
            "SERVICE_DISABLED",
            service=NOTEBOOKS_API,
            consumer=f"projects/{project}",
        )
    if f"notebooks:{project}" in fake.denied:
        return 403, google_error(
            403,
            "PERMISSION_DENIED",
            f"Permission 'notebooks.instances.list' denied on 'projects/{project}/locations/{location}'",
            "IAM_PERMISSION_DENIED",
            permission="notebooks.instances.list",
        )
    unreachable = sorted(d.split(":", 1)[1] for d in fake.denied if d.startswith("notebooks-unreachable:"))
    items = [i for i in fake.workbench.get(project, []) if location in ("-", _zone(i)) and _zone(i) not in unreachable]
    page = fake._vertex_page("instances", items, query)
    if unreachable and location == "-":
        page["unreachable"] = [f"projects/{project}/locations/{zone}" for zone in unreachable]
    return 200, page


def _zone(instance: dict[str, Any]) -> str:
    parts = str(instance.get("name", "")).split("/")
    return parts[3] if len(parts) > 3 else ""


def _versions(fake: FakeGcs, location: str, model: str, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
    from cspm.demo.gcp import google_error

    if f"versions:{model}" in fake.denied:
        return 403, google_error(403, "PERMISSION_DENIED", f"Permission 'aiplatform.models.list' denied on {model}",
                                 "IAM_PERMISSION_DENIED", permission="aiplatform.models.list")  # fmt: skip
    versions = fake.model_versions.get(f"{location}/{model}")
    if versions is None:
        listed = [m for (_, loc, kind), items in fake.vertex.items() if loc == location and kind == "models"
                  for m in items if m["name"].rsplit("/", 1)[-1] == model]  # fmt: skip
        if not listed:
            return 404, google_error(404, "NOT_FOUND", f"Model {model} not found.")
        versions = listed[:1]
    return 200, fake._vertex_page("models", versions, query)


# ---------------------------------------------------------------------------------------------
# The demo project
# ---------------------------------------------------------------------------------------------


def seed_demo(fake: FakeGcs, project: str, number: str) -> None:
    """acme-ml-research's Workbench (a hardened instance next to an exposed one), feature stores
    (a private, CMEK-encrypted online store next to a public one; a legacy store with Google's
    key) and the fraud model's registry (version 2 still deployed, without a customer key)."""
    key = f"projects/{project}/locations/europe-west4/keyRings/ml/cryptoKeys/vertex"
    network = f"projects/{project}/global/networks/ml-vpc"
    fake.workbench.setdefault(project, []).extend([
        workbench_instance("fraud-research", project=project, zone="europe-west4-a", public_ip=False, root=False,
                           secure_boot=True, service_account=f"fraud-notebooks@{project}.iam.gserviceaccount.com",
                           kms_key=key, network=network),
        workbench_instance("churn-sandbox", project=project, zone="europe-west4-b",
                           service_account=f"{number}-compute@developer.gserviceaccount.com",
                           network=f"projects/{project}/global/networks/default", ip_forwarding=True),
    ])  # fmt: skip
    where: dict[str, Any] = {"project": number, "location": "europe-west4"}
    fake.add_vertex("featureOnlineStores", feature_online_store("fraud_features", psc=True, kms_key=key, **where),
                    project=project)  # fmt: skip
    fake.add_vertex("featureOnlineStores", feature_online_store("churn_features", **where), project=project)
    fake.add_vertex("featurestores", featurestore("legacy_churn", **where), project=project)
    prefix = f"projects/{number}/locations/europe-west4"
    [fraud] = [m for m in fake.vertex[(project, "europe-west4", "models")] if m["name"].endswith("/fraud-model")]
    fake.model_versions["europe-west4/fraud-model"] = [
        model_version(fraud, "1", kms_key=key, artifact_uri=fraud.get("artifactUri"), aliases=("default",),
                      endpoints=(f"{prefix}/endpoints/fraud-psc",)),
        model_version(fraud, "2", kms_key=None, artifact_uri="gs://acme-ml-research-models/fraud/v2-hotfix/",
                      aliases=("canary",), endpoints=(f"{prefix}/endpoints/fraud-psc",)),
    ]  # fmt: skip
