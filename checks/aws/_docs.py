"""Where the AWS documentation that checks cite lives: one place for the URL shapes."""

from __future__ import annotations

import functools
from collections.abc import Callable

SECURITY_HUB_GUIDE = "https://docs.aws.amazon.com/securityhub/latest/userguide"


def security_hub_controls(service: str) -> str:
    """The Security Hub page of a service's controls (``…/s3-controls.html``)."""
    return f"{SECURITY_HUB_GUIDE}/{service}-controls.html"


def security_hub_control(service: str, number: int) -> str:
    """The section of one control on that page (``…/s3-controls.html#s3-8`` for S3.8)."""
    return f"{security_hub_controls(service)}#{service}-{number}"


def security_hub_for(service: str) -> Callable[[int], str]:
    """``security_hub_control`` for one service: ``_sh = security_hub_for("s3"); _sh(8)``."""
    return functools.partial(security_hub_control, service)
