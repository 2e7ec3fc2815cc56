"""Benchmark: the AI lineage graph of a 300-resource SageMaker account, in CPU time.

    .venv/bin/python bench/lineage.py [--scale 1] [--repeat 7]

Builds a synthetic account from snapshots (no moto, no network): per unit of scale 80 training
jobs, 60 models, 30 endpoint configs and 30 endpoints (200 SageMaker resources), plus the 101
buckets, roles, keys and ECR repositories they reference. Some references point at things
that do not exist (deleted buckets, images in AWS's registries, keys in another region), as in
real accounts.

Measures with ``time.process_time`` (median of ``--repeat`` runs, cold caches each time):

- ``build``: :func:`cspm.lineage.build_lineage` plus ``to_model()`` (what the engine adds to a scan);
- ``report``: the severity rule, node annotations and the AI inventory over 1,500 findings;
- ``checks``: the ``aws.lineage.*`` checks on every subject, through the engine's ``evaluate``;
- ``risks``: :func:`cspm.risks.find_risks` over the lineage, those findings and, for the worst case,
  a FAIL making every bucket public, every role admin and every repository mutable (docs/risks.md).

Goal: ``build`` well under 1 s of CPU for scale 1. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from cspm import lineage as L
from cspm.engine import Inventory, evaluate
from cspm.iam.inventory import clear_memo
from cspm.models import Baseline, Finding, ResourceEntry, Severity, Status, finding_uid
from cspm.registry import load_checks
from cspm.resources.aws.ecr import EcrImage, EcrRepository, ImageScan, RegistryScanning, RepositoryEncryption
from cspm.resources.aws.iam import IamRole, InlinePolicy
from cspm.resources.aws.kms import KmsKey
from cspm.resources.aws.s3 import Encryption, PublicAccessBlock, S3AccountSettings, S3Bucket, Versioning
from cspm.resources.aws.sagemaker import (
    Endpoint,
    EndpointConfig,
    KmsEncryption,
    Model,
    ModelContainer,
    ProductionVariant,
    TrainingJob,
)
from cspm.resources.base import Resource

ACCOUNT = "123456789012"
REGION = "us-east-1"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def _sm(kind: str, name: str) -> dict[str, Any]:
    return {
        "uid": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:{kind}/{name}",
        "name": name,
        "account": ACCOUNT,
        "region": REGION,
    }


def synthetic_account(scale: int = 1, seed: int = 11) -> list[Resource]:
    rng = random.Random(seed)
    out: list[Resource] = []
    buckets = [f"ml-bucket-{i}" for i in range(40 * scale)]
    keys = [f"key-{i}" for i in range(15 * scale)]
    roles = [f"ml-role-{i}" for i in range(25 * scale)]
    repos = [f"ml/repo-{i}" for i in range(20 * scale)]
    key_arn = [f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{k}" for k in keys]
    for i, name in enumerate(buckets):
        out.append(
            S3Bucket(
                uid=f"arn:aws:s3:::{name}",
                name=name,
                account=ACCOUNT,
                region=REGION,
                encryption=Encryption(algorithm="aws:kms", kms_key_id=key_arn[i % len(keys)]),
                versioning=Versioning(status="Enabled" if i % 3 else "Suspended"),
                public_access_block=PublicAccessBlock(block_public_acls=True, ignore_public_acls=True),
                policy={},
                policy_is_public=False,
                acl_grants=(),
            )
        )
    out.append(S3AccountSettings(uid=f"arn:aws:s3:::account/{ACCOUNT}", name=ACCOUNT, account=ACCOUNT))
    for i, key in enumerate(keys):
        out.append(
            KmsKey(
                uid=key_arn[i],
                name=key,
                account=ACCOUNT,
                region=REGION,
                key_id=key,
                manager="CUSTOMER",
                state="Enabled",
                aliases=(f"alias/{key}",),
            )
        )
    for name in roles:
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["s3:GetObject", "s3:PutObject"],
                    "Resource": f"arn:aws:s3:::{rng.choice(buckets)}/*",
                },
                {"Effect": "Allow", "Action": "ecr:BatchGetImage", "Resource": "*"},
            ],
        }
        out.append(
            IamRole(
                uid=f"arn:aws:iam::{ACCOUNT}:role/{name}",
                name=name,
                account=ACCOUNT,
                trust_policy=TRUST,
                inline_policies=(InlinePolicy(name="main", document=policy),),
            )
        )
    for name in repos:
        images = tuple(
            EcrImage(
                digest="sha256:" + f"{i:064x}",
                tags=(f"v{i}",),
                scan=ImageScan(status="COMPLETE", severity_counts={"HIGH": i % 3}),
            )
            for i in range(5)
        )
        out.append(
            EcrRepository(
                uid=f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{name}",
                name=name,
                account=ACCOUNT,
                region=REGION,
                registry_id=ACCOUNT,
                uri=f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{name}",
                scan_on_push=True,
                tag_mutability="IMMUTABLE",
                encryption=RepositoryEncryption(encryption_type="AES256"),
                registry_scanning=RegistryScanning(scan_type="BASIC"),
                images=images,
            )
        )

    def image() -> str:
        if rng.random() < 0.2:  # an AWS-owned registry: unresolved
            return f"763104351884.dkr.ecr.{REGION}.amazonaws.com/pytorch-inference:2.3"
        return f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{rng.choice(repos)}:v{rng.randrange(5)}"

    def bucket() -> str:
        return rng.choice(buckets) if rng.random() > 0.1 else f"deleted-bucket-{rng.randrange(100)}"

    jobs = []
    for i in range(80 * scale):
        output = f"s3://{bucket()}/out"
        job = TrainingJob(
            **_sm("training-job", f"job-{i}"),
            status="Completed",
            role_arn=f"arn:aws:iam::{ACCOUNT}:role/{rng.choice(roles)}",
            input_s3_uris=tuple(f"s3://{bucket()}/data/{c}" for c in ("train", "validation")),
            output_s3_path=output,
            model_artifacts_s3_uri=f"{output}/job-{i}/output/model.tar.gz",
            training_image=image(),
            volume_encryption=KmsEncryption(kms_key_id=rng.choice(key_arn)),
            output_encryption=KmsEncryption(
                kms_key_id=f"alias/{rng.choice(keys)}" if i % 7 else "arn:aws:kms:eu-west-1:1:key/x"
            ),
        )
        jobs.append(job)
    out += jobs
    for i in range(60 * scale):
        job = rng.choice(jobs)
        out.append(
            Model(
                **_sm("model", f"model-{i}"),
                containers=(ModelContainer(image=image(), model_data_url=job.model_artifacts_s3_uri),),
                execution_role_arn=job.role_arn,
            )
        )
    for i in range(30 * scale):
        out.append(
            EndpointConfig(
                **_sm("endpoint-config", f"config-{i}"),
                variants=(ProductionVariant(name="main", model_name=f"model-{rng.randrange(60 * scale + 5)}"),),
                encryption=KmsEncryption(kms_key_id=rng.choice(key_arn)),
            )
        )
        out.append(Endpoint(**_sm("endpoint", f"endpoint-{i}"), status="InService", endpoint_config_name=f"config-{i}"))
    return out


def findings_for(resources: list[Resource], n: int, seed: int = 5) -> list[Finding]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        r = rng.choice(resources)
        check = f"aws.{r.service()}.check_{i % 9}"
        out.append(
            Finding(
                uid=finding_uid(check, r.uid),
                check_id=check,
                title="t",
                status=rng.choice([Status.PASS, Status.FAIL, Status.FAIL, Status.ERROR]),
                severity=rng.choice(list(Severity)),
                baseline=rng.choice(list(Baseline)),
                resource_uid=r.uid,
                resource_type=r.resource_type,
                account=ACCOUNT,
                region=REGION,
                message="m",
                remediation="r.",
            )
        )
    return out


def cpu(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        clear_memo()
        start = time.process_time()
        result = fn()
        times.append(time.process_time() - start)
    return statistics.median(times), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    resources = synthetic_account(args.scale)
    ai = sum(1 for r in resources if r.resource_type.startswith("aws.sagemaker."))
    build, lineage = cpu(lambda: L.build_lineage(resources).to_model(), args.repeat)
    graph = L.build_lineage(resources)
    findings = findings_for(resources, 1500 * args.scale)
    entries = [
        ResourceEntry(uid=r.uid, type=r.resource_type, name=r.name, account=r.account, region=r.region)
        for r in resources
    ]

    def post() -> object:
        raised = L.raise_supply_chain_severity(findings, graph)
        annotated = L.annotate(graph.to_model(), raised)
        return L.ai_inventory(entries, raised, annotated)

    report, _ = cpu(post, args.repeat)
    inventory = Inventory()
    for r in resources:
        inventory.add(r)
    checks = [s for s in load_checks(["aws"]) if s.id.startswith("aws.lineage.")]
    checks_cpu, evaluated = cpu(lambda: evaluate(checks, inventory, time_now()), max(1, args.repeat // 2))
    assert isinstance(lineage, L.Lineage) and isinstance(evaluated, list)
    from cspm.risks import find_risks

    # The worst case for the path walk: every bucket public, every role admin, every repository mutable.
    triggers = [
        Finding(
            uid=finding_uid(check, node.id),
            check_id=check,
            title="t",
            status=Status.FAIL,
            severity=Severity.HIGH,
            baseline=Baseline.INTEGRITY,
            resource_uid=node.id,
            resource_type=node.type,
            account=ACCOUNT,
            region=REGION,
            message="m",
            remediation="r.",
        )
        for node in lineage.nodes
        for node_type, check in TRIGGERS
        if node.type == node_type
    ]
    risks_cpu, risks = cpu(lambda: find_risks(lineage, [*findings, *evaluated, *triggers]), args.repeat)
    assert isinstance(risks, list)
    figures = {
        "resources": len(resources),
        "sagemaker_resources": ai,
        "nodes": len(lineage.nodes),
        "edges": len(lineage.edges),
        "unresolved_edges": sum(1 for e in lineage.edges if not e.resolved),
        "build_cpu_s": round(build, 4),
        "report_cpu_s": round(report, 4),
        "checks_cpu_s": round(checks_cpu, 4),
        "check_findings": len(evaluated),
        "risks_cpu_s": round(risks_cpu, 4),
        "risks": len(risks),
        "goal_build_cpu_s": 1.0,
        "goal_met": build < 1.0,
    }
    print(json.dumps(figures, indent=2))
    return 0


TRIGGERS = (
    ("aws.s3.bucket", "aws.s3.bucket_is_not_public"),
    ("aws.iam.role", "aws.iam.role_is_not_admin"),
    ("aws.ecr.repository", "aws.ecr.repository_tags_are_immutable"),
)


def time_now() -> Any:
    from datetime import UTC, datetime

    return datetime(2026, 11, 25, tzinfo=UTC)


if __name__ == "__main__":
    sys.exit(main())
