"""Lineage graphs and risks built in code, shaped like report.json's ``lineage`` and ``risks``
sections (docs/lineage.md, DESIGN "Additions of the second wave"): import as ``support.lineage_factory``.

``chain_lineage(chains)`` is ``chains`` SageMaker supply chains (endpoint → endpoint config → model →
artifact → bucket; the model's training job reads a data prefix and runs an image as a role), each
9 nodes, sharing one role, key and ECR repository per ``share`` chains (ten by default), as real
accounts share them; ``share=chains`` makes the whole graph one connected component.
Every seventh model loads an artifact from a bucket the scan could not resolve (dashed edges with a
reason). ``chain_risks`` gives ranked risks along those chains; ``chain_findings`` the failing
findings that colour the nodes.
"""

from __future__ import annotations

from typing import Any

from cspm.models import Baseline, Finding, Severity, finding_uid
from cspm.reporting.formats import short_name
from support.report_factory import ACCOUNT_A, TRICKY, make_finding

PREFIX = f"arn:aws:sagemaker:us-east-1:{ACCOUNT_A}"
UNRESOLVED = "bucket gone-{i} is not in the inventory: deleted, or owned by another account"


def chain_ids(i: int, share: int = 10) -> dict[str, str]:
    shared = i // share
    return {
        "endpoint": f"{PREFIX}:endpoint/fraud-detection-endpoint-{i:04d}",
        "config": f"{PREFIX}:endpoint-config/fraud-detection-endpoint-config-{i:04d}",
        "model": f"{PREFIX}:model/fraud-detection-model-with-a-long-name-v{i:04d}",
        "artifact": (f"arn:aws:s3:::gone-{i}" if i % 7 == 6 else f"arn:aws:s3:::acme-ml-artifacts-{i:04d}")
        + f"/fraud/{i}/output/model.tar.gz",
        "bucket": f"arn:aws:s3:::gone-{i}" if i % 7 == 6 else f"arn:aws:s3:::acme-ml-artifacts-{i:04d}",
        "job": f"{PREFIX}:training-job/fraud-train-{i:04d}",
        "data": f"arn:aws:s3:::acme-ml-training-data-{i:04d}/train/",
        "image": f"{ACCOUNT_A}.dkr.ecr.us-east-1.amazonaws.com/acme-ml/training:{i}.0",
        "role": f"arn:aws:iam::{ACCOUNT_A}:role/AcmeSageMakerExecution-{shared}",
        "repo": f"arn:aws:ecr:us-east-1:{ACCOUNT_A}:repository/acme-ml/training-{shared}",
        "key": f"arn:aws:kms:us-east-1:{ACCOUNT_A}:key/{shared:08d}-0000-4000-8000-000000000000",
        "data_bucket": f"arn:aws:s3:::acme-ml-training-data-{i:04d}",
    }


TYPES = {
    "endpoint": "aws.sagemaker.endpoint",
    "config": "aws.sagemaker.endpoint_config",
    "model": "aws.sagemaker.model",
    "artifact": "aws.s3.prefix",
    "bucket": "aws.s3.bucket",
    "job": "aws.sagemaker.training_job",
    "data": "aws.s3.prefix",
    "image": "aws.ecr.image",
    "role": "aws.iam.role",
    "repo": "aws.ecr.repository",
    "key": "aws.kms.key",
    "data_bucket": "aws.s3.bucket",
}
EDGES = [
    ("endpoint", "config", "serves"),
    ("config", "model", "hosts"),
    ("model", "artifact", "loads"),
    ("artifact", "bucket", "in_bucket"),
    ("model", "job", "trained_by"),
    ("job", "data", "reads"),
    ("data", "data_bucket", "in_bucket"),
    ("job", "image", "runs"),
    ("image", "repo", "in_repository"),
    ("job", "role", "runs_as"),
    ("data_bucket", "key", "encrypted_by"),
]


