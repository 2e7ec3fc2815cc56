"""Amazon Bedrock AgentCore checks: runtimes, gateways, memories, custom browsers and custom code
interpreters (Security Hub BedrockAgentCore.1-7).
"""

from __future__ import annotations

from cspm.checks.aws._docs import security_hub_for
from cspm.checks.aws.sagemaker import SECRETS_NIST, _customer_managed, _no_secrets
from cspm.models import Baseline, Result, Severity, failed, passed, unknown
from cspm.registry import check
from cspm.resources.aws.bedrock_agentcore import (
    AgentCoreBrowser,
    AgentCoreCodeInterpreter,
    AgentCoreGateway,
    AgentCoreMemory,
    AgentRuntime,
)

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
BROWSER_RECORDING = f"{_DG}/browser-session-recording.html"
AGENTCORE_VPC_CONFIGURATION = f"{AGENTCORE_VPC}#agentcore-configuration"


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
    return _network_mode(runtime.network_mode, runtime.subnet_ids, "runtime", ("VPC",))


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


@check(
    title="Bedrock AgentCore custom browser does not use public network mode",
    severity=Severity.HIGH,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Delete the custom browser and recreate it with networkMode VPC (the mode cannot be changed).",
    compliance={"aws-ai-security": ["BedrockAgentCore.5"], "nist-800-53-r5": ["AC-4", "SC-7"]},
    attack=["AML.T0025", "AML.T0053"],
    references=(_sh(5), AGENTCORE_VPC_CONFIGURATION),
)
def browser_not_public(browser: AgentCoreBrowser) -> Result:
    """PUBLIC network mode "exposes browser sessions directly to the internet"; VPC mode confines
    the browser's traffic to your network, under security groups, network ACLs and flow logs
    (Security Hub BedrockAgentCore.5). An absent network configuration is read as PUBLIC."""
    return _network_mode(browser.network_mode, browser.subnet_ids, "custom browser", ("VPC",))


@check(
    title="Bedrock AgentCore custom browser records its sessions",
    fail_title="Bedrock AgentCore custom browser does not record its sessions",
    severity=Severity.MEDIUM,
    baseline=Baseline.LOGGING,
    remediation="Turn on session recording for the browser with an S3 location for the recordings.",
    compliance={"aws-ai-security": ["BedrockAgentCore.6"], "nist-800-53-r5": ["AU-2", "AU-12"]},
    attack=["AML.T0053", "AML.T0025"],
    references=(_sh(6), BROWSER_RECORDING),
)
def browser_records_sessions(browser: AgentCoreBrowser) -> Result:
    """Recording "ensures full auditability of browser interactions": what an agent did on the
    web, data it took or submitted. Security Hub fails a browser without recording enabled or
    without an S3 location for it (BedrockAgentCore.6)."""
    recording = browser.recording
    if recording is None:
        return unknown("The browser could not be described.")
    evidence = {"enabled": recording.enabled, "s3_uri": recording.s3_uri}
    if recording.enabled and recording.s3_uri:
        return passed(f"Sessions are recorded to {recording.s3_uri}.", evidence)
    return failed("Sessions are not recorded to S3.", evidence)


@check(
    title="Bedrock AgentCore custom code interpreter uses a private network",
    severity=Severity.HIGH,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Delete the code interpreter and recreate it with networkMode VPC.",
    compliance={"aws-ai-security": ["BedrockAgentCore.7"], "nist-800-53-r5": ["AC-4", "SC-7"]},
    attack=["AML.T0025", "AML.T0053"],
    references=(_sh(7), AGENTCORE_VPC_CONFIGURATION),
)
def code_interpreter_uses_private_network(interpreter: AgentCoreCodeInterpreter) -> Result:
    """Code an agent writes runs in the interpreter; "public or sandbox network modes expose the
    code interpreter to the internet, increasing the risk of unauthorized access and data
    exfiltration" (Security Hub BedrockAgentCore.7, which fails PUBLIC and SANDBOX)."""
    return _network_mode(interpreter.network_mode, interpreter.subnet_ids, "code interpreter", ("VPC",))


def _network_mode(mode: str | None, subnets: tuple[str, ...] | None, what: str, private: tuple[str, ...]) -> Result:
    if mode is None:
        return unknown(f"The {what} could not be described.")
    evidence = {"network_mode": mode, "subnet_ids": list(subnets or ())}
    if mode not in private:
        return failed(f"The {what} uses {mode} network mode.", evidence)
    return passed(f"The {what} uses {mode} network mode.", evidence)
