"""The reasoning of the ``*.model_artifact_*`` checks, shared by every resource type that loads
model artifacts (:data:`cspm.artifacts.sources.SOURCES`). Pure: snapshots in, a Result out.

Missing data is never a PASS: an artifact that could not be read, or was read only in part
(a corrupt member, a bomb stopped by a cap, a truncated pickle), answers ERROR unless what was
read already decides a FAIL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cspm.artifacts.inspect import DATA_ONLY, PICKLE_BASED
from cspm.artifacts.sources import Unresolved, artifact_uris, is_prefix, packages_index, under
from cspm.models import Result, failed, not_applicable, passed, unknown
from cspm.resources.artifacts import ModelArtifact
from cspm.resources.base import Resource


def _loaded(
    resource: Resource, packages: Sequence[Resource], artifacts: Sequence[ModelArtifact]
) -> list[ModelArtifact] | Result:
    """The artifacts ``resource`` loads, or the Result that ends the check (not applicable, ERROR)."""
    try:
        uris = artifact_uris(resource, packages_index(packages))
    except Unresolved as exc:
        return unknown(f"Could not assess: {exc}.")
    if not uris:
        return not_applicable("It loads no model artifact.")
    loaded = {u: _at(u, artifacts) for u in uris}
    missing = [u for u, found in loaded.items() if not found]
    if missing:
        return unknown(f"Could not assess: {missing[0]} was not inspected.", {"not_inspected": missing})
    return [a for found in loaded.values() for a in found]


def _at(uri: str, artifacts: Sequence[ModelArtifact]) -> list[ModelArtifact]:
    """The artifact at ``uri``; for a prefix, the model files under it (or the prefix's own record,
    which carries the error when it could not be listed or holds no model file)."""
    if is_prefix(uri):
        return [a for a in artifacts if under(uri, a.uri)]
    return [a for a in artifacts if a.uri == uri][:1]


def _evidence(artifact: ModelArtifact) -> dict[str, Any]:
    item: dict[str, Any] = {"uri": artifact.uri, "sha256": artifact.sha256, "format": artifact.format}
    if artifact.dangerous:
        item["dangerous_imports"] = [i.model_dump() for i in artifact.dangerous]
    if artifact.members:
        item["members"] = [{"member": m, "format": f} for m, f in artifact.members]
    if artifact.scanners:
        item["scanners"] = dict(artifact.scanners)
    if artifact.error or artifact.problems:
        item["problems"] = [p for p in (artifact.error, *artifact.problems) if p]
    if artifact.reused_from:
        item["reused_from"] = artifact.reused_from
    return item


def _incomplete(artifacts: Sequence[ModelArtifact]) -> list[ModelArtifact]:
    return [a for a in artifacts if a.error or a.problems or a.dangerous is None]


def free_of_unsafe_code(resource: Resource, packages: Sequence[Resource], artifacts: Sequence[ModelArtifact]) -> Result:
    loaded = _loaded(resource, packages, artifacts)
    if isinstance(loaded, Result):
        return loaded
    evidence = {"artifacts": [_evidence(a) for a in loaded]}
    unsafe = [a for a in loaded if a.dangerous]
    if unsafe:
        imports = sorted({f"{i.module}.{i.name}" for a in unsafe for i in a.dangerous or ()})
        return failed(f"The model artifact imports {', '.join(imports)} when loaded.", evidence)
    incomplete = _incomplete(loaded)
    if incomplete:
        first = incomplete[0]
        reason = first.error or (first.problems[0] if first.problems else "not inspected")
        return unknown(f"Could not assess {first.uri}: {reason}.", evidence)
    unrecognised = [a for a in loaded if not a.members]
    if unrecognised:
        return unknown(f"Could not assess {unrecognised[0].uri}: no model file was recognised in it.", evidence)
    return passed("No model artifact it loads imports code known to be dangerous.", evidence)


def uses_safe_format(resource: Resource, packages: Sequence[Resource], artifacts: Sequence[ModelArtifact]) -> Result:
    loaded = _loaded(resource, packages, artifacts)
    if isinstance(loaded, Result):
        return loaded
    evidence = {"artifacts": [_evidence(a) for a in loaded]}
    pickled = [(a.uri, m, f) for a in loaded for m, f in _formats(a) if f in PICKLE_BASED]
    if pickled:
        found = sorted({f for _, _, f in pickled})
        return failed(f"The model artifact is serialised with pickle ({', '.join(found)}).", evidence)
    unread = [a for a in loaded if a.error or a.problems or not _formats(a)]
    if unread:
        first = unread[0]
        reason = first.error or (first.problems[0] if first.problems else "no model file was recognised in it")
        return unknown(f"Could not assess {first.uri}: {reason}.", evidence)
    formats = sorted({f for a in loaded for _, f in _formats(a)})
    message = f"The model artifact uses {', '.join(formats)}, not pickle."
    if not set(formats) <= DATA_ONLY:
        message += " Keras and TensorFlow formats may still carry code: see model_artifact_is_free_of_unsafe_code."
    return passed(message, evidence)


def _formats(artifact: ModelArtifact) -> list[tuple[str, str]]:
    """(member, format) of the model files of the artifact, or the artifact's own format when it
    was not read whole (over the byte budget) but its first bytes were recognised."""
    if artifact.members:
        return list(artifact.members)
    if artifact.format in PICKLE_BASED | DATA_ONLY:
        return [(artifact.uri, artifact.format or "")]
    return []


def signature_verifies(
    resource: Resource, packages: Sequence[Resource], artifacts: Sequence[ModelArtifact], *, served: bool
) -> Result:
    """``served``: the resource is hosted by an InService endpoint (for the policy ``served``)."""
    loaded = _loaded(resource, packages, artifacts)
    if isinstance(loaded, Result):
        return loaded
    if all(a.signing_policy is None for a in loaded):
        return not_applicable("Signatures were not looked at: no signing key, certificate, identity or policy.")
    required = any(a.signing_policy == "all" or (a.signing_policy == "served" and served) for a in loaded)
    evidence = {"artifacts": [_signature_evidence(a) for a in loaded], "signature_required": required}
    invalid = [a for a in loaded if a.signature and a.signature.status == "invalid"]
    if invalid:
        detail = invalid[0].signature.detail if invalid[0].signature else None
        return failed(f"The signature of {invalid[0].uri} does not verify ({detail}).", evidence)
    absent = [a for a in loaded if a.signature and a.signature.status == "absent"]
    if required and absent:
        return failed(f"{absent[0].uri} has no signature, and the signing policy requires one.", evidence)
    unverifiable = [
        a
        for a in loaded
        if (a.signature is not None and a.signature.status == "unverifiable") or (required and a.signature is None)
    ]
    if unverifiable:
        first = unverifiable[0]
        reason = (first.signature.detail if first.signature else None) or first.error or "the artifact was not read"
        return unknown(f"Could not verify the signature of {first.uri}: {reason}.", evidence)
    if all(a.signature and a.signature.status == "verified" for a in loaded):
        return passed("Every artifact the model loads has a signature that verifies.", evidence)
    return not_applicable("Unsigned, and the signing policy does not require a signature of this model.")


def _signature_evidence(artifact: ModelArtifact) -> dict[str, Any]:
    item: dict[str, Any] = {"uri": artifact.uri, "sha256": artifact.sha256, "signing_policy": artifact.signing_policy}
    if artifact.signature is not None:
        item["signature"] = artifact.signature.model_dump(exclude_none=True)
    return item
