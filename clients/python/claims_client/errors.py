"""claimsd's errors as exceptions: the gRPC code picks the class, and the google.rpc details
(ErrorInfo, BadRequest, PreconditionFailure) that the server attaches are decoded onto it, so a
caller reads `error.reason` and `error.available_actions` instead of parsing messages."""

from dataclasses import dataclass
from typing import Dict, List, Optional

import grpc
from google.rpc import error_details_pb2, status_pb2

_STATUS_DETAILS_KEY = "grpc-status-details-bin"


@dataclass(frozen=True)
class FieldViolation:
    field: str
    description: str


@dataclass(frozen=True)
class PreconditionViolation:
    type: str
    subject: str
    description: str


class ClaimsError(Exception):
    """A failed call. `code` is the grpc.StatusCode; `reason`, `domain` and `metadata` come from
    the ErrorInfo (reason is stable, UPPER_SNAKE: GUARD_FAILED, FIELD_TOO_LONG, ...);
    `field_violations` from the BadRequest; `precondition_violations` from the
    PreconditionFailure; `available_actions` are the actions the caller may take instead."""

    def __init__(self, code: grpc.StatusCode, message: str, *, reason: str = "",
                 domain: str = "", metadata: Optional[Dict[str, str]] = None,
                 field_violations: Optional[List[FieldViolation]] = None,
                 precondition_violations: Optional[List[PreconditionViolation]] = None):
        super().__init__(f"{code.name}: {message}" + (f" ({reason})" if reason else ""))
        self.code = code
        self.message = message
        self.reason = reason
        self.domain = domain
        self.metadata = dict(metadata or {})
        self.field_violations = list(field_violations or [])
        self.precondition_violations = list(precondition_violations or [])

    @property
    def available_actions(self) -> List[str]:
        listed = self.metadata.get("available_actions", "")
        return [action for action in listed.split(",") if action]

    @staticmethod
    def from_rpc_error(error: grpc.RpcError) -> "ClaimsError":
        code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
        message = error.details() if hasattr(error, "details") else str(error)
        fields = dict(reason="", domain="", metadata={}, field_violations=[],
                      precondition_violations=[])
        trailers = error.trailing_metadata() if hasattr(error, "trailing_metadata") else None
        for key, value in trailers or ():
            if key != _STATUS_DETAILS_KEY:
                continue
            status = status_pb2.Status()
            status.ParseFromString(value)
            _decode_details(status, fields)
        cls = _CLASS_BY_CODE.get(code, ClaimsError)
        return cls(code, message or "", **fields)


def _decode_details(status, fields) -> None:
    for detail in status.details:
        info = error_details_pb2.ErrorInfo()
        bad_request = error_details_pb2.BadRequest()
        precondition = error_details_pb2.PreconditionFailure()
        if detail.Is(info.DESCRIPTOR):
            detail.Unpack(info)
            fields["reason"] = info.reason
            fields["domain"] = info.domain
            fields["metadata"].update(info.metadata)
        elif detail.Is(bad_request.DESCRIPTOR):
            detail.Unpack(bad_request)
            fields["field_violations"].extend(
                FieldViolation(v.field, v.description) for v in bad_request.field_violations)
        elif detail.Is(precondition.DESCRIPTOR):
            detail.Unpack(precondition)
            fields["precondition_violations"].extend(
                PreconditionViolation(v.type, v.subject, v.description)
                for v in precondition.violations)


class NotFound(ClaimsError):
    """No such resource, or one the caller may not see: the two are indistinguishable."""


class InvalidArgument(ClaimsError):
    pass


class FailedPrecondition(ClaimsError):
    """Not possible in the claim's state (a guard failed, the action is not available)."""


class PermissionDenied(ClaimsError):
    pass


class Unauthenticated(ClaimsError):
    pass


class Unavailable(ClaimsError):
    """claimsd could not be reached or is not ready: retry."""


class Unimplemented(ClaimsError):
    """The server does not offer this method (an older claimsd, or the TestClock without
    `clock: manual`)."""


_CLASS_BY_CODE = {
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgument,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPrecondition,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
    grpc.StatusCode.UNAUTHENTICATED: Unauthenticated,
    grpc.StatusCode.UNAVAILABLE: Unavailable,
    grpc.StatusCode.UNIMPLEMENTED: Unimplemented,
}
