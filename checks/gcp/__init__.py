"""GCP checks. ``MODULES`` lists the check modules explicitly."""

MODULES: tuple[str, ...] = ("iam", "storage", "vertex", "workbench", "lineage")
