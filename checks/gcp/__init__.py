"""GCP checks. ``MODULES`` lists the check modules explicitly."""

MODULES: tuple[str, ...] = ("accesscontextmanager", "compute", "iam", "storage", "vertex", "workbench", "lineage")
