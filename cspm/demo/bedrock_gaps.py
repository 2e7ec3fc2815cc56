"""The Bedrock read APIs moto lacks, answered at the HTTP layer in botocore's wire protocol.

moto implements part of Bedrock (custom models, customization jobs, invocation logging, agents,
knowledge bases, AgentCore runtimes, gateways and memories) and answers the rest with HTTP 500.
:class:`BedrockGaps` is WSGI middleware in front of moto (like :class:`~cspm.demo.server.
EmptyListings`) that serves, from its own :class:`GapState`, the operations in :data:`SERVED`:
guardrails (with their versions), imported models, model import jobs, provisioned throughputs,
an agent's action groups and knowledge bases, and a knowledge base's data sources. Requests are
matched by HTTP method and path against the botocore service models, the region is read from the
SigV4 credential scope, and answers are REST-JSON as AWS sends them (errors with
``x-amzn-ErrorType``). Everything else goes to moto untouched.

Two more things, for tests of what AWS does and moto does not:

- ``state.amend(region, operation, identifier, {field: value})`` changes a field of moto's own
  answer to ``operation`` for the resource ``identifier`` (a value of None removes the field).
  moto drops an agent's ``guardrailConfiguration`` and invents a ``modelKmsKeyArn`` for every
  custom model; an amendment gives the answer AWS would.
- ``state.deny(operation)`` answers AccessDeniedException (any Bedrock or AgentCore control
  operation, served here or by moto); ``state.requests`` counts the requests per operation;
  ``state.unoffered`` regions answer every Bedrock and AgentCore request with
  UnrecognizedClientException, as a region where the service is not offered does for a signed
  request that reaches it.

Used by the demo's simulated account and by the tests; nothing in the scanner imports it.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any
from urllib.parse import parse_qs, unquote

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

# botocore service -> the operations served here.
SERVED: dict[str, tuple[str, ...]] = {
    "bedrock": (
        "ListGuardrails",
        "GetGuardrail",
        "ListImportedModels",
        "GetImportedModel",
        "ListModelImportJobs",
        "GetModelImportJob",
        "ListProvisionedModelThroughputs",
        "GetProvisionedModelThroughput",
    ),
    "bedrock-agent": (
        "ListAgentActionGroups",
        "GetAgentActionGroup",
        "ListAgentKnowledgeBases",
        "ListDataSources",
        "GetDataSource",
    ),
    "bedrock-agentcore-control": ("ListBrowsers", "GetBrowser", "ListCodeInterpreters", "GetCodeInterpreter"),
}
# Path prefixes of every Bedrock / AgentCore control-plane request (for unoffered regions).
_BEDROCK_SIGNING = ("bedrock", "bedrock-agentcore")
_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")


@dataclass(frozen=True)
class _Route:
    service: str
    operation: str
    method: str
    pattern: re.Pattern[str]
    served: bool  # answered here (else by moto)


# The botocore services whose requests are named (every operation, served here or not).
NAMED_SERVICES = ("bedrock", "bedrock-agent", "bedrock-agentcore-control")


@cache
def _routes() -> tuple[_Route, ...]:
    """Every operation of :data:`NAMED_SERVICES`, by HTTP method and anchored path pattern (a
    path parameter is one path segment)."""
    import botocore.session

    session = botocore.session.get_session()
    routes = []
    for service in NAMED_SERVICES:
        model = session.get_service_model(service)
        for name in model.operation_names:
            http = model.operation_model(name).http
            uri = http["requestUri"].split("?")[0]
            regex = re.sub(r"\\\{([A-Za-z]+)\+?\\\}", r"(?P<\1>[^/]+)", re.escape(uri))
            routes.append(
                _Route(service, name, http["method"], re.compile(f"^{regex}$"), name in SERVED.get(service, ()))
            )
    return tuple(routes)


def operation_of(method: str, path: str) -> tuple[str, str] | None:
    """(botocore service, operation) of a Bedrock or AgentCore control-plane request. ``path`` may
    be percent-decoded (a WSGI ``PATH_INFO``), where an ARN identifier brings its own "/"."""
    route, _ = _match(method, path)
    if route is None:
        route = next((r for r in _decoded_routes() if r.method == method and r.pattern.match(path)), None)
    return (route.service, route.operation) if route else None


@cache
def _decoded_routes() -> tuple[_Route, ...]:
    """The routes with path parameters that may span segments (decoded ARNs), longest literal first."""
    spanning = [
        _Route(r.service, r.operation, r.method, re.compile(r.pattern.pattern.replace("[^/]+", ".+")), r.served)
        for r in _routes()
    ]
    return tuple(sorted(spanning, key=lambda r: -len(re.sub(r"\(\?P<[^>]+>\.\+\)", "", r.pattern.pattern))))


@cache
def _summary_fields(service: str, operation: str) -> tuple[str, tuple[str, ...]]:
    """(result key, the members of one list entry) of a List operation's answer."""
    import botocore.session

    output = botocore.session.get_session().get_service_model(service).operation_model(operation).output_shape
    for key, shape in output.members.items():
        if shape.type_name == "list":
            return key, tuple(shape.member.members)
    raise ValueError(f"{operation} has no list in its answer")


