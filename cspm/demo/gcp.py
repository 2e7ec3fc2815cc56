"""The demo's Google Cloud project: a fake of the Cloud Storage JSON API and of Google's token endpoint.

The storage emulators lose the posture fields (uniform access, public access prevention, KMS
key, retention, logging are dropped on insert), so :class:`FakeGcs` answers the routes the
scanner reads with bodies shaped as the Cloud Storage JSON API reference documents them:

- ``GET /storage/v1/b?project=P`` (buckets.list: ``storage#buckets`` of full ``storage#bucket``
  resources, paged through ``nextPageToken``);
- ``GET /storage/v1/b/{bucket}/iam`` (buckets.getIamPolicy: ``storage#policy``);
- ``GET /storage/v1/b/{bucket}/acl`` and ``.../defaultObjectAcl`` (bucketAccessControls.list,
  defaultObjectAccessControls.list; 400 when uniform bucket-level access is on, as GCS answers);
- ``GET /v3/projects:search`` (Cloud Resource Manager);
- ``POST /token``: the OAuth 2.0 token endpoint, for a service-account key made by
  :func:`service_account_file` whose ``token_uri`` points at the fake.

Storage routes require a bearer token; any method but GET (other than the token request) is
recorded in ``violations`` and answered 405 (the scanner is read-only).

:func:`serve_http` runs the fake on 127.0.0.1, reached through google-cloud-storage's own
``STORAGE_EMULATOR_HOST``. :func:`simulated` starts the demo's project
(:func:`demo_project`) and gives the documented settings that reach it: the unmodified GCP
provider then finds the key through ``GOOGLE_APPLICATION_CREDENTIALS``, google-auth signs a real
JWT and exchanges it at the fake, and the scan runs through the SDK's real HTTP pipeline.

The end-to-end and provider tests use the same fake (``tests/support/gcp.py``). Importing this
module imports no Google SDK (only :func:`demo_provider` does).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlparse

from cspm.demo import gcp_resource_iam, gcp_workbench
from cspm.demo.fake_http import Simulated, serve
from cspm.demo.gcp_iam import IamDepth, seed_demo
from cspm.demo.gcp_lineage import seed_lineage
from cspm.demo.gcp_network import NetworkState, seed_demo_network
from cspm.demo.gcp_objects import MALICIOUS_PICKLE, FakeObjects, safetensors_model

if TYPE_CHECKING:
    from cspm.providers.gcp import GcpProvider

# Defaults of the response builders below (the demo's own project is further down).
PROJECT = "ml-project"
PROJECT_NUMBER = "123456789012"

# What the demo needs installed to scan Google Cloud (the 'gcp' extra).
SDK_MODULES = ("google.auth", "google.cloud.storage")


# ---------------------------------------------------------------------------------------------
# Documented response shapes
# ---------------------------------------------------------------------------------------------


def bucket(
    name: str,
    *,
    project_number: str = PROJECT_NUMBER,
    location: str = "US-CENTRAL1",
    uniform: bool = True,
    public_access_prevention: str | None = "enforced",
    kms_key: str | None = None,
    versioning: bool | None = None,
    retention: tuple[int, bool] | None = None,
    log_bucket: str | None = None,
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A ``storage#bucket`` resource as ``buckets.list`` (projection noAcl) returns it.

    ``retention`` is (seconds, locked); a ``None`` setting is omitted (never configured).
    """
    iam_config: dict[str, Any] = {
        "bucketPolicyOnly": {"enabled": uniform},
        "uniformBucketLevelAccess": {"enabled": uniform},
    }
    if uniform:
        iam_config["bucketPolicyOnly"]["lockedTime"] = iam_config["uniformBucketLevelAccess"]["lockedTime"] = (
            "2025-04-01T00:00:00.000Z"
        )
    if public_access_prevention is not None:
        iam_config["publicAccessPrevention"] = public_access_prevention
    raw: dict[str, Any] = {
        "kind": "storage#bucket",
        "selfLink": f"https://www.googleapis.com/storage/v1/b/{name}",
        "id": name,
        "name": name,
        "projectNumber": project_number,
        "generation": "1704067200000000",
        "metageneration": "1",
        "location": location,
        "storageClass": "STANDARD",
        "etag": "CAE=",
        "timeCreated": "2024-01-01T00:00:00.000Z",
        "updated": "2024-01-01T00:00:00.000Z",
        "iamConfiguration": iam_config,
        "locationType": "region" if "-" in location else "multi-region",
        "rpo": "DEFAULT",
        "softDeletePolicy": {"retentionDurationSeconds": "604800", "effectiveTime": "2024-03-01T08:00:00.000Z"},
    }
    if kms_key:
        raw["encryption"] = {"defaultKmsKeyName": kms_key}
    if versioning is not None:
        raw["versioning"] = {"enabled": versioning}
    if retention is not None:
        seconds, locked = retention
        raw["retentionPolicy"] = {"retentionPeriod": str(seconds), "effectiveTime": "2024-01-01T00:00:00.000Z"}
        if locked:
            raw["retentionPolicy"]["isLocked"] = True
    if log_bucket:
        raw["logging"] = {"logBucket": log_bucket, "logObjectPrefix": name}
    if labels:
        raw["labels"] = labels
    return raw


