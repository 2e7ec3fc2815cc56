"""KMS checks on customer-managed keys: rotation, pending deletion, key policy exposure.

AWS-managed keys (``aws/s3``, ``aws/ecr`` ...) are not assessed: their policy and rotation belong
to AWS. :func:`policy_exposure` and :class:`PolicyExposure` are also used by the ECR checks for
repository policies (who outside the account a resource policy lets in, and whether an
organization condition guards it).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cspm.checks.aws._docs import security_hub_for
from cspm.checks.aws._org import with_rcps
from cspm.iam import Exposure, PolicyDocument, PolicyError, Statement, parse_policy, resource_policy_exposure
from cspm.iam.actions import all_actions
from cspm.iam.conditions import ContextValue
from cspm.iam.organization import PUBLIC_CALLERS, Request, account_callers
from cspm.iam.principals import is_restricting
from cspm.models import Baseline, Result, Severity, failed, not_applicable, passed, unknown
from cspm.registry import check
from cspm.resources.aws.kms import KmsKey
from cspm.resources.aws.organizations import OrgPolicies

# Conditions that confine a cross-account grant to principals of the organization.
ORG_GUARD_KEYS = frozenset({"aws:principalorgid", "aws:principalorgpaths"})

ENABLE_KEY_ROTATION = "https://docs.aws.amazon.com/kms/latest/APIReference/API_EnableKeyRotation.html"


_sh = security_hub_for("kms")


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


def _kms_requests(key_arn: str, callers: tuple[dict[str, ContextValue], ...]) -> list[Request]:
    """Every KMS action on the key but kms:RetireGrant, which RCPs do not restrict (AWS KMS
    Developer Guide, "Resource control policies in AWS KMS"): an RCP cuts the exposure only if it
    denies them all."""
    actions = sorted(a for a in all_actions().actions if a.startswith("kms:") and a != "kms:RetireGrant")
    return [(a, key_arn, callers) for a in actions]


def _callers_of(principal: str) -> tuple[dict[str, ContextValue], ...]:
    account = re.search(r"\b(\d{12})\b", principal)
    return account_callers(account.group(1)) if account else PUBLIC_CALLERS


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
    remediation="Enable automatic key rotation on the key (EnableKeyRotation; every 365 days unless "
    "RotationPeriodInDays says otherwise); for a multi-Region replica key, enable it on the primary key.",
    compliance={"aws-securityhub": ["KMS.4"], "cis-aws-5.0": ["3.6"], "nist-800-53-r5": ["SC-12", "SC-28"]},
    references=(_sh(4), ENABLE_KEY_ROTATION),
)
def key_rotation_enabled(key: KmsKey) -> Result:
    """Rotation replaces the key material on a schedule while keeping the previous material for
    decryption, so "data encrypted with a new key can't be accessed with a previous key that might
    have been exposed" (Security Hub KMS.4). Automatic rotation exists only for symmetric
    encryption keys with KMS-generated material: not for asymmetric or HMAC keys, imported key
    material or custom key stores, which are not assessed. AWS managed keys rotate every year on
    their own and are not assessed either."""
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
    references=(_sh(3),),
)
def key_not_pending_deletion(key: KmsKey) -> Result:
    """A deleted KMS key cannot be recovered, and data encrypted under it is "permanently
    unrecoverable" (Security Hub KMS.3). Deletion waits 7 to 30 days (30 by default), during which
    it can be cancelled: this check fails while that is still possible."""
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
    references=(_sh(5),),
)
def key_policy_is_not_public(key: KmsKey, organization: Sequence[OrgPolicies] = ()) -> Result:
    """A key policy that allows Principal '*' without a condition that pins it down lets principals
    of any AWS account use the key: "third parties might be able to encrypt and decrypt data by
    using the key", and exfiltrate data from the services that use it (Security Hub KMS.5). An
    unreadable key policy is an error here (KMS.5 fails it)."""
    early = _customer_key(key)
    if early is not None:
        return early
    analysed, error = policy_exposure(key.policy, key.policy_error, key.account, "key policy")
    if analysed is None:
        return error or unknown("The key policy could not be analysed.")
    if analysed.public:
        verdict = failed("The key policy allows everyone.", evidence={"public_statements": analysed.public})
        return with_rcps(verdict, organization, lambda: _kms_requests(key.uid, PUBLIC_CALLERS))
    return passed("The key policy allows no one outside named principals.")


@check(
    title="KMS key policy grants other accounts access only within the organization",
    fail_title="KMS key policy grants other accounts access outside the organization",
    severity=Severity.MEDIUM,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Add an aws:PrincipalOrgID (or aws:PrincipalOrgPaths) condition to statements that grant "
    "other accounts use of the key, or remove the grant when it is no longer needed.",
    compliance={"nist-800-53-r5": ["AC-3", "AC-6"]},
    attack=["AML.T0035", "AML.T0018"],
    references=(_sh(5),),
)
def key_policy_guards_cross_account_access(key: KmsKey, organization: Sequence[OrgPolicies] = ()) -> Result:
    """Security Hub KMS.5: if a key policy "allows access from external accounts, third parties
    might be able to encrypt and decrypt data by using the key". A grant to another account is
    passed on to the principals its administrators allow; an aws:PrincipalOrgID (or
    PrincipalOrgPaths) condition keeps it within the organization. No control checks this
    directly."""
    early = _customer_key(key)
    if early is not None:
        return early
    analysed, error = policy_exposure(key.policy, key.policy_error, key.account, "key policy")
    if analysed is None:
        return error or unknown("The key policy could not be analysed.")
    unguarded = analysed.unguarded_cross_account()
    if unguarded:
        verdict = failed(
            f"The key policy grants {len(unguarded)} principal(s) of other accounts without an organization condition.",
            evidence={"cross_account_without_guard": unguarded},
        )
        requests = [r for g in unguarded for r in _kms_requests(key.uid, _callers_of(str(g["principal"])))]
        return with_rcps(verdict, organization, lambda: requests)
    guarded = analysed.guarded_cross_account()
    if guarded:
        return passed("Every cross-account grant requires the organization.", evidence={"guarded": guarded})
    return passed("The key policy grants no other account.")
