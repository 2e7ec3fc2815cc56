"""Privilege escalation: the known combinations, and a graph of "can become" edges.

:data:`METHODS` is the one hand-written action table of the package (the combinations in
docs/iam-analysis.md, after cloudsplaining, Rhino Security Labs and PMapper); a test proves every
action in it exists in the action database, so a renamed action fails CI instead of silently
disabling a check.

:func:`escalation_methods` matches a principal's *effective* permissions (all its policies
together) against the table. :class:`EscalationGraph` links principals: ``sts:AssumeRole`` allowed
by the caller and the role's trust policy; ``iam:PassRole`` of a role trusted by a compute service
plus that service's create action (``iam:PassedToService`` respected); credentials of another
user (``iam:CreateAccessKey`` …). Shortest paths lead to admin-equivalent principals.
"""

from __future__ import annotations

import bisect
import functools
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cspm.iam.actions import ActionSet, action_database
from cspm.iam.conditions import ConditionContext, evaluate_conditions
from cspm.iam.evaluate import Decision, EffectivePermissions, Verdict, principal_context
from cspm.iam.policy import PolicyDocument, Principal, Statement
from cspm.iam.principals import account_of
from cspm.iam.statements import Match, literal_prefix, resource_match, statement_matches_action

PASS_ROLE = "iam:PassRole"


@dataclass(frozen=True)
class EscalationMethod:
    """One escalation combination: every group in ``requires`` needs one of its actions.

    ``service`` is the service principal a passed role must trust (PassRole methods) or whose
    existing resources' roles can be taken over (``existing_resource``). ``target`` says on what
    the IAM actions act: ``self`` (the principal's own ARN), ``user``, ``role``, or ``any``.
    """

    id: str
    description: str
    requires: tuple[tuple[str, ...], ...]
    service: str | None = None
    existing_resource: bool = False
    target: str = "any"

    @property
    def passes_role(self) -> bool:
        """Whether the method needs ``iam:PassRole``."""
        return any(PASS_ROLE in group for group in self.requires)

    @property
    def actions(self) -> tuple[str, ...]:
        """Every action the method names."""
        return tuple(a for group in self.requires for a in group)


def _m(
    method_id: str, description: str, *groups: str | tuple[str, ...], service: str | None = None, **kw: Any
) -> EscalationMethod:
    requires = tuple((g,) if isinstance(g, str) else g for g in groups)
    return EscalationMethod(method_id, description, requires, service, **kw)


SAGEMAKER, GLUE, LAMBDA = "sagemaker.amazonaws.com", "glue.amazonaws.com", "lambda.amazonaws.com"
EC2, CFN, CODEBUILD = "ec2.amazonaws.com", "cloudformation.amazonaws.com", "codebuild.amazonaws.com"
ECS_TASKS, DATAPIPELINE, APPRUNNER = (
    "ecs-tasks.amazonaws.com",
    "datapipeline.amazonaws.com",
    "tasks.apprunner.amazonaws.com",
)
BEDROCK, AGENTCORE = "bedrock.amazonaws.com", "bedrock-agentcore.amazonaws.com"

