"""The AI lineage graph: where a model and its endpoints come from, built from snapshots alone.

Pure: snapshots in, graph out; no SDK, no I/O, no clock. The graph is the AI supply chain of the
scan: every SageMaker training job, model, endpoint config and endpoint, and what they reference
through their API fields (docs/lineage.md has the table):

    endpoint ─serves→ endpoint config ─hosts→ model ─loads→ s3://bucket/artifact ─in_bucket→ bucket
    model ─trained_by→ training job ─reads→ s3://bucket/training-data ─in_bucket→ bucket
    job / model ─runs→ image ─in_repository→ ECR repository;  ─runs_as→ role;  ─encrypted_by→ KMS key

Node ids are resource uids (ARNs), so the graph joins the report's resources and findings. A
reference to something the scan does not hold (a deleted bucket, an image in another account's
registry, a key in another region, a type that was not collected) keeps its edge, marked
``resolved: false`` with the reason; nothing is dropped and nothing crashes.

Also here, because the graph checks and the engine share them:

- :func:`lineage_of`: the graph for a check, cached per set of injected snapshots (the memo of
  :mod:`cspm.iam.inventory`).
- :func:`principals_of`, :func:`bucket_writers`: who may write to a bucket (identity policies, the
  bucket policy and ACL) and whether a role reaches admin, over the IAM analysis the IAM checks
  use (:func:`cspm.iam.inventory.account_analysis`: effective permissions, the escalation graph),
  built once per scan and account.
- :func:`raise_supply_chain_severity`: the severity rule of docs/lineage.md.
- :func:`annotate` and :func:`ai_inventory`: failing-finding counts on nodes, and the AI asset
  inventory of the summary.
"""

from __future__ import annotations

import dataclasses
import functools
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cspm import ai_assets
from cspm.iam.conditions import evaluate_conditions
from cspm.iam.escalation import Edge
from cspm.iam.inventory import AccountAnalysis, PrincipalView, account_analysis, memo
from cspm.iam.policy import PolicyError, Statement, parse_policy
from cspm.iam.principals import account_of, is_public_principal
from cspm.iam.statements import Match, statement_matches_action, statement_resource_match
from cspm.models import (
    AiAssetCount,
    AiInventory,
    Finding,
    Lineage,
    LineageEdge,
    LineageNode,
    ResourceEntry,
    ScanReport,
    Severity,
    Status,
)
from cspm.resources.aws.awslambda import LambdaFunction
from cspm.resources.aws.ecr import EcrRepository, parse_image_uri
from cspm.resources.aws.iam import IamGroup, IamPolicy, IamRole, IamUser
from cspm.resources.aws.kms import KmsKey
from cspm.resources.aws.s3 import PublicAccessBlock, S3Bucket
from cspm.resources.aws.sagemaker import (
    Domain,
    Endpoint,
    EndpointConfig,
    FeatureGroup,
    KmsEncryption,
    Model,
    ModelPackage,
    NotebookInstance,
    ProcessingJob,
    TrainingJob,
)
from cspm.resources.base import Resource
from cspm.scoring import baseline_scores

# ---------------------------------------------------------------------------------------------
# Node types and relations
# ---------------------------------------------------------------------------------------------

BUCKET = "aws.s3.bucket"
PREFIX = "aws.s3.prefix"  # s3://bucket/key: a prefix or one object (synthetic node)
IMAGE = "aws.ecr.image"  # a container image URI (synthetic node)
REPOSITORY = "aws.ecr.repository"
ROLE = "aws.iam.role"
KEY = "aws.kms.key"
TRAINING_JOB = "aws.sagemaker.training_job"
PROCESSING_JOB = "aws.sagemaker.processing_job"
NOTEBOOK = "aws.sagemaker.notebook_instance"
MODEL = "aws.sagemaker.model"
ENDPOINT_CONFIG = "aws.sagemaker.endpoint_config"
ENDPOINT = "aws.sagemaker.endpoint"
MODEL_PACKAGE = "aws.sagemaker.model_package"
MODEL_PACKAGE_GROUP = "aws.sagemaker.model_package_group"
FEATURE_GROUP = "aws.sagemaker.feature_group"
DOMAIN = "aws.sagemaker.domain"
AI_TYPE_PREFIX = "aws.sagemaker."
# Bedrock and AgentCore (their handlers are in cspm.lineage_bedrock)
CUSTOMIZATION_JOB = "aws.bedrock.customization_job"
CUSTOM_MODEL = "aws.bedrock.custom_model"
MODEL_IMPORT_JOB = "aws.bedrock.model_import_job"
IMPORTED_MODEL = "aws.bedrock.imported_model"
S3_ARTIFACT = "aws.artifacts.model_artifact"  # an S3 object --inspect-artifacts read
PROVISIONED_THROUGHPUT = "aws.bedrock.provisioned_throughput"
FOUNDATION_MODEL = "aws.bedrock.foundation_model"  # an AWS-owned base model (synthetic node)
GUARDRAIL = "aws.bedrock.guardrail"
AGENT = "aws.bedrock.agent"
KNOWLEDGE_BASE = "aws.bedrock.knowledge_base"
AGENT_RUNTIME = "aws.bedrock_agentcore.runtime"
FUNCTION = "aws.lambda.function"  # a Lambda function an agent invokes
# The resources whose references make a bucket, key, repository or storage account part of an AI
# supply chain (Azure's handlers are in cspm.lineage_azure, Bedrock's in cspm.lineage_bedrock).
BEDROCK_TYPE_PREFIXES = ("aws.bedrock.", "aws.bedrock_agentcore.")
AI_TYPE_PREFIXES = (AI_TYPE_PREFIX, *BEDROCK_TYPE_PREFIXES, "azure.ml.", "azure.cognitiveservices.", "gcp.vertex.")

READS = "reads"  # job -> training / processing input
WRITES = "writes"  # job -> output path
PRODUCED = "produced"  # training job -> model artifact
LOADS = "loads"  # model -> ModelDataUrl
TRAINED_BY = "trained_by"  # model -> the training job that produced its artifact
IN_BUCKET = "in_bucket"  # prefix -> bucket
RUNS = "runs"  # job / model -> image
IN_REPOSITORY = "in_repository"  # image -> ECR repository
RUNS_AS = "runs_as"  # job / model -> execution role
ENCRYPTED_BY = "encrypted_by"  # job / config / bucket -> KMS key
SERVES = "serves"  # endpoint -> endpoint config
HOSTS = "hosts"  # endpoint config -> model
CAPTURES_TO = "captures_to"  # endpoint config -> data capture destination
FROM_PACKAGE = "from_package"  # model -> model package
IN_GROUP = "in_group"  # model package -> model package group
IMPORTED_BY = "imported_by"  # Bedrock imported model -> the model import job that copied it in
GUARDED_BY = "guarded_by"  # Bedrock agent -> guardrail
RETRIEVES = "retrieves"  # Bedrock agent -> knowledge base
INVOKES = "invokes"  # Bedrock agent (action group, orchestration) -> Lambda function
BASED_ON = "based_on"  # Bedrock customization job / custom model -> the base model

