"""Model artifacts in the report: ``report.artifacts`` and the lineage's artifact nodes."""

from __future__ import annotations

from collections.abc import Iterable

from cspm.models import ArtifactEntry, Lineage
from cspm.resources.artifacts import ModelArtifact
from cspm.resources.base import Resource


def artifact_entries(resources: Iterable[Resource]) -> list[ArtifactEntry] | None:
    """Every inspected artifact, sorted by uri; None when the scan read none (no --inspect-artifacts)."""
    found = [r for r in resources if isinstance(r, ModelArtifact)]
    if not found:
        return None
    return [
        ArtifactEntry.model_validate({**a.model_dump(exclude={"tags"}), "type": a.resource_type})
        for a in sorted(found, key=lambda a: a.uri)
    ]


def annotate_artifacts(lineage: Lineage, artifacts: list[ArtifactEntry] | None) -> Lineage:
    """The lineage with each inspected artifact's node carrying its SHA-256, format and dangerous imports."""
    if not artifacts:
        return lineage
    by_uid = {a.uid: a for a in artifacts}
    nodes = []
    for node in lineage.nodes:
        artifact = by_uid.get(node.id)
        if artifact is None:
            nodes.append(node)
            continue
        dangerous = artifact.dangerous
        imports = None if dangerous is None else sorted({f"{i.module}.{i.name}" for i in dangerous})
        update = {"sha256": artifact.sha256, "format": artifact.format, "dangerous_imports": imports}
        nodes.append(node.model_copy(update=update))
    return lineage.model_copy(update={"nodes": nodes})
