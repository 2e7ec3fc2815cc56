"""The CLI on input nobody here wrote: generated JSON and YAML documents, valid-shaped and garbage.

Every command that reads a file (``policy lint``, ``diff``, ``lineage``, ``compliance``, the
``--mutelist`` of ``scan``) and the values that reach a parser (``--store`` URLs, ``--role-arn``,
the caller identity) must end in a documented exit code with one line on stderr: never
``internal error``. Nothing here touches the network; the store URLs are only parsed.

``CSPM_FUZZ_EXAMPLES`` sets the examples per test (default 40: the file runs in well under a
minute); a long local run: ``CSPM_FUZZ_EXAMPLES=400 pytest tests/test_cli_fuzz.py``.
"""

from __future__ import annotations

import atexit
import contextlib
import copy
import io
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cspm.cli import main
from cspm.errors import CspmError
from support.report_factory import make_report, varied_findings

EXAMPLES = int(os.environ.get("CSPM_FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
WORK = Path(tempfile.mkdtemp(prefix="cspm-fuzz-"))  # hypothesis reruns the body; one folder, files overwritten
atexit.register(shutil.rmtree, WORK, True)

# --- documents -------------------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(["*", "s3:*", "iam:PassRole", "arn:aws:s3:::b/*", "Allow", "Deny", "2012-10-17", "", "1"]),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)),
    max_leaves=12,
)
statements = st.fixed_dictionaries(
    {"Effect": st.sampled_from(["Allow", "Deny", "allow", 1])},
    optional={
        "Sid": st.text(max_size=8),
        "Action": st.one_of(st.sampled_from(["*", "s3:GetObject", "iam:*", "s3:Get*", "x"]), st.lists(st.text())),
        "NotAction": st.sampled_from(["s3:*", ["iam:PassRole"]]),
        "Resource": st.one_of(st.sampled_from(["*", "arn:aws:s3:::b/*", "arn:aws:iam::1:role/r"]), json_values),
        "Principal": st.one_of(st.just("*"), st.just({"AWS": "arn:aws:iam::123456789012:root"}), json_values),
        "Condition": st.one_of(
            st.just({"StringEquals": {"aws:SourceAccount": "123456789012"}}),
            st.just({"DateGreaterThan": {"aws:CurrentTime": "9999-99-99"}}),
            st.just({"NumericLessThan": {"s3:max-keys": "1" * 50}}),
            json_values,
        ),
    },
)
policies = st.fixed_dictionaries(
    {"Statement": st.one_of(statements, st.lists(statements, max_size=3), json_values)},
    optional={"Version": st.sampled_from(["2012-10-17", "2008-10-17", "1", 2]), "Id": json_values},
)
exports = st.fixed_dictionaries(
    {},
    optional={
        key: st.one_of(
            json_values,
            st.lists(
                st.fixed_dictionaries(
                    {"Arn": st.text(max_size=20)},
                    optional={
                        "RoleName": st.text(max_size=8),
                        "UserName": st.text(max_size=8),
                        "RolePolicyList": st.lists(
                            st.fixed_dictionaries({"PolicyName": json_values, "PolicyDocument": policies}), max_size=2
                        ),
                        "UserPolicyList": json_values,
                        "GroupList": json_values,
                        "AttachedManagedPolicies": json_values,
                        "AssumeRolePolicyDocument": st.one_of(policies, json_values),
                        "PolicyVersionList": st.lists(
                            st.fixed_dictionaries({"Document": policies, "IsDefaultVersion": st.booleans()}), max_size=2
                        ),
                    },
                ),
                max_size=2,
            ),
        )
        for key in ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")
    },
)


@cache
def base_report() -> dict[str, Any]:
    data: dict[str, Any] = make_report(varied_findings()[:4]).model_dump(mode="json")
    resource = data["findings"][0]["resource_uid"]
    data["lineage"] = {
        "nodes": [{"id": resource, "type": "aws.s3.bucket", "name": "b", "in_inventory": True}],
        "edges": [],
    }
    return data


@st.composite
def reports(draw: st.DrawFn) -> Any:
    """The base report with up to three values replaced (anywhere in the tree) or keys removed."""
    doc = copy.deepcopy(base_report())
    for _ in range(draw(st.integers(0, 3))):
        parent: Any = doc
        key: Any = None
        node: Any = doc
        while isinstance(node, dict | list) and node and draw(st.integers(0, 3)):
            keys = list(node) if isinstance(node, dict) else list(range(len(node)))
            parent, key = node, draw(st.sampled_from(keys))
            node = node[key]
        if key is None:
            continue
        if isinstance(parent, dict) and draw(st.booleans()):
            del parent[key]
        else:
            parent[key] = draw(json_values)
    return doc


INJECTIONS = [
    "NaN",
    "-Infinity",
    "1e999",
    "9" * 5000,
    "0." + "1" * 300,
    "[" * 3000,
    "{" * 200,
    '"\\ud800"',
    '"\\udc00\\ud800"',
    "\x00",
    '"k": 1, "k": 2, ',
    '"Effect": "Deny", ',
    "}",
    "]",
    ",",
    '"',
    "\u2028",
    "\ufeff",
]


@st.composite
def json_texts(draw: st.DrawFn, shaped: st.SearchStrategy[Any]) -> bytes:
    """A JSON document as bytes: shaped, then maybe truncated, injected or replaced by garbage."""
    choice = draw(st.integers(0, 9))
    if choice == 0:  # anything at all, including bytes that are not UTF-8
        return draw(st.binary(max_size=200))
    if choice == 1:
        return draw(st.text(alphabet=st.characters(codec="utf-8"), max_size=200)).encode("utf-8")
    text = json.dumps(draw(shaped), ensure_ascii=draw(st.booleans()), indent=draw(st.sampled_from([None, 2])))
    if choice in (2, 3, 4):
        where = draw(st.integers(0, len(text)))
        text = text[:where] + draw(st.sampled_from(INJECTIONS)) + text[where:]
    elif choice == 5:
        text = text[: draw(st.integers(0, len(text)))]
    return text.encode("utf-8", "surrogatepass")


mutelist_entries = st.fixed_dictionaries(
    {},
    optional={
        "reason": st.one_of(st.text(max_size=10), json_values),
        "id": json_values,
        "expires": st.one_of(
            st.sampled_from(["9999-99-99", "2026-02-30", "2026-12-31", "9999-12-31T23:00:00-05:00", "0000-01-01"]),
            json_values,
        ),
        "checks": st.one_of(st.sampled_from(["aws.s3.*", "["]), json_values),
        "accounts": json_values,
        "resource_regex": st.one_of(st.sampled_from(["(", "^a+$", "[z-a]"]), json_values),
        "tags": json_values,
        "provider": json_values,
    },
)
YAML_GARBAGE = st.text(alphabet="[]{}:-&*!|>'\"#%@`?, \n\tax019", max_size=120)


@st.composite
def yaml_texts(draw: st.DrawFn) -> bytes:
    choice = draw(st.integers(0, 5))
    if choice == 0:
        return draw(st.binary(max_size=200))
    if choice == 1:
        return draw(YAML_GARBAGE).encode()
    doc = {"mutes": draw(st.one_of(st.lists(mutelist_entries, max_size=3), json_values))}
    if draw(st.booleans()):
        doc["version"] = draw(json_values)
    text = yaml.safe_dump(doc, allow_unicode=draw(st.booleans()))
    text = text.replace("'9999-99-99'", "9999-99-99").replace("'2026-02-30'", "2026-02-30")  # unquoted: YAML dates
    if choice == 2:
        where = draw(st.integers(0, len(text)))
        text = text[:where] + draw(YAML_GARBAGE) + text[where:]
    return text.encode("utf-8", "surrogatepass")


# --- running the CLI -------------------------------------------------------------------------


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def write(name: str, data: bytes) -> str:
    path = WORK / name
    path.write_bytes(data)
    return str(path)


def assert_clean(result: tuple[int, str, str], allowed: set[int]) -> None:
    code, _, err = result
    assert "internal error" not in err, err
    assert code in allowed, (code, err)
    if code == 2:  # a usage error: exactly one line says why
        assert err.count("\n") == 1 and err.strip(), err


REPORT_OK = json.dumps(base_report()).encode()


@FUZZ
@given(json_texts(st.one_of(policies, exports, st.lists(policies, max_size=3), json_values)))
def test_policy_lint(document: bytes) -> None:
    assert_clean(cli("policy", "lint", write("policy.json", document)), {0, 2, 3})
    assert_clean(cli("policy", "lint", "--json", "--fail-on", "none", write("policy.json", document)), {0, 2})


@FUZZ
@given(json_texts(reports()), st.booleans())
def test_diff(document: bytes, first: bool) -> None:
    good, bad = write("good.json", REPORT_OK), write("report.json", document)
    assert_clean(cli("diff", *((bad, good) if first else (good, bad)), "--fail-on", "low"), {0, 2, 3})


@FUZZ
@given(json_texts(reports()), st.sampled_from(["tree", "dot", "mermaid"]))
def test_lineage(document: bytes, fmt: str) -> None:
    assert_clean(cli("lineage", write("report.json", document), "--format", fmt), {0, 2})


@FUZZ
@given(json_texts(reports()), st.sampled_from(["aws-fsbp", "mitre-atlas", "no-such"]))
def test_compliance(document: bytes, framework: str) -> None:
    assert_clean(cli("compliance", framework, write("report.json", document), "--json"), {0, 2})


@FUZZ
@given(yaml_texts())
def test_scan_mutelist(document: bytes) -> None:
    # --services names nothing: the mutelist is read (options are validated first), then exit 2
    # before any client exists; an invalid mutelist is exit 2 too. No network either way.
    path = write("mutelist.yaml", document)
    code, _, err = cli("scan", "aws", "--mutelist", path, "--services", "no-such-service", "--quiet")
    assert_clean((code, "", err), {2})


def only_cspm_errors(call: Callable[[], object]) -> None:
    with contextlib.suppress(CspmError):
        call()


@FUZZ
@given(
    st.one_of(
        st.text(max_size=60),
        st.builds(
            "{}://{}".format,
            st.sampled_from(["postgresql", "postgres", "postgresql+psycopg", "sqlite", "mysql", ""]),
            st.text(alphabet="abc019:@/[]?=&%.:-_ ", max_size=40),
        ),
    )
)
def test_store_urls_parse_or_fail_in_one_line(url: str) -> None:
    from cspm.history.store import _engine, display_url

    display_url(url)  # never raises
    with contextlib.chdir(WORK):  # a relative SQLite path creates its folder here
        # _engine parses the URL and builds the engine; connecting is lazy: no network.
        only_cspm_errors(lambda: _engine(url if url.startswith(("postgres", "mysql")) else _local(url)).dispose())


def _local(url: str) -> str:
    """A SQLite URL or path, kept inside the work folder (relative) so the fuzz creates nothing elsewhere."""
    return url.replace("/", "_") if "://" not in url else "sqlite://" + url.partition("://")[2].lstrip("/")


@FUZZ
@given(
    st.one_of(st.text(max_size=60), st.sampled_from(["arnawsiamrole", "arn:aws:iam::123456789012:role/", "arn:::::"])),
    st.dictionaries(st.sampled_from(["Account", "Arn", "UserId"]), st.one_of(st.text(max_size=40), json_values)),
)
def test_role_arn_and_caller_identity(arn: str, identity: dict[str, Any]) -> None:
    from cspm.providers.aws import org

    only_cspm_errors(lambda: org.parse_role_arn(arn))
    only_cspm_errors(lambda: org.caller_identity(identity))
