"""Checks that reason along the AI lineage graph (:mod:`cspm.lineage`, docs/lineage.md).

Each check starts at one resource and follows the graph: an endpoint to the artifacts of the
models it serves, a training job to its data and its role, a model to its images, a bucket to the
AI resources that use it. A reference the graph could not resolve (a deleted bucket, an image in
another account's registry, a key the scan did not collect) makes the check answer ERROR with
the reason, never PASS. Who may write to a bucket comes from :func:`cspm.lineage.bucket_writers`
(identity policies, the bucket policy and ACL); escalation to admin from the escalation graph of
:func:`cspm.iam.inventory.account_analysis`, the one the ``aws.iam.*_cannot_reach_admin`` checks use
(built once per scan and account).

Administrators are listed in the evidence but do not fail the write-access checks on their own:
they can write everywhere, and the IAM checks (``aws.iam.*_is_not_admin``) report them. S3 data
events on the AI buckets are ``aws.cloudtrail.ai_buckets_have_s3_data_events``; the severity rule
(:func:`cspm.lineage.raise_supply_chain_severity`) raises it with every other bucket, key and
repository finding of the chain, but never these checks, which already reason along the chain.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cspm.checks.aws.s3 import bucket_is_not_public
from cspm.lineage import (
    ENCRYPTED_BY,
    FROM_PACKAGE,
    HOSTS,
    IN_BUCKET,
    IN_REPOSITORY,
    LOADS,
    PREFIX,
    READS,
    RUNS,
    RUNS_AS,
    SERVES,
    TRAINED_BY,
    LineageGraph,
    Principals,
    Writer,
    bucket_writers,
    lineage_of,
    object_arn,
    parse_s3_uri,
    principals_of,
    supply_chain_use,
)
from cspm.models import Baseline, LineageEdge, Result, Severity, Status, failed, not_applicable, passed, unknown
from cspm.registry import check
from cspm.resources.aws.ecr import EcrRepository, ImageReference, parse_image_uri
from cspm.resources.aws.iam import IamGroup, IamPolicy, IamRole, IamUser
from cspm.resources.aws.kms import KmsKey
from cspm.resources.aws.s3 import PublicAccessBlock, S3AccountSettings, S3Bucket
from cspm.resources.aws.sagemaker import (
    Endpoint,
    EndpointConfig,
    FeatureGroup,
    Model,
    ModelPackage,
    ProcessingJob,
    TrainingJob,
    is_customer_managed_key,
)
from cspm.resources.base import Resource

CRITICAL = "CRITICAL"

_SM_API = "https://docs.aws.amazon.com/sagemaker/latest/APIReference/"
CREATE_MODEL = _SM_API + "API_CreateModel.html"
CREATE_TRAINING_JOB = _SM_API + "API_CreateTrainingJob.html"
DEPLOYED_IMAGE = _SM_API + "API_DeployedImage.html"
CONTAINER_DEFINITION = _SM_API + "API_ContainerDefinition.html"
MULTI_MODEL_UPDATE = "https://docs.aws.amazon.com/sagemaker/latest/dg/add-models-to-endpoint.html"
NETWORK_ISOLATION = "https://docs.aws.amazon.com/sagemaker/latest/dg/mkt-algo-model-internet-free.html"
EXECUTION_ROLES = "https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html"
ECR_IMMUTABLE_TAGS = "https://www.amazonaws.cn/en/new/2019/amazon-ecr-now-supports-immutable-image-tags0/"
KMS_SERVICE_KEY_POLICIES = "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-services.html"
SCANNING_FREQUENCIES = ("SCAN_ON_PUSH", "CONTINUOUS_SCAN")
# Scan statuses that say the image has not been (or cannot be) scanned.
UNSCANNED = frozenset({"NOT_SCANNED", "FAILED", "UNSUPPORTED_IMAGE", "SCAN_ELIGIBILITY_EXPIRED"})


@dataclass
class Verdict:
    """What a check found along the graph: problems (FAIL) and what could not be assessed (ERROR)."""

    problems: list[dict[str, Any]]
    unassessed: list[str]

    def result(self, subject: str, ok: str, evidence: dict[str, Any]) -> Result:
        """FAIL naming the problems, else ERROR naming what could not be assessed, else PASS ``ok``."""
        unassessed = list(dict.fromkeys(self.unassessed))
        details = {**evidence, "problems": self.problems, "unassessed": unassessed}
        if self.problems:
            summary = "; ".join(p["message"] for p in self.problems[:5])
            more = f" (and {len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
            return failed(f"{summary}{more}.", details)
        if unassessed:
            return unknown(f"Could not assess {subject}: {'; '.join(unassessed)}.", details)
        return passed(ok, details)


def _verdict() -> Verdict:
    return Verdict([], [])


# ---------------------------------------------------------------------------------------------
# Following the graph
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class S3Use:
    """An S3 reference that resolved to a bucket of the inventory."""

    uri: str
    bucket: S3Bucket
    key: str


def _s3_use(graph: LineageGraph, target: str, verdict: Verdict) -> S3Use | None:
    """The bucket behind a prefix (or bucket) node; None (and why, in ``verdict``) if unresolved."""
    node = graph.node(target)
    assert node is not None
    bucket_id = target
    if node.type == PREFIX:
        edges = graph.edges_from(target, IN_BUCKET)
        if not edges or not edges[0].resolved:
            verdict.unassessed.append(edges[0].reason if edges and edges[0].reason else f"{node.name}: no bucket")
            return None
        bucket_id = edges[0].target
    bucket = graph.resource(bucket_id)
    if not isinstance(bucket, S3Bucket):
        verdict.unassessed.append(f"{node.name}: the bucket is not in the inventory")
        return None
    parsed = parse_s3_uri(node.name) if node.type == PREFIX else None
    return S3Use(node.name if node.type == PREFIX else f"s3://{bucket.name}", bucket, parsed[1] if parsed else "")


def _follow(graph: LineageGraph, source: str, relation: str, verdict: Verdict) -> list[str]:
    """The targets of ``source``'s edges of ``relation``; unresolved ones go to ``verdict``."""
    out = []
    for edge in graph.edges_from(source, relation):
        if edge.resolved:
            out.append(edge.target)
        else:
            verdict.unassessed.append(edge.reason or f"{edge.target} could not be resolved")
    return out


