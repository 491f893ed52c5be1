"""The case card, drawn when someone asks for it (the Web UI's workflow page, `temporal workflow
describe`), not at every activation.

The card is the workflow's current details, which the SDK answers through the
`__temporal_workflow_metadata` query and nothing else reads. Drawing it at every move and timer cost
a fifth of a case's workflow code in replay (issue 27); here the query's answer carries the card of
the case as it stands, at the time of its last activation, as the stored card did.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.worker import (
    HandleQueryInput,
    Interceptor,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)

METADATA_QUERY = "__temporal_workflow_metadata"


class CardOnQuery(WorkflowInboundInterceptor):
    async def handle_query(self, input: HandleQueryInput) -> Any:
        answer = await super().handle_query(input)
        if input.query == METADATA_QUERY and isinstance(answer, WorkflowMetadata):
            case = workflow.instance()
            card = case.card_now() if hasattr(case, "card_now") else None
            if card is not None:  # None: no card of this run (a refused start), the details stay
                answer.current_details = card
        return answer


class CaseCardInterceptor(Interceptor):
    """Every workflow of the worker answers the metadata query with its card drawn then."""

    def workflow_interceptor_class(self, input: WorkflowInterceptorClassInput) -> type[WorkflowInboundInterceptor]:
        return CardOnQuery
