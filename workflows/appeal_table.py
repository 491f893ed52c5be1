"""The appeal's states and moves, as a table (read it top to bottom).

Conditions name methods of `workflows.appeal_case.AppealCase`; `requires` names payload
fields; `closure` is the reason recorded when the move closes the appeal.
"""

from __future__ import annotations

from typing import Any

from models.appeal_moves import (
    ExtensionDetails,
    ForwardDetails,
    ForwardPartDetails,
    LeaveDetails,
    PartForwardDetails,
    PostedDetails,
    ProposalDecision,
    QualityReview,
    ReassignDetails,
    ResendDetails,
    RouteDetails,
    TerminateDetails,
)
from workflows.case_machine import RETRY_SIDE_EFFECTS, Table, TableVersions, revised
from workflows.proposals import decision_rows

ACTIVE = ["routed", "under_consideration", "returned_for_finalization"]
OPEN = ["registered", *ACTIVE, "answered"]

APPEAL_TRANSITIONS: list[dict[str, Any]] = [
    {
        "trigger": "route",
        "source": "registered",
        "dest": "routed",
        "description": "send to an executor (by routing policy unless `target` names one)",
    },
    {
        "trigger": "forward",
        "handler": "on_forward_v1",  # workflows/appeal_v1.py
        "source": ["registered", "routed", "under_consideration"],
        "dest": "closed",
        "requires": ["target", "reason"],
        "closure": "forwarded",
        "description": "outside competence: send to the competent body, applicant notified",
    },
    {
        "trigger": "leave_without_consideration",
        "source": ["registered", "routed"],
        "dest": "closed",
        "requires": ["reason"],
        "closure": "left_without_consideration",
        "description": "anonymous, no essence, or repeated without new arguments",
    },
    {
        "trigger": "accept",
        "source": "routed",
        "dest": "under_consideration",
        "description": "the executor takes the appeal into work",
    },
    {
        "trigger": "reassign",
        "source": ACTIVE,
        "dest": "routed",
        "requires": ["target"],
        "conditions": ["target_is_new_executor"],
        "description": "hand over to another executor",
    },
    {
        "trigger": "submit_answer",
        "handler": "on_submit_answer_v1",  # workflows/appeal_v1.py
        "source": ["under_consideration", "returned_for_finalization"],
        "dest": "answered",
        "requires": ["answer_text", "answer_character"],
        "description": "the executor's answer, for quality review",
    },
    {
        "trigger": "record_applicant_reply",
        "source": "answered",
        "dest": None,
        "conditions": ["hearing_open"],
        "description": "the applicant replied to the preliminary decision (hearing)",
    },
    {
        "trigger": "return_for_finalization",
        "handler": "on_return_for_finalization_v1",  # workflows/appeal_v1.py
        "source": "answered",
        "dest": "returned_for_finalization",
        "requires": ["reason"],
        "description": "poor answer: back to the executor with a finalization term",
    },
    {
        "trigger": "approve",
        "handler": "on_approve_v1",  # workflows/appeal_v1.py
        "source": "answered",
        "dest": "closed",
        "conditions": ["hearing_satisfied"],
        "closure": "answered",
        "description": "answer approved and delivered to the applicant",
    },
    {
        "trigger": "withdraw",
        "source": OPEN,
        "dest": "closed",
        "requires": ["reason"],
        "closure": "withdrawn",
        "description": "the applicant withdrew the appeal",
    },
    {
        "trigger": "extend_deadline",
        "handler": "on_extend_deadline_v1",  # workflows/appeal_v1.py
        "source": ACTIVE,
        "dest": None,
        "requires": ["new_deadline", "reason"],
        "conditions": ["extension_within_limit"],
        "description": "motivated extension by the head (no state change)",
    },
    RETRY_SIDE_EFFECTS,
]

# Version 2 (issue 9, the legal term kept exactly): closure grounds from every open state before
# the answer, leaving and terminating as two outcomes, partial forwarding to a catalogued body,
# the controller's decision on a repeat, a return that never moves the legal term.
BEFORE_ANSWER = ["registered", *ACTIVE]