# Resource types whose FAILs the severity rule raises, and the checks it leaves alone.
RAISABLE_TYPES = frozenset(
    {
        BUCKET,
        KEY,
        REPOSITORY,
        "azure.storage.account",
        "azure.storage.container",
        "azure.keyvault.vault",
        "gcp.storage.bucket",
    }
)
LINEAGE_CHECKS = ("aws.lineage.", "azure.lineage.", "gcp.lineage.")
# Intermediate nodes the rule looks through to find the AI resource that uses a bucket, key or
# repository: a prefix (job -> prefix -> bucket), an image (model -> image -> repository) and a
# bucket (job -> prefix -> bucket -> key).
# Azure: a blob path (model -> path -> container) and a container (path -> container -> account).
# GCP: a gs:// prefix (model -> prefix -> bucket).
_THROUGH = frozenset({PREFIX, IMAGE, BUCKET, "azure.storage.path", "azure.storage.container", "gcp.storage.prefix"})
_RAISED = {Severity.LOW: Severity.MEDIUM, Severity.MEDIUM: Severity.HIGH, Severity.HIGH: Severity.CRITICAL}

_LABELS = {
    BUCKET: ("bucket", "S3 buckets"),
    ROLE: ("role", "IAM roles"),
    KEY: ("key", "KMS keys"),
    REPOSITORY: ("repository", "ECR repositories"),
    MODEL: ("model", "SageMaker models"),
    ENDPOINT_CONFIG: ("endpoint config", "SageMaker endpoint configs"),
    MODEL_PACKAGE: ("model package", "SageMaker model packages"),
    MODEL_PACKAGE_GROUP: ("model package group", "SageMaker model package groups"),
    TRAINING_JOB: ("training job", "SageMaker training jobs"),
    CUSTOMIZATION_JOB: ("customization job", "Bedrock model customization jobs"),
    CUSTOM_MODEL: ("custom model", "Bedrock custom models"),
    MODEL_IMPORT_JOB: ("model import job", "Bedrock model import jobs"),
    IMPORTED_MODEL: ("imported model", "Bedrock imported models"),
    PROVISIONED_THROUGHPUT: ("provisioned throughput", "Bedrock provisioned throughputs"),
    FOUNDATION_MODEL: ("foundation model", "Bedrock foundation models"),
    GUARDRAIL: ("guardrail", "Bedrock guardrails"),
    AGENT: ("agent", "Bedrock agents"),
    KNOWLEDGE_BASE: ("knowledge base", "Bedrock knowledge bases"),
    AGENT_RUNTIME: ("AgentCore runtime", "AgentCore runtimes"),
    FUNCTION: ("function", "Lambda functions"),
    "azure.ml.job": ("job", "Azure ML jobs"),
    "azure.ml.model": ("model", "Azure ML model versions"),
    "azure.ml.data_asset": ("data asset", "Azure ML data asset versions"),
    "azure.storage.container": ("container", "blob containers"),
}
_ARN_KINDS = {
    MODEL: "model",
    ENDPOINT_CONFIG: "endpoint-config",
    MODEL_PACKAGE: "model-package",
    MODEL_PACKAGE_GROUP: "model-package-group",
    CUSTOMIZATION_JOB: "model-customization-job",
    CUSTOM_MODEL: "custom-model",
    MODEL_IMPORT_JOB: "model-import-job",
    IMPORTED_MODEL: "imported-model",
    GUARDRAIL: "guardrail",
    AGENT: "agent",
    KNOWLEDGE_BASE: "knowledge-base",
}


def label(node_type: str) -> str:
    """A short human name for a node type: ``bucket``, ``training job``, ``prefix`` …"""
    if node_type in _LABELS:
        return _LABELS[node_type][0]
    return node_type.rsplit(".", 1)[-1].replace("_", " ")


# ---------------------------------------------------------------------------------------------
# Parsing references
# ---------------------------------------------------------------------------------------------


def parse_s3_uri(uri: str) -> tuple[str, str] | None:
    """``s3://bucket/key`` -> (bucket, key); None when ``uri`` is not an S3 URI."""
    if not uri.startswith("s3://"):
        return None
    bucket, _, key = uri[len("s3://") :].partition("/")
    return (bucket, key) if bucket else None


def partition_of(arn: str) -> str:
    """The partition of an ARN (``aws``, ``aws-cn`` …); ``aws`` for anything else."""
    parts = arn.split(":", 2)
    return parts[1] if len(parts) > 2 and parts[0] == "arn" and parts[1] else "aws"


@dataclass(frozen=True)
class KeyRef:
    """A KmsKeyId as written (key id, key ARN, alias name or alias ARN), placed in an account and region."""

    arn: str  # the key ARN, or the alias ARN when the reference is an alias
    account: str
    region: str
    key_id: str | None = None
    alias: str | None = None  # "alias/name"


def parse_key_ref(value: str, account: str, region: str, partition: str = "aws") -> KeyRef:
    """Where a KmsKeyId points: ARNs carry their own account and region, bare ids and aliases
    are in the referrer's."""
    if value.startswith("arn:"):
        parts = value.split(":", 5)
        if len(parts) == 6:
            account, region, resource = parts[4], parts[3], parts[5]
            if resource.startswith("alias/"):
                return KeyRef(value, account, region, alias=resource)
            return KeyRef(value, account, region, key_id=resource.removeprefix("key/"))
    if value.startswith("alias/"):
        return KeyRef(f"arn:{partition}:kms:{region}:{account}:{value}", account, region, alias=value)
    return KeyRef(f"arn:{partition}:kms:{region}:{account}:key/{value}", account, region, key_id=value)


# ---------------------------------------------------------------------------------------------
# What the scan covered: the reasons of unresolved edges
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    """What the scan collected, so that an unresolved reference says *why*.

    ``collected``: the resource types the scan collected (None: unknown). ``incomplete``:
    (type, account, region) -> why its listing failed. ``scopes``: account -> scanned regions.
    """

    collected: frozenset[str] | None = None
    incomplete: Mapping[tuple[str, str, str], str] = field(default_factory=dict)
    scopes: Mapping[str, frozenset[str]] | None = None

    def missing(self, rtype: str, what: str, where: tuple[str | None, str | None], referrer: Resource) -> str:
        """Why ``what`` (of type ``rtype``, in (account, region)) is not in the inventory."""
        account, region = where
        plural = _LABELS.get(rtype, (rtype, rtype))[1]
        if account and account != referrer.account and (self.scopes is None or account not in self.scopes):
            return f"{what} is in another account ({account}), outside this scan"
        if region and account and self.scopes is not None and region not in self.scopes.get(account, frozenset()):
            return f"{what} is in region {region}, which this scan did not cover"
        if region and self.scopes is None and region != referrer.region:
            return f"{what} is in another region ({region}) than the {label(type(referrer).resource_type)}"
        if self.collected is not None and rtype not in self.collected:
            return f"{what} cannot be resolved: {plural} were not collected in this scan"
        reason = self._incomplete(rtype, account or referrer.account, region)
        if reason:
            return f"{what} cannot be resolved: {plural} could not be listed ({reason})"
        return f"{what} was not found (deleted, or not readable)"

    def _incomplete(self, rtype: str, account: str, region: str | None) -> str | None:
        for r, why in self._by_type_account().get((rtype, account), ()):
            if region is None or r in (region, "global"):
                return why
        return None

    def _by_type_account(self) -> dict[tuple[str, str], list[tuple[str, str]]]:
        """(type, account) -> [(region, why)] in the order of ``incomplete``, made once: an
        organization merge asks for thousands of references among hundreds of thousands of marks."""
        index: dict[tuple[str, str], list[tuple[str, str]]] | None = self.__dict__.get("_index")
        if index is None:
            index = defaultdict(list)
            for (t, a, r), why in self.incomplete.items():
                index[(t, a)].append((r, why))
            object.__setattr__(self, "_index", index)  # frozen: a cache, not a field
        return index


