"""EC2/VPC checks: security groups open to the internet, default security groups, VPC flow logs,
VPC endpoint policies and subnets that hand out public addresses.

The network reasoning (which sources are the internet, which ports a rule opens) is in
:mod:`cspm.checks.aws._network`; endpoint policies are analysed with :mod:`cspm.iam`.
"""

from __future__ import annotations

from collections.abc import Iterable

from cspm.checks.aws._network import (
    ADMIN_PORTS,
    HIGH_RISK_PORTS,
    internet_port_exposure,
    internet_rules,
    opens_all_traffic,
    rule_evidence,
)
from cspm.iam.analysis import admin_statements, resource_policy_exposure, statement_evidence
from cspm.iam.policy import PolicyError, parse_policy
from cspm.models import Baseline, Result, Severity, failed, not_applicable, passed, unknown
from cspm.registry import check
from cspm.resources.aws.ec2 import SecurityGroup, Vpc, VpcEndpoint

_SH = "https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html"
_ADMIN_REFERENCES = tuple(f"AWS Security Hub EC2.{n}: {_SH}#ec2-{n}" for n in (53, 54, 13, 14))
_FLOW_LOG_TRAFFIC = ("ALL", "REJECT")  # Security Hub EC2.6 asks for rejected traffic at least


def _port_exposure(group: SecurityGroup, ports: Iterable[int], kind: str) -> Result:
    """The verdict of "no internet ingress to ``ports``", shared by the port checks."""
    if group.ingress is None:
        return unknown("The security group's inbound rules could not be read.")
    exposure = internet_port_exposure(group.ingress, ports)
    if exposure.rules:
        opened = ", ".join(map(str, exposure.ports))
        return failed(f"Inbound rules open {kind} port(s) {opened} to the internet.", evidence=exposure.evidence())
    if exposure.undecided:
        return unknown(
            "Inbound rules from the internet have no port range; their ports cannot be judged.",
            evidence={"rules": [rule_evidence(r) for r in exposure.undecided]},
        )
    return passed(f"No inbound rule opens {kind} ports to 0.0.0.0/0 or ::/0.")


@check(
    title="Security group allows no internet ingress to SSH or RDP",
    severity=Severity.HIGH,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Remove inbound rules from 0.0.0.0/0 and ::/0 to ports 22 and 3389; reach instances and "
    "notebooks through Session Manager, a VPN or a bastion restricted to known addresses.",
    compliance={
        "aws-securityhub": ["EC2.53", "EC2.54", "EC2.13", "EC2.14"],
        "cis-aws-5.0": ["5.3", "5.4"],
        "nist-800-53-r5": ["AC-4", "SC-7", "SC-7(5)"],
    },
    attack=["AML.T0049"],
    references=_ADMIN_REFERENCES,
)
def security_group_restricts_admin_ports(group: SecurityGroup) -> Result:
    """SSH and RDP open to the internet are brute-forced within minutes. On a training or notebook
    host they lead straight to datasets, model artifacts and the instance role's credentials.
    Every group is evaluated, attached or not: an unattached group is one launch away from use."""
    return _port_exposure(group, ADMIN_PORTS, "administration")


@check(
    title="Security group allows no internet ingress on all ports and protocols",
    severity=Severity.CRITICAL,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Replace inbound rules that allow all protocols or ports 0-65535 from 0.0.0.0/0 or ::/0 with "
    "rules for the specific ports and source ranges the workload needs.",
    compliance={"nist-800-53-r5": ["AC-4", "SC-7", "SC-7(5)"]},
    attack=["AML.T0049"],
)
def security_group_restricts_all_traffic_ingress(group: SecurityGroup) -> Result:
    """An allow-all rule from the internet exposes every service on the host: notebook servers,
    model-serving ports, debug endpoints and databases that were never meant to be reachable."""
    if group.ingress is None:
        return unknown("The security group's inbound rules could not be read.")
    rules = internet_rules(group.ingress)
    verdicts = [(rule, opens_all_traffic(rule)) for rule in rules]
    offending = [rule_evidence(rule) for rule, opens in verdicts if opens]
    if offending:
        return failed("Inbound rules allow all traffic from the internet.", evidence={"rules": offending})
    undecided = [rule_evidence(rule) for rule, opens in verdicts if opens is None]
    if undecided:
        return unknown(
            "Inbound rules from the internet have no port range; their ports cannot be judged.",
            evidence={"rules": undecided},
        )
    return passed("No inbound rule allows all ports and protocols from 0.0.0.0/0 or ::/0.")


