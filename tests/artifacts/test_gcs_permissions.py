"""``cspm permissions gcp --inspect-artifacts`` adds exactly what reading the Vertex AI models'
files needs: a fake that answers 403 for each object route whose permission the role lacks
(the mapping of Cloud Storage's JSON API: objects.list -> storage.objects.list; objects.get,
metadata or media -> storage.objects.get) proves the two are sufficient and each is used."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlparse

import pytest

from cspm.demo.gcp_objects import MALICIOUS_PICKLE, safetensors_model
from cspm.models import Status
from cspm.permissions import gcp_role
from cspm.providers import gcp
from cspm.registry import load_checks
from support.gcp import FakeGcs, gcs_error, vertex_model
from support.gcs_artifacts import scan_gcp, verdict

CHECKS = [s for s in load_checks(["gcp"]) if s.id.endswith("model_artifact_is_free_of_unsafe_code")]


def object_permission(path: str) -> str | None:
    """The permission Cloud Storage checks for an object route; None for any other route."""
    match = re.fullmatch(r"/storage/v1/b/[^/]+/o(?P<object>/.+)?", path)
    if match is None:
        return None
    return "storage.objects.get" if match.group("object") else "storage.objects.list"


@dataclass
class IamObjects(FakeGcs):
    role: set[str] = field(default_factory=set)
    checked: set[str] = field(default_factory=set)

    def handle(self, method: str, url: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
        needed = object_permission(unquote(urlparse(url).path))
        if needed is not None:
            self.checked.add(needed)
            if needed not in self.role:
                return 403, gcs_error(403, "forbidden", f"caller does not have {needed} access to the object.")
        return super().handle(method, url, headers, body)


def _fake(role: set[str]) -> IamObjects:
    fake = IamObjects(role=role)
    fake.add_vertex("models", vertex_model("bad", artifact_uri="gs://models/bad/"))
    fake.add_vertex("models", vertex_model("good", artifact_uri="gs://models/good/"))
    fake.objects.put("models", "bad/model.pkl", MALICIOUS_PICKLE)
    fake.objects.put("models", "good/model.safetensors", safetensors_model())
    return fake


def test_the_added_permissions_are_sufficient_and_each_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    added = set(gcp_role(inspect_artifacts=True)["includedPermissions"]) - set(gcp_role()["includedPermissions"])
    assert added == set(gcp.ARTIFACT_PERMISSIONS) == {"storage.objects.get", "storage.objects.list"}
    fake = _fake(added)

    report = scan_gcp(fake, monkeypatch, CHECKS)

    assert report.errors == [] and fake.checked == added
    assert verdict(report, CHECKS[0].id, "bad").status is Status.FAIL
    assert verdict(report, CHECKS[0].id, "good").status is Status.PASS


@pytest.mark.parametrize("dropped", sorted(gcp.ARTIFACT_PERMISSIONS))
def test_without_one_permission_the_artifacts_are_errors_naming_it(
    dropped: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _fake(set(gcp.ARTIFACT_PERMISSIONS) - {dropped})

    report = scan_gcp(fake, monkeypatch, CHECKS)

    assert report.errors and all(dropped in e.message for e in report.errors)
    assert {verdict(report, CHECKS[0].id, m).status for m in ("bad", "good")} == {Status.ERROR}
