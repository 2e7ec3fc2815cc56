"""Blob Storage model artifacts read by ``--inspect-artifacts`` (collected by :mod:`cspm.providers.azure.artifacts`)."""

from __future__ import annotations

from typing import ClassVar

from cspm.resources.artifacts import ModelArtifact


class AzureBlobModelArtifact(ModelArtifact):
    """A model artifact in Azure Blob Storage (an Azure ML model asset version's files). ``uid``
    and ``name`` are the blob's URL (``https://<account>.blob.<suffix>/<container>/<path>``);
    ``etag`` the blob's ETag (what the conditional read is pinned to, ``If-Match``)."""

    resource_type: ClassVar[str] = "azure.artifacts.model_artifact"
