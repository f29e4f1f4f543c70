#!/usr/bin/env python3
"""A reviewer's pass over the claims under review whose SLA is at risk: each claim's evidence
downloaded, one claim rejected with a reason from the workflow's catalog (fetched over the API,
never hard-coded) and a comment, another approved.

    PYTHONPATH=clients/python:build/clients/python/generated /usr/bin/python3 \
        clients/python/examples/review.py --server 127.0.0.1:50051 --actor rita \
        --download-dir /tmp/poe --reject-reason insufficient_poe \
        --comment "The PoE does not show the customer's tenant."

At risk: the review deadline (Claim.next_deadline) falls within --within-hours of now, or the
server already flagged the SLA (at risk, breached). "Now" is the server's test clock when it
has one (clock: manual), else this machine's. Prints one line a decision; exits 1 when there
is nothing at risk to decide on.
"""

import argparse
import os
import sys
from datetime import datetime, timedelta, timezone

from claims.v1 import claim_pb2

from claims_client import ClaimsError, Client, Identity, Unimplemented

AT_RISK_STATUSES = (claim_pb2.SLA_STATUS_AT_RISK, claim_pb2.SLA_STATUS_BREACHED)


def at_risk_claims(client, within):
    now = client.server_time() or datetime.now(timezone.utc)
    horizon = now + within
    for claim in client.list_claims("partners/-", state="under_review"):
        deadline = (claim.next_deadline.ToDatetime().replace(tzinfo=timezone.utc)
                    if claim.HasField("next_deadline") else None)
        if claim.sla_status in AT_RISK_STATUSES or (deadline and deadline <= horizon):
            yield claim


def download_evidence(client, claim, directory):
    """The claim's documents into directory/<claim id>/; False when the server does not serve
    evidence content yet."""
    target = os.path.join(directory, claim.name.rsplit("/", 1)[-1])
    os.makedirs(target, exist_ok=True)
    for evidence in client.history(claim.name).evidence:
        path = os.path.join(target, os.path.basename(evidence.file_name) or "evidence")
        try:
            with open(path, "wb") as out:
                client.download_evidence(evidence.name, out)
        except Unimplemented:
            os.remove(path)
            print(f"{claim.name}: this claimsd does not serve evidence content yet",
                  file=sys.stderr)
            return False
        print(f"downloaded {evidence.name} -> {path} ({evidence.size_bytes} bytes)")
    return True


def rejection_form(client, claim):
    """The reject action's reason input as the server describes it: from the claim's
    available actions, or (an older server) from the workflow definition."""
    for action in claim.actions:
        if action.id == "reject":
            return action.inputs
    workflow = client.get_workflow(f"workflows/{claim.workflow}/versions/{claim.workflow_version}")
    for transition in workflow.transitions:
        if transition.id == "reject":
            return transition.inputs
    return None


def choose_reason(inputs, wanted):
    choices = {choice.id: choice.display_name for choice in inputs.reasons.choices}
    if wanted and wanted not in choices:
        raise SystemExit(f"reason {wanted} is not one of {', '.join(choices)} "
                         f"(catalog {inputs.reasons.catalog})")
    return wanted or next(iter(choices))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default=os.environ.get("CLAIMS_SERVER", "127.0.0.1:50051"))
    parser.add_argument("--token", default=os.environ.get("CLAIMS_TOKEN"))
    parser.add_argument("--actor", default=os.environ.get("CLAIMS_ACTOR", "reviewer"))
    parser.add_argument("--within-hours", type=float, default=48.0)
    parser.add_argument("--download-dir", default="evidence")
    parser.add_argument("--reject-reason", default="",
                        help="a code of the reject action's catalog; default: its first")
    parser.add_argument("--comment", default="Rejected after review of the proof of execution.")
    args = parser.parse_args(argv)

    identity = (Identity.bearer(args.token) if args.token
                else Identity(actor=args.actor, roles=["reviewer"]))
    with Client(args.server, identity) as client:
        claims = list(at_risk_claims(client, timedelta(hours=args.within_hours)))
        if not claims:
            print("no claim under review is at risk")
            return 1
        for claim in claims:
            print(f"at risk: {claim.name} due {claim.next_deadline_display or '-'}")
            download_evidence(client, claim, args.download_dir)

        to_reject, to_approve = claims[0], claims[1:2]
        inputs = rejection_form(client, to_reject)
        if inputs is None or not inputs.HasField("reasons"):
            raise SystemExit(f"{to_reject.name}: the workflow offers no reject with reasons")
        reason = choose_reason(inputs, args.reject_reason)
        try:
            rejected = client.perform_action(to_reject.name, "reject", reasons=[reason],
                                             comment=args.comment, etag=to_reject.etag)
            print(f"rejected {rejected.name} ({reason}): now {rejected.state}")
            for claim in to_approve:
                approved = client.perform_action(claim.name, "approve", etag=claim.etag)
                print(f"approved {approved.name}: now {approved.state}")
        except ClaimsError as error:
            print(f"error: {error} reason={error.reason} "
                  f"available={','.join(error.available_actions)}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
