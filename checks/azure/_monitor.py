"""The diagnostic-settings verdict shared by the Azure logging checks."""

from __future__ import annotations

from collections.abc import Callable

from cspm.models import Result, failed, passed, unknown
from cspm.resources.azure.monitor import DiagnosticSetting


def diagnostics_verdict(
    settings: tuple[DiagnosticSetting, ...] | None,
    sends: Callable[[DiagnosticSetting], bool],
    what: str,
    holder: str,
) -> Result:
    """ERROR when the settings could not be read; PASS naming the settings for which ``sends``
    holds; FAIL naming every setting otherwise. ``what``: "audit logs", "resource logs"."""
    if settings is None:
        return unknown(f"The {holder}'s diagnostic settings could not be read.")
    sending = sorted(s.name for s in settings if sends(s))
    if sending:
        return passed(f"{what.capitalize()} are sent by {', '.join(sending)}.", evidence={"settings": sending})
    return failed(
        f"No diagnostic setting sends {what} anywhere.", evidence={"settings": sorted(s.name for s in settings)}
    )
