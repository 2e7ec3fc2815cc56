"""The check registry: a decorator that validates metadata, and an explicit loader.

A check is a plain function in ``checks/<cloud>/<service>.py``::

    @check(title=..., severity=..., baseline=..., remediation=..., compliance=..., attack=...)
    def bucket_blocks_public_access(bucket: S3Bucket, account: S3AccountSettings) -> Result:
        \"\"\"Rationale shown by ``cspm checks show``.\"\"\"

- The id is derived: ``<cloud>.<service>.<function name>`` from the module path. Never typed.
- The first parameter is the resource under test; its annotation gives the resource type.
- Further parameters are injected by annotation: a per-account or per-region singleton resource
  type (the one in the same scope), ``Sequence[T]`` (every ``T`` in the same account), or
  ``datetime`` (the scan time: checks never read the clock).

Metadata errors raise :class:`CheckDefinitionError` when the module is imported, so a bad check
fails CI, never a scan.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import importlib
import inspect
import re
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, TypeVar

from cspm.models import Baseline, Result, Severity
from cspm.problems import problem_title
from cspm.resources.base import Resource, Scope

CHECKS_PACKAGE = "cspm.checks"
CLOUDS = ("aws", "azure", "gcp")

# Compliance frameworks a check may cite (keys of ``compliance=``).
FRAMEWORKS: Mapping[str, str] = {
    "aws-fsbp": "AWS Foundational Security Best Practices v1.0.0",
    "aws-ai-security": "AWS Security Hub AI Security Best Practices v1.0.0",
    "aws-securityhub": "AWS Security Hub CSPM controls outside the FSBP standard",
    "cis-aws-5.0": "CIS Amazon Web Services Foundations Benchmark v5.0.0",
    "cis-azure-5.0": "CIS Microsoft Azure Foundations Benchmark v5.0.0",
    "cis-azure-3.0": "CIS Microsoft Azure Foundations Benchmark v3.0.0",
    "cis-gcp-5.0": "CIS Google Cloud Platform Foundation Benchmark v5.0.0",
    "nist-800-53-r5": "NIST SP 800-53 Revision 5",
    "azure-policy": "Azure Policy built-in definitions",
    "mcsb": "Microsoft cloud security benchmark v1",
    "gcp-genai": "Google Cloud security best practices for generative AI",
}

_ATLAS_ID = re.compile(r"^AML\.T\d{4}(\.\d{3})?$")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

F = TypeVar("F", bound=Callable[..., Result])


class CheckDefinitionError(Exception):
    """A check's metadata or signature is invalid."""


@dataclass(frozen=True)
class Dependency:
    """An injected parameter of a check."""

    name: str
    kind: str  # "singleton" | "all" | "now"
    resource_type: type[Resource] | None = None


@dataclass(frozen=True)
class CheckSpec:
    id: str
    title: str
    severity: Severity
    baseline: Baseline
    remediation: str
    rationale: str
    resource_type: type[Resource]
    func: Callable[..., Result] = field(repr=False, compare=False)
    dependencies: tuple[Dependency, ...] = ()
    compliance: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    attack: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    # The problem phrasing of the title, for failing rows (cspm.problems); derived unless given.
    fail_title: str = ""

    @property
    def cloud(self) -> str:
        return self.id.split(".")[0]

    @property
    def service(self) -> str:
        return self.id.split(".")[1]

    @property
    def resource_types(self) -> tuple[type[Resource], ...]:
        """Every resource type this check reads: the subject first, then injected ones."""
        extra = tuple(d.resource_type for d in self.dependencies if d.resource_type is not None)
        return (self.resource_type, *extra)

    @cached_property
    def finding_fields(self) -> dict[str, Any]:
        """What every finding of this check carries from it: one copy, shared by the findings
        (never changed in place)."""
        return {
            "check_id": self.id,
            "provider": self.cloud,
            "title": self.title,
            "severity": self.severity,
            "baseline": self.baseline,
            "remediation": self.remediation,
            "compliance": {k: list(v) for k, v in self.compliance.items()},
            "attack": list(self.attack),
        }

    def metadata(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "fail_title": self.fail_title,
            "severity": self.severity.value,
            "baseline": self.baseline.value,
            "resource_type": self.resource_type.resource_type,
            "reads": sorted({t.resource_type for t in self.resource_types}),
            "remediation": self.remediation,
            "rationale": self.rationale,
            "compliance": {k: list(v) for k, v in self.compliance.items()},
            "attack": list(self.attack),
            "references": list(self.references),
        }