V2_CHANGED: dict[str, dict[str, Any]] = {  # v1 rows as they read in v2 (only the keys that changed)
    "route": {"unless": ["waits_for_repeat_decision"]},
    "forward": {
        "handler": None,
        "source": BEFORE_ANSWER,
        "conditions": ["target_is_known_body"],
        "description": "outside competence: send to the competent body (`target`, from the catalogue)",
    },
    "leave_without_consideration": {
        "source": BEFORE_ANSWER,
        "requires": [],
        "details": LeaveDetails,
        "description": "not considered: anonymous, or no essence stated (details.ground)",
    },
    "submit_answer": {
        "handler": None,
        "description": "the executor's answer, for quality review (an adverse one opens the hearing)",
    },
    "return_for_finalization": {
        "handler": None,
        "description": "poor answer: back to the executor with a finalization term (the legal term stays)",
    },
    "approve": {"handler": None},
    "extend_deadline": {
        "handler": None,
        "source": OPEN,
        "description": "motivated extension of the legal term by the head or a deputy (no state change)",
    },
}
V2_ADDED: dict[str, list[dict[str, Any]]] = {  # new rows, placed after the row of the trigger named
    "route": [
        {
            "trigger": "consider_as_new",
            "source": "registered",
            "dest": "routed",
            "conditions": ["is_possible_repeat"],
            "requires": ["reason"],
            "description": "a possible repeat has new arguments: consider it as a new appeal (routing policy)",
        }
    ],
    "forward": [
        {
            "trigger": "forward_part",
            "source": BEFORE_ANSWER,
            "dest": None,
            "requires": ["target", "reason"],
            "details": PartForwardDetails,
            "conditions": ["target_is_known_body"],
            "description": "forward some questions to the competent body; the rest are considered here",
        }
    ],
    "leave_without_consideration": [
        {
            "trigger": "terminate_consideration",
            "source": BEFORE_ANSWER,
            "dest": "closed",
            "details": TerminateDetails,
            "closure": "terminated",
            "description": "consideration terminated: repeated without new arguments, a court act in force, "
            "an earlier decision on the same subject (details.ground)",
        }
    ],
}
APPEAL_TRANSITIONS_V2 = revised(APPEAL_TRANSITIONS, V2_CHANGED, V2_ADDED)
# ...and beyond its rows: the legal term is planned and watched apart from the internal terms (the
# hearing's start, the forwarding term, the extension notice), in every open state.
V2_FEATURES = frozenset({"legal_term_apart"})

# Version 3 (issue 12, quality of answers, seed 5.4): an appeal can be taken under the akim's
# control; a return or an approval then carries the quality review (rating and remark).
V3_CHANGED: dict[str, dict[str, Any]] = {
    "return_for_finalization": {
        "details": QualityReview,
        "conditions": ["quality_review_given"],
        "description": "poor answer: back to the executor with a finalization term (the legal term stays); "
        "details.rating 1-5 and details.remark, required under the akim's control",
    },
    "approve": {
        "details": QualityReview,
        "conditions": ["hearing_satisfied", "quality_review_given"],
        "description": "answer approved and delivered to the applicant; details.rating 1-5 and details.remark, "
        "required under the akim's control",
    },
}
V3_ADDED: dict[str, list[dict[str, Any]]] = {
    "extend_deadline": [
        {
            "trigger": "take_under_control",
            "source": OPEN,
            "dest": None,
            "requires": ["reason"],
            "conditions": ["not_under_control"],
            "description": "take the appeal under the akim's control: its answer's quality is rated (seed 5.4)",
        }
    ]
}
APPEAL_TRANSITIONS_V3 = revised(APPEAL_TRANSITIONS_V2, V3_CHANGED, V3_ADDED)
V3_FEATURES = V2_FEATURES | {"akim_control"}  # the CaseControl search attribute

