"""The fake's IAM policies ON Vertex AI resources (:mod:`cspm.providers.gcp.vertex_iam`), for
:class:`cspm.demo.gcp.FakeGcs`.

Routes (the Vertex AI REST reference: ``post https://{service-endpoint}/v1/{resource}:getIamPolicy``,
empty body, ``options.requestedPolicyVersion`` as a query parameter; endpoints only in v1beta1):

- ``POST /v1/projects/P/locations/L/featureOnlineStores/ID:getIamPolicy``
- ``POST /v1/projects/P/locations/L/featurestores/ID:getIamPolicy``
- ``POST /v1beta1/projects/P/locations/L/endpoints/ID:getIamPolicy``

Each answers the resource's ``Policy`` (``FakeGcs.resource_policies[name]``), or ``{"etag": "ACAB"}``
when nobody is bound (as Google answers an empty policy); a policy with a conditional binding
asked without ``options.requestedPolicyVersion=3`` is 400 INVALID_ARGUMENT. An unknown resource is
404 NOT_FOUND; ``"vertex-disabled:P"`` in ``FakeGcs.denied`` 403 SERVICE_DISABLED; and
``"resource-iam:NAME"`` 403 PERMISSION_DENIED naming the permission. The same paths with
``:setIamPolicy`` are not routed here (the read-only guard refuses them before they are sent).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cspm.demo.gcp import FakeGcs

_POLICY = re.compile(
    r"^/(?P<version>v1|v1beta1)/(?P<name>projects/[^/]+/locations/[^/]+/"
    r"(?P<collection>endpoints|featureOnlineStores|featurestores)/[^/:]+):getIamPolicy$"
)
_VERSIONS = {"endpoints": "v1beta1", "featureOnlineStores": "v1", "featurestores": "v1"}

# The permission Google checks for each route ("METHOD PATH"), for the permission-proof tests.
PERMISSIONS_BY_ROUTE: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (
        re.compile(rf"POST /{version}/projects/[^/]+/locations/[^/]+/{collection}/[^/:]+:getIamPolicy"),
        f"aiplatform.{collection}.getIamPolicy",
    )
    for collection, version in _VERSIONS.items()
)


def route_permission(method: str, path: str) -> str | None:
    """The permission a request to one of this module's routes needs, or None for any other."""
    return next((perm for pattern, perm in PERMISSIONS_BY_ROUTE if pattern.fullmatch(f"{method} {path}")), None)


def route(fake: FakeGcs, method: str, path: str, query: dict[str, str]) -> tuple[int, dict[str, Any]] | None:
    """The answer to a resource ``:getIamPolicy``, or None for any other request."""
    from cspm.demo.gcp import google_error, service_disabled

    match = _POLICY.match(path) if method == "POST" else None
    if match is None:
        return None
    name, collection = match.group("name", "collection")
    if match.group("version") != _VERSIONS[collection]:  # v1 has no endpoints.getIamPolicy
        return 404, google_error(404, "NOT_FOUND", f"no route for {path}")
    owner = next((key[0] for key, items in fake.vertex.items() for raw in items if raw.get("name") == name), None)
    if owner is None:
        return 404, google_error(404, "NOT_FOUND", f"The resource {name} was not found.")
    if f"vertex-disabled:{owner}" in fake.denied:
        return 403, service_disabled(owner)
    permission = f"aiplatform.{collection}.getIamPolicy"
    if f"resource-iam:{name}" in fake.denied:
        return 403, google_error(
            403,
            "PERMISSION_DENIED",
            f"Permission '{permission}' denied on resource '//aiplatform.googleapis.com/{name}' (or it may not exist).",
            "IAM_PERMISSION_DENIED",
            permission=permission,
        )
    policy = fake.resource_policies.get(name) or {"etag": "ACAB"}
    if query.get("options.requestedPolicyVersion") != "3" and any("condition" in b for b in policy.get("bindings", ())):
        return 400, google_error(400, "INVALID_ARGUMENT", "policy has conditions: request version 3")
    return 200, policy


def seed_demo(fake: FakeGcs, project_number: str) -> None:
    """acme-ml-research: the public churn endpoint also lets anyone call it (``roles/aiplatform.user``
    to ``allUsers`` on the endpoint's own policy); the fraud endpoint and the feature stores grant
    only named principals (one under a time condition)."""
    from cspm.demo.gcp_iam import policy

    prefix = f"projects/{project_number}/locations/europe-west4"
    fake.resource_policies[f"{prefix}/endpoints/churn-public"] = policy(
        ("roles/aiplatform.user", ["allUsers", "group:ml-engineers@acme.example"])
    )
    fake.resource_policies[f"{prefix}/endpoints/fraud-psc"] = policy(
        ("roles/aiplatform.user", ["serviceAccount:fraud-api@acme-ml-research.iam.gserviceaccount.com"])
    )
    fake.resource_policies[f"{prefix}/featureOnlineStores/fraud_features"] = policy(
        (
            "roles/aiplatform.featurestoreDataViewer",
            ["group:ml-engineers@acme.example"],
            {"title": "until-2027", "expression": 'request.time < timestamp("2027-01-01T00:00:00Z")'},
        )
    )
