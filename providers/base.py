"""What every provider service module declares, as data."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from cspm.resources.base import Resource


@dataclass(frozen=True)
class ServiceSpec:
    """A service collector.

    ``permissions`` are the read-only API permissions the collector needs; ``cspm permissions``
    builds the scanner's own least-privilege policy from them.
    """

    name: str
    produces: tuple[type[Resource], ...]
    regional: bool
    permissions: tuple[str, ...]
    collect: Callable[[Any], Iterable[Resource]]
