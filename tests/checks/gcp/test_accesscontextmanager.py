"""VPC Service Controls check: a table of (case, snapshot, expected status).

Perimeters that could not be listed (``perimeters=None``, e.g. a 403 on
accesscontextmanager.policies.list) are ERROR naming the permission, never PASS and never FAIL.
"""

from __future__ import annotations

from typing import Any

import pytest

from cspm.checks.gcp.accesscontextmanager import (
    project_in_enforced_service_perimeter,
    project_perimeter_egress_is_not_open,
    project_watched_by_service_perimeter,
)
from cspm.models import Status
from cspm.resources.gcp.network import BRIDGE, EgressRule, ServicePerimeter, VpcScProject

ME = "projects/123456789012"
AI = ("aiplatform.googleapis.com", "storage.googleapis.com")


def _project(**fields: Any) -> VpcScProject:
    base: dict[str, Any] = {
        "uid": "//cloudresourcemanager.googleapis.com/projects/ml-project#vpc-service-controls",
        "name": "ml-project",
        "account": "ml-project",
        "region": "global",
        "project_number": "123456789012",
        "organization": "organizations/1",
        "perimeters": (),
    }
    return VpcScProject(**{**base, **fields})


def _perimeter(name: str = "p", **fields: Any) -> ServicePerimeter:
    return ServicePerimeter(name=f"accessPolicies/7/servicePerimeters/{name}", **fields)


@pytest.mark.parametrize(
    ("case", "fields", "expected", "says"),
    [
        ("enforced, both services restricted",
         {"perimeters": (_perimeter(resources=(ME,), restricted_services=(*AI, "bigquery.googleapis.com")),)},
         Status.PASS, "inside the enforced perimeter"),
        ("enforced, Cloud Storage not restricted",
         {"perimeters": (_perimeter(resources=(ME,), restricted_services=("aiplatform.googleapis.com",)),)},
         Status.FAIL, "does not restrict storage.googleapis.com"),
        ("dry run only",
         {"perimeters": (_perimeter(use_explicit_dry_run_spec=True, dry_run_resources=(ME,),
                                    dry_run_restricted_services=AI),)},
         Status.FAIL, "only in the dry-run"),
        ("only in a bridge",
         {"perimeters": (_perimeter(perimeter_type=BRIDGE, resources=(ME,)),)}, Status.FAIL, "no enforced"),
        ("other projects only",
         {"perimeters": (_perimeter(resources=("projects/9",), restricted_services=AI),)}, Status.FAIL, "no enforced"),
        ("no perimeter at all", {}, Status.FAIL, "no enforced"),
        ("no organization", {"organization": None, "perimeters": None, "no_organization": True},
         Status.FAIL, "no organization"),
        ("policies not listable",
         {"perimeters": None, "unreadable": "accessPolicies.list failed; it needs accesscontextmanager.policies.list"},
         Status.ERROR, "accesscontextmanager.policies.list"),
        ("project number unknown", {"project_number": None, "perimeters": None,
                                    "unreadable": "projects.get failed; it needs resourcemanager.projects.get"},
         Status.ERROR, "resourcemanager.projects.get"),
    ],
)  # fmt: skip
def test_project_in_enforced_service_perimeter(case: str, fields: dict[str, Any], expected: Status, says: str) -> None:
    result = project_in_enforced_service_perimeter(_project(**fields))
    assert result.status is expected, f"{case}: {result.message}"
    assert says in result.message, f"{case}: {result.message}"


def test_evidence_names_the_perimeter_and_what_it_leaves_open() -> None:
    perimeter = _perimeter("ml", resources=(ME,), restricted_services=("storage.googleapis.com",))
    result = project_in_enforced_service_perimeter(_project(perimeters=(perimeter,)))
    assert result.evidence["perimeter"] == "accessPolicies/7/servicePerimeters/ml"
    assert result.evidence["unrestricted"] == ["aiplatform.googleapis.com"]


