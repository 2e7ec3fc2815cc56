"""``--inspect-artifacts`` and its budgets, for the CLI: which checks run, what may be read."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from cspm.errors import UsageError
from cspm.registry import CheckSpec

if TYPE_CHECKING:
    from cspm.providers.aws.artifacts import ArtifactSettings

# The checks that read object contents: run only with --inspect-artifacts (not ERROR without it).
ARTIFACT_CHECK_SUFFIXES: Final = (
    ".model_artifact_is_free_of_unsafe_code",
    ".model_artifact_uses_safe_format",
    ".model_artifact_signature_verifies",
)
DEFAULT_ARTIFACT_MB: Final = 512
DEFAULT_SCAN_MB: Final = 10240


def is_artifact_check(check_id: str) -> bool:
    return check_id.endswith(ARTIFACT_CHECK_SUFFIXES)


def select_checks(checks: Sequence[CheckSpec], inspect: bool) -> list[CheckSpec]:
    """``checks`` without the artifact checks unless ``inspect``."""
    if inspect:
        return list(checks)
    kept = [c for c in checks if not is_artifact_check(c.id)]
    if not kept:
        raise UsageError("the selected checks read model artifacts: add --inspect-artifacts")
    return kept


def artifact_settings(inspect: bool, artifact_mb: int, scan_mb: int, store: str | None) -> ArtifactSettings | None:
    """What the AWS provider may read; None without --inspect-artifacts. Checks that the scanner
    is installed (ModuleNotFoundError: the CLI names the 'artifacts' extra)."""
    if not inspect:
        return None
    from cspm.artifacts.inspect import Limits, require_scanner
    from cspm.providers.aws.artifacts import ArtifactSettings

    require_scanner()
    previous = {}
    if store:
        from cspm.history.store import HistoryStore

        with HistoryStore(None if store == "default" else store) as history:
            previous = history.last_artifacts()
    return ArtifactSettings(
        limits=Limits(max_bytes=artifact_mb * 2**20, max_unpacked=max(4 * artifact_mb, 2048) * 2**20),
        max_scan_bytes=scan_mb * 2**20,
        previous=previous,
    )
