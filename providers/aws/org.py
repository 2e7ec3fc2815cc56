"""Whole AWS organizations: which accounts to scan, and a session in each.

- :func:`list_accounts`: every account of the organization (``organizations:ListAccounts``,
  paginated), called from the management account or a delegated administrator account.
- :func:`choose`: ``--accounts`` / ``--exclude-accounts`` applied to that list. An id named in
  ``--accounts`` that is not in the organization is a usage error; accounts that are not ACTIVE
  (suspended, closing) cannot be scanned and are reported as such.
- :func:`assumed_credentials`: the credentials of one account, from ``sts:AssumeRole`` into its
  role, renewed automatically before they expire (botocore's refreshable credentials), so a scan
  longer than the role's session duration goes on. When renewing fails (the role was deleted,
  the account suspended mid-scan), every later call of that account raises
  :class:`~cspm.providers.aws.context.AssumeRoleFailed` at once, which the context records as a
  failed ``sts:AssumeRole`` for that account; the other accounts go on.

The accounts share one set of clients (see :class:`~cspm.providers.aws.context.ClientFactory`):
each request is signed with the credentials of the account it is made for.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import botocore.credentials
import botocore.exceptions

from cspm.errors import ScanError, UsageError
from cspm.inputs import one_line
from cspm.providers.aws.context import AssumeRoleFailed, classify

DEFAULT_ROLE_NAME: Final = "OrganizationAccountAccessRole"
SESSION_NAME: Final = "cspm-scan"
ACTIVE: Final = "ACTIVE"
# What the caller needs for --org, besides what `cspm permissions aws` lists for every account.
ORG_PERMISSIONS: Final = ("organizations:ListAccounts", "sts:AssumeRole")

_ACCOUNT_ID = re.compile(r"^\d{12}$")
_ROLE_ARN = re.compile(r"^arn:(?P<partition>aws[a-z-]*):iam::(?P<account>\d{12}):role/(?P<name>[\w+=,.@/-]+)$")


@dataclass(frozen=True)
class OrgAccount:
    """An account as ListAccounts describes it."""

    id: str
    name: str = ""
    state: str = ACTIVE  # ACTIVE, SUSPENDED, PENDING_CLOSURE, CLOSED, ...


@dataclass(frozen=True)
class Choice:
    """The accounts to scan, and the chosen ones that cannot be (not ACTIVE)."""

    scan: tuple[OrgAccount, ...]
    inactive: tuple[OrgAccount, ...] = ()
    excluded_unknown: tuple[str, ...] = field(default=())  # --exclude-accounts ids not in the organization


# ---------------------------------------------------------------------------------------------
# Options
# ---------------------------------------------------------------------------------------------


def account_ids(values: Iterable[str], option: str) -> tuple[str, ...]:
    """Validated 12-digit account ids, in the order given, without duplicates."""
    ids: list[str] = []
    for raw in values:
        value = raw.strip()
        if not _ACCOUNT_ID.match(value):
            raise UsageError(f"{option}: {value!r} is not an AWS account id (12 digits)")
        if value not in ids:
            ids.append(value)
    return tuple(ids)


def parse_role_arn(arn: str) -> tuple[str, str]:
    """(partition, account) of an IAM role ARN, or UsageError."""
    match = _ROLE_ARN.match(arn.strip())
    if not match:
        raise UsageError(f"--role-arn: {arn!r} is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)")
    return match.group("partition"), match.group("account")


def caller_identity(identity: Mapping[str, Any]) -> tuple[str, str]:
    """(account, partition) from an ``sts:GetCallerIdentity`` answer. An answer without a
    12-digit account or a well-formed ARN (a broken ``--endpoint-url``) is a :class:`ScanError`
    with one line, not an IndexError: the scan cannot know whose account it is reading."""
    account, arn = str(identity.get("Account") or ""), str(identity.get("Arn") or "")
    parts = arn.split(":", 5)
    if not _ACCOUNT_ID.fullmatch(account) or len(parts) < 6 or parts[0] != "arn" or not parts[1]:
        shown = one_line(f"Account {account!r}, Arn {arn!r}", 160)
        raise ScanError(f"the endpoint's sts:GetCallerIdentity answer is not an AWS identity ({shown})")
    return account, parts[1]


def role_arn(partition: str, account: str, role_name: str) -> str:
    return f"arn:{partition}:iam::{account}:role/{role_name.strip('/')}"


# ---------------------------------------------------------------------------------------------
# The organization's accounts
# ---------------------------------------------------------------------------------------------


def list_accounts(organizations: Any) -> list[OrgAccount]:
    """Every account of the organization. Raises the SDK's exceptions."""
    accounts = []
    for page in organizations.get_paginator("list_accounts").paginate():
        for raw in page.get("Accounts", []):
            # ``State`` replaces the deprecated ``Status`` (ACTIVE / SUSPENDED / PENDING_CLOSURE).
            state = str(raw.get("State") or raw.get("Status") or "UNKNOWN").upper()
            accounts.append(OrgAccount(id=str(raw["Id"]), name=str(raw.get("Name") or ""), state=state))
    return sorted(accounts, key=lambda a: a.id)


