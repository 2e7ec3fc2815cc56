"""Model artifact snapshots: what ``--inspect-artifacts`` read in a model file (cloud-agnostic
fields; each cloud has its resource type, e.g. :class:`cspm.resources.aws.artifacts.S3ModelArtifact`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from cspm.resources.base import Resource, Snapshot


class ImportFound(Snapshot):
    """An import a model file makes when loaded: a pickle GLOBAL, a Keras Lambda, a TF op."""

    module: str
    name: str
    member: str  # the file, or "model.tar.gz!model.pt!archive/data.pkl"


class SignatureCheck(Snapshot):
    """An OpenSSF Model Signing signature next to the artifact, and what verifying it said."""

    # verified | invalid (present, does not verify) | absent (no signature object) |
    # unverifiable (present, but no key/certificate/identity policy to verify it with, or an error)
    status: Literal["verified", "invalid", "absent", "unverifiable"]
    signature_uri: str | None = None
    method: str | None = None  # key | certificate | sigstore
    identity: str | None = None  # the signer the policy required
    detail: str | None = None
    # The signature object's version tag (S3 ETag, GCS generation) when it was read: a reused
    # verdict (--store) keeps its signature verdict only while this is unchanged.
    etag: str | None = None
    # SHA-256 of what the verdict was reached with (the key or certificates' bytes, the identity
    # and issuer): a reused verdict keeps its signature verdict only under the same verifier.
    verifier: str | None = None


class ModelArtifact(Resource):
    """One model artifact, read and inspected. A field that could not be determined is None.

    ``error``: the artifact could not be read at all (denied, vanished, changed while read, over
    the byte budget); ``problems``: it was read, but parts could not be inspected (a corrupt
    member, a decompression bomb, a truncated pickle, a tar member with ``..``)."""

    uri: str
    etag: str | None = None
    size: int | None = None
    sha256: str | None = None
    format: str | None = None  # of the object itself: pickle, tar.gz, safetensors, zip ...
    members: tuple[tuple[str, str], ...] = ()  # (member, format) of each model file found inside
    dangerous: tuple[ImportFound, ...] | None = None  # None: not determined
    unknown_imports: tuple[ImportFound, ...] = ()  # neither known safe nor known dangerous
    problems: tuple[str, ...] = ()
    error: str | None = None
    scanners: dict[str, str] = Field(default_factory=dict)  # name -> version
    bytes_read: int = 0
    reused_from: str | None = None  # the scan whose verdict was reused (same ETag and size)
    kms_key_id: str | None = None  # SSE-KMS key of the object (kms:Decrypt is needed to read it)
    # The scan's signing policy ("none" | "all" | "served"); None: signatures were not looked at.
    signing_policy: str | None = None
    signature: SignatureCheck | None = None  # None: not looked at (no policy, or not read)