def hardened_bucket(name: str, **kw: Any) -> dict[str, Any]:
    """A bucket configured the way every check wants it; ``kw`` overrides :func:`bucket`'s settings."""
    # Cloud Storage makes a retention policy and Object Versioning mutually exclusive (bucket-lock
    # docs); the fake would store both, so the hardened bucket has only the locked retention policy
    # (the versioning check does not apply to it).
    settings: dict[str, Any] = {
        "kms_key": f"projects/{PROJECT}/locations/us-central1/keyRings/ml/cryptoKeys/data",
        "retention": (86400, True),
        "log_bucket": "ml-usage-logs",
        "labels": {"team": "ml"},
    }
    return bucket(name, **{**settings, **kw})


def iam_policy(name: str, *extra: tuple[str, list[str]], project: str = PROJECT) -> dict[str, Any]:
    """A ``storage#policy`` with the legacy bindings every new bucket has, plus ``extra`` (role, members)."""
    bindings = [
        {"role": "roles/storage.legacyBucketOwner", "members": [f"projectEditor:{project}", f"projectOwner:{project}"]},
        {"role": "roles/storage.legacyBucketReader", "members": [f"projectViewer:{project}"]},
    ]
    bindings.extend({"role": role, "members": members} for role, members in extra)
    return {
        "kind": "storage#policy",
        "resourceId": f"projects/_/buckets/{name}",
        "version": 1,
        "etag": "CAE=",
        "bindings": bindings,
    }


def acl_entry(name: str, entity: str, role: str) -> dict[str, Any]:
    """A ``storage#bucketAccessControl``."""
    return {
        "kind": "storage#bucketAccessControl",
        "id": f"{name}/{entity}",
        "selfLink": f"https://www.googleapis.com/storage/v1/b/{name}/acl/{entity}",
        "bucket": name,
        "entity": entity,
        "role": role,
        "etag": "CAE=",
    }


def default_acl(name: str, project_number: str = PROJECT_NUMBER) -> list[dict[str, Any]]:
    """The default object ACL of a new bucket: the project's owners and editors."""
    return [
        acl_entry(name, f"project-owners-{project_number}", "OWNER"),
        acl_entry(name, f"project-editors-{project_number}", "OWNER"),
    ]


def gcs_error(code: int, reason: str, message: str) -> dict[str, Any]:
    """The JSON API's error body."""
    return {
        "error": {
            "code": code,
            "message": message,
            "errors": [{"message": message, "domain": "global", "reason": reason}],
        }
    }


# Vertex AI (REST v1; shapes of the resources in the aiplatform v1 discovery document)

VERTEX_API = "aiplatform.googleapis.com"


def _vertex_name(project: str, location: str, collection: str, ident: str) -> str:
    return f"projects/{project}/locations/{location}/{collection}/{ident}"


def _encryption(raw: dict[str, Any], kms_key: str | None) -> dict[str, Any]:
    if kms_key:
        raw["encryptionSpec"] = {"kmsKeyName": kms_key}
    return raw


def vertex_endpoint(
    ident: str,
    *,
    project: str = PROJECT_NUMBER,
    location: str = "us-central1",
    network: str | None = None,
    psc: bool = False,
    kms_key: str | None = None,
    deployed: tuple[tuple[str, str, int, str | None], ...] = (),
) -> dict[str, Any]:
    """An ``Endpoint``; ``deployed`` is (deployed model id, model name, traffic %, service account)."""
    raw: dict[str, Any] = {
        "name": _vertex_name(project, location, "endpoints", ident),
        "displayName": ident,
        "etag": "AMEw9yN=",
        "createTime": "2026-01-01T00:00:00.000000Z",
        "updateTime": "2026-01-01T00:00:00.000000Z",
        "deployedModels": [
            {
                "id": dm_id,
                "model": model,
                "modelVersionId": "1",
                "displayName": dm_id,
                "createTime": "2026-01-01T00:00:00.000000Z",
                "dedicatedResources": {"machineSpec": {"machineType": "n1-standard-4"}, "minReplicaCount": 1},
                **({"serviceAccount": account} if account else {}),
            }
            for dm_id, model, _, account in deployed
        ],
        "trafficSplit": {dm_id: percent for dm_id, _, percent, _ in deployed},
    }
    if network:
        raw["network"] = network
    if psc:
        raw["privateServiceConnectConfig"] = {"enablePrivateServiceConnect": True, "projectAllowlist": [PROJECT]}
    return _encryption(raw, kms_key)