METHODS: tuple[EscalationMethod, ...] = (
    # SageMaker
    _m("sagemaker-notebook", "Pass a role to a new notebook instance and use it", PASS_ROLE,
       "sagemaker:CreateNotebookInstance", service=SAGEMAKER),
    _m("sagemaker-training-job", "Pass a role to a training job that runs your code", PASS_ROLE,
       "sagemaker:CreateTrainingJob", service=SAGEMAKER),
    _m("sagemaker-processing-job", "Pass a role to a processing job that runs your code", PASS_ROLE,
       "sagemaker:CreateProcessingJob", service=SAGEMAKER),
    _m("sagemaker-presigned-notebook-url", "Open an existing notebook and act as its role",
       "sagemaker:CreatePresignedNotebookInstanceUrl", service=SAGEMAKER, existing_resource=True),
    _m("sagemaker-notebook-lifecycle", "Inject a lifecycle script into an existing notebook",
       "sagemaker:CreateNotebookInstanceLifecycleConfig", "sagemaker:StopNotebookInstance",
       "sagemaker:UpdateNotebookInstance", "sagemaker:StartNotebookInstance", service=SAGEMAKER,
       existing_resource=True),
    # Glue
    _m("glue-dev-endpoint", "Pass a role to a new Glue development endpoint", PASS_ROLE,
       "glue:CreateDevEndpoint", service=GLUE),
    _m("glue-update-dev-endpoint", "Add an SSH key to an existing Glue development endpoint",
       "glue:UpdateDevEndpoint", service=GLUE, existing_resource=True),
    _m("glue-job", "Pass a role to a Glue job and run it", PASS_ROLE, ("glue:CreateJob", "glue:UpdateJob"),
       ("glue:StartJobRun", "glue:CreateTrigger"), service=GLUE),
    # Lambda
    _m("lambda-create-function", "Pass a role to a new function and invoke or trigger it", PASS_ROLE,
       "lambda:CreateFunction", ("lambda:InvokeFunction", "lambda:CreateEventSourceMapping", "lambda:AddPermission"),
       service=LAMBDA),
    _m("lambda-update-function-code", "Replace the code of an existing function",
       "lambda:UpdateFunctionCode", service=LAMBDA, existing_resource=True),
    # EC2
    _m("ec2-run-instances", "Pass a role to a new instance (instance profile)", PASS_ROLE,
       ("ec2:RunInstances", "ec2:RequestSpotInstances"), service=EC2),
    _m("ec2-modify-user-data", "Change an instance's user data and restart it", "ec2:ModifyInstanceAttribute",
       "ec2:StopInstances", "ec2:StartInstances", service=EC2, existing_resource=True),
    _m("ec2-launch-template", "Change the launch template used by instances", "ec2:CreateLaunchTemplateVersion",
       "ec2:ModifyLaunchTemplate", service=EC2, existing_resource=True),
    _m("ec2-instance-connect", "Push an SSH key to an existing instance", "ec2-instance-connect:SendSSHPublicKey",
       "ec2:DescribeInstances", service=EC2, existing_resource=True),
    # CloudFormation
    _m("cloudformation-create-stack", "Pass a role to a new stack", PASS_ROLE, "cloudformation:CreateStack",
       service=CFN),
    _m("cloudformation-change-set", "Change an existing stack that has a service role",
       "cloudformation:CreateChangeSet", "cloudformation:ExecuteChangeSet", service=CFN, existing_resource=True),
    _m("cloudformation-stack-set", "Pass a role to a new stack set", PASS_ROLE, "cloudformation:CreateStackSet",
       "cloudformation:CreateStackInstances", service=CFN),
    _m("cloudformation-update-stack-set", "Pass a role to an existing stack set", PASS_ROLE,
       "cloudformation:UpdateStackSet", service=CFN),
    # Data Pipeline, CodeBuild, ECS, App Runner
    _m("datapipeline", "Pass a role to a new pipeline that runs commands", PASS_ROLE, "datapipeline:CreatePipeline",
       "datapipeline:PutPipelineDefinition", service=DATAPIPELINE),
    _m("codebuild-project", "Pass a role to a new build project and start it", PASS_ROLE, "codebuild:CreateProject",
       ("codebuild:StartBuild", "codebuild:StartBuildBatch"), service=CODEBUILD),
    _m("ecs-task", "Pass a role to a task definition and run it", PASS_ROLE, "ecs:RegisterTaskDefinition",
       ("ecs:RunTask", "ecs:StartTask", "ecs:CreateService"), service=ECS_TASKS),
    _m("apprunner-service", "Pass a role to a new App Runner service", PASS_ROLE, "apprunner:CreateService",
       service=APPRUNNER),
    # Bedrock: Bedrock assumes the passed role for a customization job (it reads the training data
    # and writes the model with it) and for an agent (it acts with it on the caller's prompts); an
    # agent's action group calls a function, which runs with the function's role
    _m("bedrock-customization-job", "Pass a role to a model customization job that reads and writes S3 with it",
       PASS_ROLE, "bedrock:CreateModelCustomizationJob", service=BEDROCK),
    _m("bedrock-agent", "Pass a role to a new or updated agent and invoke it", PASS_ROLE,
       ("bedrock:CreateAgent", "bedrock:UpdateAgent"), "bedrock:InvokeAgent", service=BEDROCK),
    _m("bedrock-invoke-agent", "Invoke an existing agent that acts with its role", "bedrock:InvokeAgent",
       service=BEDROCK, existing_resource=True),
    _m("bedrock-agent-action-group", "Point an agent's action group at an existing function and invoke the agent",
       ("bedrock:CreateAgentActionGroup", "bedrock:UpdateAgentActionGroup"), "bedrock:InvokeAgent", service=LAMBDA,
       existing_resource=True),
    # Bedrock AgentCore: runtimes and code interpreters run code with their execution role's
    # credentials (microVM metadata service)
    _m("agentcore-runtime", "Pass a role to a new AgentCore runtime that runs your container, and invoke it",
       PASS_ROLE, "bedrock-agentcore:CreateAgentRuntime", "bedrock-agentcore:InvokeAgentRuntime", service=AGENTCORE),
    _m("agentcore-code-interpreter", "Pass a role to a new AgentCore code interpreter and run code in it", PASS_ROLE,
       "bedrock-agentcore:CreateCodeInterpreter", "bedrock-agentcore:StartCodeInterpreterSession",
       "bedrock-agentcore:InvokeCodeInterpreter", service=AGENTCORE),
    _m("agentcore-existing-code-interpreter", "Run code in an existing AgentCore code interpreter",
       "bedrock-agentcore:StartCodeInterpreterSession", "bedrock-agentcore:InvokeCodeInterpreter",
       service=AGENTCORE, existing_resource=True),
    # IAM only
    _m("iam-create-access-key", "Create an access key for another user", "iam:CreateAccessKey", target="user"),
    _m("iam-create-login-profile", "Set a console password for a user without one", "iam:CreateLoginProfile",
       target="user"),
    _m("iam-update-login-profile", "Change another user's console password", "iam:UpdateLoginProfile",
       target="user"),
    _m("iam-create-policy-version", "Rewrite a managed policy attached to you", "iam:CreatePolicyVersion",
       target="policy"),
    _m("iam-set-default-policy-version", "Switch a managed policy to a more permissive version",
       "iam:SetDefaultPolicyVersion", target="policy"),
    _m("iam-attach-user-policy", "Attach any managed policy to a user", "iam:AttachUserPolicy", target="self"),
    _m("iam-attach-group-policy", "Attach any managed policy to your group", "iam:AttachGroupPolicy"),
    _m("iam-attach-role-policy", "Attach any managed policy to a role you can assume", "iam:AttachRolePolicy",
       "sts:AssumeRole", target="role"),
    _m("iam-put-user-policy", "Write an inline policy on a user", "iam:PutUserPolicy", target="self"),
    _m("iam-put-group-policy", "Write an inline policy on your group", "iam:PutGroupPolicy"),
    _m("iam-put-role-policy", "Write an inline policy on a role you can assume", "iam:PutRolePolicy",
       "sts:AssumeRole", target="role"),
    _m("iam-add-user-to-group", "Add yourself to a more privileged group", "iam:AddUserToGroup"),
    _m("iam-update-assume-role-policy", "Rewrite a role's trust policy and assume it",
       "iam:UpdateAssumeRolePolicy", "sts:AssumeRole", target="role"),
    _m("iam-create-role", "Create a role that trusts you, make it admin and assume it", "iam:CreateRole",
       ("iam:PutRolePolicy", "iam:AttachRolePolicy"), target="role"),
)  # fmt: skip

CREDENTIAL_METHODS = frozenset({"iam-create-access-key", "iam-create-login-profile", "iam-update-login-profile"})
# Methods that change the permissions of a role the source can then assume.
ROLE_TAKEOVER_METHODS = frozenset({"iam-attach-role-policy", "iam-put-role-policy", "iam-update-assume-role-policy"})
# After these, the role reached can be given any permission: the path ends at admin.
GRANTS_ADMIN_METHODS = frozenset({"iam-attach-role-policy", "iam-put-role-policy"})
# A principal allowed one of these on itself (its own ARN) can grant itself anything.
SELF_ESCALATION_ACTIONS = {
    "user": ("iam:AttachUserPolicy", "iam:PutUserPolicy"),
    "role": ("iam:AttachRolePolicy", "iam:PutRolePolicy"),
    "group": ("iam:AttachGroupPolicy", "iam:PutGroupPolicy"),
}
# A user allowed one of these on one of its groups can grant itself anything.
OWN_GROUP_ESCALATION_ACTIONS = ("iam:AttachGroupPolicy", "iam:PutGroupPolicy")
# Allowed on every resource, these let a principal rewrite policies attached to it or join a group.
ANY_TARGET_ESCALATION_ACTIONS = {
    "user": ("iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:AttachGroupPolicy",
             "iam:PutGroupPolicy", "iam:AddUserToGroup"),
    "group": ("iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:AttachGroupPolicy",
              "iam:PutGroupPolicy", "iam:AddUserToGroup"),
    "role": ("iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion"),
}  # fmt: skip
ASSUME_ROLE = "sts:AssumeRole"
ADD_USER_TO_GROUP = "iam:AddUserToGroup"
UPDATE_TRUST = "iam:UpdateAssumeRolePolicy"
ROLE_POLICY_ACTIONS = {"iam-attach-role-policy": "iam:AttachRolePolicy", "iam-put-role-policy": "iam:PutRolePolicy"}
CREATE_ROLE = "iam:CreateRole"
POLICY_VERSION_METHODS = frozenset({"iam-create-policy-version", "iam-set-default-policy-version"})


@functools.cache
def method_actions() -> ActionSet:
    """Every action the graph and the method table look at (for pruning impossible methods)."""
    extra = [ASSUME_ROLE, ADD_USER_TO_GROUP, UPDATE_TRUST, CREATE_ROLE, *ROLE_POLICY_ACTIONS.values()]
    extra += [
        a for actions in (*SELF_ESCALATION_ACTIONS.values(), *ANY_TARGET_ESCALATION_ACTIONS.values()) for a in actions
    ]
    db = action_database()
    names = {info.full_name for a in (*extra, *(a for m in METHODS for a in m.actions)) if (info := db.lookup(a))}
    return ActionSet(names)


def _context(method: EscalationMethod) -> dict[str, str] | None:
    """``iam:PassedToService`` is known for a PassRole method: the method's service."""
    return {"iam:PassedToService": method.service} if method.passes_role and method.service else None


