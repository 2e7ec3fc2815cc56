"""Amazon Bedrock AgentCore snapshots: agent runtimes, gateways, memories, custom browsers and
custom code interpreters.

The service segment of the type names is ``bedrock_agentcore``, not ``bedrock``: AgentCore is a
service of its own — its own IAM prefix (``bedrock-agentcore:``), control-plane API
(``bedrock-agentcore-control``), CloudFormation namespace (``AWS::BedrockAgentCore::*``) and
Security Hub control family (``BedrockAgentCore.n``) — so ``--services`` can select it apart
from Bedrock. The underscore (not the IAM prefix's hyphen) is because the segment is also the
check module's name and so part of every check id (``aws.bedrock_agentcore.<check>``).
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from cspm.resources.aws.sagemaker import KmsEncryption, SecretFinding
from cspm.resources.base import Resource, Snapshot

__all__ = [
    "AgentCoreBrowser",
    "AgentCoreCodeInterpreter",
    "AgentCoreGateway",
    "AgentCoreMemory",
    "AgentRuntime",
    "BrowserRecording",
]


class AgentRuntime(Resource):
    """One AgentCore agent runtime (GetAgentRuntime), its latest version."""

    resource_type: ClassVar[str] = "aws.bedrock_agentcore.runtime"

    runtime_id: str
    version: str | None = None
    status: str | None = None  # CREATING | READY | UPDATING | ... | FAILED
    created_at: datetime | None = None
    role_arn: str | None = None
    network_mode: str | None = None  # networkConfiguration.networkMode: PUBLIC | VPC
    subnet_ids: tuple[str, ...] | None = None  # () when not in a customer VPC
    security_group_ids: tuple[str, ...] | None = None
    container_uri: str | None = None  # agentRuntimeArtifact.containerConfiguration.containerUri
    code_s3_uri: str | None = None  # agentRuntimeArtifact.codeConfiguration.code.s3
    # Inbound authorization: "JWT" (a customJWTAuthorizer) or "IAM" (SigV4, the default).
    inbound_auth: str | None = None
    environment_keys: tuple[str, ...] | None = None  # names only; values are never kept
    secrets: tuple[SecretFinding, ...] | None = None  # found in environmentVariables


class AgentCoreGateway(Resource):
    """One AgentCore gateway (GetGateway): the MCP front of an agent's tools."""

    resource_type: ClassVar[str] = "aws.bedrock_agentcore.gateway"

    gateway_id: str
    status: str | None = None
    created_at: datetime | None = None
    role_arn: str | None = None
    authorizer_type: str | None = None  # CUSTOM_JWT | AWS_IAM | NONE
    encryption: KmsEncryption | None = None  # kmsKeyArn


class AgentCoreMemory(Resource):
    """One AgentCore memory (GetMemory): what agents remember between sessions."""

    resource_type: ClassVar[str] = "aws.bedrock_agentcore.memory"

    memory_id: str
    status: str | None = None
    created_at: datetime | None = None
    role_arn: str | None = None  # memoryExecutionRoleArn
    encryption: KmsEncryption | None = None  # encryptionKeyArn
    event_expiry_days: int | None = None


class BrowserRecording(Snapshot):
    """A browser's recording configuration. ``enabled`` False: sessions are not recorded."""

    enabled: bool = False
    s3_uri: str | None = None  # s3Location (s3://bucket/prefix)


class AgentCoreBrowser(Resource):
    """One custom AgentCore browser (ListBrowsers type CUSTOM, GetBrowser): a browser the agent
    drives on the web."""

    resource_type: ClassVar[str] = "aws.bedrock_agentcore.browser"

    browser_id: str
    status: str | None = None
    created_at: datetime | None = None
    role_arn: str | None = None  # executionRoleArn
    network_mode: str | None = None  # networkConfiguration.networkMode: PUBLIC | VPC
    subnet_ids: tuple[str, ...] | None = None  # () when not in a customer VPC
    security_group_ids: tuple[str, ...] | None = None
    recording: BrowserRecording | None = None


class AgentCoreCodeInterpreter(Resource):
    """One custom AgentCore code interpreter (ListCodeInterpreters type CUSTOM, GetCodeInterpreter):
    a sandbox where the agent runs code it wrote."""

    resource_type: ClassVar[str] = "aws.bedrock_agentcore.code_interpreter"

    code_interpreter_id: str
    status: str | None = None
    created_at: datetime | None = None
    role_arn: str | None = None  # executionRoleArn
    network_mode: str | None = None  # PUBLIC | SANDBOX | VPC
    subnet_ids: tuple[str, ...] | None = None
    security_group_ids: tuple[str, ...] | None = None
