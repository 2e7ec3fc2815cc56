"""S3 checks: public exposure, encryption, integrity and access logging of buckets."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from cspm.checks.aws._docs import security_hub_for
from cspm.checks.aws._org import with_rcps
from cspm.iam.actions import all_actions
from cspm.iam.conditions import ContextValue, evaluate_conditions
from cspm.iam.exposure import outside_grants
from cspm.iam.organization import PUBLIC_CALLERS, Request, account_callers, org_callers
from cspm.iam.policy import PolicyError, Statement, parse_policy
from cspm.iam.principals import is_public_principal
from cspm.iam.statements import Match, covers_some_resource_under, statement_matches_action, statement_resource_match
from cspm.models import Baseline, Result, Severity, failed, not_applicable, passed, unknown
from cspm.registry import check
from cspm.resources.aws.organizations import OrgPolicies
from cspm.resources.aws.s3 import S3AccountSettings, S3Bucket

# Requests over plain HTTP carry aws:SecureTransport=false; a TLS-only policy denies them.
PLAINTEXT_REQUEST = {"aws:SecureTransport": "false"}
DATA_ACTIONS = ("s3:GetObject", "s3:PutObject")

_S3 = "https://docs.aws.amazon.com/AmazonS3/latest/userguide"
BLOCK_PUBLIC_ACCESS = f"{_S3}/access-control-block-public-access.html"
BLOCK_PUBLIC_ACCESS_BUCKET = f"{_S3}/configuring-block-public-access-bucket.html"
OBJECT_OWNERSHIP = f"{_S3}/about-object-ownership.html"
SSE_S3_DEFAULT = f"{_S3}/UsingServerSideEncryption.html"
SSE_KMS = f"{_S3}/UsingKMSEncryption.html"
MFA_DELETE = f"{_S3}/MultiFactorAuthenticationDelete.html"
GET_BUCKET_VERSIONING = "https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketVersioning.html"


_sh = security_hub_for("s3")


PUBLIC_GROUPS = {
    "http://acs.amazonaws.com/groups/global/AllUsers": "AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers": "AuthenticatedUsers",
}


@check(
    title="S3 bucket blocks public access",
    severity=Severity.HIGH,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Turn on all four Block Public Access settings on the bucket (or on the account).",
    compliance={"aws-fsbp": ["S3.8"], "cis-aws-5.0": ["2.1.4"], "nist-800-53-r5": ["AC-3", "SC-7"]},
    attack=["AML.T0010.002"],
    references=(_sh(8), BLOCK_PUBLIC_ACCESS, BLOCK_PUBLIC_ACCESS_BUCKET),
)
def bucket_blocks_public_access(bucket: S3Bucket, account: S3AccountSettings) -> Result:
    """Block Public Access settings override the ACLs and policies that grant public access, so
    that a later ACL or policy edit cannot make the bucket's objects public. S3 applies the most
    restrictive combination of the bucket and account settings, and so does this check: a bucket
    covered by the account settings passes here, while Security Hub S3.8 reads the bucket-level
    settings alone and fails it. An absent bucket configuration is all four settings off; buckets
    created since April 2023 have all four on."""
    if bucket.public_access_block is None or account.public_access_block is None:
        return unknown("Block Public Access settings could not be read.")
    effective = bucket.public_access_block | account.public_access_block
    if effective.all_enabled:
        return passed("All four Block Public Access settings are on (bucket and account combined).")
    return failed(f"Off: {', '.join(effective.disabled)}.", evidence={"disabled": effective.disabled})


@check(
    title="Account-level S3 Block Public Access is on",
    severity=Severity.MEDIUM,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Turn on all four Block Public Access settings for the account "
    "(S3 console, Block Public Access settings for this account).",
    compliance={"aws-fsbp": ["S3.1"], "cis-aws-5.0": ["2.1.4"]},
    attack=["AML.T0010.002"],
    references=(_sh(1), BLOCK_PUBLIC_ACCESS),
)
def account_blocks_public_access(account: S3AccountSettings) -> Result:
    """The account-level settings apply to every current and future bucket of the account. AWS
    recommends BlockPublicPolicy at the account level: whoever may change a bucket policy may also
    turn off the bucket's own setting, but not the account's. An absent account configuration is
    all four settings off."""
    if account.public_access_block is None:
        return unknown("The account-level Block Public Access settings could not be read.")
    if account.public_access_block.all_enabled:
        return passed("All four account-level Block Public Access settings are on.")
    disabled = account.public_access_block.disabled
    return failed(f"Off at account level: {', '.join(disabled)}.", evidence={"disabled": disabled})


@check(
    title="S3 bucket is not public through its policy or ACL",
    severity=Severity.CRITICAL,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Remove public grants from the bucket ACL and public principals from the bucket policy, "
    "then turn on Block Public Access.",
    compliance={"aws-fsbp": ["S3.2", "S3.3"], "nist-800-53-r5": ["AC-3", "AC-21", "SC-7"]},
    attack=["AML.T0010.002", "AML.T0035"],
    references=(_sh(2), _sh(3), BLOCK_PUBLIC_ACCESS),
)
def bucket_is_not_public(
    bucket: S3Bucket, account: S3AccountSettings, organization: Sequence[OrgPolicies] = ()
) -> Result:
    """An ACL is public when it grants anything to AllUsers or AuthenticatedUsers; a policy is
    public unless it grants access only to fixed principals, networks or sources (S3 evaluates
    this; GetBucketPolicyStatus reports it). RestrictPublicBuckets (bucket or account) limits a
    public policy to the account and AWS services, IgnorePublicAcls makes S3 ignore public ACLs.
    Security Hub splits read (S3.2) and write (S3.3); any public grant fails this check. A resource
    control policy that denies every S3 request from outside the organization (anonymous ones
    included) to the bucket makes it pass, naming the RCP (docs/iam-analysis.md)."""
    return with_rcps(
        _public_verdict(bucket, account), organization, lambda: _outside_s3_requests(bucket.uid, PUBLIC_CALLERS)
    )


def _outside_s3_requests(bucket_arn: str, callers: tuple[dict[str, ContextValue], ...]) -> list[Request]:
    """Every S3 action, on the bucket and on its objects: an RCP cuts public access only if it denies all."""
    return [(a, arn, callers) for a in _s3_actions() for arn in (bucket_arn, f"{bucket_arn}/*")]


@functools.cache
def _s3_actions() -> tuple[str, ...]:
    """Every S3 action of the database, sorted (once per process)."""
    return tuple(sorted(a for a in all_actions().actions if a.startswith("s3:")))


def _public_verdict(bucket: S3Bucket, account: S3AccountSettings) -> Result:
    if bucket.public_access_block is None or account.public_access_block is None:
        return unknown("Block Public Access settings could not be read.")
    effective = bucket.public_access_block | account.public_access_block
    exposure: dict[str, object] = {}
    if not effective.ignore_public_acls:
        grants = _public_grants(bucket)
        if grants is None:
            return unknown("The bucket ACL could not be read.")
        if grants:
            exposure["public_acl_grants"] = grants
    if not effective.restrict_public_buckets:
        if bucket.policy_is_public is None:
            return unknown("The bucket policy status could not be read.")
        if bucket.policy_is_public:
            exposure["public_policy"] = True
    if exposure:
        how = " and ".join(
            w for k, w in (("public_policy", "its policy"), ("public_acl_grants", "its ACL")) if k in exposure
        )
        return failed(f"The bucket is public through {how}.", evidence=exposure)
    return passed("Neither the bucket policy nor its ACL makes it public (Block Public Access considered).")


def _public_grants(bucket: S3Bucket) -> list[dict[str, str]] | None:
    if bucket.acl_grants is None:
        return None
    return [
        {"grantee": PUBLIC_GROUPS[g.grantee], "permission": g.permission}
        for g in bucket.acl_grants
        if g.grantee in PUBLIC_GROUPS
    ]


@check(
    title="S3 bucket has ACLs disabled",
    severity=Severity.MEDIUM,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Move any access that ACLs grant outside the account into the bucket policy, then set Object "
    "Ownership to 'Bucket owner enforced' so that access is governed by policies only.",
    compliance={"aws-fsbp": ["S3.12"]},
    references=(_sh(12), OBJECT_OWNERSHIP),
)
def bucket_disables_acls(bucket: S3Bucket) -> Result:
    """ACLs are the legacy access mechanism that predates IAM. With ACLs enabled (ObjectWriter,
    BucketOwnerPreferred) an object uploaded by another account can belong to that account, and
    its ACL, not the bucket policy, governs it. With BucketOwnerEnforced, the default for buckets
    created since April 2023, ACLs no longer affect access and the bucket owner owns every object.
    A bucket without ownership controls behaves as ObjectWriter."""
    if bucket.object_ownership is None:
        return unknown("The bucket's ownership controls could not be read.")
    if bucket.object_ownership == "BucketOwnerEnforced":
        return passed("ACLs are disabled (BucketOwnerEnforced).")
    return failed(
        f"ACLs are enabled (Object Ownership {bucket.object_ownership}).",
        evidence={"object_ownership": bucket.object_ownership},
    )


@check(
    title="S3 bucket is encrypted by default with a KMS key",
    severity=Severity.MEDIUM,
    baseline=Baseline.ENCRYPTION,
    remediation="Set default encryption to SSE-KMS (or DSSE-KMS) with a customer-managed key.",
    compliance={"aws-securityhub": ["S3.17"], "nist-800-53-r5": ["SC-12", "SC-28"]},
    attack=["AML.T0035"],
    references=(_sh(17), SSE_KMS, SSE_S3_DEFAULT),
)
def bucket_encrypted_with_kms(bucket: S3Bucket) -> Result:
    """Every bucket encrypts new objects with SSE-S3 unless told otherwise (since January 2023; a
    missing configuration is read as SSE-S3). With SSE-KMS, downloading an object needs
    kms:Decrypt on its key as well as S3 permissions, and a customer managed key lets you define
    its key policy and audit its use. Like Security Hub S3.17 the check accepts any KMS key,
    including the AWS managed aws/s3 key, and reads the default only: objects written before it
    was set keep their encryption."""
    if bucket.encryption is None:
        return unknown("The bucket's default encryption could not be read.")
    if bucket.encryption.uses_kms:
        return passed(
            f"Default encryption is {bucket.encryption.algorithm}.",
            evidence={"algorithm": bucket.encryption.algorithm, "kms_key_id": bucket.encryption.kms_key_id},
        )
    algorithm = bucket.encryption.algorithm or "not configured"
    return failed(f"Default encryption is {algorithm}, not KMS.", evidence={"algorithm": bucket.encryption.algorithm})


@check(
    title="S3 bucket versioning is enabled",
    severity=Severity.MEDIUM,
    baseline=Baseline.INTEGRITY,
    remediation="Enable versioning on the bucket so overwritten or deleted objects can be recovered.",
    compliance={"aws-securityhub": ["S3.14"], "nist-800-53-r5": ["CP-9", "SI-12"]},
    attack=["AML.T0020", "AML.T0018"],
    references=(_sh(14), GET_BUCKET_VERSIONING),
)
def bucket_versioning_enabled(bucket: S3Bucket) -> Result:
    """Versioning preserves earlier versions of an object, so an overwritten or deleted dataset
    or model artifact can be retrieved and restored. A bucket that never had versioning returns no
    status (read as Disabled); Suspended fails as well."""
    if bucket.versioning is None:
        return unknown("The bucket's versioning status could not be read.")
    if bucket.versioning.status == "Enabled":
        return passed("Versioning is enabled.")
    return failed(f"Versioning is {bucket.versioning.status}.", evidence={"status": bucket.versioning.status})


@check(
    title="S3 bucket requires MFA to delete versions",
    severity=Severity.LOW,
    baseline=Baseline.INTEGRITY,
    remediation="Enable versioning and MFA delete as the root user, with the AWS CLI or API (the console "
    "cannot); MFA delete cannot be combined with lifecycle rules.",
    compliance={"aws-securityhub": ["S3.20"], "cis-aws-5.0": ["2.1.2"]},
    attack=["AML.T0018"],
    references=(_sh(20), MFA_DELETE, GET_BUCKET_VERSIONING),
)
def bucket_mfa_delete_enabled(bucket: S3Bucket) -> Result:
    """With MFA delete, permanently deleting an object version or changing the bucket's versioning
    state needs an MFA code as well as credentials: compromised credentials alone cannot destroy
    versions. MFA delete cannot be used with a lifecycle configuration, so a bucket with lifecycle
    rules is not assessed (Security Hub S3.20 produces no finding for it either)."""
    if bucket.versioning is None:
        return unknown("The bucket's versioning configuration could not be read.")
    if bucket.versioning.mfa_delete:
        return passed("MFA delete is enabled.")
    if bucket.versioning.status not in ("Enabled", "Suspended"):
        return failed(
            "Versioning is off, so there is no MFA delete (enable versioning first).",
            evidence={"versioning": bucket.versioning.status},
        )
    if bucket.has_lifecycle_configuration is None:
        return unknown("Whether the bucket has a lifecycle configuration could not be read.")
    if bucket.has_lifecycle_configuration:
        return not_applicable("The bucket has a lifecycle configuration, which MFA delete cannot be used with.")
    return failed("MFA delete is not enabled.", evidence={"versioning": bucket.versioning.status})


@check(
    title="S3 bucket has server access logging enabled",
    severity=Severity.MEDIUM,
    baseline=Baseline.LOGGING,
    remediation="Enable server access logging to a separate, restricted log bucket.",
    compliance={"aws-fsbp": ["S3.9"], "nist-800-53-r5": ["AU-2", "AU-12"]},
    attack=["AML.T0035"],
    references=(_sh(9),),
)
def bucket_access_logging_enabled(bucket: S3Bucket, buckets: Sequence[S3Bucket]) -> Result:
    """Server access logs are detailed records of the requests made to the bucket (who read or
    wrote which object, and when), for security and access audits. A bucket that receives another
    bucket's access logs is not assessed: Security Hub S3.9 says the target bucket does not need
    logging and its findings should be suppressed."""
    sources = sorted(
        b.name for b in buckets if b.name != bucket.name and b.logging and b.logging.target_bucket == bucket.name
    )
    if sources:
        return not_applicable(f"The bucket receives the server access logs of {', '.join(sources)}.")
    if bucket.logging is None:
        return unknown("The bucket's logging configuration could not be read.")
    if bucket.logging.enabled:
        return passed(
            f"Access logs go to {bucket.logging.target_bucket}.",
            evidence={"target_bucket": bucket.logging.target_bucket},
        )
    return failed("Server access logging is off.")


@check(
    title="S3 bucket policy denies requests without TLS",
    severity=Severity.MEDIUM,
    baseline=Baseline.ENCRYPTION,
    remediation='Add a Deny statement for Principal "*", Action "s3:*", the bucket and its objects, '
    "with the condition Bool aws:SecureTransport false.",
    compliance={"aws-fsbp": ["S3.5"], "cis-aws-5.0": ["2.1.1"], "nist-800-53-r5": ["SC-8", "SC-8(1)"]},
    attack=["AML.T0035"],
    references=(_sh(5),),
)
def bucket_requires_tls(bucket: S3Bucket) -> Result:
    """S3 accepts plain HTTP unless the bucket policy denies requests whose
    ``aws:SecureTransport`` is false. The check passes a Deny to every principal that covers at
    least object reads and writes (GetObject, PutObject) on the bucket's objects; Security Hub S3.5
    and its example policy deny ``s3:*`` on the bucket and its objects, so a narrower statement
    that passes here may still fail S3.5."""
    if bucket.policy is None:
        return unknown(bucket.policy_error or "The bucket policy could not be read.")
    if not bucket.policy:
        return failed("The bucket has no policy, so requests over plain HTTP are allowed.")
    try:
        document = parse_policy(bucket.policy)
    except PolicyError as exc:
        return unknown(f"The bucket policy could not be parsed: {exc}", evidence={"path": exc.path})
    objects = f"{bucket.uid}/object"
    enforcing = [s for s in document.statements if _denies_plaintext(s, objects)]
    if enforcing:
        return passed(
            "The bucket policy denies requests without TLS.",
            evidence={"statements": [s.ref.as_dict() for s in enforcing]},
        )
    return failed("No bucket policy statement denies requests without TLS to everyone.")


def _denies_plaintext(statement: Statement, object_arn: str) -> bool:
    return (
        statement.effect == "Deny"
        and is_public_principal(statement.principals)
        and all(statement_matches_action(statement, a) for a in DATA_ACTIONS)
        and statement_resource_match(statement, object_arn) is Match.YES
        and evaluate_conditions(statement.conditions, PLAINTEXT_REQUEST) is True
    )


# S3.6: actions another account must never be allowed on a bucket (bucket ARN, or objects for PutObjectAcl).
FOREIGN_DENIED_BUCKET_ACTIONS = (
    "s3:DeleteBucketPolicy",
    "s3:PutBucketAcl",
    "s3:PutBucketPolicy",
    "s3:PutEncryptionConfiguration",
)
FOREIGN_DENIED_OBJECT_ACTIONS = ("s3:PutObjectAcl",)


@check(
    title="S3 bucket policy does not let other accounts change the bucket's access or encryption",
    severity=Severity.HIGH,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Remove s3:DeleteBucketPolicy, s3:PutBucketAcl, s3:PutBucketPolicy, s3:PutEncryptionConfiguration "
    "and s3:PutObjectAcl (and wildcards that include them) from statements that allow other accounts or everyone.",
    compliance={"aws-fsbp": ["S3.6"], "nist-800-53-r5": ["AC-3", "AC-6", "AC-21"]},
    attack=["AML.T0035", "AML.T0012"],
    references=(_sh(6),),
)
def bucket_policy_restricts_cross_account_access(bucket: S3Bucket, organization: Sequence[OrgPolicies] = ()) -> Result:
    """Another account that may rewrite the bucket policy, its ACLs or its encryption controls who
    reads the training data and model artifacts in it (Security Hub S3.6: access from external
    accounts "could result in data exfiltration by an insider threat or an attacker"). Principals
    of other accounts, organizations and everyone (behind a condition or not) count; the bucket's
    other cross-account grants, and whether an organization condition limits them, are listed as
    evidence."""
    if bucket.policy is None:
        return unknown(bucket.policy_error or "The bucket policy could not be read.")
    if not bucket.policy:
        return passed("The bucket has no policy.")
    try:
        document = parse_policy(bucket.policy)
    except PolicyError as exc:
        return unknown(f"The bucket policy could not be parsed: {exc}", evidence={"path": exc.path})
    grants = outside_grants(document, bucket.account)
    risky = [
        {**g.as_dict(), "denied_actions": found} for g in grants if (found := _foreign_denied(g.statement, bucket.uid))
    ]
    evidence = {"cross_account": [g.as_dict() for g in grants], "denied_to_other_accounts": risky}
    if risky:
        who = ", ".join(dict.fromkeys(r["principal"] for r in risky))
        actions = ", ".join(dict.fromkeys(a for r in risky for a in r["denied_actions"]))
        requests: list[Request] = [
            (action, bucket.uid if action not in FOREIGN_DENIED_OBJECT_ACTIONS else f"{bucket.uid}/*", _callers(r))
            for r in risky
            for action in r["denied_actions"]
        ]
        return with_rcps(
            failed(f"The bucket policy lets {who} use {actions}.", evidence), organization, lambda: requests
        )
    return passed("No other account may change the bucket's policy, ACLs or encryption.", evidence)


def _callers(grant: dict[str, object]) -> tuple[dict[str, ContextValue], ...]:
    """Who makes the requests of an outside grant: a named account's principals, or anyone."""
    if grant["kind"] == "organization":
        return org_callers(str(grant["principal"]))
    account = re.search(r"\b(\d{12})\b", str(grant["principal"])) if grant["kind"] == "account" else None
    return account_callers(account.group(1)) if account else PUBLIC_CALLERS


def _foreign_denied(statement: Statement, bucket_arn: str) -> list[str]:
    """The S3.6 actions a statement allows on the bucket (or its objects)."""
    found = [
        a
        for a in FOREIGN_DENIED_BUCKET_ACTIONS
        if statement_matches_action(statement, a) and statement_resource_match(statement, bucket_arn) is not Match.NO
    ]
    objects = covers_some_resource_under(statement, f"{bucket_arn}/")
    return found + [a for a in FOREIGN_DENIED_OBJECT_ACTIONS if objects and statement_matches_action(statement, a)]