# Version 4 (issue 14, found when showing the executor on the case card): `reassign` hands the
# appeal only to an executor of the routing policy (policies/routing.yaml `executors`); before, any
# text was taken, and a typo left the appeal with an executor nobody is.
V4_CHANGED: dict[str, dict[str, Any]] = {
    "reassign": {
        "conditions": ["target_is_new_executor", "target_is_known_executor"],
        "description": "hand over to another executor of the routing policy (`target`)",
    },
}
APPEAL_TRANSITIONS_V4 = revised(APPEAL_TRANSITIONS_V3, V4_CHANGED, {})

# Version 5 (issue 21): an extension is decided while the term runs. Before, the head could extend
# a term that had already passed, and the extension erased the missed term (the overdue flag, the
# lateness of the answer). A missed term is a breach that stays (domain.md "missed deadline": the
# body is then deemed to have refused; APPC art. 76: the term is extended by a decision within it).
V5_CHANGED: dict[str, dict[str, Any]] = {
    "extend_deadline": {
        "conditions": ["term_still_running", "extension_within_limit"],
        "description": "motivated extension of the legal term by the head or a deputy, decided before the "
        "term ends (no state change)",
    },
}
# ...and a disciplinary proposal on an appeal (seed 9.4) waits for the head's decision, as an
# instruction's does (seed 9.5): approved with the reference of the decision, or rejected with a
# reason, within the policy's term; an undecided one is escalated.
V5_ADDED: dict[str, list[dict[str, Any]]] = {
    "take_under_control": decision_rows(
        [*OPEN, "closed"],
        approval_requires=["target", "reason"],
        approval="the head approves a disciplinary proposal (`target`), with the decision's reference in `reason`: "
        "it is sent",
        rejection="the head rejects a disciplinary proposal (`target`), with the reason",
    )
}
APPEAL_TRANSITIONS_V5 = revised(APPEAL_TRANSITIONS_V4, V5_CHANGED, V5_ADDED)
# ...a hearing must end before the term's last working day (the decision comes after it, APPC
# art. 73), and proposals wait for the head's decision in the policy's term.
V5_FEATURES = V3_FEATURES | {"decision_after_hearing", "proposals_wait_for_head"}


# Version 6 (issue 22, one contract per kind): what `target` and `new_deadline` meant is named in
# each trigger's typed details (an executor, a body, a proposal, the new term), the payload a form
# or a channel fills in; a client that still sends the flat field is read the same.
V6_CHANGED: dict[str, dict[str, Any]] = {
    "route": {
        "details": RouteDetails,
        "description": "send to an executor (by routing policy unless details.executor)",
    },
    "reassign": {
        "details": ReassignDetails,
        "requires": [],
        "description": "hand over to another executor of the routing policy (details.executor)",
    },
    "forward": {
        "details": ForwardDetails,
        "requires": ["reason"],
        "description": "outside competence: send to the competent body (details.body, from the catalogue)",
    },
    "forward_part": {
        "details": ForwardPartDetails,
        "requires": ["reason"],
        "description": "forward some questions (details.questions) to the competent body (details.body); the rest "
        "are considered here",
    },
    "extend_deadline": {"details": ExtensionDetails, "requires": ["reason"]},
    "approve_proposal": {
        "details": ProposalDecision,
        "requires": ["reason"],
        "description": "the head approves a disciplinary proposal (details.proposal), with the decision's reference "
        "in `reason`: it is sent",
    },
    "reject_proposal": {
        "details": ProposalDecision,
        "requires": ["reason"],
        "description": "the head rejects a disciplinary proposal (details.proposal), with the reason",
    },
}
APPEAL_TRANSITIONS_V6 = revised(APPEAL_TRANSITIONS_V5, V6_CHANGED, {})

