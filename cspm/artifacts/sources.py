"""Which resource loads which model artifact: one table entry per resource type.

``SOURCES[resource_type](resource, packages)`` gives the artifact URIs the resource loads, or
None when they cannot be known (a model package it names was not collected). The artifact
collector reads every URI of every resource of these types; the ``*model_artifact_*`` checks ask
the same function which artifacts decide their verdict. Adding a resource type that loads model
artifacts (Azure ML model assets) is one entry here, plus its three thin checks.

A URI ending in ``/`` is a prefix (a Bedrock imported model loads a folder of weights): the
collector lists it and inspects each model file under it (:func:`is_prefix`, :func:`under`).
Bedrock custom models have no entry: their weights are AWS-managed and not readable by the
customer (docs/artifacts.md).

Pure: snapshots in, URIs out; no SDK.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Final

from cspm.resources.aws.bedrock import ImportedModel
from cspm.resources.aws.sagemaker import Model, ModelPackage
from cspm.resources.azure.ml_assets import MlModel
from cspm.resources.base import Resource
from cspm.resources.gcp.vertex import VertexModel

Packages = Mapping[str, ModelPackage]  # by ARN and by name, lower-cased


class Unresolved(ValueError):
    """The artifacts of a resource cannot be known (the reason is the message)."""


def _dedupe(uris: Iterable[str | None]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(u for u in uris if u))


def _package_uris(package: ModelPackage) -> tuple[str, ...]:
    if package.containers is None:
        raise Unresolved(f"model package {package.name} could not be described")
    return _dedupe(c.model_data_url for c in package.containers)


def _sagemaker_model(model: Resource, packages: Packages) -> tuple[str, ...]:
    assert isinstance(model, Model)
    if model.containers is None:
        raise Unresolved("the model's containers could not be read")
    uris: list[str | None] = []
    for container in model.containers:
        uris.append(container.model_data_url)
        if container.model_package_name and not container.model_data_url:
            package = packages.get(container.model_package_name.lower())
            if package is None:
                raise Unresolved(f"model package {container.model_package_name} was not collected")
            uris.extend(_package_uris(package))
    return _dedupe(uris)


def _sagemaker_package(package: Resource, packages: Packages) -> tuple[str, ...]:
    assert isinstance(package, ModelPackage)
    return _package_uris(package)


def _bedrock_imported_model(model: Resource, packages: Packages) -> tuple[str, ...]:
    assert isinstance(model, ImportedModel)
    if model.source_s3_uri is None:
        raise Unresolved("the imported model's source (modelDataSource.s3DataSource.s3Uri) could not be read")
    return (as_prefix(model.source_s3_uri),)


def _vertex_model(model: Resource, packages: Packages) -> tuple[str, ...]:
    """A Vertex AI model loads the folder ``artifactUri`` names (its own, not its versions');
    a model without one (AutoML, a custom container with the weights baked in) loads none."""
    assert isinstance(model, VertexModel)
    return (as_prefix(model.artifact_uri),) if model.artifact_uri else ()


def _azure_ml_model(model: Resource, packages: Packages) -> tuple[str, ...]:
    """An Azure ML model asset version loads the blob (or, for MLflow and Triton models, the
    folder) its modelUri resolves to; one whose location could not be resolved is Unresolved."""
    assert isinstance(model, MlModel)
    if model.artifact_blob_uri is None:
        raise Unresolved(model.artifact_unresolved or "the model's files could not be located in Blob Storage")
    return (as_prefix(model.artifact_blob_uri) if model.artifact_is_folder else model.artifact_blob_uri,)


def as_prefix(uri: str) -> str:
    """A Bedrock model source is a folder, with or without its trailing slash."""
    return uri if uri.endswith("/") else uri + "/"


def is_prefix(uri: str) -> bool:
    return uri.endswith("/")


def under(prefix: str, uri: str) -> bool:
    """Whether the artifact ``uri`` was found under ``prefix`` (or is the prefix's own record)."""
    return uri.startswith(prefix)


# resource type -> the artifact URIs a resource of that type loads (raises Unresolved).
SOURCES: Final[dict[str, Callable[[Resource, Packages], tuple[str, ...]]]] = {
    "aws.sagemaker.model": _sagemaker_model,
    "aws.sagemaker.model_package": _sagemaker_package,
    "aws.bedrock.imported_model": _bedrock_imported_model,
    "gcp.vertex.model": _vertex_model,
    "azure.ml.model": _azure_ml_model,
}


def packages_index(packages: Iterable[Resource]) -> dict[str, ModelPackage]:
    index: dict[str, ModelPackage] = {}
    for package in packages:
        if isinstance(package, ModelPackage):
            index[package.uid.lower()] = package
            index[package.name.lower()] = package
    return index


def artifact_uris(resource: Resource, packages: Packages) -> tuple[str, ...]:
    """The URIs ``resource`` loads (raises :class:`Unresolved`)."""
    return SOURCES[resource.resource_type](resource, packages)
