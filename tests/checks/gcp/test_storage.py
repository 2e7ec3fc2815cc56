"""Cloud Storage checks: a table of (case, snapshot, expected status) per check.

Bucket settings come from ``buckets.list``; a project whose buckets could not be listed gives
ERROR through the engine (``test_unlisted_buckets_give_error_for_every_check``). The IAM policy
and ACLs come from further calls and have their own unreadable cases.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from cspm.checks.gcp import storage
from cspm.engine import Inventory, evaluate
from cspm.models import Status
from cspm.registry import load_checks
from cspm.resources.gcp.storage import AclEntry, GcsBucket, IamBinding

OWNERS = IamBinding(role="roles/storage.legacyBucketOwner", members=("projectOwner:ml-project",))
PUBLIC_VIEWER = IamBinding(role="roles/storage.objectViewer", members=("allUsers",))
ANY_GOOGLE_ACCOUNT = IamBinding(
    role="roles/storage.objectViewer", members=("allAuthenticatedUsers", "user:a@example.com")
)
OWNER_ACL = (AclEntry(entity="project-owners-123", role="OWNER"),)
PUBLIC_ACL = (AclEntry(entity="allUsers", role="READER"),)


def bucket(**fields: Any) -> GcsBucket:
    """A hardened, fully readable bucket; override fields per case."""
    base: dict[str, Any] = {
        "uid": "//storage.googleapis.com/projects/_/buckets/ml-data",
        "name": "ml-data",
        "account": "ml-project",
        "region": "us-central1",
        "location_type": "region",
        "uniform_access": True,
        "public_access_prevention": "enforced",
        "default_kms_key": "projects/ml-project/locations/us-central1/keyRings/ml/cryptoKeys/data",
        # A retention policy and Object Versioning are mutually exclusive on a bucket (bucket-lock
        # docs): the hardened bucket has the locked retention policy, so no versioning.
        "versioning_enabled": False,
        "retention_period_seconds": 86400,
        "retention_locked": True,
        "log_bucket": "ml-usage-logs",
        "iam_bindings": (OWNERS,),
        "acl": (),
        "default_object_acl": (),
    }
    base.update(fields)
    return GcsBucket(**base)


OPEN = {"public_access_prevention": "inherited"}
NO_RETENTION = {"retention_period_seconds": None, "retention_locked": False}
LEGACY = {
    "public_access_prevention": "inherited",
    "uniform_access": False,
    "acl": OWNER_ACL,
    "default_object_acl": OWNER_ACL,
}


@pytest.mark.parametrize(
    ("case", "fields", "expected"),
    [
        ("prevention enforced", {}, Status.PASS),
        ("prevention enforced, public binding neutralised", {"iam_bindings": (PUBLIC_VIEWER,)}, Status.PASS),
        ("prevention enforced, IAM unreadable", {"iam_bindings": None}, Status.PASS),
        ("inherited, private", OPEN, Status.PASS),
        ("allUsers binding", {**OPEN, "iam_bindings": (OWNERS, PUBLIC_VIEWER)}, Status.FAIL),
        ("allAuthenticatedUsers binding", {**OPEN, "iam_bindings": (ANY_GOOGLE_ACCOUNT,)}, Status.FAIL),
        ("IAM unreadable", {**OPEN, "iam_bindings": None}, Status.ERROR),
        ("fine-grained, private ACLs", LEGACY, Status.PASS),
        ("public bucket ACL", {**LEGACY, "acl": PUBLIC_ACL}, Status.FAIL),
        ("public default object ACL", {**LEGACY, "default_object_acl": PUBLIC_ACL}, Status.FAIL),
        ("bucket ACL unreadable", {**LEGACY, "acl": None}, Status.ERROR),
        ("default object ACL unreadable", {**LEGACY, "default_object_acl": None}, Status.ERROR),
        ("uniform access ignores unread ACLs", {**OPEN, "acl": None, "default_object_acl": None}, Status.PASS),
    ],
)
def test_bucket_is_not_public(case: str, fields: dict[str, Any], expected: Status) -> None:
    result = storage.bucket_is_not_public(bucket(**fields))
    assert result.status is expected, f"{case}: {result.message}"


def test_public_bucket_evidence_lists_the_grants() -> None:
    result = storage.bucket_is_not_public(bucket(**{**LEGACY, "iam_bindings": (PUBLIC_VIEWER,), "acl": PUBLIC_ACL}))
    assert result.evidence == {"iam": ["allUsers:roles/storage.objectViewer"], "acl": ["allUsers:READER"]}


@pytest.mark.parametrize(
    ("check", "case", "fields", "expected"),
    [
        (storage.bucket_uniform_access_enabled, "on", {}, Status.PASS),
        (storage.bucket_uniform_access_enabled, "off", {"uniform_access": False}, Status.FAIL),
        (storage.bucket_enforces_public_access_prevention, "enforced", {}, Status.PASS),
        (storage.bucket_enforces_public_access_prevention, "inherited", OPEN, Status.FAIL),
        (
            storage.bucket_enforces_public_access_prevention,
            "legacy unspecified",
            {"public_access_prevention": "unspecified"},
            Status.FAIL,
        ),
        (storage.bucket_encrypted_with_cmek, "cmek", {}, Status.PASS),
        (storage.bucket_encrypted_with_cmek, "google-managed", {"default_kms_key": None}, Status.FAIL),
        (storage.bucket_versioning_enabled, "on", {**NO_RETENTION, "versioning_enabled": True}, Status.PASS),
        (storage.bucket_versioning_enabled, "off", NO_RETENTION, Status.FAIL),
        (storage.bucket_versioning_enabled, "retention policy instead: excluded", {}, None),
        (
            storage.bucket_versioning_enabled,
            "unlocked retention policy: still excluded",
            {"retention_locked": False},
            None,
        ),
        (storage.bucket_retention_policy_locked, "locked", {}, Status.PASS),
        (storage.bucket_retention_policy_locked, "unlocked", {"retention_locked": False}, Status.FAIL),
        (
            storage.bucket_retention_policy_locked,
            "no policy",
            {"retention_period_seconds": None, "retention_locked": False},
            Status.FAIL,
        ),
        (storage.bucket_access_logging_enabled, "on", {}, Status.PASS),
        (storage.bucket_access_logging_enabled, "off", {"log_bucket": None}, Status.FAIL),
    ],
)
def test_bucket_setting_checks(check: Any, case: str, fields: dict[str, Any], expected: Status | None) -> None:
    result = check(bucket(**fields))
    assert result.status is expected, f"{case}: {result.message}"


def test_unlisted_buckets_give_error_for_every_check() -> None:
    specs = [s for s in load_checks(["gcp"]) if s.service == "storage"]
    inventory = Inventory()
    inventory.mark_incomplete(GcsBucket, "ml-project", "global", "buckets.list failed: Forbidden")
    findings = evaluate(specs, inventory, datetime(2026, 1, 1, tzinfo=UTC))
    assert {f.check_id for f in findings} == {s.id for s in specs}
    assert {f.status for f in findings} == {Status.ERROR}


@pytest.mark.parametrize(
    ("check_id", "severity"),
    [
        # Google recommends enforcing it at the organization, which a bucket reads as 'inherited'.
        ("gcp.storage.bucket_enforces_public_access_prevention", "informational"),
        # Google recommends Cloud Audit Logs over usage logs "in most cases".
        ("gcp.storage.bucket_access_logging_enabled", "informational"),
        # Google recommends soft delete (on by default) over versioning against deletion.
        ("gcp.storage.bucket_versioning_enabled", "low"),
    ],
)
def test_downgraded_checks(check_id: str, severity: str) -> None:
    spec = next(s for s in load_checks(["gcp"]) if s.id == check_id)
    assert spec.severity.value == severity
