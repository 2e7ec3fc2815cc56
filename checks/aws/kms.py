"""KMS checks on customer-managed keys: rotation, pending deletion, key policy exposure.

AWS-managed keys (``aws/s3``, ``aws/ecr`` ...) are not assessed: their policy and rotation belong
to AWS. :func:`policy_exposure` and :class:`PolicyExposure` are also used by the ECR checks for
repository policies (who outside the account a resource policy lets in, and whether an
organization condition guards it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cspm.iam import Exposure, PolicyDocument, PolicyError, Statement, parse_policy, resource_policy_exposure
from cspm.iam.principals import is_restricting
from cspm.models import Baseline, Result, Severity, failed, not_applicable, passed, unknown
from cspm.registry import check
from cspm.resources.aws.kms import KmsKey

# Conditions that confine a cross-account grant to principals of the organization.
ORG_GUARD_KEYS = frozenset({"aws:principalorgid", "aws:principalorgpaths"})


@dataclass(frozen=True)
class PolicyExposure:
    """A parsed resource policy and who outside the account it lets in."""

    document: PolicyDocument
    exposure: Exposure

    @property
    def public(self) -> list[dict[str, Any]]:
        return [ref.as_dict() for ref in self.exposure.public]

    def unguarded_cross_account(self) -> list[dict[str, Any]]:
        """Grants to other accounts whose statement has no organization condition."""
        statements = {s.ref: s for s in self.document.statements}
        return [
            {"principal": who, **ref.as_dict()}
            for who, ref in self.exposure.cross_account
            if ref not in statements or not _org_guarded(statements[ref])
        ]

    def guarded_cross_account(self) -> list[str]:
        unguarded = {g["principal"] for g in self.unguarded_cross_account()}
        return sorted({who for who, _ in self.exposure.cross_account} - unguarded)


def _org_guarded(statement: Statement) -> bool:
    return any(is_restricting(c, ORG_GUARD_KEYS) for c in statement.conditions)


def policy_exposure(
    policy: dict[str, Any] | None, policy_error: str | None, account: str, what: str
) -> tuple[PolicyExposure | None, Result | None]:
    """(the exposure, None), or (None, the ERROR result) when the policy is unreadable.
    An empty document (``{}``: no policy) exposes nothing."""
    if policy is None:
        return None, unknown(f"The {what} could not be read ({policy_error or 'unreadable'}).")
    try:
        document = parse_policy(policy) if policy else PolicyDocument(version=None, statements=(), id=None)
    except PolicyError as exc:
        return None, unknown(f"The {what} could not be parsed: {exc}", evidence={"path": exc.path})
    return PolicyExposure(document, resource_policy_exposure(document, account)), None


def _customer_key(key: KmsKey) -> Result | None:
    """ERROR when the key could not be described; not applicable for AWS-managed keys."""
    if key.manager is None:
        return unknown("The key could not be described (DescribeKey failed).")
    if not key.customer_managed:
        return not_applicable(f"The key is managed by {key.manager}.")
    return None


@check(
    title="Customer-managed KMS key has automatic rotation enabled",
    severity=Severity.MEDIUM,
    baseline=Baseline.ENCRYPTION,
    remediation="Enable automatic key rotation on the key (EnableKeyRotation); the rotation period can be "
    "set between 90 and 2560 days.",
    compliance={"cis-aws-5.0": ["3.6"], "nist-800-53-r5": ["SC-12", "SC-28"]},
    references=("AWS Security Hub KMS.4",),
)
def key_rotation_enabled(key: KmsKey) -> Result:
    """Rotation limits how much training data, model artifacts and logs a single exposed key
    version protects, and is the cryptoperiod control auditors ask for. It exists only for
    symmetric keys whose material KMS generated; other keys are not assessed."""
    early = _customer_key(key)
    if early is not None:
        return early
    if key.pending_deletion:
        return not_applicable("The key is pending deletion (see key_not_pending_deletion).")
    if not key.rotation_applies:
        return not_applicable(
            f"Automatic rotation does not exist for this key (spec {key.key_spec}, origin {key.origin}, "
            f"state {key.state})."
        )
    if key.rotation_enabled is None:
        return unknown("The key's rotation status could not be read.")
    if key.rotation_enabled:
        return passed("Automatic rotation is enabled.", evidence={"rotation_period_days": key.rotation_period_days})
    return failed(
        "Automatic rotation is disabled.", evidence={"key_id": key.key_id, "aliases": list(key.aliases or ())}
    )


@check(
    title="Customer-managed KMS key is not scheduled for deletion",
    severity=Severity.CRITICAL,
    baseline=Baseline.ENCRYPTION,
    remediation="If the key is still needed, cancel its deletion (CancelKeyDeletion) and re-enable it; "
    "before deleting a key, confirm in CloudTrail that nothing used it during the waiting period.",
    compliance={"aws-fsbp": ["KMS.3"], "nist-800-53-r5": ["SC-12"]},
    attack=["AML.T0029"],
)
def key_not_pending_deletion(key: KmsKey) -> Result:
    """Once the waiting period ends the key material is destroyed, and everything encrypted
    under it (training data, model artifacts, volumes, logs) can never be decrypted again.
    Deleting a key is also a way to destroy an ML system's data."""
    early = _customer_key(key)
    if early is not None:
        return early
    if key.state is None:
        return unknown("The key state could not be read.")
    if key.pending_deletion:
        when = key.deletion_date.isoformat() if key.deletion_date else None
        return failed(
            f"The key is {key.state}" + (f"; its material is destroyed on {when}." if when else "."),
            evidence={"state": key.state, "deletion_date": when, "aliases": list(key.aliases or ())},
        )
    return passed(f"The key is {key.state}.")


