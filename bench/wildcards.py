"""Hostile wildcard patterns (issue 11): CPU of ``policy lint`` and of expansion over every action.

    .venv/bin/python -m bench.wildcards [--pieces 12 64 256] [--regex-upto 7]

For each piece count k, the Action ``sagemaker:`` + ``*?`` * k + ``*Q`` (the issue's policy has
k = 12): the CPU of linting it in-process (:func:`cspm.iam.lint.lint_document`), of expanding
``*:`` + ``?*`` * k + ``*q`` over every known action (``ActionDatabase.expand``), and the matcher's
steps over every sagemaker action. ``--regex-upto`` also times the regular expression the scanner
used before, on one 40-character action, for small k only: its time multiplies with each piece.
"""

from __future__ import annotations

import argparse
import re
import time

from cspm import wildcard
from cspm.iam.actions import action_database, all_actions
from cspm.iam.lint import lint_document


def _cpu(fn: object) -> float:
    start = time.process_time()
    fn()  # type: ignore[operator]
    return time.process_time() - start


def _old_regex(pattern: str) -> re.Pattern[str]:
    parts = (".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pieces", type=int, nargs="+", default=[12, 64, 256])
    parser.add_argument("--regex-upto", type=int, default=7, help="time the old regex up to this many pieces")
    args = parser.parse_args()

    load = _cpu(lambda: (all_actions(), lint_document({"Version": "2012-10-17", "Statement": []})))
    print(f"action database and lint rules: {load:.2f} s CPU, once per process ({len(all_actions())} actions)")
    db = action_database()
    names = [wildcard.fold(n) for n in db.action_names("sagemaker")]
    print(" pieces  lint CPU  expand CPU  steps over sagemaker actions (per action)")
    for k in args.pieces:
        action = "sagemaker:" + "*?" * k + "*Q"
        policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]}
        lint = _cpu(lambda policy=policy: lint_document(policy))
        expand = _cpu(lambda k=k: db.expand("*:" + "?*" * k + "*q"))
        matcher = wildcard.Wildcard(action.split(":", 1)[1], ignore_case=True)
        steps = sum(matcher.match_steps(n)[1] for n in names)
        print(f"{k:7d}  {lint:7.3f}s  {expand:9.3f}s  {steps:8d} ({steps / len(names):.1f})")
    text = "CreateTrainingJobAndSomeMoreLettersHere1"
    print(f"the old regex on one {len(text)}-character action:")
    for k in range(1, args.regex_upto + 1):
        regex = _old_regex("*?" * k + "*Q")
        seconds = _cpu(lambda regex=regex: regex.fullmatch(text))
        ours = _cpu(lambda k=k: wildcard.Wildcard("*?" * k + "*Q", ignore_case=True).matches(text))
        print(f"  {k:2d} pieces: regex {seconds:9.4f}s   wildcard {ours:.6f}s")


if __name__ == "__main__":
    main()