def _subject_in(graph: LineageGraph, uid: str, verdict: Verdict) -> bool:
    if uid in graph:
        return True
    verdict.unassessed.append("the resource is not in the lineage graph of its account")
    return False


def _served_models(graph: LineageGraph, endpoint: Endpoint, verdict: Verdict) -> list[Model]:
    models: list[Model] = []
    for config_id in _follow(graph, endpoint.uid, SERVES, verdict):
        config = graph.resource(config_id)
        if isinstance(config, EndpointConfig) and config.variants is None:
            verdict.unassessed.append(f"endpoint config {config.name} could not be described")
        for model_id in _follow(graph, config_id, HOSTS, verdict):
            model = graph.resource(model_id)
            if isinstance(model, Model):
                models.append(model)
    return models


def _sources(graph: LineageGraph, model: Model, verdict: Verdict) -> list[str]:
    """The model and the model packages its containers come from (what holds images and artifacts)."""
    out = [model.uid]
    for target in _follow(graph, model.uid, FROM_PACKAGE, verdict):
        package = graph.resource(target)
        if isinstance(package, ModelPackage) and package.containers is None:
            verdict.unassessed.append(f"model package {package.name} could not be described")
        out.append(target)
    return out


def _artifacts(graph: LineageGraph, model: Model, verdict: Verdict) -> list[S3Use]:
    if model.containers is None:
        verdict.unassessed.append(f"model {model.name} could not be described")
        return []
    targets = [t for source in _sources(graph, model, verdict) for t in _follow(graph, source, LOADS, verdict)]
    uses = (_s3_use(graph, t, verdict) for t in targets)
    return [u for u in uses if u is not None]


def _training_roles(graph: LineageGraph, model: Model) -> set[str]:
    jobs = (graph.resource(e.target) for e in graph.edges_from(model.uid, TRAINED_BY))
    return {j.role_arn for j in jobs if isinstance(j, TrainingJob) and j.role_arn}


def _effective_block(bucket: S3Bucket, account: S3AccountSettings) -> PublicAccessBlock | None:
    if bucket.public_access_block is None or account.public_access_block is None:
        return None
    return bucket.public_access_block | account.public_access_block


