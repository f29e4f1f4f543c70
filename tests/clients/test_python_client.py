"""The Python client and the example reviewer script against a real claimsd (SQLite or
MariaDB, per CLAIMS_TEST_BACKEND)."""

import base64
import hashlib
import hmac
import io
import json
import time
import os
import subprocess
import sys
import tempfile
import threading
import unittest

import grpc
from claims.v1 import claim_pb2

from claimsd_process import Claimsd
from claims_client import (Client, FailedPrecondition, Identity, InvalidArgument, NotFound,
                           Unauthenticated,
                           Unimplemented)

PARTNER = Identity(actor="pat", roles=["billing_admin"], partner="contoso")
REVIEWER = Identity(actor="rita", roles=["reviewer"])
EXAMPLE = os.path.join(os.environ["CLAIMS_SOURCE_DIR"], "clients/python/examples/review.py")
TEN_DAYS = 10 * 86400


def new_claim(client, customer="Fabrikam"):
    return client.call(client.claims.CreateClaim, _create_request(customer))


def _create_request(customer):
    from claims.v1 import claims_service_pb2
    return claims_service_pb2.CreateClaimRequest(
        parent="partners/contoso",
        claim=claim_pb2.Claim(
            mpn_id="1234567", products=["dynamics_365_sales"], activity="revenue_association",
            customer=claim_pb2.Customer(tenant_id="6f1c2a9e-0000-4000-8000-000000000001",
                                        name=customer)))


def under_review(partner, reviewer, customer="Fabrikam"):
    claim = new_claim(partner, customer)
    partner.add_evidence(claim.name, "poe.pdf", b"%PDF-1.7\n" + customer.encode(),
                         "application/pdf")
    partner.perform_action(claim.name, "submit")
    return reviewer.perform_action(claim.name, "start_review")