# ---------------------------------------------------------------------------------------------
# The graph
# ---------------------------------------------------------------------------------------------


class LineageGraph:
    """Nodes, edges and the snapshots behind the nodes, with adjacency in both directions."""

    def __init__(
        self, nodes: Mapping[str, LineageNode], edges: Sequence[LineageEdge], resources: Mapping[str, Resource]
    ):
        self._nodes = dict(nodes)
        self.edges = list(edges)
        self._resources = dict(resources)
        self._out: dict[str, list[LineageEdge]] = defaultdict(list)
        self._in: dict[str, list[LineageEdge]] = defaultdict(list)
        for edge in self.edges:
            self._out[edge.source].append(edge)
            self._in[edge.target].append(edge)

    @property
    def nodes(self) -> list[LineageNode]:
        return list(self._nodes.values())

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._nodes

    def node(self, node_id: str) -> LineageNode | None:
        return self._nodes.get(node_id)

    def resource(self, node_id: str) -> Resource | None:
        """The snapshot behind a node; None for synthetic and unresolved nodes."""
        return self._resources.get(node_id)

    def edges_from(self, node_id: str, *relations: str) -> list[LineageEdge]:
        return [e for e in self._out.get(node_id, ()) if not relations or e.relation in relations]

    def edges_to(self, node_id: str, *relations: str) -> list[LineageEdge]:
        return [e for e in self._in.get(node_id, ()) if not relations or e.relation in relations]

    def ai_referrers(self, node_id: str) -> list[list[LineageEdge]]:
        """Every path by which an AI resource (a SageMaker job, model, endpoint …) refers to
        ``node_id``, directly or through a prefix, an image or a bucket. Each path is a list of
        edges starting at the AI resource."""
        paths: list[list[LineageEdge]] = []
        queue: deque[tuple[str, list[LineageEdge]]] = deque([(node_id, [])])
        seen = {node_id}
        while queue:
            current, tail = queue.popleft()
            for edge in self._in.get(current, ()):
                source = self._nodes[edge.source]
                path = [edge, *tail]
                if source.type.startswith(AI_TYPE_PREFIXES):
                    paths.append(path)
                elif source.type in _THROUGH and edge.source not in seen and len(path) < 4:
                    seen.add(edge.source)
                    queue.append((edge.source, path))
        return paths

    def to_model(self) -> Lineage:
        nodes = sorted(self._nodes.values(), key=lambda n: (n.type, n.id))
        edges = sorted(self.edges, key=lambda e: (e.source, e.relation, e.target))
        return Lineage(nodes=[n.model_copy() for n in nodes], edges=[e.model_copy() for e in edges])


def build_lineage(resources: Iterable[Resource], coverage: Coverage | None = None) -> LineageGraph:
    """The lineage graph of these snapshots (any mix of types; unrelated ones are ignored)."""
    return _Builder(resources, coverage or Coverage()).build()


_Key = tuple[str, str, str, str]  # (type, account, region, lower-cased name)


