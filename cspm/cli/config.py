"""The configuration file: defaults for the options of every command (docs/cli.md).

Found at ``--config FILE`` (or ``$CSPM_CONFIG``), else ``./cspm.toml``, else
``$XDG_CONFIG_HOME/cspm/config.toml`` (``~/.config/cspm/config.toml``); only the first that
exists is read. A table names a command (``[scan.aws]``, ``[demo]``, ``[diff]``,
``[checks.list]``); its keys are that command's long option names without the dashes::

    [scan]                      # every `cspm scan` cloud
    output-dir = "/var/lib/cspm/latest"
    output-formats = ["json", "html"]
    fail-on = "high"

    [scan.aws]
    profile = "audit"
    region = ["us-east-1", "eu-west-1"]

The values become click's ``default_map``: a flag on the command line wins, then an environment
variable the option reads (``CSPM_STORE``), then the file, then the built-in default. An unknown
table or key, or a value the option would refuse, is a :class:`UsageError` (exit 2) whose one
line names the file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cspm.errors import UsageError

FILE_NAME = "cspm.toml"
_CHOICES = re.compile(r"^\[([^\]]+)\](,\.\.\.)?$")  # the metavar of an enumerated option


def config_path(explicit: Path | None, *, cwd: Path | None = None, env: Mapping[str, str] | None = None) -> Path | None:
    """The configuration file to read: ``explicit``, else the first of ./cspm.toml and
    $XDG_CONFIG_HOME/cspm/config.toml that exists, else None."""
    if explicit is not None:
        return explicit
    env = os.environ if env is None else env
    home = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    for candidate in ((cwd or Path.cwd()) / FILE_NAME, Path(home) / "cspm" / "config.toml"):
        if candidate.is_file():
            return candidate
    return None


def load_default_map(path: Path, root: Any) -> dict[str, Any]:
    """The click ``default_map`` of the file at ``path`` for the command tree ``root``."""
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"config {path}: cannot be read: {exc.strerror or exc}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"config {path}: not valid TOML: {exc}") from exc
    if loose := [k for k, v in data.items() if not isinstance(v, dict)]:
        raise UsageError(
            f"config {path}: key {loose[0]!r} is outside a table; put options under the command they are for, "
            "e.g. [scan] or [scan.aws]"
        )
    return _group_defaults(path, data, root, (), {})


# key -> (value, the table that set it): a [scan] key applies to every `cspm scan` cloud.
Values = Mapping[str, tuple[Any, str]]


def _group_defaults(
    path: Path, data: Mapping[str, Any], cmd: Any, where: tuple[str, ...], inherited: Values
) -> dict[str, Any]:
    subcommands: dict[str, Any] = getattr(cmd, "commands", {})
    tables = {k: v for k, v in data.items() if isinstance(v, dict)}
    table = ".".join(where)
    own = {**inherited, **{k: (v, table) for k, v in data.items() if not isinstance(v, dict)}}
    if not subcommands:
        if tables:
            raise _unknown(path, "table", [".".join((*where, next(iter(tables))))], [])
        return _command_defaults(path, own, cmd, where)
    if unknown := [k for k in tables if k not in subcommands]:
        raise _unknown(path, "table", [".".join((*where, unknown[0]))], [".".join((*where, k)) for k in subcommands])
    out: dict[str, Any] = {}
    for name, sub in subcommands.items():
        if name in tables or own:
            defaults = _group_defaults(path, tables.get(name, {}), sub, (*where, name), own)
            if defaults:
                out[name] = defaults
    return out


def _command_defaults(path: Path, values: Values, cmd: Any, where: tuple[str, ...]) -> dict[str, Any]:
    from typer._click import Context
    from typer._click.exceptions import BadParameter

    options = {
        opt[2:]: param
        for param in cmd.params
        if param.param_type_name == "option" and not param.hidden
        for opt in param.opts
        if opt.startswith("--")
    }
    out: dict[str, Any] = {}
    for key, (raw, table) in values.items():
        param = options.get(key)
        if param is None:
            command = " ".join(where)
            kind = (
                f"key in [{table}]" if table == command.replace(" ", ".") else f"key in [{table}] for 'cspm {command}'"
            )
            raise _unknown(path, kind, [key], sorted(options))
        value = _toml_value(path, table, key, param, raw)
        try:
            param.process_value(Context(cmd), value)
        except BadParameter as exc:
            raise UsageError(f"config {path}: [{table}] {key}: {exc.format_message()}") from exc
        _check_choices(path, table, key, param.metavar, value)
        out[param.name] = value
    return out


def _toml_value(path: Path, table: str, key: str, param: Any, value: Any) -> Any:
    """The TOML value in the shape the option takes: a list (or one comma-separated string) for
    a repeatable option, true/false for a flag, a string or number otherwise."""
    where = f"config {path}: [{table}] {key}"
    if param.multiple:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(i, str | int) and not isinstance(i, bool) for i in items):
            raise UsageError(f"{where}: expected a list of strings, got {value!r}")
        return [str(i) for i in items]
    if param.is_flag:
        if not isinstance(value, bool):
            raise UsageError(f"{where}: expected true or false, got {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise UsageError(f"{where}: expected a string or a number, got {value!r}")
    return value


def _check_choices(path: Path, table: str, key: str, metavar: str | None, value: Any) -> None:
    match = _CHOICES.match(metavar or "")
    if match is None:
        return
    valid = match.group(1).split("|")
    given = value if isinstance(value, list) else [value]
    parts = [p.strip() for v in given for p in str(v).split(",") if p.strip()]
    if bad := [p for p in parts if p.lower() not in valid]:
        raise UsageError(f"config {path}: [{table}] {key}: unknown value {bad[0]!r}; valid: {', '.join(valid)}")


def _unknown(path: Path, kind: str, given: list[str], valid: list[str]) -> UsageError:
    from cspm.suggest import unknown_choice

    return UsageError(f"config {path}: {unknown_choice(kind, given, valid)}")
