"""Exceptions the CLI turns into one-line messages and documented exit codes.

    CspmError                   base; never shown with a traceback unless --debug
     ├── UsageError             exit 2: a bad flag, an unknown check or service, a bad file
     │    └── MissingExtra      exit 2: the command needs an optional extra that is not installed
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


class MissingExtra(UsageError):
    """A cloud SDK (or the demo's simulator) that the command needs is not installed."""

    def __init__(self, extra: str, module: str) -> None:
        super().__init__(
            f"this command needs the '{extra}' extra (no module named {module!r}): pip install 'cspm[{extra}]'"
        )
        self.extra = extra
        self.module = module


# Top-level modules of the optional extras (pyproject.toml), and the extra that installs each.
EXTRA_OF_MODULE: dict[str, str] = {
    "boto3": "aws",
    "botocore": "aws",
    "detect_secrets": "aws",
    "azure": "azure",
    "google": "gcp",
    "moto": "demo",
    "flask": "demo",
    "flask_cors": "demo",
    "psycopg": "postgres",
    "dask": "distributed",
    "distributed": "distributed",
    "picklescan": "artifacts",
    "model_signing": "signing",
    "cyclonedx": "aibom",
    "OpenSSL": "signing",
}


def extra_of(module: str) -> str:
    """The extra that installs ``module`` (a dotted name), e.g. ``azure.mgmt.storage`` -> ``azure``."""
    return EXTRA_OF_MODULE[module.split(".", maxsplit=1)[0]]


def missing_extra(exc: ModuleNotFoundError) -> MissingExtra | None:
    """The extra that provides the module ``exc`` could not import, or None when it is no extra's
    (then the missing module is a bug or a broken install, not a missing extra)."""
    top = (exc.name or "").partition(".")[0]
    extra = EXTRA_OF_MODULE.get(top)
    return MissingExtra(extra, exc.name or top) if extra else None


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
