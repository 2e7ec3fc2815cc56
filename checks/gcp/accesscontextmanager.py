"""VPC Service Controls checks: is each scanned project inside an enforced service perimeter that
restricts the Vertex AI and Cloud Storage APIs.

Every scanned project is judged, not only those with Vertex AI resources: a project without
Vertex resources today (or whose Vertex API is disabled, or unreadable) still holds the data
and models in Cloud Storage that a perimeter protects, and the scanner cannot tell from
listings alone which projects "run AI". Mute the finding for projects that hold nothing of value.
"""

from __future__ import annotations

from cspm.models import Baseline, Result, Severity, failed, not_applicable, passed, unknown
from cspm.registry import check
from cspm.resources.gcp.network import EgressRule, VpcScProject

VPC_SC = "https://cloud.google.com/vpc-service-controls/docs"
SERVICE_PERIMETERS = f"{VPC_SC}/service-perimeters"
DRY_RUN = f"{VPC_SC}/dry-run-mode"
SUPPORTED_PRODUCTS = f"{VPC_SC}/supported-products"
PERIMETER_REST = (
    "https://cloud.google.com/access-context-manager/docs/reference/rest/v1/accessPolicies.servicePerimeters"
)

AI_SERVICES = ("aiplatform.googleapis.com", "storage.googleapis.com")


@check(
    title="Project is inside an enforced VPC Service Controls perimeter restricting Vertex AI and Cloud Storage",
    severity=Severity.HIGH,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Add the project (projects/NUMBER) to the enforced configuration (status) of a regular "
    "service perimeter whose restricted services include aiplatform.googleapis.com and "
    "storage.googleapis.com; promote a dry-run configuration once its logs show no legitimate "
    "access would be denied.",
    compliance={"cis-gcp-5.0": ["3.8"], "nist-800-53-r5": ["SC-7", "AC-4"]},
    attack=["AML.T0025", "AML.T0024"],
    references=(SERVICE_PERIMETERS, DRY_RUN, SUPPORTED_PRODUCTS, PERIMETER_REST),
    fail_title="Project is not inside an enforced VPC Service Controls perimeter restricting Vertex AI and "
    "Cloud Storage",
)
def project_in_enforced_service_perimeter(project: VpcScProject) -> Result:
    """Without a service perimeter, a stolen credential (or code running with one) can copy
    training data and models out of the project's Cloud Storage buckets and Vertex AI to any
    project or network on the internet: IAM decides who, a perimeter decides from where and to
    where. Only a *regular* perimeter's enforced configuration (``status``) counts: a bridge
    restricts nothing, and a dry-run configuration (``spec`` with ``useExplicitDryRunSpec``)
    only logs what would be denied. Both aiplatform.googleapis.com and storage.googleapis.com
    must be restricted services. Perimeters that cannot be listed (commonly a 403 on
    accesscontextmanager.policies.list, granted on the organization) are ERROR."""
    if project.no_organization:
        return failed(
            "The project has no organization; VPC Service Controls perimeters exist only in organizations.",
            evidence={"project_number": project.project_number},
        )
    if project.perimeters is None or project.project_number is None:
        return unknown(f"Could not read the project's service perimeters: {project.unreadable}.")
    member = f"projects/{project.project_number}"
    regular = [p for p in project.perimeters if not p.is_bridge]
    enforced = [p for p in regular if member in p.resources]
    evidence: dict[str, object] = {"organization": project.organization, "project": member}
    for perimeter in enforced:
        missing = [s for s in AI_SERVICES if s not in perimeter.restricted_services]
        evidence |= {"perimeter": perimeter.name, "restricted_services": list(perimeter.restricted_services)}
        if not missing:
            return passed(f"The project is inside the enforced perimeter {perimeter.name}.", evidence=evidence)
        return failed(
            f"The enforced perimeter {perimeter.name} does not restrict {', '.join(missing)}.",
            evidence={**evidence, "unrestricted": missing},
        )
    dry_run = [p.name for p in regular if p.use_explicit_dry_run_spec and member in p.dry_run_resources]
    if dry_run:
        return failed(
            f"The project is only in the dry-run configuration of {', '.join(dry_run)}: nothing is enforced.",
            evidence={**evidence, "dry_run_perimeters": dry_run},
        )
    return failed(
        f"The project is in no enforced service perimeter of {project.organization}.",
        evidence={**evidence, "perimeters_seen": len(project.perimeters)},
    )


