"""Bedrock AgentCore checks: a table of (check, snapshot, expected status)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cspm.checks.aws import bedrock_agentcore
from cspm.models import Result, Status
from cspm.resources.aws.bedrock_agentcore import (
    AgentCoreBrowser,
    AgentCoreCodeInterpreter,
    AgentCoreGateway,
    AgentCoreMemory,
    AgentRuntime,
    BrowserRecording,
)
from cspm.resources.aws.sagemaker import KmsEncryption, SecretFinding

ACCOUNT = "123456789012"
REGION = "us-east-1"
KEY = KmsEncryption(kms_key_id=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k")


def _common(kind: str, name: str) -> dict[str, Any]:
    uid = f"arn:aws:bedrock-agentcore:{REGION}:{ACCOUNT}:{kind}/{name}"
    return {"uid": uid, "name": name, "account": ACCOUNT, "region": REGION}


def runtime(**fields: Any) -> AgentRuntime:
    base: dict[str, Any] = {
        **_common("runtime", "rt"),
        "runtime_id": "rt",
        "network_mode": "VPC",
        "subnet_ids": ("subnet-1",),
        "security_group_ids": ("sg-1",),
        "secrets": (),
    }
    return AgentRuntime(**(base | fields))


def gateway(**fields: Any) -> AgentCoreGateway:
    base = _common("gateway", "gw") | {"gateway_id": "gw", "authorizer_type": "CUSTOM_JWT", "encryption": KEY}
    return AgentCoreGateway(**(base | fields))


def memory(**fields: Any) -> AgentCoreMemory:
    return AgentCoreMemory(**(_common("memory", "mem") | {"memory_id": "mem", "encryption": KEY} | fields))


def browser(**fields: Any) -> AgentCoreBrowser:
    base: dict[str, Any] = {
        **_common("browser-custom", "br"),
        "browser_id": "br",
        "network_mode": "VPC",
        "subnet_ids": ("subnet-1",),
        "recording": BrowserRecording(enabled=True, s3_uri="s3://recordings/br/"),
    }
    return AgentCoreBrowser(**(base | fields))


def interpreter(**fields: Any) -> AgentCoreCodeInterpreter:
    base = _common("code-interpreter-custom", "ci") | {"code_interpreter_id": "ci", "network_mode": "VPC"}
    return AgentCoreCodeInterpreter(**(base | fields))


SECRET = SecretFinding(source="environmentVariables", key="OPENAI_API_KEY", kind="OpenAI API key")

CASES: dict[str, tuple[Callable[..., Result], Any, Status]] = {
    "runtime VPC": (bedrock_agentcore.runtime_runs_in_vpc, runtime(), Status.PASS),
    "runtime PUBLIC": (
        bedrock_agentcore.runtime_runs_in_vpc,
        runtime(network_mode="PUBLIC", subnet_ids=()),
        Status.FAIL,
    ),
    "runtime unread": (bedrock_agentcore.runtime_runs_in_vpc, runtime(network_mode=None), Status.ERROR),
    "runtime no secrets": (bedrock_agentcore.runtime_has_no_secrets_in_environment, runtime(), Status.PASS),
    "runtime secret": (
        bedrock_agentcore.runtime_has_no_secrets_in_environment,
        runtime(secrets=(SECRET,)),
        Status.FAIL,
    ),
    "runtime secrets unread": (
        bedrock_agentcore.runtime_has_no_secrets_in_environment,
        runtime(secrets=None),
        Status.ERROR,
    ),
    "gateway JWT": (bedrock_agentcore.gateway_requires_authorization, gateway(), Status.PASS),
    "gateway IAM": (bedrock_agentcore.gateway_requires_authorization, gateway(authorizer_type="AWS_IAM"), Status.PASS),
    "gateway open": (bedrock_agentcore.gateway_requires_authorization, gateway(authorizer_type="NONE"), Status.FAIL),
    "gateway unread": (bedrock_agentcore.gateway_requires_authorization, gateway(authorizer_type=None), Status.ERROR),
    "gateway CMK": (bedrock_agentcore.gateway_encrypted_with_kms, gateway(), Status.PASS),
    "gateway no key": (bedrock_agentcore.gateway_encrypted_with_kms, gateway(encryption=KmsEncryption()), Status.FAIL),
    "gateway key unread": (bedrock_agentcore.gateway_encrypted_with_kms, gateway(encryption=None), Status.ERROR),
    "memory CMK": (bedrock_agentcore.memory_encrypted_with_kms, memory(), Status.PASS),
    "memory no key": (bedrock_agentcore.memory_encrypted_with_kms, memory(encryption=KmsEncryption()), Status.FAIL),
    "memory unread": (bedrock_agentcore.memory_encrypted_with_kms, memory(encryption=None), Status.ERROR),
    "browser VPC": (bedrock_agentcore.browser_not_public, browser(), Status.PASS),
    "browser PUBLIC": (bedrock_agentcore.browser_not_public, browser(network_mode="PUBLIC"), Status.FAIL),
    "browser unread": (bedrock_agentcore.browser_not_public, browser(network_mode=None), Status.ERROR),
    "browser recorded": (bedrock_agentcore.browser_records_sessions, browser(), Status.PASS),
    "browser not recorded": (
        bedrock_agentcore.browser_records_sessions,
        browser(recording=BrowserRecording()),
        Status.FAIL,
    ),
    "recording without S3": (
        bedrock_agentcore.browser_records_sessions,
        browser(recording=BrowserRecording(enabled=True)),
        Status.FAIL,
    ),
    "recording unread": (bedrock_agentcore.browser_records_sessions, browser(recording=None), Status.ERROR),
    "interpreter VPC": (bedrock_agentcore.code_interpreter_uses_private_network, interpreter(), Status.PASS),
    "interpreter SANDBOX": (
        bedrock_agentcore.code_interpreter_uses_private_network,
        interpreter(network_mode="SANDBOX"),
        Status.FAIL,
    ),
    "interpreter PUBLIC": (
        bedrock_agentcore.code_interpreter_uses_private_network,
        interpreter(network_mode="PUBLIC"),
        Status.FAIL,
    ),
    "interpreter unread": (
        bedrock_agentcore.code_interpreter_uses_private_network,
        interpreter(network_mode=None),
        Status.ERROR,
    ),
}


@pytest.mark.parametrize(("check", "resource", "expected"), CASES.values(), ids=CASES.keys())
def test_agentcore_checks(check: Callable[..., Result], resource: Any, expected: Status) -> None:
    result = check(resource)
    assert result.status is expected, result.message
