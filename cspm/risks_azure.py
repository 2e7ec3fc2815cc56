"""Azure ML in the risks of :mod:`cspm.risks`: the finders' Azure paths, over the graph of
:mod:`cspm.lineage_azure`::

    container ─(in_container)← blob path ←reads─ job ←trained_by─ model asset ←loads─ online endpoint
    container ←in_container─ blob path ←stores_in─ data asset ←reads─ job ...
    online endpoint ─runs_as→ principal (its managed identity, with its role assignments)

The kinds, scoring and ids are :mod:`cspm.risks`'s (it calls these on first use); the unsafe
artifact finder needs no Azure code of its own (a model asset's blobs are its ``loads`` targets).

- ``untrusted_training_data``: a container that allows anonymous access
  (``azure.storage.container_is_not_public`` FAIL: exposure internet), or that principals can
  write through roles at the subscription or above (the ``broad_writers`` the endpoint's
  ``azure.lineage.online_endpoint_model_storage_is_protected`` FAIL names: exposure account),
  read by a job, directly or through a data asset, that trained a model an online endpoint loads.
- ``admin_role_behind_endpoint``: an online endpoint runs as a managed identity that holds
  Owner, Contributor, an access-admin role, a wildcard custom role, or a way to escalate
  (``azure.authorization.principal_*`` FAIL), or whose own
  ``azure.ml.online_endpoint_identity_is_not_privileged`` failed.
"""

from __future__ import annotations

from collections.abc import Iterator

from cspm.lineage import READS, RUNS_AS
from cspm.lineage_azure import CONTAINER, DATA_ASSET, STORES_IN
from cspm.models import Finding, LineageEdge
from cspm.risks import (
    AZURE_ADMIN_CHECKS,
    AZURE_ENDPOINT,
    AZURE_ENDPOINT_IDENTITY,
    AZURE_ENDPOINT_STORAGE,
    AZURE_JOB,
    AZURE_JOB_CHECKS,
    AZURE_PUBLIC_CONTAINER,
    EXPOSURE_POINTS,
    IN_CONTAINER,
    Candidate,
    Graph,
    _action,
    _untrusted_training_data,
    path_nodes,
)

PRINCIPAL = "azure.authorization.principal"


def _data_containers(graph: Graph) -> dict[str, tuple[str, list[Finding]]]:
    """Container node -> (exposure, the findings that say so): anonymous access, or the broad
    writers an online endpoint's storage check found on it."""
    out: dict[str, tuple[str, list[Finding]]] = {}
    for node in graph.of_type(CONTAINER):
        public = graph.failing(node.id, AZURE_PUBLIC_CONTAINER)
        if public:
            out[node.id] = ("internet", public)
    for endpoint in graph.of_type(AZURE_ENDPOINT):
        for finding in graph.failing(endpoint.id, AZURE_ENDPOINT_STORAGE):
            for exposed in finding.evidence.get("exposed", ()):
                if not isinstance(exposed, dict) or exposed.get("container") not in graph.nodes:
                    continue
                exposure = "internet" if exposed.get("anonymous_access") else "account"
                container = str(exposed["container"])
                known, findings = out.get(container, (exposure, []))
                widest = max(known, exposure, key=EXPOSURE_POINTS.__getitem__)
                out[container] = (widest, findings if finding in findings else [*findings, finding])
    return out


def _readers(graph: Graph, container_id: str) -> list[list[LineageEdge]]:
    """container ← in_container ← blob path ← reads ← job, or through a data asset (path ←
    stores_in ← data asset ← reads ← job): the chains from the container to each job."""
    found = []
    for inside in graph.referrers(container_id, IN_CONTAINER):
        for use in graph.referrers(inside.source, READS, STORES_IN):
            if use.relation == STORES_IN and graph.type(use.source) == DATA_ASSET:
                found += [[inside, use, r] for r in graph.referrers(use.source, READS)]
            elif use.relation == READS:
                found.append([inside, use])
    return [c for c in found if graph.type(c[-1].source) == AZURE_JOB]


def untrusted_training_data(graph: Graph) -> Iterator[Candidate]:
    yield from _untrusted_training_data(graph, _data_containers(graph), _readers, AZURE_JOB_CHECKS)


def admin_identity_behind_endpoint(graph: Graph) -> Iterator[Candidate]:
    """online endpoint ─runs_as→ principal whose roles make it an administrator, or let it become one."""
    for endpoint in graph.of_type(AZURE_ENDPOINT):
        own = graph.failing(endpoint.id, AZURE_ENDPOINT_IDENTITY)
        for runs_as in graph.targets(endpoint.id, RUNS_AS):
            if graph.type(runs_as.target) != PRINCIPAL:
                continue
            roles = graph.failing(runs_as.target, *AZURE_ADMIN_CHECKS)
            if not roles and not own:
                continue
            fix = (own or roles)[0]
            yield Candidate(
                title=f"Online endpoint {endpoint.name} serves predictions as managed identity "
                f"{graph.name(runs_as.target)}, which holds privileged roles on the subscription",
                nodes=path_nodes(endpoint.id, [runs_as]),
                edges=[runs_as],
                triggers=[*own, *roles],
                exposure="invokers",
                impact="admin",
                fix=fix,
                action=_action(graph, fix),
            )
