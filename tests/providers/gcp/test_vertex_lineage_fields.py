"""The Vertex AI fields the lineage reads (cspm/lineage_gcp.py), parsed from REST shapes: a training
pipeline's inputDataConfig and modelId, a dataset's metadata.inputConfig.gcsSource.uri."""

from __future__ import annotations

from cspm.demo.gcp_lineage import with_gcs_source, with_input_data
from cspm.providers.gcp.vertex import dataset_from_api, training_pipeline_from_api
from support.gcp import PROJECT, training_pipeline, vertex_dataset


def test_pipeline_input_data_and_model_id() -> None:
    raw = with_input_data(training_pipeline("p"), dataset_id="42", export_uri="gs://b/splits/", model_id="m-1")
    pipeline = training_pipeline_from_api(raw, PROJECT, "us-central1")
    assert (pipeline.dataset_id, pipeline.data_export_uri, pipeline.model_id) == ("42", "gs://b/splits/", "m-1")
    bare = training_pipeline_from_api(training_pipeline("p"), PROJECT, "us-central1")
    assert (bare.dataset_id, bare.data_export_uri, bare.model_id) == (None, None, None)


def test_dataset_gcs_sources_list_or_string_and_absent() -> None:
    listed = with_gcs_source(vertex_dataset("d"), "gs://b/a.csv", "gs://b/b.csv")
    assert dataset_from_api(listed, PROJECT, "us-central1").gcs_sources == ("gs://b/a.csv", "gs://b/b.csv")
    single = vertex_dataset("d") | {"metadata": {"inputConfig": {"gcsSource": {"uri": "gs://b/one.csv"}}}}
    assert dataset_from_api(single, PROJECT, "us-central1").gcs_sources == ("gs://b/one.csv",)
    bigquery = vertex_dataset("d") | {"metadata": {"inputConfig": {"bigquerySource": {"uri": "bq://p.d.t"}}}}
    assert dataset_from_api(bigquery, PROJECT, "us-central1").gcs_sources == ()
    assert dataset_from_api(vertex_dataset("d") | {"metadata": "junk"}, PROJECT, "us-central1").gcs_sources == ()