def _project(detail: dict[str, Any], members: Iterable[str]) -> dict[str, Any]:
    return {k: detail[k] for k in members if k in detail}


class GapError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _not_found(what: str) -> GapError:
    return GapError(404, "ResourceNotFoundException", f"{what} not found")


@dataclass
class GapState:
    """What the simulated account holds of the resources moto lacks, by region, in the shapes of
    the Get answers (camelCase, as AWS sends them)."""

    # region -> guardrail id -> versions, each a GetGuardrail answer ("DRAFT" first).
    guardrails: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)
    imported_models: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    import_jobs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    throughputs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # region -> agent id -> GetAgentActionGroup ``agentActionGroup`` objects (DRAFT version).
    action_groups: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)
    # region -> agent id -> ListAgentKnowledgeBases entries.
    agent_knowledge_bases: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)
    # region -> GetBrowser / GetCodeInterpreter answers (custom ones; AgentCore).
    browsers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    code_interpreters: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # region -> knowledge base id -> GetDataSource ``dataSource`` objects.
    data_sources: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)
    # (region, operation, identifier) -> fields to set in moto's answer (None: remove).
    amendments: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    denied: set[str] = field(default_factory=set)
    requests: Counter[str] = field(default_factory=Counter)  # operation -> requests received
    unoffered: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    # -- seeding -------------------------------------------------------------------------------

    def add_guardrail(self, region: str, draft: dict[str, Any], versions: Iterable[dict[str, Any]] = ()) -> None:
        """A guardrail: its working draft and published versions (each a GetGuardrail answer)."""
        with self.lock:
            self.guardrails.setdefault(region, {})[draft["guardrailId"]] = [
                draft | {"version": "DRAFT"},
                *versions,
            ]

    def delete_guardrail(self, region: str, guardrail_id: str) -> None:
        with self.lock:
            self.guardrails.get(region, {}).pop(guardrail_id, None)

    def add(self, kind: str, region: str, detail: dict[str, Any]) -> None:
        """``kind``: "imported_models", "import_jobs", "throughputs", "browsers" or
        "code_interpreters"."""
        with self.lock:
            getattr(self, kind).setdefault(region, []).append(detail)

    def add_child(self, kind: str, region: str, parent: str, detail: dict[str, Any]) -> None:
        """``kind``: "action_groups", "agent_knowledge_bases" (parent: the agent id) or
        "data_sources" (parent: the knowledge base id)."""
        with self.lock:
            getattr(self, kind).setdefault(region, {}).setdefault(parent, []).append(detail)

    def amend(self, region: str, operation: str, identifier: str, fields: dict[str, Any]) -> None:
        with self.lock:
            self.amendments.setdefault((region, operation, identifier), {}).update(fields)

    def deny(self, operation: str) -> None:
        with self.lock:
            self.denied.add(operation)

    def reset(self) -> None:
        with self.lock:
            for name in (
                "guardrails",
                "imported_models",
                "import_jobs",
                "throughputs",
                "browsers",
                "code_interpreters",
            ):
                getattr(self, name).clear()
            for name in ("action_groups", "agent_knowledge_bases", "data_sources", "amendments"):
                getattr(self, name).clear()
            self.denied.clear()
            self.requests.clear()
            self.unoffered.clear()


