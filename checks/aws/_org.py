"""Resource control policies in the exposure checks (S3 buckets, role trusts, KMS keys).

An exposure check computes its verdict from the resource policy alone, then :func:`with_rcps`
asks the account's RCPs about the requests that make the FAIL (:func:`cspm.iam.organization.rcp_outcome`):

- every request certainly denied by an RCP Deny, for every outside caller: PASS, with
  ``cut_by_rcps`` (level, policy, statement) — like ``cut_by_scps`` of the principal checks;
- otherwise, when an RCP (or a level's attachments) could not be read: ERROR, since that RCP could
  cut the exposure (RCPs only remove access, so a PASS never changes);
- otherwise the FAIL stays; ``rcps.may_block`` names the RCP Denies whose conditions could not be
  decided (the message says an RCP may block it).

RCPs do not apply in the management account, nor when the organization's policies were not read:
the FAIL stays, and ``rcps.note`` says why.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from cspm.iam.organization import Request, org_guard, rcp_outcome
from cspm.models import Result, Status, passed, unknown
from cspm.resources.aws.organizations import OrgPolicies


def with_rcps(result: Result, organization: Sequence[OrgPolicies], requests: Callable[[], Sequence[Request]]) -> Result:
    """``result`` with the account's RCPs applied to ``requests()`` (the outside requests behind a
    FAIL). The requests are built only for a FAIL in an account that has RCPs: for a bucket they are
    every S3 action, which a scan without RCPs has no reason to enumerate."""
    if result.status is not Status.FAIL:
        return result
    guard = org_guard(organization)
    outcome = rcp_outcome(guard, requests() if guard.rcps else ())
    if outcome.cut:
        levels = ", ".join(dict.fromkeys(str(d["level"]) for d in outcome.denied_by))
        policies = ", ".join(dict.fromkeys(str(d["policy"]) for d in outcome.denied_by))
        message = (
            f"Resource control policies ({policies} at {levels}) deny these requests from outside the "
            f"organization. Without them: {result.message}"
        )
        return passed(message, {**result.evidence, "cut_by_rcps": list(outcome.denied_by)})
    evidence = {**result.evidence, "rcps": outcome.evidence()}
    if outcome.unreadable:
        reason = "; ".join(outcome.unreadable)
        return unknown(f"Could not assess: {reason}. Without it: {result.message}", evidence)
    if outcome.may_block:
        names = ", ".join(dict.fromkeys(str(d["policy"]) for d in outcome.may_block))
        message = f"{result.message} An RCP may block it ({names}: conditions that could not be decided)."
        return result.model_copy(update={"message": message, "evidence": evidence})
    return result.model_copy(update={"evidence": evidence})