class _Builder:
    def __init__(self, resources: Iterable[Resource], coverage: Coverage) -> None:
        self.coverage = coverage
        self.nodes: dict[str, LineageNode] = {}
        self.edges: dict[tuple[str, str, str], LineageEdge] = {}
        self.resources: dict[str, Resource] = {}
        self.ai: list[Resource] = []
        self.ai_by_uid: dict[str, Resource] = {}
        self.buckets: dict[str, S3Bucket] = {}
        self.roles: dict[str, IamRole] = {}
        self.role_names: dict[tuple[str, str], IamRole] = {}
        self.named: dict[_Key, Resource] = {}
        self.keys: dict[str, KmsKey] = {}
        self.key_names: dict[tuple[str, str, str], KmsKey] = {}
        self.repositories: dict[tuple[str, str, str], EcrRepository] = {}
        self.jobs: list[TrainingJob] = []
        self.functions: dict[str, LambdaFunction] = {}
        self.s3_artifacts: list[Resource] = []  # S3 objects --inspect-artifacts read (cspm.lineage_bedrock)
        self.azure: dict[str, Resource] = {}  # lower-cased ARM resource id -> snapshot
        self.gcp: list[Resource] = []  # Google Cloud snapshots, indexed by cspm.lineage_gcp on first use
        self.gcp_index: Any = None
        self.handlers = _handlers()
        for resource in resources:
            self._index(resource)

    def _index_apart(self, r: Resource) -> None:
        """Snapshots other handlers look up themselves: Azure's and Google Cloud's, and the S3
        objects ``--inspect-artifacts`` read."""
        if r.cloud() == "azure":
            self.azure[r.uid.lower()] = r
        elif r.cloud() == "gcp":
            self.gcp.append(r)
        elif r.resource_type == S3_ARTIFACT:
            self.s3_artifacts.append(r)

    def _index(self, r: Resource) -> None:
        self._index_apart(r)
        if isinstance(r, S3Bucket):
            self.buckets[r.name] = r
        elif isinstance(r, IamRole):
            self.roles[r.uid] = r
            self.role_names[(r.account, r.name)] = r
        elif isinstance(r, KmsKey):
            self.keys[r.uid] = r
            self.key_names[(r.account, r.region, r.key_id)] = r
            for alias in r.aliases or ():
                self.key_names[(r.account, r.region, alias)] = r
        elif isinstance(r, EcrRepository):
            self.repositories[(r.registry_id, r.region, r.name)] = r
        elif isinstance(r, LambdaFunction):
            self.functions[r.uid] = r
        elif r.resource_type in self.handlers:
            self._index_ai(r)

    def _index_ai(self, r: Resource) -> None:
        self.ai.append(r)
        self.ai_by_uid[r.uid] = r
        self.named[(r.resource_type, r.account, r.region, r.name.lower())] = r
        resource_id = _resource_id(r)
        if resource_id:  # Bedrock refers to agents, knowledge bases, guardrails by id
            self.named.setdefault((r.resource_type, r.account, r.region, resource_id.lower()), r)
        if isinstance(r, TrainingJob):
            self.jobs.append(r)

    def build(self) -> LineageGraph:
        for resource in self.ai:
            self._resource_node(resource)
        for resource in self.ai:
            self.handlers[resource.resource_type](self, resource)
        self._link_models_to_jobs()
        for node_id, resource in list(self.resources.items()):
            if isinstance(resource, S3Bucket):
                self._bucket_key(node_id, resource)
        return LineageGraph(self.nodes, list(self.edges.values()), self.resources)

    # -- nodes and edges -----------------------------------------------------------------------

    def _resource_node(self, r: Resource) -> str:
        if r.uid not in self.nodes:
            self.nodes[r.uid] = LineageNode(
                id=r.uid, type=r.resource_type, name=r.name, account=r.account, region=r.region, in_inventory=True
            )
            self.resources[r.uid] = r
        return r.uid

    def _node(self, node_id: str, node_type: str, name: str, account: str | None, region: str | None) -> str:
        if node_id not in self.nodes:
            self.nodes[node_id] = LineageNode(id=node_id, type=node_type, name=name, account=account, region=region)
        return node_id

    def _edge(self, source: str, target: str, relation: str, api_field: str, reason: str | None = None) -> None:
        key = (source, target, relation)
        if key not in self.edges:
            self.edges[key] = LineageEdge(
                source=source,
                target=target,
                relation=relation,
                api_field=api_field,
                resolved=reason is None,
                reason=reason,
            )

    # -- references ----------------------------------------------------------------------------

    def s3(self, referrer: Resource, uri: str, relation: str, api_field: str) -> None:
        parsed = parse_s3_uri(uri)
        if parsed is None:
            target = self._node(uri, PREFIX, uri, None, None)
            self._edge(referrer.uid, target, relation, api_field, f"{uri!r} is not an S3 URI")
            return
        name, key = parsed
        bucket_id, reason = self._bucket(referrer, name)
        if not key:
            self._edge(referrer.uid, bucket_id, relation, api_field, reason)
            return
        prefix = self._node(f"{bucket_id}/{key}", PREFIX, f"s3://{name}/{key}", None, None)
        self._edge(referrer.uid, prefix, relation, api_field, reason)
        self._edge(prefix, bucket_id, IN_BUCKET, "the bucket of the S3 URI", reason)

    def _bucket(self, referrer: Resource, name: str) -> tuple[str, str | None]:
        bucket = self.buckets.get(name)
        if bucket is not None:
            return self._resource_node(bucket), None
        bucket_id = f"arn:{partition_of(referrer.uid)}:s3:::{name}"
        self._node(bucket_id, BUCKET, name, None, None)
        reason = self.coverage.missing(BUCKET, f"bucket {name}", (None, None), referrer)
        if reason.endswith("was not found (deleted, or not readable)"):
            reason = f"bucket {name} is not in the inventory: deleted, or owned by another account"
        return bucket_id, reason

    def role(self, referrer: Resource, arn: str, api_field: str) -> None:
        account = account_of(arn)
        name = arn.rsplit("/", 1)[-1]
        role = self.roles.get(arn) or self.role_names.get((account or "", name))
        if role is not None:
            self._edge(referrer.uid, self._resource_node(role), RUNS_AS, api_field)
            return
        self._node(arn, ROLE, name, account, None)
        self._edge(
            referrer.uid,
            arn,
            RUNS_AS,
            api_field,
            self.coverage.missing(ROLE, f"role {name}", (account, None), referrer),
        )

    def key(self, referrer: Resource, value: str, api_field: str, region: str | None = None) -> None:
        ref = parse_key_ref(value, referrer.account, region or referrer.region, partition_of(referrer.uid))
        key = self.keys.get(ref.arn) or self.key_names.get((ref.account, ref.region, ref.alias or ref.key_id or ""))
        if key is not None:
            self._edge(referrer.uid, self._resource_node(key), ENCRYPTED_BY, api_field)
            return
        self._node(ref.arn, KEY, ref.alias or ref.key_id or value, ref.account, ref.region)
        what = f"key {ref.alias or ref.key_id}"
        reason = self.coverage.missing(KEY, what, (ref.account, ref.region), referrer)
        self._edge(referrer.uid, ref.arn, ENCRYPTED_BY, api_field, reason)

    def image(self, referrer: Resource, uri: str, api_field: str) -> None:
        ref = parse_image_uri(uri)
        if ref is None:
            self._node(uri, IMAGE, uri, None, None)
            reason = "not an image of a private ECR registry (Docker Hub, ECR Public or another registry)"
            self._edge(referrer.uid, uri, RUNS, api_field, reason)
            return
        name = f"{ref.repository}@{ref.digest}" if ref.digest else f"{ref.repository}:{ref.tag}"
        self._node(uri, IMAGE, name, ref.registry, ref.region)
        repository = self.repositories.get((ref.registry, ref.region, ref.repository))
        if repository is None:
            repo_id = f"arn:{partition_of(referrer.uid)}:ecr:{ref.region}:{ref.registry}:repository/{ref.repository}"
            self._node(repo_id, REPOSITORY, ref.repository, ref.registry, ref.region)
            what = f"repository {ref.repository}"
            reason = self.coverage.missing(REPOSITORY, what, (ref.registry, ref.region), referrer)
            self._edge(referrer.uid, uri, RUNS, api_field, reason)
            self._edge(uri, repo_id, IN_REPOSITORY, "the repository of the image URI", reason)
            return
        repo_id = self._resource_node(repository)
        missing = repository.images is not None and not repository.images_truncated and not repository.find_image(ref)
        gone = f"image {name} is not in repository {repository.name} (deleted or re-tagged)" if missing else None
        self._edge(referrer.uid, uri, RUNS, api_field, gone)
        self._edge(uri, repo_id, IN_REPOSITORY, "the repository of the image URI")

    def named_ref(self, referrer: Resource, rtype: str, name: str, relation: str, api_field: str) -> bool:
        """A reference by name, id (Bedrock) or ARN to an AI resource, in the referrer's account and
        region unless an ARN names others; whether it resolved."""
        is_arn = name.startswith("arn:")
        plain = name.split(":", 5)[-1].split("/", 1)[-1] if is_arn else name
        account, region = referrer.account, referrer.region
        if is_arn and name.count(":") >= 5:
            region, account = name.split(":")[3], name.split(":")[4]
        target = self.ai_by_uid.get(name) if is_arn else None
        target = target or self.named.get((rtype, account, region, plain.lower()))
        if target is not None:
            self._edge(referrer.uid, self._resource_node(target), relation, api_field)
            return True
        arn = name if is_arn else _arn(referrer, rtype, name)
        self._node(arn, rtype, plain, account, region)
        what = f"{label(rtype)} {plain}"
        reason = self.coverage.missing(rtype, what, (account, region), referrer)
        self._edge(referrer.uid, arn, relation, api_field, reason)
        return False

    def dangling(self, referrer: Resource, rtype: str, name: str, relation: str, api_field: str, reason: str) -> None:
        """A reference the collector already found dangling (``reason``), by name, id or ARN."""
        arn = name if name.startswith("arn:") else _arn(referrer, rtype, name)
        self._node(arn, rtype, arn.rsplit("/", 1)[-1], referrer.account, referrer.region)
        self._edge(referrer.uid, arn, relation, api_field, reason)

    def function(self, referrer: Resource, arn: str, relation: str, api_field: str) -> None:
        """A Lambda function by ARN (a version or alias qualifier is the same function), and the
        role it runs as."""
        parts = arn.split(":")
        function = self.functions.get(":".join(parts[:7]))
        if function is not None:
            self._edge(referrer.uid, self._resource_node(function), relation, api_field)
            if function.role_arn:
                self.role(function, function.role_arn, "Role")
            return
        name = parts[6] if len(parts) > 6 else arn
        account, region = (parts[4], parts[3]) if len(parts) > 6 else (None, None)
        self._node(arn, FUNCTION, name, account, region)
        what = f"function {name}"
        reason = self.coverage.missing(FUNCTION, what, (account, region), referrer)
        self._edge(referrer.uid, arn, relation, api_field, reason)

    def foundation_model(self, referrer: Resource, arn: str, relation: str, api_field: str) -> None:
        """An AWS-owned base model (``arn:…::foundation-model/ID``, or a bare model id): not the
        account's, so a resolved edge to a synthetic node."""
        model_id = arn.rsplit("/", 1)[-1]
        node_id = (
            arn
            if arn.startswith("arn:")
            else f"arn:{partition_of(referrer.uid)}:bedrock:{referrer.region}::foundation-model/{arn}"
        )
        self._node(node_id, FOUNDATION_MODEL, model_id, None, referrer.region)
        self._edge(referrer.uid, node_id, relation, api_field)

    # -- derived edges ---------------------------------------------------------------------------

    def _link_models_to_jobs(self) -> None:
        """model -trained_by-> job when the model's artifact is the job's (ModelArtifacts, or
        ``<S3OutputPath>/<job name>/…``)."""
        by_artifact: dict[str, list[TrainingJob]] = defaultdict(list)
        by_prefix: dict[str, list[TrainingJob]] = defaultdict(list)
        for job in self.jobs:
            if job.model_artifacts_s3_uri:
                by_artifact[job.model_artifacts_s3_uri].append(job)
            if job.output_s3_path:
                by_prefix[f"{job.output_s3_path.rstrip('/')}/{job.name}/"].append(job)
        for resource in self.ai:
            if not isinstance(resource, Model):
                continue
            for container in resource.containers or ():
                for job in _producers(container.model_data_url, by_artifact, by_prefix):
                    self._edge(resource.uid, job.uid, TRAINED_BY, "ModelDataUrl = ModelArtifacts.S3ModelArtifacts")

    def _bucket_key(self, bucket_id: str, bucket: S3Bucket) -> None:
        if bucket.encryption is not None and bucket.encryption.uses_kms and bucket.encryption.kms_key_id:
            field_name = "ServerSideEncryptionConfiguration.Rules[].ApplyServerSideEncryptionByDefault.KMSMasterKeyID"
            self.key(bucket, bucket.encryption.kms_key_id, field_name, region=bucket.region)


