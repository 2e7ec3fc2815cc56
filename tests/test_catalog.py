"""Meta-tests over the whole check catalog: ids, metadata, missing data, imports, generated docs."""

from __future__ import annotations

import subprocess
import sys
import types
import typing
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import BaseModel

from cspm import catalog
from cspm.models import Status
from cspm.registry import CLOUDS, CheckSpec, check_modules, load_checks
from cspm.resources.base import Resource

ROOT = Path(__file__).resolve().parent.parent
SPECS = load_checks(CLOUDS)
NOW = __import__("datetime").datetime(2026, 11, 25, tzinfo=__import__("datetime").UTC)


def test_ids_are_unique_and_derived() -> None:
    ids = [s.id for s in SPECS]
    assert len(ids) == len(set(ids))
    for spec in SPECS:
        module = spec.func.__module__.removeprefix("cspm.checks.")
        assert spec.id == f"{module}.{spec.func.__name__}"


def test_every_check_module_is_listed() -> None:
    for cloud in CLOUDS:
        listed = {m.rsplit(".", 1)[-1] for m in check_modules(cloud)}
        present = {p.stem for p in (ROOT / "checks" / cloud).glob("*.py") if not p.stem.startswith("_")}
        assert present == listed, f"checks/{cloud}/__init__.py MODULES does not match the files"


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.id)
def test_metadata_is_complete(spec: CheckSpec) -> None:
    assert spec.title[0].isupper() and not spec.title.endswith(".")
    assert len(spec.rationale) >= 40, "the rationale should say why this matters"
    assert spec.remediation.endswith(".")
    assert spec.compliance or spec.attack, "cite a compliance control or a MITRE ATLAS technique"


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.id)
def test_every_check_has_unit_tests(spec: CheckSpec) -> None:
    test_file = ROOT / "tests" / "checks" / spec.cloud / f"test_{spec.service}.py"
    assert test_file.exists(), f"{test_file} is missing"
    assert spec.func.__name__ in test_file.read_text(), f"{spec.id} is not exercised in {test_file.name}"


# ---------------------------------------------------------------------------------------------
# Missing data is never a PASS
# ---------------------------------------------------------------------------------------------


