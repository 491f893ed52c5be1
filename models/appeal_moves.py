"""Details of appeal moves: the closure grounds and partial forwarding (policies/appeals.yaml
holds each ground's outcome and wording with its source; a test keeps the two in step)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from models.schema import rule

LeaveGround = Literal["anonymous", "no_essence"]
TerminateGround = Literal["repeated_without_new_arguments", "court_act_in_force", "earlier_decision_on_same_subject"]


@dataclass
class LeaveDetails:
    """`leave_without_consideration`: the appeal is not considered, on this ground."""

    ground: LeaveGround


@dataclass
class TerminateDetails:
    """`terminate_consideration`: the consideration is terminated, on this ground."""

    ground: TerminateGround
    earlier: str = rule(default="", limit=40)  # the earlier appeal's number (repeats)


@dataclass
class QualityReview:
    """`return_for_finalization` and `approve` (table v3): the quality review of the answer (seed
    5.4), a rating from 1 (poor) to 5 (good) and why. Required for an appeal taken under the
    akim's control; optional otherwise (0 = not rated)."""

    rating: int = rule(default=0, min=0, max=5)
    remark: str = rule(default="", limit=500)


@dataclass
class PartForwardDetails:
    """`forward_part`: the questions sent to the competent body (`target`); the rest stay here."""

    questions: str = rule(limit=2000, required=True)


# Table v6 (issue 22, step 2): what `target` and `new_deadline` meant is named in each trigger's
# details; a client that still sends the flat field is read the same (`rule(fills=...)`).
ISO_DATE = r"\d{4}-\d{2}-\d{2}"


@dataclass
class RouteDetails:
    """`route`: the executor an operator names (none: the routing policy's)."""

    executor: str = rule(default="", limit=100, fills="target")


@dataclass
class ReassignDetails:
    """`reassign`: the executor of the routing policy who takes the appeal over."""

    executor: str = rule(limit=100, required=True, fills="target")


@dataclass
class ForwardDetails:
    """`forward`: the competent body, from the catalogue (policies/appeals.yaml)."""

    body: str = rule(limit=100, required=True, fills="target")


@dataclass
class ForwardPartDetails:
    """`forward_part`: the competent body and the questions sent to it; the rest stay here."""

    body: str = rule(limit=100, required=True, fills="target")
    questions: str = rule(limit=2000, required=True)


@dataclass
class ExtensionDetails:
    """`extend_deadline`: the new legal term (APPC art. 76)."""

    new_deadline: str = rule(limit=10, required=True, pattern=ISO_DATE, fills="new_deadline")


@dataclass
class ProposalDecision:
    """`approve_proposal` and `reject_proposal` (appeals and instructions): which proposal."""

    proposal: str = rule(limit=100, required=True, fills="target")


# Table v7 (issue 24): an answer is given when it reaches the applicant; a letter's delivery is
# corrected and recorded by moves on the case.
@dataclass
class PostedDetails:
    """`mark_posted`: a letter to the applicant posted from the print queue, or handed over on paper
    instead of its e-mail or SMS, with the post's tracking number (or the receipt's number)."""

    notice: str = rule(limit=200, required=True)  # the letter's key in the outbox
    tracking: str = rule(limit=60, required=True)


@dataclass
class ResendDetails:
    """`resend_notice`: a letter or notice that failed for good, sent again; to a corrected
    address (an e-mail, a phone or a postal address) if the contact was wrong."""

    notice: str = rule(limit=200, required=True)
    address: str = rule(default="", limit=300)