def _public(use: S3Use, account: S3AccountSettings, verdict: Verdict) -> None:
    result = bucket_is_not_public(use.bucket, account)
    if result.status is Status.FAIL:
        verdict.problems.append(
            {"message": f"Bucket {use.bucket.name} is public", "bucket": use.bucket.name, **result.evidence}
        )
    elif result.status is Status.ERROR:
        verdict.unassessed.append(f"bucket {use.bucket.name}: {result.message}")


def _writers(
    use: S3Use, arn: str, principals: Principals, account: S3AccountSettings, verdict: Verdict
) -> list[Writer]:
    access = bucket_writers(use.bucket, arn, principals, _effective_block(use.bucket, account))
    verdict.unassessed.extend(access.problems)
    return list(access.writers)


def _names(writers: Sequence[Writer]) -> str:
    shown = ", ".join(w.principal.rsplit("/", 1)[-1] for w in writers[:3])
    return shown + (f" and {len(writers) - 3} more" if len(writers) > 3 else "")


# ---------------------------------------------------------------------------------------------
# Endpoints: the artifacts of the models they serve
# ---------------------------------------------------------------------------------------------


@check(
    title="Production SageMaker endpoint serves model artifacts that only their training role can change",
    fail_title="Production SageMaker endpoint serves model artifacts that others besides the training role can change",
    severity=Severity.HIGH,
    baseline=Baseline.INTEGRITY,
    remediation="Keep model artifacts in a private bucket with versioning enabled, and let only the training "
    "job's execution role write to the artifact prefix: remove s3:PutObject on it from other roles and users, "
    "and add a bucket policy Deny for every other principal (aws:PrincipalArn).",
    compliance={"nist-800-53-r5": ["SI-7", "AC-3", "AC-6", "CM-5"]},
    attack=["AML.T0010.003", "AML.T0018.000", "AML.T0018"],
    references=(CREATE_MODEL, CREATE_TRAINING_JOB, MULTI_MODEL_UPDATE),
)
def endpoint_model_artifacts_are_protected(
    endpoint: Endpoint,
    endpoints: Sequence[Endpoint],
    configs: Sequence[EndpointConfig],
    models: Sequence[Model],
    packages: Sequence[ModelPackage],
    jobs: Sequence[TrainingJob],
    buckets: Sequence[S3Bucket],
    s3_account: S3AccountSettings,
    roles: Sequence[IamRole],
    users: Sequence[IamUser],
    groups: Sequence[IamGroup],
    policies: Sequence[IamPolicy],
) -> Result:
    """A model's artifacts stay in S3: CreateModel names the role SageMaker assumes "to access
    model artifacts and docker image for deployment on ML compute hosting instances", and a
    multi-model endpoint downloads a model from S3 at its first invocation (AWS warns not to
    overwrite artifacts in S3 for that reason). Whoever can overwrite the object changes what a
    deployment of the model loads, without any SageMaker call; without versioning the original
    object is not kept. The training job's role is the one that legitimately writes the artifact
    (CreateTrainingJob: SageMaker needs it to "write model artifacts to an S3 bucket"). The
    graph follows endpoint → config → model → ModelDataUrl → bucket, and the model back to that
    job."""
    if endpoint.status is None:
        return unknown("The endpoint could not be described.")
    if endpoint.status != "InService":
        return not_applicable(f"The endpoint is {endpoint.status}, not serving traffic.")
    graph = lineage_of(
        {
            Endpoint: endpoints,
            EndpointConfig: configs,
            Model: models,
            ModelPackage: packages,
            TrainingJob: jobs,
            S3Bucket: buckets,
        }
    )
    verdict = _verdict()
    served = _served_models(graph, endpoint, verdict) if _subject_in(graph, endpoint.uid, verdict) else []
    principals = principals_of(roles, users, groups, policies)
    checked = [_judge_model(graph, m, s3_account, principals, verdict) for m in served]
    if not any(checked) and not verdict.unassessed and not verdict.problems:
        return not_applicable("The models of the endpoint load no artifact from S3.")
    return verdict.result(
        "the served models' artifacts",
        "The served models' artifacts are versioned, private and writable only by their training roles.",
        {"models": [c for c in checked if c]},
    )


