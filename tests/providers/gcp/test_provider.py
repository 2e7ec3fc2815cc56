"""The GCP provider: credentials (bounded in time), projects, the read-only session, the classifier."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from google.api_core import exceptions as api_errors

from cspm.errors import CredentialsError, ScanError
from cspm.providers.gcp import GcpOptions, GcpProvider
from cspm.providers.gcp.context import GcpClients, ReadOnlyViolation, classify
from cspm.providers.gcp.credentials import default_credentials
from support.gcp import PROJECT, FakeGcs, fake_credentials, mounted


def provider(**options: Any) -> GcpProvider:
    return GcpProvider(GcpOptions(credentials=fake_credentials(), retry_deadline=None, **options))


# -- projects -----------------------------------------------------------------------------------


def test_every_active_project_is_listed() -> None:
    fake = FakeGcs(projects=["b-project", "a-project"])
    p = provider()
    with mounted(fake):
        p.connect()
    assert p.projects == ("a-project", "b-project")
    assert fake.requests == [("GET", "/v3/projects:search")]


def test_given_projects_are_not_listed() -> None:
    fake = FakeGcs()
    p = provider(projects=(PROJECT,))
    with mounted(fake):
        p.connect()
    assert p.projects == (PROJECT,) and fake.requests == []


def test_no_visible_project_is_a_scan_error() -> None:
    with mounted(FakeGcs()), pytest.raises(ScanError, match="--project"):
        provider().connect()


def test_a_denied_project_search_is_a_scan_error_without_a_default_project() -> None:
    fake = FakeGcs(denied={"search"})
    with mounted(fake), pytest.raises(ScanError, match="Forbidden"):
        provider().connect()


def test_a_denied_project_search_falls_back_to_the_credentials_project(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("cspm.providers.gcp.default_credentials", lambda: (fake_credentials(), PROJECT))
    p = GcpProvider(GcpOptions(retry_deadline=None))
    with mounted(FakeGcs(denied={"search"})):
        p.connect()
    assert p.projects == (PROJECT,)
    [error] = p.setup_errors
    assert (error.account, error.operation, error.code) == (PROJECT, "projects.search", "Forbidden")


def test_plan_is_one_unit_per_project() -> None:
    from cspm.resources.gcp.storage import GcsBucket

    p = provider(projects=("p1", "p2"))
    with mounted(FakeGcs()):
        p.connect()
    assert sorted((u.account, u.region, u.service) for u in p.plan({GcsBucket})) == [
        ("p1", "global", "storage"),
        ("p2", "global", "storage"),
    ]


# -- credentials --------------------------------------------------------------------------------


def test_no_credentials_is_one_line_naming_the_ways_to_sign_in(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path))
    monkeypatch.setenv("NO_GCE_CHECK", "true")
    monkeypatch.setattr("google.auth.compute_engine._metadata._NO_GCE_CHECK", True)
    with pytest.raises(CredentialsError) as info:
        default_credentials(timeout=5)
    message = str(info.value)
    assert "\n" not in message
    assert "gcloud auth application-default login" in message and "GOOGLE_APPLICATION_CREDENTIALS" in message


def test_credential_discovery_is_bounded_in_time(monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()

    def silent_metadata_server(**_: Any) -> Any:
        release.wait(30)
        raise AssertionError("should have been abandoned")

    monkeypatch.setattr("google.auth.default", silent_metadata_server)
    started = time.monotonic()
    with pytest.raises(CredentialsError, match="did not answer"):
        default_credentials(timeout=0.3)
    release.set()
    assert time.monotonic() - started < 2


def test_rejected_credentials_are_a_credentials_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from google.auth.exceptions import RefreshError

    class Rejected:
        def refresh(self, request: Any) -> None:
            raise RefreshError("invalid_grant: Invalid JWT Signature.")

    monkeypatch.setattr("google.auth.default", lambda **_: (Rejected(), PROJECT))
    with pytest.raises(CredentialsError, match="invalid_grant"):
        default_credentials(timeout=5)


# -- the read-only session ----------------------------------------------------------------------


def test_writes_are_refused_before_they_are_sent() -> None:
    fake = FakeGcs()
    clients = GcpClients(fake_credentials(), retry_deadline=None)
    client = clients.storage(PROJECT)
    with mounted(fake), pytest.raises(ReadOnlyViolation, match="POST"):
        client.create_bucket("new-bucket", retry=None)
    assert fake.requests == [] and fake.violations == []


def test_retries_are_capped() -> None:
    options = GcpClients(fake_credentials()).options()
    assert options["retry"].timeout == 30.0 and options["timeout"] == (5.0, 30.0)
    assert GcpClients(fake_credentials(), retry_deadline=None).options()["retry"] is None


# -- the classifier -----------------------------------------------------------------------------


def test_classifier() -> None:
    assert classify(api_errors.Forbidden("caller does not have storage.buckets.list access\nmore")) == (
        "Forbidden",
        "caller does not have storage.buckets.list access",
    )
    assert classify(api_errors.RetryError("Timeout of 30.0s exceeded", cause=OSError("reset")))[0] == "RetryError"
    assert classify(ReadOnlyViolation("refusing to send POST /b"))[0] == "ReadOnlyViolation"
