"""S3 model artifacts read by ``--inspect-artifacts`` (collected by :mod:`cspm.providers.aws.artifacts`)."""

from __future__ import annotations

from typing import ClassVar

from cspm.resources.artifacts import ModelArtifact


class S3ModelArtifact(ModelArtifact):
    """A model artifact in S3. ``uid`` is the object's ARN (``arn:aws:s3:::bucket/key``), the id of
    its node in the lineage graph; ``name`` the ``s3://`` URI."""

    resource_type: ClassVar[str] = "aws.artifacts.model_artifact"