def _producers(
    uri: str | None, by_artifact: Mapping[str, list[TrainingJob]], by_prefix: Mapping[str, list[TrainingJob]]
) -> list[TrainingJob]:
    if not uri:
        return []
    found = list(by_artifact.get(uri, ()))
    slash = uri.find("/", len("s3://"))
    while slash != -1:
        found.extend(j for j in by_prefix.get(uri[: slash + 1], ()) if j not in found)
        slash = uri.find("/", slash + 1)
    return found


def _arn(referrer: Resource, rtype: str, name: str) -> str:
    """The ARN a reference by name or id stands for, in the referrer's account and region
    (SageMaker lower-cases names in its ARNs; Bedrock ids keep their case)."""
    service = rtype.split(".")[1].replace("_", "-")
    if service == "sagemaker":
        name = name.lower()
    return f"arn:{partition_of(referrer.uid)}:{service}:{referrer.region}:{referrer.account}:{_ARN_KINDS[rtype]}/{name}"


def _resource_id(r: Resource) -> str | None:
    """The service id of a Bedrock resource (agent, knowledge base, guardrail, runtime), by which
    other resources refer to it."""
    for attribute in ("agent_id", "knowledge_base_id", "guardrail_id", "runtime_id"):
        value = getattr(r, attribute, None)
        if isinstance(value, str):
            return value
    return None


# -- one handler per AI resource type ----------------------------------------------------------------


def _training_job(b: _Builder, job: Resource) -> None:
    assert isinstance(job, TrainingJob)
    for uri in job.input_s3_uris or ():
        b.s3(job, uri, READS, "InputDataConfig[].DataSource.S3DataSource.S3Uri")
    if job.output_s3_path:
        b.s3(job, job.output_s3_path, WRITES, "OutputDataConfig.S3OutputPath")
    if job.model_artifacts_s3_uri:
        b.s3(job, job.model_artifacts_s3_uri, PRODUCED, "ModelArtifacts.S3ModelArtifacts")
    if job.training_image:
        b.image(job, job.training_image, "AlgorithmSpecification.TrainingImage")
    if job.role_arn:
        b.role(job, job.role_arn, "RoleArn")
    _keys(
        b,
        job,
        (
            (job.volume_encryption, "ResourceConfig.VolumeKmsKeyId"),
            (job.output_encryption, "OutputDataConfig.KmsKeyId"),
        ),
    )


def _model(b: _Builder, model: Resource) -> None:
    assert isinstance(model, Model)
    for container in model.containers or ():
        where = "PrimaryContainer" if container.primary else "Containers[]"
        if container.image:
            b.image(model, container.image, f"{where}.Image")
        if container.model_data_url:
            b.s3(model, container.model_data_url, LOADS, f"{where}.ModelDataUrl")
        if container.model_package_name:
            b.named_ref(model, MODEL_PACKAGE, container.model_package_name, FROM_PACKAGE, f"{where}.ModelPackageName")
    if model.execution_role_arn:
        b.role(model, model.execution_role_arn, "ExecutionRoleArn")


def _endpoint_config(b: _Builder, config: Resource) -> None:
    assert isinstance(config, EndpointConfig)
    for variant in config.variants or ():
        if variant.model_name:
            b.named_ref(config, MODEL, variant.model_name, HOSTS, f"ProductionVariants[{variant.name}].ModelName")
    _keys(b, config, ((config.encryption, "KmsKeyId"),))
    capture = config.data_capture
    if capture is not None and capture.enabled and capture.destination_s3_uri:
        b.s3(config, capture.destination_s3_uri, CAPTURES_TO, "DataCaptureConfig.DestinationS3Uri")
        if capture.kms_key_id:
            b.key(config, capture.kms_key_id, "DataCaptureConfig.KmsKeyId")


def _endpoint(b: _Builder, endpoint: Resource) -> None:
    assert isinstance(endpoint, Endpoint)
    b.nodes[endpoint.uid] = b.nodes[endpoint.uid].model_copy(update={"status": endpoint.status})
    if endpoint.endpoint_config_name:
        b.named_ref(endpoint, ENDPOINT_CONFIG, endpoint.endpoint_config_name, SERVES, "EndpointConfigName")