def choose(accounts: Sequence[OrgAccount], include: Sequence[str] = (), exclude: Sequence[str] = ()) -> Choice:
    """Apply ``--accounts`` and ``--exclude-accounts``. An included id that is not in the
    organization is a usage error: a typo must not turn into a silently smaller scan."""
    known = {a.id: a for a in accounts}
    unknown = [i for i in include if i not in known]
    if unknown:
        raise UsageError(
            f"--accounts: not in the organization: {', '.join(unknown)} "
            f"({len(known)} accounts listed by organizations:ListAccounts)"
        )
    wanted = [known[i] for i in include] if include else list(accounts)
    chosen = [a for a in wanted if a.id not in set(exclude)]
    return Choice(
        scan=tuple(a for a in chosen if a.state == ACTIVE),
        inactive=tuple(a for a in chosen if a.state != ACTIVE),
        excluded_unknown=tuple(i for i in exclude if i not in known),
    )


# ---------------------------------------------------------------------------------------------
# Sessions in other accounts
# ---------------------------------------------------------------------------------------------


class _Renewer:
    """Fetches the role's credentials for botocore's refreshable credentials. Once renewing has
    failed, it fails again at once: the account's remaining calls are not sent, and each one
    raises :class:`AssumeRoleFailed`, so each listing they belonged to is recorded."""

    def __init__(self, fetcher: botocore.credentials.AssumeRoleCredentialFetcher, arn: str) -> None:
        self._fetcher = fetcher
        self._arn = arn
        self._failure: dict[str, str] | None = None
        self._lock = threading.Lock()

    def __call__(self) -> dict[str, Any]:
        with self._lock:
            if self._failure is not None:
                raise AssumeRoleFailed(**self._failure)
            try:
                fetched: dict[str, Any] = self._fetcher.fetch_credentials()
            except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
                code, message = classify(exc)
                self._failure = {"role_arn": self._arn, "code": code, "message": message}
                raise AssumeRoleFailed(**self._failure) from exc
            return fetched


def assumed_credentials(
    sts: Callable[[], Any],
    arn: str,
    *,
    external_id: str | None = None,
) -> botocore.credentials.Credentials:
    """The credentials of role ``arn``, assumed through ``sts()`` (the caller's own STS client,
    shared by every account) and renewed before they expire. Nothing is sent until they are
    first used; :func:`verify` sends the first AssumeRole."""
    extra: dict[str, str] = {"RoleSessionName": SESSION_NAME}
    if external_id:
        extra["ExternalId"] = external_id
    fetcher = botocore.credentials.AssumeRoleCredentialFetcher(
        client_creator=lambda *_, **__: sts(),  # the shared client already holds the caller's credentials
        source_credentials=_Unused(),
        role_arn=arn,
        extra_args=extra,
    )
    return botocore.credentials.DeferredRefreshableCredentials(
        refresh_using=_Renewer(fetcher, arn), method="assume-role"
    )


def verify(credentials: botocore.credentials.Credentials) -> None:
    """Obtain the first credentials now (one AssumeRole). Raises AssumeRoleFailed."""
    credentials.get_frozen_credentials()


class _Unused(botocore.credentials.Credentials):
    """The fetcher freezes its source credentials before asking for a client; ours ignores them."""

    def __init__(self) -> None:
        super().__init__("unused", "unused")
