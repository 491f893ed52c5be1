"""What Temporal lets an administrator do to a case outside the engine, and how a case answers
(issue 20): a reset run parks (records the reset once, refuses every move, writes nothing else);
a cancellation request is refused and kept."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError

from models.activity_names import RECORD_OUTSIDE_RESET
from models.registry_writes import OutsideReset
from runtime import search_attributes as sa
from workflows.activity_calls import ACTIVITY_RETRY, ACTIVITY_TIMEOUT
from workflows.case_host import CaseT, InputT
from workflows.case_view import CaseView

RESET_REFUSAL = (
    "this run of the case was reset through Temporal, outside the engine: it refuses every move and writes"
    " nothing; the head and the auditors are alerted (the registry keeps the case as it was)"
)
KEEP_INTERVENTIONS = 20


class OutsideInterventions(CaseView[InputT, CaseT]):
    reset_seen: bool  # this run was reset outside the engine: it parks
    moving_ticket: int  # the Update whose move is being made (answered if the run parks)

    def reset_run(self) -> bool:
        """Whether this run was reset through Temporal, outside the engine (issue 20), as of this
        task. A reset run's history is the run it was reset from up to the reset point, then its
        own tasks; only the server's reset gives a run a run id other than its history's original
        one. The replayed part must run as it ran, so the reset is taken only in the first task
        that runs live, which marks itself with a patch named after the history's length there;
        a replay of the reset run finds the mark at the same point, the replayed part finds none."""
        if self.reset_seen:
            return True
        info = workflow.info()
        if info.run_id == info.original_execution_run_id and not workflow.unsafe.is_replaying():
            return False  # a live task of a run the engine started (a replayer's run id says nothing)
        if workflow.patched(f"reset-run-{info.get_current_history_length()}"):
            self.reset_seen = True
        return self.reset_seen

    async def park(self) -> None:
        """A reset run: it was neither registered nor continued by the engine. It records the reset
        once (an event of the case and an alert to the head and the auditors; the card's state is
        not touched), flags itself (CaseAttention, the card's "outside" line), then refuses every
        move for good and runs no timer. Never returns: an administrator terminates the run or
        resets it back once the case is restored."""
        info = workflow.info()
        at = workflow.now()
        what = (
            f"{at.isoformat()[:19]}: reset through Temporal outside the engine (run {info.run_id} of"
            f" {info.original_execution_run_id}, back to {self.case.state}); every move is refused, nothing is written"
        )
        self.trail.outside_interventions = [*self.trail.outside_interventions, what][-KEEP_INTERVENTIONS:]
        self.note("reset_outside_engine", what)
        workflow.logger.error("%s: %s", info.workflow_id, what)
        if self.moving_ticket:
            self.outcomes[self.moving_ticket] = RESET_REFUSAL
            self.moving_ticket = 0
        if self.trail.rules is None:  # reset to before registration: no card of this run to show
            workflow.upsert_search_attributes([sa.CASE_ATTENTION.value_set(True)])
            workflow.set_current_details(f"**Reset outside the engine.** {what}")
        else:
            self.upsert_search_attributes()
        language = str(getattr(self.input, "language", "") or "ru")
        reset = OutsideReset(
            info.workflow_id, info.original_execution_run_id, info.run_id, at.isoformat(), self.case.state, language
        )
        try:
            await workflow.execute_local_activity(
                RECORD_OUTSIDE_RESET.name, reset, start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=ACTIVITY_RETRY
            )
        except ActivityError as err:  # the flag and the card still say it; the log names why the alert failed
            workflow.logger.error("%s: the reset could not be recorded: %s", info.workflow_id, err.cause or err)
        while True:
            await workflow.wait_condition(lambda: bool(self.inbox))
            while self.inbox:
                ticket, move = self.inbox.popleft()
                self.record_refusal(move.trigger, move.actor.id, move.actor.role, RESET_REFUSAL)
                if ticket:
                    self.outcomes[ticket] = RESET_REFUSAL

    def refuse_cancellation(self) -> None:
        """A cancellation requested through Temporal (the Web UI's "Request Cancellation", `temporal
        workflow cancel`) does not close a case: it closes only by its own moves (issue 20). The
        request is refused and kept, the case flagged (CaseAttention) and its card says so; who
        asked is in the history's cancel-request event (the SDK does not tell the workflow)."""
        at = workflow.now().isoformat()[:19]
        what = f"{at}: a cancellation was requested outside the engine and refused"
        self.trail.outside_interventions = [*self.trail.outside_interventions, what][-KEEP_INTERVENTIONS:]
        self.note("cancellation_refused", "cancellation requested through Temporal: refused; the case goes on")
        workflow.logger.error("%s: %s", workflow.info().workflow_id, what)
        self.upsert_search_attributes()
