"""Secrets in ML configuration: environment variables, hyperparameters and lifecycle scripts.

Two functions, both returning *where* a secret is and *what kind* it is, never the value:

- :func:`find_secrets` for a mapping (a job's ``Environment`` or ``HyperParameters``):
  ``[SecretHit(key="HF_TOKEN", kind="Secret-named variable")]``;
- :func:`find_secrets_in_text` for a script (a notebook lifecycle configuration):
  ``[LineSecretHit(line=12, kind="AWS Access Key")]``.

Detection, in this order (each hit names the rule that found it in ``kind``):

1. **detect-secrets** (Yelp), its value detectors: AWS keys, private keys, JWTs, GitHub, GitLab,
   Slack, Stripe, OpenAI, npm, PyPI tokens, basic-auth URLs, ... and its ``KeywordDetector``
   (``password = "..."``-style assignments). ``kind`` is the detector's secret type. The plugins
   are called directly (``analyze_string``): the library's global settings, its verification
   step (the only code in it that uses the network) and its logging are never involved, so a
   scan stays offline and prints nothing. Its heuristic false-positive filters are applied as the
   library applies them by default: sequential strings, UUIDs, ``*_id = ...``, templated values,
   ``$VARIABLE`` references, indirect references (``x = get_secret()``), non-alphanumeric values;
   and ours: a value that is a reference (the prefixes of step 3), a placeholder word of step 3
   or one repeated character is not a secret, and a ``Secret Keyword`` hit on a reference-named
   key (``SECRET_ARN``, step 3) is dropped.
   The two entropy detectors are **not** used: ML configuration is full of commit hashes, image
   digests, run ids and model revisions that they would report. Neither is the public IP detector
   (an address is not a secret).
2. **Hugging Face tokens** (detect-secrets has no detector for them): ``hf_`` followed by at least
   34 letters and digits. ``kind`` = ``"Hugging Face Token"``.
3. **Secret-named variables** — the key-name rule, for credentials in formats no detector knows.
   A key (a mapping key; in a script, ``NAME`` in ``NAME=value`` / ``export NAME="value"`` and
   ``name`` in a command-line option ``--name value`` / ``--name=value``) is normalised: camelCase
   split with ``_``, ``-``/``.``/spaces replaced by ``_``, upper-cased.
   It is *secret-named* when

   - it contains ``SECRET``, ``PASSWORD``, ``PASSWD`` or ``PASSPHRASE``, or
   - it is ``TOKEN`` or ends with ``_TOKEN`` (``HF_TOKEN``, ``HUGGING_FACE_HUB_TOKEN``,
     ``GITHUB_TOKEN``), or
   - it ends with ``API_KEY``, ``APIKEY``, ``ACCESS_KEY``, ``PRIVATE_KEY`` or ``AUTH_KEY``
     (``WANDB_API_KEY``, ``OPENAI_API_KEY``, ``AWS_SECRET_ACCESS_KEY``),

   and it does **not** end with a suffix that names a reference rather than a value: ``_ARN``,
   ``_NAME``, ``_ID``, ``_PATH``, ``_FILE``, ``_DIR``, ``_URI``, ``_URL``, ``_ENDPOINT``,
   ``_REGION`` (``SECRET_ARN``, ``AWS_WEB_IDENTITY_TOKEN_FILE``, ``AWS_ACCESS_KEY_ID``).
   Its value must look like a literal credential: at least 8 characters after trimming, no
   whitespace, none of ``< > [ ] { }`` (placeholders and tokenizer symbols such as ``<pad>``),
   not one character repeated (``********``), not a reference (starting with ``$``, ``arn:``,
   ``/``, ``s3://``, ``file://``, ``http://``, ``https://``) and not one of ``undefined``,
   ``placeholder``, ``redacted``. ``kind`` = ``"Secret-named variable"``; it is
   reported only for a key or line on which no detector of steps 1-2 fired.

detect-secrets is imported on the first call that has something to scan (about 0.2 s), so
``cspm --help`` and scans without SageMaker never load it. The functions are thread-safe.
"""

from __future__ import annotations

import importlib
import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

SECRET_NAMED = "Secret-named variable"
HUGGING_FACE = "Hugging Face Token"
KEYWORD = "Secret Keyword"  # detect-secrets' KeywordDetector


@dataclass(frozen=True, order=True)
class SecretHit:
    """A secret in a mapping: the key that holds it and the kind of secret (never the value)."""

    key: str
    kind: str


@dataclass(frozen=True, order=True)
class LineSecretHit:
    """A secret in a text: its 1-based line number and the kind of secret (never the value)."""

    line: int
    kind: str


def find_secrets(items: Mapping[str, str]) -> list[SecretHit]:
    """The keys of ``items`` whose values look like secrets (see the module docstring)."""
    hits: set[SecretHit] = set()
    for key, raw in items.items():
        value = str(raw)
        kinds = _detected(f'{key}="{value}"') | _hugging_face(value)
        if is_reference_name(key):
            kinds.discard(KEYWORD)  # SECRET_ARN="...", DB_PASSWORD_NAME="...": a pointer to a secret
        if not kinds and is_secret_named(key) and looks_like_literal(value):
            kinds = {SECRET_NAMED}
        hits.update(SecretHit(key, kind) for kind in kinds)
    return sorted(hits)


