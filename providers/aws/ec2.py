"""EC2/VPC: VPCs with their network layout, VPC endpoints and security groups (regional).

Requests per region: one paginated listing per resource kind, never one per VPC. DescribeVpcs,
DescribeSubnets, DescribeRouteTables, DescribeInternetGateways, DescribeFlowLogs,
DescribeVpcEndpoints and DescribeSecurityGroups: seven calls (plus one per extra page), whatever
the number of VPCs. When DescribeVpcs fails, the four listings that only feed VPC snapshots are
not made.

Failures: a failed DescribeVpcs, DescribeVpcEndpoints or DescribeSecurityGroups marks its type
incomplete in the region. A failed listing that feeds a VPC field leaves that field ``None`` on
every VPC (flow logs unreadable → ``flow_logs=None``). An endpoint policy that is not a JSON
object gives ``policy=None``, ``policy_error`` and a recorded error.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from cspm.providers.aws.context import AwsContext
from cspm.providers.base import ServiceSpec, json_document
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
from cspm.resources.base import Resource

PERMISSIONS = (
    "ec2:DescribeVpcs",
    "ec2:DescribeSubnets",
    "ec2:DescribeRouteTables",
    "ec2:DescribeInternetGateways",
    "ec2:DescribeFlowLogs",
    "ec2:DescribeVpcEndpoints",
    "ec2:DescribeSecurityGroups",
)

# Route target keys, in the order AWS documents them; the first one present is the target.
_ROUTE_TARGETS = (
    "GatewayId",
    "NatGatewayId",
    "TransitGatewayId",
    "VpcPeeringConnectionId",
    "EgressOnlyInternetGatewayId",
    "NetworkInterfaceId",
    "InstanceId",
    "LocalGatewayId",
    "CarrierGatewayId",
    "CoreNetworkArn",
)


@dataclass(frozen=True)
class _Listing:
    method: str
    result_key: str
    affects: tuple[type[Resource], ...] = ()


_VPCS = _Listing("describe_vpcs", "Vpcs", (Vpc,))
_ENDPOINTS = _Listing("describe_vpc_endpoints", "VpcEndpoints", (VpcEndpoint,))
_GROUPS = _Listing("describe_security_groups", "SecurityGroups", (SecurityGroup,))
# Listings that only feed fields of VPC snapshots: a failure leaves that field None.
_VPC_PARTS = (
    _Listing("describe_subnets", "Subnets"),
    _Listing("describe_route_tables", "RouteTables"),
    _Listing("describe_internet_gateways", "InternetGateways"),
    _Listing("describe_flow_logs", "FlowLogs"),
)


def collect(ctx: AwsContext) -> Iterator[Resource]:
    ec2 = ctx.client("ec2")

    def fetch(listing: _Listing) -> list[Any] | None:
        return ctx.paginate(ec2, listing.method, listing.result_key, affects=listing.affects)

    vpcs_raw, endpoints_raw, groups_raw = ctx.map(fetch, (_VPCS, _ENDPOINTS, _GROUPS))
    endpoints = None if endpoints_raw is None else [_endpoint(ctx, raw) for raw in endpoints_raw]
    if vpcs_raw is not None:
        subnets, tables, gateways, flow_logs = ctx.map(fetch, _VPC_PARTS)
        parts = _VpcParts.build(subnets, tables, gateways, flow_logs, endpoints)
        yield from (_vpc(ctx, raw, parts) for raw in vpcs_raw)
    yield from endpoints or ()
    yield from (_security_group(ctx, raw) for raw in groups_raw or ())


# ---------------------------------------------------------------------------------------------
# VPCs
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _VpcParts:
    """Everything a VPC snapshot needs, grouped by VPC id. ``None``: that listing failed."""

    subnets: dict[str, list[Subnet]] | None
    route_tables: dict[str, list[RouteTable]] | None
    gateways: dict[str, list[str]] | None
    flow_logs: dict[str, list[FlowLog]] | None
    endpoints: dict[str, list[VpcEndpoint]] | None

    @classmethod
    def build(
        cls,
        subnets: list[Any] | None,
        tables: list[Any] | None,
        gateways: list[Any] | None,
        flow_logs: list[Any] | None,
        endpoints: list[VpcEndpoint] | None,
    ) -> _VpcParts:
        return cls(
            subnets=None if subnets is None else _group((r["VpcId"], _subnet(r)) for r in subnets),
            route_tables=None if tables is None else _group((r["VpcId"], _route_table(r)) for r in tables),
            gateways=None if gateways is None else _group(_attached_gateways(gateways)),
            flow_logs=None if flow_logs is None else _group((r.get("ResourceId", ""), _flow_log(r)) for r in flow_logs),
            endpoints=None if endpoints is None else _group((e.vpc_id, e) for e in endpoints),
        )


def _group(pairs: Any) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = defaultdict(list)
    for key, value in pairs:
        grouped[key].append(value)
    return grouped


def _of(grouped: dict[str, list[Any]] | None, vpc_id: str) -> tuple[Any, ...] | None:
    return None if grouped is None else tuple(grouped.get(vpc_id, ()))


def _vpc(ctx: AwsContext, raw: dict[str, Any], parts: _VpcParts) -> Vpc:
    vpc_id = raw["VpcId"]
    tags = _tags(raw)
    return Vpc(
        uid=ctx.arn("ec2", f"vpc/{vpc_id}", ctx.region, raw.get("OwnerId")),
        name=tags.get("Name") or vpc_id,
        account=ctx.account,
        region=ctx.region,
        tags=tags,
        vpc_id=vpc_id,
        cidr=raw.get("CidrBlock"),
        is_default=bool(raw.get("IsDefault")),
        subnets=_of(parts.subnets, vpc_id),
        route_tables=_of(parts.route_tables, vpc_id),
        internet_gateway_ids=_of(parts.gateways, vpc_id),
        flow_logs=_of(parts.flow_logs, vpc_id),
        endpoints=_of(parts.endpoints, vpc_id),
    )


def _subnet(raw: dict[str, Any]) -> Subnet:
    return Subnet(
        id=raw["SubnetId"],
        cidr=raw.get("CidrBlock"),
        availability_zone=raw.get("AvailabilityZone"),
        map_public_ip_on_launch=bool(raw.get("MapPublicIpOnLaunch")),
        assign_ipv6_address_on_creation=bool(raw.get("AssignIpv6AddressOnCreation")),
    )


def _route_table(raw: dict[str, Any]) -> RouteTable:
    associations = raw.get("Associations", [])
    return RouteTable(
        id=raw["RouteTableId"],
        subnet_ids=tuple(a["SubnetId"] for a in associations if a.get("SubnetId")),
        main=any(a.get("Main") for a in associations),
        routes=tuple(route for route in map(_route, raw.get("Routes", [])) if route is not None),
    )


def _route(raw: dict[str, Any]) -> Route | None:
    destination = (
        raw.get("DestinationCidrBlock") or raw.get("DestinationIpv6CidrBlock") or raw.get("DestinationPrefixListId")
    )
    target = next((raw[key] for key in _ROUTE_TARGETS if raw.get(key)), None)
    if destination is None or target is None:
        return None
    return Route(destination=destination, target=target, state=raw.get("State"))


def _attached_gateways(raw: list[dict[str, Any]]) -> Iterator[tuple[str, str]]:
    for gateway in raw:
        for attachment in gateway.get("Attachments", []):
            if attachment.get("VpcId") and attachment.get("State") in ("available", "attached"):
                yield attachment["VpcId"], gateway["InternetGatewayId"]


def _flow_log(raw: dict[str, Any]) -> FlowLog:
    return FlowLog(
        id=raw["FlowLogId"],
        status=raw.get("FlowLogStatus"),
        traffic_type=raw.get("TrafficType"),
        destination_type=raw.get("LogDestinationType"),
        destination=raw.get("LogDestination") or raw.get("LogGroupName"),
    )


# ---------------------------------------------------------------------------------------------
# VPC endpoints
# ---------------------------------------------------------------------------------------------


def _endpoint(ctx: AwsContext, raw: dict[str, Any]) -> VpcEndpoint:
    endpoint_id = raw["VpcEndpointId"]
    tags = _tags(raw)
    policy, policy_error = _endpoint_policy(raw.get("PolicyDocument"))
    if policy_error is not None:
        ctx.error("DescribeVpcEndpoints", "MalformedPolicyDocument", f"{endpoint_id}: {policy_error}")
    return VpcEndpoint(
        uid=ctx.arn("ec2", f"vpc-endpoint/{endpoint_id}", ctx.region, raw.get("OwnerId")),
        name=tags.get("Name") or endpoint_id,
        account=ctx.account,
        region=ctx.region,
        tags=tags,
        vpc_id=raw.get("VpcId", ""),
        service_name=raw.get("ServiceName", ""),
        endpoint_type=raw.get("VpcEndpointType", ""),
        state=raw.get("State"),
        policy=policy,
        policy_error=policy_error,
        # Gateway endpoints have no private DNS names (AWS reports False; moto reports True).
        private_dns_enabled=False if raw.get("VpcEndpointType") == "Gateway" else raw.get("PrivateDnsEnabled"),
        subnet_ids=tuple(raw.get("SubnetIds", [])),
        route_table_ids=tuple(raw.get("RouteTableIds", [])),
        security_group_ids=tuple(g["GroupId"] for g in raw.get("Groups", []) if g.get("GroupId")),
    )


def _endpoint_policy(document: Any) -> tuple[dict[str, Any] | None, str | None]:
    """(parsed policy, error). No document: ``{}`` (the endpoint has no policy)."""
    if not document:
        return {}, None
    return json_document(document, "endpoint policy")


# ---------------------------------------------------------------------------------------------
# Security groups
# ---------------------------------------------------------------------------------------------


def _security_group(ctx: AwsContext, raw: dict[str, Any]) -> SecurityGroup:
    group_id = raw["GroupId"]
    return SecurityGroup(
        uid=raw.get("SecurityGroupArn") or ctx.arn("ec2", f"security-group/{group_id}", ctx.region, raw.get("OwnerId")),
        name=raw.get("GroupName") or group_id,
        account=ctx.account,
        region=ctx.region,
        tags=_tags(raw),
        group_id=group_id,
        vpc_id=raw.get("VpcId"),
        description=raw.get("Description"),
        is_default=raw.get("GroupName") == "default",
        ingress=_rules(raw.get("IpPermissions")),
        egress=_rules(raw.get("IpPermissionsEgress")),
    )


def _rules(permissions: list[dict[str, Any]] | None) -> tuple[IpRule, ...] | None:
    """One IpRule per (permission, source). ``None`` when the response lacks the permissions."""
    if permissions is None:
        return None
    return tuple(rule for permission in permissions for rule in _flatten(permission))


def _flatten(permission: dict[str, Any]) -> Iterator[IpRule]:
    common = {
        "protocol": str(permission.get("IpProtocol", "-1")),
        "from_port": permission.get("FromPort"),
        "to_port": permission.get("ToPort"),
    }
    sources = (
        ("IpRanges", "CidrIp", "ipv4"),
        ("Ipv6Ranges", "CidrIpv6", "ipv6"),
        ("PrefixListIds", "PrefixListId", "prefix_list"),
        ("UserIdGroupPairs", "GroupId", "security_group"),
    )
    for list_key, value_key, kind in sources:
        for item in permission.get(list_key, []):
            if item.get(value_key):
                yield IpRule(**common, source=item[value_key], source_kind=kind, description=item.get("Description"))


def _tags(raw: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in raw.get("Tags", []) if "Key" in t}


SERVICE = ServiceSpec(
    name="ec2",
    produces=(Vpc, VpcEndpoint, SecurityGroup),
    regional=True,
    permissions=PERMISSIONS,
    collect=collect,
)