@dataclass(frozen=True)
class MethodMatch:
    """An escalation method the principal's permissions satisfy, with the decisions as evidence."""

    method: EscalationMethod
    verdict: Verdict
    decisions: tuple[Decision, ...]
    admin_for_self: bool = False  # matched on the principal's own ARN, groups or policies: it can become admin

    def as_dict(self) -> dict[str, Any]:
        """Evidence as plain data."""
        return {
            "method": self.method.id,
            "description": self.method.description,
            "verdict": self.verdict.value,
            "admin_for_self": self.admin_for_self,
            "actions": [d.action for d in self.decisions],
            "resources": [d.resource for d in self.decisions],
            "statements": [o.as_dict() for d in self.decisions for o in d.allowed_by + d.conditionally_allowed_by],
        }


_ORDER = [Verdict.DENIED, Verdict.NOT_ALLOWED, Verdict.CONDITIONAL, Verdict.ALLOWED]


def _best(decisions: Iterable[Decision]) -> Decision | None:
    best = max(decisions, key=lambda d: _ORDER.index(d.verdict), default=None)
    return best if best is not None and best.possible else None


def match_method(
    perms: EffectivePermissions,
    method: EscalationMethod,
    resources: Mapping[str, str | None] | None = None,
    context: Mapping[str, str] | None = None,
) -> MethodMatch | None:
    """The method's verdict for these permissions, or ``None`` when some group is not possible.

    ``resources`` maps an action to the resource to ask about (default: any resource).
    """
    chosen = []
    for group in method.requires:
        picked = _best(perms.allows(a, (resources or {}).get(a), context) for a in group)
        if picked is None:
            return None
        chosen.append(picked)
    verdict = Verdict.ALLOWED if all(d.allowed for d in chosen) else Verdict.CONDITIONAL
    return MethodMatch(method, verdict, tuple(chosen))


def satisfiable_methods(perms: EffectivePermissions) -> tuple[EscalationMethod, ...]:
    """The methods whose every group has an action some Allow statement covers (cached on ``perms``)."""
    cached = perms.derived.get("satisfiable_methods")
    if cached is None:
        possible = perms.possible_anywhere(method_actions())
        cached = perms.derived["satisfiable_methods"] = tuple(m for m in METHODS if _could_satisfy(m, possible))
    return cached


def _could_satisfy(method: EscalationMethod, possible: frozenset[str]) -> bool:
    """Whether every group of the method has an action some Allow statement covers (a cheap pre-test)."""
    return all(not group.isdisjoint(possible) for group in _canonical_groups(method))


@functools.cache
def _canonical_groups(method: EscalationMethod) -> tuple[frozenset[str], ...]:
    """The method's action groups in the database's spelling (as :class:`ActionSet` holds them)."""
    db = action_database()
    return tuple(frozenset(info.full_name for a in group if (info := db.lookup(a))) for group in method.requires)


# What the IAM and STS actions of the table act on. :func:`every_target` asks about every such
# resource of an account at once: ``arn:aws:iam::ACCOUNT:role/*`` read literally, which only a
# pattern covering every role matches (``*``, ``arn:aws:iam::*:role/*``, ``…:role/*``; not
# ``…:role/sagemaker-*``). ``self``: the principal's own ARN.
TARGET_TYPES = {
    PASS_ROLE: "role",
    ASSUME_ROLE: "role",
    "iam:AttachRolePolicy": "role",
    "iam:PutRolePolicy": "role",
    UPDATE_TRUST: "role",
    "iam:CreateAccessKey": "user",
    "iam:CreateLoginProfile": "user",
    "iam:UpdateLoginProfile": "user",
    "iam:CreatePolicyVersion": "policy",
    "iam:SetDefaultPolicyVersion": "policy",
    "iam:AttachGroupPolicy": "group",
    "iam:PutGroupPolicy": "group",
    ADD_USER_TO_GROUP: "group",
    "iam:AttachUserPolicy": "self",
    "iam:PutUserPolicy": "self",
    CREATE_ROLE: "role",
}


def every_target(account: str, own_arn: str) -> dict[str, str]:
    """For each IAM / STS action of the table, the resource that stands for "every target in ``account``"
    (``own_arn`` for the actions a principal uses on itself)."""
    return {
        action: own_arn if kind == "self" else f"arn:aws:iam::{account}:{kind}/*"
        for action, kind in TARGET_TYPES.items()
    }


def escalation_methods(
    perms: EffectivePermissions, targets: Mapping[str, str | None] | None = None, own: Own | None = None
) -> list[MethodMatch]:
    """Every escalation method whose actions are all allowed by ``perms``.

    ``targets`` maps an action to the resource to ask about (see :func:`every_target`); actions not
    in it are asked about "some resource". Without it, every action is (the lint of one policy,
    whose account is unknown). For PassRole methods, ``iam:PassedToService`` is the method's
    service. These are escalations a principal can attempt against any target of its account;
    which principals it actually reaches is for :class:`EscalationGraph` to say.

    ``own`` adds the methods that make the principal itself admin (:func:`self_escalations`): also
    when a grant is scoped to the principal's own ARN, groups or attached policies, which
    ``targets`` (every target, read literally) does not match.
    """
    found_by_id: dict[str, MethodMatch] = {}
    for method in satisfiable_methods(perms):
        found = match_method(perms, method, targets, _context(method))
        if found is not None and (method.id != "iam-create-role" or _created_role_assumable(perms, found)):
            found_by_id[method.id] = found
    for mine in self_escalations(perms, own) if own is not None else ():
        general = found_by_id.get(mine.method.id)
        if general is None or _ORDER.index(mine.verdict) >= _ORDER.index(general.verdict):
            found_by_id[mine.method.id] = mine
    order = {m.id: i for i, m in enumerate(METHODS)}
    return sorted(found_by_id.values(), key=lambda m: order[m.method.id])


@dataclass(frozen=True)
class Own:
    """What a principal may escalate *itself* through: its ARN and kind, its groups (users) and the
    customer-managed policies attached to it or its groups (``None``: not known, e.g. a bare policy)."""

    arn: str
    kind: str
    groups: tuple[str, ...] = ()
    policies: tuple[str, ...] | None = None

    @property
    def account(self) -> str:
        return account_of(self.arn) or "*"


def _one(method: EscalationMethod, *decisions: Decision) -> MethodMatch | None:
    """The method matched by these decisions (every one possible), marked as making the principal admin."""
    if not decisions or not all(d.possible for d in decisions):
        return None
    verdict = Verdict.ALLOWED if all(d.allowed for d in decisions) else Verdict.CONDITIONAL
    return MethodMatch(method, verdict, decisions, admin_for_self=True)


def _best_on(
    perms: EffectivePermissions, method: EscalationMethod, action: str, resources: Iterable[str]
) -> MethodMatch | None:
    """The method through ``action`` on the best of ``resources`` (ALLOWED before CONDITIONAL)."""
    return _one(method, d) if (d := _best(perms.allows(action, r) for r in resources)) is not None else None


_BY_ID = {m.id: m for m in METHODS}


