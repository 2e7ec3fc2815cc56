"""Azure checks. ``MODULES`` lists the check modules explicitly."""

MODULES: tuple[str, ...] = ("storage", "ml", "cognitiveservices", "authorization", "keyvault", "lineage")
