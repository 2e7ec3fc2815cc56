"""The AI-BOM's one table (``COMPONENT_KINDS``): every lineage node type of every cloud in it
becomes its component type, in a BOM valid against CycloneDX 1.6; other node types stay out."""

from __future__ import annotations

import json

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from cspm.models import ArtifactEntry, Lineage, LineageEdge, LineageNode
from cspm.reporting.cyclonedx import COMPONENT_KINDS, PATH_TYPES
from cspm.reporting.formats import render
from support.report_factory import make_report


def _node(node_id: str, kind: str) -> LineageNode:
    return LineageNode(id=node_id, type=kind, name=node_id, in_inventory=True)


def test_every_node_type_of_the_table_is_its_component_and_the_others_are_left_out() -> None:
    nodes = [_node(f"node-{kind}", kind) for kind in COMPONENT_KINDS]
    nodes += [_node("bucket", "aws.s3.bucket"), _node("vault", "azure.keyvault.vault")]
    report = make_report([]).model_copy(update={"lineage": Lineage(nodes=nodes, edges=[])})
    text = render(report, "cyclonedx")
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    kinds = {c["bom-ref"]: c["type"] for c in json.loads(text)["components"]}
    assert kinds == {f"node-{kind}": component for kind, component in COMPONENT_KINDS.items()}
    assert {"azure.ml.model", "azure.ml.job", "azure.ml.online_endpoint", "azure.ml.data_asset"} <= set(COMPONENT_KINDS)


def test_a_path_is_a_file_when_loaded_a_dataset_when_read_and_nothing_when_only_written() -> None:
    model, job = _node("model", "azure.ml.model"), _node("job", "azure.ml.job")
    paths = {f"{kind}:{use}": kind for kind in sorted(PATH_TYPES) for use in ("loads", "reads", "writes")}
    nodes = [model, job, *(_node(p, kind) for p, kind in paths.items())]
    edges = [
        LineageEdge(source="model" if p.endswith("loads") else "job", target=p, relation=p.rsplit(":", 1)[1],
                    api_field="x")
        for p in paths
    ]  # fmt: skip
    sha = "c" * 64
    artifact = ArtifactEntry(uid="azure.storage.path:loads", type="azure.artifacts.model_artifact", name="m",
                             account="s", region="global", uri="https://a.blob.core.windows.net/c/m.pkl", sha256=sha,
                             format="pickle")  # fmt: skip
    report = make_report([]).model_copy(update={"lineage": Lineage(nodes=nodes, edges=edges), "artifacts": [artifact]})
    text = render(report, "cyclonedx")
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    components = {c["bom-ref"]: c for c in json.loads(text)["components"]}
    for p in paths:
        use = p.rsplit(":", 1)[1]
        expected = {"loads": "file", "reads": "data"}.get(use)
        assert (components[p]["type"] if p in components else None) == expected, p
    assert components["azure.storage.path:loads"]["hashes"] == [{"alg": "SHA-256", "content": sha}]