def self_escalations(perms: EffectivePermissions, own: Own) -> list[MethodMatch]:
    """The methods that let the principal grant *itself* anything (it is admin-equivalent when one is
    ALLOWED): a policy on its own ARN (a group's member: on ``user/*``), on its own groups, a new
    version of a customer-managed policy attached to it or its groups (every policy when they are not
    known), a new role that trusts it. Also, as the graph always counted them, ``iam:AttachGroupPolicy``
    / ``PutGroupPolicy`` / ``AddUserToGroup`` on every group for users and groups. The same function
    decides the graph's admin-equivalence and the ``*_cannot_escalate_privileges`` evidence
    (``admin_for_self``), so the two checks cannot disagree on it."""
    possible = perms.possible_anywhere(method_actions())
    if not possible:
        return []
    out = [
        _best_on(perms, _BY_ID[method_id], _BY_ID[method_id].actions[0], resources)
        for method_id, resources in _self_targets(own)
        if _BY_ID[method_id].actions[0] in possible and resources
    ]
    if CREATE_ROLE in possible:
        out.append(_create_role(perms, own))
    return [m for m in out if m is not None]


def _self_targets(own: Own) -> list[tuple[str, tuple[str, ...]]]:
    """(method, the resources on which its one action makes the principal admin)."""
    every_group = f"arn:aws:iam::{own.account}:group/*"
    policies = own.policies if own.policies is not None else (f"arn:aws:iam::{own.account}:policy/*",)
    out = [("iam-create-policy-version", policies), ("iam-set-default-policy-version", policies)]
    if own.kind == "role":
        return [("iam-attach-role-policy", (own.arn,)), ("iam-put-role-policy", (own.arn,)), *out]
    if own.kind not in ("user", "group"):
        return out
    me = (own.arn,) if own.kind == "user" else (f"arn:aws:iam::{own.account}:user/*",)
    groups = (*own.groups, every_group) if own.kind == "user" else (own.arn, every_group)
    return [
        ("iam-attach-user-policy", me),
        ("iam-put-user-policy", me),
        ("iam-attach-group-policy", groups),
        ("iam-put-group-policy", groups),
        ("iam-add-user-to-group", (every_group,)),
        *out,
    ]


def _created_role_assumable(perms: EffectivePermissions, found: MethodMatch) -> bool:
    """Whether the principal may assume the role it creates. Its trust (chosen by the creator) names the
    creator's ARN in the same account, so no identity grant of ``sts:AssumeRole`` is needed (IAM's rule
    for a resource-based policy naming the principal) — but an explicit Deny still applies, and for a
    role session an implicit deny of its permission boundary does too."""
    role = found.decisions[0].resource or "*"
    return _named_assume_possible(perms, role, perms.principal_context.get("aws:PrincipalType") == "AssumedRole")


def _named_assume_possible(perms: EffectivePermissions, role: str, role_session: bool) -> bool:
    """``sts:AssumeRole`` of a same-account role whose trust names the caller's ARN: no identity grant is
    needed, but an explicit Deny applies, SCPs apply, and for a role session its boundary does too."""
    if perms.allows(ASSUME_ROLE, role).verdict is Verdict.DENIED:
        return False
    return perms.guards_allow(ASSUME_ROLE, role, boundary=role_session) in (Verdict.ALLOWED, Verdict.CONDITIONAL)


def _instances(patterns: tuple[str, ...] | None, account: str) -> list[str]:
    """Role ARNs of ``account`` that each Resource pattern of ``iam:CreateRole`` allows (a wildcard
    becomes a plain name), after ``role/*`` itself: where to ask for the create and put/attach pair."""
    out = [f"arn:aws:iam::{account}:role/*"]
    for pattern in patterns or ():
        fields = pattern.split(":", 5)
        if len(fields) != 6 or "${" in pattern or not fields[5].startswith("role/"):
            continue
        if fields[4] not in ("*", account):
            continue
        resource = fields[5].replace("*", "cspm-new").replace("?", "x")
        out.append(f"arn:aws:iam::{account}:{resource}")
    return list(dict.fromkeys(out))


def _create_role(perms: EffectivePermissions, own: Own) -> MethodMatch | None:
    """``iam:CreateRole`` and ``iam:PutRolePolicy`` / ``AttachRolePolicy`` on the same new role, which the
    principal can then assume (:func:`_created_role_assumable`)."""
    method = _BY_ID["iam-create-role"]
    best: MethodMatch | None = None
    for role in _instances(perms.resource_patterns(CREATE_ROLE), own.account):
        found = match_method(perms, method, {CREATE_ROLE: role, **dict.fromkeys(method.requires[1], role)})
        if found is None or not _created_role_assumable(perms, found):
            continue
        if best is None or (found.verdict is Verdict.ALLOWED and best.verdict is not Verdict.ALLOWED):
            best = MethodMatch(method, found.verdict, found.decisions, admin_for_self=True)
        if best.verdict is Verdict.ALLOWED:
            break
    return best


@dataclass(frozen=True)
class PrincipalNode:
    """A principal for the graph: its ARN, effective permissions and (roles) trust policy.

    ``groups``: the ARNs of a user's groups. A group is a node too (``arn:…:group/…``): it stands
    for a member of the group whose only permissions are the group's. ``policies``: the ARNs of the
    customer-managed policies attached to the principal or its groups (``None``: unknown, then a
    policy-version grant counts only on every policy).
    """

    id: str
    permissions: EffectivePermissions
    trust_policy: PolicyDocument | None = None
    groups: tuple[str, ...] = ()
    policies: tuple[str, ...] | None = None  # customer-managed policies attached to it (or its groups)

    @functools.cached_property
    def account(self) -> str | None:
        """The account in the ARN."""
        return account_of(self.id)

    @functools.cached_property
    def kind(self) -> str:
        """``user``, ``role``, ``group`` or ``other``, from the ARN."""
        resource = self.id.split(":", 5)[-1]
        kind = resource.split("/", 1)[0]
        return kind if kind in ("user", "role", "group") and "/" in resource else "other"


@dataclass(frozen=True)
class Edge:
    """``source`` can act as ``target`` through ``method`` (``conditional`` when some part is).

    ``statements``: the source's policy statements that allow ``actions`` (and, for
    ``sts-assume-role``, the target's trust statement), for evidence.
    """

    source: str
    target: str
    method: str
    actions: tuple[str, ...]
    conditional: bool
    via_service: str | None = None
    requires_existing_resource: bool = False
    statements: tuple[dict[str, Any], ...] = field(default=(), compare=False)

    @property
    def via(self) -> str:
        """How, in one string: ``sts:AssumeRole``, ``iam:PassRole+sagemaker:CreateTrainingJob`` …"""
        return "+".join(dict.fromkeys(self.actions))

    def as_dict(self) -> dict[str, Any]:
        """Evidence as plain data."""
        return {
            "source": self.source,
            "target": self.target,
            "via": self.via,
            "method": self.method,
            "actions": list(self.actions),
            "conditional": self.conditional,
            "via_service": self.via_service,
            "requires_existing_resource": self.requires_existing_resource,
            "statements": [dict(s) for s in self.statements],
        }


def _origins_of(decisions: Iterable[Decision]) -> tuple[dict[str, Any], ...]:
    """The statements that allow the decisions' actions: policy, Sid, index and the actions each allows."""
    seen: dict[tuple[str, int], dict[str, Any]] = {}
    for decision in decisions:
        for origin in decision.allowed_by + decision.conditionally_allowed_by:
            entry = seen.setdefault((origin.policy, origin.ref.index), {**origin.as_dict(), "actions": []})
            entry["actions"].append(decision.action)
    return tuple(seen.values())


def _source_context(source: PrincipalNode) -> ConditionContext:
    return source.permissions.principal_context or principal_context(source.id, source.kind)


