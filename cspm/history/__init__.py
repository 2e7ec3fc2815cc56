"""Scan history: every scan's summary, scores and findings in SQLite or PostgreSQL.

    save_scan(report, store_url)          after a scan (``--store URL``; None = the default SQLite file)
    history(store_url, ...)               the scans and the score trend per account and baseline
    last_two(store_url, new=None)         (previous, newest) for ``cspm diff --last``

URLs: ``sqlite:///path/history.db``, a plain file path, or ``postgresql://user:pass@host/db``.
The default is ``$XDG_DATA_HOME/cspm/history.db`` (``~/.local/share/cspm/history.db``).
An unreachable or broken store raises :class:`cspm.errors.ScanError` (exit 1, one line).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cspm.errors import UsageError
from cspm.history.store import (
    ALL_ACCOUNTS,
    BASELINE_NAMES,
    HistoryStore,
    StoredScan,
    default_store_path,
    display_url,
    normalize_url,
    scope_key,
)
from cspm.models import ScanReport

__all__ = [
    "HistoryStore",
    "HistoryView",
    "StoredScan",
    "default_store_path",
    "history",
    "last_two",
    "render_history_text",
    "save_scan",
    "scope_key",
]


def save_scan(report: ScanReport, store_url: str | None = None) -> None:
    """Save one scan. Raises ScanError (one line) when the store is unreachable."""
    with HistoryStore(store_url) as store:
        store.save(report)


@dataclass(frozen=True)
class HistoryView:
    store: str
    scans: list[StoredScan]
    # (account, baseline) -> scores oldest first, aligned with ``scans`` reversed
    trend: dict[tuple[str, str], list[float | None]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        oldest_first = list(reversed(self.scans))
        return {
            "store": self.store,
            "scans": [s.as_dict() for s in self.scans],
            "trend": [
                {
                    "account": account,
                    "baseline": baseline,
                    "points": [
                        {"scan_id": s.id, "started_at": s.started_at.isoformat(), "score": v}
                        for s, v in zip(oldest_first, values, strict=True)
                    ],
                }
                for (account, baseline), values in self.trend.items()
            ],
        }


def history(
    store_url: str | None = None, *, provider: str | None = None, account: str | None = None, limit: int = 20
) -> HistoryView:
    with HistoryStore(store_url) as store:
        stored = store.scans(provider=provider, account=account, limit=limit)
        scores = store.scores([s.id for s in stored])
    oldest_first = list(reversed(stored))
    keys = sorted({k for s in oldest_first for k in scores.get(s.id, {})}, key=_trend_order)
    if account:
        keys = [k for k in keys if k[0] == account]
    trend = {k: [scores.get(s.id, {}).get(k) for s in oldest_first] for k in keys}
    return HistoryView(store=display_url(normalize_url(store_url)), scans=stored, trend=trend)


def _trend_order(key: tuple[str, str]) -> tuple[int, str, int]:
    account, baseline = key
    index = BASELINE_NAMES.index(baseline) if baseline in BASELINE_NAMES else len(BASELINE_NAMES)
    return (0 if account == ALL_ACCOUNTS else 1, account, index)


def last_two(store_url: str | None = None, new: ScanReport | None = None) -> tuple[ScanReport, ScanReport]:
    """(previous, newest) of the same scope. ``new`` defaults to the newest stored scan.

    Raises UsageError when the store has no earlier scan of that scope.
    """
    with HistoryStore(store_url) as store:
        if new is None:
            newest = store.scans(limit=1)
            if not newest:
                raise UsageError(f"the history store {display_url(store.url)} has no scans yet")
            new = store.load(newest[0].id)
        previous = store.previous(new)
        if previous is None:
            raise UsageError(
                f"no earlier scan of the same scope ({scope_key(new)}) in the history store {display_url(store.url)}"
            )
        return store.load(previous.id), new


def render_history_text(view: HistoryView, *, columns: int = 6) -> str:
    """Plain text for a terminal; ids, providers and accounts of the stored scans go through ``safe_text``."""
    from cspm.reporting.safe import safe_text as t

    lines = [f"History store: {t(view.store)}", ""]
    if not view.scans:
        return "\n".join([*lines, "No scans stored yet."]) + "\n"
    lines.append(
        f"{'started (UTC)':<20} {'scan id':<36} {'provider':<8} "
        f"{'pass':>6} {'fail':>6} {'error':>6} {'muted':>6} {'overall':>8}  accounts"
    )
    for s in view.scans:
        overall = s.scores.get("overall")
        lines.append(
            f"{s.started_at:%Y-%m-%d %H:%M:%S}  {t(s.id):<36} {t(s.provider):<8} {s.pass_count:>6} {s.fail_count:>6} "
            f"{s.error_count:>6} {s.muted_count:>6} {_score(overall):>8}  {t(', '.join(s.accounts))}"
            + ("" if s.complete else "  (incomplete)")
        )
    shown = list(reversed(view.scans))[-columns:]
    lines += ["", f"Score trend, oldest to newest (last {len(shown)} scans; '*' = all accounts):"]
    lines.append(f"{'account':<16} {'baseline':<18}" + "".join(f"{s.started_at:%m-%d %H:%M}".rjust(13) for s in shown))
    for (account, baseline), values in view.trend.items():
        tail = values[-len(shown) :]
        lines.append(f"{t(account):<16} {t(baseline):<18}" + "".join(_score(v).rjust(13) for v in tail))
    return "\n".join(lines) + "\n"


def _score(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"
