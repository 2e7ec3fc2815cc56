"""Risk categories of a principal's effective permissions.

"Unrestricted" means ALLOWED on every resource (``resource="*"``), without a condition. Conditional
grants are reported apart (``conditional``), never dropped and never mixed with unconditional ones.
The verdicts are those of ``perms.allows(action, "*")`` for each action, computed for a whole
category at once with set algebra (:meth:`EffectivePermissions.grants`).

- Infrastructure modification and resource exposure come from the database's access levels alone
  (Write / Permissions management / Tagging; Permissions management).
- Data exfiltration and credentials exposure are about what an action *returns*, which the
  database does not record: they are defined by the patterns below, expanded against the database.
  A test proves every pattern matches a known action, so a renamed action fails CI.
- Privilege escalation is :func:`cspm.iam.escalation.escalation_methods`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from cspm.iam.actions import AccessLevel, ActionSet, actions_at_levels, expand_actions
from cspm.iam.escalation import MethodMatch, escalation_methods, method_actions
from cspm.iam.evaluate import EffectivePermissions, StatementOrigin, Verdict
from cspm.iam.policy import Statement


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


@functools.cache
def category_actions(category: Category) -> ActionSet:
    """The actions a category is about (process-wide; loads the database on first use)."""
    if category is Category.DATA_EXFILTRATION:
        return ActionSet(expand_actions(DATA_EXFILTRATION_PATTERNS))
    if category is Category.CREDENTIALS_EXPOSURE:
        return ActionSet(expand_actions(CREDENTIALS_EXPOSURE_PATTERNS))
    if category is Category.RESOURCE_EXPOSURE:
        return actions_at_levels(AccessLevel.PERMISSIONS_MANAGEMENT)
    if category is Category.INFRASTRUCTURE_MODIFICATION:
        return actions_at_levels(AccessLevel.WRITE, AccessLevel.PERMISSIONS_MANAGEMENT, AccessLevel.TAGGING)
    return method_actions()


@dataclass(frozen=True)
class GrantingStatement:
    """A statement that grants some of a category's actions on every resource, for evidence."""

    origin: StatementOrigin
    statement: Statement
    actions: tuple[str, ...]

    @property
    def conditional(self) -> bool:
        """Whether the statement carries a Condition (its grant is then CONDITIONAL)."""
        return bool(self.statement.conditions)

    def as_dict(self, limit: int = 25) -> dict[str, Any]:
        """Evidence as plain data: the policy, Sid and index, what it grants (at most ``limit`` actions)."""
        stmt = self.statement
        return {
            **self.origin.as_dict(),
            "actions": list(self.actions[:limit]),
            "action_count": len(self.actions),
            "resources": list(stmt.resources) if stmt.resources is not None else None,
            "not_resources": list(stmt.not_resources) if stmt.not_resources is not None else None,
            "conditions": [{"operator": c.operator, "key": c.key, "values": list(c.values)} for c in stmt.conditions],
        }


@dataclass(frozen=True)
class CategoryResult:
    """The actions of one category that a principal may perform on every resource.

    ``statements``: the statements granting them (identity policies, in policy order).
    """

    category: Category
    unrestricted: tuple[str, ...]
    conditional: tuple[str, ...]
    escalations: tuple[MethodMatch, ...] = ()
    statements: tuple[GrantingStatement, ...] = ()

    @property
    def found(self) -> bool:
        """Whether anything unrestricted (or any unconditional escalation) was found."""
        return bool(self.unrestricted) or any(m.verdict is Verdict.ALLOWED for m in self.escalations)

    @property
    def possible(self) -> bool:
        """Whether anything was found, unrestricted or conditional."""
        return bool(self.unrestricted or self.conditional or self.escalations)

    def as_dict(self, limit: int = 50) -> dict[str, Any]:
        """Evidence as plain data (action lists cut at ``limit``, with their full counts)."""
        return {
            "category": self.category.value,
            "unrestricted": list(self.unrestricted[:limit]),
            "unrestricted_count": len(self.unrestricted),
            "conditional": list(self.conditional[:limit]),
            "conditional_count": len(self.conditional),
            "escalations": [m.as_dict() for m in self.escalations],
            "statements": [s.as_dict() for s in self.statements],
        }


def _granted(perms: EffectivePermissions, category: Category) -> CategoryResult:
    grants = perms.grants(category_actions(category))
    statements = tuple(GrantingStatement(o, s, tuple(sorted(a))) for o, s, a in grants.statements)
    return CategoryResult(category, tuple(sorted(grants.allowed)), tuple(sorted(grants.conditional)), (), statements)


def data_exfiltration(perms: EffectivePermissions) -> CategoryResult:
    """Unrestricted reads of data and secrets (``s3:GetObject``, ``secretsmanager:GetSecretValue`` …)."""
    return _granted(perms, Category.DATA_EXFILTRATION)


def credentials_exposure(perms: EffectivePermissions) -> CategoryResult:
    """Unrestricted actions that return or create credentials (``iam:CreateAccessKey`` …)."""
    return _granted(perms, Category.CREDENTIALS_EXPOSURE)


def resource_exposure(perms: EffectivePermissions) -> CategoryResult:
    """Unrestricted Permissions-management actions (``s3:PutBucketPolicy``, ``kms:PutKeyPolicy`` …)."""
    return _granted(perms, Category.RESOURCE_EXPOSURE)


def infrastructure_modification(perms: EffectivePermissions) -> CategoryResult:
    """Unrestricted Write, Permissions-management and Tagging actions."""
    return _granted(perms, Category.INFRASTRUCTURE_MODIFICATION)


def privilege_escalation(perms: EffectivePermissions) -> CategoryResult:
    """Escalation combinations the permissions satisfy (on some resource; see :mod:`cspm.iam.escalation`)."""
    matches = tuple(escalation_methods(perms))
    unrestricted = tuple(m.method.id for m in matches if m.verdict is Verdict.ALLOWED)
    conditional = tuple(m.method.id for m in matches if m.verdict is Verdict.CONDITIONAL)
    return CategoryResult(Category.PRIVILEGE_ESCALATION, unrestricted, conditional, matches)


_BY_CATEGORY = {
    Category.PRIVILEGE_ESCALATION: privilege_escalation,
    Category.DATA_EXFILTRATION: data_exfiltration,
    Category.RESOURCE_EXPOSURE: resource_exposure,
    Category.CREDENTIALS_EXPOSURE: credentials_exposure,
    Category.INFRASTRUCTURE_MODIFICATION: infrastructure_modification,
}


def categorize_one(perms: EffectivePermissions, category: Category) -> CategoryResult:
    """One category for one principal."""
    return _BY_CATEGORY[category](perms)


def categorize(perms: EffectivePermissions) -> dict[Category, CategoryResult]:
    """Every category for one principal."""
    return {category: categorize_one(perms, category) for category in _BY_CATEGORY}