def find_secrets_in_text(text: str) -> list[LineSecretHit]:
    """The lines of ``text`` that hold secrets (see the module docstring)."""
    hits: set[LineSecretHit] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        kinds = _detected(line) | _hugging_face(line)
        if not kinds and any(is_secret_named(k) and looks_like_literal(v) for k, v in _assignments(line)):
            kinds = {SECRET_NAMED}
        hits.update(LineSecretHit(number, kind) for kind in kinds)
    return sorted(hits)


def redact(text: str) -> str:
    """``text`` with every secret the rules above find replaced by ``<redacted: KIND>``.

    For text that leaves the scanner and was not written by it: API error messages, tag values.
    Detector hits and Hugging Face tokens are replaced where they stand; for a secret-named
    assignment (``PASSWORD=...``) the value is replaced.
    """
    if not text:
        return text
    return "".join(_redact_line(line) for line in text.splitlines(keepends=True))


_TOKEN_END = frozenset(" \t\r\n\"',;()[]{}<>")


def _token_spans(line: str, value: str) -> list[tuple[int, int]]:
    """Where ``value`` stands in ``line``, widened to the whole token around it: some detectors
    report only part of a secret (GitLab's reports the ``glpat`` prefix)."""
    spans = []
    start = line.find(value)
    while start != -1:
        left, right = start, start + len(value)
        while left > 0 and line[left - 1] not in _TOKEN_END:
            left -= 1
        while right < len(line) and line[right] not in _TOKEN_END:
            right += 1
        spans.append((left, right))
        start = line.find(value, start + len(value))
    return spans


def _redact_line(line: str) -> str:
    spans = sorted((span, kind) for kind, value in _detections(line) for span in _token_spans(line, value))
    clean, last = [], 0
    for (left, right), kind in spans:
        if left < last:
            continue  # overlaps a span already redacted
        clean.append(line[last:left] + f"<redacted: {kind}>")
        last = right
    clean.append(line[last:])
    return _redact_named(_HF_TOKEN.sub(f"<redacted: {HUGGING_FACE}>", "".join(clean)))


def _redact_named(line: str) -> str:
    clean = line
    for key, value in _assignments(line):
        if is_secret_named(key) and looks_like_literal(value) and not value.startswith("<redacted"):
            clean = clean.replace(value, f"<redacted: {SECRET_NAMED}>")
    return clean


def redact_tags(tags: Mapping[str, str]) -> dict[str, str]:
    """Tags with the value of every tag that holds a secret replaced by ``<redacted: KIND>``."""
    hits = {hit.key: hit.kind for hit in find_secrets(tags)} if tags else {}
    return {key: f"<redacted: {hits[key]}>" if key in hits else value for key, value in tags.items()}


# ---------------------------------------------------------------------------------------------
# The key-name rule
# ---------------------------------------------------------------------------------------------

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SEPARATORS = re.compile(r"[-.\s]+")
_SECRET_WORDS = ("SECRET", "PASSWORD", "PASSWD", "PASSPHRASE")
_SECRET_NAME = re.compile(r"(^|_)TOKEN$|(API_?KEY|ACCESS_KEY|PRIVATE_KEY|AUTH_KEY)$")
_REFERENCE_SUFFIXES = ("_ARN", "_NAME", "_ID", "_PATH", "_FILE", "_DIR", "_URI", "_URL", "_ENDPOINT", "_REGION")
_REFERENCE_PREFIXES = ("$", "arn:", "/", "s3://", "file://", "http://", "https://")
_PLACEHOLDER_CHARS = frozenset("<>[]{}")
_PLACEHOLDER_WORDS = frozenset({"undefined", "placeholder", "redacted"})
# NAME=value, export NAME="value"; and command-line options: --name value, --name=value.
_ASSIGNMENT = re.compile(r"""(?<![\w$-])([A-Za-z_][A-Za-z0-9_]*)=(["']?)([^\s"';]+)\2""")
_OPTION = re.compile(r"""(?<!\S)--([A-Za-z][A-Za-z0-9-]*)(?:=|\s+)(["']?)([^\s"';]+)\2""")
MIN_LENGTH = 8


def normalise_key(key: str) -> str:
    return _SEPARATORS.sub("_", _CAMEL.sub("_", key.strip())).upper()


def is_reference_name(key: str) -> bool:
    """Whether ``key`` names a reference to a secret (``SECRET_ARN``, ``TOKEN_FILE``), not a value."""
    return normalise_key(key).endswith(_REFERENCE_SUFFIXES)


def is_secret_named(key: str) -> bool:
    """Whether ``key`` is named like a variable that holds a credential (see the module docstring)."""
    name = normalise_key(key)
    if name.endswith(_REFERENCE_SUFFIXES):
        return False
    return any(word in name for word in _SECRET_WORDS) or bool(_SECRET_NAME.search(name))


