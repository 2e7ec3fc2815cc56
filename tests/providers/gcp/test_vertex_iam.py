"""The IAM policies ON Vertex AI endpoints, feature online stores and featurestores
(cspm.providers.gcp.vertex_iam), against the fake (cspm.demo.gcp_resource_iam)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from cspm.demo.gcp_iam import policy
from cspm.demo.gcp_workbench import feature_online_store, featurestore
from cspm.engine import evaluate
from cspm.models import Status
from cspm.providers.gcp.context import ReadOnlySession, ReadOnlyViolation, is_read
from cspm.providers.gcp.vertex import PERMISSIONS, PRODUCES
from cspm.providers.gcp.vertex_iam import POLICY_READS
from cspm.registry import load_checks
from cspm.resources.gcp.iam import PolicyBinding
from cspm.resources.gcp.vertex import VertexEndpoint, VertexFeatureOnlineStore, VertexFeaturestore
from support.gcp import PROJECT, PROJECT_NUMBER, FakeGcs, collect_gcp, vertex_endpoint

PREFIX = f"projects/{PROJECT_NUMBER}/locations/us-central1"
ENDPOINT = f"{PREFIX}/endpoints/ep"
ONLINE = f"{PREFIX}/featureOnlineStores/online"
LEGACY = f"{PREFIX}/featurestores/legacy"
NOW = datetime(2026, 12, 6, tzinfo=UTC)
UNTIL = {"title": "until-2027", "expression": 'request.time < timestamp("2027-01-01T00:00:00Z")'}


def _fake() -> FakeGcs:
    fake = FakeGcs()
    fake.add_vertex("endpoints", vertex_endpoint("ep"))
    fake.add_vertex(
        "featureOnlineStores", feature_online_store("online", project=PROJECT_NUMBER, location="us-central1")
    )
    fake.add_vertex("featurestores", featurestore("legacy", project=PROJECT_NUMBER, location="us-central1"))
    fake.resource_policies[ENDPOINT] = policy(("roles/aiplatform.user", ["allUsers", "group:ml@example.com"]))
    fake.resource_policies[ONLINE] = policy(
        ("roles/aiplatform.featurestoreDataViewer", ["group:ml@example.com"], UNTIL)
    )
    return fake


def _collect(fake: FakeGcs) -> Any:
    inventory, _ = collect_gcp(fake, *PRODUCES)
    return inventory


def _one(inventory: Any, kind: type[Any]) -> Any:
    [found] = inventory.of_type(kind)
    return found


def test_each_resource_carries_its_own_policy_with_conditions() -> None:
    fake = _fake()
    inventory = _collect(fake)

    assert inventory.errors == []
    endpoint = _one(inventory, VertexEndpoint)
    assert endpoint.iam_bindings == (
        PolicyBinding(role="roles/aiplatform.user", members=("allUsers", "group:ml@example.com")),
    )
    online = _one(inventory, VertexFeatureOnlineStore)
    assert online.iam_bindings == (
        PolicyBinding(
            role="roles/aiplatform.featurestoreDataViewer",
            members=("group:ml@example.com",),
            condition=UNTIL["expression"],
            condition_title="until-2027",
        ),
    )
    legacy = _one(inventory, VertexFeaturestore)
    assert legacy.iam_bindings == () and legacy.iam_policy_error is None  # an empty policy: nobody bound


def test_one_post_per_resource_on_the_documented_api_version() -> None:
    fake = _fake()
    _collect(fake)
    posts = sorted(path for method, path in fake.requests if method == "POST" and not path.endswith("/token"))
    assert posts == [
        f"/v1/{ONLINE}:getIamPolicy",
        f"/v1/{LEGACY}:getIamPolicy",
        f"/v1beta1/{ENDPOINT}:getIamPolicy",  # endpoints.getIamPolicy exists only in v1beta1
    ]
    assert fake.violations == []


def test_the_policy_checks_judge_what_was_read() -> None:
    inventory = _collect(_fake())
    ids = {
        "gcp.vertex.endpoint_iam_policy_is_not_public",
        "gcp.vertex.feature_online_store_iam_policy_is_not_public",
        "gcp.vertex.featurestore_iam_policy_is_not_public",
    }
    findings = {f.check_id: f.status for f in evaluate(load_checks(), inventory, NOW) if f.check_id in ids}
    assert findings == {
        "gcp.vertex.endpoint_iam_policy_is_not_public": Status.FAIL,
        "gcp.vertex.feature_online_store_iam_policy_is_not_public": Status.PASS,
        "gcp.vertex.featurestore_iam_policy_is_not_public": Status.PASS,
    }


@pytest.mark.parametrize(("name", "kind"), [(ENDPOINT, VertexEndpoint), (ONLINE, VertexFeatureOnlineStore),
                                            (LEGACY, VertexFeaturestore)])  # fmt: skip
def test_a_denied_policy_is_unknown_for_that_resource_alone(name: str, kind: type[Any]) -> None:
    fake = _fake()
    fake.denied.add(f"resource-iam:{name}")
    inventory = _collect(fake)

    collection = name.split("/")[4]
    permission = POLICY_READS[collection][1]
    [error] = inventory.errors
    assert (error.operation, error.code) == (f"{collection}.getIamPolicy", "Forbidden")
    assert permission in error.message
    denied = _one(inventory, kind)
    assert denied.iam_bindings is None and permission in (denied.iam_policy_error or "")
    others = [r for t in (VertexEndpoint, VertexFeatureOnlineStore, VertexFeaturestore) if t is not kind
              for r in inventory.of_type(t)]  # fmt: skip
    assert others and all(r.iam_bindings is not None for r in others)
    statuses = {
        f.status
        for f in evaluate(load_checks(), inventory, NOW)
        if f.resource_uid == name and "iam_policy" in f.check_id
    }
    assert statuses == {Status.ERROR}  # never "no bindings"


def test_a_disabled_api_on_the_policy_read_is_error_not_pass() -> None:
    fake = _fake()
    original = fake.handle

    def disable_policy_reads(method: str, url: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
        if method == "POST" and ":getIamPolicy" in url:
            fake.denied.add(f"vertex-disabled:{PROJECT}")
        return original(method, url, headers, body)

    fake.handle = disable_policy_reads
    inventory = _collect(fake)
    assert {e.code for e in inventory.errors} == {"Forbidden"}
    assert all("SERVICE_DISABLED" in e.message for e in inventory.errors)
    assert _one(inventory, VertexEndpoint).iam_bindings is None


def test_a_conditional_policy_is_asked_for_version_3() -> None:
    """The fake answers 400 to a conditional policy asked below version 3, as Google does."""
    fake = _fake()
    fake.resource_policies[ENDPOINT] = policy(("roles/aiplatform.user", ["allAuthenticatedUsers"], UNTIL))
    inventory = _collect(fake)
    assert inventory.errors == []
    [binding] = _one(inventory, VertexEndpoint).iam_bindings
    assert binding.condition == UNTIL["expression"] and binding.members == ("allAuthenticatedUsers",)


def test_the_guard_allows_exactly_the_policy_reads() -> None:
    host = "https://us-central1-aiplatform.googleapis.com"
    for path in (f"/v1beta1/{ENDPOINT}", f"/v1/{ONLINE}", f"/v1/{LEGACY}"):
        assert is_read("POST", f"{host}{path}:getIamPolicy?options.requestedPolicyVersion=3")
        for verb in (":setIamPolicy", ":testIamPermissions", ""):
            assert not is_read("POST", f"{host}{path}{verb}"), verb
        assert not is_read("PATCH", f"{host}{path}")
        assert not is_read("DELETE", f"{host}{path}")
    assert not is_read("POST", f"{host}/v1/{ENDPOINT}:getIamPolicy")  # not a v1 method: not allowed either
    assert not is_read("POST", f"{host}/v1beta1/{PREFIX}/models/m:getIamPolicy")  # only the three kinds


def test_the_session_refuses_set_iam_policy_before_sending() -> None:
    session = ReadOnlySession(None)
    with pytest.raises(ReadOnlyViolation, match="setIamPolicy"):
        session.request("POST", f"https://us-central1-aiplatform.googleapis.com/v1beta1/{ENDPOINT}:setIamPolicy")


def test_the_permissions_are_listed() -> None:
    assert (
        {permission for _, permission in POLICY_READS.values()}
        == {
            "aiplatform.endpoints.getIamPolicy",
            "aiplatform.featureOnlineStores.getIamPolicy",
            "aiplatform.featurestores.getIamPolicy",
        }
        <= set(PERMISSIONS)
    )


def test_the_demo_has_one_public_endpoint_policy() -> None:
    from cspm.demo.gcp import DEMO_PROJECT, demo_project

    fake = demo_project()
    inventory, _ = collect_gcp(fake, *PRODUCES, projects=(DEMO_PROJECT,))
    findings = [f for f in evaluate(load_checks(), inventory, NOW) if "iam_policy_is_not_public" in f.check_id]
    failing = {f.resource_uid.rsplit("/", 1)[-1] for f in findings if f.status is Status.FAIL}
    assert failing == {"churn-public"}
    assert {f.status for f in findings} == {Status.PASS, Status.FAIL}
    assert len(findings) == 5  # two endpoints, two online stores, one legacy featurestore


def test_a_resource_gone_before_its_policy_is_read_is_error_not_pass() -> None:
    """404 (deleted between the listing and the policy read): the policy is unknown, recorded."""
    fake = _fake()
    original = fake.handle

    def gone(method: str, url: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
        if method == "POST" and url.split("?", maxsplit=1)[0].endswith(f"{LEGACY}:getIamPolicy"):
            return 404, {"error": {"code": 404, "message": f"The Featurestore {LEGACY} does not exist.",
                                   "status": "NOT_FOUND"}}  # fmt: skip
        return original(method, url, headers, body)

    fake.handle = gone
    inventory = _collect(fake)
    [error] = inventory.errors
    assert (error.operation, error.code) == ("featurestores.getIamPolicy", "NotFound")
    legacy = _one(inventory, VertexFeaturestore)
    assert legacy.iam_bindings is None and "aiplatform.featurestores.getIamPolicy" in (legacy.iam_policy_error or "")