def _placeholder(annotation: Any, name: str) -> Any:
    """A value for a required field: the blandest value of its type."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is Literal:
        return args[0]
    if origin in (typing.Union, types.UnionType):
        return _placeholder(next(a for a in args if a is not type(None)), name)
    if annotation is str:
        return f"placeholder-{name}"
    if annotation is bool:
        return False
    if annotation in (int, float):
        return 0
    if origin in (tuple, list, set, frozenset) or annotation in (tuple, list):
        return ()
    if origin is dict or annotation is dict:
        return {}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return unreadable(annotation)
    raise TypeError(f"no placeholder for {name}: {annotation!r}")


def unreadable(model: type[BaseModel], **given: Any) -> Any:
    """An instance with every optional field None and every required field bland."""
    values: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        if name in given:
            values[name] = given[name]
        elif _allows_none(field.annotation):
            values[name] = None
        elif field.is_required():
            values[name] = _placeholder(field.annotation, name)
    return model(**values)


def _allows_none(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (typing.Union, types.UnionType) and type(None) in typing.get_args(
        annotation
    )


def _call_with_unreadable_inputs(spec: CheckSpec, fill_sequences: bool) -> Any:
    subject = unreadable(spec.resource_type, account="123456789012")
    kwargs: dict[str, Any] = {}
    for dep in spec.dependencies:
        if dep.kind == "now":
            kwargs[dep.name] = NOW
        elif dep.kind == "singleton":
            kwargs[dep.name] = unreadable(dep.resource_type, account="123456789012")  # type: ignore[arg-type]
        else:
            kwargs[dep.name] = [unreadable(dep.resource_type, account="123456789012")] if fill_sequences else []  # type: ignore[arg-type]
    return spec.func(subject, **kwargs)


# Checks that read only required fields, filled by the same bulk listing that produces the
# resource: IAM principals and their policy lists come from GetAccountAuthorizationDetails (every
# check of a principal's effective permissions judges those lists); Azure
# storage account, container and AI Services account properties come from the listing itself, with unset properties
# mapped to their documented defaults at collection. When the listing succeeded these are facts,
# so PASS is right; when it fails, the engine answers ERROR before the check runs
# (test_listed_facts_answer_error_when_unlisted).
_PRINCIPAL_PERMISSION_CHECKS = (
    "is_not_admin",
    "is_not_near_admin",
    "cannot_escalate_privileges",
    "cannot_reach_admin",
    "cannot_exfiltrate_data",
    "cannot_expose_resources",
    "cannot_expose_credentials",
    "cannot_pass_every_role",
)
READS_ONLY_LISTED_FACTS = frozenset(
    {
        *(f"aws.iam.{kind}_{name}" for kind in ("user", "group", "role") for name in _PRINCIPAL_PERMISSION_CHECKS),
        "aws.iam.user_has_no_attached_policies",
        "azure.storage.account_disallows_anonymous_blob_access",
        "azure.storage.account_disallows_cross_tenant_replication",
        "azure.storage.account_disallows_shared_key_access",
        "azure.storage.container_is_not_public",
        "azure.cognitiveservices.account_disables_local_auth",
        "azure.ml.online_endpoint_uses_token_auth",
        # a principal and its role assignments come from the assignment listing (ERROR when it fails)
        *(
            f"azure.authorization.principal_{name}"
            for name in (
                "has_no_privileged_subscription_role",
                "has_no_wildcard_custom_role",
                "has_no_broad_data_plane_role",
                "cannot_escalate_privileges",
                "is_resolved",
            )
        ),
        # enableWebAccess is a field of the listed job (absent = off), not a further call.
        "gcp.vertex.custom_job_web_access_disabled",
        # a principal and its grants come from the project's IAM policy (ERROR when it is unreadable)
        *(
            f"gcp.iam.{name}"
            for name in (
                "service_account_has_no_admin_role",
                "human_has_no_basic_role",
                "principal_is_not_public",
                "default_compute_service_account_has_no_basic_role",
                "principal_has_no_project_level_impersonation",
            )
        ),
    }
)


@pytest.mark.parametrize("fill_sequences", [False, True], ids=["empty-sequences", "unreadable-sequences"])
@pytest.mark.parametrize("spec", [s for s in SPECS if s.id not in READS_ONLY_LISTED_FACTS], ids=lambda s: s.id)
def test_unreadable_input_is_never_a_pass(spec: CheckSpec, fill_sequences: bool) -> None:
    result = _call_with_unreadable_inputs(spec, fill_sequences)
    assert result.status is not Status.PASS, f"{spec.id} answered PASS with nothing readable: {result.message}"


@pytest.mark.parametrize("spec", [s for s in SPECS if s.id in READS_ONLY_LISTED_FACTS], ids=lambda s: s.id)
def test_listed_facts_answer_error_when_unlisted(spec: CheckSpec) -> None:
    from cspm.engine import Inventory, evaluate

    subject = unreadable(spec.resource_type, account="123456789012")
    for rtype in spec.resource_types:
        inventory = Inventory()
        inventory.add(subject)
        inventory.mark_incomplete(rtype, "123456789012", subject.region, "the listing failed")
        findings = evaluate([spec], inventory, NOW)
        placeholder = [f for f in findings if f.resource_uid.endswith(":*")]
        judged = [f for f in findings if f not in placeholder]
        if rtype is spec.resource_type:
            # The scope that could not be listed is one ERROR; what was listed is still judged.
            assert [f.status for f in placeholder] == [Status.ERROR]
        else:
            assert [f.status for f in judged] == [Status.ERROR], f"{spec.id} with {rtype.resource_type} unlisted"


def test_resource_types_are_named_by_the_contract() -> None:
    for spec in SPECS:
        for rtype in spec.resource_types:
            assert issubclass(rtype, Resource)
            cloud, service, kind = rtype.resource_type.split(".")
            assert cloud in CLOUDS and service and kind


# ---------------------------------------------------------------------------------------------
# Imports and generated files
# ---------------------------------------------------------------------------------------------

SDK_PREFIXES = ("boto3", "botocore", "azure", "google", "moto")


def test_importing_the_checks_loads_no_cloud_sdk() -> None:
    code = (
        "import sys\n"
        "from cspm.registry import CLOUDS, load_checks\n"
        "load_checks(CLOUDS)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {SDK_PREFIXES!r})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


@pytest.mark.parametrize("name", sorted(catalog.GENERATED))
def test_generated_docs_are_up_to_date(name: str) -> None:
    path = ROOT / "docs" / name
    assert path.exists(), f"docs/{name} is missing: run `make catalog`"
    assert path.read_text(encoding="utf-8") == catalog.GENERATED[name](), f"docs/{name} is stale: run `make catalog`"


# ---------------------------------------------------------------------------------------------
# Every claim traceable to the vendor's documentation (issue 19)
# ---------------------------------------------------------------------------------------------

# Every module of every cloud has been audited against the vendor's documentation
# (docs/check-audit.md has one section per module; aws.iam was the last). The rule holds for the
# whole catalog: a new check, in a new module or an old one, must cite its documentation.
AUDITED_MODULES = frozenset(
    {
        "aws.bedrock",
        "aws.bedrock_agentcore",
        "aws.sagemaker",
        "gcp.vertex",
        "aws.s3",
        "aws.ec2",
        "aws.ecr",
        "aws.kms",
        "aws.cloudtrail",
        "aws.lineage",
        "aws.iam",
        "azure.ml",
        "azure.storage",
        "azure.cognitiveservices",
        "azure.authorization",
        "azure.keyvault",
        "azure.lineage",
        "gcp.storage",
        "gcp.iam",
        "gcp.accesscontextmanager",
        "gcp.compute",
        "gcp.workbench",
        "gcp.lineage",
    }
)
AUDITED = SPECS


def test_every_module_is_audited() -> None:
    """A new check module needs its docs/check-audit.md section and its entry here."""
    modules = {f"{s.cloud}.{s.service}" for s in SPECS}
    assert modules == AUDITED_MODULES
    audit = (ROOT / "docs" / "check-audit.md").read_text()
    for module in sorted(modules):
        assert f"## {module} (" in audit, f"docs/check-audit.md has no section for {module}"


@pytest.mark.parametrize("spec", AUDITED, ids=lambda s: s.id)
def test_audited_checks_cite_vendor_documentation(spec: CheckSpec) -> None:
    assert spec.references, f"{spec.id}: cite the documentation its rationale rests on"
    for ref in spec.references:
        assert ref.startswith("https://") and " " not in ref, f"{spec.id}: {ref!r} is not a URL"
    assert len(set(spec.references)) == len(spec.references), f"{spec.id}: a reference is repeated"


@pytest.mark.parametrize("spec", AUDITED, ids=lambda s: s.id)
def test_catalog_and_checks_show_render_the_references(spec: CheckSpec) -> None:
    from typer.testing import CliRunner

    from cspm.cli import app

    row = next(line for line in catalog.checks_markdown().splitlines() if line.startswith(f"| `{spec.id}` |"))
    shown = CliRunner().invoke(app, ["checks", "show", spec.id])
    assert shown.exit_code == 0, shown.output
    assert "references:" in shown.output
    for n, ref in enumerate(spec.references, 1):
        assert f"[{n}]({ref})" in row
        assert f"  {ref}\n" in shown.output


_CHECK_ID = __import__("re").compile(r"`((?:aws|azure|gcp)\.[a-z0-9_]+\.[a-z0-9_]+)`")


def _resource_types() -> set[str]:
    """Every snapshot type in cspm/resources (a doc may name one that no check targets)."""
    import importlib
    import pkgutil

    import cspm.resources

    for info in pkgutil.walk_packages(cspm.resources.__path__, "cspm.resources."):
        importlib.import_module(info.name)
    found: set[str] = set()
    pending: list[type[Resource]] = [Resource]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if isinstance(getattr(cls, "resource_type", None), str):
            found.add(cls.resource_type)
    return found


_CONTROL_DOCS = sorted(
    {*(ROOT / "docs").glob("*-controls.md"), ROOT / "docs" / "check-audit.md", ROOT / "docs" / "azure-gcp.md"}
)


@pytest.mark.parametrize("doc", _CONTROL_DOCS, ids=lambda p: p.name)
def test_control_docs_name_only_checks_that_exist(doc: Path) -> None:
    """A control table that names a check the catalog lacks tells a user a control is covered when
    it is not: every backquoted check id in the control docs is a registered check (or a resource
    type)."""
    known = {s.id for s in SPECS} | _resource_types()
    named = set(_CHECK_ID.findall(doc.read_text(encoding="utf-8")))
    unknown = sorted(n for n in named if n not in known and not n.endswith("_"))
    assert not unknown, f"{doc.name} names checks that do not exist: {unknown}"