def test_an_enforced_perimeter_wins_over_a_dry_run_one() -> None:
    """A project is in one regular perimeter; its enforced status decides even when another
    perimeter's dry-run spec also names it."""
    enforced = _perimeter("a", resources=(ME,), restricted_services=AI)
    dry = _perimeter("b", use_explicit_dry_run_spec=True, dry_run_resources=(ME,))
    assert project_in_enforced_service_perimeter(_project(perimeters=(dry, enforced))).status is Status.PASS


@pytest.mark.parametrize(
    ("case", "fields", "expected"),
    [
        ("enforced", {"perimeters": (_perimeter(resources=(ME,), restricted_services=AI),)}, Status.PASS),
        ("explicit dry run",
         {"perimeters": (_perimeter(use_explicit_dry_run_spec=True, dry_run_resources=(ME,),
                                    dry_run_restricted_services=AI),)}, Status.PASS),
        ("dry run without Cloud Storage",
         {"perimeters": (_perimeter(use_explicit_dry_run_spec=True, dry_run_resources=(ME,),
                                    dry_run_restricted_services=AI[:1]),)}, Status.FAIL),
        ("spec present but not used: the dry run is the (empty) enforced config",
         {"perimeters": (_perimeter(dry_run_resources=(ME,), dry_run_restricted_services=AI),)}, Status.FAIL),
        ("bridge only", {"perimeters": (_perimeter(perimeter_type=BRIDGE, resources=(ME,)),)}, Status.FAIL),
        ("no perimeter", {}, Status.FAIL),
        ("no organization", {"organization": None, "perimeters": None, "no_organization": True}, Status.FAIL),
        ("perimeters unreadable",
         {"perimeters": None, "unreadable": "servicePerimeters.list failed; it needs "
                                            "accesscontextmanager.servicePerimeters.list"}, Status.ERROR),
    ],
)  # fmt: skip
def test_project_watched_by_service_perimeter(case: str, fields: dict[str, Any], expected: Status) -> None:
    result = project_watched_by_service_perimeter(_project(**fields))
    assert result.status is expected, f"{case}: {result.message}"
    if expected is Status.ERROR:
        assert "accesscontextmanager.servicePerimeters.list" in result.message


def _egress(**fields: Any) -> EgressRule:
    base: dict[str, Any] = {
        "identity_type": "ANY_IDENTITY",
        "resources": ("*",),
        "services": ("storage.googleapis.com",),
    }
    return EgressRule(**{**base, **fields})


@pytest.mark.parametrize(
    ("case", "rules", "expected"),
    [
        ("no egress rule", (), Status.PASS),
        ("any identity, any project, Cloud Storage", (_egress(),), Status.FAIL),
        ("any service account, any project, every service",
         (_egress(identity_type="ANY_SERVICE_ACCOUNT", services=("*",)),), Status.FAIL),
        ("named identities", (_egress(identity_type=None, identities=("serviceAccount:etl@p.iam",)),),
         Status.PASS),
        ("named destination project", (_egress(resources=("projects/42",)),), Status.PASS),
        ("another service only", (_egress(services=("bigquery.googleapis.com",)),), Status.PASS),
    ],
)  # fmt: skip
def test_project_perimeter_egress_is_not_open(case: str, rules: tuple[EgressRule, ...], expected: Status) -> None:
    perimeter = _perimeter(resources=(ME,), restricted_services=AI, egress_rules=rules)
    result = project_perimeter_egress_is_not_open(_project(perimeters=(perimeter,)))
    assert result.status is expected, f"{case}: {result.message}"


def test_perimeter_egress_is_error_when_unreadable_and_not_judged_outside_a_perimeter() -> None:
    unread = _project(
        perimeters=None, unreadable="accessPolicies.list failed; it needs accesscontextmanager.policies.list"
    )
    assert project_perimeter_egress_is_not_open(unread).status is Status.ERROR
    outside = _project(perimeters=(_perimeter(resources=("projects/9",), egress_rules=(_egress(),)),))
    assert project_perimeter_egress_is_not_open(outside).status is None
    dry_only = _project(perimeters=(_perimeter(use_explicit_dry_run_spec=True, dry_run_resources=(ME,)),))
    assert project_perimeter_egress_is_not_open(dry_only).status is None