def vertex_model(
    ident: str,
    *,
    project: str = PROJECT_NUMBER,
    location: str = "us-central1",
    artifact_uri: str | None = None,
    kms_key: str | None = None,
    endpoints: tuple[str, ...] = (),
    training_pipeline: str | None = None,
) -> dict[str, Any]:
    """A ``Model`` (its default version, as models.list returns it)."""
    raw: dict[str, Any] = {
        "name": _vertex_name(project, location, "models", ident),
        "displayName": ident,
        "versionId": "1",
        "versionAliases": ["default"],
        "versionCreateTime": "2026-01-01T00:00:00.000000Z",
        "createTime": "2026-01-01T00:00:00.000000Z",
        "updateTime": "2026-01-01T00:00:00.000000Z",
        "etag": "AMEw9yN=",
        "containerSpec": {"imageUri": "us-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-3:latest"},
        "supportedDeploymentResourcesTypes": ["DEDICATED_RESOURCES"],
        "deployedModels": [{"endpoint": e, "deployedModelId": "1"} for e in endpoints],
    }
    if artifact_uri:
        raw["artifactUri"] = artifact_uri
    if training_pipeline:
        raw["trainingPipeline"] = training_pipeline
    return _encryption(raw, kms_key)


def custom_job(
    ident: str,
    *,
    project: str = PROJECT_NUMBER,
    location: str = "us-central1",
    service_account: str | None = None,
    network: str | None = None,
    web_access: bool = False,
    output_uri: str | None = None,
    kms_key: str | None = None,
) -> dict[str, Any]:
    """A ``CustomJob``; a ``None`` setting is omitted (never configured)."""
    spec: dict[str, Any] = {
        "workerPoolSpecs": [
            {
                "machineSpec": {"machineType": "n1-standard-8"},
                "replicaCount": "1",
                "containerSpec": {"imageUri": "us-docker.pkg.dev/vertex-ai/training/tf-cpu.2-15:latest"},
                "diskSpec": {"bootDiskType": "pd-ssd", "bootDiskSizeGb": 100},
            }
        ]
    }
    if service_account:
        spec["serviceAccount"] = service_account
    if network:
        spec["network"] = network
    if web_access:
        spec["enableWebAccess"] = True
    if output_uri:
        spec["baseOutputDirectory"] = {"outputUriPrefix": output_uri}
    raw = {
        "name": _vertex_name(project, location, "customJobs", ident),
        "displayName": ident,
        "jobSpec": spec,
        "state": "JOB_STATE_SUCCEEDED",
        "createTime": "2026-01-01T00:00:00.000000Z",
        "startTime": "2026-01-01T00:01:00.000000Z",
        "endTime": "2026-01-01T01:00:00.000000Z",
        "updateTime": "2026-01-01T01:00:00.000000Z",
    }
    return _encryption(raw, kms_key)


def training_pipeline(
    ident: str,
    *,
    project: str = PROJECT_NUMBER,
    location: str = "us-central1",
    kms_key: str | None = None,
    model: str | None = None,
) -> dict[str, Any]:
    """A custom-training ``TrainingPipeline`` that uploaded ``model`` (its name)."""
    raw: dict[str, Any] = {
        "name": _vertex_name(project, location, "trainingPipelines", ident),
        "displayName": ident,
        "trainingTaskDefinition": "gs://google-cloud-aiplatform/schema/trainingjob/definition/custom_task_1.0.0.yaml",
        "trainingTaskInputs": {"workerPoolSpecs": [{"machineSpec": {"machineType": "n1-standard-4"}}]},
        "state": "PIPELINE_STATE_SUCCEEDED",
        "createTime": "2026-01-01T00:00:00.000000Z",
        "modelToUpload": {"displayName": ident, **({"name": model} if model else {})},
    }
    return _encryption(raw, kms_key)


def vertex_dataset(
    ident: str, *, project: str = PROJECT_NUMBER, location: str = "us-central1", kms_key: str | None = None
) -> dict[str, Any]:
    """A ``Dataset`` (tabular)."""
    raw = {
        "name": _vertex_name(project, location, "datasets", ident),
        "displayName": ident,
        "metadataSchemaUri": "gs://google-cloud-aiplatform/schema/dataset/metadata/tabular_1.0.0.yaml",
        "createTime": "2026-01-01T00:00:00.000000Z",
        "updateTime": "2026-01-01T00:00:00.000000Z",
        "etag": "AMEw9yN=",
    }
    return _encryption(raw, kms_key)


def google_error(code: int, status: str, message: str, reason: str | None = None, **metadata: str) -> dict[str, Any]:
    """The error body of Google's REST (non-Storage) APIs: google.rpc.Status, with an ErrorInfo."""
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if reason:
        error["details"] = [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": reason,
                "domain": "googleapis.com",
                "metadata": metadata,
            }
        ]
    return {"error": error}