class ClientTest(unittest.TestCase):
    def setUp(self):
        self.server = Claimsd()
        self.addCleanup(self.server.close)
        target = self.server.start()
        self.partner = Client(target, PARTNER)
        self.reviewer = Client(target, REVIEWER)
        self.addCleanup(self.partner.close)
        self.addCleanup(self.reviewer.close)

    def test_refusal_decodes_reason_and_available_actions(self):
        claim = new_claim(self.partner)
        with self.assertRaises(FailedPrecondition) as refused:
            self.partner.perform_action(claim.name, "submit")
        self.assertEqual(refused.exception.reason, "GUARD_FAILED")
        self.assertEqual(refused.exception.domain, "claims.v1")
        self.assertIn("withdraw", refused.exception.available_actions)
        self.assertTrue(refused.exception.precondition_violations)

    def test_bad_request_decodes_field_violations(self):
        request = _create_request("Fabrikam")
        request.claim.mpn_id = "x" * 200
        with self.assertRaises(InvalidArgument) as refused:
            self.partner.call(self.partner.claims.CreateClaim, request)
        self.assertEqual(refused.exception.reason, "FIELD_TOO_LONG")
        self.assertIn("claim.mpn_id", [v.field for v in refused.exception.field_violations])

    def test_another_partners_claim_is_not_found(self):
        claim = new_claim(self.partner)
        northwind = Client(self.server.target,
                           Identity(actor="nia", roles=["billing_admin"], partner="northwind"))
        self.addCleanup(northwind.close)
        with self.assertRaises(NotFound):
            northwind.get_claim(claim.name)

    def test_pager_returns_every_claim_once_newest_first(self):
        created = [new_claim(self.partner, f"Customer {i}").name for i in range(5)]
        listed = [c.name for c in self.partner.list_claims("partners/contoso", page_size=2)]
        self.assertEqual(listed, list(reversed(created)))

    def test_follower_resumes_after_restart_without_gap_or_repeat(self):
        follower = self.reviewer.follow_events(reconnect_seconds=30)
        self.addCleanup(follower.stop)
        seen = []
        done = threading.Event()

        def follow():
            for event in follower:
                seen.append(event)
                if len(seen) >= expected_total[0]:
                    done.set()

        expected_total = [10 ** 9]
        thread = threading.Thread(target=follow, daemon=True)
        thread.start()
        first = new_claim(self.partner, "Before")
        self.partner.perform_action(first.name, "withdraw")
        self.server.stop()
        self.server.start()
        # The partner's channel saw the server go; wait until it is back rather than fail fast.
        grpc.channel_ready_future(self.partner.channel).result(timeout=15)
        second = new_claim(self.partner, "After")
        self.partner.perform_action(second.name, "withdraw")
        # Everything the outbox holds, read afresh, is what the follower must have seen.
        everything = []
        for event in self.reviewer.follow_events():
            everything.append(event)
            # Both claims went the same way, so they emitted as many events each.
            per_claim = [sum(e.claim == c.name for e in everything) for c in (first, second)]
            if per_claim[0] > 0 and per_claim[0] == per_claim[1]:
                break
        expected_total[0] = len(everything)
        if len(seen) >= expected_total[0]:
            done.set()
        self.assertTrue(done.wait(30), f"follower saw {len(seen)} of {len(everything)}")
        follower.stop()
        self.assertEqual([e.sequence for e in seen[:len(everything)]],
                         [e.sequence for e in everything])
        self.assertGreaterEqual(follower.reconnects, 1)
        self.assertIn(second.name, {e.claim for e in seen})

    def test_follower_resumes_from_a_cursor(self):
        for i in range(3):
            self.partner.perform_action(new_claim(self.partner, f"C{i}").name, "withdraw")
        events = []
        for event in self.reviewer.follow_events():
            events.append(event)
            if len(events) == 4:
                break
        rest = []
        for event in self.reviewer.follow_events(cursor=events[1].cursor):
            rest.append(event)
            if len(rest) == 2:
                break
        self.assertEqual([e.sequence for e in rest], [e.sequence for e in events[2:4]])

    def test_streaming_evidence_round_trip(self):
        claim = new_claim(self.partner)
        content = b"%PDF-1.7\n" + os.urandom(3 * 1024 * 1024)
        with tempfile.NamedTemporaryFile(suffix=".pdf") as source:
            source.write(content)
            source.flush()
            try:
                uploaded = self.partner.upload_evidence(claim.name, source.name,
                                                        content_type="application/pdf")
            except Unimplemented:
                self.skipTest("this claimsd answers UploadEvidence with UNIMPLEMENTED; the test "
                              "runs once the streaming evidence RPCs are served")
        self.assertEqual(uploaded.sha256, hashlib.sha256(content).hexdigest())
        out = io.BytesIO()
        metadata = self.reviewer.download_evidence(uploaded.name, out)
        self.assertEqual(out.getvalue(), content)
        self.assertEqual(metadata.size_bytes, len(content))

    def test_streaming_download_of_small_evidence(self):
        claim = new_claim(self.partner)
        added = self.partner.add_evidence(claim.name, "poe.pdf", b"%PDF-1.7\nsmall",
                                          "application/pdf")
        out = io.BytesIO()
        try:
            self.partner.download_evidence(added.name, out)
        except Unimplemented:
            self.skipTest("this claimsd answers GetEvidenceContent with UNIMPLEMENTED; the test "
                          "runs once the streaming evidence RPCs are served")
        self.assertEqual(out.getvalue(), b"%PDF-1.7\nsmall")

    def test_review_example_rejects_with_a_catalog_reason_and_approves(self):
        overdue_first = under_review(self.partner, self.reviewer, "Overdue one")
        overdue_second = under_review(self.partner, self.reviewer, "Overdue two")
        # Past the review decision's 5 business days: both SLAs are breached.
        self.reviewer.advance_clock(TEN_DAYS)
        fresh = under_review(self.partner, self.reviewer, "Fresh")
        reasons = {c.id for a in overdue_second.actions if a.id == "reject"
                   for c in a.inputs.reasons.choices}
        self.assertIn("missing_products", reasons)
        with tempfile.TemporaryDirectory() as downloads:
            run = subprocess.run(
                [sys.executable, EXAMPLE, "--server", self.server.target, "--actor", "rita",
                 "--download-dir", downloads, "--reject-reason", "missing_products",
                 "--comment", "Products on the PoE do not match the claim."],
                capture_output=True, text=True, timeout=60)
            self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
            if "does not serve evidence content" not in run.stderr:
                self.assertTrue(os.listdir(downloads), run.stdout)
        self.assertIn(f"rejected {overdue_second.name} (missing_products)", run.stdout)
        self.assertNotIn(fresh.name, run.stdout)

        rejected = self.reviewer.history(overdue_second.name)
        self.assertEqual(rejected.claim.state, "rejected")
        last = rejected.entries[-1]
        self.assertEqual(list(last.reasons), ["missing_products"])
        self.assertEqual(last.comment, "Products on the PoE do not match the claim.")
        self.assertEqual(self.reviewer.get_claim(overdue_first.name).state, "approved")
        self.assertEqual(self.reviewer.get_claim(fresh.name).state, "under_review")

    def test_example_refuses_a_reason_outside_the_catalog(self):
        under_review(self.partner, self.reviewer)
        self.reviewer.advance_clock(TEN_DAYS)
        run = subprocess.run([sys.executable, EXAMPLE, "--server", self.server.target,
                              "--download-dir", tempfile.gettempdir(),
                              "--reject-reason", "customer_decline"],
                             capture_output=True, text=True, timeout=60)
        self.assertNotEqual(run.returncode, 0)
        self.assertIn("customer_decline is not one of", run.stdout + run.stderr)


JWT_SECRET = "0123456789abcdef0123456789abcdef-python"
JWT_AUTH = """
auth:
  mode: jwt
  issuer: https://login.example.test/
  audience: claims
  keys:
    - {algorithm: HS256, secret_env: CLAIMS_TEST_JWT_SECRET}
"""


def hs256_token(claims):
    """A token minted as an identity provider would, with the standard library only."""
    def part(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    signed = (part(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." +
              part(json.dumps(claims).encode()))
    signature = hmac.new(JWT_SECRET.encode(), signed.encode(), hashlib.sha256).digest()
    return signed + "." + part(signature)


class BearerTokenTest(unittest.TestCase):
    def test_a_token_identifies_the_caller_and_headers_alone_do_not(self):
        server = Claimsd(JWT_AUTH)
        server.environment["CLAIMS_TEST_JWT_SECRET"] = JWT_SECRET
        self.addCleanup(server.close)
        target = server.start()
        token = hs256_token({"iss": "https://login.example.test/", "aud": "claims",
                             "sub": "pat@contoso", "exp": int(time.time()) + 300,
                             "roles": ["billing_admin"], "partner_id": "contoso"})
        with Client(target, Identity.bearer(token)) as client:
            self.assertEqual(new_claim(client).creator, "pat@contoso")
        with Client(target, PARTNER) as headers_only:
            with self.assertRaises(Unauthenticated) as refused:
                new_claim(headers_only)
            self.assertEqual(refused.exception.reason, "MISSING_IDENTITY")


if __name__ == "__main__":
    unittest.main(verbosity=2)