@check(
    title="Project's use of Vertex AI and Cloud Storage is watched by a VPC Service Controls perimeter "
    "(enforced or dry run)",
    severity=Severity.LOW,
    baseline=Baseline.LOGGING,
    remediation="Add the project to a regular service perimeter restricting aiplatform.googleapis.com and "
    "storage.googleapis.com, in dry-run mode first (its violations are written to the audit logs "
    "without being denied), then enforce it.",
    compliance={"cis-gcp-5.0": ["3.8"], "nist-800-53-r5": ["AU-12", "SI-4"]},
    attack=["AML.T0025"],
    references=(DRY_RUN, SERVICE_PERIMETERS, PERIMETER_REST),
    fail_title="Project's use of Vertex AI and Cloud Storage is watched by no VPC Service Controls perimeter",
)
def project_watched_by_service_perimeter(project: VpcScProject) -> Result:
    """A perimeter in dry-run mode denies nothing but writes every request it would have denied
    to the audit logs: the way to learn what enforcing would break, and meanwhile a record of
    data leaving the project through the Vertex AI and Cloud Storage APIs. A project in no
    perimeter at all (neither enforced nor dry run) leaves no such record. The dry-run
    configuration is ``spec`` when ``useExplicitDryRunSpec`` is set, otherwise the enforced one.
    Perimeters that cannot be listed are ERROR."""
    if project.no_organization:
        return failed("The project has no organization; VPC Service Controls perimeters exist only in organizations.")
    if project.perimeters is None or project.project_number is None:
        return unknown(f"Could not read the project's service perimeters: {project.unreadable}.")
    member = f"projects/{project.project_number}"
    for perimeter in project.perimeters:
        if perimeter.is_bridge:
            continue
        for mode, (resources, services) in (
            ("enforced", (perimeter.resources, perimeter.restricted_services)),
            ("dry-run", perimeter.dry_run),
        ):
            if member in resources and all(s in services for s in AI_SERVICES):
                return passed(
                    f"The {mode} configuration of {perimeter.name} restricts Vertex AI and Cloud Storage "
                    "for the project.",
                    evidence={"perimeter": perimeter.name, "mode": mode},
                )
    return failed(
        f"No perimeter of {project.organization}, enforced or dry run, restricts Vertex AI and Cloud Storage "
        "for the project.",
        evidence={"project": member, "perimeters_seen": len(project.perimeters)},
    )


def _open_egress(rule: EgressRule) -> bool:
    """Any identity of a kind (no list of identities) may send Vertex AI or Cloud Storage
    requests to any project."""
    to_anywhere = "*" in rule.resources
    ai = any(s == "*" or s in AI_SERVICES for s in rule.services)
    return rule.identity_type is not None and to_anywhere and ai


@check(
    title="Project's enforced service perimeter has no open egress rule for Vertex AI or Cloud Storage",
    severity=Severity.HIGH,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Narrow the perimeter's egress policies: name the identities (egressFrom.identities) and "
    "the destination projects (egressTo.resources) instead of an identity type and '*'.",
    compliance={"nist-800-53-r5": ["SC-7", "AC-4"]},
    attack=["AML.T0025", "AML.T0024"],
    references=(f"{VPC_SC}/ingress-egress-rules", PERIMETER_REST),
    fail_title="Project's enforced service perimeter has an open egress rule for Vertex AI or Cloud Storage",
)
def project_perimeter_egress_is_not_open(project: VpcScProject) -> Result:
    """An egress policy lets requests from inside the perimeter reach resources outside it. One
    whose ``egressFrom`` is an identity type (``ANY_IDENTITY``, ``ANY_USER_ACCOUNT``,
    ``ANY_SERVICE_ACCOUNT``) and whose ``egressTo.resources`` is ``*`` for the Vertex AI or Cloud
    Storage API (or every service) lets anyone inside copy training data or models to any
    project: the perimeter no longer stops exfiltration through those APIs. Judged on the
    enforced perimeter that holds the project; a project in none is not judged here."""
    if project.no_organization:
        return not_applicable("The project has no organization, so no perimeter.")
    if project.perimeters is None or project.project_number is None:
        return unknown(f"Could not read the project's service perimeters: {project.unreadable}.")
    member = f"projects/{project.project_number}"
    enforced = [p for p in project.perimeters if not p.is_bridge and member in p.resources]
    if not enforced:
        return not_applicable("The project is in no enforced perimeter.")
    open_rules = [
        {"perimeter": p.name, "identity_type": r.identity_type, "services": list(r.services)}
        for p in enforced
        for r in p.egress_rules
        if _open_egress(r)
    ]
    if open_rules:
        return failed(
            "An egress rule lets any identity of a type send Vertex AI or Cloud Storage requests to any project.",
            evidence={"open_egress": open_rules},
        )
    return passed(
        "No egress rule of the enforced perimeter is open to any project for Vertex AI or Cloud Storage.",
        evidence={"perimeters": [p.name for p in enforced]},
    )