def _edge(ids: dict[str, str], source: str, target: str, relation: str, i: int) -> dict[str, Any]:
    unresolved = i % 7 == 6 and target in ("artifact", "bucket")
    return {
        "source": ids[source],
        "target": ids[target],
        "relation": relation,
        "api_field": "synthetic",
        "resolved": not unresolved,
        "reason": UNRESOLVED.format(i=i) if unresolved else None,
    }


def chain_lineage(chains: int, share: int = 10) -> dict[str, Any]:
    nodes: dict[str, dict[str, Any]] = {}
    edges: list[dict[str, Any]] = []
    for i in range(chains):
        ids = chain_ids(i, share)
        for role, uid in ids.items():
            name = uid.split(":::", 1)[1] if role in ("artifact", "data") else short_name(uid)
            nodes.setdefault(
                uid,
                {"id": uid, "type": TYPES[role], "name": name, "account": ACCOUNT_A, "region": "us-east-1"}
                | {"in_inventory": not uid.startswith("arn:aws:s3:::gone-"), "fail": 0, "risk": None},
            )
        edges.extend(_edge(ids, s, t, rel, i) for s, t, rel in EDGES)
    return {"nodes": sorted(nodes.values(), key=lambda n: (n["type"], n["id"])), "edges": edges}


def chain_findings(chains: int, share: int = 10) -> list[Finding]:
    """A public data bucket (critical) every third chain, an admin training role (high) per ten."""
    findings = []
    for i in range(chains):
        ids = chain_ids(i, share)
        if i % 3 == 0:
            findings.append(make_finding("aws.s3.bucket_is_not_public", ids["data_bucket"], severity=Severity.CRITICAL))
        findings.append(
            make_finding(
                "aws.s3.bucket_mfa_delete_enabled",
                ids["data_bucket"],
                severity=Severity.LOW,
                baseline=Baseline.INTEGRITY,
            )
        )
        if i % 10 == 0:
            findings.append(
                make_finding(
                    "aws.iam.role_is_not_admin", ids["role"], resource_type="aws.iam.role", severity=Severity.HIGH
                )
            )
    return findings


def chain_risks(chains: int, count: int | None = None, share: int = 10) -> list[dict[str, Any]]:
    """Risks along the chains, score descending: a public training-data bucket poisons the model an
    endpoint serves (path endpoint → … → data bucket). The first title carries markup-like text."""
    risks = []
    for i in range(0, chains, 3)[: count or chains]:
        ids = chain_ids(i, share)
        path = ["endpoint", "config", "model", "job", "data", "data_bucket"]
        hops = list(zip(path[:-1], path[1:], ("serves", "hosts", "trained_by", "reads", "in_bucket"), strict=True))
        score = max(5, 98 - i)
        risks.append(
            {
                "id": f"risk-{i:04d}",
                "kind": "training_data_poisoning",
                "title": (TRICKY if i == 0 else "Public training data")
                + f" poisons the model served by fraud-detection-endpoint-{i:04d}",
                "severity": "critical" if score >= 90 else "high" if score >= 70 else "medium",
                "score": score,
                "factors": {
                    "exposure": {"value": "internet", "contribution": 30.0, "why": "the bucket is public"},
                    "blast_radius": {"value": "endpoint", "contribution": score - 70.0, "why": "serves traffic"},
                    "hops": {"value": len(hops), "contribution": 0.0, "why": ""},
                },
                "path": {
                    "nodes": [ids[p] for p in path],
                    "edges": [_edge(ids, s, t, rel, i) for s, t, rel in hops],
                },
                "findings": [finding_uid("aws.s3.bucket_is_not_public", ids["data_bucket"])],
                "fix": {
                    "finding_uid": finding_uid("aws.s3.bucket_is_not_public", ids["data_bucket"]),
                    "check_id": "aws.s3.bucket_is_not_public",
                    "resource_uid": ids["data_bucket"],
                    "action": f"Turn on Block Public Access on acme-ml-training-data-{i:04d}.",
                },
                "provider": "aws",
            }
        )
    return risks