@check(
    title="Security group allows no internet ingress to high-risk ports",
    severity=Severity.CRITICAL,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Remove inbound rules from 0.0.0.0/0 and ::/0 to the listed ports; put notebooks (8888), "
    "experiment trackers (5000) and model servers (8080) behind a load balancer with authentication, "
    "or reach them through a VPN or SSM port forwarding.",
    compliance={"aws-fsbp": ["EC2.19"], "nist-800-53-r5": ["AC-4", "SC-7", "SC-7(5)"]},
    attack=["AML.T0049"],
)
def security_group_restricts_high_risk_ports(group: SecurityGroup) -> Result:
    """Ports such as 8888 (Jupyter), 5000 (MLflow), 9200 (Elasticsearch), 3306/5432 (databases)
    and 445 (SMB) are routinely scanned for; an open Jupyter server is remote code execution."""
    return _port_exposure(group, HIGH_RISK_PORTS, "high-risk")


@check(
    title="Default security group allows no traffic",
    severity=Severity.HIGH,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Remove every inbound and outbound rule from the VPC's default security group and attach "
    "purpose-built groups to resources instead.",
    compliance={"aws-fsbp": ["EC2.2"], "cis-aws-5.0": ["5.5"], "nist-800-53-r5": ["AC-4", "SC-7"]},
    attack=["AML.T0049", "AML.T0025"],
    references=(f"AWS Security Hub EC2.2: {_SH}#ec2-2",),
)
def default_security_group_restricts_all_traffic(group: SecurityGroup) -> Result:
    """Resources launched without a security group (SageMaker jobs and endpoints with a VPC
    config among them) fall back to the default group; if it allows traffic they silently get
    that network access, including unrestricted egress for exfiltration."""
    if not group.is_default:
        return not_applicable("Not a default security group.")
    if group.ingress is None or group.egress is None:
        return unknown("The default security group's rules could not be read.")
    if not group.ingress and not group.egress:
        return passed("The default security group has no inbound or outbound rules.")
    return failed(
        f"The default security group has {len(group.ingress)} inbound and {len(group.egress)} outbound rule(s).",
        evidence={
            "ingress": [rule_evidence(r) for r in group.ingress],
            "egress": [rule_evidence(r) for r in group.egress],
        },
    )


@check(
    title="VPC flow logs are enabled",
    severity=Severity.MEDIUM,
    baseline=Baseline.LOGGING,
    remediation="Create a flow log for the VPC that captures ALL (or at least REJECT) traffic to CloudWatch "
    "Logs or S3.",
    compliance={"aws-fsbp": ["EC2.6"], "cis-aws-5.0": ["3.7"], "nist-800-53-r5": ["AU-2", "AU-12", "SI-4"]},
    attack=["AML.T0025"],
    references=(f"AWS Security Hub EC2.6: {_SH}#ec2-6",),
)
def vpc_flow_logs_enabled(vpc: Vpc) -> Result:
    """Flow logs are the record of which addresses a training job or notebook talked to: without
    them, data exfiltration and callbacks from a poisoned model leave no network trace."""
    if vpc.flow_logs is None:
        return unknown("The VPC's flow logs could not be read.")
    active = [f for f in vpc.flow_logs if f.status == "ACTIVE" and f.traffic_type in _FLOW_LOG_TRAFFIC]
    if active:
        return passed(
            f"{len(active)} active flow log(s) capture {active[0].traffic_type} traffic.",
            evidence={"flow_logs": [f.id for f in active]},
        )
    if any(f.status is None or f.traffic_type is None for f in vpc.flow_logs):
        return unknown("The status or traffic type of the VPC's flow logs could not be read.")
    existing = [{"id": f.id, "status": f.status, "traffic_type": f.traffic_type} for f in vpc.flow_logs]
    message = "No flow log captures the VPC's traffic." if not existing else "No active flow log captures rejects."
    return failed(message, evidence={"flow_logs": existing})


