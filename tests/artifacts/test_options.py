"""``--inspect-artifacts`` and the signing options as the CLI reads them."""

from __future__ import annotations

from pathlib import Path

import pytest

from cspm.artifacts.options import artifact_settings, is_artifact_check, select_checks, signing_policy
from cspm.errors import UsageError
from cspm.registry import load_checks


def test_the_artifact_checks_run_only_with_the_flag() -> None:
    checks = load_checks(["aws"])
    artifact_ids = {c.id for c in checks if is_artifact_check(c.id)}
    assert artifact_ids == {
        "aws.sagemaker.model_artifact_is_free_of_unsafe_code",
        "aws.sagemaker.model_artifact_uses_safe_format",
        "aws.sagemaker.model_artifact_signature_verifies",
        "aws.bedrock.imported_model_artifact_is_free_of_unsafe_code",
        "aws.bedrock.imported_model_artifact_uses_safe_format",
        "aws.bedrock.imported_model_artifact_signature_verifies",
    }
    assert not {c.id for c in select_checks(checks, inspect=False)} & artifact_ids
    assert {c.id for c in select_checks(checks, inspect=True)} >= artifact_ids
    with pytest.raises(UsageError, match="--inspect-artifacts"):
        select_checks([c for c in checks if c.id in artifact_ids], inspect=False)


def test_signing_options(tmp_path: Path) -> None:
    key = tmp_path / "k.pub"
    key.write_text("not read here")
    assert signing_policy(None, None, None, None, "none") is None
    policy = signing_policy(key, None, None, None, "served")
    assert policy is not None and (policy.method, policy.require) == ("key", "served")
    only_policy = signing_policy(None, None, None, None, "all")
    assert only_policy is not None and only_policy.method is None
    for bad, message in [
        ((key, [key], None, None, "none"), "give one of"),
        ((tmp_path / "missing.pub", None, None, None, "none"), "no such file"),
        ((None, None, "me@acme.example", None, "none"), "needs --signing-issuer"),
        ((None, None, None, None, "sometimes"), "unknown --require-signed-models"),
    ]:
        with pytest.raises(UsageError, match=message):
            signing_policy(*bad)
    with pytest.raises(UsageError, match="add --inspect-artifacts"):
        artifact_settings(False, 512, 10240, None, policy)
    settings = artifact_settings(True, 1, 2, None, policy)
    assert settings is not None and settings.signing == policy
    assert (settings.limits.max_bytes, settings.max_scan_bytes) == (2**20, 2 * 2**20)