def _keys(b: _Builder, referrer: Resource, settings: Iterable[tuple[KmsEncryption | None, str]]) -> None:
    for encryption, api_field in settings:
        if encryption is not None and encryption.kms_key_id:
            b.key(referrer, encryption.kms_key_id, api_field)


def _processing_job(b: _Builder, job: Resource) -> None:
    assert isinstance(job, ProcessingJob)
    for uri in job.input_s3_uris or ():
        b.s3(job, uri, READS, "ProcessingInputs[].S3Input.S3Uri")
    for uri in job.output_s3_uris or ():
        b.s3(job, uri, WRITES, "ProcessingOutputConfig.Outputs[].S3Output.S3Uri")
    if job.image:
        b.image(job, job.image, "AppSpecification.ImageUri")
    if job.role_arn:
        b.role(job, job.role_arn, "RoleArn")
    _keys(
        b,
        job,
        (
            (job.volume_encryption, "ProcessingResources.ClusterConfig.VolumeKmsKeyId"),
            (job.output_encryption, "ProcessingOutputConfig.KmsKeyId"),
        ),
    )


def _model_package(b: _Builder, package: Resource) -> None:
    assert isinstance(package, ModelPackage)
    for container in package.containers or ():
        if container.image:
            b.image(package, container.image, "InferenceSpecification.Containers[].Image")
        if container.model_data_url:
            b.s3(package, container.model_data_url, LOADS, "InferenceSpecification.Containers[].ModelDataUrl")
    b.named_ref(package, MODEL_PACKAGE_GROUP, package.group_name, IN_GROUP, "ModelPackageGroupName")


def _model_package_group(b: _Builder, group: Resource) -> None:
    """A group refers to nothing: its packages refer to it."""


def _feature_group(b: _Builder, group: Resource) -> None:
    assert isinstance(group, FeatureGroup)
    offline = group.offline_store
    if offline is not None and offline.enabled and offline.s3_uri:
        b.s3(group, offline.s3_uri, WRITES, "OfflineStoreConfig.S3StorageConfig.S3Uri")
    if group.role_arn:
        b.role(group, group.role_arn, "RoleArn")
    _keys(
        b,
        group,
        (
            (
                offline.encryption if offline is not None and offline.enabled else None,
                "OfflineStoreConfig.S3StorageConfig.KmsKeyId",
            ),
            (
                group.online_store.encryption
                if group.online_store is not None and group.online_store.enabled
                else None,
                "OnlineStoreConfig.SecurityConfig.KmsKeyId",
            ),
        ),
    )


def _domain(b: _Builder, domain: Resource) -> None:
    assert isinstance(domain, Domain)
    for arn, api_field in (
        (domain.default_execution_role, "DefaultUserSettings.ExecutionRole"),
        (domain.default_space_execution_role, "DefaultSpaceSettings.ExecutionRole"),
    ):
        if arn:
            b.role(domain, arn, api_field)
    _keys(b, domain, ((domain.encryption, "KmsKeyId"),))


def _notebook(b: _Builder, notebook: Resource) -> None:
    """A notebook instance is graphed for the role it runs as (a risk's path: an internet-reachable
    notebook whose role reaches admin); its volume key stays out of the severity rule."""
    assert isinstance(notebook, NotebookInstance)
    if notebook.role_arn:
        b.role(notebook, notebook.role_arn, "RoleArn")


_HANDLERS: dict[str, Callable[[_Builder, Resource], None]] = {
    TRAINING_JOB: _training_job,
    PROCESSING_JOB: _processing_job,
    MODEL: _model,
    MODEL_PACKAGE: _model_package,
    MODEL_PACKAGE_GROUP: _model_package_group,
    ENDPOINT_CONFIG: _endpoint_config,
    ENDPOINT: _endpoint,
    FEATURE_GROUP: _feature_group,
    DOMAIN: _domain,
    NOTEBOOK: _notebook,
}


@functools.cache
def _handlers() -> dict[str, Callable[[_Builder, Resource], None]]:
    """The handlers of every AI resource type: SageMaker's here, Bedrock's and AgentCore's in
    :mod:`cspm.lineage_bedrock`, Azure's in :mod:`cspm.lineage_azure`, Google Cloud's in
    :mod:`cspm.lineage_gcp` (they build on this module, so they are imported on first use)."""
    from cspm.lineage_azure import HANDLERS as AZURE
    from cspm.lineage_bedrock import HANDLERS as BEDROCK
    from cspm.lineage_gcp import HANDLERS as GCP

    return {**_HANDLERS, **BEDROCK, **AZURE, **GCP}


# ---------------------------------------------------------------------------------------------
# Caching for checks: one graph per set of injected snapshots
# ---------------------------------------------------------------------------------------------


def lineage_of(groups: Mapping[type[Resource], Sequence[Resource]]) -> LineageGraph:
    """The lineage graph of the snapshots a check was given (cached by :func:`cspm.iam.inventory.memo`
    on the identity of the snapshots). Types not in ``groups`` count as not collected, so
    references to them are unresolved with that reason."""
    ordered = sorted(groups.items(), key=lambda item: item[0].resource_type)
    coverage = Coverage(collected=frozenset(t.resource_type for t, _ in ordered))

    def factory() -> LineageGraph:
        return build_lineage((r for _, seq in ordered for r in seq), coverage)

    return memo("lineage:" + ",".join(t.resource_type for t, _ in ordered), [s for _, s in ordered], factory)


# ---------------------------------------------------------------------------------------------
# Principals: the account's IAM analysis, as the graph checks ask it
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Escalation:
    """Whether a principal reaches admin: the shortest path (``[]``: it is admin-equivalent),
    whether that path needs conditions to hold, and the unreadable policies that leave it open."""

    path: list[Edge] | None
    conditional: bool
    admin_reasons: tuple[str, ...]
    problems: tuple[str, ...]


def unreadable_policies(view: PrincipalView) -> tuple[str, ...]:
    """The principal's policies (and boundary) that could not be read, each naming the principal."""
    return tuple(f"{view.kind} {view.name}: {problem}" for problem in view.problems)


