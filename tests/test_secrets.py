"""cspm.secrets: what is found, what is not, and that finding it is offline, quiet and lazy."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cspm.secrets import (
    HUGGING_FACE,
    KEYWORD,
    SECRET_NAMED,
    LineSecretHit,
    SecretHit,
    find_secrets,
    find_secrets_in_text,
    is_secret_named,
    looks_like_literal,
)

# Fake credentials in the shapes the detectors know (none of them is real).
AWS_KEY_ID = "AKIAQWERTYUIOPASDFGH"
AWS_SECRET = "Zq9mR4tY7uI0oP3aS6dF9gH2jK5lZ8xC1vB4nM7q"
HF = "hf_" + "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF3h"
GITHUB = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
SLACK = "xoxb-" + "1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
PRIVATE_KEY_HEADER = "-----BEGIN RSA PRIVATE KEY-----"
GIT_SHA = "a3f1c9e2b7d4085f6e1a2b3c4d5e6f7081929394"


@pytest.mark.parametrize(
    ("key", "value", "kinds"),
    [
        ("AWS_ACCESS_KEY_ID", AWS_KEY_ID, {"AWS Access Key"}),
        ("AWS_SECRET_ACCESS_KEY", AWS_SECRET, {"AWS Access Key", KEYWORD}),
        ("HF_TOKEN", HF, {HUGGING_FACE}),
        ("GITHUB_TOKEN", GITHUB, {"GitHub Token"}),
        ("SLACK_BOT", SLACK, {"Slack Token"}),
        ("TLS_KEY", PRIVATE_KEY_HEADER, {"Private Key"}),
        ("DB_PASSWORD", "hunter2hunter2", {KEYWORD}),
        ("WANDB_API_KEY", "0123456789abcdef0123456789abcdef01234567", {KEYWORD}),
        ("wandb_api_key", "0123456789abcdef0123456789abcdef01234567", {KEYWORD}),
        # formats no detector knows: the key-name rule
        ("COMET_TOKEN", "cmt-7Hq2Lx9Vb3Nk5Rw8", {SECRET_NAMED}),
        ("hfToken", "opaque-credential-value", {SECRET_NAMED}),
        ("NEPTUNE_API_TOKEN", "eyJhcGlfYWRkcmVzcyI6ImZvbyJ9x", {SECRET_NAMED}),
        ("MLFLOW_TRACKING_PASSWORD", "p4ssw0rd!!", {KEYWORD}),
        ("KEYSTORE_PASSWORD", "changeit", {KEYWORD}),  # a default password is still a password
    ],
)
def test_secrets_are_reported_by_key_and_kind(key: str, value: str, kinds: set[str]) -> None:
    hits = find_secrets({key: value, "EPOCHS": "3"})
    assert hits == sorted(SecretHit(key, kind) for kind in kinds)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("EPOCHS", "3"),
        ("learning_rate", "0.001"),
        ("max_new_tokens", "512"),
        ("pad_token", "<pad>"),
        ("eos_token", "</s>"),
        ("unk_token", "[UNK]"),
        ("MODEL_REVISION", GIT_SHA),
        ("RUN_ID", "3f2b8c1e-7a4d-4b9e-8c2f-1d0e9a8b7c6d"),
        ("IMAGE_DIGEST", "sha256:" + "ab" * 32),
        ("SECRET_ARN", "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"),
        ("DB_PASSWORD_SECRET_NAME", "prod/ml/db-password"),
        ("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"),
        ("HF_TOKEN", "${HF_TOKEN}"),
        ("HF_TOKEN", "{{resolve:secretsmanager:hf}}"),
        ("API_TOKEN", "********"),
        ("API_TOKEN", "short"),
        ("PASSWORD", "redacted"),
        ("MODEL_ID", "meta-llama/Llama-3.1-8B-Instruct"),
        ("SAGEMAKER_SUBMIT_DIRECTORY", "s3://bucket/code/sourcedir.tar.gz"),
    ],
)
def test_ml_configuration_is_not_reported(key: str, value: str) -> None:
    assert find_secrets({key: value}) == []


@pytest.mark.parametrize(
    ("key", "named"),
    [
        ("HF_TOKEN", True),
        ("HUGGING_FACE_HUB_TOKEN", True),
        ("token", True),
        ("githubToken", True),
        ("WANDB_API_KEY", True),
        ("OPENAI_APIKEY", True),
        ("AWS_SECRET_ACCESS_KEY", True),
        ("db-password", True),
        ("ssh.passphrase", True),
        ("CLIENT_SECRET", True),
        ("MAX_TOKENS", False),
        ("TOKENIZER", False),
        ("PAD_TOKEN_ID", False),
        ("AWS_ACCESS_KEY_ID", False),
        ("SECRET_ARN", False),
        ("TOKEN_FILE", False),
        ("PASSWORD_PATH", False),
        ("PRIMARY_KEY", False),
    ],
)
def test_the_key_name_rule(key: str, named: bool) -> None:
    assert is_secret_named(key) is named


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        ("hunter2hunter2", True),
        ("sk-9f8e7d6c", True),
        ("1234567", False),
        ("two words here", False),
        ("<your-token>", False),
        ("xxxxxxxx", False),
        ("$(cat /run/secret)", False),
        ("https://example.com/token", False),
        ("placeholder", False),
    ],
)
def test_literal_values(value: str, literal: bool) -> None:
    assert looks_like_literal(value) is literal


SCRIPT = f"""#!/bin/bash
set -e
export AWS_ACCESS_KEY_ID={AWS_KEY_ID}
export WANDB_API_KEY=0123456789abcdef0123456789abcdef01234567
DB_PASSWORD=$(aws secretsmanager get-secret-value --secret-id db --query SecretString --output text)
huggingface-cli login --token {HF}
mlflow server --password s3cr3t-v4lue-x
git checkout {GIT_SHA}
pip install torch==2.3.0 --extra-index-url https://download.pytorch.org/whl/cu121
echo "{PRIVATE_KEY_HEADER}" > /home/ec2-user/.ssh/id_rsa
python -c 'password = "supersecretvalue"'
TOKEN_FILE=/var/run/secrets/token
"""


def test_scripts_are_reported_by_line_and_kind() -> None:
    assert find_secrets_in_text(SCRIPT) == [
        LineSecretHit(3, "AWS Access Key"),
        LineSecretHit(4, SECRET_NAMED),
        LineSecretHit(6, HUGGING_FACE),
        LineSecretHit(7, SECRET_NAMED),
        LineSecretHit(10, "Private Key"),
        LineSecretHit(11, KEYWORD),
    ]


def test_empty_input_needs_no_library() -> None:
    assert find_secrets({}) == []
    assert find_secrets_in_text("") == []
    assert find_secrets_in_text("\n   \n") == []


@settings(max_examples=50, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=30), st.text(max_size=60), max_size=6))
def test_hits_never_carry_a_value(items: dict[str, str]) -> None:
    for hit in find_secrets(items):
        assert set(vars(hit)) == {"key", "kind"}
        assert hit.key in items


# ---------------------------------------------------------------------------------------------
# Offline, quiet, lazy, thread-safe
# ---------------------------------------------------------------------------------------------


def test_detection_never_touches_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """detect-secrets can verify Slack, Stripe, AWS... credentials online; cspm never lets it."""
    attempts: list[Any] = []

    def refuse(self: socket.socket, address: Any) -> None:
        attempts.append(address)
        raise OSError("network access in a test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: refuse(None, a))  # type: ignore[arg-type]
    items = {"SLACK": SLACK, "AWS_ACCESS_KEY_ID": AWS_KEY_ID, "AWS_SECRET_ACCESS_KEY": AWS_SECRET}
    assert {h.kind for h in find_secrets(items)} >= {"Slack Token", "AWS Access Key"}
    assert find_secrets_in_text(SCRIPT)
    assert attempts == []


def _fresh_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)


def test_the_library_is_loaded_only_when_there_is_something_to_scan() -> None:
    out = _fresh_python(
        "import sys\n"
        "import cspm.providers.aws.sagemaker, cspm.checks.aws.sagemaker\n"
        "from cspm.secrets import find_secrets, find_secrets_in_text\n"
        "find_secrets({}); find_secrets_in_text('')\n"
        "print('detect_secrets' in sys.modules)\n"
        "find_secrets({'EPOCHS': '3'})\n"
        "print('detect_secrets' in sys.modules)\n"
    )
    assert out.stdout.split() == ["False", "True"]


def test_cspm_help_does_not_load_the_library() -> None:
    out = _fresh_python(
        "import sys\n"
        "from cspm.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('LOADED' if 'detect_secrets' in sys.modules else 'NOT LOADED', file=sys.stderr)\n"
    )
    assert out.stderr.strip().endswith("NOT LOADED")


def test_loading_and_scanning_print_nothing_and_leave_warnings_alone() -> None:
    out = _fresh_python(
        "import logging, warnings\n"
        "before = warnings.showwarning\n"
        "from cspm.secrets import find_secrets, find_secrets_in_text\n"
        f"find_secrets({{'SLACK': {SLACK!r}, 'X': 'y'}})\n"
        f"find_secrets_in_text({SCRIPT!r})\n"
        "assert warnings.showwarning is before, 'warnings are routed into logging'\n"
        "assert not logging.getLogger('detect-secrets').propagate\n"
    )
    assert out.stdout == "" and out.stderr == ""


def test_first_use_from_many_threads() -> None:
    results: list[list[SecretHit]] = []
    threads = [threading.Thread(target=lambda: results.append(find_secrets({"HF_TOKEN": HF}))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [[SecretHit("HF_TOKEN", HUGGING_FACE)]] * 8


# ---------------------------------------------------------------------------------------------
# Redaction of text that leaves the scanner (error messages, tag values)
# ---------------------------------------------------------------------------------------------


HF = "hf_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"


@pytest.mark.parametrize(
    ("text", "secret", "kind"),
    [
        ("User is not authorized AKIAABCDEFGHIJKLMNOP to call kms:X", "AKIAABCDEFGHIJKLMNOP", "AWS Access Key"),
        (
            "webhook xoxb-123456789012-abcdefghijklmnopqrstuvwx failed",
            "xoxb-123456789012-abcdefghijklmnopqrstuvwx",
            "Slack Token",
        ),
        ("token glpat-abcdefghij0123456789 rejected", "glpat-abcdefghij0123456789", "GitLab Token"),
        (f"pulled with {HF} ok", HF, "Hugging Face Token"),
        ("export DB_PASSWORD=Sup3rS3cretV4lue", "Sup3rS3cretV4lue", "Secret-named variable"),
    ],
)
def test_redact_replaces_the_secret_and_keeps_the_rest(text: str, secret: str, kind: str) -> None:
    from cspm.secrets import redact

    redacted = redact(text)
    assert secret not in redacted
    assert redacted == text.replace(secret, f"<redacted: {kind}>")


@pytest.mark.parametrize(
    "text",
    [
        "Access Denied",
        "User: arn:aws:iam::123456789012:user/scanner is not authorized to perform: s3:GetBucketPolicy",
        "The specified key does not exist: s3://bucket/a9f0c1d2e3b4a5f6c7d8e9f0a1b2c3d4e5f6a7b8/model.tar.gz",
        "",
    ],
)
def test_redact_leaves_ordinary_messages_alone(text: str) -> None:
    from cspm.secrets import redact

    assert redact(text) == text


def test_redact_tags() -> None:
    from cspm.secrets import redact_tags

    tags = {
        "slack-webhook-token": "xoxb-123456789012-abcdefghijklmnopqrstuvwx",
        "team": "fraud-ml",
        "cost-center": "42",
    }
    assert redact_tags(tags) == {
        "slack-webhook-token": "<redacted: Slack Token>",
        "team": "fraud-ml",
        "cost-center": "42",
    }
    assert redact_tags({}) == {}
