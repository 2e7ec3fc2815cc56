"""Shared network reasoning for the security group checks: which sources are the whole internet,
which ports a rule opens, and the offending rules as evidence data.

- A source is *the internet* when it is an IPv4 or IPv6 CIDR with prefix length 0
  (``0.0.0.0/0``, ``::/0``), as the Security Hub and CIS controls define it. Prefix lists and
  security groups are never the internet (a prefix list's entries are not read).
- Ports are opened by protocol ``-1`` (every protocol and port), or by ``tcp`` / ``udp`` (also
  spelled ``6`` / ``17``) when the port lies in ``from_port..to_port``. Other protocols (ICMP,
  GRE …) have no ports. A TCP/UDP rule without a port range cannot be judged: it is *undecided*.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from cspm.resources.aws.ec2 import IpRule

ALL_PROTOCOLS = "-1"
ADMIN_PORTS = (22, 3389)
# Security Hub EC2.19 (restricted-common-ports): 8888 is Jupyter, 5000 MLflow, 8080 most model servers.
HIGH_RISK_PORTS = (
    20, 21, 22, 23, 25, 110, 135, 143, 445, 1433, 1434, 3000, 3306, 3389,
    4333, 5000, 5432, 5500, 5601, 8080, 8088, 8888, 9200, 9300,
)  # fmt: skip
MAX_PORT = 65535
_PROTOCOL_NAMES = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", "all": ALL_PROTOCOLS}
_PORT_PROTOCOLS = ("tcp", "udp")


def is_internet_cidr(cidr: str) -> bool:
    """Whether a CIDR is the whole internet: ``0.0.0.0/0`` or ``::/0`` (any spelling)."""
    try:
        return ipaddress.ip_network(cidr.strip(), strict=False).prefixlen == 0
    except ValueError:
        return False


def is_internet_source(rule: IpRule) -> bool:
    """Whether a rule's source is the whole internet (only IPv4/IPv6 CIDR sources can be)."""
    return rule.source_kind in ("ipv4", "ipv6") and is_internet_cidr(rule.source)


def protocol(rule: IpRule) -> str:
    """The rule's protocol by name: ``tcp``, ``udp``, ``icmp``, ``icmpv6``, ``-1``, or the number."""
    value = rule.protocol.strip().lower()
    return _PROTOCOL_NAMES.get(value, value)


def opens_port(rule: IpRule, port: int) -> bool | None:
    """Whether the rule opens ``port``; ``None`` when a TCP/UDP rule has no port range."""
    proto = protocol(rule)
    if proto == ALL_PROTOCOLS:
        return True
    if proto not in _PORT_PROTOCOLS:
        return False
    if rule.from_port is None or rule.to_port is None:
        return None
    return rule.from_port <= port <= rule.to_port


def opens_all_traffic(rule: IpRule) -> bool | None:
    """Whether the rule opens every port: protocol ``-1``, or TCP/UDP ``0-65535`` (or ``1-65535``).

    ``None`` when a TCP/UDP rule has no port range.
    """
    proto = protocol(rule)
    if proto == ALL_PROTOCOLS:
        return True
    if proto not in _PORT_PROTOCOLS:
        return False
    if rule.from_port is None or rule.to_port is None:
        return None
    return rule.from_port <= 1 and rule.to_port >= MAX_PORT


def internet_rules(rules: Iterable[IpRule]) -> list[IpRule]:
    """The rules whose source is the whole internet."""
    return [r for r in rules if is_internet_source(r)]


def rule_evidence(rule: IpRule) -> dict[str, object]:
    """A rule as evidence data: protocol, ports and source."""
    return {
        "protocol": protocol(rule),
        "from_port": rule.from_port,
        "to_port": rule.to_port,
        "source": rule.source,
        "source_kind": rule.source_kind,
        "description": rule.description,
    }


@dataclass(frozen=True)
class PortExposure:
    """Internet-sourced rules that open some of the ports asked about.

    ``rules``: (rule, the ports it opens). ``undecided``: internet rules whose ports are unknown.
    """

    rules: tuple[tuple[IpRule, tuple[int, ...]], ...]
    undecided: tuple[IpRule, ...]

    @property
    def ports(self) -> list[int]:
        """Every port opened to the internet, sorted."""
        return sorted({p for _, ports in self.rules for p in ports})

    def evidence(self) -> dict[str, object]:
        """The exposed ports and the offending rules as data."""
        return {
            "ports": self.ports,
            "rules": [{**rule_evidence(r), "ports": list(ports)} for r, ports in self.rules],
        }


def internet_port_exposure(rules: Iterable[IpRule], ports: Iterable[int]) -> PortExposure:
    """Which of ``ports`` the internet-sourced ``rules`` open."""
    wanted = tuple(ports)
    exposed: list[tuple[IpRule, tuple[int, ...]]] = []
    undecided: list[IpRule] = []
    for rule in internet_rules(rules):
        verdicts = {port: opens_port(rule, port) for port in wanted}
        if None in verdicts.values():
            undecided.append(rule)
            continue
        opened = tuple(p for p, is_open in verdicts.items() if is_open)
        if opened:
            exposed.append((rule, opened))
    return PortExposure(rules=tuple(exposed), undecided=tuple(undecided))
