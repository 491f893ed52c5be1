"""What every part of an appeal's workflow shares: its letters and notices, the registry write that
follows every move, its card and its search attributes (the handlers are in workflows/appeal.py,
the terms and timer points in workflows/appeal_terms.py)."""

from __future__ import annotations

from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate

from models.appeal import AppealInput, parse_appeal
from models.moves import Actor, MoveRecord, MoveRequest
from models.notices import AKIM_RECIPIENT, CONTROLLER_RECIPIENT, HEAD_RECIPIENT, NotificationRequest
from models.policy_snapshot import AppealPolicyRequest
from models.registry_writes import SUMMARY_CHARS, CaseCard
from runtime import search_attributes as sa
from workflows.appeal_case import AppealCase
from workflows.appeal_table import APPEAL_TABLES
from workflows.case_card import delivery_line
from workflows.controlled import ControlledWorkflow
from workflows.proposals import naming_awaiting

ROUTING_ACTOR = Actor(id="routing-policy", role="system")
REGISTRATION_ACTOR = Actor(id="registration-policy", role="system")
TIMER_STATES = ("registered", "routed", "under_consideration", "returned_for_finalization")
# Table v2: the legal term is watched in every open state, also while an answer waits for approval.
TIMER_STATES_V2 = (*TIMER_STATES, "answered")
NOT_YET_ANSWERED = ("routed", "under_consideration", "returned_for_finalization")
LEGAL_POINTS = ("reminder", "escalation", "disciplinary", "hearing_start")  # replaced when the legal term moves
INSTRUCTION_NEWS = "instruction_news"  # internal: an instruction tells its reception to look again
Notice = tuple[str, str, dict[str, str]]  # to whom ("applicant", "executor", ...), template, context


