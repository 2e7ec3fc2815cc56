"""Private paths of a Google Cloud project: VPC Service Controls, subnets, Private Service Connect.

- :class:`VpcScProject`: a scanned project as VPC Service Controls sees it (Access Context
  Manager v1): its number and organization (from Resource Manager), and the service perimeters of
  the organization's access policies. One per scanned project, judged per project: perimeters
  are organization-wide and shared by many projects, the question is whether *this* project is
  inside one. ``perimeters`` is ``None`` when they could not be listed (``unreadable`` says
  why and names the permission), never an empty tuple.
- :class:`GcpSubnetwork`: a VPC subnet (Compute Engine ``subnetworks.aggregatedList``).
- :class:`GcpForwardingRule`: a forwarding rule, regional or global
  (``forwardingRules.aggregatedList``); Private Service Connect endpoints are forwarding rules
  whose target is a service attachment or a Google APIs bundle (``all-apis``, ``vpc-sc``).
"""

from __future__ import annotations

from typing import ClassVar, Final

from cspm.resources.base import Resource, Snapshot

REGULAR: Final = "PERIMETER_TYPE_REGULAR"
BRIDGE: Final = "PERIMETER_TYPE_BRIDGE"
GOOGLE_API_BUNDLES: Final = frozenset({"all-apis", "vpc-sc"})


class EgressRule(Snapshot):
    """One egress policy of a perimeter's enforced configuration (``status.egressPolicies``)."""

    identity_type: str | None = None  # egressFrom.identityType: ANY_IDENTITY, ANY_USER_ACCOUNT, ANY_SERVICE_ACCOUNT
    identities: tuple[str, ...] = ()  # egressFrom.identities
    resources: tuple[str, ...] = ()  # egressTo.resources: projects/NUMBER, or "*" (any project)
    services: tuple[str, ...] = ()  # egressTo.operations[].serviceName ("*": every service)


class ServicePerimeter(Snapshot):
    """One ServicePerimeter of an access policy."""

    name: str  # accessPolicies/POLICY/servicePerimeters/NAME
    title: str | None = None
    perimeter_type: str = REGULAR  # perimeterType; omitted by the API for regular perimeters
    resources: tuple[str, ...] = ()  # status.resources: projects/NUMBER (enforced)
    restricted_services: tuple[str, ...] = ()  # status.restrictedServices (enforced)
    use_explicit_dry_run_spec: bool = False  # useExplicitDryRunSpec: ``spec`` is a dry-run config
    dry_run_resources: tuple[str, ...] = ()  # spec.resources (dry run: logged, not enforced)
    dry_run_restricted_services: tuple[str, ...] = ()  # spec.restrictedServices
    egress_rules: tuple[EgressRule, ...] = ()  # status.egressPolicies

    @property
    def is_bridge(self) -> bool:
        return self.perimeter_type == BRIDGE

    @property
    def dry_run(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(resources, restricted services) of the dry-run configuration: ``spec`` when
        ``useExplicitDryRunSpec``, otherwise the enforced ``status`` (Google: "the dry-run
        configuration is the same as the enforced one" when no explicit spec is used)."""
        if self.use_explicit_dry_run_spec:
            return self.dry_run_resources, self.dry_run_restricted_services
        return self.resources, self.restricted_services


class VpcScProject(Resource):
    """A scanned project and the VPC Service Controls perimeters of its organization. ``uid`` is
    ``//cloudresourcemanager.googleapis.com/projects/P#vpc-service-controls``."""

    resource_type: ClassVar[str] = "gcp.accesscontextmanager.project"

    project_number: str | None = None  # None: projects.get failed
    organization: str | None = None  # organizations/ID; None: not found (see ``unreadable``/``no_organization``)
    no_organization: bool = False  # the project has no organization ancestor (so no perimeter can hold it)
    perimeters: tuple[ServicePerimeter, ...] | None = None  # None: not listed (``unreadable`` says why)
    unreadable: str | None = None


class GcpSubnetwork(Resource):
    """A subnet. ``uid`` is its selfLink-derived name ``projects/P/regions/R/subnetworks/NAME``."""

    resource_type: ClassVar[str] = "gcp.compute.subnetwork"

    network: str  # projects/P/global/networks/NAME (from the network URL)
    ip_cidr_range: str | None = None
    purpose: str | None = None  # PRIVATE (None: the API's default, PRIVATE), PRIVATE_SERVICE_CONNECT, ...
    private_ip_google_access: bool | None = None  # privateIpGoogleAccess; None: absent from the answer
    flow_logs: bool = False  # logConfig.enable (or the older enableFlowLogs); absent: off

    @property
    def network_name(self) -> str:
        return self.network.rsplit("/", 1)[-1]

    @property
    def network_project(self) -> str:
        parts = self.network.split("/")
        return parts[1] if len(parts) > 1 else ""

    @property
    def carries_workloads(self) -> bool:
        """Only PRIVATE subnets hold VMs and jobs (proxy-only and PSC subnets do not)."""
        return self.purpose in (None, "PRIVATE")


class GcpForwardingRule(Resource):
    """A forwarding rule (``region`` is "global" for a global one). ``uid`` is
    ``projects/P/regions/R/forwardingRules/NAME`` or ``projects/P/global/forwardingRules/NAME``."""

    resource_type: ClassVar[str] = "gcp.compute.forwarding_rule"

    network: str | None = None  # projects/P/global/networks/NAME
    ip_address: str | None = None
    target: str | None = None  # a target URL, a service attachment, or all-apis / vpc-sc
    backend_service: str | None = None
    load_balancing_scheme: str | None = None
    psc_connection_status: str | None = None  # ACCEPTED, PENDING, REJECTED, CLOSED, ...

    @property
    def google_apis_bundle(self) -> str | None:
        """``all-apis`` or ``vpc-sc`` for a Private Service Connect endpoint for Google APIs."""
        return self.target if self.target in GOOGLE_API_BUNDLES else None

    @property
    def service_attachment(self) -> str | None:
        """The published service of a Private Service Connect endpoint, when it targets one."""
        return self.target if self.target and "/serviceAttachments/" in self.target else None
