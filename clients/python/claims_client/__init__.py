"""A Python client for claimsd (claims.v1), over stubs generated from the protos at build time.

    from claims_client import Client, Identity
    with Client("127.0.0.1:50051", Identity(actor="rita", roles=["reviewer"])) as client:
        for claim in client.list_claims("partners/-", state="under_review"):
            print(claim.name, claim.next_deadline_display)

The generated modules (claims.v1.*_pb2, google.rpc.*_pb2) come from the build tree: put
build/clients/python/generated on PYTHONPATH next to this package (see the README).
"""

from claims_client.client import Client, EventFollower
from claims_client.errors import (
    ClaimsError,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    PreconditionViolation,
    Unauthenticated,
    Unavailable,
    Unimplemented,
)
from claims_client.identity import Identity

__all__ = [
    "ClaimsError",
    "Client",
    "EventFollower",
    "FailedPrecondition",
    "FieldViolation",
    "Identity",
    "InvalidArgument",
    "NotFound",
    "PermissionDenied",
    "PreconditionViolation",
    "Unauthenticated",
    "Unavailable",
    "Unimplemented",
]
