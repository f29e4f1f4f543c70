"""The client: the generated stubs with the caller's identity and a deadline on every call,
errors raised as ClaimsError subclasses, and the loops users would otherwise write: paging
through ListClaims, following StreamEvents across disconnects, and evidence by streaming."""

import hashlib
import os
import threading
import time
from datetime import datetime, timezone
from typing import BinaryIO, Iterable, Iterator, Optional, Sequence

import grpc
from claims.v1 import (
    claim_pb2,
    claims_service_pb2,
    claims_service_pb2_grpc,
    test_clock_pb2,
    test_clock_pb2_grpc,
    workflow_pb2,
    workflow_service_pb2,
    workflow_service_pb2_grpc,
)

from claims_client.errors import ClaimsError, Unimplemented
from claims_client.identity import Identity

# The server's upload limit per message is 1 MiB of data; smaller chunks keep memory flat on
# both sides and still move a 50 MB file in a few hundred messages.
UPLOAD_CHUNK_BYTES = 256 * 1024

# A stream cut by the network or by claimsd going away (a restart ends streams with CANCELLED
# or UNAVAILABLE): the same request from the last cursor continues it. Other codes would fail
# again the same way.
_RECONNECTABLE = {
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.CANCELLED,
    grpc.StatusCode.ABORTED,
    grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
    grpc.StatusCode.UNKNOWN,
}


