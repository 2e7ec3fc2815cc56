"""Amazon Bedrock AgentCore checks: runtimes, gateways and memories (Security Hub
BedrockAgentCore.1-4). Custom browsers and code interpreters (BedrockAgentCore.5-7) are not
collected yet; docs/bedrock-controls.md says so.
"""

from __future__ import annotations

from cspm.checks.aws._docs import security_hub_for
from cspm.checks.aws.sagemaker import SECRETS_NIST, _customer_managed, _no_secrets
from cspm.models import Baseline, Result, Severity, failed, passed, unknown
from cspm.registry import check
from cspm.resources.aws.bedrock_agentcore import AgentCoreGateway, AgentCoreMemory, AgentRuntime

AT_REST_NIST = [
    "AU-9",
    "CA-9(1)",
    "CM-3(6)",
    "SC-7(10)",
    "SC-12(2)",
    "SC-13",
    "SC-28",
    "SC-28(1)",
    "SI-7(6)",
]  # the related requirements Security Hub lists for BedrockAgentCore.3 and .4

_DG = "https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide"
_sh = security_hub_for("bedrockagentcore")
AGENTCORE_VPC = f"{_DG}/agentcore-vpc.html"
GATEWAY_INBOUND_AUTH = f"{_DG}/gateway-inbound-auth.html"
MEMORY_ENCRYPTION = f"{_DG}/storage-encryption.html"
GATEWAY_ENCRYPTION = f"{_DG}/gateway-encryption.html"


@check(
    title="Bedrock AgentCore runtime runs in VPC network mode",
    severity=Severity.HIGH,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Update the runtime's networkConfiguration to networkMode VPC with subnets and security groups.",
    compliance={"aws-ai-security": ["BedrockAgentCore.1"], "nist-800-53-r5": ["AC-4", "SC-7"]},
    attack=["AML.T0049", "AML.T0025"],
    references=(_sh(1), AGENTCORE_VPC),
)
def runtime_runs_in_vpc(runtime: AgentRuntime) -> Result:
    """In PUBLIC network mode the runtime is "exposed directly to the internet, increasing the
    attack surface"; VPC mode confines its traffic to your network, under security groups,
    network ACLs and flow logs (Security Hub BedrockAgentCore.1)."""
    if runtime.network_mode is None:
        return unknown("The runtime could not be described.")
    evidence = {"network_mode": runtime.network_mode, "subnet_ids": list(runtime.subnet_ids or ())}
    if runtime.network_mode != "VPC":
        return failed(f"The runtime runs in {runtime.network_mode} network mode.", evidence)
    return passed("The runtime runs in VPC network mode.", evidence)


@check(
    title="Bedrock AgentCore runtime has no secrets in its environment",
    severity=Severity.HIGH,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Rotate the credentials found; give the runtime an AgentCore Identity credential provider or "
    "AWS Secrets Manager access instead of environment variables.",
    compliance={"nist-800-53-r5": SECRETS_NIST},
    attack=["AML.T0055"],
    references=(AGENTCORE_VPC,),
)
def runtime_has_no_secrets_in_environment(runtime: AgentRuntime) -> Result:
    """GetAgentRuntime returns environment variables in clear text to anyone with that read
    permission. The finding names the variable and the kind of secret, never the value."""
    return _no_secrets(runtime.secrets, "The runtime's environment variables")


@check(
    title="Bedrock AgentCore gateway requires authorization for inbound requests",
    severity=Severity.HIGH,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Configure the gateway with an inbound authorizer (AWS_IAM or CUSTOM_JWT).",
    compliance={"aws-ai-security": ["BedrockAgentCore.2"], "nist-800-53-r5": ["AC-3", "IA-2"]},
    attack=["AML.T0049", "AML.T0053"],
    references=(_sh(2), GATEWAY_INBOUND_AUTH),
)
def gateway_requires_authorization(gateway: AgentCoreGateway) -> Result:
    """ "Without an authorizer, any entity with network access to the gateway endpoint can invoke
    your agents", and the tools behind them (Security Hub BedrockAgentCore.2)."""
    if gateway.authorizer_type is None:
        return unknown("The gateway's authorizer type could not be read.")
    evidence = {"authorizer_type": gateway.authorizer_type}
    if gateway.authorizer_type == "NONE":
        return failed("The gateway accepts inbound requests without authorization.", evidence)
    return passed(f"The gateway authorizes inbound requests ({gateway.authorizer_type}).", evidence)


@check(
    title="Bedrock AgentCore gateway is encrypted with a customer-managed KMS key",
    severity=Severity.MEDIUM,
    baseline=Baseline.ENCRYPTION,
    remediation="Recreate or update the gateway with kmsKeyArn set to a customer-managed key.",
    compliance={"aws-ai-security": ["BedrockAgentCore.4"], "nist-800-53-r5": AT_REST_NIST},
    attack=["AML.T0055"],
    references=(_sh(4), GATEWAY_ENCRYPTION),
)
def gateway_encrypted_with_kms(gateway: AgentCoreGateway) -> Result:
    """By default AgentCore encrypts gateway data with AWS managed keys; a customer-managed key
    gives you the key policy, rotation and CloudTrail record (Security Hub BedrockAgentCore.4)."""
    return _customer_managed(gateway.encryption, "The gateway")


@check(
    title="Bedrock AgentCore memory is encrypted with a customer-managed KMS key",
    severity=Severity.MEDIUM,
    baseline=Baseline.ENCRYPTION,
    remediation="Create the memory with encryptionKeyArn set to a customer-managed key and move the agents to it.",
    compliance={"aws-ai-security": ["BedrockAgentCore.3"], "nist-800-53-r5": AT_REST_NIST},
    attack=["AML.T0057"],
    references=(_sh(3), MEMORY_ENCRYPTION),
)
def memory_encrypted_with_kms(memory: AgentCoreMemory) -> Result:
    """An agent's memory keeps conversations and what was extracted from them across sessions;
    without a customer-managed key it is under a service key outside your key policies
    (Security Hub BedrockAgentCore.3)."""
    return _customer_managed(memory.encryption, "The memory")
