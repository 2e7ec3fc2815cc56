"""Exceptions the CLI turns into one-line messages and documented exit codes.

    CspmError                   base; never shown with a traceback unless --debug
     ├── UsageError             exit 2: a bad flag, an unknown check or service, a bad file
     └── ScanError              exit 1: no credentials, unreachable endpoint, nothing could be scanned
          └── CredentialsError  exit 1: credentials missing, invalid or expired

Collection problems during a scan are *not* exceptions: they are recorded in the report's
``errors`` and the checks that needed the data answer ERROR.
"""

from __future__ import annotations


class CspmError(Exception):
    exit_code = 1


class UsageError(CspmError):
    exit_code = 2


class ScanError(CspmError):
    exit_code = 1


class CredentialsError(ScanError):
    pass


class ExitCode:
    OK = 0
    RUNTIME = 1
    USAGE = 2
    FAILING_FINDINGS = 3
    INCOMPLETE = 4