class Client:
    """One channel to claimsd. `target` is host:port; pass `credentials`
    (grpc.ssl_channel_credentials(...)) for TLS. Every call carries `identity` and a deadline of
    `timeout` seconds (streams: none, they follow until stopped)."""

    def __init__(self, target: str, identity: Identity, *,
                 credentials: Optional[grpc.ChannelCredentials] = None, timeout: float = 30.0):
        self.identity = identity
        self.timeout = timeout
        self.channel = (grpc.secure_channel(target, credentials) if credentials
                        else grpc.insecure_channel(target))
        self.claims = claims_service_pb2_grpc.ClaimsStub(self.channel)
        self.workflows = workflow_service_pb2_grpc.WorkflowsStub(self.channel)
        self.test_clock = test_clock_pb2_grpc.TestClockStub(self.channel)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        self.channel.close()

    def call(self, method, request, *, timeout: Optional[float] = None):
        """Calls a unary method of a stub (e.g. client.claims.GetClaim) with the identity and a
        deadline; raises ClaimsError (a subclass per code) with the decoded details."""
        try:
            return method(request, metadata=self.identity.metadata(),
                          timeout=self.timeout if timeout is None else timeout)
        except grpc.RpcError as error:
            raise ClaimsError.from_rpc_error(error) from None

    # Claims.

    def get_claim(self, name: str) -> claim_pb2.Claim:
        return self.call(self.claims.GetClaim, claims_service_pb2.GetClaimRequest(name=name))

    def list_claims(self, parent: str, *, state: str = "", sla_breached: Optional[bool] = None,
                    page_size: int = 100, **filters) -> Iterator[claim_pb2.Claim]:
        """Every claim matching the filters, newest first, fetching page after page as the
        iteration needs them. `filters` are the other ListClaimsRequest fields
        (deadline_before, create_time_after, ...)."""
        request = claims_service_pb2.ListClaimsRequest(parent=parent, state=state,
                                                       page_size=page_size, **filters)
        if sla_breached is not None:
            request.sla_breached = sla_breached
        while True:
            page = self.call(self.claims.ListClaims, request)
            yield from page.claims
            if not page.next_page_token:
                return
            request.page_token = page.next_page_token

    def perform_action(self, name: str, action: str, *, reasons: Sequence[str] = (),
                       comment: str = "", internal: bool = False, etag: str = "",
                       request_id: str = "") -> claim_pb2.Claim:
        visibility = (claim_pb2.Comment.INTERNAL if internal else
                      claim_pb2.Comment.VISIBILITY_UNSPECIFIED)
        return self.call(self.claims.PerformAction, claims_service_pb2.PerformActionRequest(
            name=name, action=action, reasons=list(reasons), comment=comment,
            comment_visibility=visibility, etag=etag, request_id=request_id))

    def add_comment(self, parent: str, text: str, *, internal: bool = False) -> claim_pb2.Comment:
        visibility = claim_pb2.Comment.INTERNAL if internal else claim_pb2.Comment.PUBLIC
        return self.call(self.claims.AddComment, claims_service_pb2.AddCommentRequest(
            parent=parent, comment=claim_pb2.Comment(text=text, visibility=visibility)))

    def add_evidence(self, parent: str, file_name: str, content: bytes,
                     content_type: str = "", request_id: str = "") -> claim_pb2.Evidence:
        """A small document in one message; upload_evidence streams large ones."""
        return self.call(self.claims.AddEvidence, claims_service_pb2.AddEvidenceRequest(
            parent=parent, request_id=request_id, evidence=claim_pb2.Evidence(
                file_name=file_name, content_type=content_type, content=content)))

    def history(self, name: str) -> claims_service_pb2.ClaimHistory:
        return self.call(self.claims.GetClaimHistory,
                         claims_service_pb2.GetClaimHistoryRequest(name=name))

    # Evidence by streaming.

    def download_evidence(self, name: str, out: BinaryIO) -> claim_pb2.Evidence:
        """Writes the content of evidence `name` to `out` as it arrives (memory stays one chunk)
        and returns its metadata. Raises ClaimsError, and ValueError when the bytes received do
        not match the size and sha256 the server announced."""
        request = claims_service_pb2.GetEvidenceContentRequest(name=name)
        metadata = None
        digest = hashlib.sha256()
        size = 0
        try:
            for chunk in self.claims.GetEvidenceContent(request,
                                                        metadata=self.identity.metadata(),
                                                        timeout=self.timeout):
                if chunk.HasField("metadata"):
                    metadata = chunk.metadata
                    continue
                digest.update(chunk.data)
                size += len(chunk.data)
                out.write(chunk.data)
        except grpc.RpcError as error:
            raise ClaimsError.from_rpc_error(error) from None
        if metadata is None:
            raise ValueError(f"{name}: the stream carried no metadata")
        if size != metadata.size_bytes or digest.hexdigest() != metadata.sha256:
            raise ValueError(f"{name}: received {size} bytes with sha256 {digest.hexdigest()}, "
                             f"announced {metadata.size_bytes} with {metadata.sha256}")
        return metadata

    def upload_evidence(self, parent: str, path: str, *, content_type: str = "",
                        request_id: str = "",
                        chunk_bytes: int = UPLOAD_CHUNK_BYTES) -> claim_pb2.Evidence:
        """Streams the file at `path` to the claim: a header with its size and sha256 (read
        once beforehand), then the content in chunks. The server stores nothing unless all of
        it arrives and matches."""
        digest = hashlib.sha256()
        size = 0
        with open(path, "rb") as source:
            for block in iter(lambda: source.read(1 << 20), b""):
                digest.update(block)
                size += len(block)
        header = claims_service_pb2.EvidenceUploadHeader(
            parent=parent, file_name=os.path.basename(path), content_type=content_type,
            size_bytes=size, sha256=digest.hexdigest(), request_id=request_id)

        def messages():
            yield claims_service_pb2.UploadEvidenceRequest(header=header)
            with open(path, "rb") as source:
                for block in iter(lambda: source.read(chunk_bytes), b""):
                    yield claims_service_pb2.UploadEvidenceRequest(data=block)

        try:
            return self.claims.UploadEvidence(messages(), metadata=self.identity.metadata(),
                                              timeout=self.timeout)
        except grpc.RpcError as error:
            raise ClaimsError.from_rpc_error(error) from None

    # Events.

    def follow_events(self, *, cursor: str = "", after_sequence: int = 0,
                      types: Iterable[str] = (), partition: Optional[int] = None,
                      reconnect_seconds: float = 120.0) -> "EventFollower":
        return EventFollower(self, cursor=cursor, after_sequence=after_sequence,
                             types=list(types), partition=partition,
                             reconnect_seconds=reconnect_seconds)

    # Workflows.

    def list_workflows(self) -> workflow_service_pb2.ListWorkflowsResponse:
        return self.call(self.workflows.ListWorkflows, workflow_service_pb2.ListWorkflowsRequest())

    def get_workflow(self, name: str, *, with_source: bool = False) -> workflow_pb2.Workflow:
        """`name`: "cpor-association", "workflows/cpor-association" or
        "workflows/cpor-association/versions/3"."""
        if not name.startswith("workflows/"):
            name = "workflows/" + name
        view = (workflow_service_pb2.WORKFLOW_VIEW_FULL if with_source
                else workflow_service_pb2.WORKFLOW_VIEW_BASIC)
        return self.call(self.workflows.GetWorkflow,
                         workflow_service_pb2.GetWorkflowRequest(name=name, view=view))

    # TestClock (a claimsd with `clock: manual` on loopback only).

    def server_time(self) -> Optional[datetime]:
        """The test server's clock, or None when the server has none (a real clock)."""
        try:
            answer = self.call(self.test_clock.GetTime, test_clock_pb2.GetTimeRequest())
        except Unimplemented:
            return None
        return answer.time.ToDatetime().replace(tzinfo=timezone.utc)

    def advance_clock(self, seconds: int) -> test_clock_pb2.ClockTime:
        request = test_clock_pb2.AdvanceTimeRequest()
        request.by.seconds = seconds
        return self.call(self.test_clock.AdvanceTime, request)


