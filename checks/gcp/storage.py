"""Cloud Storage checks: public exposure, uniform access, CMEK, versioning, retention lock and
usage logging of buckets.

CIS ids: ``cis-gcp-5.0`` (section 5). Google's generative-AI security best practices:
``gcp-genai`` (``GCS-CO-*``).
"""

from __future__ import annotations

from cspm.models import Baseline, Result, Severity, failed, not_applicable, passed, unknown
from cspm.registry import check
from cspm.resources.gcp.storage import PUBLIC_MEMBERS, AclEntry, GcsBucket

# Vendor documentation the rationales rest on (docs/check-audit.md, section gcp.storage).
_DOCS = "https://cloud.google.com/storage/docs"
PUBLIC_ACCESS_PREVENTION = f"{_DOCS}/public-access-prevention"
USING_PUBLIC_ACCESS_PREVENTION = f"{_DOCS}/using-public-access-prevention"
ORG_POLICY_CONSTRAINTS = f"{_DOCS}/org-policy-constraints"
UNIFORM_ACCESS = "https://docs.cloud.google.com/storage/docs/using-uniform-bucket-level-access"
BUCKET_ENCRYPTION_API = "https://googleapis.dev/dotnet/Google.Apis.Storage.v1/latest/api/Google.Apis.Storage.v1.Data.Bucket.EncryptionData.html"
OBJECT_VERSIONING = "https://docs.cloud.google.com/storage/docs/object-versioning"
SOFT_DELETE = f"{_DOCS}/soft-delete"
BUCKET_LOCK = f"{_DOCS}/bucket-lock"
BUCKET_LOCK_EXCLUSIVE = f"{_DOCS}/bucket-lock?hl=zh_cn"  # states the versioning exclusivity in the copy read
LOCK_RETENTION_POLICY = f"{_DOCS}/json_api/v1/buckets/lockRetentionPolicy"
USAGE_LOGS = "https://docs.cloud.google.com/storage/docs/access-logs"
AUDIT_LOGS = "https://docs.cloud.google.com/storage/docs/audit-logging"


@check(
    title="Cloud Storage bucket is not anonymously or publicly accessible",
    severity=Severity.CRITICAL,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Remove allUsers and allAuthenticatedUsers from the bucket's IAM policy and ACLs, "
    "then enforce public access prevention.",
    compliance={"cis-gcp-5.0": ["5.1"], "gcp-genai": ["GCS-CO-4.1"], "nist-800-53-r5": ["AC-3", "AC-21", "SC-7"]},
    attack=["AML.T0010.002", "AML.T0035"],
    references=(PUBLIC_ACCESS_PREVENTION, USING_PUBLIC_ACCESS_PREVENTION),
)
def bucket_is_not_public(bucket: GcsBucket) -> Result:
    """An IAM binding or ACL entry for allUsers (anyone on the internet) or allAuthenticatedUsers
    (any Google account) grants its role to them: read, or with a write role replace, training
    data and model artifacts. With public access prevention enforced on the bucket, such grants
    "remain in place but are overridden" and requests authorized by them fail. With uniform
    bucket-level access the ACLs no longer apply and are not read."""
    if bucket.public_access_prevention == "enforced":
        return passed("Public access prevention is enforced; public grants have no effect.")
    if bucket.iam_bindings is None:
        return unknown("The bucket's IAM policy could not be read.")
    exposure: dict[str, object] = {}
    iam = [f"{m}:{b.role}" for b in bucket.iam_bindings for m in b.members if m in PUBLIC_MEMBERS]
    if iam:
        exposure["iam"] = iam
    if not bucket.uniform_access:
        acl = _public_acl(bucket.acl, bucket.default_object_acl)
        if acl is None:
            return unknown("The bucket's ACLs could not be read.")
        if acl:
            exposure["acl"] = acl
    if exposure:
        return failed(f"Public grants in the bucket's {' and '.join(sorted(exposure))}.", evidence=exposure)
    return passed("No IAM binding or ACL grants access to allUsers or allAuthenticatedUsers.")


