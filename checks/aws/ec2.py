"""EC2/VPC checks: security groups open to the internet, default security groups, VPC flow logs,
VPC endpoint policies and subnets that hand out public addresses.

The network reasoning (which sources are the internet, which ports a rule opens) is in
:mod:`cspm.checks.aws._network`; endpoint policies are analysed with :mod:`cspm.iam`.
"""

from __future__ import annotations

from collections.abc import Iterable

from cspm.checks.aws._docs import security_hub_for
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

# The default security group: "If you don't specify a security group when you launch an instance,
# the instance is launched into the appropriate default security group."
CREATE_SECURITY_GROUP = "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html"
# SageMaker's VpcConfig requires 1-5 SecurityGroupIds: SageMaker resources never fall back to it.
SAGEMAKER_VPC_CONFIG = "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_VpcConfig.html"
ENDPOINT_POLICIES = "https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html"


_sh = security_hub_for("ec2")


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
    references=(_sh(13), _sh(14)),
)
def security_group_restricts_admin_ports(group: SecurityGroup) -> Result:
    """Ingress from 0.0.0.0/0 or ::/0 to port 22 (SSH) or 3389 (RDP), by TCP, UDP or all
    protocols, exposes remote console services to the whole internet; "removing unfettered
    connectivity to remote console services ... reduces a server's exposure to risk" (Security Hub
    EC2.13/EC2.14). Every group is evaluated, attached or not, as those controls do."""
    return _port_exposure(group, ADMIN_PORTS, "administration")


@check(
    title="Security group allows no internet ingress on all ports and protocols",
    severity=Severity.CRITICAL,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Replace inbound rules that allow all protocols or ports 0-65535 from 0.0.0.0/0 or ::/0 with "
    "rules for the specific ports and source ranges the workload needs.",
    compliance={"nist-800-53-r5": ["AC-4", "SC-7", "SC-7(5)"]},
    attack=["AML.T0049"],
    references=(_sh(18),),
)
def security_group_restricts_all_traffic_ingress(group: SecurityGroup) -> Result:
    """A rule from 0.0.0.0/0 or ::/0 for every protocol, or for ports 0-65535, opens every port
    the attached hosts listen on. Security Hub EC2.18 fails unrestricted ingress on any port but the
    authorized ones (80 and 443 by default): such access "increases the opportunity for malicious
    activity such as hacking, denial-of-service attacks, and loss of data". This check covers only
    the all-ports case, so it maps to no control."""
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
    remediation="Remove inbound rules from 0.0.0.0/0 and ::/0 to the listed ports; expose web services "
    "through a load balancer with authentication, or reach them through a VPN or SSM port forwarding.",
    compliance={"aws-fsbp": ["EC2.19"], "nist-800-53-r5": ["AC-4", "SC-7", "SC-7(5)"]},
    attack=["AML.T0049"],
    references=(_sh(19),),
)
def security_group_restricts_high_risk_ports(group: SecurityGroup) -> Result:
    """Security Hub EC2.19 names 24 high-risk ports that no security group should open to
    0.0.0.0/0 or ::/0: FTP, SSH, Telnet, SMTP, POP3, RPC, IMAP, CIFS, MSSQL, MySQL, RDP,
    PostgreSQL, OpenSearch and the Go/Node.js/Ruby (3000) and Python (5000) web frameworks, 8080,
    8088 and 8888 among them. Unrestricted access "increases opportunities for malicious
    activity, such as hacking, denial-of-service attacks, and loss of data"."""
    return _port_exposure(group, HIGH_RISK_PORTS, "high-risk")


@check(
    title="Default security group allows no traffic",
    severity=Severity.HIGH,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Remove every inbound and outbound rule from the VPC's default security group and attach "
    "purpose-built groups to resources instead.",
    compliance={"aws-fsbp": ["EC2.2"], "cis-aws-5.0": ["5.5"], "nist-800-53-r5": ["AC-4", "SC-7"]},
    attack=["AML.T0049", "AML.T0025"],
    references=(_sh(2), CREATE_SECURITY_GROUP, SAGEMAKER_VPC_CONFIG),
)
def default_security_group_restricts_all_traffic(group: SecurityGroup) -> Result:
    """An EC2 instance launched without a security group is placed in the VPC's default group,
    whose default rules allow all traffic between its members and all outbound traffic; closing
    the group "prevents unintended traffic if the default security group is accidentally
    configured for resources" (Security Hub EC2.2). SageMaker's VpcConfig requires its own
    security groups, so SageMaker jobs and models do not fall back to it."""
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
    references=(_sh(6),),
)
def vpc_flow_logs_enabled(vpc: Vpc) -> Result:
    """Flow logs capture the IP traffic to and from the network interfaces in the VPC (source,
    destination, protocol), for anomaly detection and investigations. Like Security Hub EC2.6 the
    check accepts an active flow log of rejected traffic (REJECT) or of all traffic (ALL); only
    ALL also records the connections that were accepted."""
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
    references=(ENDPOINT_POLICIES,),
)
def vpc_endpoint_policy_is_not_full_access(endpoint: VpcEndpoint) -> Result:
    """The endpoint policy controls which principals may use the endpoint to reach the service,
    on top of identity and resource policies. Without one you set, AWS attaches the default
    policy, which "grants full access": every principal, every action, every resource. An endpoint
    that returns no policy at all belongs to a service that does not support endpoint policies
    (or to a non-AWS endpoint service), where AWS allows full access and nothing can be set: it is
    not assessed."""
    if endpoint.endpoint_type == "GatewayLoadBalancer":
        return not_applicable("Gateway Load Balancer endpoints do not support endpoint policies.")
    if endpoint.policy is None:
        return unknown(f"The endpoint policy could not be read ({endpoint.policy_error or 'unreadable'}).")
    if not endpoint.policy:
        return not_applicable(
            "The endpoint has no policy: its service does not support endpoint policies, so AWS allows full access."
        )
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
    references=(_sh(15), _sh(9)),
)
def vpc_subnets_do_not_assign_public_ips(vpc: Vpc) -> Result:
    """Instances launched in a subnet that auto-assigns public IPv4 or IPv6 addresses receive one on
    their primary network interface, and a public address "is reachable from the internet"
    (Security Hub EC2.9, EC2.15). The IPv4 attribute is on for default subnets and off for others
    (except subnets the launch wizard creates); the IPv6 one is off by default. Whether the
    subnet routes to an internet gateway is given as evidence."""
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
