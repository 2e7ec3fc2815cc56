"""EC2/VPC snapshots: VPCs (with their subnets, route tables, gateways, flow logs and endpoints),
VPC endpoints and security groups."""

from __future__ import annotations

from typing import Any, ClassVar

from cspm.resources.base import Resource, Snapshot


class Route(Snapshot):
    destination: str  # CIDR (IPv4 or IPv6) or prefix-list id
    target: str  # igw-..., nat-..., vpce-..., local, pcx-..., tgw-...


class RouteTable(Snapshot):
    id: str
    subnet_ids: tuple[str, ...] = ()
    main: bool = False
    routes: tuple[Route, ...] = ()


class Subnet(Snapshot):
    id: str
    cidr: str | None = None
    availability_zone: str | None = None
    map_public_ip_on_launch: bool = False


class FlowLog(Snapshot):
    id: str
    status: str | None = None  # ACTIVE
    traffic_type: str | None = None  # ACCEPT | REJECT | ALL
    destination_type: str | None = None  # cloud-watch-logs | s3 | kinesis-data-firehose


class VpcEndpoint(Resource):
    """A VPC endpoint (gateway or interface)."""

    resource_type: ClassVar[str] = "aws.ec2.vpc_endpoint"

    vpc_id: str
    service_name: str  # com.amazonaws.us-east-1.sagemaker.api
    endpoint_type: str  # Gateway | Interface | GatewayLoadBalancer
    state: str | None = None
    # The endpoint policy as parsed JSON; {} when the endpoint has none. None: unreadable.
    policy: dict[str, Any] | None = None
    private_dns_enabled: bool | None = None
    subnet_ids: tuple[str, ...] = ()
    route_table_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()

    @property
    def short_service(self) -> str:
        """``sagemaker.api`` for ``com.amazonaws.us-east-1.sagemaker.api``."""
        parts = self.service_name.split(".")
        return ".".join(parts[3:]) if len(parts) > 3 and parts[0] == "com" else self.service_name


class Vpc(Resource):
    """A VPC with what decides its network isolation. ``None`` fields could not be read."""

    resource_type: ClassVar[str] = "aws.ec2.vpc"

    vpc_id: str
    cidr: str | None = None
    is_default: bool = False
    subnets: tuple[Subnet, ...] | None = None
    route_tables: tuple[RouteTable, ...] | None = None
    internet_gateway_ids: tuple[str, ...] | None = None
    flow_logs: tuple[FlowLog, ...] | None = None
    endpoints: tuple[VpcEndpoint, ...] | None = None

    @property
    def subnet_ids(self) -> frozenset[str] | None:
        return None if self.subnets is None else frozenset(s.id for s in self.subnets)


class IpRule(Snapshot):
    """One ingress or egress permission, flattened to one source."""

    protocol: str  # "-1" = all, "tcp", "udp", "icmp", "icmpv6", or a number
    from_port: int | None = None
    to_port: int | None = None
    source: str  # a CIDR, a prefix-list id or a security-group id
    source_kind: str  # "ipv4" | "ipv6" | "prefix_list" | "security_group"
    description: str | None = None


class SecurityGroup(Resource):
    resource_type: ClassVar[str] = "aws.ec2.security_group"

    group_id: str
    vpc_id: str | None = None
    description: str | None = None
    is_default: bool = False
    ingress: tuple[IpRule, ...] = ()
    egress: tuple[IpRule, ...] = ()