def _judge_model(
    graph: LineageGraph, model: Model, account: S3AccountSettings, principals: Principals, verdict: Verdict
) -> dict[str, Any] | None:
    uses = _artifacts(graph, model, verdict)
    if not uses:
        return None
    trainers = _training_roles(graph, model)
    for use in uses:
        _versioned(use, verdict)
        _public(use, account, verdict)
        writers = _writers(use, object_arn(use.bucket, use.key, exact=True), principals, account, verdict)
        others = [w for w in writers if w.principal not in trainers and not w.admin and w.kind != "service"]
        if others:
            verdict.problems.append(
                {
                    "message": f"The artifact {use.uri} can be overwritten by {_names(others)}",
                    "artifact": use.uri,
                    "writers": [w.as_dict() for w in others],
                    "admin_writers": [w.principal for w in writers if w.admin],
                }
            )
    return {"model": model.uid, "artifacts": [u.uri for u in uses], "training_roles": sorted(trainers)}


def _versioned(use: S3Use, verdict: Verdict) -> None:
    versioning = use.bucket.versioning
    if versioning is None:
        verdict.unassessed.append(f"the versioning of bucket {use.bucket.name} could not be read")
    elif versioning.status != "Enabled":
        verdict.problems.append(
            {
                "message": f"Bucket {use.bucket.name} is not versioned ({versioning.status})",
                "bucket": use.bucket.name,
                "versioning": versioning.status,
            }
        )


# ---------------------------------------------------------------------------------------------
# Training jobs: their data and their role
# ---------------------------------------------------------------------------------------------


@check(
    title="SageMaker training job reads data that no public or broad principal can write",
    fail_title="SageMaker training job reads data that a public or broad principal can write",
    severity=Severity.HIGH,
    baseline=Baseline.INTEGRITY,
    remediation="Make the training-data bucket private (Block Public Access, no public or cross-account "
    "grants) and scope s3:PutObject on the data prefix to the pipeline roles that produce the data.",
    compliance={"nist-800-53-r5": ["SI-7", "AC-3", "AC-6"]},
    attack=["AML.T0020", "AML.T0010.002"],
    references=(CREATE_TRAINING_JOB,),
)
def training_data_is_not_broadly_writable(
    job: TrainingJob,
    jobs: Sequence[TrainingJob],
    buckets: Sequence[S3Bucket],
    s3_account: S3AccountSettings,
    roles: Sequence[IamRole],
    users: Sequence[IamUser],
    groups: Sequence[IamGroup],
    policies: Sequence[IamPolicy],
) -> Result:
    """A training job reads its input channels from S3 with its execution role (CreateTrainingJob:
    SageMaker needs permission "to read input data from an S3 bucket"). Whoever else can write
    there changes what the next run on that data learns from: a public bucket, a grant to
    another account, or a non-admin principal allowed s3:PutObject on every bucket. Public
    means what ``aws.s3.bucket_is_not_public`` decides (audited with the S3 checks). The graph
    follows the job's input channels to their buckets."""
    if job.input_s3_uris is None:
        return unknown("The training job could not be described.")
    if not job.input_s3_uris:
        return not_applicable("The training job reads no data from S3.")
    graph = lineage_of({TrainingJob: jobs, S3Bucket: buckets})
    verdict = _verdict()
    targets = _follow(graph, job.uid, READS, verdict) if _subject_in(graph, job.uid, verdict) else []
    uses = [u for u in (_s3_use(graph, t, verdict) for t in targets) if u is not None]
    principals = principals_of(roles, users, groups, policies)
    for use in uses:
        _public(use, s3_account, verdict)
        writers = _writers(use, object_arn(use.bucket, use.key, exact=False), principals, s3_account, verdict)
        broad = [w for w in writers if w.broad and w.principal != job.role_arn]
        if broad:
            verdict.problems.append(
                {
                    "message": f"The data {use.uri} can be written by {_names(broad)}",
                    "data": use.uri,
                    "writers": [w.as_dict() for w in broad],
                }
            )
    return verdict.result(
        "who can write the training data",
        "No public, cross-account or account-wide writer can change the training data.",
        {"data": [u.uri for u in uses]},
    )


