"""EC2/VPC checks: a table of (case, snapshot, expected status) per check."""

from __future__ import annotations

from typing import Any

import pytest

from cspm.checks.aws import ec2
from cspm.models import Result, Status
from cspm.resources.aws.ec2 import (
    FlowLog,
    IpRule,
    Route,
    RouteTable,
    SecurityGroup,
    Subnet,
    Vpc,
    VpcEndpoint,
)

ACCOUNT = "123456789012"
FULL_ACCESS = {
    "Version": "2008-10-17",
    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
}


def tcp(port: int, to: int | None = None, source: str = "0.0.0.0/0", kind: str = "ipv4") -> IpRule:
    return IpRule(protocol="tcp", from_port=port, to_port=port if to is None else to, source=source, source_kind=kind)


def all_traffic(source: str = "0.0.0.0/0", kind: str = "ipv4") -> IpRule:
    return IpRule(protocol="-1", source=source, source_kind=kind)


PRIVATE_SSH = tcp(22, source="10.0.0.0/8")
FROM_GROUP = all_traffic(source="sg-0aaa", kind="security_group")
NO_RANGE = IpRule(protocol="tcp", source="0.0.0.0/0", source_kind="ipv4")


def group(
    ingress: tuple[IpRule, ...] | None = (), egress: tuple[IpRule, ...] | None = (), **fields: Any
) -> SecurityGroup:
    base: dict[str, Any] = {
        "uid": f"arn:aws:ec2:us-east-1:{ACCOUNT}:security-group/sg-1",
        "name": "ml-training",
        "account": ACCOUNT,
        "region": "us-east-1",
        "group_id": "sg-1",
        "vpc_id": "vpc-1",
        "ingress": ingress,
        "egress": egress,
    }
    base.update(fields)
    return SecurityGroup(**base)


def vpc(**fields: Any) -> Vpc:
    """A readable VPC with one private subnet and an active ALL flow log; override per case."""
    base: dict[str, Any] = {
        "uid": f"arn:aws:ec2:us-east-1:{ACCOUNT}:vpc/vpc-1",
        "name": "ml",
        "account": ACCOUNT,
        "region": "us-east-1",
        "vpc_id": "vpc-1",
        "subnets": (Subnet(id="subnet-a"),),
        "route_tables": (RouteTable(id="rtb-main", main=True),),
        "internet_gateway_ids": (),
        "flow_logs": (FlowLog(id="fl-1", status="ACTIVE", traffic_type="ALL"),),
        "endpoints": (),
    }
    base.update(fields)
    return Vpc(**base)


def endpoint(policy: dict[str, Any] | None, **fields: Any) -> VpcEndpoint:
    base: dict[str, Any] = {
        "uid": f"arn:aws:ec2:us-east-1:{ACCOUNT}:vpc-endpoint/vpce-1",
        "name": "vpce-1",
        "account": ACCOUNT,
        "region": "us-east-1",
        "vpc_id": "vpc-1",
        "service_name": "com.amazonaws.us-east-1.s3",
        "endpoint_type": "Gateway",
        "policy": policy,
    }
    base.update(fields)
    return VpcEndpoint(**base)


def statements(*items: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(items)}


# ---------------------------------------------------------------------------------------------
# Security groups
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "g", "expected"),
    [
        ("no rules", group(), Status.PASS),
        ("ssh from a private range", group((PRIVATE_SSH,)), Status.PASS),
        ("all traffic from a security group", group((FROM_GROUP,)), Status.PASS),
        ("https from the internet", group((tcp(443),)), Status.PASS),
        ("range 20-21 does not cover 22", group((tcp(20, 21),)), Status.PASS),
        (
            "icmp from the internet",
            group((IpRule(protocol="icmp", from_port=-1, to_port=-1, source="0.0.0.0/0", source_kind="ipv4"),)),
            Status.PASS,
        ),
        ("ssh from 0.0.0.0/0", group((tcp(22),)), Status.FAIL),
        ("rdp from ::/0", group((tcp(3389, source="::/0", kind="ipv6"),)), Status.FAIL),
        (
            "udp 3389",
            group((IpRule(protocol="udp", from_port=3389, to_port=3389, source="0.0.0.0/0", source_kind="ipv4"),)),
            Status.FAIL,
        ),
        ("range 0-65535 covers 22", group((tcp(0, 65535),)), Status.FAIL),
        ("protocol -1", group((all_traffic(),)), Status.FAIL),
        ("an unattached group is evaluated too", group((tcp(22),), description="unused"), Status.FAIL),
        ("internet rule without ports", group((NO_RANGE,)), Status.ERROR),
        ("rules unreadable", group(None), Status.ERROR),
    ],
)
def test_security_group_restricts_admin_ports(case: str, g: SecurityGroup, expected: Status) -> None:
    result = ec2.security_group_restricts_admin_ports(g)
    assert result.status is expected, case
    if expected is Status.FAIL:
        assert result.evidence["ports"]
        assert all(r["source"] in ("0.0.0.0/0", "::/0") for r in result.evidence["rules"])


