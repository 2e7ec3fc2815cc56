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

from cspm.demo.fake_http import Simulated, serve

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


# ---------------------------------------------------------------------------------------------
# The fake
# ---------------------------------------------------------------------------------------------

_BUCKET_CHILD = re.compile(r"^/storage/v1/b/(?P<name>[^/]+)/(?P<what>iam|acl|defaultObjectAcl)$")


@dataclass
class FakeGcs:
    """In-memory Cloud Storage state."""

    buckets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # project -> buckets
    policies: dict[str, dict[str, Any]] = field(default_factory=dict)  # bucket -> policy
    acls: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # bucket -> bucket ACL
    default_acls: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # bucket -> default object ACL
    projects: list[str] = field(default_factory=list)  # what projects:search returns
    denied: set[str] = field(default_factory=set)  # "project:P", "iam:B", "acl:B", "search"
    page_size: int = 1000
    requests: list[tuple[str, str]] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    tokens_issued: int = 0
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

    def handle(self, method: str, url: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        """Answer one request: (HTTP status, JSON body)."""
        parsed = urlparse(url)
        path = unquote(parsed.path)
        query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
        with self._lock:
            self.requests.append((method, path))
        if method == "POST" and path.endswith("/token"):
            with self._lock:
                self.tokens_issued += 1
            return 200, {"access_token": "fake-gcp-token", "expires_in": 3599, "token_type": "Bearer"}
        if method != "GET":
            with self._lock:
                self.violations.append(f"{method} {path}")
            return 405, gcs_error(405, "methodNotAllowed", "the fake is read-only")
        if not {k.lower(): v for k, v in headers.items()}.get("authorization", "").startswith("Bearer "):
            return 401, gcs_error(401, "required", "Anonymous caller does not have storage.buckets.list access.")
        if path == "/v3/projects:search":
            return self._search()
        return self._storage(path, query)

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
        start = int(query.get("pageToken") or 0)
        page: dict[str, Any] = {"kind": "storage#buckets", "items": items[start : start + self.page_size]}
        if start + self.page_size < len(items):
            page["nextPageToken"] = str(start + self.page_size)
        return page


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
    return fake


def demo_environment(base: str, key_file: Path) -> dict[str, str]:
    """The documented settings that send the GCP provider to the fake at ``base``: Application
    Default Credentials from a service-account key whose token URL is the fake, and the fake as
    the storage endpoint."""
    return {"GOOGLE_APPLICATION_CREDENTIALS": str(key_file), "STORAGE_EMULATOR_HOST": base}


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
    of :func:`demo_environment` (imports the Google SDK)."""
    from cspm.providers.gcp import GcpOptions, GcpProvider

    return GcpProvider(GcpOptions(projects=(DEMO_PROJECT,)))
