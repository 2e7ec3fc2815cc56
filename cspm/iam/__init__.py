"""IAM policy model, evaluator and analyses (pure Python: no cloud SDK, no network, no clock).

Modules:

- :mod:`cspm.iam.policy` — :func:`parse_policy` and the frozen document model.
- :mod:`cspm.iam.actions` — wildcard matching and the lazily loaded action database.
- :mod:`cspm.iam.conditions` — condition operators and the global ``aws:`` key table.
- :mod:`cspm.iam.analysis` — document-level findings (admin, service wildcards, PassRole on ``*``)
  and resource / trust policy exposure.
- :mod:`cspm.iam.evaluate` — a principal's effective permissions across all its policies.
- :mod:`cspm.iam.escalation` — privilege-escalation combinations and the escalation graph.
- :mod:`cspm.iam.lint` — offline policy validation (``cspm policy lint``).
- :mod:`cspm.iam.inventory` — the analysis of an account's AWS snapshots, built once per scan
  (imported by the checks only: it reads the snapshot models).
"""

from cspm.iam.analysis import (
    Exposure,
    TrustAnalysis,
    admin_statements,
    conditional_admin_statements,
    is_public_principal,
    near_admin_statements,
    pass_role_on_star,
    resource_policy_exposure,
    service_wildcards,
    trust_policy_analysis,
)
from cspm.iam.conditions import Condition
from cspm.iam.escalation import EscalationGraph, PrincipalNode, escalation_methods
from cspm.iam.evaluate import Decision, EffectivePermissions, Verdict, effective_permissions
from cspm.iam.policy import PolicyDocument, PolicyError, Principal, Statement, StatementRef, parse_policy

__all__ = [
    "Condition",
    "Decision",
    "EffectivePermissions",
    "EscalationGraph",
    "Exposure",
    "PolicyDocument",
    "PolicyError",
    "Principal",
    "PrincipalNode",
    "Statement",
    "StatementRef",
    "TrustAnalysis",
    "Verdict",
    "admin_statements",
    "conditional_admin_statements",
    "effective_permissions",
    "escalation_methods",
    "is_public_principal",
    "near_admin_statements",
    "parse_policy",
    "pass_role_on_star",
    "resource_policy_exposure",
    "service_wildcards",
    "trust_policy_analysis",
]