# Version 7 (issue 24, the law on delivery): an answer is given when it reaches the applicant
# (domain.md: closed "answered and delivered"). Approval signs the answer and sends its letter; the
# appeal stays answered until the letter's delivery is recorded (the relay's record, read by the
# case itself), then closes with the delivery's time measured against the legal term. A letter that
# failed is sent again to a corrected contact, and a paper letter's posting recorded, as moves.
V7_CHANGED: dict[str, dict[str, Any]] = {
    "approve": {
        "dest": None,
        "closure": None,
        "conditions": ["hearing_satisfied", "quality_review_given", "not_yet_approved"],
        "description": "answer approved and signed: its letter goes to the applicant, and the appeal closes as "
        "answered when the delivery is recorded; details.rating 1-5 and details.remark under the akim's control",
    },
    "return_for_finalization": {"conditions": ["quality_review_given", "not_yet_approved"]},
}
V7_ADDED: dict[str, list[dict[str, Any]]] = {
    "approve": [
        {
            "trigger": "record_delivery",
            "system": True,
            "source": "answered",
            "dest": "closed",
            "conditions": ["answer_delivered"],
            "closure": "answered",
            "description": "the approved answer reached the applicant (e-mail accepted, SMS delivered, letter posted)",
        },
        {
            "trigger": "mark_posted",
            "source": OPEN,
            "dest": None,
            "details": PostedDetails,
            "description": "a letter to the applicant was posted or handed over on paper (details.notice, "
            "details.tracking: the post's tracking number or the receipt's)",
        },
        {
            "trigger": "resend_notice",
            "source": OPEN,
            "dest": None,
            "details": ResendDetails,
            "description": "a letter that failed for good is sent again (details.notice), to a corrected contact "
            "if details.address is given",
        },
    ]
}
APPEAL_TRANSITIONS_V7 = revised(APPEAL_TRANSITIONS_V6, V7_CHANGED, V7_ADDED)
V7_FEATURES = V5_FEATURES | {"answered_when_delivered"}

# A payload for each trigger, as an operator would type it in the Web UI (README, Web UI).
APPEAL_EXAMPLES: dict[str, dict[str, Any]] = {  # free text is "...": the operator writes it
    "route": {},
    "accept": {},
    "submit_answer": {"answer_text": "...", "answer_character": "explained"},
    "approve": {"details": {"rating": 5, "remark": "..."}},
    "return_for_finalization": {"reason": "...", "details": {"rating": 2, "remark": "..."}},
    "reassign": {"reason": "...", "details": {"executor": "utilities-dept"}},
    "forward": {"reason": "...", "details": {"body": "police"}},
    "forward_part": {"reason": "...", "details": {"body": "police", "questions": "..."}},
    "leave_without_consideration": {"reason": "...", "details": {"ground": "no_essence"}},
    "terminate_consideration": {
        "reason": "...",
        "details": {"ground": "repeated_without_new_arguments", "earlier": "APL-2026-000001"},
    },
    "consider_as_new": {"reason": "..."},
    "extend_deadline": {"reason": "...", "details": {"new_deadline": "2027-01-29"}},
    "record_applicant_reply": {"answer_text": "..."},
    "withdraw": {"reason": "..."},
    "take_under_control": {"reason": "..."},
    "approve_proposal": {"reason": "...", "details": {"proposal": "proposal-1"}},
    "reject_proposal": {"reason": "...", "details": {"proposal": "proposal-1"}},
    "mark_posted": {"details": {"notice": "...", "tracking": "..."}},
    "resend_notice": {"details": {"notice": "...", "address": ""}},
    "retry_side_effects": {},
}

# Every version of the table, oldest first. To change a row: add a version (README, "Changing a
# table"); cases already running keep the version they were registered under.
APPEAL_TABLES = TableVersions(
    (
        Table(kind="appeal", transitions=APPEAL_TRANSITIONS, version=1),
        Table(kind="appeal", transitions=APPEAL_TRANSITIONS_V2, version=2, features=V2_FEATURES),
        Table(kind="appeal", transitions=APPEAL_TRANSITIONS_V3, version=3, features=V3_FEATURES),
        Table(kind="appeal", transitions=APPEAL_TRANSITIONS_V4, version=4, features=V3_FEATURES),
        Table(kind="appeal", transitions=APPEAL_TRANSITIONS_V5, version=5, features=V5_FEATURES),
        Table(kind="appeal", transitions=APPEAL_TRANSITIONS_V6, version=6, features=V5_FEATURES),
        Table(kind="appeal", transitions=APPEAL_TRANSITIONS_V7, version=7, features=V7_FEATURES),
    ),
    APPEAL_EXAMPLES,
)