def check(
    *,
    title: str,
    severity: Severity,
    baseline: Baseline,
    remediation: str,
    compliance: Mapping[str, Sequence[str]] | None = None,
    attack: Sequence[str] = (),
    references: Sequence[str] = (),
    fail_title: str | None = None,
) -> Callable[[F], F]:
    """Declare a check. See the module docstring. ``fail_title``: the problem phrasing shown for
    failing findings, when the one :func:`cspm.problems.problem_title` derives from ``title`` reads badly."""

    def decorate(func: F) -> F:
        spec = _build_spec(func, title, severity, baseline, remediation, compliance or {}, attack, references)
        spec = dataclasses.replace(spec, fail_title=_fail_title(spec, fail_title))
        func.__cspm_check__ = spec  # type: ignore[attr-defined]
        return func

    return decorate


def _build_spec(
    func: Callable[..., Result],
    title: str,
    severity: Severity,
    baseline: Baseline,
    remediation: str,
    compliance: Mapping[str, Sequence[str]],
    attack: Sequence[str],
    references: Sequence[str],
) -> CheckSpec:
    check_id = _derive_id(func)
    where = f"check {check_id}"
    _validate_text(where, title, remediation)
    if not isinstance(severity, Severity) or not isinstance(baseline, Baseline):
        raise CheckDefinitionError(f"{where}: severity and baseline must be Severity and Baseline members")
    rationale = inspect.getdoc(func) or ""
    if not rationale.strip():
        raise CheckDefinitionError(f"{where}: a docstring (the rationale) is required")
    _validate_references(where, compliance, attack)
    subject, dependencies = _signature(func, where)
    if subject.cloud() != check_id.split(".")[0]:
        raise CheckDefinitionError(f"{where}: checks resources of another cloud ({subject.resource_type})")
    return CheckSpec(
        id=check_id,
        title=title.strip(),
        severity=severity,
        baseline=baseline,
        remediation=remediation.strip(),
        rationale=rationale.strip(),
        resource_type=subject,
        func=func,
        dependencies=dependencies,
        compliance={k: tuple(v) for k, v in compliance.items()},
        attack=tuple(attack),
        references=tuple(references),
    )


def _fail_title(spec: CheckSpec, given: str | None) -> str:
    if given is not None:
        if not given.strip() or given.strip() == spec.title:
            raise CheckDefinitionError(f"check {spec.id}: fail_title must say the problem, not repeat the title")
        return given.strip()
    try:
        return problem_title(spec.title)
    except ValueError as exc:
        raise CheckDefinitionError(f"check {spec.id}: {exc}; give fail_title=") from exc


def _validate_text(where: str, title: str, remediation: str) -> None:
    if not title or not title.strip() or title.lower().startswith("ensure"):
        raise CheckDefinitionError(f"{where}: title must be a present-tense statement, not empty or 'Ensure …'")
    if not remediation or not remediation.strip():
        raise CheckDefinitionError(f"{where}: remediation text is required")


def _validate_references(where: str, compliance: Mapping[str, Sequence[str]], attack: Sequence[str]) -> None:
    for framework, ids in compliance.items():
        if framework not in FRAMEWORKS:
            raise CheckDefinitionError(f"{where}: unknown compliance framework {framework!r}")
        if isinstance(ids, str) or not ids or not all(isinstance(i, str) and i for i in ids):
            raise CheckDefinitionError(f"{where}: compliance[{framework!r}] must be a non-empty list of ids")
    for technique in attack:
        if not _ATLAS_ID.match(technique):
            raise CheckDefinitionError(f"{where}: {technique!r} is not a MITRE ATLAS technique id")


