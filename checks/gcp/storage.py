"""Cloud Storage checks: public exposure, uniform access, CMEK, versioning, retention lock and
usage logging of buckets.

CIS ids: ``cis-gcp-5.0`` (section 5). Google's generative-AI security best practices:
``gcp-genai`` (``GCS-CO-*``).
"""

from __future__ import annotations

from cspm.models import Baseline, Result, Severity, failed, passed, unknown
from cspm.registry import check
from cspm.resources.gcp.storage import PUBLIC_MEMBERS, AclEntry, GcsBucket


@check(
    title="Cloud Storage bucket is not anonymously or publicly accessible",
    severity=Severity.CRITICAL,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Remove allUsers and allAuthenticatedUsers from the bucket's IAM policy and ACLs, "
    "then enforce public access prevention.",
    compliance={"cis-gcp-5.0": ["5.1"], "gcp-genai": ["GCS-CO-4.1"], "nist-800-53-r5": ["AC-3", "AC-21", "SC-7"]},
    attack=["AML.T0010.002", "AML.T0035"],
)
def bucket_is_not_public(bucket: GcsBucket) -> Result:
    """A binding or ACL for allUsers or allAuthenticatedUsers lets anyone on the internet (or any
    Google account) read, or even replace, training data and model artifacts. Enforced public
    access prevention makes such grants ineffective."""
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
)
def bucket_uniform_access_enabled(bucket: GcsBucket) -> Result:
    """With uniform access, IAM alone decides who reads the bucket; per-object ACLs, which no
    one reviews, stop granting access."""
    if bucket.uniform_access:
        return passed("Uniform bucket-level access is enabled.")
    return failed("Uniform bucket-level access is disabled; object and bucket ACLs apply.")


@check(
    title="Cloud Storage bucket enforces public access prevention",
    severity=Severity.HIGH,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Set public access prevention to enforced on the bucket, or enforce the "
    "constraints/storage.publicAccessPrevention organization policy.",
    compliance={"gcp-genai": ["GCS-CO-4.1"], "nist-800-53-r5": ["AC-3", "SC-7"]},
    attack=["AML.T0010.002", "AML.T0035"],
)
def bucket_enforces_public_access_prevention(bucket: GcsBucket) -> Result:
    """Public access prevention stops any future IAM or ACL change from making the bucket public.
    'inherited' defers to an organization policy this bucket-level check cannot see."""
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
)
def bucket_encrypted_with_cmek(bucket: GcsBucket) -> Result:
    """A customer-managed key puts every read of the data behind a key you control, audit and
    can revoke."""
    if bucket.default_kms_key:
        return passed(
            "New objects are encrypted with a customer-managed key.", evidence={"kms_key": bucket.default_kms_key}
        )
    return failed("No default customer-managed key; objects use Google-managed keys.")


@check(
    title="Cloud Storage bucket has object versioning enabled",
    severity=Severity.MEDIUM,
    baseline=Baseline.INTEGRITY,
    remediation="Enable object versioning (gcloud storage buckets update gs://BUCKET --versioning).",
    compliance={"gcp-genai": ["GCS-CO-6.7"], "nist-800-53-r5": ["CP-9", "SI-12"]},
    attack=["AML.T0020", "AML.T0018"],
)
def bucket_versioning_enabled(bucket: GcsBucket) -> Result:
    """Without versioning a poisoned dataset or tampered model silently replaces the original,
    leaving nothing to compare against or restore."""
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
)
def bucket_retention_policy_locked(bucket: GcsBucket) -> Result:
    """A locked retention policy (Bucket Lock) makes objects undeletable and unmodifiable for
    the retention period, even by project owners."""
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
    severity=Severity.MEDIUM,
    baseline=Baseline.LOGGING,
    remediation="Enable usage and storage logs to a separate, restricted log bucket "
    "(gcloud storage buckets update gs://BUCKET --log-bucket=gs://LOG_BUCKET).",
    compliance={"gcp-genai": ["GCS-CO-6.3"], "nist-800-53-r5": ["AU-2", "AU-12"]},
    attack=["AML.T0035"],
)
def bucket_access_logging_enabled(bucket: GcsBucket) -> Result:
    """Usage logs record who read the training data or downloaded a model artifact, and when."""
    if bucket.log_bucket:
        return passed(f"Usage logs go to {bucket.log_bucket}.", evidence={"log_bucket": bucket.log_bucket})
    return failed("Usage logging is off.")