def looks_like_literal(value: str) -> bool:
    """Whether ``value`` could be a literal credential rather than a reference or placeholder."""
    text = value.strip()
    return (
        len(text) >= MIN_LENGTH
        and not any(c.isspace() for c in text)
        and not _PLACEHOLDER_CHARS.intersection(text)
        and len(set(text)) > 1
        and not text.lower().startswith(_REFERENCE_PREFIXES)
        and text.lower() not in _PLACEHOLDER_WORDS
    )


def _assignments(line: str) -> Iterator[tuple[str, str]]:
    for pattern in (_ASSIGNMENT, _OPTION):
        for match in pattern.finditer(line):
            yield match.group(1), match.group(3)


_HF_TOKEN = re.compile(r"(?<![A-Za-z0-9])hf_[A-Za-z0-9]{34,}(?![A-Za-z0-9])")


def _hugging_face(text: str) -> set[str]:
    return {HUGGING_FACE} if _HF_TOKEN.search(text) else set()


# ---------------------------------------------------------------------------------------------
# detect-secrets, loaded on first use
# ---------------------------------------------------------------------------------------------

# (module, class) under detect_secrets.plugins: every detector of detect-secrets 1.5 except the
# two entropy detectors and the public IP detector (see the module docstring).
PLUGINS: tuple[tuple[str, str], ...] = (
    ("artifactory", "ArtifactoryDetector"),
    ("aws", "AWSKeyDetector"),
    ("azure_storage_key", "AzureStorageKeyDetector"),
    ("basic_auth", "BasicAuthDetector"),
    ("cloudant", "CloudantDetector"),
    ("discord", "DiscordBotTokenDetector"),
    ("github_token", "GitHubTokenDetector"),
    ("gitlab_token", "GitLabTokenDetector"),
    ("ibm_cloud_iam", "IbmCloudIamDetector"),
    ("ibm_cos_hmac", "IbmCosHmacDetector"),
    ("jwt", "JwtTokenDetector"),
    ("keyword", "KeywordDetector"),
    ("mailchimp", "MailchimpDetector"),
    ("npm", "NpmDetector"),
    ("openai", "OpenAIDetector"),
    ("private_key", "PrivateKeyDetector"),
    ("pypi_token", "PypiTokenDetector"),
    ("sendgrid", "SendGridDetector"),
    ("slack", "SlackDetector"),
    ("softlayer", "SoftlayerDetector"),
    ("square_oauth", "SquareOAuthDetector"),
    ("stripe", "StripeDetector"),
    ("telegram_token", "TelegramBotTokenDetector"),
    ("twilio", "TwilioKeyDetector"),
)


@dataclass(frozen=True)
class _Library:
    plugins: tuple[Any, ...]
    heuristic: Any  # the detect_secrets.filters.heuristic module


_library: _Library | None = None
_lock = threading.Lock()


def _load() -> _Library:
    """Import detect-secrets once. Importing it installs a stderr handler on its own logger and
    routes Python warnings into logging (``logging.captureWarnings``); both are undone here so
    that the scanner's output stays its own."""
    global _library
    if _library is not None:
        return _library
    with _lock:
        if _library is None:
            _library = _import_library()
    return _library


def _import_library() -> _Library:
    import logging
    import warnings

    showwarning = warnings.showwarning
    try:
        plugins = tuple(
            getattr(importlib.import_module(f"detect_secrets.plugins.{module}"), name)() for module, name in PLUGINS
        )
        heuristic = importlib.import_module("detect_secrets.filters.heuristic")
    finally:
        warnings.showwarning = showwarning
    library_log = logging.getLogger("detect-secrets")
    library_log.handlers.clear()
    library_log.addHandler(logging.NullHandler())
    library_log.propagate = False
    return _Library(plugins=plugins, heuristic=heuristic)


def _detected(line: str) -> set[str]:
    """The secret types detect-secrets finds on ``line``, after its default heuristic filters."""
    return {kind for kind, _ in _detections(line)}


def _detections(line: str) -> set[tuple[str, str]]:
    """(secret type, value) for each secret detect-secrets finds on ``line``, filtered as above."""
    library = _load()
    h = library.heuristic
    if h.is_indirect_reference(line):
        return set()
    return {
        (plugin.secret_type, secret)
        for plugin in library.plugins
        for secret in _values(plugin, line)
        if not (
            secret.lower().startswith(_REFERENCE_PREFIXES)
            or secret.lower() in _PLACEHOLDER_WORDS
            or len(set(secret)) < 2
            or h.is_sequential_string(secret)
            or h.is_potential_uuid(secret)
            or h.is_likely_id_string(secret, line, plugin)
            or h.is_templated_secret(secret)
            or h.is_prefixed_with_dollar_sign(secret)
            or h.is_not_alphanumeric_string(secret)
        )
    }


def _values(plugin: Any, line: str) -> Iterable[str]:
    values: Iterable[str] = plugin.analyze_string(line)
    return values
