"""The Cloud Storage collector through google-cloud-storage against the fake JSON API (``responses``)."""

from __future__ import annotations

from cspm.resources.gcp.storage import AclEntry, GcsBucket
from support.aws import one
from support.gcp import (
    PROJECT,
    FakeGcs,
    acl_entry,
    bucket,
    collect_gcp,
    hardened_bucket,
    iam_policy,
)


def test_buckets_snapshot_every_setting_across_pages() -> None:
    fake = FakeGcs(page_size=1)
    fake.add_bucket(hardened_bucket("ml-data"))
    fake.add_bucket(
        bucket("open-models", location="US", uniform=False, public_access_prevention="inherited", versioning=False),
        policy=iam_policy("open-models", ("roles/storage.objectViewer", ["allUsers"])),
        acl=[acl_entry("open-models", "allAuthenticatedUsers", "READER")],
    )
    fake.add_bucket(bucket("legacy-pap", public_access_prevention=None, retention=(3600, False)))

    inventory, provider = collect_gcp(fake, GcsBucket)

    assert not inventory.errors and not fake.violations
    data = one(inventory, GcsBucket, "ml-data")
    assert data.uid == "//storage.googleapis.com/projects/_/buckets/ml-data"
    assert (data.account, data.region, data.location_type) == (PROJECT, "us-central1", "region")
    assert data.tags == {"team": "ml"}
    assert data.uniform_access and data.public_access_prevention == "enforced"
    assert data.default_kms_key == "projects/ml-project/locations/us-central1/keyRings/ml/cryptoKeys/data"
    assert not data.versioning_enabled and data.retention_period_seconds == 86400 and data.retention_locked
    assert data.log_bucket == "ml-usage-logs"
    assert data.iam_bindings is not None and {b.role for b in data.iam_bindings} == {
        "roles/storage.legacyBucketOwner",
        "roles/storage.legacyBucketReader",
    }
    assert data.acl == () and data.default_object_acl == (), "ACLs are disabled under uniform access"

    open_ = one(inventory, GcsBucket, "open-models")
    assert (open_.region, open_.location_type) == ("us", "multi-region")
    assert not open_.uniform_access and open_.public_access_prevention == "inherited"
    assert open_.iam_bindings is not None and any("allUsers" in b.members for b in open_.iam_bindings)
    assert open_.acl == (AclEntry(entity="allAuthenticatedUsers", role="READER"),)
    assert open_.default_object_acl is not None and len(open_.default_object_acl) == 2
    assert open_.default_kms_key is None and not open_.versioning_enabled and open_.log_bucket is None

    legacy = one(inventory, GcsBucket, "legacy-pap")
    assert legacy.public_access_prevention == "inherited", "an omitted setting is the documented default"
    assert legacy.retention_period_seconds == 3600 and not legacy.retention_locked
    assert provider.scopes()[0].regions == ["us", "us-central1"]


def test_requests_per_bucket() -> None:
    """One listing, then the IAM policy; the two ACL reads only where uniform access is off."""
    fake = FakeGcs()
    fake.add_bucket(hardened_bucket("uniform"))
    fake.add_bucket(bucket("fine-grained", uniform=False))
    collect_gcp(fake, GcsBucket)
    paths = sorted(p for _, p in fake.requests)
    assert paths == [
        "/storage/v1/b",
        "/storage/v1/b/fine-grained/acl",
        "/storage/v1/b/fine-grained/defaultObjectAcl",
        "/storage/v1/b/fine-grained/iam",
        "/storage/v1/b/uniform/iam",
    ]


def test_denied_iam_policy_and_acl_are_none_and_recorded() -> None:
    fake = FakeGcs()
    fake.add_bucket(bucket("no-iam"))
    fake.add_bucket(bucket("no-acl", uniform=False))
    fake.denied |= {"iam:no-iam", "acl:no-acl"}
    inventory, _ = collect_gcp(fake, GcsBucket)

    assert one(inventory, GcsBucket, "no-iam").iam_bindings is None
    no_acl = one(inventory, GcsBucket, "no-acl")
    assert no_acl.acl is None and no_acl.default_object_acl is None and no_acl.iam_bindings is not None
    assert sorted((e.operation, e.code) for e in inventory.errors) == [
        ("bucketAccessControls.list", "Forbidden"),
        ("buckets.getIamPolicy", "Forbidden"),
        ("defaultObjectAccessControls.list", "Forbidden"),
    ]
    assert inventory.incomplete_reason(GcsBucket, PROJECT) is None


def test_unreadable_project_is_recorded_and_the_others_are_scanned() -> None:
    fake = FakeGcs()
    fake.add_bucket(hardened_bucket("ml-data"))
    fake.add_bucket(hardened_bucket("secret"), project="other-project")
    fake.denied.add("project:other-project")
    inventory, provider = collect_gcp(fake, GcsBucket, projects=(PROJECT, "other-project"))

    assert [b.name for b in inventory.of_type(GcsBucket)] == ["ml-data"]
    [error] = inventory.errors
    assert (error.account, error.service, error.operation, error.code) == (
        "other-project",
        "storage",
        "buckets.list",
        "Forbidden",
    )
    assert inventory.incomplete_reason(GcsBucket, "other-project") is not None
    assert not inventory.complete
    assert [s.regions for s in provider.scopes()] == [["us-central1"], ["global"]]


def test_a_failing_call_is_not_retried_for_minutes() -> None:
    """A 503 answered once is recorded; the test provider passes no retry, production a 30 s cap."""
    fake = FakeGcs()
    fake.add_bucket(hardened_bucket("ml-data"))
    original = fake.handle

    def unavailable(method: str, url: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, object]]:
        if url.split("?", maxsplit=1)[0].endswith("/iam"):
            return 503, {"error": {"code": 503, "message": "Backend Error", "errors": [{"reason": "backendError"}]}}
        return original(method, url, headers, body)

    fake.handle = unavailable
    inventory, _ = collect_gcp(fake, GcsBucket)
    [error] = inventory.errors
    assert (error.operation, error.code) == ("buckets.getIamPolicy", "ServiceUnavailable")
    assert one(inventory, GcsBucket, "ml-data").iam_bindings is None