def test_admin_port_evidence_names_rule_and_ports() -> None:
    result = ec2.security_group_restricts_admin_ports(group((tcp(0, 65535), PRIVATE_SSH)))
    assert result.evidence == {
        "ports": [22, 3389],
        "rules": [
            {
                "protocol": "tcp",
                "from_port": 0,
                "to_port": 65535,
                "source": "0.0.0.0/0",
                "source_kind": "ipv4",
                "description": None,
                "ports": [22, 3389],
            }
        ],
    }


@pytest.mark.parametrize(
    ("case", "g", "expected"),
    [
        ("no rules", group(), Status.PASS),
        ("one port from the internet", group((tcp(443),)), Status.PASS),
        ("all traffic from a private range", group((all_traffic("10.0.0.0/8"),)), Status.PASS),
        ("all traffic from a security group", group((FROM_GROUP,)), Status.PASS),
        ("all traffic only outbound", group((), (all_traffic(),)), Status.PASS),
        ("protocol -1 from 0.0.0.0/0", group((all_traffic(),)), Status.FAIL),
        ("protocol -1 from ::/0", group((all_traffic("::/0", "ipv6"),)), Status.FAIL),
        ("tcp 0-65535 from the internet", group((tcp(0, 65535),)), Status.FAIL),
        ("internet rule without ports", group((NO_RANGE,)), Status.ERROR),
        ("rules unreadable", group(None), Status.ERROR),
    ],
)
def test_security_group_restricts_all_traffic_ingress(case: str, g: SecurityGroup, expected: Status) -> None:
    result = ec2.security_group_restricts_all_traffic_ingress(g)
    assert result.status is expected, case
    if expected is Status.FAIL:
        assert result.evidence["rules"]


@pytest.mark.parametrize(
    ("case", "g", "expected", "ports"),
    [
        ("no rules", group(), Status.PASS, None),
        ("https only", group((tcp(443), tcp(80))), Status.PASS, None),
        ("jupyter from a private range", group((tcp(8888, source="10.0.0.0/8"),)), Status.PASS, None),
        ("jupyter from the internet", group((tcp(8888),)), Status.FAIL, [8888]),
        ("mlflow from ::/0", group((tcp(5000, source="::/0", kind="ipv6"),)), Status.FAIL, [5000]),
        ("a range over elasticsearch", group((tcp(9000, 9999),)), Status.FAIL, [9200, 9300]),
        ("ftp 20-21", group((tcp(20, 21),)), Status.FAIL, [20, 21]),
        ("rules unreadable", group(None), Status.ERROR, None),
        ("internet rule without ports", group((NO_RANGE,)), Status.ERROR, None),
    ],
)
def test_security_group_restricts_high_risk_ports(
    case: str, g: SecurityGroup, expected: Status, ports: list[int] | None
) -> None:
    result = ec2.security_group_restricts_high_risk_ports(g)
    assert result.status is expected, case
    if ports is not None:
        assert result.evidence["ports"] == ports