class Principals:
    """An account's principals for the graph checks: the IAM analysis shared with the IAM checks
    (:func:`cspm.iam.inventory.account_analysis`: each principal's effective permissions, the
    escalation graph), plus who may write an object and whether a role reaches admin.

    ``actors``: the roles and users, who may act (a group acts through its users; it is a node of
    the escalation graph only).
    """

    def __init__(self, analysis: AccountAnalysis, actors: Iterable[PrincipalView]) -> None:
        self.analysis = analysis
        self.actors = tuple(actors)
        self._identity_writers: dict[str, tuple[tuple[Writer, ...], tuple[str, ...]]] = {}

    @functools.cached_property
    def may_put_objects(self) -> tuple[PrincipalView, ...]:
        """The principals (service-linked roles aside) allowed s3:PutObject on at least one resource:
        the only candidates for any bucket's writers."""
        return tuple(v for v in self.actors if not v.service_linked and v.permissions.allows(PUT_OBJECT, None).possible)

    @functools.cached_property
    def _unreadable_actors(self) -> tuple[str, ...]:
        return tuple(problem for v in self.actors if not v.service_linked for problem in unreadable_policies(v))

    def identity_writers(self, arn: str) -> tuple[tuple[Writer, ...], tuple[str, ...]]:
        """Who may put ``arn`` through identity policies, and the unreadable policies (cached per ARN)."""
        if arn not in self._identity_writers:
            writers = []
            for v in self.may_put_objects:
                decision = v.permissions.allows(PUT_OBJECT, arn)
                if decision.possible:
                    everywhere = v.permissions.allows(PUT_OBJECT, "*").possible
                    admin = v.permissions.is_admin
                    writers.append(Writer(v.arn, v.kind, "identity-policy", not decision.allowed, admin, everywhere))
            self._identity_writers[arn] = (tuple(writers), self._unreadable_actors)
        return self._identity_writers[arn]

    @functools.cached_property
    def _reaching_unreadable(self) -> frozenset[str]:
        """The principals with a path to one whose policies or trust could not be read (one backwards search)."""
        troubled = [arn for arn, v in self.analysis.views.items() if v.problems or v.trust_problem]
        return self.analysis.graph.reaching(troubled) if troubled else frozenset()

    def escalation_to_admin(self, arn: str) -> Escalation:
        """The shortest path from ``arn`` to admin (unconditional steps first, then any), and what
        could not be read of the principals it reaches."""
        graph = self.analysis.graph
        path = graph.shortest_path_to_admin(arn, include_conditional=False)
        conditional = False
        if path is None:
            path = graph.shortest_path_to_admin(arn, include_conditional=True)
            conditional = path is not None
        problems: tuple[str, ...] = ()
        if arn in self._reaching_unreadable:
            views = self.analysis.views
            reached = [views[a] for a in sorted(graph.reachable(arn)) if a in views]
            problems = tuple(p for v in reached for p in (*unreadable_policies(v), *filter(None, [v.trust_problem])))
        return Escalation(path, conditional, tuple(graph.admin_equivalent.get(arn, ())), problems)


def principals_of(
    roles: Sequence[IamRole], users: Sequence[IamUser], groups: Sequence[IamGroup], policies: Sequence[IamPolicy]
) -> Principals:
    """The account's principals over :func:`cspm.iam.inventory.account_analysis` (cached per snapshot
    set). Asking for the analysis on every call keeps its memo entry as recent as the lineage checks'
    use of it, and one wrapper per analysis keeps the two consistent."""
    analysis = account_analysis(users, groups, roles, policies)

    def factory() -> Principals:
        return Principals(analysis, [analysis.views[p.uid] for p in (*roles, *users)])

    return memo("lineage:principals", [[analysis]], factory)


# ---------------------------------------------------------------------------------------------
# Who may write to a bucket
# ---------------------------------------------------------------------------------------------

PUT_OBJECT = "s3:PutObject"
_PUBLIC_GROUPS = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)


@dataclass(frozen=True)
class Writer:
    """A principal that may put objects into a bucket (prefix), and through what.

    ``kind``: role, user, public (everyone), account (another account) or service. ``via``:
    identity-policy, bucket-policy or bucket-acl. ``admin``: the principal is an administrator
    (IAM checks report those). ``everywhere``: its identity policies let it write to every bucket.
    """

    principal: str
    kind: str
    via: str
    conditional: bool = False
    admin: bool = False
    everywhere: bool = False

    @property
    def broad(self) -> bool:
        """Everyone, another account, or a non-admin principal allowed to write to every bucket."""
        return self.kind in ("public", "account") or (self.everywhere and not self.admin)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class WriteAccess:
    writers: tuple[Writer, ...]
    problems: tuple[str, ...]  # what could not be read: the answer may be missing writers


def object_arn(bucket: S3Bucket, key: str, *, exact: bool) -> str:
    """The ARN to ask about: the object itself, or any object under the prefix ``key``."""
    if exact and key:
        return f"{bucket.uid}/{key}"
    return f"{bucket.uid}/{key.rstrip('/')}/*" if key.strip("/") else f"{bucket.uid}/*"


def bucket_writers(
    bucket: S3Bucket, arn: str, principals: Principals, block: PublicAccessBlock | None = None
) -> WriteAccess:
    """Who may ``s3:PutObject`` to ``arn`` (an object ARN of ``bucket``): the account's principals
    through their identity policies, and whoever the bucket policy or ACL lets in. Service-linked
    roles are left out. ``block``: the effective Block Public Access settings, which neutralise
    public policies and ACLs."""
    problems: list[str] = []
    statements = _bucket_statements(bucket, problems)
    writers = [w for w in _identity_writers(arn, principals, problems) if not _denied(w, statements, arn)]
    writers += [w for w in _policy_writers(bucket, statements, arn, block) if not _denied(w, statements, arn)]
    writers += _acl_writers(bucket, block, problems)
    return WriteAccess(tuple(dict.fromkeys(writers)), tuple(problems))


def _bucket_statements(bucket: S3Bucket, problems: list[str]) -> tuple[Statement, ...]:
    if bucket.policy is None:
        problems.append(f"the policy of bucket {bucket.name}: {bucket.policy_error or 'could not be read'}")
        return ()
    if not bucket.policy:
        return ()
    try:
        return parse_policy(bucket.policy).statements
    except PolicyError as exc:
        problems.append(f"bucket policy of {bucket.name}: not a valid policy ({exc})")
        return ()


def _identity_writers(arn: str, principals: Principals, problems: list[str]) -> list[Writer]:
    writers, unreadable = principals.identity_writers(arn)
    problems.extend(unreadable)
    return list(writers)


def _covers(stmt: Statement, arn: str) -> bool:
    return statement_matches_action(stmt, PUT_OBJECT) and statement_resource_match(stmt, arn) is not Match.NO


def _policy_writers(
    bucket: S3Bucket, statements: Sequence[Statement], arn: str, block: PublicAccessBlock | None
) -> list[Writer]:
    out: list[Writer] = []
    restrict = block is not None and block.restrict_public_buckets
    for stmt in statements:
        if not (stmt.is_allow and _covers(stmt, arn)):
            continue
        conditional = bool(stmt.conditions)
        if (stmt.not_principals is not None or is_public_principal(stmt.principals)) and not restrict:
            out.append(Writer("*", "public", "bucket-policy", conditional))
        principal = stmt.principals
        if principal is None:
            continue
        for value in principal.aws:
            owner = account_of(value)
            if value == "*" or owner is None:
                continue
            if owner != bucket.account:
                out.append(Writer(value, "account", "bucket-policy", conditional))
            elif ":role/" in value or ":user/" in value:
                kind = "role" if ":role/" in value else "user"
                out.append(Writer(value, kind, "bucket-policy", conditional))
        out.extend(Writer(s, "service", "bucket-policy", conditional) for s in principal.service)
    return out