def service_disabled(project: str, service: str = VERTEX_API) -> dict[str, Any]:
    """What a call to a disabled API answers (HTTP 403, reason SERVICE_DISABLED)."""
    return google_error(
        403,
        "PERMISSION_DENIED",
        f"Vertex AI API has not been used in project {project} before or it is disabled. Enable it by "
        f"visiting https://console.developers.google.com/apis/api/{service}/overview?project={project} then retry.",
        "SERVICE_DISABLED",
        service=service,
        consumer=f"projects/{project}",
    )


def project_policy(*bindings: tuple[str, list[str]] | tuple[str, list[str], dict[str, str]]) -> dict[str, Any]:
    """A project's IAM policy as Resource Manager v3 projects.getIamPolicy returns it (version 3);
    a binding may carry a condition ({"title", "expression"})."""
    items = []
    for role, members, *condition in bindings:
        item: dict[str, Any] = {"role": role, "members": members}
        if condition:
            item["condition"] = condition[0]
        items.append(item)
    version = 3 if any("condition" in b for b in items) else 1
    return {"version": version, "etag": "BwYa3kR2Fq0=", "bindings": items}


def service_account(email: str, project: str = PROJECT, *, disabled: bool = False) -> dict[str, Any]:
    """A service account as IAM serviceAccounts.list returns it."""
    item: dict[str, Any] = {
        "name": f"projects/{project}/serviceAccounts/{email}",
        "projectId": project,
        "uniqueId": str(100000000000000000000 + sum(map(ord, email))),
        "email": email,
        "displayName": email.split("@", maxsplit=1)[0],
        "etag": "MDEwMjE5MjA=",
        "oauth2ClientId": "100000000000000000001",
    }
    if disabled:
        item["disabled"] = True
    return item


def service_account_key(email: str, key_id: str, created: str, project: str = PROJECT) -> dict[str, Any]:
    """A user-managed key as serviceAccounts.keys.list returns it (``created``: RFC 3339)."""
    return {
        "name": f"projects/{project}/serviceAccounts/{email}/keys/{key_id}",
        "validAfterTime": created,
        "validBeforeTime": "9999-12-31T23:59:59Z",
        "keyAlgorithm": "KEY_ALG_RSA_2048",
        "keyOrigin": "GOOGLE_PROVIDED",
        "keyType": "USER_MANAGED",
    }


# ---------------------------------------------------------------------------------------------
# The fake
# ---------------------------------------------------------------------------------------------

_BUCKET_CHILD = re.compile(r"^/storage/v1/b/(?P<name>[^/]+)/(?P<what>iam|acl|defaultObjectAcl)$")
_GET_IAM_POLICY = re.compile(r"^/v3/projects/(?P<project>[^/:]+):getIamPolicy$")
_SERVICE_ACCOUNTS = re.compile(r"^/v1/projects/(?P<project>[^/]+)/serviceAccounts(?:/(?P<email>[^/]+)/keys)?$")
_VERTEX = re.compile(r"^/v1/projects/(?P<project>[^/]+)/locations(?:/(?P<location>[^/]+)/(?P<collection>[A-Za-z]+))?$")


