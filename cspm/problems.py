"""A check's title says the compliant state ("S3 bucket blocks public access"); a failing row says
the problem ("S3 bucket does not block public access"). :func:`problem_title` derives one from the
other by a few rules of English, so every check has its problem phrasing without a second title
to keep in step. A check whose title the rules turn into a clumsy sentence gives its own
(``@check(fail_title=...)``; the catalog test reads every one).

The rules work on the main verb: the first verb of :data:`VERBS` that does not open a relative
clause (a verb right after "that …" or "which …" belongs to the clause: "VPC through which
SageMaker pulls ECR images *has* ECR endpoints").

- a negation is dropped: "is not" → "is", "does not grant" → "grants", "cannot" → "can",
  "has no path" → "has a path", "allows no traffic" → "allows traffic", "neither A nor B" →
  "A or B";
- anything else is negated: "is on" → "is not on", "has MFA" → "does not have MFA",
  "blocks" → "does not block", "are rotated" → "are not rotated".
"""

from __future__ import annotations

# Auxiliaries and the verbs titles use, as they appear in third person.
_BE = {"is": "is not", "are": "are not"}
_HAVE = {"has": "does not have", "have": "do not have"}
_NEGATED = {"does": "", "do": ""}  # "does not V" / "do not V": the next words are "not V"
_CAN = {"cannot": "can"}
VERBS = frozenset(
    {
        *_BE,
        *_HAVE,
        *_NEGATED,
        *_CAN,
        "allow", "allows", "authenticates", "blocks", "cover", "defaults", "denies", "disables", "disallows",
        "encrypts", "enforces", "grant", "grants", "holds", "lets", "limits", "names", "pulls", "reaches",
        "reads", "receives", "requires", "runs", "scans", "sends", "serves", "uses",
    }
)  # fmt: skip
_PLURAL = frozenset({"allow", "cover", "grant"})
_ARTICLE_BEFORE = frozenset({"path"})  # "has no path" -> "has a path"
_CLAUSE = frozenset({"that", "which"})


def _base(verb: str) -> str:
    """The bare infinitive of a third-person verb: denies → deny, reaches → reach, uses → use."""
    if verb == "does":
        return "do"
    if verb.endswith("ies"):
        return verb[:-3] + "y"
    if verb.endswith(("ches", "shes", "sses", "xes", "zes")):
        return verb[:-2]
    return verb[:-1] if verb.endswith("s") else verb


def _third_person(verb: str) -> str:
    if verb.endswith("y") and verb[-2:-1] not in "aeiou":
        return verb[:-1] + "ies"
    if verb.endswith(("ch", "sh", "ss", "x", "z")):
        return verb + "es"
    return verb + "s"


def main_verb(words: list[str]) -> int:
    """The index of the main verb of a title's words; ValueError when there is none."""
    for i, word in enumerate(words):
        opens_clause = _CLAUSE.intersection(w.lower() for w in words[max(0, i - 2) : i])
        if i and word.lower() in VERBS and not opens_clause:
            return i
    raise ValueError(f"no main verb in title {' '.join(words)!r}")


def problem_title(title: str) -> str:
    """The failing phrasing of a check title (see the module docstring); ValueError when the
    title has no verb the rules know."""
    words = title.split()
    i = main_verb(words)
    verb, rest = words[i].lower(), words[i + 1 :]
    head = words[:i]
    if verb in _NEGATED and rest[:1] == ["not"] and len(rest) > 1:
        plural = verb == "do"
        changed = [rest[1] if plural else _third_person(rest[1]), *rest[2:]]
    elif verb in _CAN:
        changed = ["can", *rest]
    elif verb in _BE and rest[:1] == ["not"]:
        changed = [verb, *rest[1:]]
    elif rest[:1] == ["neither"] and "nor" in rest:
        changed = [verb, *[("or" if w == "nor" else w) for w in rest[1:]]]
    elif rest[:1] == ["no"]:
        article = ["a"] if rest[1:2] and rest[1] in _ARTICLE_BEFORE else []
        changed = [verb, *article, *rest[1:]]
    elif verb in _BE:
        changed = [_BE[verb], *rest]
    elif verb in _HAVE:
        changed = [_HAVE[verb], *rest]
    elif verb in _PLURAL:  # plural subjects: "data events cover", "policies grant"
        changed = [f"do not {verb}", *rest]
    else:
        changed = [f"does not {_base(verb)}", *rest]
    return " ".join([*head, *changed])
