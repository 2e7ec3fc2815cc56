"""A policy document inside an API response is the account's text: a hostile or broken one is a
problem for that resource (the check answers ERROR), never an exception in the collector."""

from __future__ import annotations

import pytest

from cspm.providers.aws.ec2 import _endpoint_policy
from cspm.providers.aws.ecr import document_from_api
from cspm.providers.aws.kms import policy_from_api
from cspm.providers.aws.s3 import _policy
from cspm.providers.base import json_document

HOSTILE = [
    ("[" * 200_000, "nested deeper"),
    ('{"a": NaN}', "NaN"),
    ('{"a": ' + "9" * 100_000 + "}", "number"),
    ('{"a": 1e999}', "not valid JSON"),
    ('{"Version": "2012-10-17", "Statement": [', "not valid JSON"),
    ("", "not valid JSON"),
    ("[1, 2]", "not a JSON object"),
]


@pytest.mark.parametrize(("text", "said"), HOSTILE)
def test_a_hostile_document_is_a_problem_not_an_exception(text: str, said: str) -> None:
    document, problem = json_document(text, "bucket policy")
    assert document is None
    assert problem is not None and problem.startswith("the bucket policy is ")
    assert said in problem


@pytest.mark.parametrize("text", [t for t, _ in HOSTILE])
def test_every_collector_parser_uses_it(text: str) -> None:
    for document, problem in (
        _policy({"Policy": text}),
        policy_from_api({"Policy": text}),
        document_from_api({"policyText": text}, "policyText", "repository policy"),
        _endpoint_policy(text) if text else (None, "empty is no policy: {} below"),
    ):
        assert document is None and problem, (text[:20], document, problem)


def test_a_good_document_and_a_missing_one() -> None:
    assert json_document('{"Version": "2012-10-17"}', "key policy") == ({"Version": "2012-10-17"}, None)
    assert json_document(None, "key policy") == (None, "the key policy is not a JSON string")
    assert _endpoint_policy("") == ({}, None)  # no document: the endpoint has no policy (full access)
    assert policy_from_api({}) == (None, "the key policy is missing from the response")
