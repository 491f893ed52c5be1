"""How a workflow runs one of our activities: by its typed reference, with one timeout and one retry
policy, as a local activity (or a server-side one in runs whose history began with them)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, RetryState

from models.activity_names import ActivityRef

A = TypeVar("A")
R = TypeVar("R")

ACTIVITY_TIMEOUT = timedelta(seconds=30)
# Errors no retry can fix: a template that does not render, input a rule refuses, a row that will
# never appear. Everything else (database busy or down, network) retries until it succeeds.
PERMANENT_ERRORS = ["TemplateError", "TemplateSyntaxError", "UndefinedError", "TemplateNotFound", "PermanentFailure"]
ACTIVITY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(minutes=1),
    non_retryable_error_types=PERMANENT_ERRORS,
)


async def run_activity(ref: ActivityRef[A, R], arg: A, *, local: bool, timeout: timedelta = ACTIVITY_TIMEOUT) -> R:
    """Run the activity `ref` with `arg`; its result is read as `ref.result`. A local activity's
    failure arrives bare: it is raised as an ActivityError, as a server-side one's is, so callers
    handle failures one way (the cause is what the activity raised)."""
    result_type: Any = None if ref.result is type(None) else ref.result
    if not local:
        return await workflow.execute_activity(  # type: ignore[no-any-return]
            ref.name, arg, result_type=result_type, start_to_close_timeout=timeout, retry_policy=ACTIVITY_RETRY
        )
    try:
        return await workflow.execute_local_activity(  # type: ignore[no-any-return]
            ref.name, arg, result_type=result_type, start_to_close_timeout=timeout, retry_policy=ACTIVITY_RETRY
        )
    except ApplicationError as err:
        raise ActivityError(
            "Local activity failed",
            scheduled_event_id=0,
            started_event_id=0,
            identity="",
            activity_type=ref.name,
            activity_id="",
            retry_state=RetryState.NON_RETRYABLE_FAILURE,
        ) from err


def failure_message(err: BaseException) -> str:
    """The innermost cause's message (an activity's own error, not 'Activity task failed')."""
    while isinstance(err, ActivityError) and err.cause is not None:
        err = err.cause
    return str(err)[:500] or type(err).__name__
