"""Several providers scanned as one: one report across clouds (the demo shows all three).

The combined provider implements the engine's ``Provider`` protocol: its scopes, setup errors and
collector units are those of its members, each member planning only the resource types of its
own cloud. The report's ``scan.provider`` names the members joined by ``+`` (``aws+azure+gcp``).
"""

from __future__ import annotations

from collections.abc import Sequence

from cspm.engine import CollectorUnit, Provider
from cspm.models import CollectionError, Scope
from cspm.resources.base import Resource


class CombinedProvider:
    def __init__(self, providers: Sequence[Provider]) -> None:
        if not providers:
            raise ValueError("at least one provider")
        names = [p.name for p in providers]
        if len(set(names)) != len(names):
            raise ValueError(f"one provider per cloud: {names}")
        self.providers = tuple(providers)
        self.name = "+".join(names)

    @property
    def setup_errors(self) -> list[CollectionError]:
        return [e for p in self.providers for e in p.setup_errors]

    def scopes(self) -> list[Scope]:
        return [s for p in self.providers for s in p.scopes()]

    def plan(self, resource_types: set[type[Resource]]) -> list[CollectorUnit]:
        units: list[CollectorUnit] = []
        for provider in self.providers:
            own = {t for t in resource_types if t.cloud() == provider.name}
            if own:
                units.extend(provider.plan(own))
        return units
