"""S3 snapshots: buckets and the account-level settings."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from cspm.resources.base import Resource, Scope, Snapshot

PUBLIC_ACCESS_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


class PublicAccessBlock(Snapshot):
    """The four Block Public Access settings. Absent configuration = all four off."""

    block_public_acls: bool = False
    ignore_public_acls: bool = False
    block_public_policy: bool = False
    restrict_public_buckets: bool = False

    @classmethod
    def from_api(cls, raw: dict[str, Any]) -> PublicAccessBlock:
        return cls(
            block_public_acls=bool(raw.get("BlockPublicAcls")),
            ignore_public_acls=bool(raw.get("IgnorePublicAcls")),
            block_public_policy=bool(raw.get("BlockPublicPolicy")),
            restrict_public_buckets=bool(raw.get("RestrictPublicBuckets")),
        )

    def __or__(self, other: PublicAccessBlock) -> PublicAccessBlock:
        """The effective settings when both the bucket and the account settings apply."""
        return PublicAccessBlock(
            block_public_acls=self.block_public_acls or other.block_public_acls,
            ignore_public_acls=self.ignore_public_acls or other.ignore_public_acls,
            block_public_policy=self.block_public_policy or other.block_public_policy,
            restrict_public_buckets=self.restrict_public_buckets or other.restrict_public_buckets,
        )

    @property
    def disabled(self) -> list[str]:
        values = (
            self.block_public_acls,
            self.ignore_public_acls,
            self.block_public_policy,
            self.restrict_public_buckets,
        )
        return [name for name, on in zip(PUBLIC_ACCESS_FLAGS, values, strict=True) if not on]

    @property
    def all_enabled(self) -> bool:
        return not self.disabled


class Encryption(Snapshot):
    """Default encryption. Every bucket has one since January 2023 (SSE-S3 unless set otherwise):
    the collector reads a missing configuration as ``AES256``. ``algorithm`` None: a rule without
    a default algorithm."""

    algorithm: Literal["AES256", "aws:kms", "aws:kms:dsse"] | None = None
    kms_key_id: str | None = None
    bucket_key_enabled: bool = False

    @property
    def uses_kms(self) -> bool:
        return self.algorithm in ("aws:kms", "aws:kms:dsse")


class Versioning(Snapshot):
    status: Literal["Enabled", "Suspended", "Disabled"] = "Disabled"  # never enabled = Disabled
    mfa_delete: bool = False


class Grant(Snapshot):
    grantee_type: str  # CanonicalUser | Group | AmazonCustomerByEmail
    grantee: str  # canonical id, group URI or e-mail
    permission: str  # READ | WRITE | READ_ACP | WRITE_ACP | FULL_CONTROL


class Logging(Snapshot):
    enabled: bool
    target_bucket: str | None = None
    target_prefix: str | None = None


class S3Bucket(Resource):
    """One bucket. Every optional field is None when the API call that reads it failed."""

    resource_type: ClassVar[str] = "aws.s3.bucket"

    encryption: Encryption | None = None
    versioning: Versioning | None = None
    public_access_block: PublicAccessBlock | None = None
    # The bucket policy as a parsed JSON document; ``{}`` means the bucket has no policy.
    policy: dict[str, Any] | None = None
    # GetBucketPolicyStatus; False when there is no policy; None when unread, or not asked because
    # RestrictPublicBuckets (bucket or account) is on and no verdict then depends on it
    policy_is_public: bool | None = None
    acl_grants: tuple[Grant, ...] | None = None  # () when ACLs are disabled (BucketOwnerEnforced)
    owner_id: str | None = None
    object_ownership: str | None = None  # BucketOwnerEnforced | BucketPreferred | ObjectWriter
    logging: Logging | None = None
    # GetBucketLifecycleConfiguration found rules (MFA delete cannot be used with them). None:
    # unreadable, or not read because MFA delete is already enabled.
    has_lifecycle_configuration: bool | None = None
    policy_error: str | None = Field(default=None, description="why the policy could not be parsed")


class S3AccountSettings(Resource):
    """Account-level S3 settings (s3control)."""

    resource_type: ClassVar[str] = "aws.s3.account"
    scope: ClassVar[Scope] = Scope.ACCOUNT

    public_access_block: PublicAccessBlock | None = None