@check(
    title="KMS key policy does not allow access to everyone",
    severity=Severity.CRITICAL,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Replace Principal '*' in the key policy with the account or role ARNs that need the key, "
    "or restrict the statement with aws:PrincipalOrgID, aws:PrincipalAccount or kms:CallerAccount.",
    compliance={"aws-fsbp": ["KMS.5"], "nist-800-53-r5": ["AC-3", "AC-21", "SC-7"]},
    attack=["AML.T0035", "AML.T0018"],
)
def key_policy_is_not_public(key: KmsKey) -> Result:
    """A key policy that allows '*' without a restricting condition lets any AWS principal use
    or manage the key: decrypt the training data and model artifacts it protects, or re-encrypt
    and tamper with them."""
    early = _customer_key(key)
    if early is not None:
        return early
    analysed, error = policy_exposure(key.policy, key.policy_error, key.account, "key policy")
    if analysed is None:
        return error or unknown("The key policy could not be analysed.")
    if analysed.public:
        return failed("The key policy allows everyone.", evidence={"public_statements": analysed.public})
    return passed("The key policy allows no one outside named principals.")


@check(
    title="KMS key policy grants other accounts access only within the organization",
    severity=Severity.MEDIUM,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Add an aws:PrincipalOrgID (or aws:PrincipalOrgPaths) condition to statements that grant "
    "other accounts use of the key, or remove the grant when it is no longer needed.",
    compliance={"nist-800-53-r5": ["AC-3", "AC-6"]},
    attack=["AML.T0035", "AML.T0018"],
)
def key_policy_guards_cross_account_access(key: KmsKey) -> Result:
    """A grant to another account lets every principal there that its administrators allow use
    the key, beyond this account's control; if that account leaves the organization or is
    compromised, the data the key protects goes with it."""
    early = _customer_key(key)
    if early is not None:
        return early
    analysed, error = policy_exposure(key.policy, key.policy_error, key.account, "key policy")
    if analysed is None:
        return error or unknown("The key policy could not be analysed.")
    unguarded = analysed.unguarded_cross_account()
    if unguarded:
        return failed(
            f"The key policy grants {len(unguarded)} principal(s) of other accounts without an organization condition.",
            evidence={"cross_account_without_guard": unguarded},
        )
    guarded = analysed.guarded_cross_account()
    if guarded:
        return passed("Every cross-account grant requires the organization.", evidence={"guarded": guarded})
    return passed("The key policy grants no other account.")
