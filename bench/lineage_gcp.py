"""Benchmark: the Google Cloud AI lineage (cspm/lineage_gcp.py) of a synthetic Vertex AI project, in CPU time.

    .venv/bin/python bench/lineage_gcp.py [--scale 1] [--repeat 5]

Per unit of scale, from snapshots (no fake server, no network): 100 buckets (1 in 10 public),
40 service accounts, 200 custom jobs, 100 training pipelines, 100 datasets, 200 models (half
saved under a custom job's output directory, a quarter uploaded by a pipeline) and 100 endpoints
with three deployed models each (one at 0 % traffic). 1 reference in 20 points at a bucket of a
project outside the scan.

Measures with ``time.process_time`` (median of ``--repeat`` runs, cold caches each time):
``build`` (:func:`cspm.lineage.build_lineage` plus ``to_model()``), ``checks`` (the four
``gcp.lineage.*`` checks and ``gcp.storage.bucket_is_not_public`` through the engine's
``evaluate``) and ``risks`` (:func:`cspm.risks.find_risks` over the lineage and those findings).
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from cspm.engine import Inventory, evaluate
from cspm.iam.inventory import clear_memo
from cspm.lineage import build_lineage
from cspm.registry import load_checks
from cspm.resources.base import Resource
from cspm.resources.gcp.iam import GcpServiceAccount
from cspm.resources.gcp.storage import GcsBucket, IamBinding
from cspm.resources.gcp.vertex import (
    DeployedModel,
    VertexCustomJob,
    VertexDataset,
    VertexEndpoint,
    VertexModel,
    VertexTrainingPipeline,
)
from cspm.risks import find_risks

PROJECT = "bench-project"
LOC = "projects/1000/locations/us-central1"
WHERE: dict[str, Any] = {"account": PROJECT, "region": "us-central1"}


def project(scale: int, seed: int = 7) -> list[Resource]:
    rnd = random.Random(seed)
    out: list[Resource] = []
    buckets = [f"b{i}" for i in range(100 * scale)]

    def gs(path: str) -> str:
        name = f"partner-{rnd.randrange(10)}" if rnd.random() < 0.05 else rnd.choice(buckets)
        return f"gs://{name}/{path}"

    for i, name in enumerate(buckets):
        public = (IamBinding(role="roles/storage.objectViewer", members=("allUsers",)),) if i % 10 == 0 else ()
        out.append(
            GcsBucket(
                uid=f"//storage.googleapis.com/projects/_/buckets/{name}",
                name=name,
                account=PROJECT,
                region="us",
                uniform_access=True,
                public_access_prevention="inherited",
                versioning_enabled=i % 3 == 0,
                iam_bindings=public,
                acl=(),
                default_object_acl=(),
            )
        )
    accounts = [f"sa{i}@{PROJECT}.iam.gserviceaccount.com" for i in range(40 * scale)]
    out += [
        GcpServiceAccount(uid=f"projects/{PROJECT}/serviceAccounts/{e}", name=e, email=e, account=PROJECT)
        for e in accounts
    ]
    outputs = []
    for i in range(200 * scale):
        output = gs(f"jobs/{i}/")
        outputs.append(output)
        account = rnd.choice([*accounts, None])
        out.append(
            VertexCustomJob(
                uid=f"{LOC}/customJobs/{i}", name=f"job-{i}", output_uri=output, service_account=account, **WHERE
            )
        )
    for i in range(100 * scale):
        out.append(
            VertexDataset(uid=f"{LOC}/datasets/{i}", name=f"ds-{i}", gcs_sources=(gs(f"data/{i}.csv"),), **WHERE)
        )
        out.append(
            VertexTrainingPipeline(
                uid=f"{LOC}/trainingPipelines/{i}",
                name=f"pipe-{i}",
                dataset_id=str(i),
                data_export_uri=gs(f"splits/{i}/"),
                model=f"{LOC}/models/{i}" if i % 2 == 0 else None,
                **WHERE,
            )
        )
    for i in range(200 * scale):
        artifact = outputs[i] + "model/" if i % 2 else gs(f"models/{i}/")
        out.append(VertexModel(uid=f"{LOC}/models/{i}", name=f"model-{i}", artifact_uri=artifact, **WHERE))
    for i in range(100 * scale):
        deployed = tuple(
            DeployedModel(
                id=str(k),
                model=f"{LOC}/models/{rnd.randrange(200 * scale)}",
                traffic_percent=(0, 30, 70)[k],
                service_account=rnd.choice([*accounts, None]),
            )
            for k in range(3)
        )
        out.append(VertexEndpoint(uid=f"{LOC}/endpoints/{i}", name=f"ep-{i}", deployed_models=deployed, **WHERE))
    return out


def _median(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        clear_memo()
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return round(statistics.median(times), 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    resources = project(args.scale)
    inventory = Inventory()
    for r in resources:
        inventory.add(r)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    checks = [
        s for s in load_checks(["gcp"]) if s.id.startswith("gcp.lineage.") or s.id.endswith("bucket_is_not_public")
    ]
    graph = build_lineage(resources)
    lineage = graph.to_model()
    findings = evaluate(checks, inventory, now)
    result = {
        "scale": args.scale,
        "resources": len(resources),
        "nodes": len(lineage.nodes),
        "edges": len(lineage.edges),
        "unresolved": sum(1 for e in lineage.edges if not e.resolved),
        "findings": len(findings),
        "build_s": _median(lambda: build_lineage(resources).to_model(), args.repeat),
        "checks_s": _median(lambda: evaluate(checks, inventory, now), args.repeat),
        "risks_s": _median(lambda: find_risks(lineage, findings), args.repeat),
        "risks": len(find_risks(lineage, findings)),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
