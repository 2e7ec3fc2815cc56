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

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cspm.iam.evaluate import Decision, EffectivePermissions, Verdict
from cspm.iam.policy import PolicyDocument, Statement
from cspm.iam.principals import account_of
from cspm.iam.statements import statement_matches_action

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
    # IAM only
    _m("iam-create-access-key", "Create an access key for another user", "iam:CreateAccessKey", target="user"),
    _m("iam-create-login-profile", "Set a console password for a user without one", "iam:CreateLoginProfile",
       target="user"),
    _m("iam-update-login-profile", "Change another user's console password", "iam:UpdateLoginProfile",
       target="user"),
    _m("iam-create-policy-version", "Rewrite a managed policy attached to you", "iam:CreatePolicyVersion"),
    _m("iam-set-default-policy-version", "Switch a managed policy to a more permissive version",
       "iam:SetDefaultPolicyVersion"),
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
}
# Allowed on every resource, these let a principal rewrite policies attached to it or join a group.
ANY_TARGET_ESCALATION_ACTIONS = {
    "user": ("iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:AttachGroupPolicy",
             "iam:PutGroupPolicy", "iam:AddUserToGroup"),
    "role": ("iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion"),
}  # fmt: skip


@dataclass(frozen=True)
class MethodMatch:
    """An escalation method the principal's permissions satisfy, with the decisions as evidence."""

    method: EscalationMethod
    verdict: Verdict
    decisions: tuple[Decision, ...]

    def as_dict(self) -> dict[str, Any]:
        """Evidence as plain data."""
        return {
            "method": self.method.id,
            "description": self.method.description,
            "verdict": self.verdict.value,
            "actions": [d.action for d in self.decisions],
            "statements": [o.as_dict() for d in self.decisions for o in d.allowed_by + d.conditionally_allowed_by],
        }


_ORDER = [Verdict.DENIED, Verdict.NOT_ALLOWED, Verdict.CONDITIONAL, Verdict.ALLOWED]


def _best(decisions: Iterable[Decision]) -> Decision | None:
    best = max(decisions, key=lambda d: _ORDER.index(d.verdict), default=None)
    return best if best is not None and best.possible else None