def _public_acl(acl: tuple[AclEntry, ...] | None, default_acl: tuple[AclEntry, ...] | None) -> list[str] | None:
    if acl is None or default_acl is None:
        return None
    bucket_grants = [f"{e.entity}:{e.role}" for e in acl if e.entity in PUBLIC_MEMBERS]
    object_grants = [f"default-object {e.entity}:{e.role}" for e in default_acl if e.entity in PUBLIC_MEMBERS]
    return bucket_grants + object_grants


@check(
    title="Cloud Storage bucket uses uniform bucket-level access",
    severity=Severity.MEDIUM,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Enable uniform bucket-level access "
    "(gcloud storage buckets update gs://BUCKET --uniform-bucket-level-access).",
    compliance={"cis-gcp-5.0": ["5.2"], "gcp-genai": ["GCS-CO-4.2"], "nist-800-53-r5": ["AC-3", "AC-6"]},
    attack=["AML.T0010.002"],
    references=(UNIFORM_ACCESS,),
)
def bucket_uniform_access_enabled(bucket: GcsBucket) -> Result:
    """With uniform bucket-level access, "only bucket-level Identity and Access Management (IAM)
    roles grant access to the bucket and its objects, and individual object Access Control Lists
    (ACLs) no longer apply": one permission system to review instead of IAM plus an ACL on every
    object. Not set means off (fine-grained access)."""
    if bucket.uniform_access:
        return passed("Uniform bucket-level access is enabled.")
    return failed("Uniform bucket-level access is disabled; object and bucket ACLs apply.")


@check(
    title="Cloud Storage bucket enforces public access prevention",
    severity=Severity.INFORMATIONAL,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Set public access prevention to enforced on the bucket, or enforce the "
    "constraints/storage.publicAccessPrevention organization policy.",
    compliance={"gcp-genai": ["GCS-CO-4.1"], "nist-800-53-r5": ["AC-3", "SC-7"]},
    attack=["AML.T0010.002", "AML.T0035"],
    references=(PUBLIC_ACCESS_PREVENTION, ORG_POLICY_CONSTRAINTS),
)
def bucket_enforces_public_access_prevention(bucket: GcsBucket) -> Result:
    """Enforced public access prevention means no one can make the bucket's data public through
    IAM policies or ACLs. Google recommends enforcing it "at the highest possible level of your
    organization" with the storage.publicAccessPrevention constraint; a bucket that inherits it
    from there reads 'inherited', exactly like one no policy protects, and this bucket-level scan
    does not read organization policies. Informational: it reports buckets not enforcing it
    themselves, without scoring them; bucket_is_not_public judges actual public grants."""
    if bucket.public_access_prevention == "enforced":
        return passed("Public access prevention is enforced on the bucket.")
    return failed(
        f"Public access prevention is {bucket.public_access_prevention} on the bucket.",
        evidence={"public_access_prevention": bucket.public_access_prevention},
    )


@check(
    title="Cloud Storage bucket is encrypted with a customer-managed key",
    severity=Severity.MEDIUM,
    baseline=Baseline.ENCRYPTION,
    remediation="Set a default Cloud KMS key on the bucket "
    "(gcloud storage buckets update gs://BUCKET --default-encryption-key=KEY).",
    compliance={"nist-800-53-r5": ["SC-12", "SC-28"]},
    attack=["AML.T0035"],
    references=(BUCKET_ENCRYPTION_API,),
)
def bucket_encrypted_with_cmek(bucket: GcsBucket) -> Result:
    """A bucket's default Cloud KMS key "will be used to encrypt objects inserted into this bucket,
    if no encryption method is specified", so new datasets and artifacts are encrypted with a key
    you manage in Cloud KMS. It does not re-encrypt existing objects or override an encryption a
    writer specifies. Not set means Google-managed encryption."""
    if bucket.default_kms_key:
        return passed(
            "New objects are encrypted with a customer-managed key.", evidence={"kms_key": bucket.default_kms_key}
        )
    return failed("No default customer-managed key; objects use Google-managed keys.")


