"""Amazon Bedrock AgentCore: agent runtimes, gateways, memories, custom browsers and custom code
interpreters (regional; client ``bedrock-agentcore-control``). See
:mod:`cspm.resources.aws.bedrock_agentcore` for why the service is named ``bedrock_agentcore``.

Requests per region: one paginated listing per kind (5, plus one per extra page):
ListAgentRuntimes, ListGateways, ListMemories, ListBrowsers and ListCodeInterpreters (both with
``type=CUSTOM``: the AWS-provided system ones are not configurable). Requests per resource: one
Get (GetAgentRuntime, GetGateway, GetMemory, GetBrowser, GetCodeInterpreter).

Failures: a region where AgentCore is not offered answers the first listing with
``UnrecognizedClientException`` or has no endpoint (``EndpointConnectionError``): recorded once,
nothing else is sent, and (as for Bedrock) the types are not marked incomplete there. Otherwise
as for Bedrock: a failed listing marks its type incomplete; a failed Get keeps the resource from
its list entry with every described field ``None``.

Secrets: a runtime's ``environmentVariables`` are scanned with :mod:`cspm.secrets`; only the
names and the kinds of secret are kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from cspm.providers.aws.bedrock import UNAVAILABLE
from cspm.providers.aws.context import AwsContext
from cspm.providers.aws.sagemaker import _mapping_secrets
from cspm.providers.base import ABSENT, ServiceSpec
from cspm.resources.aws.bedrock_agentcore import (
    AgentCoreBrowser,
    AgentCoreCodeInterpreter,
    AgentCoreGateway,
    AgentCoreMemory,
    AgentRuntime,
    BrowserRecording,
)
from cspm.resources.aws.sagemaker import KmsEncryption
from cspm.resources.base import Resource

Build = Callable[[dict[str, Any], dict[str, Any] | None, dict[str, Any]], Resource]


def collect(ctx: AwsContext) -> Iterator[Resource]:
    client = ctx.client("bedrock-agentcore-control")
    for index, (rtype, list_method, key, get, params) in enumerate(KINDS):
        if index == 0:
            summaries = ctx.call(client, list_method, absent=UNAVAILABLE, affects=(rtype,))
            if summaries is ABSENT:
                ctx.error(
                    "ListAgentRuntimes",
                    "ServiceUnavailable",
                    f"Bedrock AgentCore is not offered in {ctx.region} (no endpoint, or UnrecognizedClientException): "
                    "not scanned",
                )
                return
            # The first page came with the probe; the rest (if any) through the paginator.
            items = None if summaries is None else _all_pages(ctx, client, list_method, key, summaries)
        else:
            items = ctx.paginate(client, list_method, key, affects=(rtype,), **params)
        if items is not None:
            yield from ctx.map(partial(get, ctx, client), items)


def _all_pages(ctx: AwsContext, client: Any, method: str, key: str, first: dict[str, Any]) -> list[Any] | None:
    if not first.get("nextToken"):
        return list(first.get(key) or [])
    return ctx.paginate(client, method, key, affects=(AgentRuntime,))


def _base(ctx: AwsContext, uid: str, name: str) -> dict[str, Any]:
    return {"uid": uid, "name": name, "account": ctx.account, "region": ctx.region}


def _get_runtime(ctx: AwsContext, client: Any, summary: dict[str, Any]) -> AgentRuntime:
    raw = ctx.call(client, "get_agent_runtime", agentRuntimeId=summary["agentRuntimeId"])
    return runtime_from_api(summary, raw, _base(ctx, summary["agentRuntimeArn"], summary["agentRuntimeName"]))


def _get_gateway(ctx: AwsContext, client: Any, summary: dict[str, Any]) -> AgentCoreGateway:
    raw = ctx.call(client, "get_gateway", gatewayIdentifier=summary["gatewayId"])
    uid = (raw or {}).get("gatewayArn") or ctx.arn(
        "bedrock-agentcore", f"gateway/{summary['gatewayId']}", region=ctx.region
    )
    return gateway_from_api(summary, raw, _base(ctx, uid, summary.get("name") or summary["gatewayId"]))


def _get_browser(ctx: AwsContext, client: Any, summary: dict[str, Any]) -> AgentCoreBrowser:
    raw = ctx.call(client, "get_browser", browserId=summary["browserId"])
    return browser_from_api(
        summary, raw, _base(ctx, summary["browserArn"], summary.get("name") or summary["browserId"])
    )


def _get_code_interpreter(ctx: AwsContext, client: Any, summary: dict[str, Any]) -> AgentCoreCodeInterpreter:
    raw = ctx.call(client, "get_code_interpreter", codeInterpreterId=summary["codeInterpreterId"])
    name = summary.get("name") or summary["codeInterpreterId"]
    return code_interpreter_from_api(summary, raw, _base(ctx, summary["codeInterpreterArn"], name))


def _get_memory(ctx: AwsContext, client: Any, summary: dict[str, Any]) -> AgentCoreMemory:
    raw = ctx.call(client, "get_memory", memoryId=summary["id"])
    memory = None if raw is None else raw.get("memory") or {}
    name = (memory or {}).get("name") or summary["id"]
    return memory_from_api(summary, memory, _base(ctx, summary["arn"], name))


# ---------------------------------------------------------------------------------------------
# Translation (pure)
# ---------------------------------------------------------------------------------------------


def runtime_from_api(summary: dict[str, Any], raw: dict[str, Any] | None, base: dict[str, Any]) -> AgentRuntime:
    listed = {
        "runtime_id": summary["agentRuntimeId"],
        "version": summary.get("agentRuntimeVersion"),
        "status": summary.get("status"),
    }
    if raw is None:
        return AgentRuntime(**base, **listed)
    network = raw.get("networkConfiguration") or {}
    vpc = network.get("networkModeConfig") or {}
    artifact = raw.get("agentRuntimeArtifact") or {}
    code = ((artifact.get("codeConfiguration") or {}).get("code") or {}).get("s3") or {}
    environment = raw.get("environmentVariables") or {}
    return AgentRuntime(
        **base,
        runtime_id=listed["runtime_id"],
        version=raw.get("agentRuntimeVersion") or listed["version"],
        status=raw.get("status") or listed["status"],
        created_at=raw.get("createdAt"),
        role_arn=raw.get("roleArn"),
        # PUBLIC is the API's only other mode; an absent configuration is that default.
        network_mode=network.get("networkMode") or "PUBLIC",
        subnet_ids=tuple(vpc.get("subnets") or ()),
        security_group_ids=tuple(vpc.get("securityGroups") or ()),
        container_uri=(artifact.get("containerConfiguration") or {}).get("containerUri"),
        code_s3_uri=f"s3://{code['bucket']}/{code.get('prefix') or ''}" if code.get("bucket") else None,
        inbound_auth="JWT" if (raw.get("authorizerConfiguration") or {}).get("customJWTAuthorizer") else "IAM",
        environment_keys=tuple(sorted(environment)),
        secrets=_mapping_secrets("environmentVariables", environment),
    )


def gateway_from_api(summary: dict[str, Any], raw: dict[str, Any] | None, base: dict[str, Any]) -> AgentCoreGateway:
    listed = {
        "gateway_id": summary["gatewayId"],
        "status": summary.get("status"),
        "created_at": summary.get("createdAt"),
        "authorizer_type": summary.get("authorizerType"),
    }
    if raw is None:
        return AgentCoreGateway(**base, **listed)
    return AgentCoreGateway(
        **base,
        **listed
        | {
            "status": raw.get("status") or listed["status"],
            "authorizer_type": raw.get("authorizerType") or listed["authorizer_type"],
        },
        role_arn=raw.get("roleArn"),
        encryption=KmsEncryption(kms_key_id=raw.get("kmsKeyArn") or None),
    )


def memory_from_api(summary: dict[str, Any], raw: dict[str, Any] | None, base: dict[str, Any]) -> AgentCoreMemory:
    listed = {"memory_id": summary["id"], "status": summary.get("status"), "created_at": summary.get("createdAt")}
    if raw is None:
        return AgentCoreMemory(**base, **listed)
    return AgentCoreMemory(
        **base,
        **listed | {"status": raw.get("status") or listed["status"]},
        role_arn=raw.get("memoryExecutionRoleArn"),
        encryption=KmsEncryption(kms_key_id=raw.get("encryptionKeyArn") or None),
        event_expiry_days=raw.get("eventExpiryDuration"),
    )


def _network(raw: dict[str, Any]) -> dict[str, Any]:
    """networkConfiguration of a browser or code interpreter; absent: PUBLIC (the API's default)."""
    network = raw.get("networkConfiguration") or {}
    vpc = network.get("vpcConfig") or {}
    return {
        "network_mode": network.get("networkMode") or "PUBLIC",
        "subnet_ids": tuple(vpc.get("subnets") or ()),
        "security_group_ids": tuple(vpc.get("securityGroups") or ()),
    }


def browser_from_api(summary: dict[str, Any], raw: dict[str, Any] | None, base: dict[str, Any]) -> AgentCoreBrowser:
    listed = {
        "browser_id": summary["browserId"],
        "status": summary.get("status"),
        "created_at": summary.get("createdAt"),
    }
    if raw is None:
        return AgentCoreBrowser(**base, **listed)
    recording = raw.get("recording") or {}
    location = recording.get("s3Location") or {}
    bucket = location.get("bucket")
    return AgentCoreBrowser(
        **base,
        **listed | {"status": raw.get("status") or listed["status"]},
        role_arn=raw.get("executionRoleArn"),
        **_network(raw),
        recording=BrowserRecording(
            enabled=bool(recording.get("enabled")),
            s3_uri=f"s3://{bucket}/{location.get('prefix') or ''}" if bucket else None,
        ),
    )


def code_interpreter_from_api(
    summary: dict[str, Any], raw: dict[str, Any] | None, base: dict[str, Any]
) -> AgentCoreCodeInterpreter:
    listed = {
        "code_interpreter_id": summary["codeInterpreterId"],
        "status": summary.get("status"),
        "created_at": summary.get("createdAt"),
    }
    if raw is None:
        return AgentCoreCodeInterpreter(**base, **listed)
    return AgentCoreCodeInterpreter(
        **base,
        **listed | {"status": raw.get("status") or listed["status"]},
        role_arn=raw.get("executionRoleArn"),
        **_network(raw),
    )


CUSTOM: dict[str, Any] = {"type": "CUSTOM"}
KINDS: tuple[tuple[type[Resource], str, str, Callable[..., Resource], dict[str, Any]], ...] = (
    (AgentRuntime, "list_agent_runtimes", "agentRuntimes", _get_runtime, {}),
    (AgentCoreGateway, "list_gateways", "items", _get_gateway, {}),
    (AgentCoreMemory, "list_memories", "memories", _get_memory, {}),
    (AgentCoreBrowser, "list_browsers", "browserSummaries", _get_browser, CUSTOM),
    (AgentCoreCodeInterpreter, "list_code_interpreters", "codeInterpreterSummaries", _get_code_interpreter, CUSTOM),
)

PERMISSIONS = (
    "bedrock-agentcore:ListAgentRuntimes",
    "bedrock-agentcore:GetAgentRuntime",
    "bedrock-agentcore:ListGateways",
    "bedrock-agentcore:GetGateway",
    "bedrock-agentcore:ListMemories",
    "bedrock-agentcore:GetMemory",
    "bedrock-agentcore:ListBrowsers",
    "bedrock-agentcore:GetBrowser",
    "bedrock-agentcore:ListCodeInterpreters",
    "bedrock-agentcore:GetCodeInterpreter",
)

SERVICE = ServiceSpec(
    name="bedrock_agentcore",
    produces=(AgentRuntime, AgentCoreGateway, AgentCoreMemory, AgentCoreBrowser, AgentCoreCodeInterpreter),
    regional=True,
    permissions=PERMISSIONS,
    collect=collect,
)