def _trust_statement_matches(stmt: Statement, source: PrincipalNode) -> bool:
    principal = stmt.principals
    if stmt.not_principals is not None:
        return source.id not in stmt.not_principals.aws
    if principal is None:
        return False
    if principal.star or "*" in principal.aws:
        return True
    roots = {source.account, f"arn:aws:iam::{source.account}:root"}
    return any(value == source.id or value in roots for value in principal.aws)


def trust_allows(trust: PolicyDocument, source: PrincipalNode) -> tuple[Verdict, bool]:
    """Whether a trust policy lets ``source`` call ``sts:AssumeRole``, and whether it names ``source`` itself.

    Conditions on what is known of the source (``aws:PrincipalArn``, ``aws:PrincipalAccount``,
    ``aws:PrincipalType``, ``aws:username``) are decided; others make the answer CONDITIONAL.
    """
    verdict, named = Verdict.NOT_ALLOWED, False
    context = _source_context(source)
    for stmt in trust.statements:
        if not (statement_matches_action(stmt, ASSUME_ROLE) and _trust_statement_matches(stmt, source)):
            continue
        certain = evaluate_conditions(stmt.conditions, context)
        if certain is False:
            continue
        if not stmt.is_allow:
            if certain:
                return Verdict.DENIED, False
            continue
        named = named or (stmt.principals is not None and source.id in stmt.principals.aws)
        if certain:
            verdict = Verdict.ALLOWED
        elif verdict is Verdict.NOT_ALLOWED:
            verdict = Verdict.CONDITIONAL
    return verdict, named


def trusted_services(trust: PolicyDocument) -> tuple[str, ...]:
    """The service principals an Allow of ``sts:AssumeRole`` names, in order."""
    found = (
        service
        for stmt in trust.statements
        if stmt.is_allow and statement_matches_action(stmt, ASSUME_ROLE) and stmt.principals is not None
        for service in stmt.principals.service
    )
    return tuple(dict.fromkeys(found))


def trusts_service(trust: PolicyDocument | None, service: str) -> bool:
    """Whether a trust policy lets an AWS service principal assume the role."""
    if trust is None:
        return False
    return any(
        stmt.is_allow
        and statement_matches_action(stmt, ASSUME_ROLE)
        and stmt.principals is not None
        and service in stmt.principals.service
        for stmt in trust.statements
    )


class _ArnIndex:
    """Sorted ARNs; the ones a list of resource patterns matches, found by literal prefix then pattern.

    ARNs are also sorted by their resource part (``user/alice``), for patterns whose account is ``*``
    (``arn:aws:iam::*:user/${aws:username}``, very common). Answers are cached per pattern list:
    principals with the same policies ask the same question.
    """

    def __init__(self, arns: Iterable[str]) -> None:
        self.arns = sorted(set(arns))
        self._by_resource = sorted((arn.split(":", 5)[-1], arn) for arn in self.arns if arn.count(":") >= 5)
        self._cache: dict[tuple[str, ...], list[str]] = {}

    def matching(self, patterns: tuple[str, ...] | None) -> list[str]:
        if patterns is None:
            return self.arns
        cached = self._cache.get(patterns)
        if cached is None:
            found: set[str] = set()
            for pattern in patterns:
                found.update(self._matching(pattern))
            cached = sorted(found)
            self._cache[patterns] = cached
        return cached

    def _matching(self, pattern: str) -> Iterator[str]:
        fields = pattern.split(":", 5)
        if len(fields) == 6 and fields[4] == "*" and not any(c in "".join(fields[:4]) for c in "*?$"):
            yield from self._matching_any_account(pattern, fields[5])
            return
        prefix = literal_prefix(pattern)
        everything = pattern == prefix + "*"  # "…:role/*": every ARN under the prefix, no pattern to run
        for i in range(bisect.bisect_left(self.arns, prefix), len(self.arns)):
            arn = self.arns[i]
            if not arn.startswith(prefix):
                break
            if everything or resource_match(pattern, arn) is not Match.NO:
                yield arn

    def _matching_any_account(self, pattern: str, resource: str) -> Iterator[str]:
        prefix = literal_prefix(resource)
        for i in range(bisect.bisect_left(self._by_resource, (prefix,)), len(self._by_resource)):
            part, arn = self._by_resource[i]
            if not part.startswith(prefix):
                break
            if resource_match(pattern, arn) is not Match.NO:
                yield arn


@dataclass
class _TrustIndex:
    """Roles by the AWS principals their trust policy names: an ARN, an account, or everyone.
    (Roles by service are the graph's ``service`` groups.)"""

    named: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    accounts: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    anyone: list[str] = field(default_factory=list)

    def add(self, role: PrincipalNode) -> None:
        for stmt in role.trust_policy.statements if role.trust_policy is not None else ():
            if not (stmt.is_allow and statement_matches_action(stmt, ASSUME_ROLE)):
                continue
            if stmt.not_principals is not None or (stmt.principals and stmt.principals.star):
                self.anyone.append(role.id)
                continue
            for value in (stmt.principals or Principal()).aws:
                self._aws(value, role.id)

    def _aws(self, value: str, role: str) -> None:
        if value == "*":
            self.anyone.append(role)
        elif (owner := account_of(value)) is not None and (value == owner or value.endswith(":root")):
            self.accounts[owner].append(role)
        else:
            self.named[value].append(role)

    def candidates(self, source: PrincipalNode) -> list[str]:
        """Roles whose trust may let ``source`` in (to be confirmed with :func:`trust_allows`)."""
        found = [*self.named.get(source.id, ()), *self.accounts.get(source.account or "", ()), *self.anyone]
        return sorted(set(found) - {source.id})


Group = tuple[str, ...]
# Target groups of fan-outs: every role trusted by a service, every user, every role that trusts the
# whole account (certainly or under a condition that does not depend on who asks).
_PRINCIPAL_KEYS = frozenset({"aws:principalarn", "aws:principalaccount", "aws:principaltype", "aws:username"})


def service_group(service: str, account: str | None) -> Group:
    return ("service", service, account or "")


def users_group(account: str | None) -> Group:
    return ("users", account or "")


def account_trust_group(account: str | None, verdict: Verdict) -> Group:
    return ("trusts-account", account or "", verdict.value)


@dataclass(frozen=True)
class FanOut:
    """``source`` can act as *every* member of ``group`` the same way: every role a service may assume
    (an existing resource runs with it, or the source may pass any role to the service), every user
    (``iam:CreateAccessKey`` on ``user/*``), every role that trusts the whole account (``sts:AssumeRole``
    on every role). Stored once, not as one edge per member, and expanded into edges on demand."""

    source: str
    group: Group
    method: str
    actions: tuple[str, ...]
    conditional: bool
    via_service: str | None = None
    requires_existing_resource: bool = False
    statements: tuple[dict[str, Any], ...] = ()

    def edge(self, target: str, extra: tuple[dict[str, Any], ...] = ()) -> Edge:
        """The edge to one member."""
        return Edge(
            self.source,
            target,
            self.method,
            self.actions,
            self.conditional,
            self.via_service,
            self.requires_existing_resource,
            self.statements + extra,
        )