@check(
    title="SageMaker training job's execution role cannot escalate to administrator",
    severity=Severity.HIGH,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Remove the permissions on the reported path from the execution role (iam:PassRole of more "
    "privileged roles, IAM write actions, sts:AssumeRole of admin roles); give the role only the buckets, "
    "repositories, keys and logs of its job.",
    compliance={"nist-800-53-r5": ["AC-6", "AC-6(10)"]},
    attack=["AML.T0012", "AML.T0010.003"],
    references=(NETWORK_ISOLATION, CREATE_TRAINING_JOB, EXECUTION_ROLES),
)
def training_role_cannot_escalate_to_admin(
    job: TrainingJob,
    jobs: Sequence[TrainingJob],
    roles: Sequence[IamRole],
    users: Sequence[IamUser],
    groups: Sequence[IamGroup],
    policies: Sequence[IamPolicy],
) -> Result:
    """SageMaker assumes the execution role to run the job. Unless the job has network isolation,
    its containers are internet-enabled and the role's credentials are available to them;
    SageMaker's page on internet-free mode names "code that you accidentally install on the
    container (in the form of a publicly available source code library)" as a threat, and with
    network isolation "no AWS credentials are made available to the container runtime
    environment". If the role can reach administrator (pass a more privileged role to a new job,
    rewrite a policy, assume an admin role), code in the job can too. A job with network
    isolation is not applicable: its code gets no credentials, and the role's own permissions
    are judged by the ``aws.iam.role_*`` checks."""
    if job.network_isolation:
        return not_applicable(
            "The job runs with network isolation: no AWS credentials are made available to its containers."
        )
    if job.role_arn is None:
        return unknown("The training job's execution role could not be read.")
    graph = lineage_of({TrainingJob: jobs, IamRole: roles})
    verdict = _verdict()
    resolved = _follow(graph, job.uid, RUNS_AS, verdict) if _subject_in(graph, job.uid, verdict) else []
    if not resolved:
        reasons = "; ".join(verdict.unassessed) or "the role could not be resolved"
        return unknown(f"Could not assess the execution role: {reasons}.", {"role": job.role_arn})
    escalation = principals_of(roles, users, groups, policies).escalation_to_admin(resolved[0])
    evidence = {"role": job.role_arn, "admin_reasons": list(escalation.admin_reasons)}
    if escalation.path == []:
        return failed("The execution role is itself administrator-equivalent.", evidence)
    if escalation.path:
        hops = " -> ".join(f"{e.target.rsplit('/', 1)[-1]} ({e.method})" for e in escalation.path)
        when = " when the conditions on the path hold" if escalation.conditional else ""
        path = [e.as_dict() for e in escalation.path]
        return failed(f"The execution role can reach administrator{when}: {hops}.", {**evidence, "path": path})
    if escalation.problems:
        problems = list(dict.fromkeys(escalation.problems))
        return unknown(
            f"Could not assess the escalation paths: {'; '.join(problems)}.", {**evidence, "problems": problems}
        )
    return passed("The execution role has no path to administrator.", evidence)


# ---------------------------------------------------------------------------------------------
# Models: their images
# ---------------------------------------------------------------------------------------------


@check(
    title="SageMaker model runs images from a scanned, tag-immutable ECR repository without critical findings",
    severity=Severity.HIGH,
    baseline=Baseline.INTEGRITY,
    remediation="Push inference images to a private ECR repository with tag immutability and scan on push "
    "(or enhanced scanning), fix critical vulnerabilities, and reference images by digest.",
    compliance={"nist-800-53-r5": ["RA-5", "SI-7", "CM-14"]},
    attack=["AML.T0010.004", "AML.T0010.001", "AML.T0011.001"],
    references=(DEPLOYED_IMAGE, CONTAINER_DEFINITION, ECR_IMMUTABLE_TAGS),
)
def model_images_are_scanned_and_immutable(
    model: Model, models: Sequence[Model], packages: Sequence[ModelPackage], repositories: Sequence[EcrRepository]
) -> Result:
    """The inference container runs next to the model and its data. A model may name its image
    by tag or by digest (``registry/repository[:tag]`` or ``[@digest]``); SageMaker resolves a
    tag to a digest when it deploys the model (DeployedImage ``ResolvedImage``), so a tag moved
    after that changes what the next deployment of the same model runs, not the running
    instances. ECR's immutable tags prevent a tag from being overwritten. An unscanned image, or
    one whose latest scan has critical findings, runs with known vulnerabilities. The graph
    follows each container image to its ECR repository and the image's latest scan."""
    if model.containers is None:
        return unknown("The model could not be described.")
    graph = lineage_of({Model: models, ModelPackage: packages, EcrRepository: repositories})
    verdict = _verdict()
    sources = _sources(graph, model, verdict) if _subject_in(graph, model.uid, verdict) else []
    edges = [e for source in sources for e in graph.edges_from(source, RUNS)]
    images = list(dict.fromkeys(e.target for e in edges))
    for edge in edges:
        _judge_image(graph, edge, verdict)
    if not images and not verdict.unassessed:
        return not_applicable("The model's containers name no image.")
    return verdict.result(
        "the model's images",
        "Every image comes from a scanned, tag-immutable repository and has no critical findings.",
        {"images": images},
    )


def _judge_image(graph: LineageGraph, edge: LineageEdge, verdict: Verdict) -> None:
    uri = edge.target
    ref = parse_image_uri(uri)
    if ref is None:
        verdict.problems.append({"message": f"Image {uri} is not in a private ECR repository", "image": uri})
        return
    if not edge.resolved:
        verdict.unassessed.append(edge.reason or f"{uri} could not be resolved")
        return
    repository = next(
        (graph.resource(t) for t in _follow(graph, uri, IN_REPOSITORY, verdict)),
        None,
    )
    if not isinstance(repository, EcrRepository):
        return
    if ref.tag is not None and tag_is_mutable(repository, ref.tag):
        verdict.problems.append(
            {
                "message": f"Tag {ref.tag} of {repository.name} is mutable",
                "image": uri,
                "tag_mutability": repository.tag_mutability,
            }
        )
    _judge_scanning(repository, uri, verdict)
    _judge_findings(repository, ref, verdict)


def tag_is_mutable(repository: EcrRepository, tag: str) -> bool:
    """Whether ``tag`` can be moved to another image, exclusion filters considered."""
    excluded = any(fnmatch.fnmatchcase(tag, pattern) for pattern in repository.tag_mutability_exclusions)
    if repository.tag_mutability == "IMMUTABLE":
        return False
    if repository.tag_mutability == "IMMUTABLE_WITH_EXCLUSION":
        return excluded
    if repository.tag_mutability == "MUTABLE_WITH_EXCLUSION":
        return not excluded
    return True


def _judge_scanning(repository: EcrRepository, uri: str, verdict: Verdict) -> None:
    registry = repository.registry_scanning
    if registry is None:
        verdict.unassessed.append(f"the registry scanning configuration of {repository.name} could not be read")
        return
    scanned = registry.frequency_for(repository.name) in SCANNING_FREQUENCIES or (
        registry.scan_type == "BASIC" and repository.scan_on_push
    )
    if not scanned:
        verdict.problems.append({"message": f"Repository {repository.name} has no image scanning", "image": uri})


def _judge_findings(repository: EcrRepository, ref: ImageReference, verdict: Verdict) -> None:
    if repository.images is None:
        verdict.unassessed.append(f"the images of {repository.name} could not be listed")
        return
    image = repository.find_image(ref)
    if image is None or image.scan is None:
        verdict.unassessed.append(f"the scan of {ref.uri} could not be read")
        return
    scan = image.scan
    if scan.severity_counts is None:
        if scan.status in UNSCANNED:
            verdict.problems.append({"message": f"Image {ref.uri} is not scanned ({scan.status})", "image": ref.uri})
        else:
            verdict.unassessed.append(f"the scan of {ref.uri} is {scan.status}")
    elif scan.count(CRITICAL):
        verdict.problems.append(
            {
                "message": f"Image {ref.uri} has {scan.count(CRITICAL)} critical findings",
                "image": ref.uri,
                "severity_counts": scan.severity_counts,
            }
        )


# ---------------------------------------------------------------------------------------------
# Buckets of the AI chain: keys and data events
# ---------------------------------------------------------------------------------------------


def _chain(graph: LineageGraph, bucket: S3Bucket) -> list[dict[str, Any]]:
    return supply_chain_use(graph, bucket.uid)


def _bucket_graph(
    buckets: Sequence[S3Bucket],
    jobs: Sequence[TrainingJob],
    processing_jobs: Sequence[ProcessingJob],
    feature_groups: Sequence[FeatureGroup],
    models: Sequence[Model],
    packages: Sequence[ModelPackage],
    configs: Sequence[EndpointConfig],
    extra: Mapping[type[Resource], Sequence[Resource]],
) -> LineageGraph:
    """The graph of everything that can put a bucket in the AI chain: jobs read and write it,
    feature groups store their offline data in it, models and packages load artifacts from it,
    endpoint configs capture traffic to it."""
    groups: dict[type[Resource], Sequence[Resource]] = {
        S3Bucket: buckets,
        TrainingJob: jobs,
        ProcessingJob: processing_jobs,
        FeatureGroup: feature_groups,
        Model: models,
        ModelPackage: packages,
        EndpointConfig: configs,
    }
    return lineage_of(groups | dict(extra))


@check(
    title="S3 bucket of the AI supply chain is encrypted with a customer-managed KMS key",
    severity=Severity.MEDIUM,
    baseline=Baseline.ENCRYPTION,
    remediation="Set the bucket's default encryption to SSE-KMS with an enabled customer-managed key whose "
    "key policy admits only the training, processing and inference roles.",
    compliance={"nist-800-53-r5": ["SC-12", "SC-28", "SC-28(1)"]},
    attack=["AML.T0035", "AML.T0010.002", "AML.T0018"],
    references=(KMS_SERVICE_KEY_POLICIES,),
)
def ai_bucket_encrypted_with_customer_managed_key(
    bucket: S3Bucket,
    buckets: Sequence[S3Bucket],
    jobs: Sequence[TrainingJob],
    processing_jobs: Sequence[ProcessingJob],
    feature_groups: Sequence[FeatureGroup],
    models: Sequence[Model],
    packages: Sequence[ModelPackage],
    configs: Sequence[EndpointConfig],
    keys: Sequence[KmsKey],
) -> Result:
    """Training data, model artifacts and captured inference traffic are the assets of an ML
    platform. When a service uses an AWS managed key (aws/s3), "the service establishes and
    maintains the key policies"; with a customer managed key "you set and maintain the key
    policy", so who may decrypt the bucket's objects can be narrowed to the training, processing
    and inference roles. A key the scan reads as disabled or pending deletion fails too."""
    graph = _bucket_graph(buckets, jobs, processing_jobs, feature_groups, models, packages, configs, {KmsKey: keys})
    used_by = _chain(graph, bucket)
    if not used_by:
        return not_applicable("The bucket is not part of an AI supply chain.")
    if bucket.encryption is None:
        return unknown("The bucket's default encryption could not be read.")
    evidence: dict[str, Any] = {"used_by": used_by, "algorithm": bucket.encryption.algorithm}
    if not bucket.encryption.uses_kms:
        return failed(f"Default encryption is {bucket.encryption.algorithm or 'not configured'}, not KMS.", evidence)
    key_id = bucket.encryption.kms_key_id
    if not key_id or not is_customer_managed_key(key_id):
        return failed("The bucket uses the AWS-managed aws/s3 key.", {**evidence, "kms_key_id": key_id})
    return _judge_key(graph, bucket, key_id, evidence)


def _judge_key(graph: LineageGraph, bucket: S3Bucket, key_id: str, evidence: dict[str, Any]) -> Result:
    edge = next(iter(graph.edges_from(bucket.uid, ENCRYPTED_BY)), None)
    evidence = {**evidence, "kms_key_id": key_id}
    if edge is None or not edge.resolved:
        target = graph.node(edge.target) if edge else None
        if target is not None and target.account not in (None, bucket.account):
            return passed(f"The bucket uses key {key_id} of account {target.account} (customer-managed).", evidence)
        return unknown(f"Could not assess the bucket's key: {edge.reason if edge else key_id}.", evidence)
    key = graph.resource(edge.target)
    assert isinstance(key, KmsKey)
    if key.manager is None or key.state is None:
        return unknown(f"Key {key.key_id} could not be described.", evidence)
    evidence |= {"key": key.uid, "manager": key.manager, "state": key.state}
    if not key.customer_managed:
        return failed(f"Key {key.name} is AWS-managed.", evidence)
    if key.state != "Enabled":
        return failed(f"Key {key.name} is {key.state}: the bucket's data cannot be read or will be lost.", evidence)
    return passed(f"The bucket is encrypted with the enabled customer-managed key {key.name}.", evidence)
