"""EC2/VPC snapshots: VPCs (with their subnets, route tables, gateways, flow logs and endpoints),
VPC endpoints and security groups."""

from __future__ import annotations

from typing import Any, ClassVar

from cspm.resources.base import Resource, Snapshot


class Route(Snapshot):
    destination: str  # CIDR (IPv4 or IPv6) or prefix-list id
    target: str  # igw-..., nat-..., vpce-..., local, pcx-..., tgw-...
    state: str | None = None  # active | blackhole

    @property
    def is_default_route(self) -> bool:
        """A route for the whole internet (``0.0.0.0/0`` or ``::/0``)."""
        return self.destination in ("0.0.0.0/0", "::/0")


class RouteTable(Snapshot):
    id: str
    subnet_ids: tuple[str, ...] = ()
    main: bool = False
    routes: tuple[Route, ...] = ()

    @property
    def internet_gateway_routes(self) -> tuple[Route, ...]:
        """Active default routes to an internet gateway: what makes an associated subnet public."""
        return tuple(
            r for r in self.routes if r.is_default_route and r.target.startswith("igw-") and r.state != "blackhole"
        )


class Subnet(Snapshot):
    id: str
    cidr: str | None = None
    availability_zone: str | None = None
    map_public_ip_on_launch: bool = False
    assign_ipv6_address_on_creation: bool = False


class FlowLog(Snapshot):
    id: str
    status: str | None = None  # ACTIVE
    traffic_type: str | None = None  # ACCEPT | REJECT | ALL
    destination_type: str | None = None  # cloud-watch-logs | s3 | kinesis-data-firehose
    destination: str | None = None  # the log group name or the destination ARN


class VpcEndpoint(Resource):
    """A VPC endpoint (gateway or interface)."""

    resource_type: ClassVar[str] = "aws.ec2.vpc_endpoint"

    vpc_id: str
    service_name: str  # com.amazonaws.us-east-1.sagemaker.api
    endpoint_type: str  # Gateway | Interface | GatewayLoadBalancer
    state: str | None = None
    # The endpoint policy as parsed JSON; {} when the endpoint has none. None: unreadable.
    policy: dict[str, Any] | None = None
    policy_error: str | None = None  # why ``policy`` is None although the endpoint was listed
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
    internet_gateway_ids: tuple[str, ...] | None = None  # attached internet gateways
    flow_logs: tuple[FlowLog, ...] | None = None  # flow logs whose resource is this VPC
    endpoints: tuple[VpcEndpoint, ...] | None = None

    @property
    def subnet_ids(self) -> frozenset[str] | None:
        return None if self.subnets is None else frozenset(s.id for s in self.subnets)

    def route_table_of(self, subnet_id: str) -> RouteTable | None:
        """The route table a subnet uses: its explicit association, else the main table.

        ``None`` when the route tables could not be read or the VPC has no main table.
        """
        if self.route_tables is None:
            return None
        explicit = next((t for t in self.route_tables if subnet_id in t.subnet_ids), None)
        return explicit or next((t for t in self.route_tables if t.main), None)

    @property
    def public_subnet_ids(self) -> frozenset[str] | None:
        """Subnets whose route table sends the default route to an internet gateway.

        ``None`` when the subnets or the route tables could not be read.
        """
        if self.subnets is None or self.route_tables is None:
            return None
        public = set()
        for subnet in self.subnets:
            table = self.route_table_of(subnet.id)
            if table is not None and table.internet_gateway_routes:
                public.add(subnet.id)
        return frozenset(public)


class IpRule(Snapshot):
    """One ingress or egress permission, flattened to one source."""

    protocol: str  # "-1" = all, "tcp", "udp", "icmp", "icmpv6", or a number
    from_port: int | None = None
    to_port: int | None = None
    source: str  # a CIDR, a prefix-list id or a security-group id
    source_kind: str  # "ipv4" | "ipv6" | "prefix_list" | "security_group"
    description: str | None = None


class SecurityGroup(Resource):
    """A security group. ``ingress`` / ``egress`` are ``None`` when the rules could not be read."""

    resource_type: ClassVar[str] = "aws.ec2.security_group"

    group_id: str
    vpc_id: str | None = None
    description: str | None = None
    is_default: bool = False
    ingress: tuple[IpRule, ...] | None = None
    egress: tuple[IpRule, ...] | None = None
