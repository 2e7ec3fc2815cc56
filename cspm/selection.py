"""Which checks a scan runs: --services, --checks, --exclude-checks, --severity, validated."""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass

from cspm.errors import UsageError
from cspm.models import Severity
from cspm.registry import CheckSpec, load_checks
from cspm.suggest import unknown_choice


def split_csv(values: Sequence[str] | None) -> list[str]:
    """Flags may be repeated and/or comma-separated: ``--checks a,b --checks c``."""
    out: list[str] = []
    for value in values or ():
        out.extend(part.strip() for part in value.split(",") if part.strip())
    return out


def parse_severities(values: Sequence[str] | None) -> set[Severity]:
    names = split_csv(values)
    valid = [s.value for s in Severity]
    bad = [n for n in names if n.lower() not in valid]
    if bad:
        raise UsageError(f"unknown severity {', '.join(bad)}; valid: {', '.join(valid)}")
    return {Severity(n.lower()) for n in names}


@dataclass(frozen=True)
class Selection:
    services: tuple[str, ...] = ()
    checks: tuple[str, ...] = ()  # ids or glob patterns
    exclude_checks: tuple[str, ...] = ()
    severities: frozenset[Severity] = frozenset()

    def apply(self, cloud: str, available_services: Sequence[str] = ()) -> list[CheckSpec]:
        """The checks to run. Raises UsageError (exit 2) naming the valid values."""
        catalog = load_checks([cloud])
        services = sorted({c.service for c in catalog} | set(available_services))
        unknown_services = [s for s in self.services if s not in services]
        if unknown_services:
            raise unknown_choice("service", unknown_services, services, list_all=f"cspm checks list --provider {cloud}")
        ids = [c.id for c in catalog]
        unknown_checks = [p for p in (*self.checks, *self.exclude_checks) if not fnmatch.filter(ids, p)]
        if unknown_checks:  # the closest few ids, never the whole catalog (issue 18)
            raise unknown_choice("check", unknown_checks, ids, list_all=f"cspm checks list --provider {cloud}")
        selected = [
            c
            for c in catalog
            if (not self.services or c.service in self.services)
            and (not self.checks or any(fnmatch.fnmatchcase(c.id, p) for p in self.checks))
            and not any(fnmatch.fnmatchcase(c.id, p) for p in self.exclude_checks)
            and (not self.severities or c.severity in self.severities)
        ]
        if not selected:
            raise UsageError("the filters select no checks")
        return selected
