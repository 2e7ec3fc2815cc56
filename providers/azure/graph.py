"""Microsoft Graph, read for one thing: which role-assignment principals still exist.

A role assignment outlives the principal it names. ARM keeps the ``principalType`` recorded when
the assignment was made, so a deleted user still reads as ``User``; only the directory can say it
is gone. cspm asks ``POST /v1.0/directoryObjects/getByIds`` (up to 1,000 ids a request; the
answer lists the objects that exist, each with its ``@odata.type``) once per subscription, for the
principal ids of its assignments. It needs the Graph permission ``Directory.Read.All`` (or the
Directory Readers role for a user); without it the "principal is resolved" check answers ERROR
naming it, and every other RBAC check is judged as usual.

The endpoint: ``CSPM_AZURE_GRAPH_ENDPOINT``, else the Graph of the national cloud whose Resource
Manager endpoint is used (public, US Government, China). For any other Resource Manager endpoint
(Azure Stack, a test fake) no Graph request is sent unless the variable is set, so a bearer
token never goes to a host the user did not name.

This is the only POST the Azure provider sends besides sign-in; :class:`GraphReadOnlyPolicy`
refuses any other method or path before the request is signed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any, Final
from urllib.parse import urlparse

from azure.core.pipeline import PipelineRequest
from azure.core.pipeline.policies import SansIOHTTPPolicy

from cspm.errors import UsageError
from cspm.providers.azure.context import READ_METHODS, ReadOnlyViolation, UnexpectedArmResponse

GRAPH_ENDPOINT_ENV: Final = "CSPM_AZURE_GRAPH_ENDPOINT"
GET_BY_IDS: Final = "/v1.0/directoryObjects/getByIds"
OPERATION: Final = "DirectoryObjects_GetByIds"
PERMISSION: Final = "Directory.Read.All (Microsoft Graph)"
BATCH: Final = 1000  # ids per getByIds request (documented maximum)

# Resource Manager endpoint -> the Microsoft Graph endpoint of the same national cloud.
NATIONAL_GRAPH: Final = {
    "https://management.azure.com": "https://graph.microsoft.com",
    "https://management.usgovcloudapi.net": "https://graph.microsoft.us",
    "https://management.chinacloudapi.cn": "https://microsoftgraph.chinacloudapi.cn",
}


def graph_endpoint(arm_endpoint: str) -> str | None:
    """``CSPM_AZURE_GRAPH_ENDPOINT``, else the national cloud's Graph, else None (no lookup)."""
    configured = (os.environ.get(GRAPH_ENDPOINT_ENV) or "").strip().rstrip("/")
    if configured:
        if not configured.startswith("https://"):
            raise UsageError(
                f"{GRAPH_ENDPOINT_ENV} must be an https:// URL (Graph takes tokens over TLS only): {configured}"
            )
        return configured
    return NATIONAL_GRAPH.get(arm_endpoint.rstrip("/").lower())


class GraphReadOnlyPolicy(SansIOHTTPPolicy):
    """Allow reads and the one POST that reads (getByIds); refuse anything else unsigned."""

    def on_request(self, request: PipelineRequest) -> None:
        http = request.http_request
        method = http.method.upper()
        path = urlparse(http.url).path
        if method in READ_METHODS or (method == "POST" and path.rstrip("/").lower() == GET_BY_IDS.lower()):
            return
        raise ReadOnlyViolation(f"refusing to send {method} {path}")


class Graph:
    """``directoryObjects/getByIds`` through an azure-core pipeline (retries, bounded reads,
    bearer token for ``{endpoint}/.default``)."""

    def __init__(self, client: Any, endpoint: str) -> None:
        self._client = client
        self._endpoint = endpoint.rstrip("/")

    def existing(self, ids: Iterable[str]) -> dict[str, str]:
        """Lower-cased object id -> its type (``user``, ``group``, ``servicePrincipal``, …) for
        every id the directory still has; an id missing from the answer does not exist."""
        from azure.core.exceptions import HttpResponseError
        from azure.core.rest import HttpRequest

        wanted = sorted({i.lower() for i in ids})
        found: dict[str, str] = {}
        for start in range(0, len(wanted), BATCH):
            batch = wanted[start : start + BATCH]
            request = HttpRequest("POST", f"{self._endpoint}{GET_BY_IDS}", json={"ids": batch})
            response = self._client.send_request(request)
            if response.status_code != 200:
                raise HttpResponseError(response=response)
            try:
                body = response.json()
            except ValueError as exc:
                raise UnexpectedArmResponse("the answer from directoryObjects/getByIds is not JSON") from exc
            items = body.get("value") if isinstance(body, dict) else None
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                raise UnexpectedArmResponse(
                    "the answer from directoryObjects/getByIds has no list of objects in 'value'"
                )
            asked = set(batch)
            for item in items:
                ident = str(item.get("id") or "").lower()
                if ident in asked:
                    found[ident] = str(item.get("@odata.type") or "directoryObject").removeprefix("#microsoft.graph.")
        return found


def graph_client(credential: Any, endpoint: str, retry_policy: Any, transport: Any, user_agent: str) -> Graph:
    from azure.core import PipelineClient
    from azure.core.pipeline.policies import (
        BearerTokenCredentialPolicy,
        ContentDecodePolicy,
        HeadersPolicy,
        HttpLoggingPolicy,
        ProxyPolicy,
        RedirectPolicy,
        RequestIdPolicy,
        SensitiveHeaderCleanupPolicy,
        UserAgentPolicy,
    )

    policies = [
        RequestIdPolicy(),
        HeadersPolicy(),
        UserAgentPolicy(user_agent=user_agent),
        ProxyPolicy(),
        ContentDecodePolicy(),
        RedirectPolicy(),
        retry_policy,
        GraphReadOnlyPolicy(),  # before the token is added
        BearerTokenCredentialPolicy(credential, f"{endpoint}/.default"),
        SensitiveHeaderCleanupPolicy(),
        HttpLoggingPolicy(),
    ]
    client: Any = PipelineClient(base_url=endpoint, policies=policies, transport=transport)
    return Graph(client, endpoint)
