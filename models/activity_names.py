"""Activity names: workflows call activities by name, so workflow code never imports
the database or template machinery into the sandbox."""

from __future__ import annotations

CHECK_POLICIES = "check_policies"
REGISTER_CASE = "register_case"
PLAN_DEADLINE = "plan_deadline"
PLAN_WORKING_TIME = "plan_working_time"
ROUTE_CASE = "route_case"
RECORD_EVENT = "record_event"
COMMIT_MOVE = "commit_move"  # the event, the card and the move's notices in one transaction
RECORD_OUTSIDE_RESET = "record_outside_reset"  # a reset run's one write: the event and the alerts (issue 20)
RECONCILE_CASES = "reconcile_cases"  # open cards against running cases (issue 20)
SEND_NOTIFICATION = "send_notification"
DRAFT_DISCIPLINARY_PROPOSAL = "draft_disciplinary_proposal"
BOOK_SLOT = "book_slot"
RELEASE_SLOT = "release_slot"
CHECK_INSTRUCTIONS = "check_instructions"
CHECK_EXECUTORS = "check_executors"
DRAFT_INSTRUCTION_PROPOSAL = "draft_instruction_proposal"
SET_PROPOSAL_STATUS = "set_proposal_status"
WRITE_CONCLUSION = "write_conclusion"
WRITE_HALF_YEAR_REPORT = "write_half_year_report"
READ_INSTRUCTION = "read_instruction"
WRITE_REPORT = "write_report"
SEND_DIGEST = "send_digest"