def match_method(
    perms: EffectivePermissions,
    method: EscalationMethod,
    resources: dict[str, str | None] | None = None,
    context: dict[str, str] | None = None,
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


def escalation_methods(perms: EffectivePermissions) -> list[MethodMatch]:
    """Every escalation method whose actions are all allowed (on some resource) by ``perms``.

    These are *potential* escalations: whether the passed role or the targeted user is more
    privileged is for :class:`EscalationGraph` to say.
    """
    out = []
    for method in METHODS:
        found = match_method(perms, method)
        if found is not None:
            out.append(found)
    return out


@dataclass(frozen=True)
class PrincipalNode:
    """A principal for the graph: its ARN, effective permissions and (roles) trust policy."""

    id: str
    permissions: EffectivePermissions
    trust_policy: PolicyDocument | None = None

    @property
    def account(self) -> str | None:
        """The account in the ARN."""
        return account_of(self.id)

    @property
    def kind(self) -> str:
        """``user``, ``role``, or ``other`` from the ARN."""
        resource = self.id.split(":", 5)[-1]
        return resource.split("/", 1)[0] if resource.startswith(("user/", "role/")) else "other"


@dataclass(frozen=True)
class Edge:
    """``source`` can act as ``target`` through ``method`` (``conditional`` when some part is)."""

    source: str
    target: str
    method: str
    actions: tuple[str, ...]
    conditional: bool
    via_service: str | None = None
    requires_existing_resource: bool = False

    def as_dict(self) -> dict[str, Any]:
        """Evidence as plain data."""
        return {
            "source": self.source,
            "target": self.target,
            "method": self.method,
            "actions": list(self.actions),
            "conditional": self.conditional,
            "via_service": self.via_service,
            "requires_existing_resource": self.requires_existing_resource,
        }


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
    """Whether a trust policy lets ``source`` call ``sts:AssumeRole``, and whether it names ``source`` itself."""
    verdict, named = Verdict.NOT_ALLOWED, False
    for stmt in trust.statements:
        if not (statement_matches_action(stmt, "sts:AssumeRole") and _trust_statement_matches(stmt, source)):
            continue
        if not stmt.is_allow:
            if not stmt.conditions:
                return Verdict.DENIED, False
            continue
        named = named or (stmt.principals is not None and source.id in stmt.principals.aws)
        if not stmt.conditions:
            verdict = Verdict.ALLOWED
        elif verdict is Verdict.NOT_ALLOWED:
            verdict = Verdict.CONDITIONAL
    return verdict, named


def trusts_service(trust: PolicyDocument | None, service: str) -> bool:
    """Whether a trust policy lets an AWS service principal assume the role."""
    if trust is None:
        return False
    return any(
        stmt.is_allow
        and statement_matches_action(stmt, "sts:AssumeRole")
        and stmt.principals is not None
        and service in stmt.principals.service
        for stmt in trust.statements
    )


@dataclass
class EscalationGraph:
    """Principals and "can act as" edges between them. Pure data in, data out."""

    principals: Sequence[PrincipalNode]
    edges: list[Edge] = field(init=False)
    admin_equivalent: dict[str, list[str]] = field(init=False)

    def __post_init__(self) -> None:
        self._adjacency: dict[str, list[Edge]] = {p.id: self._edges_from(p) for p in self.principals}
        self.edges = [edge for edges in self._adjacency.values() for edge in edges]
        self.admin_equivalent = {p.id: reasons for p in self.principals if (reasons := _admin_reasons(p))}

    def edges_from(self, source: str) -> list[Edge]:
        """Every edge leaving ``source``."""
        return list(self._adjacency.get(source, ()))

    def _edges_from(self, source: PrincipalNode) -> list[Edge]:
        # Methods impossible on every resource cannot give an edge to any target: test them once.
        methods = tuple(m for m in METHODS if _possible_somewhere(source.permissions, m))
        out: list[Edge] = []
        for target in self.principals:
            if target.id == source.id:
                continue
            if target.kind == "role":
                out.extend(_role_edges(source, target, methods))
            elif target.kind == "user":
                out.extend(_user_edges(source, target, methods))
        return out

    def shortest_path_to_admin(self, source: str, *, include_conditional: bool = True) -> list[Edge] | None:
        """The fewest edges from ``source`` to an admin-equivalent principal; ``[]`` if it is one.

        A path also ends with an edge that lets the source rewrite the policies of the role it reaches
        (``iam-attach-role-policy``, ``iam-put-role-policy``): that role can be made admin.
        """
        if source in self.admin_equivalent:
            return []
        previous: dict[str, Edge] = {}
        queue, seen = deque([source]), {source}
        while queue:
            current = queue.popleft()
            for edge in self.edges_from(current):
                if edge.conditional and not include_conditional:
                    continue
                if edge.target in self.admin_equivalent or edge.method in GRANTS_ADMIN_METHODS:
                    return [*_unwind(previous, source, current), edge]
                if edge.target not in seen:
                    previous[edge.target] = edge
                    seen.add(edge.target)
                    queue.append(edge.target)
        return None

    def paths_to_admin(self, *, include_conditional: bool = True) -> dict[str, list[Edge]]:
        """For every principal that is not admin-equivalent but reaches one, its shortest path."""
        out = {}
        for node in self.principals:
            path = self.shortest_path_to_admin(node.id, include_conditional=include_conditional)
            if path:
                out[node.id] = path
        return out


def _unwind(previous: dict[str, Edge], source: str, target: str) -> list[Edge]:
    path = []
    while target != source:
        edge = previous[target]
        path.append(edge)
        target = edge.source
    return path[::-1]


def _admin_reasons(node: PrincipalNode) -> list[str]:
    """Why a principal is admin-equivalent: ``admin``, or IAM actions that let it grant itself anything."""
    if node.permissions.is_admin:
        return ["admin"]
    reasons = [
        action
        for action in SELF_ESCALATION_ACTIONS.get(node.kind, ())
        if node.permissions.allows(action, node.id).allowed
    ]
    reasons += [
        action for action in ANY_TARGET_ESCALATION_ACTIONS.get(node.kind, ()) if node.permissions.allows(action).allowed
    ]
    return reasons


def _assume_edge(source: PrincipalNode, target: PrincipalNode) -> Edge | None:
    if target.trust_policy is None:
        return None
    trust, named = trust_allows(target.trust_policy, source)
    if trust not in (Verdict.ALLOWED, Verdict.CONDITIONAL):
        return None
    identity = source.permissions.allows("sts:AssumeRole", target.id)
    same_account_named = named and source.account == target.account and identity.verdict is not Verdict.DENIED
    if not (identity.possible or same_account_named):
        return None
    conditional = trust is Verdict.CONDITIONAL or (identity.verdict is Verdict.CONDITIONAL and not same_account_named)
    return Edge(source.id, target.id, "sts-assume-role", ("sts:AssumeRole",), conditional)


def _possible_somewhere(perms: EffectivePermissions, method: EscalationMethod) -> bool:
    context = {"iam:PassedToService": method.service} if method.passes_role and method.service else None
    return match_method(perms, method, None, context) is not None


def _takeover_edges(source: PrincipalNode, target: PrincipalNode, methods: Sequence[EscalationMethod]) -> list[Edge]:
    """Rewrite a role's policies or trust, then assume it (the identity policy must allow both)."""
    out = []
    for method in methods:
        if method.id not in ROLE_TAKEOVER_METHODS:
            continue
        found = match_method(source.permissions, method, {a: target.id for a in method.actions})
        if found is not None:
            actions = tuple(d.action for d in found.decisions)
            out.append(Edge(source.id, target.id, method.id, actions, conditional=found.verdict is not Verdict.ALLOWED))
    return out


def _role_edges(source: PrincipalNode, target: PrincipalNode, methods: Sequence[EscalationMethod]) -> list[Edge]:
    out = [e for e in [_assume_edge(source, target)] if e is not None]
    out.extend(_takeover_edges(source, target, methods))
    for method in methods:
        if method.service is None or not trusts_service(target.trust_policy, method.service):
            continue
        resources: dict[str, str | None] = {PASS_ROLE: target.id}
        context = {"iam:PassedToService": method.service} if method.passes_role else None
        found = match_method(source.permissions, method, resources, context)
        if found is not None:
            out.append(
                Edge(
                    source.id,
                    target.id,
                    method.id,
                    tuple(d.action for d in found.decisions),
                    conditional=found.verdict is not Verdict.ALLOWED or method.existing_resource,
                    via_service=method.service,
                    requires_existing_resource=method.existing_resource,
                )
            )
    return out


def _user_edges(source: PrincipalNode, target: PrincipalNode, methods: Sequence[EscalationMethod]) -> list[Edge]:
    out = []
    for method in methods:
        if method.id not in CREDENTIAL_METHODS:
            continue
        found = match_method(source.permissions, method, {a: target.id for a in method.actions})
        if found is not None:
            out.append(
                Edge(
                    source.id,
                    target.id,
                    method.id,
                    tuple(d.action for d in found.decisions),
                    conditional=found.verdict is not Verdict.ALLOWED,
                )
            )
    return out
