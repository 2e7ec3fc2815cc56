"""Benchmark: the Azure ML chain in the lineage graph, and its graph checks, in CPU time.

    .venv/bin/python bench/azure_ml_lineage.py [--models 1000] [--repeat 3]

Builds a synthetic subscription from snapshots (no fake, no network): one workspace, one storage
account with 50 containers, ``--models`` jobs (one blob input each) and as many model versions
(each trained by its job, its artifact in a container), ``--models``/10 online endpoints with three
deployments each, and one principal with 20 container-scoped data roles.

Measures with ``time.process_time`` (median of ``--repeat`` runs, cold caches each time):

- ``build``: :func:`cspm.lineage.build_lineage` plus ``to_model()``;
- ``checks``: the four ``azure.lineage.*`` ML chain checks on every subject, through ``evaluate``.

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime

from cspm.engine import Inventory, evaluate
from cspm.iam.inventory import clear_memo
from cspm.lineage import build_lineage
from cspm.registry import load_checks
from cspm.resources.azure.authorization import STORAGE_BLOB_DATA_CONTRIBUTOR, RbacPrincipal, RoleAssignment
from cspm.resources.azure.identity import ManagedIdentity
from cspm.resources.azure.ml import MlOnlineDeployment, MlOnlineEndpoint, MlWorkspace
from cspm.resources.azure.ml_assets import BlobLocation, JobIo, MlJob, MlModel
from cspm.resources.azure.storage import NetworkRules, StorageAccount, StorageContainer
from cspm.resources.base import Resource

SUB = "00000000-0000-0000-0000-000000000001"
RG = f"/subscriptions/{SUB}/resourceGroups/rg"
WS = f"{RG}/providers/Microsoft.MachineLearningServices/workspaces/ws"
ACCOUNT = f"{RG}/providers/Microsoft.Storage/storageAccounts/data"
CHECKS = (
    "azure.lineage.online_endpoint_model_storage_is_protected",
    "azure.lineage.model_storage_is_writable_only_by_workspace",
    "azure.lineage.job_storage_is_not_anonymous",
    "azure.lineage.data_asset_storage_is_not_anonymous",
)


def subscription(models: int) -> list[Resource]:
    where = {"account": SUB, "region": "eastus"}
    out: list[Resource] = [
        MlWorkspace(
            uid=WS,
            name="ws",
            resource_group="rg",
            kind="Default",
            public_network_access="Disabled",
            encryption_status="Disabled",
            managed_network_isolation="Disabled",
            system_datastores_auth_mode="Identity",
            identity=ManagedIdentity(type="SystemAssigned", principal_id="ws-oid"),
            **where,
        ),
        StorageAccount(
            uid=ACCOUNT,
            name="data",
            resource_group="rg",
            allow_blob_public_access=False,
            allow_shared_key_access=False,
            allow_cross_tenant_replication=False,
            https_only=True,
            minimum_tls_version="TLS1_2",
            public_network_access="Disabled",
            network_rules=NetworkRules(default_action="Deny", bypass=()),
            key_source="Microsoft.Storage",
            infrastructure_encryption=False,
            default_to_oauth=True,
            **where,
        ),
    ]
    out += [
        StorageContainer(
            uid=f"{ACCOUNT}/blobServices/default/containers/c{c}",
            name=f"c{c}",
            storage_account="data",
            storage_account_id=ACCOUNT,
            public_access="None",
            account_allows_public_access=False,
            **where,
        )
        for c in range(50)
    ]
    for i in range(models):
        loc = BlobLocation(account="data", container=f"c{i % 50}", path=f"runs/{i}")
        io = JobIo(name="data", kind="uri_folder", uri=f"azureml://datastores/d/paths/runs/{i}", location=loc)
        out.append(
            MlJob(uid=f"{WS}/jobs/j{i}", name=f"j{i}", workspace_id=WS, job_type="Command", inputs=(io,), **where)
        )
        out.append(
            MlModel(
                uid=f"{WS}/models/m{i}/versions/1",
                name=f"m{i}:1",
                workspace_id=WS,
                model_name=f"m{i}",
                version="1",
                model_uri=io.uri,
                job_name=f"j{i}",
                artifact=loc,
                artifact_blob_uri=loc.blob_uri,
                **where,
            )
        )
    for e in range(models // 10):
        deployments = tuple(
            MlOnlineDeployment(
                name=f"d{k}", compute_type="Managed", model=f"{WS}/models/m{(e * 10 + k) % models}/versions/1"
            )
            for k in range(3)
        )
        out.append(
            MlOnlineEndpoint(
                uid=f"{WS}/onlineEndpoints/e{e}",
                name=f"e{e}",
                workspace_id=WS,
                workspace_name="ws",
                auth_mode="AADToken",
                public_network_access="Disabled",
                deployments=deployments,
                **where,
            )
        )
    assignments = tuple(
        RoleAssignment(
            id=f"a{k}",
            scope=f"{ACCOUNT}/blobServices/default/containers/c{k}",
            scope_level="resource",
            role_definition_id=STORAGE_BLOB_DATA_CONTRIBUTOR,
        )
        for k in range(20)
    )
    out.append(
        RbacPrincipal(
            uid=f"/subscriptions/{SUB}/providers/Microsoft.Authorization/principals/p",
            name="p",
            principal_id="p",
            principal_type="Group",
            assignments=assignments,
            **where,
        )
    )
    return out


def cpu(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        clear_memo()
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return round(statistics.median(times), 3)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    resources = subscription(args.models)
    inventory = Inventory()
    for r in resources:
        inventory.add(r)
    specs = [s for s in load_checks(["azure"]) if s.id in CHECKS]
    graph = build_lineage(resources)
    findings = evaluate(specs, inventory, datetime(2026, 1, 1, tzinfo=UTC))
    result = {
        "models": args.models,
        "nodes": len(graph.nodes),
        "edges": len(graph.edges),
        "findings": len(findings),
        "build_s": cpu(lambda: build_lineage(resources).to_model(), args.repeat),
        "checks_s": cpu(lambda: evaluate(specs, inventory, datetime(2026, 1, 1, tzinfo=UTC)), args.repeat),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
