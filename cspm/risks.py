"""Risks: failing findings correlated along the AI lineage and the IAM graph into ranked attack paths.

Pure: a report in, risks out (no cloud, no clock), so ``cspm risks report.json`` computes the same
risks from a report of a cspm that did not write them yet, and muting recomputes them. A risk
is one path of the lineage, from where an attacker starts (the *entry*: a public bucket, an
internet-reachable notebook, an image repository) to what they reach (the *impact*: a serving
endpoint, an administrator role), with the failing findings that open each step, a score and the
one change that breaks the path (docs/risks.md).

A kind of risk is one row of :data:`KINDS`: a name, the checks whose failures it combines, and a
finder that walks the graph and yields :class:`Candidate` paths. A new kind (Bedrock, model
artifact verdicts) is one finder and one row; scoring, ids, ordering and rendering are shared.

Scoring (documented factors, each ``{value, contribution, why}``):

- ``severity``: the highest severity among the combined findings (critical 40, high 30, medium
  20, low 10, informational 0);
- ``exposure``: who can start the path (internet 30, another account 20, the callers of an
  endpoint 20, the account 10);
- ``blast_radius``: what the path reaches (administrator of the account 30, a serving endpoint or
  provisioned throughput 25, a Bedrock agent 25, an idle endpoint 15, a model 15, a training job 5);
- ``uncertainty``: -5 per unresolved edge of the path, at most -15 (the path may not go on).

``score`` is their sum, 0-100; ``severity`` of the risk: critical from 80, high from 60, medium
from 40, else low.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from cspm.lineage import (
    AGENT,
    BUCKET,
    CUSTOM_MODEL,
    CUSTOMIZATION_JOB,
    ENDPOINT,
    HOSTS,
    IMAGE,
    IN_BUCKET,
    IN_REPOSITORY,
    INVOKES,
    KNOWLEDGE_BASE,
    LOADS,
    MODEL,
    MODEL_PACKAGE,
    NOTEBOOK,
    PROVISIONED_THROUGHPUT,
    READS,
    RETRIEVES,
    ROLE,
    RUNS,
    RUNS_AS,
    SERVES,
    TRAINED_BY,
    TRAINING_JOB,
    WRITES,
    label,
    parse_s3_uri,
)
from cspm.models import (
    Finding,
    Lineage,
    LineageEdge,
    LineageNode,
    Risk,
    RiskFactor,
    RiskFix,
    RiskPath,
    ScanReport,
    Severity,
    Status,
    risk_uid,
)

# ---------------------------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------------------------

SEVERITY_POINTS = {
    Severity.CRITICAL: 40,
    Severity.HIGH: 30,
    Severity.MEDIUM: 20,
    Severity.LOW: 10,
    Severity.INFORMATIONAL: 0,
}
EXPOSURE_POINTS = {"internet": 30, "other_account": 20, "invokers": 20, "account": 10}
EXPOSURE_WHY = {
    "internet": "anyone on the internet can start the path",
    "other_account": "principals of another account (or another registry's owner) can start the path",
    "invokers": "whoever sends the endpoint requests (its applications and their users) reaches its container",
    "account": "principals of the account can start the path",
}
BLAST_POINTS = {"admin": 30, "endpoint": 25, "agent": 25, "idle_endpoint": 15, "model": 15, "training_job": 5}
BLAST_WHY = {
    "admin": "the path ends at administrator access to the account",
    "endpoint": "the path ends at an endpoint serving predictions (InService, or a status the report does not say)",
    "agent": "the path ends at a Bedrock agent: what it retrieves is part of every prompt, and steers its tools",
    "idle_endpoint": "the path ends at an endpoint that is not InService: it serves nothing now",
    "model": "the path ends at a model no endpoint of the report serves",
    "training_job": "the path ends at a training job whose output no model of the report loads",
}
UNRESOLVED_PENALTY = 5
MAX_UNRESOLVED_PENALTY = 15
SEVERITY_FROM = ((80, Severity.CRITICAL), (60, Severity.HIGH), (40, Severity.MEDIUM))
ESCALATES_TO = "escalates_to"  # a step of an IAM escalation path (aws.iam.*_cannot_reach_admin evidence)

# Checks whose failures open a step of a path.
PUBLIC_BUCKET = "aws.s3.bucket_is_not_public"
DATA_WRITABLE = "aws.lineage.training_data_is_not_broadly_writable"
TRAINING_ROLE_ADMIN = "aws.lineage.training_role_cannot_escalate_to_admin"
ROLE_IS_ADMIN = "aws.iam.role_is_not_admin"
ROLE_REACHES_ADMIN = "aws.iam.role_cannot_reach_admin"
NOTEBOOK_INTERNET = "aws.sagemaker.notebook_has_no_direct_internet_access"
MODEL_IMAGES = "aws.lineage.model_images_are_scanned_and_immutable"
ARTIFACTS = "aws.lineage.endpoint_model_artifacts_are_protected"
MODEL_ISOLATED = "aws.sagemaker.model_has_network_isolation"
REPO_PUBLIC = "aws.ecr.repository_is_not_public"
REPO_CROSS_ACCOUNT = "aws.ecr.repository_allows_no_unguarded_cross_account_access"
REPO_MUTABLE = "aws.ecr.repository_tags_are_immutable"
REPO_IMAGE_CHECKS = frozenset(
    {REPO_MUTABLE, "aws.ecr.repository_scans_images", "aws.ecr.images_in_use_have_no_critical_or_high_findings"}
)
ADMIN_CHECKS = (ROLE_IS_ADMIN, ROLE_REACHES_ADMIN)
UNGUARDED_AGENT_ADMIN = "aws.lineage.unguarded_agent_tools_cannot_reach_admin"
KB_DATA_WRITABLE = "aws.lineage.agent_knowledge_base_data_is_not_broadly_writable"
PROVISIONED_DATA_WRITABLE = "aws.lineage.provisioned_model_training_data_is_not_broadly_writable"
UNSAFE_ARTIFACT = "aws.sagemaker.model_artifact_is_free_of_unsafe_code"
GCP_UNSAFE_ARTIFACT = "gcp.vertex.model_artifact_is_free_of_unsafe_code"
GCP_MODEL = "gcp.vertex.model"
PICKLED_ARTIFACT = "aws.sagemaker.model_artifact_uses_safe_format"
# Google Cloud (cspm.lineage_gcp): public buckets behind Vertex AI jobs, models and endpoints.
GCS_BUCKET = "gcp.storage.bucket"
GCS_PUBLIC_BUCKET = "gcp.storage.bucket_is_not_public"
GCP_ENDPOINT = "gcp.vertex.endpoint"
GCP_JOBS = ("gcp.vertex.custom_job", "gcp.vertex.training_pipeline")
GCP_DATASET = "gcp.vertex.dataset"
GCP_JOB_CHECKS = (
    "gcp.lineage.custom_job_output_is_in_private_bucket",
    "gcp.lineage.training_pipeline_data_is_in_private_bucket",
)
GCP_PRINCIPAL = "gcp.iam.principal"
GCP_HOLDS_ROLES = "holds_roles"  # service account -> its member of the project's IAM policy
GCP_ADMIN_CHECKS = (
    "gcp.iam.service_account_has_no_admin_role",
    "gcp.iam.default_compute_service_account_has_no_basic_role",
)
GCP_ENDPOINT_CHECKS = (
    "gcp.lineage.endpoint_models_come_from_private_buckets",
    "gcp.lineage.endpoint_model_artifacts_are_versioned",
)
# Azure ML (cspm.lineage_azure; its finders are in cspm.risks_azure): online endpoint ─loads→ model
# asset ─loads→ blob ─in_container→ container; model ─trained_by→ job ─reads→ blob | data asset.
AZURE_ENDPOINT = "azure.ml.online_endpoint"
AZURE_MODEL = "azure.ml.model"
AZURE_JOB = "azure.ml.job"
AZURE_PUBLIC_CONTAINER = "azure.storage.container_is_not_public"
AZURE_UNSAFE_ARTIFACT = "azure.ml.model_artifact_is_free_of_unsafe_code"
AZURE_ENDPOINT_STORAGE = "azure.lineage.online_endpoint_model_storage_is_protected"
AZURE_JOB_CHECKS = (
    "azure.lineage.job_storage_is_not_anonymous",
    "azure.lineage.data_asset_storage_is_not_anonymous",
)
AZURE_ENDPOINT_IDENTITY = "azure.ml.online_endpoint_identity_is_not_privileged"
AZURE_ADMIN_CHECKS = (
    "azure.authorization.principal_has_no_privileged_subscription_role",
    "azure.authorization.principal_has_no_wildcard_custom_role",
    "azure.authorization.principal_cannot_escalate_privileges",
)
IN_CONTAINER = "in_container"  # blob path -> container (cspm.lineage_azure)
MODEL_TYPES = (MODEL, GCP_MODEL, AZURE_MODEL)  # what loads an inspected artifact
ENDPOINT_TYPES = (ENDPOINT, GCP_ENDPOINT, AZURE_ENDPOINT)


# ---------------------------------------------------------------------------------------------
# The graph a finder walks: the report's lineage with its failing findings
# ---------------------------------------------------------------------------------------------


class Graph:
    """The lineage of a report, with adjacency in both directions and the unmuted FAIL findings of
    each node (muted and ERROR findings open no path: a risk needs a known failure)."""

    def __init__(self, lineage: Lineage, findings: Iterable[Finding]) -> None:
        self.nodes: dict[str, LineageNode] = {n.id: n for n in lineage.nodes}
        self._in: dict[str, list[LineageEdge]] = defaultdict(list)
        self._out: dict[str, list[LineageEdge]] = defaultdict(list)
        for edge in sorted(lineage.edges, key=lambda e: (e.source, e.relation, e.target)):
            self._in[edge.target].append(edge)
            self._out[edge.source].append(edge)
        self.fails: dict[str, list[Finding]] = defaultdict(list)
        self.passes: set[tuple[str, str]] = set()  # (resource uid, check id) of PASS findings
        for f in sorted(findings, key=lambda f: (f.check_id, f.uid)):
            if f.status is Status.FAIL and not f.muted:
                self.fails[f.resource_uid].append(f)
            elif f.status is Status.PASS:
                self.passes.add((f.resource_uid, f.check_id))
        self.buckets = {n.name: n.id for n in lineage.nodes if n.type == BUCKET}

    def of_type(self, node_type: str) -> list[LineageNode]:
        return sorted((n for n in self.nodes.values() if n.type == node_type), key=lambda n: n.id)

    def failing(self, node_id: str, *checks: str) -> list[Finding]:
        return [f for f in self.fails.get(node_id, ()) if f.check_id in checks]

    def passed(self, node_id: str, check: str) -> bool:
        return (node_id, check) in self.passes

    def first(self, node_id: str, *checks: str) -> Finding | None:
        """The first failing finding among ``checks`` (in their order of preference)."""
        for check in checks:
            found = self.failing(node_id, check)
            if found:
                return found[0]
        return None

    def referrers(self, node_id: str, *relations: str) -> list[LineageEdge]:
        return [e for e in self._in.get(node_id, ()) if e.relation in relations]

    def targets(self, node_id: str, *relations: str) -> list[LineageEdge]:
        return [e for e in self._out.get(node_id, ()) if e.relation in relations]

    def walk_back(self, node_id: str, relations: Sequence[str]) -> list[list[LineageEdge]]:
        """Every chain of referrers of ``node_id`` through ``relations`` in turn, each as far as it
        goes (a model no config hosts gives ``[[]]``; one hosted but not served, ``[[hosts]]``)."""
        if not relations:
            return [[]]
        edges = self.referrers(node_id, relations[0])
        if not edges:
            return [[]]
        return [[e, *rest] for e in edges for rest in self.walk_back(e.source, relations[1:])]

    def name(self, node_id: str) -> str:
        node = self.nodes.get(node_id)
        return node.name if node is not None else node_id.rsplit("/", 1)[-1]

    def type(self, node_id: str) -> str:
        node = self.nodes.get(node_id)
        return node.type if node is not None else ""


def served_chains(graph: Graph, model_id: str) -> list[list[LineageEdge]]:
    """model ← hosts ← endpoint config ← serves ← endpoint (a Vertex AI endpoint hosts the model
    itself; an Azure ML online endpoint loads it): each chain as far as it goes."""
    if graph.type(model_id) == AZURE_MODEL:
        return [[e] for e in graph.referrers(model_id, LOADS) if graph.type(e.source) == AZURE_ENDPOINT] or [[]]
    return graph.walk_back(model_id, (HOSTS, SERVES))


def impact_of(graph: Graph, node_id: str) -> str:
    node = graph.nodes.get(node_id)
    if node is not None and node.type in (*ENDPOINT_TYPES, PROVISIONED_THROUGHPUT):
        return "endpoint" if node.status in (None, "InService") else "idle_endpoint"
    return "training_job" if node is not None and node.type in (TRAINING_JOB, *GCP_JOBS, AZURE_JOB) else "model"


# ---------------------------------------------------------------------------------------------
# Candidates and the table of kinds
# ---------------------------------------------------------------------------------------------


@dataclass
class Candidate:
    """One path a finder found. ``nodes`` run from the entry to the impact; ``edges`` are the
    lineage edges between them in that order (each keeps its own direction); ``triggers`` are
    the findings that open it (the kind's ``combines`` adds the others on the path)."""

    title: str
    nodes: list[str]
    edges: list[LineageEdge]
    triggers: list[Finding]
    exposure: str
    impact: str
    fix: Finding  # the finding whose remediation breaks the path
    action: str


Finder = Callable[[Graph], Iterator[Candidate]]


@dataclass(frozen=True)
class RiskKind:
    """A row of :data:`KINDS`: the kind's name, what it means, the checks whose failures on the
    path's nodes it combines, and its finder."""

    kind: str
    summary: str
    combines: frozenset[str]
    find: Finder


def path_nodes(start: str, edges: Sequence[LineageEdge]) -> list[str]:
    """The nodes visited by walking ``edges`` from ``start`` (each edge in either direction)."""
    nodes = [start]
    for edge in edges:
        nodes.append(edge.source if edge.target == nodes[-1] else edge.target)
    return nodes


# -- public or broadly writable training data → job → model → endpoint ------------------------


def _data_buckets(graph: Graph, referrer_type: str, writable_check: str) -> dict[str, tuple[str, list[Finding]]]:
    """Bucket node -> (exposure, the findings that say so): public buckets, and the buckets the
    ``writable_check`` finding of a ``referrer_type`` node (a training job's training-data check,
    a provisioned throughput's model-data check) found broadly writable."""
    out: dict[str, tuple[str, list[Finding]]] = {}
    for node in graph.of_type(BUCKET):
        public = graph.failing(node.id, PUBLIC_BUCKET)
        if public:
            out[node.id] = ("internet", public)
    for referrer in graph.of_type(referrer_type):
        for finding in graph.failing(referrer.id, writable_check):
            for problem in finding.evidence.get("problems", ()):
                bucket_id, exposure = _problem_bucket(graph, problem)
                if bucket_id is None:
                    continue
                known, findings = out.get(bucket_id, (exposure, []))
                widest = max(known, exposure, key=EXPOSURE_POINTS.__getitem__)
                out[bucket_id] = (widest, findings if finding in findings else [*findings, finding])
    return out


def _problem_bucket(graph: Graph, problem: object) -> tuple[str | None, str]:
    if not isinstance(problem, dict):
        return None, "account"
    if isinstance(problem.get("bucket"), str):
        return graph.buckets.get(problem["bucket"]), "internet"
    parsed = parse_s3_uri(str(problem.get("data", "")))
    if parsed is None:
        return None, "account"
    kinds = {w.get("kind") for w in problem.get("writers", ()) if isinstance(w, dict)}
    exposure = "internet" if "public" in kinds else "other_account" if "account" in kinds else "account"
    return graph.buckets.get(parsed[0]), exposure


def _readers(graph: Graph, bucket_id: str, job_type: str = TRAINING_JOB) -> list[list[LineageEdge]]:
    """bucket ← in_bucket ← prefix ← reads ← job of ``job_type`` (or a job reading the bucket itself)."""
    chains = [[e, r] for e in graph.referrers(bucket_id, IN_BUCKET) for r in graph.referrers(e.source, READS)]
    chains += [[r] for r in graph.referrers(bucket_id, READS)]
    return [c for c in chains if graph.type(c[-1].source) == job_type]


def _gcp_readers(graph: Graph, bucket_id: str) -> list[list[LineageEdge]]:
    """bucket ← in_bucket ← prefix ← reads/writes ← Vertex AI job (or through a dataset to the
    pipeline that trains on it): a job's data and its base output directory, where the model lands."""
    chains = [[e] for e in graph.referrers(bucket_id, IN_BUCKET)] + [[]]
    found = []
    for chain in chains:
        head = chain[-1].source if chain else bucket_id
        for use in graph.referrers(head, READS, WRITES):
            if graph.type(use.source) == GCP_DATASET:
                found += [[*chain, use, r] for r in graph.referrers(use.source, READS)]
            else:
                found.append([*chain, use])
    return [c for c in found if graph.type(c[-1].source) in GCP_JOBS]


def _public_gcs_buckets(graph: Graph) -> dict[str, tuple[str, list[Finding]]]:
    out = {}
    for node in graph.of_type(GCS_BUCKET):
        public = graph.failing(node.id, GCS_PUBLIC_BUCKET)
        if public:
            out[node.id] = ("internet", public)
    return out


def find_untrusted_training_data(graph: Graph) -> Iterator[Candidate]:
    """SageMaker: training job ─reads→ data; Google Cloud: custom job / training pipeline ─reads or
    writes→ data and model output (cspm.lineage_gcp). Then model ─trained_by→ job, served by an endpoint."""
    yield from _untrusted_training_data(
        graph, _data_buckets(graph, TRAINING_JOB, DATA_WRITABLE), _readers, (DATA_WRITABLE,)
    )
    yield from _untrusted_training_data(graph, _public_gcs_buckets(graph), _gcp_readers, GCP_JOB_CHECKS)
    from cspm import risks_azure  # builds on this module

    yield from risks_azure.untrusted_training_data(graph)


def _untrusted_training_data(
    graph: Graph,
    buckets: dict[str, tuple[str, list[Finding]]],
    readers: Callable[[Graph, str], list[list[LineageEdge]]],
    job_checks: Sequence[str],
) -> Iterator[Candidate]:
    for bucket_id, (exposure, findings) in sorted(buckets.items()):
        bucket = f"{label(graph.type(bucket_id))} {graph.name(bucket_id)}"  # a bucket, or a blob container
        what = "Public training data" if exposure == "internet" else "Broadly writable training data"
        fix = graph.first(bucket_id, PUBLIC_BUCKET, GCS_PUBLIC_BUCKET, AZURE_PUBLIC_CONTAINER) or findings[0]
        for read in readers(graph, bucket_id):
            job_id = read[-1].source
            job_findings = graph.failing(job_id, *job_checks)
            models = graph.walk_back(job_id, (TRAINED_BY,))
            for model_chain in models:
                for served in served_chains(graph, model_chain[0].source) if model_chain else [[]]:
                    edges = [*read, *model_chain, *served]
                    nodes = path_nodes(bucket_id, edges)
                    impact = impact_of(graph, nodes[-1])
                    yield Candidate(
                        title=f"{what} in {bucket} reaches {_named(graph, nodes[-1])}{_unserved(impact)}",
                        nodes=nodes,
                        edges=edges,
                        triggers=[*findings, *job_findings],
                        exposure=exposure,
                        impact=impact,
                        fix=fix,
                        action=_action(graph, fix),
                    )


# -- public or broadly writable data → Bedrock customization job → custom model → throughput ---


def find_poisoned_bedrock_model_in_service(graph: Graph) -> Iterator[Candidate]:
    for bucket_id, (exposure, findings) in sorted(
        _data_buckets(graph, PROVISIONED_THROUGHPUT, PROVISIONED_DATA_WRITABLE).items()
    ):
        what = "Public training data" if exposure == "internet" else "Broadly writable training data"
        fix = graph.first(bucket_id, PUBLIC_BUCKET) or findings[0]
        for read in _readers(graph, bucket_id, CUSTOMIZATION_JOB):
            for chain in graph.walk_back(read[-1].source, (TRAINED_BY, HOSTS)):
                if len(chain) < 2 or graph.type(chain[0].source) != CUSTOM_MODEL:
                    continue  # the path ends at a provisioned throughput serving the custom model
                if graph.type(chain[-1].source) != PROVISIONED_THROUGHPUT:
                    continue
                edges = [*read, *chain]
                nodes = path_nodes(bucket_id, edges)
                impact = impact_of(graph, nodes[-1])
                yield Candidate(
                    title=f"{what} in bucket {graph.name(bucket_id)} trained Bedrock model "
                    f"{graph.name(chain[0].source)}, served by provisioned throughput {graph.name(nodes[-1])}",
                    nodes=nodes,
                    edges=edges,
                    triggers=[*findings, *graph.failing(nodes[-1], PROVISIONED_DATA_WRITABLE)],
                    exposure=exposure,
                    impact=impact,
                    fix=fix,
                    action=_action(graph, fix),
                )


# -- broadly writable knowledge-base documents → knowledge base → agent (indirect prompt injection)


def find_agent_knowledge_base_injection(graph: Graph) -> Iterator[Candidate]:
    """Opened by the agent's ``agent_knowledge_base_data_is_not_broadly_writable`` FAIL: each S3
    problem it names is one path bucket → prefix → knowledge base → agent."""
    for agent in graph.of_type(AGENT):
        for finding in graph.failing(agent.id, KB_DATA_WRITABLE):
            for problem in finding.evidence.get("problems", ()):
                bucket_id, exposure = _problem_bucket(graph, problem)
                if bucket_id is None:
                    continue
                exposure = "internet" if graph.failing(bucket_id, PUBLIC_BUCKET) else exposure
                for read in _readers(graph, bucket_id, KNOWLEDGE_BASE):
                    for retrieves in graph.referrers(read[-1].source, RETRIEVES):
                        if retrieves.source != agent.id:
                            continue
                        edges = [*read, retrieves]
                        yield Candidate(
                            title=f"Whoever writes bucket {graph.name(bucket_id)} writes the prompts of agent "
                            f"{agent.name} (knowledge base {graph.name(read[-1].source)})",
                            nodes=path_nodes(bucket_id, edges),
                            edges=edges,
                            triggers=[finding],
                            exposure=exposure,
                            impact="agent",
                            fix=finding,
                            action=_action(graph, finding),
                        )


# -- an agent without a guardrail whose tool's role reaches admin ------------------------------


def _tool_chains(graph: Graph, agent_id: str, role_id: str) -> list[list[LineageEdge]]:
    """agent ─runs_as→ role, or agent ─invokes→ function ─runs_as→ role."""
    chains = [[e] for e in graph.targets(agent_id, RUNS_AS) if e.target == role_id]
    for invokes in graph.targets(agent_id, INVOKES):
        chains += [[invokes, e] for e in graph.targets(invokes.target, RUNS_AS) if e.target == role_id]
    return chains


def find_unguarded_agent_reaches_admin(graph: Graph) -> Iterator[Candidate]:
    """Opened by the agent's ``unguarded_agent_tools_cannot_reach_admin`` FAIL: each tool role it
    names is one path agent → (action-group function →) role (→ the role's escalation steps)."""
    for agent in graph.of_type(AGENT):
        for finding in graph.failing(agent.id, UNGUARDED_AGENT_ADMIN):
            roles = {p.get("role") for p in finding.evidence.get("problems", ()) if isinstance(p, dict)}
            for role_id in sorted(r for r in roles if isinstance(r, str)):
                for chain in _tool_chains(graph, agent.id, role_id):
                    edges = [*chain, *escalation_edges(graph, role_id)]
                    tool = f"tool {graph.name(chain[0].target)} " if len(chain) > 1 else ""
                    yield Candidate(
                        title=f"Agent {agent.name} has no guardrail, and its {tool}role {graph.name(role_id)} "
                        "can reach administrator",
                        nodes=path_nodes(agent.id, edges),
                        edges=edges,
                        triggers=[finding, *graph.failing(role_id, *ADMIN_CHECKS)],
                        exposure="invokers",
                        impact="admin",
                        fix=finding,
                        action=_action(graph, finding),
                    )


# -- a role that reaches admin, used by a served model or an internet-reachable notebook -------


def _admin_roles(graph: Graph) -> dict[str, list[Finding]]:
    """Role node -> the findings that say it is, or reaches, an administrator."""
    out: dict[str, list[Finding]] = defaultdict(list)
    for role in graph.of_type(ROLE):
        out[role.id] += graph.failing(role.id, *ADMIN_CHECKS)
    for job in graph.of_type(TRAINING_JOB):
        for finding in graph.failing(job.id, TRAINING_ROLE_ADMIN):
            role_id = finding.evidence.get("role")
            if isinstance(role_id, str) and role_id in graph.nodes:
                out[role_id].append(finding)
    return {role: findings for role, findings in out.items() if findings}


def escalation_edges(graph: Graph, role_id: str) -> list[LineageEdge]:
    """The role's escalation path to admin, from the evidence of ``aws.iam.role_cannot_reach_admin``
    (none when the role is an administrator itself)."""
    if graph.failing(role_id, ROLE_IS_ADMIN):
        return []
    finding = graph.first(role_id, ROLE_REACHES_ADMIN)
    steps = finding.evidence.get("path", ()) if finding is not None else ()
    edges = []
    for step in steps if isinstance(steps, list) else ():
        if isinstance(step, dict) and isinstance(step.get("source"), str) and isinstance(step.get("target"), str):
            conditional = bool(step.get("conditional"))
            edges.append(
                LineageEdge(
                    source=step["source"],
                    target=step["target"],
                    relation=ESCALATES_TO,
                    api_field=str(step.get("via") or step.get("method") or "IAM"),
                    resolved=True,
                    reason="only when the conditions of its statements hold" if conditional else None,
                )
            )
    return edges


def _admin_words(graph: Graph, role_id: str) -> str:
    return "is an administrator" if graph.failing(role_id, ROLE_IS_ADMIN) else "can escalate to administrator"


def _role_fix(graph: Graph, role_id: str, findings: Sequence[Finding]) -> Finding:
    return graph.first(role_id, ROLE_IS_ADMIN, ROLE_REACHES_ADMIN) or findings[0]


def find_admin_role_behind_endpoint(graph: Graph) -> Iterator[Candidate]:
    for role_id, findings in sorted(_admin_roles(graph).items()):
        fix = _role_fix(graph, role_id, findings)
        escalation = escalation_edges(graph, role_id)
        for runs_as in graph.referrers(role_id, RUNS_AS):
            if graph.type(runs_as.source) != MODEL or graph.passed(runs_as.source, MODEL_ISOLATED):
                continue  # a network-isolated container cannot call AWS with the role
            for served in served_chains(graph, runs_as.source):
                if not served or graph.type(served[-1].source) != ENDPOINT:
                    continue
                edges = [*reversed(served), runs_as, *escalation]
                nodes = path_nodes(served[-1].source, edges)
                yield Candidate(
                    title=f"Endpoint {graph.name(nodes[0])} runs model {graph.name(runs_as.source)} as role "
                    f"{graph.name(role_id)}, which {_admin_words(graph, role_id)}",
                    nodes=nodes,
                    edges=edges,
                    triggers=list(findings),
                    exposure="invokers" if impact_of(graph, nodes[0]) == "endpoint" else "account",
                    impact="admin",
                    fix=fix,
                    action=_action(graph, fix),
                )
    yield from _gcp_admin_behind_endpoint(graph)
    from cspm import risks_azure  # builds on this module

    yield from risks_azure.admin_identity_behind_endpoint(graph)


def _gcp_admin_behind_endpoint(graph: Graph) -> Iterator[Candidate]:
    """Google Cloud: endpoint ─runs_as→ service account ─holds_roles→ principal whose project roles
    are admin or basic ones (``gcp.iam.*`` FAIL): the prediction container acts with them."""
    for principal in graph.of_type(GCP_PRINCIPAL):
        findings = graph.failing(principal.id, *GCP_ADMIN_CHECKS)
        if not findings:
            continue
        for holds in graph.referrers(principal.id, GCP_HOLDS_ROLES):
            for runs_as in graph.referrers(holds.source, RUNS_AS):
                if graph.type(runs_as.source) != GCP_ENDPOINT:
                    continue
                edges = [runs_as, holds]
                yield Candidate(
                    title=f"Endpoint {graph.name(runs_as.source)} serves predictions as service account "
                    f"{graph.name(holds.source)}, which holds administrator or basic roles on the project",
                    nodes=path_nodes(runs_as.source, edges),
                    edges=edges,
                    triggers=list(findings),
                    exposure="invokers",
                    impact="admin",
                    fix=findings[0],
                    action=_action(graph, findings[0]),
                )


def find_admin_role_on_internet_notebook(graph: Graph) -> Iterator[Candidate]:
    admins = _admin_roles(graph)
    for notebook in graph.of_type(NOTEBOOK):
        internet = graph.failing(notebook.id, NOTEBOOK_INTERNET)
        if not internet:
            continue
        for runs_as in graph.targets(notebook.id, RUNS_AS):
            role_findings = admins.get(runs_as.target)
            if not role_findings:
                continue
            edges = [runs_as, *escalation_edges(graph, runs_as.target)]
            yield Candidate(
                title=f"Internet-reachable notebook {notebook.name} runs as role {graph.name(runs_as.target)}, "
                f"which {_admin_words(graph, runs_as.target)}",
                nodes=path_nodes(notebook.id, edges),
                edges=edges,
                triggers=[*internet, *role_findings],
                exposure="internet",
                impact="admin",
                fix=internet[0],
                action=_action(graph, internet[0]),
            )


# -- an unscanned or mutable image in production ----------------------------------------------


def _image_exposure(graph: Graph, repository_id: str, resolved: bool) -> str:
    if graph.failing(repository_id, REPO_PUBLIC):
        return "internet"
    if not resolved or graph.failing(repository_id, REPO_CROSS_ACCOUNT):
        return "other_account"
    return "account"


def find_mutable_image_in_production(graph: Graph) -> Iterator[Candidate]:
    for image in graph.of_type(IMAGE):
        repositories: list[LineageEdge | None] = [*graph.targets(image.id, IN_REPOSITORY)] or [None]
        for in_repo in repositories:
            repository_id = in_repo.target if in_repo is not None else image.id
            repo_findings = graph.failing(repository_id, *REPO_IMAGE_CHECKS)
            for runs in graph.referrers(image.id, RUNS):
                if graph.type(runs.source) not in (MODEL, MODEL_PACKAGE):
                    continue
                model_findings = graph.failing(runs.source, MODEL_IMAGES)
                if not repo_findings and not model_findings:
                    continue
                fix = graph.first(repository_id, REPO_MUTABLE) or (model_findings or repo_findings)[0]
                for served in served_chains(graph, runs.source):
                    head = [in_repo] if in_repo is not None else []
                    edges = [*head, runs, *served]
                    nodes = path_nodes(repository_id, edges)
                    impact = impact_of(graph, nodes[-1])
                    yield Candidate(
                        title=f"{label(graph.type(nodes[-1])).capitalize()} {graph.name(nodes[-1])} runs image "
                        f"{image.name}, which is mutable or unscanned{_unserved(impact)}",
                        nodes=nodes,
                        edges=edges,
                        triggers=[*repo_findings, *model_findings],
                        exposure=_image_exposure(graph, repository_id, in_repo is not None and in_repo.resolved),
                        impact=impact,
                        fix=fix,
                        action=_action(graph, fix),
                    )


# -- a model artifact that runs code when loaded, served by an endpoint -------------------------


def find_unsafe_artifact_in_production(graph: Graph) -> Iterator[Candidate]:
    """artifact (its lineage node lists dangerous imports) ← loads ← model ← hosts ← config ←
    serves ← endpoint, opened by the model's ``model_artifact_is_free_of_unsafe_code`` FAIL."""
    for artifact in sorted(graph.nodes.values(), key=lambda n: n.id):
        if not artifact.dangerous_imports:
            continue
        stores = [e.target for e in graph.targets(artifact.id, IN_BUCKET, IN_CONTAINER)]
        public = any(graph.failing(b, PUBLIC_BUCKET, GCS_PUBLIC_BUCKET, AZURE_PUBLIC_CONTAINER) for b in stores)
        for loads in graph.referrers(artifact.id, LOADS):
            unsafe = graph.failing(loads.source, UNSAFE_ARTIFACT, GCP_UNSAFE_ARTIFACT, AZURE_UNSAFE_ARTIFACT)
            if graph.type(loads.source) not in MODEL_TYPES or not unsafe:
                continue
            for served in served_chains(graph, loads.source):  # GCP, Azure: the endpoint hosts or loads it itself
                if not served or graph.type(served[-1].source) not in ENDPOINT_TYPES:
                    continue  # not in production: the model's own finding says enough
                edges = [loads, *served]
                nodes = path_nodes(artifact.id, edges)
                impact = impact_of(graph, nodes[-1])
                imports = ", ".join(artifact.dangerous_imports)
                yield Candidate(
                    title=f"Endpoint {graph.name(nodes[-1])} serves model {graph.name(loads.source)}, whose "
                    f"artifact runs {imports} when loaded{_unserved(impact)}",
                    nodes=nodes,
                    edges=edges,
                    triggers=list(unsafe),
                    exposure="internet" if public else "account",
                    impact=impact,
                    fix=unsafe[0],
                    action=_action(graph, unsafe[0]),
                )


def _action(graph: Graph, fix: Finding) -> str:
    where = f"{label(fix.resource_type)} {graph.name(fix.resource_uid)}"
    return f"{where}: {fix.remediation}"


KINDS: tuple[RiskKind, ...] = (
    RiskKind(
        "untrusted_training_data",
        "Public or broadly writable training data → training job → model → endpoint",
        frozenset(
            {
                PUBLIC_BUCKET,
                DATA_WRITABLE,
                "aws.s3.bucket_blocks_public_access",
                TRAINING_ROLE_ADMIN,
                ARTIFACTS,
                GCS_PUBLIC_BUCKET,
                *GCP_JOB_CHECKS,
                *GCP_ENDPOINT_CHECKS,
                AZURE_PUBLIC_CONTAINER,
                AZURE_ENDPOINT_STORAGE,
                *AZURE_JOB_CHECKS,
            }
        ),
        find_untrusted_training_data,
    ),
    RiskKind(
        "admin_role_on_internet_notebook",
        "An internet-reachable notebook runs as a role that is, or can escalate to, an administrator",
        frozenset({NOTEBOOK_INTERNET, *ADMIN_CHECKS, "aws.sagemaker.notebook_has_no_root_access"}),
        find_admin_role_on_internet_notebook,
    ),
    RiskKind(
        "admin_role_behind_endpoint",
        "An endpoint serves a model whose execution role is, or can escalate to, an administrator",
        frozenset(
            {
                *ADMIN_CHECKS,
                MODEL_IMAGES,
                ARTIFACTS,
                *GCP_ADMIN_CHECKS,
                *GCP_ENDPOINT_CHECKS,
                *AZURE_ADMIN_CHECKS,
                AZURE_ENDPOINT_IDENTITY,
            }
        ),
        find_admin_role_behind_endpoint,
    ),
    RiskKind(
        "mutable_image_in_production",
        "An endpoint runs an image whose tag can be overwritten, or that is not scanned",
        frozenset({*REPO_IMAGE_CHECKS, MODEL_IMAGES, REPO_PUBLIC, REPO_CROSS_ACCOUNT}),
        find_mutable_image_in_production,
    ),
    RiskKind(
        "poisoned_bedrock_model_in_service",
        "Public or broadly writable data → Bedrock customization job → custom model → provisioned throughput",
        frozenset({PUBLIC_BUCKET, PROVISIONED_DATA_WRITABLE, "aws.s3.bucket_blocks_public_access"}),
        find_poisoned_bedrock_model_in_service,
    ),
    RiskKind(
        "agent_knowledge_base_injection",
        "Broadly writable knowledge-base documents → knowledge base → agent (indirect prompt injection)",
        frozenset({KB_DATA_WRITABLE, PUBLIC_BUCKET, "aws.bedrock.agent_uses_guardrail"}),
        find_agent_knowledge_base_injection,
    ),
    RiskKind(
        "unguarded_agent_reaches_admin",
        "A Bedrock agent without a guardrail has a tool whose role is, or can escalate to, an administrator",
        frozenset({UNGUARDED_AGENT_ADMIN, *ADMIN_CHECKS, "aws.bedrock.agent_uses_guardrail"}),
        find_unguarded_agent_reaches_admin,
    ),
    RiskKind(
        "unsafe_artifact_in_production",
        "An endpoint serves a model whose artifact imports code known to be dangerous when loaded",
        frozenset(
            {
                UNSAFE_ARTIFACT,
                PICKLED_ARTIFACT,
                PUBLIC_BUCKET,
                ARTIFACTS,
                GCP_UNSAFE_ARTIFACT,
                "gcp.vertex.model_artifact_uses_safe_format",
                GCS_PUBLIC_BUCKET,
                *GCP_ENDPOINT_CHECKS,
                AZURE_UNSAFE_ARTIFACT,
                "azure.ml.model_artifact_uses_safe_format",
                AZURE_PUBLIC_CONTAINER,
                AZURE_ENDPOINT_STORAGE,
            }
        ),
        find_unsafe_artifact_in_production,
    ),
)


# ---------------------------------------------------------------------------------------------
# From candidates to risks
# ---------------------------------------------------------------------------------------------


def score_factors(findings: Sequence[Finding], exposure: str, impact: str, unresolved: int) -> dict[str, RiskFactor]:
    worst = max((f.severity for f in findings), key=lambda s: s.rank)
    penalty = min(UNRESOLVED_PENALTY * unresolved, MAX_UNRESOLVED_PENALTY)
    return {
        "severity": RiskFactor(
            value=worst.value, contribution=SEVERITY_POINTS[worst], why="the most severe finding combined"
        ),
        "exposure": RiskFactor(value=exposure, contribution=EXPOSURE_POINTS[exposure], why=EXPOSURE_WHY[exposure]),
        "blast_radius": RiskFactor(value=impact, contribution=BLAST_POINTS[impact], why=BLAST_WHY[impact]),
        "uncertainty": RiskFactor(
            value=unresolved,
            contribution=-penalty,
            why=f"{unresolved} unresolved edge(s) on the path" if unresolved else "every edge of the path resolved",
        ),
    }


def severity_of(score: float) -> Severity:
    for threshold, severity in SEVERITY_FROM:
        if score >= threshold:
            return severity
    return Severity.LOW


def _risk(kind: RiskKind, candidate: Candidate, graph: Graph) -> Risk:
    combined = {f.uid: f for f in candidate.triggers}
    for node_id in candidate.nodes:
        for f in graph.failing(node_id, *kind.combines):
            combined.setdefault(f.uid, f)
    findings = sorted(combined.values(), key=lambda f: (-f.severity.rank, f.check_id, f.uid))
    unresolved = sum(1 for e in candidate.edges if not e.resolved)
    factors = score_factors(findings, candidate.exposure, candidate.impact, unresolved)
    score = float(max(0, min(100, sum(f.contribution for f in factors.values()))))
    fix = candidate.fix
    return Risk(
        id=risk_uid(kind.kind, candidate.nodes),
        kind=kind.kind,
        title=candidate.title,
        severity=severity_of(score),
        score=score,
        factors=factors,
        path=RiskPath(nodes=candidate.nodes, edges=[e.model_copy() for e in candidate.edges]),
        findings=[f.uid for f in findings],
        fix=RiskFix(finding_uid=fix.uid, check_id=fix.check_id, resource_uid=fix.resource_uid, action=candidate.action),
        provider=_provider(candidate.nodes, graph),
    )


def _provider(nodes: Sequence[str], graph: Graph) -> str:
    """The cloud of the path: the first part of its node types (``aws.s3.bucket`` -> aws)."""
    for node_id in nodes:
        node_type = graph.type(node_id)
        if node_type:
            return node_type.split(".", 1)[0]
    return "aws"


def find_risks(lineage: Lineage, findings: Sequence[Finding], kinds: Sequence[RiskKind] = KINDS) -> list[Risk]:
    """The risks of a lineage and its findings, highest score first (then by id)."""
    graph = Graph(lineage, findings)
    risks: dict[str, Risk] = {}
    for kind in kinds:
        for candidate in kind.find(graph):
            risk = _risk(kind, candidate, graph)
            risks.setdefault(risk.id, risk)
    return sorted(risks.values(), key=lambda r: (-r.score, r.id))


def risks_of(report: ScanReport) -> list[Risk] | None:
    """The report's risks, computed from its lineage and findings; None without a lineage
    (a report of a cspm before the lineage section, or of a cloud without one)."""
    if report.lineage is None:
        return None
    return find_risks(report.lineage, report.findings)


def with_risks(report: ScanReport) -> ScanReport:
    """The report with its ``risks`` section (re)computed."""
    return report.model_copy(update={"risks": risks_of(report)})


def _unserved(impact: str) -> str:
    return {"endpoint": "", "idle_endpoint": " (not InService)"}.get(impact, " (not served by an endpoint)")


def _named(graph: Graph, node_id: str) -> str:
    return f"{label(graph.type(node_id))} {graph.name(node_id)}"
