"""``python -m cspm.cli``."""

from cspm.cli import entry

entry()
