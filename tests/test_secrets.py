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


# ---------------------------------------------------------------------------------------------
# Issue 11: short secret-named keys, prose, provider key prefixes, shell idioms
# ---------------------------------------------------------------------------------------------

ANTHROPIC = "sk-ant-api03-" + "Qx7vB2nM9kL4pR8tY1wE5uI3oA6sD0fGhJzXcVbNm-_Aa1Bb2Cc3"
OPENAI_PROJECT = "sk-proj-" + "Zt4Wq8Er2Ty6Ui0Op3As7Df1Gh5Jk9Lz2Xc6Vb0Nm4Qw8Er"
GOOGLE = "AIza" + "SyB7d2K9qLm4Xn8Rt1Vw5Zc3Hf6Jp0Gs-_Y"
GITLAB = "glpat-" + "Xy7Zq2Wv9Ut4Sr1Pq8On"
FINE_GRAINED_GITHUB = "github_pat_" + "11ABCDEFG0abcdefghijkl_MNOPQRSTUVWXYZ0123456789abcdefghij"


@pytest.mark.parametrize(
    "key",
    ["pw", "pwd", "pass", "passwd", "cred", "creds", "secret", "token", "api_key", "DB_PASS", "gitCreds", "mysql-pw"],
)
def test_short_secret_named_keys(key: str) -> None:
    assert is_secret_named(key)
    assert find_secrets({key: "Vq3-x9Lm2Pz"}) != []


@pytest.mark.parametrize(
    "key",
    [
        *("pass_through", "compass", "bypass", "password_policy", "credits", "token_limit", "max_tokens"),
        *("tokenizer", "passes", "PASSWORD_MIN_LENGTH", "secret_rotation_days", "credential_file"),
    ],
)
def test_keys_that_only_contain_a_short_secret_word(key: str) -> None:
    assert not is_secret_named(key)
    assert find_secrets({key: "Vq3x9Lm2Pz"}) == []


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (ANTHROPIC, "Anthropic API Key"),
        (OPENAI_PROJECT, "OpenAI API Key"),
        (GOOGLE, "Google API Key"),
        (FINE_GRAINED_GITHUB, "GitHub Token"),
        (SLACK, "Slack Token"),  # detect-secrets' own detectors, kept
        (GITLAB, "GitLab Token"),
    ],
)
def test_provider_keys_under_a_neutral_key(value: str, kind: str) -> None:
    assert find_secrets({"owner-note": value}) == [SecretHit("owner-note", kind)]
    assert find_secrets_in_text(f"echo {value} > /tmp/x") == [LineSecretHit(1, kind)]


@pytest.mark.parametrize(
    "text",
    [
        "the root password is Tr0ub4dor&3",
        "Root password: Tr0ub4dor&3.",
        "admin pw = 'Tr0ub4dor&3'",
        "API key is xq81-LmZ0-77Pa",
        "the creds were Vq3x9Lm2Pz, rotate them",
    ],
)
def test_passwords_in_prose(text: str) -> None:
    from cspm.secrets import PASSWORD_IN_TEXT, redact

    assert find_secrets({"description": text}) == [SecretHit("description", PASSWORD_IN_TEXT)]
    redacted = redact(text)
    assert f"<redacted: {PASSWORD_IN_TEXT}>" in redacted
    assert not any(secret in redacted for secret in ("Tr0ub4dor", "xq81-LmZ0", "Vq3x9Lm2Pz"))
    assert redacted.split(maxsplit=1)[0] == text.split(maxsplit=1)[0], "the prose around the secret stays readable"


@pytest.mark.parametrize(
    "text",
    [
        "Password is required",
        "the password policy requires 14 characters",
        "password: ${DB_PASSWORD}",
        "token: {{ secrets.HF_TOKEN }}",
        "Secret: arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf",
        "pass through: enabled",
        "docker run -p 8080:80 image",
        "ssh -p 2222 host",
        "max tokens: 4096",
        "use a Bearer token in the Authorization header",
    ],
)
def test_prose_and_commands_without_secrets(text: str) -> None:
    from cspm.secrets import redact

    assert find_secrets({"description": text}) == []
    assert find_secrets_in_text(text) == []
    assert redact(text) == text