def _acl_writers(bucket: S3Bucket, block: PublicAccessBlock | None, problems: list[str]) -> list[Writer]:
    if bucket.acl_grants is None:
        problems.append(f"the ACL of bucket {bucket.name} could not be read")
        return []
    out = []
    for grant in bucket.acl_grants:
        if grant.permission not in ("WRITE", "FULL_CONTROL"):
            continue
        if grant.grantee in _PUBLIC_GROUPS:
            if block is None or not block.ignore_public_acls:
                out.append(Writer(grant.grantee.rsplit("/", 1)[-1], "public", "bucket-acl"))
        elif grant.grantee_type == "CanonicalUser" and grant.grantee != bucket.owner_id:
            out.append(Writer(grant.grantee, "account", "bucket-acl"))
    return out


def _denied(writer: Writer, statements: Sequence[Statement], arn: str) -> bool:
    """Whether an unconditional (or, for this principal, certainly applying) Deny of the bucket
    policy stops the writer."""
    context = {"aws:PrincipalArn": writer.principal}
    account = account_of(writer.principal)
    if account is not None:
        context["aws:PrincipalAccount"] = account
    for stmt in statements:
        if stmt.is_allow or not _covers(stmt, arn) or not _deny_names(stmt, writer):
            continue
        if evaluate_conditions(stmt.conditions, context if writer.kind != "public" else None) is True:
            return True
    return False


def _deny_names(stmt: Statement, writer: Writer) -> bool:
    if stmt.not_principals is not None:
        return writer.principal not in stmt.not_principals.aws
    if is_public_principal(stmt.principals):
        return True
    return stmt.principals is not None and writer.principal in stmt.principals.aws


# ---------------------------------------------------------------------------------------------
# The severity rule
# ---------------------------------------------------------------------------------------------


def supply_chain_use(graph: LineageGraph, node_id: str, limit: int = 10) -> list[dict[str, Any]]:
    """The AI resources that use ``node_id``, as evidence: which resource, how, through what."""
    out = []
    for path in graph.ai_referrers(node_id)[:limit]:
        first = path[0]
        source = graph.node(first.source)
        assert source is not None
        out.append(
            {
                "resource": source.id,
                "type": source.type,
                "name": source.name,
                "relation": first.relation,
                "api_field": first.api_field,
                "via": [e.target for e in path[:-1]],
            }
        )
    return out


def raise_supply_chain_severity(findings: Sequence[Finding], graph: LineageGraph) -> list[Finding]:
    """The rule of docs/lineage.md: a FAIL on a bucket, KMS key or ECR repository that an AI
    resource uses is raised one severity level (low → medium → high → critical), with
    ``evidence["ai_supply_chain"]`` naming the AI resources that use it. PASS and ERROR findings,
    and the lineage checks themselves (which already reason along the chain), are left alone."""
    out = []
    for finding in findings:
        if (
            finding.status is not Status.FAIL
            or finding.resource_type not in RAISABLE_TYPES
            or finding.check_id.startswith(LINEAGE_CHECKS)
        ):
            out.append(finding)
            continue
        used_by = supply_chain_use(graph, finding.resource_uid)
        if not used_by:
            out.append(finding)
            continue
        raised = _RAISED.get(finding.severity, finding.severity)
        why = {
            "rule": "a FAIL on a bucket, KMS key or ECR repository of the AI supply chain is raised one severity level",
            "raised_from": finding.severity.value,
            "raised_to": raised.value,
            "used_by": used_by,
        }
        out.append(
            finding.model_copy(update={"severity": raised, "evidence": {**finding.evidence, "ai_supply_chain": why}})
        )
    return out


# ---------------------------------------------------------------------------------------------
# Findings on nodes, and the AI asset inventory
# ---------------------------------------------------------------------------------------------


def part_from(lineage: Lineage, type_prefixes: tuple[str, ...]) -> Lineage:
    """The part of ``lineage`` that nodes whose type starts with one of ``type_prefixes`` reach
    (themselves included), e.g. Bedrock's for the demo: the same nodes and edges, fewer of them."""
    out: dict[str, list[LineageEdge]] = defaultdict(list)
    for edge in lineage.edges:
        out[edge.source].append(edge)
    stack = [n.id for n in lineage.nodes if n.type.startswith(type_prefixes)]
    seen: set[str] = set()
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(e.target for e in out.get(node, ()))
    return Lineage(
        nodes=[n for n in lineage.nodes if n.id in seen],
        edges=[e for e in lineage.edges if e.source in seen],
    )


def annotate(lineage: Lineage, findings: Iterable[Finding]) -> Lineage:
    """A copy of ``lineage`` whose nodes carry their unmuted FAIL count and highest severity."""
    fails: dict[str, int] = defaultdict(int)
    risk: dict[str, Severity] = {}
    for f in findings:
        if f.status is Status.FAIL and not f.muted:
            fails[f.resource_uid] += 1
            if f.resource_uid not in risk or f.severity.rank > risk[f.resource_uid].rank:
                risk[f.resource_uid] = f.severity
    nodes = [n.model_copy(update={"fail": fails.get(n.id, 0), "risk": risk.get(n.id)}) for n in lineage.nodes]
    return lineage.model_copy(update={"nodes": nodes})


# kind of AI asset -> its resource types, every cloud's (the table is cspm.ai_assets.AI_ASSETS)
_INVENTORY: Mapping[str, tuple[str, ...]] = ai_assets.by_kind()


def ai_inventory(
    resources: Sequence[ResourceEntry], findings: Sequence[Finding], lineage: Lineage | None
) -> AiInventory:
    """Counts of the AI assets of every cloud (:data:`cspm.ai_assets.AI_ASSETS`) and their scores
    per baseline (the formula of ``summary.scores``). Registries also count the ECR repositories
    that hold an image a job or model uses (ECR repositories of the lineage)."""
    used_repositories = {n.id for n in (lineage.nodes if lineage else ()) if n.type == REPOSITORY and n.in_inventory}
    members: dict[str, set[str]] = {kind: set() for kind in _INVENTORY}
    for r in resources:
        kind = ai_assets.AI_ASSETS.get(r.type)
        if kind is not None:
            members[kind].add(r.uid)
        if r.type == REPOSITORY and r.uid in used_repositories:
            members["registries"].add(r.uid)
    by_resource: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_resource[f.resource_uid].append(f)
    counts = {
        kind: AiAssetCount(count=len(uids), scores=baseline_scores([f for u in sorted(uids) for f in by_resource[u]]))
        for kind, uids in members.items()
    }
    return AiInventory(**counts)


def refresh(report: ScanReport) -> ScanReport:
    """The report with its lineage annotations, ``summary.ai_inventory`` and ``risks`` recomputed
    from its findings: call it after findings change (muting), as the scores are. Reports without a lineage
    section are returned as they are."""
    if report.lineage is None:
        return report
    from cspm.risks import find_risks  # cspm.risks builds on this module

    lineage = annotate(report.lineage, report.findings)
    inventory = ai_inventory(report.resources, report.findings, lineage)
    summary = report.summary.model_copy(update={"ai_inventory": inventory})
    risks = find_risks(lineage, report.findings)
    return report.model_copy(update={"lineage": lineage, "summary": summary, "risks": risks})