@check(
    title="VPC endpoint policy does not allow full access",
    severity=Severity.MEDIUM,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Attach an endpoint policy that allows only the actions and resources the VPC needs (for S3, "
    "the ML buckets of this account; for SageMaker, the account's own resources), or restricts principals "
    "with aws:PrincipalOrgID / aws:PrincipalAccount.",
    compliance={"nist-800-53-r5": ["AC-3", "AC-6", "SC-7"]},
    attack=["AML.T0025"],
)
def vpc_endpoint_policy_is_not_full_access(endpoint: VpcEndpoint) -> Result:
    """A full-access endpoint policy lets anything in the VPC use the endpoint against any
    account's resources: a compromised notebook copies training data to an attacker's bucket
    through the S3 gateway endpoint, unseen by egress filtering. No policy means full access."""
    if endpoint.endpoint_type == "GatewayLoadBalancer":
        return not_applicable("Gateway Load Balancer endpoints do not support endpoint policies.")
    if endpoint.policy is None:
        return unknown(f"The endpoint policy could not be read ({endpoint.policy_error or 'unreadable'}).")
    if not endpoint.policy:
        return failed("The endpoint has no policy, which allows full access.", evidence={"policy": None})
    try:
        document = parse_policy(endpoint.policy)
    except PolicyError as exc:
        return unknown(f"The endpoint policy could not be analysed: {exc}")
    public = set(resource_policy_exposure(document, endpoint.account).public)
    full = [s for s in admin_statements(document) if s.ref in public]
    if full:
        return failed(
            "The endpoint policy allows every action on every resource to every principal, unconditionally.",
            evidence={"statements": [statement_evidence(s) for s in full]},
        )
    return passed("The endpoint policy does not allow unconditional full access.")


@check(
    title="VPC subnets do not assign public IP addresses on launch",
    severity=Severity.MEDIUM,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Turn off 'auto-assign public IPv4 address' (MapPublicIpOnLaunch) and 'auto-assign IPv6 "
    "address' on the subnets, and give ML workloads private subnets with VPC endpoints or NAT.",
    compliance={"aws-fsbp": ["EC2.15"], "nist-800-53-r5": ["AC-4", "SC-7"]},
    attack=["AML.T0049"],
    references=(f"AWS Security Hub EC2.15: {_SH}#ec2-15",),
)
def vpc_subnets_do_not_assign_public_ips(vpc: Vpc) -> Result:
    """In a subnet that hands out public addresses, every training instance, processing job or
    notebook launched there is reachable from the internet as soon as a security group allows it."""
    if vpc.subnets is None:
        return unknown("The VPC's subnets could not be read.")
    public_routes = vpc.public_subnet_ids
    offending = [
        {
            "subnet_id": s.id,
            "map_public_ip_on_launch": s.map_public_ip_on_launch,
            "assign_ipv6_address_on_creation": s.assign_ipv6_address_on_creation,
            "routes_to_internet_gateway": None if public_routes is None else s.id in public_routes,
        }
        for s in vpc.subnets
        if s.map_public_ip_on_launch or s.assign_ipv6_address_on_creation
    ]
    if offending:
        return failed(f"{len(offending)} subnet(s) assign public addresses on launch.", evidence={"subnets": offending})
    return passed(f"None of the VPC's {len(vpc.subnets)} subnet(s) assigns public addresses on launch.")
