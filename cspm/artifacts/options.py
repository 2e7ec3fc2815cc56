"""``--inspect-artifacts`` and its budgets, for the CLI: which checks run, what may be read."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final

from cspm.choices import REQUIRE_SIGNED
from cspm.errors import UsageError
from cspm.registry import CheckSpec

if TYPE_CHECKING:
    from cspm.artifacts.collect import ArtifactSettings
    from cspm.artifacts.signatures import SigningPolicy

REQUIRE_CHOICES: Final = REQUIRE_SIGNED

# The checks that read object contents: run only with --inspect-artifacts (not ERROR without it).
# Suffixes, not whole function names: aws.sagemaker.model_artifact_... and
# aws.bedrock.imported_model_artifact_... are both artifact checks.
ARTIFACT_CHECK_SUFFIXES: Final = (
    "model_artifact_is_free_of_unsafe_code",
    "model_artifact_uses_safe_format",
    "model_artifact_signature_verifies",
)
DEFAULT_ARTIFACT_MB: Final = 512
DEFAULT_SCAN_MB: Final = 10240
# Seconds one artifact read (the object, its first bytes, its signature) may take, however slowly
# the store sends it: 512 MiB, the default per-artifact budget, in 600 s is 0.85 MiB/s.
DEFAULT_TIME_LIMIT: Final = 600.0


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


def time_limit(seconds: float) -> float:
    """``--artifact-time-limit``: a positive, finite number of seconds (click's usage error, exit 2)."""
    import math

    import typer

    if not math.isfinite(seconds) or seconds <= 0:
        raise typer.BadParameter(f"a positive number of seconds, not {seconds:g}")
    return seconds


def artifact_settings(
    inspect: bool,
    artifact_mb: int,
    scan_mb: int,
    store: str | None,
    signing: SigningPolicy | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT,
) -> ArtifactSettings | None:
    """What the AWS provider may read; None without --inspect-artifacts. Checks that the scanner
    (and, to verify signatures, model_signing) is installed (ModuleNotFoundError: the CLI names
    the extra)."""
    if not inspect:
        if signing is not None:
            raise UsageError("the signing options verify model artifacts: add --inspect-artifacts")
        return None
    from cspm.artifacts.collect import ArtifactSettings
    from cspm.artifacts.inspect import Limits, require_scanner

    require_scanner()
    if signing is not None:
        signing.require_verifier()
    previous = {}
    if store:
        from cspm.history.store import HistoryStore

        with HistoryStore(None if store == "default" else store) as history:
            previous = history.last_artifacts()
    return ArtifactSettings(
        limits=Limits(max_bytes=artifact_mb * 2**20, max_unpacked=max(4 * artifact_mb, 2048) * 2**20),
        max_scan_bytes=scan_mb * 2**20,
        previous=previous,
        signing=signing,
        read_seconds=time_limit,
    )


def signing_policy(
    key: Path | None,
    certificates: list[Path] | None,
    identity: str | None,
    issuer: str | None,
    require: str,
    trust_config: Path | None = None,
) -> SigningPolicy | None:
    """The signing options as a policy; None when none is given. Exit 2 on a contradiction, a
    missing file, or a --sigstore-trust-config that is not a Sigstore ClientTrustConfig."""
    from cspm.artifacts.signatures import SigningPolicy

    if require not in REQUIRE_CHOICES:
        raise UsageError(f"unknown --require-signed-models {require}; valid: {', '.join(REQUIRE_CHOICES)}")
    modes = [m for m in (key, certificates, identity) if m]
    if len(modes) > 1:
        raise UsageError("give one of --signing-key, --signing-certificate and --signing-identity")
    for path in [*([key] if key else []), *(certificates or [])]:
        if not path.is_file():
            raise UsageError(f"{path}: no such file")
    if identity and not issuer:
        raise UsageError("--signing-identity needs --signing-issuer (the OIDC issuer of the identity)")
    if trust_config is not None:
        if not identity:
            raise UsageError("--sigstore-trust-config applies to keyless signatures: add --signing-identity")
        _check_trust_config(trust_config)
    if not modes and require == "none":
        return None
    return SigningPolicy(
        public_key=str(key) if key else None,
        certificate_chain=tuple(str(c) for c in certificates or ()),
        identity=identity,
        issuer=issuer,
        require=require,  # type: ignore[arg-type]
        trust_config=str(trust_config) if trust_config else None,
    )


TRUST_CONFIG_TYPE: Final = "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json"
MAX_TRUST_CONFIG_BYTES: Final = 4 * 2**20


def _check_trust_config(path: Path) -> None:
    """A readable JSON object whose mediaType is a Sigstore ClientTrustConfig (what
    model_signing's verifier reads); parsed with :func:`cspm.inputs.parse_json`'s limits."""
    from cspm.inputs import InputError, parse_json

    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    try:
        with path.open("rb") as f:  # never more than the limit in memory
            raw = f.read(MAX_TRUST_CONFIG_BYTES + 1)
        if len(raw) > MAX_TRUST_CONFIG_BYTES:
            raise UsageError(f"{path}: larger than {MAX_TRUST_CONFIG_BYTES // 2**20} MiB: not a trust config")
        value = parse_json(raw.decode("utf-8", "replace"), str(path))
    except (OSError, InputError) as exc:
        raise UsageError(f"{path}: not a Sigstore trust config ({exc})") from exc
    media = value.get("mediaType") if isinstance(value, dict) else None
    if media != TRUST_CONFIG_TYPE or not isinstance(value.get("trustedRoot"), dict):
        raise UsageError(
            f"{path}: not a Sigstore ClientTrustConfig (mediaType {TRUST_CONFIG_TYPE} with a trustedRoot); "
            "a bare trusted_root.json goes in its trustedRoot"
        )
