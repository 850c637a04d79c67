"""Typed errors, each with a stable code and a message safe to show a client.

The edges (WebSocket and HTTP) map them to protocol errors; nothing below the
edge knows about frames or status codes. The tree::

    ChatError
    ├── InvalidInput          bad frame, bad field, bad JSON          400
    │   └── TooLarge          over a size limit                       413
    ├── RateLimited           too many frames                         429
    │   ├── LoginThrottled    too many failed logins; Retry-After     429
    │   └── SourceLimited     too many chats from one address         429
    ├── Unauthenticated       unknown, expired or revoked credentials 401
    │   ├── ResumeImpossible  visitor token no longer valid           401
    │   ├── TwoFactorRequired right password; now the 2FA code        401
    │   └── TwoFactorInvalid  wrong or already used 2FA code          401
    ├── WorkRequired          chat start without proof of work       428
    │   └── WorkInvalid       wrong, expired or reused proof of work  428
    ├── Forbidden             role or ownership does not allow it     403
    │   └── CrossSite         a write from a foreign browser origin   403
    ├── NotFound              no such conversation or account         404
    ├── Conflict              state does not allow it                 409
    │   ├── ConversationEnded
    │   ├── AtCapacity        counsellor holds the maximum of chats
    │   └── QueueEmpty        nobody is waiting
    ├── ServiceClosed         outside the opening hours               503
    ├── QueueFull             the queue is at its cap                 503
    └── Unavailable           storage down; safe to retry             503
        └── Busy              too much of this work queued; Retry-After 503
"""

from __future__ import annotations

from chatserver.domain.work import Fault, Puzzle


class ChatError(Exception):
    code = "internal"
    status = 500
    public_message = "Something went wrong."

    def __init__(self, message: str | None = None, *, field: str | None = None) -> None:
        self.message = message or self.public_message
        self.field = field
        super().__init__(self.message)

    def details(self) -> list[dict[str, str]]:
        """Each problem as ``{"field", "reason"}`` when there are several; else empty."""
        return []


class InvalidInput(ChatError):
    code = "invalid"
    status = 400
    public_message = "The request is not valid."


class TooLarge(InvalidInput):
    code = "too_large"
    status = 413
    public_message = "The request is too large."


class RateLimited(ChatError):
    code = "rate_limited"
    status = 429
    public_message = "Too many messages; slow down."


class LoginThrottled(RateLimited):
    code = "login_throttled"
    public_message = "Too many failed logins; wait before trying again."

    def __init__(self, retry_after_s: int) -> None:
        super().__init__()
        #: Whole seconds until the next attempt is let through (HTTP ``Retry-After``).
        self.retry_after_s = retry_after_s


class SourceLimited(RateLimited):
    """One address started too many chats; the visitor widget says so in Dutch (i18n.js)."""

    code = "source_limited"
    public_message = (
        "Many chats were started from your network just now. Please try again in a few "
        "minutes; if you are in danger, call 112."
    )

    def __init__(self, retry_after_s: int) -> None:
        super().__init__()
        self.retry_after_s = retry_after_s


class Unauthenticated(ChatError):
    code = "unauthenticated"
    status = 401
    public_message = "Please log in again."


class ResumeImpossible(Unauthenticated):
    code = "resume_impossible"
    public_message = "This chat can no longer be resumed; start a new one."


class TwoFactorRequired(Unauthenticated):
    code = "two_factor_required"
    public_message = "Enter the code from your authenticator app."


class TwoFactorInvalid(Unauthenticated):
    code = "two_factor_invalid"
    public_message = "That code is wrong or was already used; wait for the next one."


class WorkRequired(ChatError):
    """A chat start must carry a solved puzzle now; the answer carries a fresh one."""

    code = "work_required"
    status = 428
    public_message = "Solve the puzzle in 'work' and start the chat again with its solution."

    def __init__(self, puzzle: Puzzle, message: str | None = None) -> None:
        super().__init__(message)
        self.puzzle = puzzle


class WorkInvalid(WorkRequired):
    """Nothing changed; a fresh puzzle comes with the answer, so the widget simply retries."""

    code = "work_invalid"

    def __init__(self, puzzle: Puzzle, fault: Fault) -> None:
        super().__init__(puzzle, WORK_FAULTS[fault])
        self.fault = fault


WORK_FAULTS = {
    Fault.MALFORMED: "The solution is not one of this server's puzzles.",
    Fault.EXPIRED: "The puzzle has expired; solve the new one.",
    Fault.WRONG: "The nonce does not solve the puzzle.",
    Fault.REUSED: "That solution was already used; solve the new puzzle.",
}


class Forbidden(ChatError):
    code = "forbidden"
    status = 403
    public_message = "You are not allowed to do that."


class CrossSite(Forbidden):
    code = "cross_site"
    public_message = "Requests from other sites are not accepted."


class NotFound(ChatError):
    code = "not_found"
    status = 404
    public_message = "Not found."


class Conflict(ChatError):
    code = "conflict"
    status = 409
    public_message = "That is not possible right now."


class ConversationEnded(Conflict):
    code = "conversation_ended"
    public_message = "This chat has ended."


class AtCapacity(Conflict):
    code = "at_capacity"
    public_message = "The maximum number of simultaneous chats is reached."


class QueueEmpty(Conflict):
    code = "queue_empty"
    public_message = "Nobody is waiting."


class ServiceClosed(ChatError):
    code = "service_closed"
    status = 503
    public_message = "The chat is closed now."


class QueueFull(ChatError):
    code = "queue_full"
    status = 503
    public_message = "Too many people are waiting; try again later."


class Unavailable(ChatError):
    code = "unavailable"
    status = 503
    public_message = "The service is briefly unavailable; try again."


class Busy(Unavailable):
    """Work that is bounded on purpose (password hashing) has a full queue: answered at once,
    rather than waiting behind it, with the code clients already retry."""

    public_message = "Too many logins at once; try again in a moment."

    def __init__(self, retry_after_s: int) -> None:
        super().__init__()
        self.retry_after_s = retry_after_s
