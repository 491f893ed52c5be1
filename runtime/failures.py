"""Operators read refusals as plain reasons: no worker traceback travels with them."""

from __future__ import annotations

from temporalio.api.failure.v1 import Failure
from temporalio.converter import DefaultFailureConverter, PayloadConverter
from temporalio.exceptions import ApplicationError

REFUSED_MOVE = "RefusedMove"
INVALID_INPUT = "InvalidInput"
PLAIN_REASON_TYPES = frozenset({REFUSED_MOVE, INVALID_INPUT})


class PlainReasonFailureConverter(DefaultFailureConverter):
    """Clears the stack trace of refusals so the Web UI's Update dialog shows only the reason."""

    def to_failure(self, exception: BaseException, payload_converter: PayloadConverter, failure: Failure) -> None:
        super().to_failure(exception, payload_converter, failure)
        if isinstance(exception, ApplicationError) and exception.type in PLAIN_REASON_TYPES:
            failure.stack_trace = ""


class Reason(str):
    """A refusal's words (English: the status, the logs, the Web UI) with a code and its parameters,
    so each client words it in its own language (issue 23); a plain string is a reason too."""

    code: str
    params: dict[str, str]

    def __new__(cls, text: str, code: str, **params: object) -> Reason:
        reason = super().__new__(cls, text)
        reason.code = code
        reason.params = {key: str(value)[:200] for key, value in params.items()}
        return reason


def _details(message: str) -> list[dict[str, object]]:
    """The failure's details: the reason's code and parameters ("other" for a plain reason)."""
    if isinstance(message, Reason):
        return [{"code": message.code, "params": message.params}]
    return [{"code": "other", "params": {}}]


def refused(message: str) -> ApplicationError:
    return ApplicationError(message, *_details(message), type=REFUSED_MOVE, non_retryable=True)


def invalid(message: str) -> ApplicationError:
    return ApplicationError(message, *_details(message), type=INVALID_INPUT, non_retryable=True)
