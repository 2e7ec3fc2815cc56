"""``--output-formats cyclonedx``: the AI-BOM, a CycloneDX 1.6 ML-BOM (``report.cdx.json``), built with
cyclonedx-python-lib (the ``aibom`` extra) from the report's lineage and artifacts.

Components, one per lineage node of these kinds (``bom-ref`` = the node id, so the BOM joins the
report's resources and findings); :data:`COMPONENT_KINDS` is the table, one row per node type:

| lineage node | CycloneDX component |
|---|---|
| a model: SageMaker model and model package, Bedrock custom and imported model, Vertex AI model, Azure
  ML model asset version, the model of an AI Services deployment | ``machine-learning-model`` |
| an object or blob a model loads or a job produced; each file of a model folder that
  ``--inspect-artifacts`` read (a Bedrock imported model's S3 folder, GCS, Blob Storage) | ``file``:
  SHA-256, format |
| a prefix or blob path a job reads; a Vertex AI dataset; an Azure ML data asset | ``data`` (a dataset) |
| a container image (ECR) | ``container``: the ECR digest when the image URI pins one |
| what produced or serves a model: SageMaker training and processing jobs and endpoints, Bedrock
  customization and model import jobs and provisioned throughputs, Vertex AI custom jobs,
  training pipelines and endpoints, Azure ML jobs and online endpoints, AI Services deployments |
  ``application`` |

Dependencies follow the lineage edges between those components (``loads``, ``runs``,
``trained_by``, ``imported_by``, ``reads``, ``produced``, ``from_package``, ``hosts``; a SageMaker
endpoint depends on the models its endpoint config hosts, a Vertex AI endpoint or a Bedrock
provisioned throughput on the models it hosts, an Azure ML online endpoint on the models it
loads). Verdicts are ``cspm:*`` properties: each artifact's format, dangerous imports, signature
status and problems, and each model's findings of the artifact and lineage checks
(``cspm:finding:<check id>`` = PASS / FAIL / ERROR; ``*.lineage.*`` and ``*model_artifact_*``).
Azure ML environments (images) are not in the lineage, so not in the BOM.
A report without lineage gives a BOM with the tool's metadata and no components.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from cspm.artifacts.options import is_artifact_check
from cspm.models import ArtifactEntry, LineageEdge, LineageNode

if TYPE_CHECKING:
    from cspm.reporting.formats import RenderContext

ML_MODEL, APPLICATION, CONTAINER, FILE, DATA = "machine-learning-model", "application", "container", "file", "data"
# lineage node type -> CycloneDX component type, for every cloud: the one table of the BOM.
COMPONENT_KINDS: dict[str, str] = {
    # models
    "aws.sagemaker.model": ML_MODEL,
    "aws.sagemaker.model_package": ML_MODEL,
    "gcp.vertex.model": ML_MODEL,
    "azure.ml.model": ML_MODEL,  # a workspace model asset version, or a registry's (azureml://registries/...)
    "azure.cognitiveservices.model": ML_MODEL,  # the model an AI Services deployment serves
    "aws.bedrock.imported_model": ML_MODEL,  # loads the files of its S3 folder that were read
    "aws.bedrock.custom_model": ML_MODEL,
    # what produced or serves a model
    "aws.sagemaker.training_job": APPLICATION,
    "aws.sagemaker.processing_job": APPLICATION,
    "aws.sagemaker.endpoint": APPLICATION,
    "aws.bedrock.customization_job": APPLICATION,
    "aws.bedrock.model_import_job": APPLICATION,
    "aws.bedrock.provisioned_throughput": APPLICATION,  # hosts its custom or imported model
    "gcp.vertex.custom_job": APPLICATION,
    "gcp.vertex.training_pipeline": APPLICATION,
    "gcp.vertex.endpoint": APPLICATION,  # hosts its models directly
    "azure.ml.job": APPLICATION,
    "azure.ml.online_endpoint": APPLICATION,  # loads the models of its deployments directly
    "azure.cognitiveservices.deployment": APPLICATION,
    # container images
    "aws.ecr.image": CONTAINER,
    # datasets
    "gcp.vertex.dataset": DATA,
    "azure.ml.data_asset": DATA,
    # files --inspect-artifacts read that are nodes of their own (a folder's files)
    "gcp.artifacts.model_artifact": FILE,
    "azure.artifacts.model_artifact": FILE,
}
# Storage paths (s3://, gs://, a blob URL) are a file when a model loads or a job produced them,
# a dataset when a job reads them.
PATH_TYPES = frozenset({"aws.s3.prefix", "gcp.storage.prefix", "azure.storage.path"})
IMAGE, ENDPOINT_CONFIG = "aws.ecr.image", "aws.sagemaker.endpoint_config"
DEPENDENCY_RELATIONS = frozenset({"loads", "runs", "trained_by", "imported_by", "reads", "produced", "from_package"})
ARTIFACT_RELATIONS = frozenset({"loads", "produced"})
FINDING_PREFIXES = ("aws.lineage.", "gcp.lineage.", "azure.lineage.")


def render(ctx: RenderContext) -> str:
    from cyclonedx.output.json import JsonV1Dot6

    return str(JsonV1Dot6(build_bom(ctx)).output_as_string(indent=2)) + "\n"


def build_bom(ctx: RenderContext) -> Any:
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component, ComponentType

    from cspm import __version__

    report = ctx.report
    bom = Bom()
    bom.metadata.timestamp = report.scan.finished_at
    bom.metadata.tools.components.add(Component(type=ComponentType.APPLICATION, name="cspm", version=__version__))
    lineage = report.lineage
    if lineage is None:
        return bom
    kinds = _kinds(lineage.nodes, lineage.edges)
    artifacts = {a.uid: a for a in report.artifacts or ()}
    findings = _findings(ctx)
    components = {
        node.id: _component(node, kinds[node.id], artifacts.get(node.id), findings.get(node.id, {}))
        for node in lineage.nodes
        if node.id in kinds
    }
    for component in components.values():
        bom.components.add(component)
    for source, targets in _dependencies(lineage.edges, components).items():
        bom.register_dependency(components[source], [components[t] for t in sorted(targets)])
    return bom


def _kinds(nodes: Iterable[LineageNode], edges: Iterable[LineageEdge]) -> dict[str, str]:
    """node id -> CycloneDX component type, for the nodes the BOM holds."""
    edge_list = list(edges)
    artifacts = {e.target for e in edge_list if e.relation in ARTIFACT_RELATIONS}
    datasets = {e.target for e in edge_list if e.relation == "reads"}
    kinds: dict[str, str] = {}
    for node in nodes:
        if node.type in COMPONENT_KINDS:
            kinds[node.id] = COMPONENT_KINDS[node.type]
        elif node.type in PATH_TYPES and node.id in artifacts:
            kinds[node.id] = FILE
        elif node.type in PATH_TYPES and node.id in datasets:
            kinds[node.id] = DATA
    return kinds


def _component(node: LineageNode, kind: str, artifact: ArtifactEntry | None, findings: dict[str, str]) -> Any:
    from cyclonedx.model import HashAlgorithm, HashType, Property
    from cyclonedx.model.component import Component, ComponentType

    properties = [Property(name="cspm:resource_type", value=node.type)]
    properties += [
        Property(name=f"cspm:{k}", value=v) for k, v in (("account", node.account), ("region", node.region)) if v
    ]
    hashes = []
    if artifact is not None:
        properties += _artifact_properties(artifact)
        if artifact.sha256:
            hashes.append(HashType(alg=HashAlgorithm.SHA_256, content=artifact.sha256))
    elif node.type == IMAGE and "@sha256:" in node.id:
        hashes.append(HashType(alg=HashAlgorithm.SHA_256, content=node.id.rsplit("@sha256:", 1)[1]))
    properties += [Property(name=f"cspm:finding:{check}", value=status) for check, status in sorted(findings.items())]
    return Component(
        type=ComponentType(kind),
        name=node.name,
        bom_ref=node.id,
        hashes=hashes,
        properties=properties,
    )


def _artifact_properties(artifact: ArtifactEntry) -> list[Any]:
    from cyclonedx.model import Property

    values: list[tuple[str, str | None]] = [
        ("artifact:uri", artifact.uri),
        ("artifact:format", artifact.format),
        ("artifact:size", None if artifact.size is None else str(artifact.size)),
        ("artifact:scanners", ", ".join(f"{k} {v}" for k, v in sorted(artifact.scanners.items())) or None),
        ("artifact:reused_from", artifact.reused_from),
        ("artifact:error", artifact.error),
    ]
    if artifact.dangerous is not None:
        imports = sorted({f"{i.module}.{i.name}" for i in artifact.dangerous})
        values.append(("artifact:dangerous_imports", ", ".join(imports) if imports else "none"))
    if artifact.signature is not None:
        values.append(("artifact:signature", artifact.signature.status))
    values += [("artifact:problem", p) for p in artifact.problems]
    return [Property(name=f"cspm:{k}", value=v) for k, v in values if v]


def _findings(ctx: RenderContext) -> dict[str, dict[str, str]]:
    """resource uid -> {check id: status} of the artifact and lineage checks."""
    out: dict[str, dict[str, str]] = defaultdict(dict)
    for finding in ctx.report.findings:
        if finding.check_id.startswith(FINDING_PREFIXES) or is_artifact_check(finding.check_id):
            out[finding.resource_uid][finding.check_id] = finding.status.value
    return out


def _dependencies(edges: Iterable[LineageEdge], components: dict[str, Any]) -> dict[str, set[str]]:
    """source -> targets among the components; an endpoint depends on what its config hosts."""
    hosts: dict[str, set[str]] = defaultdict(set)
    out: dict[str, set[str]] = defaultdict(set)
    edge_list = list(edges)
    for e in edge_list:
        if e.relation == "hosts":
            hosts[e.source].add(e.target)
    for e in edge_list:
        if e.source not in components:
            continue
        if e.relation in DEPENDENCY_RELATIONS and e.target in components:
            out[e.source].add(e.target)
        elif e.relation == "serves":
            out[e.source].update(t for t in hosts.get(e.target, ()) if t in components)
        elif e.relation == "hosts" and e.target in components:  # a Vertex AI endpoint hosts its models itself
            out[e.source].add(e.target)
    return out
