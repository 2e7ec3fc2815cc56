"""cspm: a cloud security posture scanner for AI workloads."""

__version__ = "0.1.0"
__all__ = ["__version__"]