def _derive_id(func: Callable[..., Any]) -> str:
    module = func.__module__
    prefix = CHECKS_PACKAGE + "."
    if not module.startswith(prefix):
        raise CheckDefinitionError(f"{module}.{func.__name__}: checks live in {CHECKS_PACKAGE}.<cloud>.<service>")
    parts = module[len(prefix) :].split(".")
    if len(parts) != 2 or parts[0] not in CLOUDS or not _NAME.match(parts[1]):
        raise CheckDefinitionError(f"{module}.{func.__name__}: checks live in {CHECKS_PACKAGE}.<cloud>.<service>")
    if not _NAME.match(func.__name__) or func.__name__.startswith(("check_", "ensure_")):
        raise CheckDefinitionError(f"{module}.{func.__name__}: name the compliant state, not check_/ensure_")
    return f"{parts[0]}.{parts[1]}.{func.__name__}"


def _signature(func: Callable[..., Any], where: str) -> tuple[type[Resource], tuple[Dependency, ...]]:
    try:
        hints = typing.get_type_hints(func)
    except Exception as exc:  # NameError etc. from unresolvable annotations
        raise CheckDefinitionError(f"{where}: cannot resolve annotations: {exc}") from exc
    params = list(inspect.signature(func).parameters.values())
    if not params:
        raise CheckDefinitionError(f"{where}: the first parameter must be the resource under test")
    subject = hints.get(params[0].name)
    if not (isinstance(subject, type) and issubclass(subject, Resource) and hasattr(subject, "resource_type")):
        raise CheckDefinitionError(f"{where}: the first parameter must be annotated with a Resource type")
    if hints.get("return") is not Result:
        raise CheckDefinitionError(f"{where}: must be annotated '-> Result'")
    deps = tuple(_dependency(p.name, hints.get(p.name), where) for p in params[1:])
    return subject, deps


def _dependency(name: str, annotation: Any, where: str) -> Dependency:
    if annotation is datetime:
        return Dependency(name=name, kind="now")
    if isinstance(annotation, type) and issubclass(annotation, Resource):
        if annotation.scope is Scope.MANY:
            raise CheckDefinitionError(
                f"{where}: parameter {name!r}: {annotation.__name__} is not a singleton; use Sequence[...]"
            )
        return Dependency(name=name, kind="singleton", resource_type=annotation)
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (collections.abc.Sequence, list, tuple) and args:
        inner = args[0]
        if isinstance(inner, type) and issubclass(inner, Resource):
            return Dependency(name=name, kind="all", resource_type=inner)
    raise CheckDefinitionError(
        f"{where}: parameter {name!r} must be a singleton Resource, Sequence[Resource] or datetime"
    )


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------


def check_modules(cloud: str) -> tuple[str, ...]:
    """The check modules of a cloud, as listed (explicitly) in its package's ``MODULES``."""
    package = importlib.import_module(f"{CHECKS_PACKAGE}.{cloud}")
    return tuple(f"{CHECKS_PACKAGE}.{cloud}.{m}" for m in getattr(package, "MODULES", ()))


def load_checks(clouds: Iterable[str] = CLOUDS) -> list[CheckSpec]:
    """Import the check modules of the given clouds and return their checks, sorted by id."""
    specs: dict[str, CheckSpec] = {}
    for cloud in clouds:
        for module_name in check_modules(cloud):
            module = importlib.import_module(module_name)
            for obj in vars(module).values():
                spec = getattr(obj, "__cspm_check__", None)
                if isinstance(spec, CheckSpec) and obj.__module__ == module_name:
                    if spec.id in specs:
                        raise CheckDefinitionError(f"duplicate check id {spec.id}")
                    specs[spec.id] = spec
    return [specs[k] for k in sorted(specs)]