def _method_fanout(source: str, group: Group, method: EscalationMethod, found: MethodMatch) -> FanOut:
    return FanOut(
        source,
        group,
        method.id,
        tuple(d.action for d in found.decisions),
        found.verdict is not Verdict.ALLOWED or method.existing_resource,
        method.service,
        method.existing_resource,
        _origins_of(found.decisions),
    )


def _other_groups(
    perms: EffectivePermissions, method: EscalationMethod, context: Mapping[str, str] | None
) -> tuple[Decision, ...] | None:
    """The decisions for a PassRole method's groups other than ``iam:PassRole`` (the same for every target)."""
    assert method.requires[0] == (PASS_ROLE,)
    chosen = []
    for group in method.requires[1:]:
        picked = _best(perms.allows(a, None, context) for a in group)
        if picked is None:
            return None
        chosen.append(picked)
    return tuple(chosen)


def _uniform_trust(role: PrincipalNode) -> Verdict | None:
    """ALLOWED / CONDITIONAL when the trust lets in every principal of the role's account the same way:
    its AWS principals are only the account (root or id), with no Deny, no NotPrincipal and no condition
    on who asks. ``None`` when the answer depends on the caller (then it is decided per caller)."""
    assert role.trust_policy is not None
    roots = {role.account, f"arn:aws:iam::{role.account}:root"}
    whole = []
    for stmt in role.trust_policy.statements:
        if not statement_matches_action(stmt, ASSUME_ROLE):
            continue
        if not stmt.is_allow or stmt.not_principals is not None or stmt.principals is None or stmt.principals.star:
            return None
        if not set(stmt.principals.aws) <= roots:
            return None
        if stmt.principals.aws:
            whole.append(stmt)
    if not whole or any(c.key_lower in _PRINCIPAL_KEYS for s in whole for c in s.conditions):
        return None
    context = {"aws:PrincipalAccount": role.account or ""}  # as for any caller: the keys that matter are absent
    results = [evaluate_conditions(s.conditions, context) for s in whole]
    if True in results:
        return Verdict.ALLOWED
    return Verdict.CONDITIONAL if None in results else None


