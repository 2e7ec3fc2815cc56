"""Cloud Storage: buckets, with their IAM policy and legacy ACLs.

Requests per project: buckets.list (one per page; the bucket resources carry every setting).
Per bucket: buckets.getIamPolicy, plus bucketAccessControls.list and
defaultObjectAccessControls.list only when uniform bucket-level access is off (with it on,
ACLs are disabled and those calls answer 400). So 1 to 3 per bucket.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cspm.providers.base import ABSENT, ServiceSpec
from cspm.providers.gcp.context import GcpContext
from cspm.resources.gcp.storage import AclEntry, GcsBucket, IamBinding

PERMISSIONS = (
    "storage.buckets.list",
    "storage.buckets.get",
    "storage.buckets.getIamPolicy",  # also what reading a bucket's ACLs requires
    "resourcemanager.projects.get",  # projects.search, when no --project is given
)


def collect(ctx: GcpContext) -> Iterator[GcsBucket]:
    client = ctx.storage()
    buckets = ctx.list_items(
        client.list_buckets,
        operation="buckets.list",
        affects=(GcsBucket,),
        project=ctx.project,
        **ctx.options,
    )
    if buckets is None:
        return
    yield from ctx.map(lambda bucket: _bucket(ctx, bucket), buckets)


def _bucket(ctx: GcpContext, bucket: Any) -> GcsBucket:
    policy = ctx.call(
        bucket.get_iam_policy, operation="buckets.getIamPolicy", requested_policy_version=3, **ctx.options
    )
    bindings = None if policy is None or policy is ABSENT else tuple(_binding(b) for b in policy.bindings)
    if bucket.iam_configuration.uniform_bucket_level_access_enabled:
        acl: tuple[AclEntry, ...] | None = ()
        default_acl: tuple[AclEntry, ...] | None = ()
    else:
        acl = _acl(ctx, bucket.acl, "bucketAccessControls.list")
        default_acl = _acl(ctx, bucket.default_object_acl, "defaultObjectAccessControls.list")
    return bucket_from_api(bucket, ctx.project, bindings, acl, default_acl, location=ctx.saw_location(bucket.location))


def _acl(ctx: GcpContext, acl: Any, operation: str) -> tuple[AclEntry, ...] | None:
    ctx.call(acl.reload, operation=operation, **ctx.options)
    # reload() returns None on success; a failure was recorded and left the ACL unloaded.
    if not acl.loaded:
        return None
    return tuple(AclEntry(entity=entry["entity"], role=entry["role"]) for entry in acl)


def _binding(raw: dict[str, Any]) -> IamBinding:
    condition = raw.get("condition") or {}
    return IamBinding(
        role=raw.get("role", ""),
        members=tuple(sorted(raw.get("members") or ())),
        condition=condition.get("expression"),
    )


# ---------------------------------------------------------------------------------------------
# SDK object -> snapshot (pure)
# ---------------------------------------------------------------------------------------------


def bucket_uid(name: str) -> str:
    return f"//storage.googleapis.com/projects/_/buckets/{name}"


def bucket_from_api(
    bucket: Any,
    project: str,
    bindings: tuple[IamBinding, ...] | None,
    acl: tuple[AclEntry, ...] | None,
    default_acl: tuple[AclEntry, ...] | None,
    *,
    location: str,
) -> GcsBucket:
    iam = bucket.iam_configuration
    logging = bucket.get_logging() or {}
    return GcsBucket(
        uid=bucket_uid(bucket.name),
        name=bucket.name,
        account=project,
        region=location,
        tags=dict(bucket.labels or {}),
        location_type=bucket.location_type,
        uniform_access=bool(iam.uniform_bucket_level_access_enabled),
        public_access_prevention=iam.get("publicAccessPrevention") or "inherited",
        default_kms_key=bucket.default_kms_key_name,
        versioning_enabled=bool(bucket.versioning_enabled),
        retention_period_seconds=bucket.retention_period,
        retention_locked=bool(bucket.retention_policy_locked),
        log_bucket=logging.get("logBucket"),
        iam_bindings=bindings,
        acl=acl,
        default_object_acl=default_acl,
    )


SERVICE = ServiceSpec(
    name="storage",
    produces=(GcsBucket,),
    regional=False,
    permissions=PERMISSIONS,
    collect=collect,
)
