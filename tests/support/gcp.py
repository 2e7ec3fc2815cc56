"""The Cloud Storage fake, for tests: re-exported from :mod:`cspm.demo.gcp`, plus what only
tests need.

The fake itself (:class:`FakeGcs`, the documented response shapes, the HTTP server and the
service-account key whose token URL is the fake) lives in ``cspm/demo/gcp.py``, where
``cspm demo`` serves its Google Cloud project with it; there is one copy. Added here:

- :func:`mounted` routes the public Storage, Resource Manager, Vertex AI (global and regional)
  and token endpoints to a fake through ``responses`` (no socket), so google-cloud-storage and
  google-auth run unchanged;
- :func:`fake_credentials` and :func:`collect_gcp`, to run the real provider and collectors.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from cspm.demo.gcp import (
    PROJECT,
    PROJECT_NUMBER,
    FakeGcs,
    acl_entry,
    bucket,
    custom_job,
    default_acl,
    gcs_error,
    hardened_bucket,
    iam_policy,
    project_policy,
    serve_http,
    service_account,
    service_account_file,
    service_account_key,
    training_pipeline,
    vertex_dataset,
    vertex_endpoint,
    vertex_model,
)
from support.azure import mount

__all__ = [
    "GOOGLE_HOSTS",
    "PROJECT",
    "PROJECT_NUMBER",
    "FakeGcs",
    "acl_entry",
    "bucket",
    "collect_gcp",
    "custom_job",
    "default_acl",
    "fake_credentials",
    "gcs_error",
    "hardened_bucket",
    "iam_policy",
    "mounted",
    "project_policy",
    "serve_http",
    "service_account",
    "service_account_file",
    "service_account_key",
    "training_pipeline",
    "vertex_dataset",
    "vertex_endpoint",
    "vertex_model",
]

GOOGLE_HOSTS = (
    "storage.googleapis.com",
    "cloudresourcemanager.googleapis.com",
    "iam.googleapis.com",
    "oauth2.googleapis.com",
    "compute.googleapis.com",
    "accesscontextmanager.googleapis.com",
    "notebooks.googleapis.com",  # Vertex AI Workbench (Notebooks API v2)
)


@contextmanager
def mounted(fake: FakeGcs) -> Iterator[Any]:
    """Route the public Storage, Resource Manager and token endpoints to ``fake``, with no socket."""
    hosts = "|".join(re.escape(h) for h in GOOGLE_HOSTS)
    with mount(fake, re.compile(r"https://(" + hosts + r"|([a-z0-9-]+-)?aiplatform\.googleapis\.com)/.*")) as rsps:
        yield rsps


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