@dataclass
class FakeGcs:
    """In-memory Cloud Storage state."""

    buckets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # project -> buckets
    policies: dict[str, dict[str, Any]] = field(default_factory=dict)  # bucket -> policy
    acls: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # bucket -> bucket ACL
    default_acls: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # bucket -> default object ACL
    projects: list[str] = field(default_factory=list)  # what projects:search returns
    # Vertex AI: (project, location, collection) -> resources; a project's locations are those
    # it has resources in, plus ``vertex_locations``.
    vertex: dict[tuple[str, str, str], list[dict[str, Any]]] = field(default_factory=dict)
    vertex_locations: set[str] = field(default_factory=lambda: {"us-central1"})
    # IAM: project -> policy (getIamPolicy), project -> service accounts, email -> user-managed keys
    project_policies: dict[str, dict[str, Any]] = field(default_factory=dict)
    service_accounts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    sa_keys: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    network: NetworkState = field(default_factory=NetworkState)  # ancestry, VPC-SC, subnets, PSC (gcp_network)
    # Workbench: project -> instances; model registry: "LOCATION/MODEL_ID" -> versions (gcp_workbench.py)
    workbench: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    model_versions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # "project:P", "iam:B", "acl:B", "search"; "vertex-disabled:P" (SERVICE_DISABLED),
    # "vertex:P:LOCATION:COLLECTION" (403 on that listing); "getIamPolicy:P", "keys:EMAIL"
    denied: set[str] = field(default_factory=set)
    iam_depth: IamDepth = field(default_factory=IamDepth)  # ancestry, folder/org/SA policies, roles
    resource_policies: dict[str, dict[str, Any]] = field(default_factory=dict)  # Vertex resource -> Policy
    page_size: int = 1000
    requests: list[tuple[str, str]] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    tokens_issued: int = 0
    objects: FakeObjects = field(default_factory=FakeObjects)  # object routes: cspm.demo.gcp_objects
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add_bucket(
        self,
        raw: dict[str, Any],
        *,
        project: str = PROJECT,
        policy: dict[str, Any] | None = None,
        acl: list[dict[str, Any]] | None = None,
        default_object_acl: list[dict[str, Any]] | None = None,
    ) -> None:
        """Add a bucket to ``project``; by default with a new bucket's IAM policy and ACLs."""
        name, number = raw["name"], raw["projectNumber"]
        self.buckets.setdefault(project, []).append(raw)
        self.policies[name] = policy or iam_policy(name, project=project)
        self.acls[name] = acl if acl is not None else [acl_entry(name, f"project-owners-{number}", "OWNER")]
        self.default_acls[name] = default_object_acl if default_object_acl is not None else default_acl(name, number)

    def add_vertex(self, collection: str, raw: dict[str, Any], *, project: str = PROJECT) -> None:
        """Add a Vertex AI resource (endpoints, models, customJobs, trainingPipelines, datasets)."""
        location = raw["name"].split("/")[3]
        self.vertex.setdefault((project, location, collection), []).append(raw)

    def handle(self, method: str, url: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
        """Answer one request: (HTTP status, JSON body, or a Raw object media answer)."""
        parsed = urlparse(url)
        path = unquote(parsed.path)
        query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
        with self._lock:
            self.requests.append((method, path))
        if (answer := gcp_resource_iam.route(self, method, path, query)) is not None:
            return answer
        if (answer := self._token_or_read_by_post(method, path, body)) is not None:
            return answer
        if method != "GET":
            with self._lock:
                self.violations.append(f"{method} {path}")
            return 405, gcs_error(405, "methodNotAllowed", "the fake is read-only")
        if not {k.lower(): v for k, v in headers.items()}.get("authorization", "").startswith("Bearer "):
            return 401, gcs_error(401, "required", "Anonymous caller does not have storage.buckets.list access.")
        if path == "/v3/projects:search":
            return self._search()
        if (answer := self.network.handle(path, query)) is not None:
            return answer
        accounts = _SERVICE_ACCOUNTS.match(path)
        if accounts is not None:
            return self._service_accounts(accounts.group("project"), accounts.group("email"), query)
        routed = gcp_workbench.route(self, path, query)
        if routed is not None:
            return routed
        if path.startswith("/v1/"):
            return self._vertex(path, query)
        return self.objects.answer(path, query, headers) or self._storage(path, query)

    def _token_or_read_by_post(self, method: str, path: str, body: bytes) -> tuple[int, Any] | None:
        """The token exchange, the reads Google defines as POSTs (project IAM policy; ancestry,
        folder/organization/service-account policies and role reads of cspm.demo.gcp_iam), else None."""
        if method == "POST" and path.endswith("/token"):
            with self._lock:
                self.tokens_issued += 1
            return 200, {"access_token": "fake-gcp-token", "expires_in": 3599, "token_type": "Bearer"}
        if (depth := self.iam_depth.handle(method, path)) is not None:
            return depth
        policy = _GET_IAM_POLICY.match(path) if method == "POST" else None
        if policy is not None:
            return self._project_policy(policy.group("project"), body)
        return None

    def _project_policy(self, project: str, body: bytes) -> tuple[int, dict[str, Any]]:
        if f"getIamPolicy:{project}" in self.denied:
            return 403, google_error(
                403,
                "PERMISSION_DENIED",
                f"The caller does not have permission resourcemanager.projects.getIamPolicy on project {project}",
                "IAM_PERMISSION_DENIED",
                permission="resourcemanager.projects.getIamPolicy",
            )
        requested = json.loads(body or b"{}").get("options", {}).get("requestedPolicyVersion", 1)
        policy = self.project_policies.get(project) or project_policy()
        if requested < 3 and any("condition" in b for b in policy.get("bindings", ())):
            return 400, google_error(400, "INVALID_ARGUMENT", "policy has conditions: request version 3")
        return 200, policy

    def _service_accounts(self, project: str, email: str | None, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if email is None:
            return 200, self._vertex_page("accounts", self.service_accounts.get(project, []), query)
        if f"keys:{email}" in self.denied:
            return 403, google_error(
                403,
                "PERMISSION_DENIED",
                "Permission 'iam.serviceAccountKeys.list' denied on resource (or it may not exist).",
                "IAM_PERMISSION_DENIED",
                permission="iam.serviceAccountKeys.list",
            )
        if email not in {a["email"] for a in self.service_accounts.get(project, [])}:
            return 404, google_error(404, "NOT_FOUND", f"Unknown service account {email}")
        if query.get("keyTypes") != "USER_MANAGED":  # the scanner asks for user-managed keys only
            return 400, google_error(400, "INVALID_ARGUMENT", "expected keyTypes=USER_MANAGED")
        return 200, {"keys": self.sa_keys.get(email, [])}

    def _vertex(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        match = _VERTEX.match(path)
        if not match:
            return 404, google_error(404, "NOT_FOUND", f"no route for {path}")
        project, location, collection = match.group("project", "location", "collection")
        if f"vertex-disabled:{project}" in self.denied:
            return 403, service_disabled(project)
        if location is None:
            where = self.vertex_locations | {loc for p, loc, _ in self.vertex if p == project}
            items = [{"name": f"projects/{project}/locations/{loc}", "locationId": loc} for loc in sorted(where)]
            return 200, self._vertex_page("locations", items, query)
        if f"vertex:{project}:{location}:{collection}" in self.denied:
            return 403, google_error(
                403,
                "PERMISSION_DENIED",
                f"Permission 'aiplatform.{collection}.list' denied on resource "
                f"'//aiplatform.googleapis.com/projects/{project}/locations/{location}' (or it may not exist).",
                "IAM_PERMISSION_DENIED",
                permission=f"aiplatform.{collection}.list",
            )
        return 200, self._vertex_page(collection, self.vertex.get((project, location, collection), []), query)

    def _vertex_page(self, key: str, items: list[dict[str, Any]], query: dict[str, str]) -> dict[str, Any]:
        start = int(query.get("pageToken") or 0)
        size = min(self.page_size, int(query.get("pageSize") or self.page_size))
        page: dict[str, Any] = {key: items[start : start + size]}
        if start + size < len(items):
            page["nextPageToken"] = str(start + size)
        return page

    def _search(self) -> tuple[int, dict[str, Any]]:
        if "search" in self.denied:
            return 403, gcs_error(403, "forbidden", "Cloud Resource Manager API has not been used in this project.")
        return 200, {
            "projects": [
                {"name": f"projects/{i}", "projectId": p, "state": "ACTIVE"} for i, p in enumerate(self.projects)
            ]
        }

    def _storage(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if path == "/storage/v1/b":
            project = query.get("project", "")
            if f"project:{project}" in self.denied:
                return 403, gcs_error(
                    403,
                    "forbidden",
                    f"caller does not have storage.buckets.list access to the Google Cloud project {project}.",
                )
            return 200, self._page(self.buckets.get(project, []), query)
        match = _BUCKET_CHILD.match(path)
        if not match:
            return 404, gcs_error(404, "notFound", f"no route for {path}")
        name, what = match.group("name"), match.group("what")
        if name not in self.policies:
            return 404, gcs_error(404, "notFound", "The specified bucket does not exist.")
        if what == "iam":
            if f"iam:{name}" in self.denied:
                return 403, gcs_error(
                    403, "forbidden", f"caller does not have storage.buckets.getIamPolicy access to {name}."
                )
            return 200, self.policies[name]
        return self._acl(name, what)

    def _acl(self, name: str, what: str) -> tuple[int, dict[str, Any]]:
        raw = next(b for items in self.buckets.values() for b in items if b["name"] == name)
        if raw["iamConfiguration"]["uniformBucketLevelAccess"]["enabled"]:
            return 400, gcs_error(
                400, "invalid", "Cannot get legacy ACL for a bucket that has uniform bucket-level access."
            )
        if f"acl:{name}" in self.denied:
            return 403, gcs_error(
                403, "forbidden", f"caller does not have storage.buckets.getIamPolicy access to {name}."
            )
        if what == "acl":
            return 200, {"kind": "storage#bucketAccessControls", "items": self.acls[name]}
        items = [{**e, "kind": "storage#objectAccessControl"} for e in self.default_acls[name]]
        return 200, {"kind": "storage#objectAccessControls", "items": items}

    def _page(self, items: list[dict[str, Any]], query: dict[str, str]) -> dict[str, Any]:
        return {"kind": "storage#buckets", **self._vertex_page("items", items, query)}


# ---------------------------------------------------------------------------------------------
# Serving it
# ---------------------------------------------------------------------------------------------


@contextmanager
def serve_http(fake: FakeGcs) -> Iterator[str]:
    """Serve ``fake`` over plain HTTP on 127.0.0.1 and a free port; yields the base URL."""
    with serve(fake) as base:
        yield base


def service_account_file(directory: Path, token_uri: str, project: str = PROJECT) -> Path:
    """A service-account key file (a fresh RSA key) whose token requests go to ``token_uri``."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    info = {
        "type": "service_account",
        "project_id": project,
        "private_key_id": "0123456789abcdef",
        "private_key": pem.decode(),
        "client_email": f"cspm-scanner@{project}.iam.gserviceaccount.com",
        "client_id": "100000000000000000000",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/cspm-scanner",
        "universe_domain": "googleapis.com",
    }
    path = directory / "service-account.json"
    path.touch(mode=0o600)
    path.write_text(json.dumps(info), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------
# The demo's project
# ---------------------------------------------------------------------------------------------

DEMO_PROJECT = "acme-ml-research"
DEMO_PROJECT_NUMBER = "418512750263"
MODELS_BUCKET = "acme-ml-research-models"  # model artifacts of record: hardened
PUBLIC_BUCKET = "acme-ml-research-training-public"  # training data shared with the world
_LABELS = {"owner": "ml-platform", "env": "prod", "cost-center": "ml-4711"}

DESCRIPTION = f"a Google Cloud project ({DEMO_PROJECT}) on a fake Cloud Storage API"


def demo_project() -> FakeGcs:
    """The acme-ml-research project: a hardened model-artifacts bucket next to a training-data
    bucket readable by anyone."""
    fake = FakeGcs(projects=[DEMO_PROJECT])
    fake.add_bucket(
        hardened_bucket(
            MODELS_BUCKET,
            project_number=DEMO_PROJECT_NUMBER,
            location="EUROPE-WEST4",
            kms_key=f"projects/{DEMO_PROJECT}/locations/europe-west4/keyRings/ml/cryptoKeys/models",
            retention=(30 * 86400, True),
            log_bucket="acme-ml-research-usage-logs",
            labels=_LABELS,
        ),
        project=DEMO_PROJECT,
    )
    fake.add_bucket(
        bucket(
            PUBLIC_BUCKET,
            project_number=DEMO_PROJECT_NUMBER,
            location="US",
            uniform=False,
            public_access_prevention="inherited",
            labels={**_LABELS, "env": "research"},
        ),
        project=DEMO_PROJECT,
        policy=iam_policy(PUBLIC_BUCKET, ("roles/storage.objectViewer", ["allUsers"]), project=DEMO_PROJECT),
    )
    _demo_vertex(fake)
    gcp_workbench.seed_demo(fake, DEMO_PROJECT, DEMO_PROJECT_NUMBER)
    gcp_resource_iam.seed_demo(fake, DEMO_PROJECT_NUMBER)
    _demo_iam(fake)
    seed_demo_network(fake.network, DEMO_PROJECT, DEMO_PROJECT_NUMBER)
    seed_lineage(fake)
    return fake


def _demo_iam(fake: FakeGcs) -> None:
    """The project's IAM: an owner and a data scientist with Editor, the default compute
    account still holding Editor, a group allowed to impersonate every service account, a
    pipeline account with an admin role under a time condition and an old key, and Vertex AI
    viewing granted to anyone with a Google account."""
    compute = f"serviceAccount:{DEMO_PROJECT_NUMBER}-compute@developer.gserviceaccount.com"
    training = f"fraud-training@{DEMO_PROJECT}.iam.gserviceaccount.com"
    pipeline = f"churn-pipeline@{DEMO_PROJECT}.iam.gserviceaccount.com"
    until = {"title": "until-2027", "expression": 'request.time < timestamp("2027-01-01T00:00:00Z")'}
    fake.project_policies[DEMO_PROJECT] = project_policy(
        ("roles/owner", ["user:ml-lead@acme.example"]),
        ("roles/editor", [compute, "user:data-scientist@acme.example"]),
        ("roles/aiplatform.user", [f"serviceAccount:{training}"]),
        ("roles/aiplatform.admin", [f"serviceAccount:{pipeline}"], until),
        ("roles/iam.serviceAccountUser", ["group:ml-engineers@acme.example"]),
        ("roles/aiplatform.viewer", ["allAuthenticatedUsers"]),
    )
    fake.service_accounts[DEMO_PROJECT] = [
        service_account(f"{DEMO_PROJECT_NUMBER}-compute@developer.gserviceaccount.com", DEMO_PROJECT),
        service_account(training, DEMO_PROJECT),
        service_account(pipeline, DEMO_PROJECT),
    ]
    fake.sa_keys[pipeline] = [service_account_key(pipeline, "3f1c0a9d2b7e", "2025-11-02T09:14:00Z", DEMO_PROJECT)]
    seed_demo(fake.iam_depth, DEMO_PROJECT, compute.removeprefix("serviceAccount:"))


def _demo_vertex(fake: FakeGcs) -> None:
    """Vertex AI in europe-west4: a hardened fraud model (CMEK, dedicated identity, private
    network, Private Service Connect) next to a churn model trained on Google's network as the
    default service agent, with a shell open, and served from a public endpoint."""
    where: dict[str, Any] = {"project": DEMO_PROJECT_NUMBER, "location": "europe-west4"}
    key = f"projects/{DEMO_PROJECT}/locations/europe-west4/keyRings/ml/cryptoKeys/vertex"
    network = f"projects/{DEMO_PROJECT_NUMBER}/global/networks/ml-vpc"
    prefix = f"projects/{DEMO_PROJECT_NUMBER}/locations/europe-west4"
    fake.vertex_locations = {"europe-west4"}
    resources = [
        (
            "endpoints",
            vertex_endpoint(
                "fraud-psc",
                psc=True,
                kms_key=key,
                deployed=(
                    (
                        "7001",
                        f"{prefix}/models/fraud-model",
                        100,
                        f"fraud-serving@{DEMO_PROJECT}.iam.gserviceaccount.com",
                    ),
                ),
                **where,
            ),
        ),
        (
            "endpoints",
            vertex_endpoint("churn-public", deployed=(("7002", f"{prefix}/models/churn-model", 100, None),), **where),
        ),
        (
            "models",
            vertex_model(
                "fraud-model",
                artifact_uri=f"gs://{MODELS_BUCKET}/fraud/v3/",
                kms_key=key,
                endpoints=(f"{prefix}/endpoints/fraud-psc",),
                training_pipeline=f"{prefix}/trainingPipelines/fraud-pipeline",
                **where,
            ),
        ),
        (
            "models",
            vertex_model(
                "churn-model",
                artifact_uri=f"gs://{PUBLIC_BUCKET}/churn/model/",
                endpoints=(f"{prefix}/endpoints/churn-public",),
                **where,
            ),
        ),
        (
            "customJobs",
            custom_job(
                "train-fraud",
                service_account=f"fraud-training@{DEMO_PROJECT}.iam.gserviceaccount.com",
                network=network,
                output_uri=f"gs://{MODELS_BUCKET}/fraud/",
                kms_key=key,
                **where,
            ),
        ),
        ("customJobs", custom_job("train-churn", web_access=True, output_uri=f"gs://{PUBLIC_BUCKET}/churn/", **where)),
        (
            "trainingPipelines",
            training_pipeline("fraud-pipeline", kms_key=key, model=f"{prefix}/models/fraud-model", **where),
        ),
        ("datasets", vertex_dataset("fraud-transactions", kms_key=key, **where)),
        ("datasets", vertex_dataset("churn-events", **where)),
    ]
    for collection, raw in resources:
        fake.add_vertex(collection, raw, project=DEMO_PROJECT)
    # What --inspect-artifacts reads: safetensors behind the private endpoint, and a pickle that
    # runs os.system when loaded behind the public one (in the world-readable bucket).
    fake.objects.put(MODELS_BUCKET, "fraud/v3/model.safetensors", safetensors_model(), kms_key=key)
    fake.objects.put(MODELS_BUCKET, "fraud/v3/config.json", b'{"architecture": "mlp"}')
    fake.objects.put(PUBLIC_BUCKET, "churn/model/model.pkl", MALICIOUS_PICKLE)


def demo_environment(base: str, key_file: Path) -> dict[str, str]:
    """The documented settings that send the GCP provider to the fake at ``base``: Application
    Default Credentials from a service-account key whose token URL is the fake, and the fake as
    the storage and Vertex AI endpoint."""
    return {
        "GOOGLE_APPLICATION_CREDENTIALS": str(key_file),
        "STORAGE_EMULATOR_HOST": base,
        "CSPM_GCP_VERTEX_ENDPOINT": base,
        "CSPM_GCP_NOTEBOOKS_ENDPOINT": base,
        "CSPM_GCP_CRM_ENDPOINT": base,
        "CSPM_GCP_IAM_ENDPOINT": base,
        "CSPM_GCP_COMPUTE_ENDPOINT": base,
        "CSPM_GCP_ACM_ENDPOINT": base,
    }


@contextmanager
def simulated(directory: Path) -> Iterator[Simulated[FakeGcs]]:
    """The demo project served on 127.0.0.1 (its service-account key written to ``directory``);
    stopped on exit."""
    fake = demo_project()
    with serve_http(fake) as base:
        key_file = service_account_file(directory, token_uri=f"{base}/token", project=DEMO_PROJECT)
        yield Simulated(base, fake, demo_environment(base, key_file))


def demo_provider() -> GcpProvider:
    """The unmodified GCP provider, for the demo project; it finds the fake through the settings
    of :func:`demo_environment` (imports the Google SDK). It inspects the Vertex AI models' files
    (``--inspect-artifacts``) when picklescan is installed, as the AWS part of the demo does."""
    from cspm.artifacts.collect import ArtifactSettings
    from cspm.providers.gcp import GcpOptions, GcpProvider

    try:
        import picklescan.scanner  # noqa: F401
    except ImportError:
        return GcpProvider(GcpOptions(projects=(DEMO_PROJECT,)))
    return GcpProvider(GcpOptions(projects=(DEMO_PROJECT,), artifacts=ArtifactSettings()))