class EventFollower:
    """Iterates StreamEvents from a position, for as long as the caller wants. When the stream
    breaks (claimsd restarts, the network drops) it reconnects from the cursor of the last event
    it yielded, so the iteration has no gap and no repeat; it gives up (raising the last error)
    after `reconnect_seconds` without getting through. `cursor` is where to resume a later
    follower. stop() ends the iteration from another thread."""

    _FIRST_BACKOFF = 0.1
    _MAX_BACKOFF = 5.0
    # A stream that stayed open this long got through: the outage before it is over.
    _HEALTHY_STREAM = 2.0

    def __init__(self, client: Client, *, cursor: str, after_sequence: int, types,
                 partition: Optional[int], reconnect_seconds: float):
        if cursor and after_sequence:
            raise ValueError("give a cursor or after_sequence, not both")
        self._client = client
        self.cursor = cursor
        self.last_sequence = after_sequence
        self._types = types
        self._partition = partition
        self._reconnect_seconds = reconnect_seconds
        self._lock = threading.Lock()
        self._call = None
        self._stopped = False
        self.reconnects = 0

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            if self._call is not None:
                self._call.cancel()

    def _request(self):
        request = claims_service_pb2.StreamEventsRequest(types=self._types)
        if self.cursor:
            request.cursor = self.cursor
        else:
            request.after_sequence = self.last_sequence
        if self._partition is not None:
            request.partition = self._partition
        return request

    def __iter__(self) -> Iterator[claim_pb2.Event]:
        backoff = self._FIRST_BACKOFF
        outage_since = None
        while True:
            with self._lock:
                if self._stopped:
                    return
                self._call = self._client.claims.StreamEvents(
                    self._request(), metadata=self._client.identity.metadata())
            opened = time.monotonic()
            received = False
            code = grpc.StatusCode.OK
            error = None
            try:
                for event in self._call:
                    received = True
                    self.cursor = event.cursor
                    self.last_sequence = event.sequence
                    yield event
            except grpc.RpcError as rpc_error:
                code, error = rpc_error.code(), rpc_error
            with self._lock:
                if self._stopped:
                    return
            if code not in _RECONNECTABLE and code != grpc.StatusCode.OK:
                raise ClaimsError.from_rpc_error(error)
            if received or time.monotonic() - opened >= self._HEALTHY_STREAM:
                outage_since, backoff = None, self._FIRST_BACKOFF
            if outage_since is None:
                outage_since = time.monotonic()
            elif time.monotonic() - outage_since >= self._reconnect_seconds:
                if error is not None:
                    raise ClaimsError.from_rpc_error(error)
                raise ClaimsError(grpc.StatusCode.UNAVAILABLE, "event stream kept ending")
            self.reconnects += 1
            time.sleep(backoff)
            backoff = min(backoff * 2, self._MAX_BACKOFF)
