"""Errors raised by dispatch/, and the HTTP status each maps to.

    DispatchError
     ├── InvalidInput (ValueError)            400  a field is missing or has a bad value
     ├── NotFound (LookupError)               404  the ticket, crew or user does not exist
     ├── IllegalTransition                    409  not a legal next status; says which are
     ├── Conflict                             409  e.g. the crew already holds an emergency job
     ├── Unauthenticated                      401  no or a bad token / password
 ├── TooManyAttempts                      429  log-ins refused for a while (``retry_after_s``)
     └── PermissionDenied (PermissionError)   403  the role may not do this

Every error carries ``field`` (the input it is about, or None) so the API can answer
``{"error", "field", "detail"}``.
"""

from __future__ import annotations


class DispatchError(Exception):
    """Base of every error raised by dispatch/."""

    status = 400
    code = "error"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field

    @property
    def detail(self) -> str:
        return str(self)


class InvalidInput(DispatchError, ValueError):
    status = 400
    code = "invalid_input"


class NotFound(DispatchError, LookupError):
    status = 404
    code = "not_found"


class IllegalTransition(DispatchError):
    status = 409
    code = "illegal_transition"

    def __init__(self, current: str, wanted: str, allowed: list[str] | tuple[str, ...]) -> None:
        allowed = list(allowed)
        options = ", ".join(allowed) if allowed else "none (final state)"
        super().__init__(
            f"cannot go from `{current}` to `{wanted}`; allowed next: {options}", "status"
        )
        self.current, self.wanted, self.allowed = current, wanted, allowed


class Conflict(DispatchError):
    status = 409
    code = "conflict"


class Unauthenticated(DispatchError):
    status = 401
    code = "unauthenticated"


class TooManyAttempts(DispatchError):
    status = 429
    code = "too_many_attempts"

    def __init__(self, message: str, retry_after_s: float) -> None:
        super().__init__(message, "username")
        self.retry_after_s = retry_after_s


class PermissionDenied(DispatchError, PermissionError):
    status = 403
    code = "forbidden"
