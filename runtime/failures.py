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


def refused(message: str) -> ApplicationError:
    return ApplicationError(message, type=REFUSED_MOVE, non_retryable=True)


def invalid(message: str) -> ApplicationError:
    return ApplicationError(message, type=INVALID_INPUT, non_retryable=True)
