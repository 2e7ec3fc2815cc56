"""A fake of the Cloud Storage JSON API (plus Resource Manager and the OAuth token endpoint).

The emulators lose posture fields (see reference/test-infra.md §3), so :class:`FakeGcs`
answers the routes the scanner reads with bodies shaped as the Cloud Storage JSON API reference
documents them (``storage#bucket``, ``storage#policy``, ``storage#bucketAccessControls``). It is
served two ways:

- :func:`mounted` routes the public Google endpoints through ``responses`` (no socket), so
  google-cloud-storage and google-auth run unchanged;
- :func:`serve_http` runs it on 127.0.0.1 for end-to-end tests of the real ``cspm scan gcp``
  process, reached through ``STORAGE_EMULATOR_HOST``; it also answers the token requests of a
  service-account key made by :func:`service_account_file` whose ``token_uri`` points at it.

Storage routes require a bearer token; any method but GET (other than the token request) is
recorded in ``violations`` and answered 405.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

PROJECT = "ml-project"
PROJECT_NUMBER = "123456789012"


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
    """A ``storage#bucket`` resource as ``buckets.list`` (projection noAcl) returns it."""
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
    return bucket(
        name,
        kms_key="projects/ml-project/locations/us-central1/keyRings/ml/cryptoKeys/data",
        versioning=True,
        retention=(86400, True),
        log_bucket="ml-usage-logs",
        labels={"team": "ml"},
        **kw,
    )


def iam_policy(name: str, *extra: tuple[str, list[str]]) -> dict[str, Any]:
    """A ``storage#policy`` with the legacy bindings every new bucket has, plus ``extra``."""
    bindings = [
        {"role": "roles/storage.legacyBucketOwner", "members": [f"projectEditor:{PROJECT}", f"projectOwner:{PROJECT}"]},
        {"role": "roles/storage.legacyBucketReader", "members": [f"projectViewer:{PROJECT}"]},
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


def default_acl(name: str) -> list[dict[str, Any]]:
    return [
        acl_entry(name, f"project-owners-{PROJECT_NUMBER}", "OWNER"),
        acl_entry(name, f"project-editors-{PROJECT_NUMBER}", "OWNER"),
    ]


def gcs_error(code: int, reason: str, message: str) -> dict[str, Any]:
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


@dataclass
class FakeGcs:
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
        name = raw["name"]
        self.buckets.setdefault(project, []).append(raw)
        self.policies[name] = policy or iam_policy(name)
        self.acls[name] = acl if acl is not None else [acl_entry(name, f"project-owners-{PROJECT_NUMBER}", "OWNER")]
        self.default_acls[name] = default_object_acl if default_object_acl is not None else default_acl(name)

    def handle(self, method: str, url: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
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
        match = re.match(r"^/storage/v1/b/(?P<name>[^/]+)/(?P<what>iam|acl|defaultObjectAcl)$", path)
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

GOOGLE_HOSTS = ("storage.googleapis.com", "cloudresourcemanager.googleapis.com", "oauth2.googleapis.com")


@contextmanager
def mounted(fake: FakeGcs) -> Iterator[Any]:
    """Route the public Storage, Resource Manager and token endpoints to ``fake``, with no socket."""
    import responses

    def callback(request: Any) -> tuple[int, dict[str, str], str]:
        body = request.body or b""
        status, payload = fake.handle(
            request.method, request.url, dict(request.headers), body if isinstance(body, bytes) else body.encode()
        )
        return status, {"Content-Type": "application/json"}, json.dumps(payload)

    pattern = re.compile(r"https://(" + "|".join(re.escape(h) for h in GOOGLE_HOSTS) + r")/.*")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"):
            rsps.add_callback(method, pattern, callback=callback)
        yield rsps


@contextmanager
def serve_http(fake: FakeGcs) -> Iterator[str]:
    """Serve ``fake`` over plain HTTP on 127.0.0.1 and a free port; yields the base URL."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, payload = fake.handle(self.command, f"http://127.0.0.1{self.path}", dict(self.headers), body)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


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
    path.write_text(json.dumps(info))
    return path


# ---------------------------------------------------------------------------------------------
# Running the provider
# ---------------------------------------------------------------------------------------------


def fake_credentials() -> Any:
    """OAuth user credentials holding a fixed, unexpiring token (never refreshed)."""
    from google.oauth2.credentials import Credentials

    return Credentials(token="fake-token")


def collect_gcp(fake: FakeGcs, *types: type, projects: tuple[str, ...] = (PROJECT,)) -> tuple[Any, Any]:
    """Run the real provider and collectors for ``types`` against ``fake``: (inventory, provider)."""
    from cspm.engine import collect
    from cspm.providers.gcp import GcpOptions, GcpProvider

    provider = GcpProvider(GcpOptions(projects=projects, credentials=fake_credentials(), retry_deadline=None))
    with mounted(fake):
        provider.connect()
        inventory = collect(provider.plan(set(types)), workers=4)
    for error in provider.setup_errors:
        inventory.record_error(error)
    return inventory, provider
