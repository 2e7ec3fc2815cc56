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
2. **Provider keys detect-secrets has no detector for** (:data:`PROVIDER_KEYS`): Hugging Face
   (``hf_`` and 34+ letters and digits), Anthropic (``sk-ant-...``), OpenAI project, service-account
   and admin keys (``sk-proj-``/``sk-svcacct-``/``sk-admin-``; its OpenAI detector knows only the
   old format), Google API keys (``AIza`` + 35), GitHub fine-grained tokens (``github_pat_``).
   ``kind`` names the provider.
3. **Secret-named variables** — the key-name rule, for credentials in formats no detector knows.
   A key (a mapping key; in a script, ``NAME`` in ``NAME=value`` / ``export NAME="value"`` and
   ``name`` in a command-line option ``--name value`` / ``--name=value``) is normalised: camelCase
   split with ``_``, ``-``/``.``/spaces replaced by ``_``, upper-cased.
   It is *secret-named* when

   - it contains ``SECRET``, ``PASSWORD``, ``PASSWD`` or ``PASSPHRASE``, or
   - its last ``_``-separated word is ``PW``, ``PWD``, ``PASS``, ``CRED``, ``CREDS``, ``CREDENTIAL(S)``
     or ``SECRETS`` (``pw``, ``DB_PASS``, ``gitCreds``; never ``compass``, ``bypass``, ``credits``,
     ``pass_through``), or
   - it is ``TOKEN`` or ends with ``_TOKEN`` (``HF_TOKEN``, ``HUGGING_FACE_HUB_TOKEN``,
     ``GITHUB_TOKEN``), or
   - it ends with ``API_KEY``, ``APIKEY``, ``ACCESS_KEY``, ``PRIVATE_KEY`` or ``AUTH_KEY``
     (``WANDB_API_KEY``, ``OPENAI_API_KEY``, ``AWS_SECRET_ACCESS_KEY``),

   and it does **not** end with a suffix that names a reference rather than a value: ``_ARN``,
   ``_NAME``, ``_ID``, ``_PATH``, ``_FILE``, ``_DIR``, ``_URI``, ``_URL``, ``_ENDPOINT``,
   ``_REGION`` (``SECRET_ARN``, ``AWS_WEB_IDENTITY_TOKEN_FILE``, ``AWS_ACCESS_KEY_ID``), and its
   last word does not say it is *about* a secret (``POLICY``, ``LENGTH``, ``ROTATION``, ``LIMIT``,
   ... :data:`_METADATA_WORDS`: ``password_policy``, ``token_limit``; a ``Secret Keyword`` hit on
   such a key is dropped too).
   Its value must look like a literal credential: at least 8 characters after trimming, no
   whitespace, none of ``< > [ ] { }`` (placeholders and tokenizer symbols such as ``<pad>``),
   not one character repeated (``********``), not a reference (starting with ``$``, ``arn:``,
   ``/``, ``s3://``, ``file://``, ``http://``, ``https://``) and not one of ``undefined``,
   ``placeholder``, ``redacted``. ``kind`` = ``"Secret-named variable"``; it is
   reported only for a key or line on which no detector of steps 1-2 fired.
4. **Secrets in prose and shell idioms** (``_TEXT_RULES``), for a key or line where steps 1-3
   found nothing: "the root password is X" / "password: X" / "API key = X" (X of 6+ characters
   that is not a plain word such as "required"); ``mysql -uroot -pX`` (MySQL/MariaDB clients) and
   ``sshpass -p X``; ``echo "X" | sudo -S``; ``Authorization: Bearer X``. ``kind`` =
   ``"Password in text"``, ``"Password on a command line"`` or ``"Bearer token"``.

:func:`redact` replaces each secret where it stands (``<redacted: KIND>``) and keeps the text
around it; the engine applies it to API error messages, tag values (:func:`redact_tags`) and every
finding's message and evidence (:func:`redact_finding`), so that account text quoted by a check
never reaches a report, its other formats or the history store.

Cost: detect-secrets' ``KeywordDetector`` and its indirect-reference filter are the slow parts;
a line without one of the detector's keywords skips it, and the filter runs only on a line with a
detection. Redacted strings are memoised (findings repeat their messages).

detect-secrets is imported on the first call that has something to scan (about 0.2 s), so
``cspm --help`` never loads it; a scan does when it builds its report. The functions are
thread-safe.
"""

from __future__ import annotations

import functools
import importlib
import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cspm.models import Finding

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
        kinds = _detected(f'{key}="{value}"') | _provider_kinds(value)
        if is_reference_name(key) or is_metadata_name(key):
            # SECRET_ARN="...", DB_PASSWORD_NAME="...": a pointer to a secret;
            # password_policy="...": something about secrets
            kinds.discard(KEYWORD)
        if not kinds and is_secret_named(key) and looks_like_literal(value):
            kinds = {SECRET_NAMED}
        kinds = kinds or _text_kinds(value)
        hits.update(SecretHit(key, kind) for kind in kinds)
    return sorted(hits)


def find_secrets_in_text(text: str) -> list[LineSecretHit]:
    """The lines of ``text`` that hold secrets (see the module docstring)."""
    hits: set[LineSecretHit] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        kinds = _detected(line) | _provider_kinds(line)
        if not kinds and any(is_secret_named(k) and looks_like_literal(v) for k, v in _assignments(line)):
            kinds = {SECRET_NAMED}
        kinds = kinds or _text_kinds(line)
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
    spans = sorted(
        [(span, kind) for kind, value in _detections(line) for span in _token_spans(line, value)]
        + [((start, end), kind) for start, end, kind in _own_spans(line)]
    )
    clean, last = [], 0
    for (left, right), kind in spans:
        if left < last:
            continue  # overlaps a span already redacted
        clean.append(line[last:left] + f"<redacted: {kind}>")
        last = right
    clean.append(line[last:])
    return _redact_named("".join(clean))


def _redact_named(line: str) -> str:
    clean = line
    for key, value in _assignments(line):
        if is_secret_named(key) and looks_like_literal(value) and not value.startswith("<redacted"):
            clean = clean.replace(value, f"<redacted: {SECRET_NAMED}>")
    return clean


def redact_tags(tags: Mapping[str, str]) -> dict[str, str]:
    """Tags with every secret replaced by ``<redacted: KIND>``: where the secret stands in the
    value when a rule can say where (``"the root password is <redacted: ...>"``), else the whole
    value (a secret-named key such as ``pw``, or a detector that fired on ``key="value"``)."""
    hits = {hit.key: hit.kind for hit in find_secrets(tags)} if tags else {}
    clean = {}
    for key, value in tags.items():
        if key in hits:
            redacted = redact(value)
            clean[key] = redacted if redacted != value else f"<redacted: {hits[key]}>"
        else:
            clean[key] = value
    return clean


def redact_finding(finding: Finding) -> Finding:
    """``finding`` with :func:`redact` applied to its message and evidence, which checks build
    from account text (a security group rule's description, a resource's name); the same object
    when nothing changed."""
    message, evidence = _redact_cached(finding.message), redact_data(finding.evidence)
    if message is finding.message and evidence is finding.evidence:
        return finding
    return finding.model_copy(update={"message": message, "evidence": evidence})


def redact_data(data: Any) -> Any:
    """``data`` (a finding's evidence: dicts, lists, strings, numbers) with :func:`redact` applied
    to every string value; the same object when nothing changed."""
    if isinstance(data, str):
        return _redact_cached(data)
    if isinstance(data, dict):
        items = {key: redact_data(value) for key, value in data.items()}
        return data if all(items[k] is data[k] for k in data) else items
    if isinstance(data, list | tuple):
        values = [redact_data(value) for value in data]
        return data if all(a is b for a, b in zip(values, data, strict=True)) else type(data)(values)
    return data


def _redact_cached(text: str) -> str:
    """:func:`redact`, remembered (findings repeat their messages and evidence values); ``text``
    itself when it holds no secret."""
    clean = _redacted_or_none(text)
    return text if clean is None else clean


@functools.lru_cache(maxsize=8192)
def _redacted_or_none(text: str) -> str | None:
    clean = redact(text)
    return None if clean == text else clean


# ---------------------------------------------------------------------------------------------
# The key-name rule
# ---------------------------------------------------------------------------------------------

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SEPARATORS = re.compile(r"[-.\s]+")
_SECRET_WORDS = ("SECRET", "PASSWORD", "PASSWD", "PASSPHRASE")
_SECRET_NAME = re.compile(r"(^|_)TOKEN$|(API_?KEY|ACCESS_KEY|PRIVATE_KEY|AUTH_KEY)$")
# Short secret words count only as the whole last word of the name: ``DB_PASS``, ``pw``,
# ``gitCreds``; never inside another word (``compass``, ``bypass``, ``credits``) or before one
# (``pass_through``).
_SHORT_WORDS = frozenset({"PW", "PWD", "PASS", "CRED", "CREDS", "CREDENTIAL", "CREDENTIALS", "SECRETS"})
_REFERENCE_SUFFIXES = ("_ARN", "_NAME", "_ID", "_PATH", "_FILE", "_DIR", "_URI", "_URL", "_ENDPOINT", "_REGION")
# A last word that makes the name describe a secret rather than hold one: ``password_policy``,
# ``PASSWORD_MIN_LENGTH``, ``secret_rotation_days``.
_METADATA_WORDS = frozenset(
    {
        "POLICY", "POLICIES", "LENGTH", "LEN", "AGE", "DAYS", "EXPIRY", "EXPIRES", "EXPIRATION", "ROTATION",
        "RESET", "REQUIRED", "ENABLED", "DISABLED", "LIMIT", "COUNT", "TYPE", "FORMAT", "VERSION", "HINT",
        "PROMPT", "STRENGTH", "COMPLEXITY", "MANAGER", "STORE", "BACKEND", "PROVIDER",
    }
)  # fmt: skip
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


def is_metadata_name(key: str) -> bool:
    """Whether ``key`` names something about a secret (``password_policy``), not a secret."""
    return normalise_key(key).rsplit("_", 1)[-1] in _METADATA_WORDS


def is_secret_named(key: str) -> bool:
    """Whether ``key`` is named like a variable that holds a credential (see the module docstring)."""
    name = normalise_key(key)
    if name.endswith(_REFERENCE_SUFFIXES):
        return False
    last = name.rsplit("_", 1)[-1]
    if last in _METADATA_WORDS:
        return False
    return last in _SHORT_WORDS or any(word in name for word in _SECRET_WORDS) or bool(_SECRET_NAME.search(name))


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


# ---------------------------------------------------------------------------------------------
# Our own rules: provider keys detect-secrets has no detector for, and secrets in prose and
# shell commands
# ---------------------------------------------------------------------------------------------

_NOT_BEFORE = r"(?<![A-Za-z0-9_-])"
_NOT_AFTER = r"(?![A-Za-z0-9_-])"

# (kind, pattern): the whole match is the secret. Each is here because detect-secrets 1.5 has no
# detector for it (its OpenAI detector needs the ``T3BlbkFJ`` marker of the old key format).
PROVIDER_KEYS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # Hugging Face user access tokens: detect-secrets has none.
    (HUGGING_FACE, re.compile(r"(?<![A-Za-z0-9])hf_[A-Za-z0-9]{34,}(?![A-Za-z0-9])")),
    # Anthropic API and admin keys (sk-ant-api03-..., sk-ant-admin01-...): detect-secrets has none.
    ("Anthropic API Key", re.compile(_NOT_BEFORE + r"sk-ant-[A-Za-z0-9_-]{20,}")),
    # OpenAI project, service-account and admin keys: detect-secrets' OpenAI detector misses them.
    ("OpenAI API Key", re.compile(_NOT_BEFORE + r"sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}")),
    # Google API keys: detect-secrets has none.
    ("Google API Key", re.compile(_NOT_BEFORE + r"AIza[0-9A-Za-z_-]{35}" + _NOT_AFTER)),
    # GitHub fine-grained personal access tokens: detect-secrets knows only ghp_/gho_/... tokens.
    ("GitHub Token", re.compile(_NOT_BEFORE + r"github_pat_[A-Za-z0-9_]{22,}")),
)

PASSWORD_IN_TEXT = "Password in text"
COMMAND_LINE_PASSWORD = "Password on a command line"
BEARER_TOKEN = "Bearer token"

# (kind, pattern, minimum length): the group named ``secret`` is the secret. For text no
# detector reads: prose ("the root password is ..."), and shell idioms that pass a password.
_TEXT_RULES: tuple[tuple[str, re.Pattern[str], int], ...] = (
    # "the root password is X", "password: X", "API token = X", "creds were X"
    (
        PASSWORD_IN_TEXT,
        re.compile(
            r"(?<![\w:/.-])(?:password|passwd|passphrase|pwd|pw|pass|secret|token|api[ _-]?key|credentials?|creds)"
            r"(?:\s+(?:is|was|are|were)\s*[:=]?|\s*[:=])\s*(?P<q>[\"']?)(?P<secret>[^\s\"']+)(?P=q)",
            re.IGNORECASE,
        ),
        6,
    ),
    # mysql -uroot -pS3cret (the password glued to -p), for the MySQL/MariaDB clients; sshpass -p X
    (
        COMMAND_LINE_PASSWORD,
        re.compile(
            r"\b(?:mysql\w*|mariadb\w*|mysqldump|mysqladmin)\b[^|;&\n]*?(?<!\S)-p(?P<q>[\"']?)(?P<secret>[^\s\"']+)(?P=q)"
        ),
        1,
    ),
    (COMMAND_LINE_PASSWORD, re.compile(r"\bsshpass\s+-p\s*(?P<q>[\"']?)(?P<secret>[^\s\"']+)(?P=q)"), 1),
    # echo "S3cret" | sudo -S ...: the password piped to sudo's standard input
    (
        COMMAND_LINE_PASSWORD,
        re.compile(
            r"\becho\s+(?:-[neE]+\s+)?(?P<q>[\"']?)(?P<secret>[^\s\"'|]+)(?P=q)\s*\|\s*sudo\b[^|;&\n]*?(?<!\S)-[A-Za-z]*S"
        ),
        1,
    ),
    # Authorization: Bearer <token>, whatever issued the token
    (BEARER_TOKEN, re.compile(r"\bBearer\s+(?P<secret>[A-Za-z0-9._~+/=-]{16,})", re.IGNORECASE), 16),
)
# A word each rule of _TEXT_RULES needs (lower case): a line without it is not searched.
_TEXT_RULE_WORDS = (
    ("pass", "pw", "secret", "token", "key", "cred"),
    ("mysql", "mariadb"),
    ("sshpass",),
    ("sudo",),
    ("bearer",),
)
_PROSE_WORD = re.compile(r"[A-Za-z][a-z]*")  # "required", "Unchanged": a word, not a password


def _own_spans(line: str) -> list[tuple[int, int, str]]:
    """(start, end, kind) of every secret our own rules find on ``line``."""
    return _provider_spans(line) + _text_spans(line)


def _provider_spans(line: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), kind) for kind, pattern in PROVIDER_KEYS for m in pattern.finditer(line)]


def _text_spans(line: str) -> list[tuple[int, int, str]]:
    spans = []
    lowered = line.lower()
    for (kind, pattern, minimum), words in zip(_TEXT_RULES, _TEXT_RULE_WORDS, strict=True):
        if not any(word in lowered for word in words):
            continue
        for match in pattern.finditer(line):
            start, end = match.span("secret")
            value = line[start:end]
            if kind == PASSWORD_IN_TEXT:  # prose: a trailing full stop is not part of it
                value = value.rstrip(".,;:!?)")
                end = start + len(value)
            if len(value) >= minimum and _is_secret_value(value, prose=kind == PASSWORD_IN_TEXT):
                spans.append((start, end, kind))
    return spans


def _is_secret_value(value: str, *, prose: bool) -> bool:
    lowered = value.lower()
    if lowered.startswith(_REFERENCE_PREFIXES) or lowered in _PLACEHOLDER_WORDS or len(set(value)) < 2:
        return False
    if _PLACEHOLDER_CHARS.intersection(value) or value.startswith(("<redacted", "%", "`")):
        return False
    return not (prose and _PROSE_WORD.fullmatch(value))


def _provider_kinds(text: str) -> set[str]:
    return {kind for _, _, kind in _provider_spans(text)}


def _text_kinds(text: str) -> set[str]:
    return {kind for _, _, kind in _text_spans(text)}


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
    # Every pattern of the KeywordDetector contains one of its keywords: a line without one is
    # not given to it (the detector is by far the slowest; most text has no keyword).
    keywords: re.Pattern[str]


# Each keyword of the KeywordDetector contains one of these: a cheaper test before its regex.
_KEYWORD_PARTS = ("key", "pass", "pwd", "secret", "contras")

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
        keywords = re.compile("|".join(importlib.import_module("detect_secrets.plugins.keyword").DENYLIST), re.I)
    finally:
        warnings.showwarning = showwarning
    library_log = logging.getLogger("detect-secrets")
    library_log.handlers.clear()
    library_log.addHandler(logging.NullHandler())
    library_log.propagate = False
    return _Library(plugins=plugins, heuristic=heuristic, keywords=keywords)


def _detected(line: str) -> set[str]:
    """The secret types detect-secrets finds on ``line``, after its default heuristic filters."""
    return {kind for kind, _ in _detections(line)}


def _detections(line: str) -> set[tuple[str, str]]:
    """(secret type, value) for each secret detect-secrets finds on ``line``, filtered as above."""
    library = _load()
    h = library.heuristic
    lowered = line.lower()
    has_keyword = any(word in lowered for word in _KEYWORD_PARTS) and library.keywords.search(line) is not None
    found = {
        (plugin.secret_type, secret)
        for plugin in library.plugins
        if has_keyword or plugin.secret_type != KEYWORD
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
    # The indirect-reference filter (x = get_secret()) is as slow as every detector together:
    # asked only when there is something to filter.
    if found and h.is_indirect_reference(line):
        return set()
    return found


def _values(plugin: Any, line: str) -> Iterable[str]:
    values: Iterable[str] = plugin.analyze_string(line)
    return values
