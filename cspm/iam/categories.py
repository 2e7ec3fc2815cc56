"""Risk categories of a principal's effective permissions.

"Unrestricted" means ALLOWED on every resource (``resource="*"``), without a condition. Conditional
grants are reported apart (``conditional``), never dropped and never mixed with unconditional ones.

- Infrastructure modification and resource exposure come from the database's access levels alone
  (Write / Permissions management / Tagging; Permissions management).
- Data exfiltration and credentials exposure are about what an action *returns*, which the
  database does not record: they are defined by the patterns below, expanded against the database.
  A test proves every pattern matches a known action, so a renamed action fails CI.
- Privilege escalation is :func:`cspm.iam.escalation.escalation_methods`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from cspm.iam.actions import AccessLevel, action_database
from cspm.iam.escalation import MethodMatch, escalation_methods
from cspm.iam.evaluate import EffectivePermissions, Verdict


class Category(StrEnum):
    """Risk categories, as cloudsplaining and Access Analyzer name them."""

    PRIVILEGE_ESCALATION = "privilege-escalation"
    DATA_EXFILTRATION = "data-exfiltration"
    RESOURCE_EXPOSURE = "resource-exposure"
    CREDENTIALS_EXPOSURE = "credentials-exposure"
    INFRASTRUCTURE_MODIFICATION = "infrastructure-modification"


DATA_EXFILTRATION_PATTERNS = (
    "s3:GetObject",
    "s3:GetObjectVersion",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
    "secretsmanager:GetSecretValue",
    "secretsmanager:BatchGetSecretValue",
    "kms:Decrypt",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
    "dynamodb:GetItem",
    "dynamodb:Scan",
    "dynamodb:Query",
)
CREDENTIALS_EXPOSURE_PATTERNS = (
    "iam:CreateAccessKey",
    "iam:UpdateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:CreateServiceSpecificCredential",
    "iam:ResetServiceSpecificCredential",
    "sts:AssumeRole",
    "sts:GetFederationToken",
    "ecr:GetAuthorizationToken",
    "codeartifact:GetAuthorizationToken",
    "sso-oauth:CreateTokenWithIAM",
    "redshift-serverless:GetCredentials",
    "eks-auth:AssumeRoleForPodIdentity",
    "redshift:GetClusterCredentials",
    "ec2:GetPasswordData",
    "lightsail:GetInstanceAccessDetails",
    "sagemaker:CreatePresignedDomainUrl",
    "sagemaker:CreatePresignedNotebookInstanceUrl",
    "ec2-instance-connect:SendSSHPublicKey",
)


@dataclass(frozen=True)
class CategoryResult:
    """The actions of one category that a principal may perform on every resource."""

    category: Category
    unrestricted: tuple[str, ...]
    conditional: tuple[str, ...]
    escalations: tuple[MethodMatch, ...] = ()

    @property
    def found(self) -> bool:
        """Whether anything unrestricted (or any unconditional escalation) was found."""
        return bool(self.unrestricted) or any(m.verdict is Verdict.ALLOWED for m in self.escalations)

    def as_dict(self) -> dict[str, Any]:
        """Evidence as plain data."""
        return {
            "category": self.category.value,
            "unrestricted": list(self.unrestricted),
            "conditional": list(self.conditional),
            "escalations": [m.as_dict() for m in self.escalations],
        }


def _split(perms: EffectivePermissions, actions: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    unrestricted, conditional = [], []
    for action in actions:
        verdict = perms.allows(action, "*").verdict
        if verdict is Verdict.ALLOWED:
            unrestricted.append(action)
        elif verdict is Verdict.CONDITIONAL:
            conditional.append(action)
    return tuple(unrestricted), tuple(conditional)


def _expanded(patterns: tuple[str, ...]) -> tuple[str, ...]:
    db = action_database()
    return tuple(sorted({a for p in patterns for a in db.expand(p)}))


def _by_levels(perms: EffectivePermissions, category: Category, levels: set[AccessLevel]) -> CategoryResult:
    db = action_database()
    candidates = tuple(a for a in perms.allowed_actions("*", include_conditional=True) if db.access_level(a) in levels)
    return CategoryResult(category, *_split(perms, candidates))


def data_exfiltration(perms: EffectivePermissions) -> CategoryResult:
    """Unrestricted reads of data and secrets (``s3:GetObject``, ``secretsmanager:GetSecretValue`` …)."""
    return CategoryResult(Category.DATA_EXFILTRATION, *_split(perms, _expanded(DATA_EXFILTRATION_PATTERNS)))


def credentials_exposure(perms: EffectivePermissions) -> CategoryResult:
    """Unrestricted actions that return or create credentials (``iam:CreateAccessKey`` …)."""
    return CategoryResult(Category.CREDENTIALS_EXPOSURE, *_split(perms, _expanded(CREDENTIALS_EXPOSURE_PATTERNS)))


def resource_exposure(perms: EffectivePermissions) -> CategoryResult:
    """Unrestricted Permissions-management actions (``s3:PutBucketPolicy``, ``iam:PassRole`` …)."""
    return _by_levels(perms, Category.RESOURCE_EXPOSURE, {AccessLevel.PERMISSIONS_MANAGEMENT})


def infrastructure_modification(perms: EffectivePermissions) -> CategoryResult:
    """Unrestricted Write, Permissions-management and Tagging actions."""
    levels = {AccessLevel.WRITE, AccessLevel.PERMISSIONS_MANAGEMENT, AccessLevel.TAGGING}
    return _by_levels(perms, Category.INFRASTRUCTURE_MODIFICATION, levels)


def privilege_escalation(perms: EffectivePermissions) -> CategoryResult:
    """Escalation combinations the permissions satisfy (on some resource; see :mod:`cspm.iam.escalation`)."""
    matches = tuple(escalation_methods(perms))
    unrestricted = tuple(m.method.id for m in matches if m.verdict is Verdict.ALLOWED)
    conditional = tuple(m.method.id for m in matches if m.verdict is Verdict.CONDITIONAL)
    return CategoryResult(Category.PRIVILEGE_ESCALATION, unrestricted, conditional, matches)


def categorize(perms: EffectivePermissions) -> dict[Category, CategoryResult]:
    """Every category for one principal."""
    results = (
        privilege_escalation(perms),
        data_exfiltration(perms),
        resource_exposure(perms),
        credentials_exposure(perms),
        infrastructure_modification(perms),
    )
    return {r.category: r for r in results}