class AppealBase(ControlledWorkflow[AppealInput, AppealCase]):
    TABLES = APPEAL_TABLES
    CASE = AppealCase
    parse_input = staticmethod(parse_appeal)

    @staticmethod
    def policy_request(parsed: AppealInput) -> AppealPolicyRequest:
        return AppealPolicyRequest(parsed.type, parsed.category, parsed.district, parsed.executor)

    @property
    def legal_term_apart(self) -> bool:
        """The legal term and the internal terms kept apart (table v2 and later, issue 9)."""
        return self.table.has("legal_term_apart")

    @staticmethod
    def signature(move: MoveRequest) -> dict[str, str]:
        """Who decided, in what role, and when: what a letter the decision sends is signed with."""
        return {
            "signed_by": move.actor.name or move.actor.id,
            "signed_role": move.actor.role,
            "signed_on": workflow.now().isoformat(),
        }

    def answer_letter(self, move: MoveRequest) -> Notice:
        letter = {"answer_text": self.case.answer_text, "answer_character": self.case.answer_character}
        return ("applicant", "answer_letter", {**letter, **self.signature(move)})

    def extension_notice(self, move: MoveRequest) -> Notice:
        return ("applicant", "extension_notice", {"reason": move.reason, **self.signature(move)})

    async def done(self, record: MoveRecord, *notices: Notice) -> None:
        """What follows every move: the registry write (the move is made for good), the search
        attributes, the notices, and the reception's wake-up for an instruction given there."""
        key = f"move-{record.seq}"
        requests = [self.notice(to, template, key, **context) for to, template, context in notices]
        sent = [r for r in requests if r is not None]
        if self.local_effects():  # one transaction: the event, the card and the notices
            await self.record(record, notices=sent)
            self.upsert_search_attributes()
        else:  # runs that began before local activities: the notices follow the search attributes
            await self.record(record)
            self.upsert_search_attributes()
            for request in sent:
                await self.deliver(request)
        await self.tell_reception()

    async def tell_reception(self) -> None:
        """An instruction given at a reception wakes its reception up; the reception reads the
        instruction's real state itself (it never trusts what a signal says)."""
        a = self.input
        if not a.reception:
            return
        try:
            await workflow.get_external_workflow_handle(a.reception).signal(INSTRUCTION_NEWS, a.reg_number)
        except Exception as err:  # the reception is gone: the instruction is still controlled
            self.note("reception_unreachable", f"{a.reception}: {err}")

    async def notify(self, to: str, template: str, key: str, **context: str) -> bool:
        """Send a notice; False when it did not go out (no contacts, or it failed for good)."""
        request = self.notice(to, template, key, **context)
        return request is not None and await self.deliver(request)

    def notice(self, to: str, template: str, key: str, **context: str) -> NotificationRequest | None:
        """The notice to `to` ("applicant", "executor", "controller", "head"); None, noted, when
        the applicant left no contacts."""
        a = self.input
        rules = self.rules_()
        if to == "applicant":
            recipient = a.contacts.email or a.contacts.phone or a.contacts.address
            if not recipient:
                self.note("notification_skipped", f"{template}: the applicant left no contacts")
                return None
            language = a.language
        elif to == "executor":
            recipient, language = self.case.executor or "appeals-dept", rules.staff_language
        else:
            recipient = {"controller": CONTROLLER_RECIPIENT, "akim": AKIM_RECIPIENT}.get(to, HEAD_RECIPIENT)
            language = rules.staff_language
        base = {
            "reg_number": a.reg_number,
            "applicant_name": a.applicant.name,
            "applicant_address": a.contacts.address,
            "received_at": a.received_at,
            "deadline": self.case.deadline,
            "executor": self.case.executor,
            "category": a.category,
            "district": a.district,
        }
        if self.legal_term_apart:
            base.update(internal_deadline=self.case.internal_deadline, forward_by=self.case.forward_by)
        base.update(context)
        return self.notice_request(recipient, template, language, key, base)

    def card(self) -> CaseCard:
        a, c = self.input, self.case
        return self.registry_card(
            appeal_type=a.type,
            channel=a.channel,
            language=a.language,
            category=a.category,
            district=a.district,
            **a.applicant.registry_fields(),
            addressee=a.addressee,
            received_at=a.received_at,
            deadline=c.deadline,
            overdue=c.overdue,
            possible_repeat_of=list(c.possible_repeat_of),
            answer_character=c.answer_character,
            parent=a.reception,
            related_to=list(c.related_to),
            answered_late=c.answered_late,
            answer_excerpt=c.answer_text[:300] if self.trail.closure_reason == "answered" else "",
            summary=a.text[:SUMMARY_CHARS],
            under_control=c.under_control,
        )

    def needs_attention(self) -> bool:
        """A failed answer letter flags the case too (table v7): the controller corrects the contact."""
        return super().needs_attention() or bool(self.case.delivery_error or self.case.failed_letters)

    def search_attribute_updates(self) -> list[SearchAttributeUpdate[Any]]:
        a, c = self.input, self.case
        return [
            sa.CASE_CATEGORY.value_set(a.category),
            sa.CASE_DISTRICT.value_set(a.district),
            sa.CASE_OVERDUE.value_set(c.overdue),
            sa.CASE_POSSIBLE_REPEAT.value_set(bool(c.possible_repeat_of)),
            sa.keyword_or_unset(sa.CASE_EXECUTOR, c.executor),
            sa.moment_or_unset(sa.CASE_DEADLINE, c.due_at),
            *(
                [sa.keyword_or_unset(sa.CASE_CONTROL, sa.UNDER_AKIM_CONTROL if c.under_control else "")]
                if self.table.has("akim_control")
                else []
            ),
        ]

    def card_term(self) -> tuple[str, str, list[str]]:
        return self.case.deadline, self.case.due_at, self.case.term_days

    def card_lines(self) -> list[tuple[str, str]]:
        c, a = self.case, self.input
        lines = [("category", f"{self.named(a.category)} · {self.named(a.district)}")] if a.category else []
        if c.original_deadline and c.original_deadline != c.deadline:
            lines.append(("extended", f"{c.original_deadline} → {c.deadline}"))
        if c.internal_deadline and c.internal_deadline != c.deadline and c.state == "returned_for_finalization":
            lines.append(("finalization", c.internal_deadline))
        if c.hearing_until and not c.applicant_replied and not c.hearing_elapsed:
            lines.append(("hearing", self.local_moment(c.hearing_until)))
        if c.answer_character and c.state in ("answered", "closed"):
            lines.append(("answer", self.in_words(c.answer_character)))
        if c.approved_at and c.answer_letter:  # table v7: the answer's way to the applicant
            when = self.local_moment(c.delivered_at) if c.delivered_at else ""
            status = delivery_line(
                c.delivery_status, c.delivery_channel, when, c.delivery_error, self.rules_().staff_language
            )
            lines.append(("delivery", status))
        if c.failed_letters:  # table v7: other letters to the applicant that failed
            lines.append(("letters_failed", ", ".join(key.split(":")[-2] for key in c.failed_letters)))
        if c.under_control:
            lines.append(("under_control", "CaseControl = akim"))
        if c.possible_repeat_of:
            lines.append(("possible_repeat", ", ".join(c.possible_repeat_of)))
        return lines

    def example_payload(self, trigger: str) -> dict[str, Any]:
        payload = naming_awaiting(super().example_payload(trigger), trigger, self.case)
        c = self.case
        letter = c.failed_letters[0] if trigger == "resend_notice" and c.failed_letters else c.answer_letter
        if trigger in ("mark_posted", "resend_notice") and letter:
            payload.setdefault("details", {})["notice"] = letter
        if trigger == "approve" and not self.case.under_control:
            return {"case": payload["case"], "trigger": trigger}  # the rating is optional outside the akim's control
        if trigger == "terminate_consideration" and self.case.possible_repeat_of:
            payload["details"]["earlier"] = self.case.possible_repeat_of[0]
        return payload

    def case_kind(self) -> str:
        return "reception_instruction" if self.input.reception else "appeal"