@dataclass
class EscalationGraph:
    """Principals and "can act as" edges between them. Pure data in, data out.

    Built with indexes, not by examining every pair: roles are indexed by who their trust names
    (ARN, account, everyone, service), and a source's candidates are looked up there and among the
    ARNs its resource patterns for ``sts:AssumeRole`` / ``iam:PassRole`` / ``iam:CreateAccessKey`` …
    match (sorted ARNs, literal prefix then pattern). When one decision holds for every role (or
    user) of the account — a grant covering ``role/*`` and no Deny that mentions the action — the
    edges to a whole group are stored once (:class:`FanOut`): every role a service may assume, every
    user, every role that trusts the account. Shortest paths to admin are computed for every
    principal at once, by one breadth-first search backwards from the admin-equivalent principals;
    a group is expanded there once, when its first member is reached.
    """

    principals: Sequence[PrincipalNode]
    admin_equivalent: dict[str, list[str]] = field(init=False)

    def __post_init__(self) -> None:
        self._nodes = {p.id: p for p in sorted(self.principals, key=lambda p: p.id)}
        roles = [p for p in self._nodes.values() if p.kind == "role"]
        self._roles = _ArnIndex(p.id for p in roles)
        self._users = _ArnIndex(p.id for p in self._nodes.values() if p.kind == "user")
        self._groups = _ArnIndex(p.id for p in self._nodes.values() if p.kind == "group")
        self._trust = _TrustIndex()
        self._members: dict[Group, list[str]] = defaultdict(list)
        for role in roles:
            self._trust.add(role)
            self._add_role_groups(role)
        for user in self._users.arns:
            self._members[users_group(self._nodes[user].account)].append(user)
        self._groups_of: dict[str, list[Group]] = defaultdict(list)
        for group, members in self._members.items():
            for member in members:
                self._groups_of[member].append(group)
        self.admin_equivalent = {p.id: reasons for p in self._nodes.values() if (reasons := _admin_reasons(p))}
        self._adjacency: dict[str, list[Edge]] = {}
        self._fanouts: dict[str, list[FanOut]] = {}
        self._fanouts_to: dict[Group, list[FanOut]] = defaultdict(list)
        for node in self._nodes.values():
            edges, fanouts = self._from(node)
            self._adjacency[node.id] = edges
            self._fanouts[node.id] = fanouts
            for fanout in fanouts:
                self._fanouts_to[fanout.group].append(fanout)
        self._incoming: dict[str, list[Edge]] = defaultdict(list)
        for edges in self._adjacency.values():
            for edge in edges:
                self._incoming[edge.target].append(edge)
        self._hops: dict[tuple[bool, frozenset[str]], dict[str, Edge | None]] = {}

    def _add_role_groups(self, role: PrincipalNode) -> None:
        if role.trust_policy is None:
            return
        for service in trusted_services(role.trust_policy):
            self._members[service_group(service, role.account)].append(role.id)
        verdict = _uniform_trust(role)
        if verdict is not None:
            self._members[account_trust_group(role.account, verdict)].append(role.id)

    # --- reading -----------------------------------------------------------------------------

    @functools.cached_property
    def edges(self) -> list[Edge]:
        """Every edge, fan-outs expanded (for reports and tests: the searches do not need this list)."""
        return [edge for source in self._nodes for edge in self.edges_from(source)]

    @property
    def edge_count(self) -> int:
        """How many edges there are, fan-outs counted as their edges (without building them)."""
        explicit = sum(len(edges) for edges in self._adjacency.values())
        return explicit + sum(len(self._targets(f)) for fans in self._fanouts.values() for f in fans)

    def edges_from(self, source: str) -> list[Edge]:
        """Every edge leaving ``source``."""
        out = list(self._adjacency.get(source, ()))
        for fanout in self._fanouts.get(source, ()):
            out.extend(self._expand(fanout, t) for t in self._targets(fanout))
        return out

    def edges_to(self, target: str) -> list[Edge]:
        """Every edge arriving at ``target``."""
        out = list(self._incoming.get(target, ()))
        for group in self._groups_of.get(target, ()):
            out.extend(self._expand(f, target) for f in self._fanouts_to.get(group, ()) if f.source != target)
        return out

    def _targets(self, fanout: FanOut) -> list[str]:
        return [t for t in self._members.get(fanout.group, ()) if t != fanout.source]

    def _expand(self, fanout: FanOut, target: str) -> Edge:
        if fanout.method != "sts-assume-role":
            return fanout.edge(target)
        return fanout.edge(target, _trust_refs(self._nodes[target], self._nodes[fanout.source]))

    # --- building ----------------------------------------------------------------------------

    def _from(self, source: PrincipalNode) -> tuple[list[Edge], list[FanOut]]:
        possible = source.permissions.possible_anywhere(method_actions())
        edges: list[Edge] = []
        fanouts: list[FanOut] = []
        self._assume(source, possible, edges, fanouts)
        for method in satisfiable_methods(source.permissions):
            if method.service is not None:
                self._service(source, method, edges, fanouts)
            elif method.id in CREDENTIAL_METHODS:
                self._credentials(source, method, edges, fanouts)
        if source.kind in ("user", "group") and ADD_USER_TO_GROUP in possible:
            edges.extend(self._group_edges(source))
        if source.id not in self.admin_equivalent:  # an administrator needs no takeover
            edges.extend(self._takeover_edges(source, possible, edges, fanouts))
        return edges, fanouts

    def _alike(self, perms: EffectivePermissions, action: str, targets: Iterable[str]) -> list[list[str]]:
        """``targets`` in classes that the same Resource / NotResource patterns of the statements covering
        ``action`` match: one decision serves a whole class (the first member stands for it)."""
        patterns, _ = perms.resource_elements(action)
        classes: dict[tuple[Match, ...], list[str]] = {}
        for target in targets:
            classes.setdefault(tuple(resource_match(p, target) for p in patterns), []).append(target)
        return list(classes.values())

    def _uniform(
        self, source: PrincipalNode, action: str, kind: str, context: Mapping[str, str] | None = None
    ) -> Decision | None:
        """The decision for every ``kind`` (``role`` / ``user``) of the source's account when one decision holds
        for all of them: a grant covering ``arn:aws:iam::ACCOUNT:role/*``, no Deny that mentions the action,
        and (when that grant is conditional) no narrower grant that could decide some of them otherwise."""
        perms = source.permissions
        every = f"arn:aws:iam::{source.account}:{kind}/*"
        probe = perms.allows(action, every, context)
        if not probe.possible or perms.mentions_deny(action):
            return None
        return probe if probe.allowed or perms.allows_alike(action, every) else None

    def _assume(
        self, source: PrincipalNode, possible: frozenset[str], edges: list[Edge], fanouts: list[FanOut]
    ) -> None:
        candidates = self._trust.candidates(source)
        if not candidates:
            return
        uniform = self._uniform(source, ASSUME_ROLE, "role") if ASSUME_ROLE in possible else None
        if uniform is not None:
            grouped = self._assume_fanouts(source, uniform, fanouts)
            candidates = [c for c in candidates if c not in grouped]
        else:
            named = set(self._trust.named.get(source.id, ()))
            patterns = source.permissions.resource_patterns(ASSUME_ROLE) if ASSUME_ROLE in possible else ()
            reachable = set(self._roles.matching(patterns))
            candidates = [c for c in candidates if c in named or c in reachable]
        for target in candidates:
            node = self._nodes[target]
            edge = _assume_edge(source, node, uniform if node.account == source.account else None)
            if edge is not None:
                edges.append(edge)

    def _assume_fanouts(self, source: PrincipalNode, uniform: Decision, fanouts: list[FanOut]) -> set[str]:
        """``sts:AssumeRole`` on every role: one fan-out to the roles that trust the whole account."""
        grouped: set[str] = set()
        for verdict in (Verdict.ALLOWED, Verdict.CONDITIONAL):
            group = account_trust_group(source.account, verdict)
            if any(t != source.id for t in self._members.get(group, ())):
                conditional = verdict is Verdict.CONDITIONAL or not uniform.allowed
                statements = _origins_of([uniform])
                fanouts.append(
                    FanOut(source.id, group, "sts-assume-role", (ASSUME_ROLE,), conditional, None, False, statements)
                )
                grouped.update(self._members[group])
        return grouped

    def _service(
        self, source: PrincipalNode, method: EscalationMethod, edges: list[Edge], fanouts: list[FanOut]
    ) -> None:
        assert method.service is not None
        group = service_group(method.service, source.account)
        if not any(t != source.id for t in self._members.get(group, ())):
            return
        perms, context = source.permissions, _context(method)
        if method.existing_resource or not method.passes_role:
            found = match_method(perms, method, None, context)
            fanouts.extend([_method_fanout(source.id, group, method, found)] if found else [])
            return
        if self._uniform(source, PASS_ROLE, "role", context) is not None:
            found = match_method(perms, method, {PASS_ROLE: f"arn:aws:iam::{source.account}:role/*"}, context)
            fanouts.extend([_method_fanout(source.id, group, method, found)] if found else [])
            return
        others = _other_groups(perms, method, context)
        if others is None:
            return
        passable = set(self._roles.matching(perms.resource_patterns(PASS_ROLE)))
        targets = [t for t in self._members[group] if t in passable and t != source.id]
        for members in self._alike(perms, PASS_ROLE, targets):
            decision = perms.allows(PASS_ROLE, members[0], context)
            if decision.possible:
                chosen = (decision, *others)
                verdict = Verdict.ALLOWED if all(d.allowed for d in chosen) else Verdict.CONDITIONAL
                same = _method_fanout(source.id, (), method, MethodMatch(method, verdict, chosen))
                edges.extend(same.edge(t) for t in members)

    def _credentials(
        self, source: PrincipalNode, method: EscalationMethod, edges: list[Edge], fanouts: list[FanOut]
    ) -> None:
        """Credentials of another user: on every user at once, or on the users the resource patterns name."""
        (action,) = method.actions
        perms = source.permissions
        if self._uniform(source, action, "user") is not None:
            found = match_method(perms, method, {action: f"arn:aws:iam::{source.account}:user/*"})
            fanouts.extend([_method_fanout(source.id, users_group(source.account), method, found)] if found else [])
            return
        targets = [t for t in self._users.matching(perms.resource_patterns(action)) if t != source.id]
        for members in self._alike(perms, action, targets):
            found = match_method(perms, method, {action: members[0]})
            if found is not None:
                same = _method_fanout(source.id, (), method, found)
                edges.extend(same.edge(t) for t in members)

    def _group_edges(self, source: PrincipalNode) -> list[Edge]:
        """A user (or a group's member) may add itself to another group."""
        perms = source.permissions
        out = []
        for target in self._groups.matching(perms.resource_patterns(ADD_USER_TO_GROUP)):
            if target == source.id or target in source.groups:
                continue
            decision = perms.allows(ADD_USER_TO_GROUP, target)
            if decision.possible:
                out.append(_decision_edge(source.id, target, "iam-add-user-to-group", decision))
        return out

    def _takeover_edges(
        self, source: PrincipalNode, possible: frozenset[str], reached: list[Edge], fanouts: list[FanOut]
    ) -> list[Edge]:
        """Rewrite a role's trust (then assume it), or the policies of a role the source can act as."""
        out = self._trust_rewrite_edges(source) if UPDATE_TRUST in possible else []
        actions = [(m, a) for m, a in ROLE_POLICY_ACTIONS.items() if a in possible]
        for method_id, action in actions:
            out.extend(self._role_policy_edges(source, method_id, action, reached, fanouts))
        return out

    def _trust_rewrite_edges(self, source: PrincipalNode) -> list[Edge]:
        """``iam:UpdateAssumeRolePolicy``: a trust naming the source in its own account needs no more."""
        perms = source.permissions
        out = []
        for target in self._roles.matching(perms.resource_patterns(UPDATE_TRUST)):
            if target != source.id and self._nodes[target].account == source.account:
                decision = perms.allows(UPDATE_TRUST, target)
                if decision.possible:
                    out.append(_decision_edge(source.id, target, "iam-update-assume-role-policy", decision))
        return out

    def _role_policy_edges(
        self, source: PrincipalNode, method_id: str, action: str, reached: list[Edge], fanouts: list[FanOut]
    ) -> list[Edge]:
        """``iam:AttachRolePolicy`` / ``iam:PutRolePolicy`` on a role the source can act as: it can make it admin."""
        perms = source.permissions
        how: dict[str, Edge | FanOut] = {}
        for edge in reached:
            if self._nodes[edge.target].kind == "role":
                how.setdefault(edge.target, edge)
        out = []
        for target in self._roles.matching(perms.resource_patterns(action)):
            way = how.get(target) or next((f for f in fanouts if target in self._targets(f)), None)
            if way is None:
                continue
            decision = perms.allows(action, target)
            if decision.possible:
                step = way if isinstance(way, Edge) else self._expand(way, target)
                out.append(_decision_edge(source.id, target, method_id, decision, step))
        return out

    # --- paths -------------------------------------------------------------------------------

    def _predecessors(self, node: str, expanded: set[Group]) -> Iterator[Edge]:
        """Edges into ``node``: explicit ones, then the fan-outs to the groups it is in (each group once:
        its first member reached is its nearest)."""
        yield from self._incoming.get(node, ())
        for group in self._groups_of.get(node, ()):
            if group in expanded:
                continue
            expanded.add(group)
            for fanout in self._fanouts_to.get(group, ()):
                if fanout.source != node:
                    yield self._expand(fanout, node)

    def next_hops(self, *, include_conditional: bool = True, avoiding: Iterable[str] = ()) -> dict[str, Edge | None]:
        """For every principal that reaches an admin-equivalent one, the first edge of a shortest path
        (``None``: it is admin-equivalent itself). Principals in ``avoiding`` are neither admin nor
        used as a step (their permissions are uncertain). One backwards search for all principals."""
        key = (include_conditional, frozenset(avoiding))
        cached = self._hops.get(key)
        if cached is None:
            cached = self._search(include_conditional, key[1])
            self._hops[key] = cached
        return cached

    def _search(self, include_conditional: bool, avoiding: frozenset[str]) -> dict[str, Edge | None]:
        hops: dict[str, Edge | None] = {a: None for a in self.admin_equivalent if a not in avoiding}
        expanded: set[Group] = set()

        def usable(edge: Edge) -> bool:
            return edge.source not in avoiding and (include_conditional or not edge.conditional)

        frontier = list(hops)
        seeds = []
        for source, edges in self._adjacency.items():
            grants = next((e for e in edges if e.method in GRANTS_ADMIN_METHODS and usable(e)), None)
            if grants is not None and source not in hops:
                hops[source] = grants
                seeds.append(source)
        while frontier or seeds:
            following, seeds = seeds, []
            for node in frontier:
                for edge in self._predecessors(node, expanded):
                    if usable(edge) and edge.source not in hops:
                        hops[edge.source] = edge
                        following.append(edge.source)
            frontier = following
        return hops

    def shortest_path_to_admin(
        self, source: str, *, include_conditional: bool = True, avoiding: Iterable[str] = ()
    ) -> list[Edge] | None:
        """The fewest edges from ``source`` to an admin-equivalent principal; ``[]`` if it is one.

        A path also ends with an edge that lets the source rewrite the policies of a role it can act
        as (``iam-attach-role-policy``, ``iam-put-role-policy``): that role can be made admin.
        """
        hops = self.next_hops(include_conditional=include_conditional, avoiding=avoiding)
        if source not in hops:
            return None
        path: list[Edge] = []
        edge = hops[source]
        while edge is not None:
            path.append(edge)
            if edge.method in GRANTS_ADMIN_METHODS or edge.target not in hops:
                break
            edge = hops[edge.target]
        return path

    def paths_to_admin(self, *, include_conditional: bool = True) -> dict[str, list[Edge]]:
        """For every principal that is not admin-equivalent but reaches one, its shortest path."""
        out = {}
        for node in self._nodes:
            path = self.shortest_path_to_admin(node, include_conditional=include_conditional)
            if path:
                out[node] = path
        return out

    def reachable(self, source: str) -> frozenset[str]:
        """Every principal ``source`` has a path to (itself included)."""
        seen = {source}
        frontier = [source]
        while frontier:
            following = []
            for node in frontier:
                for edge in self.edges_from(node):
                    if edge.target not in seen:
                        seen.add(edge.target)
                        following.append(edge.target)
            frontier = following
        return frozenset(seen)

    def reaching(self, targets: Iterable[str], *, include_conditional: bool = True) -> frozenset[str]:
        """Every principal with a path to one of ``targets`` (the targets included)."""
        seen = set(targets)
        frontier = list(seen)
        expanded: set[Group] = set()
        while frontier:
            following = []
            for node in frontier:
                for edge in self._predecessors(node, expanded):
                    if edge.source not in seen and (include_conditional or not edge.conditional):
                        seen.add(edge.source)
                        following.append(edge.source)
            frontier = following
        return frozenset(seen)