@pytest.mark.parametrize(
    ("case", "g", "expected"),
    [
        ("default without rules", group(is_default=True, name="default"), Status.PASS),
        ("default with egress", group((), (all_traffic(),), is_default=True), Status.FAIL),
        ("default with self-referencing ingress", group((FROM_GROUP,), (), is_default=True), Status.FAIL),
        ("default, ingress unreadable", group(None, (), is_default=True), Status.ERROR),
        ("default, egress unreadable", group((), None, is_default=True), Status.ERROR),
        ("not a default group", group((tcp(22),), (all_traffic(),)), None),
    ],
)
def test_default_security_group_restricts_all_traffic(case: str, g: SecurityGroup, expected: Status | None) -> None:
    result = ec2.default_security_group_restricts_all_traffic(g)
    assert result.status is expected, case
    if expected is Status.FAIL:
        assert result.evidence["ingress"] or result.evidence["egress"]


# ---------------------------------------------------------------------------------------------
# VPCs
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "v", "expected"),
    [
        ("active ALL flow log", vpc(), Status.PASS),
        (
            "active REJECT flow log",
            vpc(flow_logs=(FlowLog(id="fl", status="ACTIVE", traffic_type="REJECT"),)),
            Status.PASS,
        ),
        ("no flow log", vpc(flow_logs=()), Status.FAIL),
        ("ACCEPT only", vpc(flow_logs=(FlowLog(id="fl", status="ACTIVE", traffic_type="ACCEPT"),)), Status.FAIL),
        ("not active", vpc(flow_logs=(FlowLog(id="fl", status="FAILED", traffic_type="ALL"),)), Status.FAIL),
        ("status unreadable", vpc(flow_logs=(FlowLog(id="fl", traffic_type="ALL"),)), Status.ERROR),
        ("flow logs unreadable", vpc(flow_logs=None), Status.ERROR),
    ],
)
def test_vpc_flow_logs_enabled(case: str, v: Vpc, expected: Status) -> None:
    assert ec2.vpc_flow_logs_enabled(v).status is expected, case


PUBLIC_TABLE = RouteTable(
    id="rtb-public",
    subnet_ids=("subnet-pub",),
    routes=(Route(destination="10.0.0.0/16", target="local"), Route(destination="0.0.0.0/0", target="igw-1")),
)


@pytest.mark.parametrize(
    ("case", "v", "expected"),
    [
        ("private subnets", vpc(), Status.PASS),
        ("no subnets", vpc(subnets=()), Status.PASS),
        (
            "public IPv4 on launch",
            vpc(subnets=(Subnet(id="subnet-a"), Subnet(id="subnet-pub", map_public_ip_on_launch=True))),
            Status.FAIL,
        ),
        ("IPv6 on creation", vpc(subnets=(Subnet(id="subnet-a", assign_ipv6_address_on_creation=True),)), Status.FAIL),
        ("subnets unreadable", vpc(subnets=None), Status.ERROR),
    ],
)
def test_vpc_subnets_do_not_assign_public_ips(case: str, v: Vpc, expected: Status) -> None:
    assert ec2.vpc_subnets_do_not_assign_public_ips(v).status is expected, case


def test_public_ip_evidence_says_whether_the_subnet_routes_to_an_internet_gateway() -> None:
    subnets = (
        Subnet(id="subnet-pub", map_public_ip_on_launch=True),
        Subnet(id="subnet-a", map_public_ip_on_launch=True),
    )
    tables = (RouteTable(id="rtb-main", main=True), PUBLIC_TABLE)
    result = ec2.vpc_subnets_do_not_assign_public_ips(vpc(subnets=subnets, route_tables=tables))
    assert {s["subnet_id"]: s["routes_to_internet_gateway"] for s in result.evidence["subnets"]} == {
        "subnet-pub": True,
        "subnet-a": False,
    }
    unknown_routes = ec2.vpc_subnets_do_not_assign_public_ips(vpc(subnets=subnets, route_tables=None))
    assert unknown_routes.status is Status.FAIL
    assert all(s["routes_to_internet_gateway"] is None for s in unknown_routes.evidence["subnets"])


# ---------------------------------------------------------------------------------------------
# VPC endpoints
# ---------------------------------------------------------------------------------------------

