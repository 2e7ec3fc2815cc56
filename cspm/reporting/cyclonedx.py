"""``--output-formats cyclonedx``: the AI-BOM, a CycloneDX 1.6 ML-BOM (``report.cdx.json``), built with
cyclonedx-python-lib (the ``aibom`` extra) from the report's lineage and artifacts.

Components, one per lineage node of these kinds (``bom-ref`` = the node id, so the BOM joins the
report's resources and findings):

| lineage node | CycloneDX component |
|---|---|
| SageMaker model, model package | ``machine-learning-model`` |
| an S3 object a model loads or a job produced | ``file``: SHA-256, format (``--inspect-artifacts``) |
| an S3 prefix a training or processing job reads | ``data`` (a dataset) |
| a container image | ``container``: the ECR digest when the image URI pins one |
| training job, processing job, endpoint | ``application`` (what produced or serves a model) |

Dependencies follow the lineage edges between those components (``loads``, ``runs``,
``trained_by``, ``reads``, ``produced``, ``from_package``; an endpoint depends on the models its
endpoint config hosts). Verdicts are ``cspm:*`` properties: each artifact's format, dangerous
imports, signature status and problems, and each model's findings of the artifact and lineage
checks (``cspm:finding:<check id>`` = PASS / FAIL / ERROR). GCP: Vertex AI models, custom jobs,
pipelines and endpoints the same way (an endpoint depends on the models it hosts; ``gcp.lineage.*``
findings as properties). A report without lineage, or with only Azure nodes (not mapped to
components yet), gives a BOM with the tool's metadata and no components.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from cspm.models import ArtifactEntry, LineageEdge, LineageNode

if TYPE_CHECKING:
    from cspm.reporting.formats import RenderContext

MODEL_TYPES = frozenset({"aws.sagemaker.model", "aws.sagemaker.model_package", "gcp.vertex.model"})
JOB_TYPES = frozenset(
    {
        "aws.sagemaker.training_job",
        "aws.sagemaker.processing_job",
        "aws.sagemaker.endpoint",
        # Vertex AI (cspm/lineage_gcp.py): an endpoint hosts its models directly
        "gcp.vertex.custom_job",
        "gcp.vertex.training_pipeline",
        "gcp.vertex.endpoint",
    }
)
PREFIX, IMAGE, ENDPOINT_CONFIG = "aws.s3.prefix", "aws.ecr.image", "aws.sagemaker.endpoint_config"
PREFIXES = frozenset({PREFIX, "gcp.storage.prefix"})
DEPENDENCY_RELATIONS = frozenset({"loads", "runs", "trained_by", "reads", "produced", "from_package"})
ARTIFACT_RELATIONS = frozenset({"loads", "produced"})
FINDING_PREFIXES = ("aws.lineage.", "aws.sagemaker.model_artifact_", "gcp.lineage.")


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
        if node.type in MODEL_TYPES:
            kinds[node.id] = "machine-learning-model"
        elif node.type in JOB_TYPES:
            kinds[node.id] = "application"
        elif node.type == IMAGE:
            kinds[node.id] = "container"
        elif node.type in PREFIXES and node.id in artifacts:
            kinds[node.id] = "file"
        elif node.type in PREFIXES and node.id in datasets:
            kinds[node.id] = "data"
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
        if finding.check_id.startswith(FINDING_PREFIXES):
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