def _method_edge(source: str, target: str, method: EscalationMethod, found: MethodMatch) -> Edge:
    return Edge(
        source,
        target,
        method.id,
        tuple(d.action for d in found.decisions),
        conditional=found.verdict is not Verdict.ALLOWED or method.existing_resource,
        via_service=method.service,
        requires_existing_resource=method.existing_resource,
        statements=_origins_of(found.decisions),
    )


def _decision_edge(source: str, target: str, method: str, decision: Decision, reached: Edge | None = None) -> Edge:
    actions = (decision.action, *(reached.actions if reached else ()))
    conditional = decision.verdict is not Verdict.ALLOWED or (reached is not None and reached.conditional)
    statements = _origins_of([decision]) + (reached.statements if reached else ())
    return Edge(source, target, method, actions, conditional, statements=statements)


def _admin_reasons(node: PrincipalNode) -> list[str]:
    """Why a principal is admin-equivalent: ``admin``, or IAM actions that let it grant itself anything
    (:func:`self_escalations`, ALLOWED)."""
    if node.permissions.is_admin:
        return ["admin"]
    own = Own(node.id, node.kind, node.groups, node.policies)
    reasons = ["+".join(dict.fromkeys(d.action for d in m.decisions)) for m in self_escalations(node.permissions, own)
               if m.verdict is Verdict.ALLOWED]  # fmt: skip
    return list(dict.fromkeys(reasons))


def _assume_edge(source: PrincipalNode, target: PrincipalNode, everywhere: Decision | None = None) -> Edge | None:
    """``sts:AssumeRole``: the trust lets the source in, and its identity policies allow it (``everywhere``:
    the decision for every resource, when it holds for each one) — or the trust names the source in
    the same account, which needs no identity grant."""
    if target.trust_policy is None:
        return None
    trust, named = trust_allows(target.trust_policy, source)
    if trust not in (Verdict.ALLOWED, Verdict.CONDITIONAL):
        return None
    identity = everywhere or source.permissions.allows(ASSUME_ROLE, target.id)
    same_account_named = (
        named
        and source.account == target.account
        and _named_assume_possible(source.permissions, target.id, source.kind == "role")
    )
    if not (identity.possible or same_account_named):
        return None
    conditional = trust is Verdict.CONDITIONAL or (identity.verdict is Verdict.CONDITIONAL and not same_account_named)
    statements = _origins_of([identity]) + _trust_refs(target, source)
    return Edge(source.id, target.id, "sts-assume-role", (ASSUME_ROLE,), conditional, statements=statements)


def _trust_refs(target: PrincipalNode, source: PrincipalNode) -> tuple[dict[str, Any], ...]:
    """The trust statements of ``target`` that let ``source`` in, for evidence."""
    if target.trust_policy is None:
        return ()
    return tuple(
        {"policy": "trust", **s.ref.as_dict()}
        for s in target.trust_policy.statements
        if s.is_allow and statement_matches_action(s, ASSUME_ROLE) and _trust_statement_matches(s, source)
    )
