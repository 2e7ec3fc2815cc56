"""Cloud Storage model artifacts read by ``--inspect-artifacts`` (collected by :mod:`cspm.providers.gcp.artifacts`)."""

from __future__ import annotations

from typing import ClassVar

from cspm.resources.artifacts import ModelArtifact


class GcsModelArtifact(ModelArtifact):
    """A model artifact in Cloud Storage. ``uid`` is the object's full resource name
    (``//storage.googleapis.com/projects/_/buckets/B/objects/NAME``); ``name`` the ``gs://`` URI;
    ``etag`` the object's generation (what the conditional read is pinned to)."""

    resource_type: ClassVar[str] = "gcp.artifacts.model_artifact"