S3_READ_OWN = statements(
    {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::ml-data/*"}
)
ORG_ONLY = statements(
    {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "*",
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}},
    }
)
ONE_ACCOUNT = statements(
    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "*", "Resource": "*"}
)
AWS_STAR = statements({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "*:*", "Resource": "*"})
GUARDED = statements(
    {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
    {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "*",
        "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:PrincipalAccount": ACCOUNT}},
    },
)
INVALID_GRAMMAR = {"Statement": [{"Effect": "Permit", "Action": "*", "Resource": "*"}]}


@pytest.mark.parametrize(
    ("case", "e", "expected"),
    [
        ("specific actions and resources", endpoint(S3_READ_OWN), Status.PASS),
        ("full access for the organization only", endpoint(ORG_ONLY), Status.PASS),
        ("full access for one account", endpoint(ONE_ACCOUNT), Status.PASS),
        ("full access guarded by a Deny outside the account", endpoint(GUARDED), Status.PASS),
        ("the default full-access policy", endpoint(FULL_ACCESS), Status.FAIL),
        ("{'AWS': '*'} and '*:*'", endpoint(AWS_STAR), Status.FAIL),
        # "If an AWS service doesn't support endpoint policies, we allow full access to any endpoint
        # for the service" (vpc-endpoints-access.html): nothing to set, not assessed. A service that
        # supports them returns the default full-access policy, the FULL_ACCESS case above.
        ("no policy: the service supports none", endpoint({}, endpoint_type="Interface"), None),
        ("policy unreadable", endpoint(None), Status.ERROR),
        ("malformed policy", endpoint(None, policy_error="not valid JSON"), Status.ERROR),
        ("policy IAM would reject", endpoint(INVALID_GRAMMAR), Status.ERROR),
        ("gateway load balancer endpoint", endpoint(None, endpoint_type="GatewayLoadBalancer"), None),
    ],
)
def test_vpc_endpoint_policy_is_not_full_access(case: str, e: VpcEndpoint, expected: Status | None) -> None:
    result = ec2.vpc_endpoint_policy_is_not_full_access(e)
    assert result.status is expected, case


def test_full_access_evidence_is_the_statement() -> None:
    result: Result = ec2.vpc_endpoint_policy_is_not_full_access(endpoint(FULL_ACCESS))
    [stmt] = result.evidence["statements"]
    assert stmt["index"] == 0 and stmt["actions"] == ["*"] and stmt["resources"] == ["*"]
    assert stmt["conditions"] == []


# ---------------------------------------------------------------------------------------------
# Snapshot helpers the SageMaker checks rely on
# ---------------------------------------------------------------------------------------------


def test_public_subnets_follow_explicit_and_main_route_tables() -> None:
    subnets = (Subnet(id="subnet-pub"), Subnet(id="subnet-a"), Subnet(id="subnet-b"))
    v = vpc(subnets=subnets, route_tables=(RouteTable(id="rtb-main", main=True), PUBLIC_TABLE))
    assert v.public_subnet_ids == frozenset({"subnet-pub"})
    assert v.subnet_ids == frozenset({"subnet-pub", "subnet-a", "subnet-b"})
    public_main = RouteTable(id="rtb-main", main=True, routes=(Route(destination="::/0", target="igw-1"),))
    assert vpc(subnets=subnets, route_tables=(public_main,)).public_subnet_ids == frozenset(
        {"subnet-pub", "subnet-a", "subnet-b"}
    )
    blackhole = RouteTable(
        id="rtb-main", main=True, routes=(Route(destination="0.0.0.0/0", target="igw-1", state="blackhole"),)
    )
    assert vpc(route_tables=(blackhole,)).public_subnet_ids == frozenset()
    nat = RouteTable(id="rtb-main", main=True, routes=(Route(destination="0.0.0.0/0", target="nat-1"),))
    assert vpc(route_tables=(nat,)).public_subnet_ids == frozenset()
    assert vpc(route_tables=None).public_subnet_ids is None
    assert vpc(subnets=None).public_subnet_ids is None


def test_short_service() -> None:
    assert endpoint({}, service_name="com.amazonaws.eu-west-1.sagemaker.runtime").short_service == "sagemaker.runtime"
    assert endpoint({}, service_name="aws.sagemaker.us-east-1.notebook").short_service == (
        "aws.sagemaker.us-east-1.notebook"
    )
