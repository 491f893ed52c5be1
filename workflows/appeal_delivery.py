"""An appeal's answer until it reaches the applicant (table v7, issue 24).

The law counts an answer given when it reaches the applicant (domain.md: closed "answered and
delivered"). Approval signs the answer and writes its letter into the outbox; the relay sends it
and records what the channel did. The case reads that record itself (the `read_deliveries`
activity) when it is told there is news (the internal `delivery_news` signal, whose word is never
taken) and, in case no news comes, on a timer that waits twice as long after each look. When the
letter counts as delivered (policies/delivery.yaml `delivered_when`) the case closes as answered
with the delivery's time measured against the legal term; a failed letter flags the case until a
controller sends it again (`resend_notice`, to a corrected contact) or posts it (`mark_posted`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow

from models.activity_names import READ_DELIVERIES
from models.appeal_moves import PostedDetails, ResendDetails
from models.contacts import contact_channel
from models.deadlines import TimerPoint
from models.moves import Actor, MoveRequest
from models.notices import DeliveryFact, DeliveryFacts, DeliveryQuery, OutboxChange
from workflows.appeal_terms import AppealTerms

DELIVERY_ACTOR = Actor(id="delivery-record", role="system")
FIRST_LOOK = timedelta(minutes=10)  # the first look without news, after approval or a re-send
LONGEST_LOOK = timedelta(days=1)


class AppealDelivery(AppealTerms):
    @property
    def answered_when_delivered(self) -> bool:
        """Table v7 and later: approval waits for the delivery to close the appeal."""
        return self.table.has("answered_when_delivered")

    def delivery_news(self, values: list[Any]) -> None:
        """News of a letter (internal signal): whatever it says, the case reads the registry."""
        if self.answered_when_delivered and self.case.state != "closed":
            self.wake = True

    def awaits_delivery(self) -> bool:
        c = self.case
        return c.state == "answered" and bool(c.answer_letter) and not c.delivered_at

    def offers(self, trigger: str) -> bool:
        """The card offers a letter's moves for the answer's letter when they apply to it (the
        workbench and the CLI name any letter of the case)."""
        c = self.case
        if trigger == "mark_posted":
            return self.awaits_delivery() and c.delivery_status in ("queued", "failed")
        if trigger == "resend_notice":
            return (self.awaits_delivery() and c.delivery_status == "failed") or bool(c.failed_letters)
        return super().offers(trigger)

    async def reconcile(self) -> str | None:
        await self.look_at_letters()
        return None

    async def on_point_delivery_check(self, point: TimerPoint) -> None:
        await self.look_at_delivery()

    # ---- approval: the answer signed, its letter sent and watched ----
    async def approve_and_send(self, move: MoveRequest) -> None:
        c = self.case
        detail = self.against_legal_term()
        record = self.make_move(
            move, {"legal_term": detail["legal_term"], "approved_late": detail["late"], **self.quality_detail(move)}
        )
        c.approved_at = workflow.now().isoformat()
        letter = self.answer_letter(move)
        a = self.input
        if a.contacts.email or a.contacts.phone or a.contacts.address:
            c.answer_letter = self.notice_key(letter[1], f"move-{record.seq}")
            c.delivery_status = "queued"
        await self.done(record, letter)
        if not c.answer_letter:  # nowhere to send it (an instruction of a reception with no contacts)
            self.note("answer_not_sent", "the applicant left no contacts: the answer is given as approved")
            c.delivered_at = c.approved_at
            await self.system_move("record_delivery", DELIVERY_ACTOR)
            return
        self.plan_look(first=True)

    async def on_record_delivery(self, move: MoveRequest) -> str | None:
        c = self.case
        late = bool(c.due_at) and datetime.fromisoformat(c.delivered_at) >= datetime.fromisoformat(c.due_at)
        c.answered_late = late
        detail = {
            "legal_term": c.deadline,
            "late": "yes" if late else "no",
            "delivered_at": c.delivered_at,
            "channel": c.delivery_channel,
            "letter": c.answer_letter,
        }
        await self.done(self.make_move(move, detail))
        return None

    # ---- what the registry says of the letters ----
    async def look_at_letters(self) -> None:
        """Read every letter of the case to the applicant: one that failed flags the case (until it
        is sent again or posted); the answer's is handled as its delivery says."""
        c = self.case
        if not self.answered_when_delivered or c.state == "closed":
            return
        facts = await self.read_letters([])
        failed = [f.key for f in facts.facts if f.status == "failed" and f.to_applicant and f.key != c.answer_letter]
        if failed != c.failed_letters:
            new = [f"{f.template}: {f.error}" for f in facts.facts if f.key in failed and f.key not in c.failed_letters]
            c.failed_letters = failed
            if new:
                self.note("letter_delivery_failed", "; ".join(new)[:500])
            self.upsert_search_attributes()  # CaseAttention while any is listed
        if self.awaits_delivery():
            await self.answer_delivery(facts.of(c.answer_letter))

    async def look_at_delivery(self) -> None:
        """The answer letter's delivery, read on the case's own timer."""
        if self.answered_when_delivered and self.awaits_delivery():
            await self.answer_delivery((await self.read_letters([self.case.answer_letter])).of(self.case.answer_letter))

    async def answer_delivery(self, fact: DeliveryFact | None) -> None:
        """Close when the answer's letter is delivered, flag when it failed, look again later otherwise."""
        c = self.case
        if fact is None:
            self.note("answer_letter_missing", f"{c.answer_letter} is not in the outbox (retry_side_effects)")
            return
        news = fact.status != c.delivery_status
        c.delivery_status, c.delivery_channel = fact.status, fact.channel
        if fact.reached_at:
            c.delivered_at, c.delivery_error = fact.reached_at, ""
            self.trail.points = [p for p in self.trail.points if p.kind != "delivery_check"]
            await self.system_move("record_delivery", DELIVERY_ACTOR)
            self.upsert_search_attributes()
            return
        if fact.status == "failed" and fact.error != c.delivery_error:
            c.delivery_error = fact.error
            self.note("answer_delivery_failed", fact.error)
            self.upsert_search_attributes()  # CaseAttention: the controller corrects the contact
        self.plan_look(first=news)

    async def read_letters(self, keys: list[str]) -> DeliveryFacts:
        result: DeliveryFacts = await self.call(READ_DELIVERIES, DeliveryQuery(workflow.info().workflow_id, keys))
        return result

    def plan_look(self, *, first: bool) -> None:
        """The next look without news: soon after a change, then twice as long each time (a day at most)."""
        c = self.case
        c.delivery_checks = 0 if first else c.delivery_checks + 1
        wait = min(FIRST_LOOK * 2 ** min(c.delivery_checks, 12), LONGEST_LOOK)
        at = (workflow.now() + wait).isoformat()
        self.trail.points = [p for p in self.trail.points if p.kind != "delivery_check"]
        self.trail.points.append(TimerPoint("delivery_check", at, at))

    # ---- moves on a letter: posted, sent again ----
    async def on_mark_posted(self, move: MoveRequest) -> str | None:
        details = move.details
        assert isinstance(details, PostedDetails)
        fact = (await self.read_letters([details.notice])).of(details.notice)
        if fact is None or not (fact.not_yet_out() or self.posted_by_this_move(fact, details.tracking)):
            return f"details.notice: {details.notice[:200]!r} is not a letter of this appeal still to send"
        record = self.make_move(move, {"notice": details.notice, "tracking": details.tracking})
        change = OutboxChange(details.notice, "posted", tracking=details.tracking, at=record.at)
        await self.record(record, outbox=[change])
        self.forget_failure(details.notice)
        if details.notice == self.case.answer_letter:
            await self.look_at_delivery()
        return None

    def posted_by_this_move(self, fact: DeliveryFact, tracking: str) -> bool:
        """The registry holds the letter posted with this tracking number, and the case holds no
        posting of it: this move's own write, from a workflow task that was lost after it (the
        retried task makes the move again; its registry write is found by its key). A patch
        marker, recorded only here, keeps the histories that refused it replaying as they ran."""
        if not (fact.status in ("sent", "delivered") and fact.channel == "paper" and fact.tracking == tracking):
            return False
        held = any(m.trigger == "mark_posted" and m.detail.get("notice") == fact.key for m in self.trail.history)
        return not held and workflow.patched("mark-posted-retried-task")

    async def on_resend_notice(self, move: MoveRequest) -> str | None:
        details = move.details
        assert isinstance(details, ResendDetails)
        fact = (await self.read_letters([details.notice])).of(details.notice)
        if fact is None or fact.status != "failed":
            return f"details.notice: {details.notice[:200]!r} is not a letter of this appeal that failed"
        address = details.address.strip()
        if address and not fact.to_applicant:
            return "details.address: a staff notice goes to its unit's mailbox (policies/delivery.yaml mailboxes)"
        if contact_channel(address) == "staff":
            return f"details.address: {address[:100]!r} is not an e-mail address, a phone number or a postal address"
        was = fact.channel or "unrouted"
        record = self.make_move(move, {"notice": details.notice, "was": was, "to": contact_channel(address) or was})
        await self.record(record, outbox=[OutboxChange(details.notice, "requeue", address=address)])
        c = self.case
        if details.notice == c.answer_letter:
            c.delivery_status, c.delivery_error = "queued", ""
            self.plan_look(first=True)
        self.forget_failure(details.notice)
        return None

    def forget_failure(self, key: str) -> None:
        """A failed letter sent again or posted no longer flags the case."""
        self.case.failed_letters = [k for k in self.case.failed_letters if k != key]
        self.upsert_search_attributes()

    # ---- the extension notice: its delivery in its term ----
    async def on_point_extension_notice_due(self, point: TimerPoint) -> None:
        """Whether the applicant was told of the extension by the end of the notice term: from
        table v7 the letter's delivery as recorded, not its render."""
        if not self.answered_when_delivered:
            await super().on_point_extension_notice_due(point)
            return
        key = self.case.extension_notice
        fact = (await self.read_letters([key])).of(key) if key else None
        told = (
            fact is not None
            and bool(fact.reached_at)
            and datetime.fromisoformat(fact.reached_at) <= datetime.fromisoformat(point.legal_at)
        )
        await self.extension_notice_checked(point, told=told)
