"""The EC2/VPC collector against moto (in-process mock_aws): snapshots, errors and request counts."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from moto import mock_aws

from cspm.engine import evaluate
from cspm.models import Status
from cspm.registry import load_checks
from cspm.resources.aws.ec2 import SecurityGroup, Vpc, VpcEndpoint
from support.aws import ACCOUNT, collect_aws

REGIONS = ("us-east-1", "eu-west-1")
LISTINGS = (
    "DescribeVpcs",
    "DescribeSubnets",
    "DescribeRouteTables",
    "DescribeInternetGateways",
    "DescribeFlowLogs",
    "DescribeVpcEndpoints",
    "DescribeSecurityGroups",
)
SAGEMAKER_ONLY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "sagemaker:InvokeEndpoint",
            "Resource": f"arn:aws:sagemaker:eu-west-1:{ACCOUNT}:endpoint/*",
        }
    ],
}


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


def _by_vpc_id(inventory: Any, vpc_id: str) -> Vpc:
    [vpc] = [v for v in inventory.of_type(Vpc) if v.vpc_id == vpc_id]
    return vpc


def _by_id(inventory: Any, rtype: type[Any], attr: str, value: str) -> Any:
    [item] = [r for r in inventory.of_type(rtype) if getattr(r, attr) == value]
    return item


def _ml_vpc(region: str, name: str = "ml") -> dict[str, str]:
    """A VPC with a public and a private subnet, an IGW route, an S3 gateway endpoint, SageMaker
    interface endpoints, an open security group and a flow log to S3. Returns the ids."""
    ec2 = boto3.client("ec2", region_name=region)
    vpc = ec2.create_vpc(
        CidrBlock="10.0.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": name}]}]
    )["Vpc"]["VpcId"]
    public = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    ec2.modify_subnet_attribute(SubnetId=public, MapPublicIpOnLaunch={"Value": True})
    private = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.2.0/24")["Subnet"]["SubnetId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    public_rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=public_rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=public_rt, SubnetId=public)
    private_rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=private_rt, SubnetId=private)
    s3_endpoint = ec2.create_vpc_endpoint(
        VpcId=vpc,
        ServiceName=f"com.amazonaws.{region}.s3",
        VpcEndpointType="Gateway",
        RouteTableIds=[private_rt],
    )["VpcEndpoint"]["VpcEndpointId"]
    group = ec2.create_security_group(GroupName=f"{name}-open", Description="notebooks", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
            {
                "IpProtocol": "tcp",
                "FromPort": 8888,
                "ToPort": 8888,
                "Ipv6Ranges": [{"CidrIpv6": "::/0", "Description": "jupyter"}],
            },
            {
                "IpProtocol": "-1",
                "UserIdGroupPairs": [{"GroupId": group}],
                "PrefixListIds": [{"PrefixListId": "pl-0123456789abcdef0"}],
            },
        ],
    )
    api = ec2.create_vpc_endpoint(
        VpcId=vpc,
        ServiceName=f"com.amazonaws.{region}.sagemaker.api",
        VpcEndpointType="Interface",
        SubnetIds=[private],
        SecurityGroupIds=[group],
        PrivateDnsEnabled=False,
    )["VpcEndpoint"]["VpcEndpointId"]
    runtime = ec2.create_vpc_endpoint(
        VpcId=vpc,
        ServiceName=f"com.amazonaws.{region}.sagemaker.runtime",
        VpcEndpointType="Interface",
        SubnetIds=[private],
        SecurityGroupIds=[group],
        PrivateDnsEnabled=True,
        PolicyDocument=json.dumps(SAGEMAKER_ONLY),
    )["VpcEndpoint"]["VpcEndpointId"]
    bucket = f"flow-logs-{region}-{name}"
    s3 = boto3.client("s3", region_name=region)
    if region == "us-east-1":
        s3.create_bucket(Bucket=bucket)
    else:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    [flow_log] = ec2.create_flow_logs(
        ResourceIds=[vpc],
        ResourceType="VPC",
        TrafficType="ALL",
        LogDestinationType="s3",
        LogDestination=f"arn:aws:s3:::{bucket}",
    )["FlowLogIds"]
    return {
        "vpc": vpc,
        "public": public,
        "private": private,
        "igw": igw,
        "public_rt": public_rt,
        "private_rt": private_rt,
        "s3": s3_endpoint,
        "api": api,
        "runtime": runtime,
        "group": group,
        "flow_log": flow_log,
        "bucket": bucket,
    }


def _deny(monkeypatch: pytest.MonkeyPatch, operation: str) -> None:
    original = BaseClient._make_api_call

    def denied(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        if operation_name == operation:
            raise ClientError({"Error": {"Code": "UnauthorizedOperation", "Message": "denied"}}, operation_name)
        return original(self, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", denied)


def _count_ec2_calls(monkeypatch: pytest.MonkeyPatch) -> Counter[tuple[str, str]]:
    calls: Counter[tuple[str, str]] = Counter()
    original = BaseClient._make_api_call

    def counting(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        if self.meta.service_model.service_name == "ec2" and operation_name in LISTINGS:
            calls[(self.meta.region_name, operation_name)] += 1
        return original(self, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", counting)
    return calls


def test_vpcs_are_assembled_from_one_listing_per_kind(aws: None) -> None:
    ids = {region: _ml_vpc(region) for region in REGIONS}

    inventory = collect_aws(Vpc, regions=REGIONS)

    assert not inventory.errors and inventory.complete
    for region, made in ids.items():
        vpc = _by_vpc_id(inventory, made["vpc"])
        assert vpc.region == region and vpc.name == "ml" and vpc.tags == {"Name": "ml"}
        assert vpc.uid == f"arn:aws:ec2:{region}:{ACCOUNT}:vpc/{made['vpc']}"
        assert vpc.cidr == "10.0.0.0/16" and not vpc.is_default
        assert vpc.subnet_ids == {made["public"], made["private"]}
        assert vpc.subnets is not None
        assert {s.id: s.map_public_ip_on_launch for s in vpc.subnets} == {made["public"]: True, made["private"]: False}
        assert vpc.internet_gateway_ids == (made["igw"],)
        assert vpc.public_subnet_ids == {made["public"]}
        public_rt = vpc.route_table_of(made["public"])
        assert public_rt is not None and public_rt.id == made["public_rt"]
        assert any(r.destination == "0.0.0.0/0" and r.target == made["igw"] for r in public_rt.routes)
        private_rt = vpc.route_table_of(made["private"])
        assert private_rt is not None and private_rt.id == made["private_rt"]
        assert any(r.target == made["s3"] and r.destination.startswith("pl-") for r in private_rt.routes)
        assert vpc.route_tables is not None and sum(t.main for t in vpc.route_tables) == 1
        assert vpc.flow_logs is not None
        [flow_log] = vpc.flow_logs
        assert flow_log.id == made["flow_log"] and flow_log.status == "ACTIVE" and flow_log.traffic_type == "ALL"
        assert flow_log.destination_type == "s3" and flow_log.destination == f"arn:aws:s3:::{made['bucket']}"
        assert vpc.endpoints is not None
        assert {e.short_service: e.vpc_id for e in vpc.endpoints} == {
            "s3": made["vpc"],
            "sagemaker.api": made["vpc"],
            "sagemaker.runtime": made["vpc"],
        }
    defaults = [v for v in inventory.of_type(Vpc) if v.is_default]
    assert {v.region for v in defaults} == set(REGIONS)


def test_endpoints_keep_type_policy_dns_and_placement(aws: None) -> None:
    made = _ml_vpc("eu-west-1")

    inventory = collect_aws(VpcEndpoint, regions=("eu-west-1",))

    assert not inventory.errors
    s3: VpcEndpoint = _by_id(inventory, VpcEndpoint, "name", made["s3"])
    assert s3.region == "eu-west-1" and s3.endpoint_type == "Gateway" and s3.short_service == "s3"
    assert s3.uid == f"arn:aws:ec2:eu-west-1:{ACCOUNT}:vpc-endpoint/{made['s3']}"
    assert s3.route_table_ids == (made["private_rt"],) and s3.subnet_ids == ()
    assert s3.private_dns_enabled is False  # moto says True for gateways; AWS says False
    assert s3.policy is not None and s3.policy["Statement"][0]["Action"] == "*"  # the default full access

    api: VpcEndpoint = _by_id(inventory, VpcEndpoint, "name", made["api"])
    assert api.endpoint_type == "Interface" and api.service_name == "com.amazonaws.eu-west-1.sagemaker.api"
    assert api.private_dns_enabled is False
    assert api.subnet_ids == (made["private"],) and api.security_group_ids == (made["group"],)

    runtime: VpcEndpoint = _by_id(inventory, VpcEndpoint, "name", made["runtime"])
    assert runtime.short_service == "sagemaker.runtime" and runtime.private_dns_enabled is True
    assert runtime.policy == SAGEMAKER_ONLY and runtime.policy_error is None


def test_security_groups_are_flattened_to_one_rule_per_source(aws: None) -> None:
    made = _ml_vpc("us-east-1")

    inventory = collect_aws(SecurityGroup, regions=("us-east-1",))

    assert not inventory.errors
    group: SecurityGroup = _by_id(inventory, SecurityGroup, "group_id", made["group"])
    assert group.name == "ml-open" and group.vpc_id == made["vpc"] and not group.is_default
    assert group.uid == f"arn:aws:ec2:us-east-1:{ACCOUNT}:security-group/{made['group']}"
    assert group.ingress is not None
    assert {(r.protocol, r.from_port, r.to_port, r.source, r.source_kind, r.description) for r in group.ingress} == {
        ("tcp", 22, 22, "0.0.0.0/0", "ipv4", None),
        ("tcp", 8888, 8888, "::/0", "ipv6", "jupyter"),
        ("-1", None, None, made["group"], "security_group", None),
        ("-1", None, None, "pl-0123456789abcdef0", "prefix_list", None),
    }
    assert group.egress is not None and [(r.protocol, r.source) for r in group.egress] == [("-1", "0.0.0.0/0")]
    default = [g for g in inventory.of_type(SecurityGroup) if g.vpc_id == made["vpc"] and g.is_default]
    assert len(default) == 1 and default[0].name == "default"
    assert {g.vpc_id for g in inventory.of_type(SecurityGroup) if g.is_default} == {
        v["VpcId"] for v in boto3.client("ec2", region_name="us-east-1").describe_vpcs()["Vpcs"]
    }


def test_ec2_checks_on_collected_snapshots(aws: None) -> None:
    made = _ml_vpc("us-east-1")
    inventory = collect_aws(Vpc, VpcEndpoint, SecurityGroup, regions=("us-east-1",))
    specs = [s for s in load_checks(["aws"]) if s.service == "ec2"]
    findings = evaluate(specs, inventory, datetime(2026, 1, 1, tzinfo=UTC))
    status = {(f.check_id.rsplit(".", 1)[1], f.resource_uid.rsplit("/", 1)[1]): f.status for f in findings}

    assert status[("security_group_restricts_admin_ports", made["group"])] is Status.FAIL
    assert status[("security_group_restricts_high_risk_ports", made["group"])] is Status.FAIL
    assert status[("security_group_restricts_all_traffic_ingress", made["group"])] is Status.PASS
    assert status[("vpc_flow_logs_enabled", made["vpc"])] is Status.PASS
    assert status[("vpc_subnets_do_not_assign_public_ips", made["vpc"])] is Status.FAIL
    assert status[("vpc_endpoint_policy_is_not_full_access", made["s3"])] is Status.FAIL
    assert status[("vpc_endpoint_policy_is_not_full_access", made["runtime"])] is Status.PASS
    [default_group] = [g for g in inventory.of_type(SecurityGroup) if g.vpc_id == made["vpc"] and g.is_default]
    assert status[("default_security_group_restricts_all_traffic", default_group.group_id)] is Status.FAIL


def test_denied_flow_logs_leave_the_field_unknown(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    made = _ml_vpc("us-east-1")
    _deny(monkeypatch, "DescribeFlowLogs")

    inventory = collect_aws(Vpc, regions=REGIONS)

    vpc = _by_vpc_id(inventory, made["vpc"])
    assert vpc.flow_logs is None
    assert vpc.subnets is not None and vpc.endpoints is not None  # the other listings are still read
    assert sorted((e.region, e.operation, e.code, e.service) for e in inventory.errors) == [
        (region, "DescribeFlowLogs", "UnauthorizedOperation", "ec2") for region in sorted(REGIONS)
    ]
    assert not inventory.incomplete_scopes(Vpc)


def test_denied_security_groups_mark_the_type_incomplete(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    _ml_vpc("us-east-1")
    _deny(monkeypatch, "DescribeSecurityGroups")

    inventory = collect_aws(Vpc, VpcEndpoint, SecurityGroup, regions=REGIONS)

    assert inventory.of_type(SecurityGroup) == []
    assert sorted(inventory.incomplete_scopes(SecurityGroup)) == [
        (ACCOUNT, region, "DescribeSecurityGroups failed: UnauthorizedOperation") for region in sorted(REGIONS)
    ]
    assert inventory.of_type(Vpc) and inventory.of_type(VpcEndpoint)  # the rest is still collected
    assert not inventory.incomplete_scopes(Vpc)
    group_checks = [s for s in load_checks(["aws"]) if s.resource_type is SecurityGroup]
    findings = evaluate(group_checks, inventory, datetime(2026, 1, 1, tzinfo=UTC))
    assert len(findings) == len(group_checks) * len(REGIONS)
    assert all(f.status is Status.ERROR for f in findings)


@pytest.mark.parametrize(("operation", "rtype"), [("DescribeVpcs", Vpc), ("DescribeVpcEndpoints", VpcEndpoint)])
def test_denied_listing_marks_its_type_incomplete(
    aws: None, monkeypatch: pytest.MonkeyPatch, operation: str, rtype: type[Any]
) -> None:
    _ml_vpc("us-east-1")
    _deny(monkeypatch, operation)

    inventory = collect_aws(Vpc, VpcEndpoint, SecurityGroup, regions=("us-east-1",))

    assert inventory.of_type(rtype) == []
    assert [e.operation for e in inventory.errors] == [operation]  # nothing else is asked or lost
    assert inventory.incomplete_scopes(rtype) == [(ACCOUNT, "us-east-1", f"{operation} failed: UnauthorizedOperation")]
    assert inventory.of_type(SecurityGroup)
    if rtype is VpcEndpoint:
        assert all(v.endpoints is None for v in inventory.of_type(Vpc))


def test_a_malformed_endpoint_policy_is_recorded(aws: None) -> None:
    ec2 = boto3.client("ec2", region_name="us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    endpoint = ec2.create_vpc_endpoint(
        VpcId=vpc, ServiceName="com.amazonaws.us-east-1.s3", VpcEndpointType="Gateway", PolicyDocument="not json"
    )["VpcEndpoint"]["VpcEndpointId"]

    inventory = collect_aws(VpcEndpoint, regions=("us-east-1",))

    snapshot: VpcEndpoint = _by_id(inventory, VpcEndpoint, "name", endpoint)
    assert snapshot.policy is None and snapshot.policy_error is not None
    assert [(e.operation, e.code) for e in inventory.errors] == [("DescribeVpcEndpoints", "MalformedPolicyDocument")]
    assert endpoint in inventory.errors[0].message
    assert not inventory.incomplete_scopes(VpcEndpoint)


def test_request_count_does_not_grow_with_the_number_of_vpcs(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    for region in REGIONS:
        _ml_vpc(region, "first")
    calls = _count_ec2_calls(monkeypatch)
    collect_aws(Vpc, VpcEndpoint, SecurityGroup, regions=REGIONS)
    with_one = dict(calls)

    for region in REGIONS:
        for n in range(4):
            _ml_vpc(region, f"more-{n}")
    calls.clear()
    inventory = collect_aws(Vpc, VpcEndpoint, SecurityGroup, regions=REGIONS)

    assert len([v for v in inventory.of_type(Vpc) if not v.is_default]) == 5 * len(REGIONS)
    expected = {(region, op): 1 for region in REGIONS for op in LISTINGS}
    assert with_one == expected
    assert dict(calls) == expected