SHELL = f"""#!/bin/bash
mysql -uroot -pS3cretMysql9 -e 'select 1'
echo "Sud0Pass!x" | sudo -S yum install -y htop
curl -H "Authorization: Bearer {ANTHROPIC}" https://api.anthropic.com/v1/messages
curl -H "Authorization: Bearer eyOpaqueToken1234567890abc" https://internal.example
sshpass -p 'Ss4Pass!x' ssh ec2-user@10.0.0.1
mysql -uroot -p$DB_PASSWORD
echo "done" | tee /tmp/log
"""


def test_shell_idioms_that_pass_a_password() -> None:
    from cspm.secrets import BEARER_TOKEN, COMMAND_LINE_PASSWORD, redact

    assert find_secrets_in_text(SHELL) == [
        LineSecretHit(2, COMMAND_LINE_PASSWORD),
        LineSecretHit(3, COMMAND_LINE_PASSWORD),
        LineSecretHit(4, "Anthropic API Key"),
        LineSecretHit(5, BEARER_TOKEN),
        LineSecretHit(6, COMMAND_LINE_PASSWORD),
    ]
    redacted = redact(SHELL)
    for secret in ("S3cretMysql9", "Sud0Pass!x", ANTHROPIC, "eyOpaqueToken1234567890abc", "Ss4Pass!x"):
        assert secret not in redacted
    assert "mysql -uroot -p<redacted: Password on a command line> -e 'select 1'" in redacted
    assert 'echo "<redacted: Password on a command line>" | sudo -S yum install -y htop' in redacted
    assert "mysql -uroot -p$DB_PASSWORD" in redacted and 'echo "done" | tee /tmp/log' in redacted


def test_redact_tags_keeps_prose_readable() -> None:
    from cspm.secrets import redact_tags

    tags = {
        "pw": "Vq3-x9Lm2Pz",
        "cred": "Vq3x9Lm2Pz77",
        "owner": ANTHROPIC,
        "note": "the root password is Tr0ub4dor&3",
        "compass": "north-north-west",
    }
    assert redact_tags(tags) == {
        "pw": f"<redacted: {SECRET_NAMED}>",
        "cred": f"<redacted: {SECRET_NAMED}>",
        "owner": "<redacted: Anthropic API Key>",
        "note": "the root password is <redacted: Password in text>",
        "compass": "north-north-west",
    }


def test_redact_finding_reaches_message_and_nested_evidence() -> None:
    from cspm.models import Baseline, Finding, Severity, Status
    from cspm.secrets import redact_finding

    finding = Finding(
        uid="u",
        check_id="aws.ec2.x",
        title="t",
        status=Status.FAIL,
        severity=Severity.HIGH,
        baseline=Baseline.PRIVATE_ENDPOINT,
        resource_uid="sg-1",
        resource_type="aws.ec2.security_group",
        account="123456789012",
        region="us-east-1",
        message=f"Port 22 is open (rule: temp, key {GOOGLE}).",
        evidence={"rules": [{"description": "jump host, root password is Tr0ub4dor&3", "from_port": 22}]},
        remediation="r",
    )
    clean = redact_finding(finding)
    assert clean.message == "Port 22 is open (rule: temp, key <redacted: Google API Key>)."
    assert clean.evidence == {
        "rules": [{"description": "jump host, root password is <redacted: Password in text>", "from_port": 22}]
    }
    plain = finding.model_copy(update={"message": "Port 22 is open.", "evidence": {"ports": [22], "note": "ok"}})
    assert redact_finding(plain) is plain
    fresh = "".join(["Port 22 ", "is open."])  # equal to, not the same object as, the string cached
    twin = plain.model_copy(update={"message": fresh, "evidence": {"ports": [22], "note": "".join(["o", "k"])}})
    assert redact_finding(twin) is twin, "an equal string seen before is not a change (the cache)"
