"""Azure Monitor pieces shared by snapshots: a resource's diagnostic settings."""

from __future__ import annotations

from cspm.resources.base import Snapshot


class DiagnosticSetting(Snapshot):
    """One ``Microsoft.Insights/diagnosticSettings`` of a resource: what it sends, and where."""

    name: str
    categories: tuple[str, ...] = ()  # enabled log categories (e.g. Audit, RequestResponse, Trace)
    category_groups: tuple[str, ...] = ()  # enabled category groups (audit, allLogs)
    destinations: tuple[str, ...] = ()  # of workspace, storage, event_hub, partner

    @property
    def sends_audit_logs(self) -> bool:
        """Audit logs are enabled (the Audit category, or the audit / allLogs group) and go somewhere."""
        audit = "audit" in {c.lower() for c in self.categories} or bool(
            {"audit", "alllogs"} & {g.lower() for g in self.category_groups}
        )
        return audit and bool(self.destinations)

    @property
    def sends_logs(self) -> bool:
        """Some log category or group is enabled and goes somewhere."""
        return bool(self.categories or self.category_groups) and bool(self.destinations)