# ---------------------------------------------------------------------------------------------
# Answers
# ---------------------------------------------------------------------------------------------


def _find(items: Iterable[dict[str, Any]], identifier: str, *keys: str) -> dict[str, Any]:
    for item in items:
        if identifier in (item.get(k) for k in keys):
            return item
    raise _not_found(identifier)


def _guardrail_versions(state: GapState, region: str, identifier: str) -> list[dict[str, Any]]:
    for guardrail_id, versions in state.guardrails.get(region, {}).items():
        if identifier in (guardrail_id, versions[0].get("guardrailArn")):
            return versions
    raise _not_found(f"guardrail {identifier}")


def _answer(state: GapState, region: str, route: _Route, path: dict[str, str], query: dict[str, str]) -> Any:
    op = route.operation
    if op == "ListGuardrails":
        key, members = _summary_fields(route.service, op)
        if "guardrailIdentifier" in query:
            listed = _guardrail_versions(state, region, query["guardrailIdentifier"])
        else:
            listed = [versions[0] for versions in state.guardrails.get(region, {}).values()]
        return {key: [_guardrail_summary(v, members) for v in listed]}
    if op == "GetGuardrail":
        versions = _guardrail_versions(state, region, path["guardrailIdentifier"])
        wanted = query.get("guardrailVersion", "DRAFT")
        return _find(versions, wanted, "version")
    flat = {
        "ListImportedModels": "imported_models",
        "ListModelImportJobs": "import_jobs",
        "ListProvisionedModelThroughputs": "throughputs",
        "ListBrowsers": "browsers",
        "ListCodeInterpreters": "code_interpreters",
    }
    if op in flat:
        key, members = _summary_fields(route.service, op)
        return {key: [_project(d, members) for d in getattr(state, flat[op]).get(region, [])]}
    if op == "GetImportedModel":
        return _find(state.imported_models.get(region, []), path["modelIdentifier"], "modelArn", "modelName")
    if op == "GetModelImportJob":
        return _find(state.import_jobs.get(region, []), path["jobIdentifier"], "jobArn", "jobName")
    if op == "GetBrowser":
        return _find(state.browsers.get(region, []), path["browserId"], "browserId")
    if op == "GetCodeInterpreter":
        return _find(state.code_interpreters.get(region, []), path["codeInterpreterId"], "codeInterpreterId")
    if op == "GetProvisionedModelThroughput":
        return _find(
            state.throughputs.get(region, []), path["provisionedModelId"], "provisionedModelArn", "provisionedModelName"
        )
    return _agent_answer(state, region, route, path)


def _agent_answer(state: GapState, region: str, route: _Route, path: dict[str, str]) -> Any:
    op = route.operation
    if op == "ListAgentActionGroups":
        key, members = _summary_fields(route.service, op)
        groups = state.action_groups.get(region, {}).get(path["agentId"], [])
        return {key: [_project(g, members) for g in groups]}
    if op == "GetAgentActionGroup":
        groups = state.action_groups.get(region, {}).get(path["agentId"], [])
        return {"agentActionGroup": _find(groups, path["actionGroupId"], "actionGroupId")}
    if op == "ListAgentKnowledgeBases":
        key, members = _summary_fields(route.service, op)
        attached = state.agent_knowledge_bases.get(region, {}).get(path["agentId"], [])
        return {key: [_project(k, members) for k in attached]}
    sources = state.data_sources.get(region, {}).get(path["knowledgeBaseId"], [])
    if op == "ListDataSources":
        key, members = _summary_fields(route.service, op)
        return {key: [_project(s, members) for s in sources]}
    return {"dataSource": _find(sources, path["dataSourceId"], "dataSourceId")}  # GetDataSource