@check(
    title="Cloud Storage bucket has object versioning enabled",
    severity=Severity.LOW,
    baseline=Baseline.INTEGRITY,
    remediation="Enable object versioning (gcloud storage buckets update gs://BUCKET --versioning).",
    compliance={"gcp-genai": ["GCS-CO-6.7"], "nist-800-53-r5": ["CP-9", "SI-12"]},
    attack=["AML.T0020", "AML.T0018"],
    references=(OBJECT_VERSIONING, SOFT_DELETE, BUCKET_LOCK_EXCLUSIVE),
)
def bucket_versioning_enabled(bucket: GcsBucket) -> Result:
    """With Object Versioning a replaced or deleted object stays as a noncurrent version until
    explicitly removed, so a poisoned dataset or tampered model can be compared with, and restored
    to, the original. Soft delete, on by default for 7 days, also keeps deleted and overwritten
    objects; Google recommends it over versioning against accidental or malicious deletion, hence
    low. A bucket retention policy and versioning are mutually exclusive, and a retention policy
    keeps objects from being replaced or deleted: this check does not apply to such buckets."""
    if bucket.retention_period_seconds is not None:
        return not_applicable("The bucket has a retention policy, which excludes Object Versioning.")
    if bucket.versioning_enabled:
        return passed("Object versioning is enabled.")
    return failed("Object versioning is disabled.")


@check(
    title="Cloud Storage bucket has a locked retention policy",
    severity=Severity.LOW,
    baseline=Baseline.INTEGRITY,
    remediation="Set a retention policy and lock it (Bucket Lock) on buckets holding datasets and models of record.",
    compliance={"gcp-genai": ["GCS-CO-6.1"], "nist-800-53-r5": ["AU-9", "SI-7"]},
    attack=["AML.T0020", "AML.T0018"],
    references=(BUCKET_LOCK, LOCK_RETENTION_POLICY),
)
def bucket_retention_policy_locked(bucket: GcsBucket) -> Result:
    """Under a bucket retention policy objects "can only be deleted or replaced once their age is
    greater than the retention period"; locking it (Bucket Lock, irreversible) means the policy
    can no longer be removed or its period reduced. An unlocked policy protects objects only until
    someone removes it."""
    if bucket.retention_period_seconds is None:
        return failed("The bucket has no retention policy.")
    evidence = {"retention_period_seconds": bucket.retention_period_seconds}
    if not bucket.retention_locked:
        return failed("The retention policy is not locked and can be removed.", evidence=evidence)
    return passed(
        f"A locked retention policy keeps objects for {bucket.retention_period_seconds} s.", evidence=evidence
    )


@check(
    title="Cloud Storage bucket has usage logging enabled",
    severity=Severity.INFORMATIONAL,
    baseline=Baseline.LOGGING,
    remediation="Enable usage and storage logs to a separate, restricted log bucket "
    "(gcloud storage buckets update gs://BUCKET --log-bucket=gs://LOG_BUCKET).",
    compliance={"gcp-genai": ["GCS-CO-6.3"], "nist-800-53-r5": ["AU-2", "AU-12"]},
    attack=["AML.T0035"],
    references=(USAGE_LOGS, AUDIT_LOGS),
)
def bucket_access_logging_enabled(bucket: GcsBucket) -> Result:
    """Usage logs record the requests made on the bucket, hourly, as CSV objects in a log bucket;
    their "timeliness and completeness ... is not guaranteed". Google recommends Cloud Audit Logs
    (Data Access audit logs, which this bucket-level scan does not read) "in
    most cases" for tracking who accessed the data. Informational: reported, not scored; a bucket
    without usage logs may be fully covered by audit logs."""
    if bucket.log_bucket:
        return passed(f"Usage logs go to {bucket.log_bucket}.", evidence={"log_bucket": bucket.log_bucket})
    return failed("Usage logging is off.")
