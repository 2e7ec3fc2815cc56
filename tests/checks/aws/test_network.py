"""The shared network reasoning of the security group checks: internet sources and port coverage."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cspm.checks.aws import _network as net
from cspm.resources.aws.ec2 import IpRule


def rule(protocol: str = "tcp", from_port: int | None = 22, to_port: int | None = 22, **fields: Any) -> IpRule:
    base: dict[str, Any] = {"source": "0.0.0.0/0", "source_kind": "ipv4"}
    base.update(fields)
    return IpRule(protocol=protocol, from_port=from_port, to_port=to_port, **base)


@pytest.mark.parametrize(
    ("cidr", "expected"),
    [
        ("0.0.0.0/0", True),
        ("::/0", True),
        ("0:0:0:0:0:0:0:0/0", True),
        ("10.0.0.0/0", True),  # host bits set, still the whole internet
        (" 0.0.0.0/0 ", True),
        ("0.0.0.0/1", False),
        ("10.0.0.0/8", False),
        ("203.0.113.7/32", False),
        ("2001:db8::/32", False),
        ("pl-12345678", False),
        ("not a cidr", False),
    ],
)
def test_is_internet_cidr(cidr: str, expected: bool) -> None:
    assert net.is_internet_cidr(cidr) is expected


@pytest.mark.parametrize(
    ("case", "r", "expected"),
    [
        ("ipv4 /0", rule(), True),
        ("ipv6 ::/0", rule(source="::/0", source_kind="ipv6"), True),
        ("ipv4 private", rule(source="10.0.0.0/8"), False),
        ("a security group is not public", rule(source="sg-0123", source_kind="security_group"), False),
        ("a prefix list is not public", rule(source="pl-0123", source_kind="prefix_list"), False),
    ],
)
def test_is_internet_source(case: str, r: IpRule, expected: bool) -> None:
    assert net.is_internet_source(r) is expected, case


@pytest.mark.parametrize(
    ("case", "r", "port", "expected"),
    [
        ("exact port", rule(), 22, True),
        ("other port", rule(from_port=80, to_port=80), 22, False),
        ("range 0-65535 covers 22", rule(from_port=0, to_port=65535), 22, True),
        ("range 20-21 does not cover 22", rule(from_port=20, to_port=21), 22, False),
        ("range 23-25 does not cover 22", rule(from_port=23, to_port=25), 22, False),
        ("range ends at the port", rule(from_port=20, to_port=22), 22, True),
        ("range starts at the port", rule(from_port=3389, to_port=4000), 3389, True),
        ("protocol -1 covers every port", rule("-1", None, None), 3389, True),
        ("protocol 'all'", rule("all", None, None), 22, True),
        ("udp covers", rule("udp", 3389, 3389), 3389, True),
        ("tcp by number", rule("6", 22, 22), 22, True),
        ("udp by number", rule("17", 0, 65535), 22, True),
        ("icmp has no ports", rule("icmp", -1, -1), 22, False),
        ("icmp type 22 is not port 22", rule("icmp", 22, 22), 22, False),
        ("icmpv6 by number", rule("58", -1, -1), 22, False),
        ("another protocol number", rule("50", None, None), 22, False),
        ("tcp without a range is undecided", rule("tcp", None, None), 22, None),
    ],
)
def test_opens_port(case: str, r: IpRule, port: int, expected: bool | None) -> None:
    assert net.opens_port(r, port) is expected, case


@given(
    low=st.integers(0, 65535),
    high=st.integers(0, 65535),
    port=st.integers(0, 65535),
    proto=st.sampled_from(["tcp", "udp", "6", "17"]),
)
def test_opens_port_is_range_membership(low: int, high: int, port: int, proto: str) -> None:
    assert net.opens_port(rule(proto, low, high), port) is (low <= port <= high)


@pytest.mark.parametrize(
    ("case", "r", "expected"),
    [
        ("protocol -1", rule("-1", None, None), True),
        ("tcp 0-65535", rule("tcp", 0, 65535), True),
        ("tcp 1-65535", rule("tcp", 1, 65535), True),
        ("udp 0-65535", rule("udp", 0, 65535), True),
        ("tcp 0-65534", rule("tcp", 0, 65534), False),
        ("tcp 1024-65535", rule("tcp", 1024, 65535), False),
        ("tcp 22", rule(), False),
        ("icmp all types", rule("icmp", -1, -1), False),
        ("tcp without a range", rule("tcp", None, None), None),
    ],
)
def test_opens_all_traffic(case: str, r: IpRule, expected: bool | None) -> None:
    assert net.opens_all_traffic(r) is expected, case


def test_port_exposure_lists_offending_rules_and_ports() -> None:
    rules = [
        rule(from_port=20, to_port=23),
        rule("-1", None, None, source="::/0", source_kind="ipv6"),
        rule(from_port=22, to_port=22, source="10.0.0.0/8"),  # private source: ignored
        rule("icmp", -1, -1),  # no ports: ignored
        rule(from_port=443, to_port=443),  # internet, but not a port asked about
    ]
    exposure = net.internet_port_exposure(rules, net.ADMIN_PORTS)
    assert exposure.ports == [22, 3389]
    assert [(r.source, ports) for r, ports in exposure.rules] == [("0.0.0.0/0", (22,)), ("::/0", (22, 3389))]
    assert exposure.undecided == ()
    evidence = exposure.evidence()
    assert evidence["ports"] == [22, 3389]
    assert evidence["rules"] == [
        {
            "protocol": "tcp",
            "from_port": 20,
            "to_port": 23,
            "source": "0.0.0.0/0",
            "source_kind": "ipv4",
            "description": None,
            "ports": [22],
        },
        {
            "protocol": "-1",
            "from_port": None,
            "to_port": None,
            "source": "::/0",
            "source_kind": "ipv6",
            "description": None,
            "ports": [22, 3389],
        },
    ]


def test_port_exposure_keeps_undecided_rules_apart() -> None:
    exposure = net.internet_port_exposure([rule("tcp", None, None)], net.ADMIN_PORTS)
    assert exposure.rules == () and exposure.ports == []
    assert len(exposure.undecided) == 1


def test_high_risk_ports_are_security_hub_ec2_19() -> None:
    assert net.HIGH_RISK_PORTS == (
        20, 21, 22, 23, 25, 110, 135, 143, 445, 1433, 1434, 3000, 3306, 3389,
        4333, 5000, 5432, 5500, 5601, 8080, 8088, 8888, 9200, 9300,
    )  # fmt: skip
