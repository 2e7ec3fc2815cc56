"""The IAM policies ON Vertex AI resources: endpoints, feature online stores and legacy featurestores.

Each of these resources carries its own IAM policy (on top of the project's): a binding there
grants its role on that resource alone, e.g. ``roles/aiplatform.user`` to ``allUsers`` on an
endpoint lets anyone call predict. The policy is read with ``:getIamPolicy``, a read that Google
defines as a POST (the read-only session allows exactly these paths, see
:mod:`cspm.providers.gcp.context`), with ``options.requestedPolicyVersion=3`` as a query parameter
(the reference: "The request body must be empty"), so conditional bindings come with their
conditions:

- ``POST /v1/projects/P/locations/L/featureOnlineStores/ID:getIamPolicy``
  (``aiplatform.featureOnlineStores.getIamPolicy``);
- ``POST /v1/projects/P/locations/L/featurestores/ID:getIamPolicy``
  (``aiplatform.featurestores.getIamPolicy``);
- ``POST /v1beta1/projects/P/locations/L/endpoints/ID:getIamPolicy``
  (``aiplatform.endpoints.getIamPolicy``): the endpoint method exists only in v1beta1 (the v1
  reference has no endpoints.getIamPolicy), so this one call uses v1beta1.

One request per resource of those three kinds (on the same regional endpoint as its listing).
A failed read (403 denied, 404, ``SERVICE_DISABLED``, a broken answer) is recorded in the
report's errors and leaves the resource's ``iam_bindings`` None with ``iam_policy_error`` naming
the permission, so its policy check is ERROR: never read as "no bindings".
"""

from __future__ import annotations

from typing import Final

from cspm.providers.gcp.context import GcpContext
from cspm.providers.gcp.iam import node_policy
from cspm.resources.gcp.vertex import VertexEndpoint, VertexFeatureOnlineStore, VertexFeaturestore

# collection -> (API version of its getIamPolicy, the permission Google checks)
POLICY_READS: Final = {
    "endpoints": ("v1beta1", "aiplatform.endpoints.getIamPolicy"),
    "featureOnlineStores": ("v1", "aiplatform.featureOnlineStores.getIamPolicy"),
    "featurestores": ("v1", "aiplatform.featurestores.getIamPolicy"),
}
PERMISSIONS: Final = tuple(permission for _, permission in POLICY_READS.values())

WithPolicy = VertexEndpoint | VertexFeatureOnlineStore | VertexFeaturestore


def with_policy(ctx: GcpContext, base: str, collection: str, resource: WithPolicy) -> WithPolicy:
    """``resource`` with its own IAM policy (``iam_bindings``), or with ``iam_policy_error`` when
    the read failed (recorded in the report's errors)."""
    version, permission = POLICY_READS[collection]
    answer = ctx.rest_get(
        f"{base}/{version}/{resource.uid}:getIamPolicy",
        method="POST",
        params={"options.requestedPolicyVersion": 3},
        operation=f"{collection}.getIamPolicy",
    )
    failure = (
        f"{collection}.getIamPolicy of {resource.uid} failed (it needs {permission}; the report's errors have the code)"
    )
    policy = node_policy(resource.uid, answer, failure)
    return resource.model_copy(update={"iam_bindings": policy.bindings, "iam_policy_error": policy.error})
