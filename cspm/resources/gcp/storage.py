"""Cloud Storage snapshots: buckets, with their IAM policy and (legacy) ACLs.

The bucket settings come from ``buckets.list``, so each is known whenever the bucket is listed;
settings the API omits are "not configured" (documented on each field). The IAM policy and the
ACLs come from further calls and are ``None`` when those calls failed.
"""

from __future__ import annotations

from typing import ClassVar

from cspm.resources.base import Resource, Snapshot

PUBLIC_MEMBERS = frozenset({"allUsers", "allAuthenticatedUsers"})


class IamBinding(Snapshot):
    role: str
    members: tuple[str, ...]
    condition: str | None = None  # the CEL expression of a conditional binding


class AclEntry(Snapshot):
    entity: str  # allUsers | allAuthenticatedUsers | user-EMAIL | group-EMAIL | project-owners-NUMBER | ...
    role: str  # OWNER | WRITER | READER


class GcsBucket(Resource):
    """One bucket. ``uid`` is ``//storage.googleapis.com/projects/_/buckets/NAME``, ``account``
    the project id, ``region`` the lower-cased location (``us``, ``europe-west4``), ``tags`` the labels."""

    resource_type: ClassVar[str] = "gcp.storage.bucket"

    location_type: str | None = None  # region | dual-region | multi-region
    uniform_access: bool  # iamConfiguration.uniformBucketLevelAccess.enabled; not set = false
    public_access_prevention: str  # enforced | inherited (legacy: unspecified); not set = inherited
    default_kms_key: str | None = None  # encryption.defaultKmsKeyName; None = Google-managed keys
    versioning_enabled: bool  # versioning.enabled; not set = false
    retention_period_seconds: int | None = None  # retentionPolicy.retentionPeriod; None = no retention policy
    retention_locked: bool = False  # retentionPolicy.isLocked
    log_bucket: str | None = None  # logging.logBucket; None = usage logging off
    iam_bindings: tuple[IamBinding, ...] | None = None  # None: getIamPolicy failed
    # Bucket and default-object ACLs. () when uniform access is on (ACLs are then disabled);
    # None when they could not be read.
    acl: tuple[AclEntry, ...] | None = None
    default_object_acl: tuple[AclEntry, ...] | None = None
