"""Frozen snapshots of cloud resources: what providers produce and checks read.

A field that could not be read is ``None``; checks answer ERROR for it, never PASS.
"""

from cspm.resources.base import Resource, Scope, Snapshot

__all__ = ["Resource", "Scope", "Snapshot"]
