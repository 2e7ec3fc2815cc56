"""Microsoft Graph's ``POST /v1.0/directoryObjects/getByIds`` on the fake ARM server.

The directory is what the fake's role assignments name: every assigned principal exists, with
the type its assignments record, except those recorded as ``Unknown`` and those in
``FakeArm.deleted_principals`` (a principal deleted after its assignment was made, which ARM still
lists with its old type). The answer has the documented shape: ``value`` lists the objects that
exist, each with ``@odata.type`` and ``id``; ids that do not exist are simply absent.
``FakeArm.graph_denied`` answers 403 ``Authorization_RequestDenied``, as Graph does for a caller
without Directory.Read.All.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cspm.demo.azure import FakeArm

GET_BY_IDS = "/v1.0/directoryobjects/getbyids"
_ODATA = {"user": "user", "group": "group", "serviceprincipal": "servicePrincipal", "device": "device"}


def graph_error(code: str, message: str) -> dict[str, Any]:
    return {
        "error": {
            "code": code,
            "message": message,
            "innerError": {"request-id": "00000000-0000-0000-0000-000000000000"},
        }
    }


def directory(fake: FakeArm) -> dict[str, str]:
    """Object id (lower-cased) -> Graph type, derived from the role assignments (see the module doc)."""
    objects: dict[str, str] = {}
    for path, items in fake.listings.items():
        if not path.endswith("/providers/microsoft.authorization/roleassignments"):
            continue
        for item in items:
            props = item.get("properties") or {}
            principal = str(props.get("principalId") or "").lower()
            kind = _ODATA.get(str(props.get("principalType") or "").lower())
            if principal and kind and principal not in fake.deleted_principals:
                objects[principal] = kind
    return objects


def route(
    fake: FakeArm, method: str, path: str, headers: dict[str, str], body: bytes
) -> tuple[int, dict[str, Any]] | None:
    """The Graph answer for a getByIds request; None for any other path."""
    if path.lower() != GET_BY_IDS:
        return None
    if method != "POST":
        return 405, graph_error("Request_BadRequest", "getByIds is a POST")
    if not headers.get("authorization", headers.get("Authorization", "")).startswith("Bearer "):
        return 401, graph_error("InvalidAuthenticationToken", "Access token is empty.")
    if fake.graph_denied:
        return 403, graph_error("Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
    try:
        ids = json.loads(body or b"{}").get("ids")
    except (ValueError, AttributeError):
        ids = None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids) or len(ids) > 1000:
        return 400, graph_error("Request_BadRequest", "ids must be a list of at most 1000 strings")
    known = directory(fake)
    value = [{"@odata.type": f"#microsoft.graph.{known[i.lower()]}", "id": i} for i in ids if i.lower() in known]
    return 200, {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#directoryObjects", "value": value}
