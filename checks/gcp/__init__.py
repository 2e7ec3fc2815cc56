"""GCP checks. ``MODULES`` lists the check modules explicitly."""

MODULES: tuple[str, ...] = ("storage", "vertex")