def _guardrail_summary(version: dict[str, Any], members: Iterable[str]) -> dict[str, Any]:
    renamed = version | {"id": version.get("guardrailId"), "arn": version.get("guardrailArn")}
    return _project(renamed, members)


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


# ---------------------------------------------------------------------------------------------
# The middleware
# ---------------------------------------------------------------------------------------------


class BedrockGaps:
    """WSGI middleware: the Bedrock operations moto lacks, from ``state``; amendments to moto's
    answers; denied operations and unoffered regions (see the module docstring)."""

    def __init__(self, app: WsgiApp, state: GapState | None = None) -> None:
        self.app = app
        self.state = state or GapState()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        scope = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        if scope is None or scope.group(2) not in _BEDROCK_SIGNING:
            return self.app(environ, start_response)
        region = scope.group(1)
        method = environ.get("REQUEST_METHOD", "GET")
        # Matched still percent-encoded: an identifier may be an ARN with a "/" in it (%2F).
        raw_path = (environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO", "")).split("?")[0]
        path = raw_path
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        route, params = _match(method, path)
        operation = route.operation if route else ""
        with self.state.lock:
            self.state.requests[operation] += 1
        if region in self.state.unoffered:
            return _error(start_response, GapError(403, "UnrecognizedClientException", "Bedrock is not offered here"))
        if operation in self.state.denied:
            return _error(start_response, GapError(403, "AccessDeniedException", f"not authorized to {operation}"))
        if route is None or not route.served:
            return self._amended(environ, start_response, region, operation, path)
        try:
            with self.state.lock:
                body = _answer(self.state, region, route, params, query)
        except GapError as exc:
            return _error(start_response, exc)
        return _ok(start_response, body)

    def _amended(
        self, environ: dict[str, Any], start_response: StartResponse, region: str, operation: str, path: str
    ) -> Iterable[bytes]:
        identifier = unquote(path.rstrip("/").rsplit("/", 1)[-1])
        with self.state.lock:
            fields = self.state.amendments.get((region, operation, identifier))
        if not fields:
            return self.app(environ, start_response)
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"], captured["headers"] = status, headers
            return lambda _data: None

        raw = b"".join(self.app(environ, capture))
        if not captured.get("status", "").startswith("200"):
            start_response(captured["status"], captured["headers"])
            return [raw]
        body = json.loads(raw or b"{}")
        target = body.get("agent", body) if operation == "GetAgent" else body
        for key, value in fields.items():
            if value is None:
                target.pop(key, None)
            else:
                target[key] = value
        return _ok(start_response, body)


def _match(method: str, path: str) -> tuple[_Route | None, dict[str, str]]:
    for route in _routes():
        if route.method != method:
            continue
        found = route.pattern.match(path)
        if found:
            return route, {k: unquote(v) for k, v in found.groupdict().items()}
    return None, {}


def _ok(start_response: StartResponse, body: Any) -> list[bytes]:
    data = json.dumps(body, default=_json).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def _error(start_response: StartResponse, error: GapError) -> list[bytes]:
    data = json.dumps({"message": error.message}).encode()
    reason = {403: "Forbidden", 404: "Not Found"}.get(error.status, "Error")
    start_response(
        f"{error.status} {reason}",
        [
            ("Content-Type", "application/json"),
            ("x-amzn-ErrorType", error.code),
            ("Content-Length", str(len(data))),
        ],
    )
    return [data]
