"""``summary.ai_inventory`` counts every cloud's AI assets (one table, ``cspm/ai_assets.py``):
the Azure and Google Cloud demo scans (the unmodified providers against the demo's fakes on
127.0.0.1) report their models, endpoints, jobs, notebooks, registries and datasets."""

from __future__ import annotations

import importlib
import pkgutil
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import cspm.resources
from cspm import ai_assets
from cspm.engine import scan
from cspm.lineage import _INVENTORY, ai_inventory
from cspm.models import AiInventory, ResourceEntry, ScanReport
from cspm.registry import load_checks
from cspm.resources.base import Resource


def _resource_types() -> set[str]:
    for module in pkgutil.walk_packages(cspm.resources.__path__, "cspm.resources."):
        importlib.import_module(module.name)
    found: set[str] = set()
    stack: list[type[Resource]] = [Resource]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        kind = getattr(cls, "resource_type", None)
        if isinstance(kind, str):
            found.add(kind)
    return found


def test_every_entry_is_a_collected_resource_type_and_every_kind_a_report_field() -> None:
    assert set(ai_assets.AI_ASSETS) <= _resource_types()
    assert set(ai_assets.AI_ASSETS.values()) == set(ai_assets.KINDS) == set(AiInventory.model_fields)
    assert set(_INVENTORY) == set(ai_assets.KINDS)
    for cloud in ("aws", "azure", "gcp"):  # each cloud has models, endpoints and training jobs
        kinds = {k for t, k in ai_assets.AI_ASSETS.items() if t.startswith(f"{cloud}.")}
        assert {"models", "endpoints", "training_jobs", "datasets"} <= kinds, cloud


def test_a_resource_of_no_ai_kind_is_not_counted() -> None:
    entries = [
        ResourceEntry(uid="a", type="azure.ml.model", name="a", account="s", region="eastus"),
        ResourceEntry(uid="b", type="azure.storage.account", name="b", account="s", region="eastus"),
        ResourceEntry(uid="c", type="gcp.workbench.instance", name="c", account="p", region="us"),
    ]
    inventory = ai_inventory(entries, [], None)
    counts = {k: v.count for k, v in inventory if v is not None}
    assert counts == {"models": 1, "notebooks": 1} | {k: 0 for k in ai_assets.KINDS if k not in ("models", "notebooks")}


@contextmanager
def _demo_scan(cloud: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ScanReport]:
    demo = importlib.import_module(f"cspm.demo.{cloud}")
    with demo.simulated(tmp_path) as simulated:
        for name, value in simulated.environment.items():
            monkeypatch.setenv(name, value)
        provider = demo.demo_provider()
        provider.connect()
        checks = [c for c in load_checks([cloud]) if "model_artifact" not in c.id]
        yield scan(provider, checks, workers=4)


def _counts(report: ScanReport) -> dict[str, int]:
    assert report.summary.ai_inventory is not None
    return {kind: (count.count if count else 0) for kind, count in report.summary.ai_inventory}


def _by_type(report: ScanReport) -> dict[str, int]:
    """What the inventory should say, counted from the report's own resources."""
    types = Counter(r.type for r in report.resources)
    return {
        kind: sum(types[t] for t in ai_assets.AI_ASSETS if ai_assets.AI_ASSETS[t] == kind) for kind in ai_assets.KINDS
    }


@pytest.mark.e2e
def test_the_azure_demo_scan_counts_its_ai_assets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with _demo_scan("azure", tmp_path, monkeypatch) as report:
        counts = _counts(report)
        assert counts == {
            "models": 2,  # Azure ML model asset versions
            "endpoints": 6,  # 2 Azure ML online endpoints + 4 Azure OpenAI / AI Services deployments
            "training_jobs": 1,  # an Azure ML command job
            "processing_jobs": 0,
            "notebooks": 0,
            "registries": 1,  # an Azure ML registry
            "datasets": 1,  # an Azure ML data asset
        }
        assert counts == _by_type(report)
        assert report.summary.ai_inventory is not None and report.summary.ai_inventory.endpoints.scores["overall"]


@pytest.mark.e2e
def test_the_gcp_demo_scan_counts_its_ai_assets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with _demo_scan("gcp", tmp_path, monkeypatch) as report:
        counts = _counts(report)
        assert counts == {
            "models": 3,  # Vertex AI models
            "endpoints": 2,  # Vertex AI endpoints
            "training_jobs": 4,  # 3 custom jobs + 1 training pipeline
            "processing_jobs": 0,
            "notebooks": 2,  # Vertex AI Workbench instances
            "registries": 0,
            "datasets": 5,  # 2 Vertex AI datasets, 1 featurestore, 2 feature online stores
        }
        assert counts == _by_type(report)
