"""Hand-over to staff: collecting the request, tickets, hand-off, progress and ratings."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from actions import unanswered
from actions.runtime import (
    entity_value,
    in_thread,
    latest_intent,
    latest_text,
    read_in_thread,
    redispatch,
    reset,
    services,
    shared_location,
    skip_cleared,
    worker_of,
)
from core import deadlines, exit_words, gazetteer, tickets, topics
from core.tickets import ESCALATED_LOOKUPS, TICKET_INTENTS
from core.workers import WorkerRef

# A first message at least this long already says what the matter is.
SELF_DESCRIBING_CHARS = 10
MIN_DESCRIPTION_CHARS = 4
TICKET_NUMBER = re.compile(r"CZ-?\d{8}-?\d{4}", re.IGNORECASE)
TRANSCRIPT_LINES = 20
RATING_WORDS = (
    ("很不满意", 1),
    ("非常不满意", 1),
    ("不满意", 2),
    ("一般", 3),
    ("非常满意", 5),
    ("很满意", 5),
    ("满意", 4),
)
WORKER_LABEL, ASSISTANT_LABEL = "骑手", "助手"
# The ticket whose rating the worker was asked for (set when the prompt is delivered).
RATING_SLOT = "rating_ticket"
RATING_NUMERALS = {**{str(n): n for n in range(1, 6)}, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
# Politeness and punctuation around a rating: 「给5分吧！」 is 5.
RATING_FILLER = re.compile(r"[\s\W_]|吧|了|啊|呀|哈|嗯|的")
RATING_SHAPE = re.compile(
    r"(?:(?:我|就)?(?:打|给|评)?(?:个)?(?P<score>[1-5一二两三四五])(?:分|星|颗星|个星)?(?:好评)?)"
    r"|(?:(?:还|挺|比较|我)?(?P<word>" + "|".join(word for word, _ in RATING_WORDS) + r"))"
)


def _due_text(utc: datetime) -> str:
    local = services().clock.to_local(utc)
    return f"{local.month}月{local.day}日{local:%H:%M}"


class ActionStartTicket(Action):
    """Note what kind of request this is; keep the first message when it already explains."""

    def name(self) -> Text:
        return "action_start_ticket"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        intent = latest_intent(tracker)
        if intent == "request_human":
            await unanswered.keep_handoff_after_failure(tracker)
        if intent not in TICKET_INTENTS:
            intent = tracker.get_slot("ticket_intent") or "request_human"
            if intent not in TICKET_INTENTS and intent not in ESCALATED_LOOKUPS:
                intent = "request_human"
        text = latest_text(tracker).strip()
        events: List[EventType] = [SlotSet("ticket_intent", intent), *reset("ticket_description", "ticket_place")]
        if latest_intent(tracker) in ("report_issue", "make_suggestion") and len(text) >= SELF_DESCRIBING_CHARS:
            events.append(SlotSet("ticket_description", text))
        place = tracker.get_slot("place") or tracker.get_slot("district")
        if intent == "report_issue" and (place or shared_location(tracker)):
            events.append(SlotSet("ticket_place", place or "已发送位置"))
        return events


class ValidateTicketForm(FormValidationAction):
    """A one-line description (and, for a report, the place), each re-asked with a hint."""

    def name(self) -> Text:
        return "validate_ticket_form"

    async def required_slots(
        self,
        domain_slots: List[Text],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[Text]:
        if tracker.get_slot("ticket_intent") == "report_issue":
            return ["ticket_description", "ticket_place"]
        return ["ticket_description"]

    @skip_cleared
    async def validate_ticket_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        text = str(value or "").strip()
        if text == tickets.PHOTO_PLACEHOLDER:
            return {"ticket_description": None}  # a photo alone: ask what it shows
        if len(text) < MIN_DESCRIPTION_CHARS and not _attachments(tracker):
            dispatcher.utter_message(response="utter_invalid_ticket_description")
            return {"ticket_description": None}
        return {"ticket_description": text or "（照片）"}

    @skip_cleared
    async def validate_ticket_place(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        text = str(value or "").strip()
        if shared_location(tracker):
            return {"ticket_place": text or "已发送位置"}
        if not text:
            dispatcher.utter_message(response="utter_ask_ticket_place")
            return {"ticket_place": None}
        location = await read_in_thread(lambda s: gazetteer.resolve(s, text))
        return {"ticket_place": text, "district": location.district if location else tracker.get_slot("district")}


class ActionAskTicketDescription(Action):
    """Ask for the description in the words that fit the request."""

    def name(self) -> Text:
        return "action_ask_ticket_description"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        intent = tracker.get_slot("ticket_intent")
        response = {
            "report_issue": "utter_ask_ticket_description_report",
            "make_suggestion": "utter_ask_ticket_description_suggestion",
        }.get(intent, "utter_ask_ticket_description")
        dispatcher.utter_message(response=response)
        return []


def _attachments(tracker: Tracker) -> List[int]:
    """Attachment ids in the metadata of the messages of this request.

    That is every user message since `action_start_ticket`, and the one that
    started the request (a photo sent on its own starts a report).
    """
    ids: List[int] = []
    started = False
    for event in reversed(tracker.events):
        if event.get("event") == "action" and event.get("name") == "action_start_ticket":
            started = True
        elif event.get("event") == "user":
            attachment = (event.get("metadata") or {}).get("attachment_id")
            if isinstance(attachment, int):
                ids.append(attachment)
            if started:
                break
    return list(reversed(ids))


def _transcript(tracker: Tracker) -> List[str]:
    lines = []
    for event in tracker.events:
        if event.get("event") == "user" and event.get("text"):
            lines.append(f"{WORKER_LABEL}：{event['text']}")
        elif event.get("event") == "bot" and event.get("text"):
            lines.append(f"{ASSISTANT_LABEL}：{event['text']}")
    return lines[-TRANSCRIPT_LINES:]


class ActionCreateTicket(Action):
    """Write the ticket; for a request for a person, staff take over the conversation."""

    def name(self) -> Text:
        return "action_create_ticket"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        intent = tracker.get_slot("ticket_intent") or "request_human"
        lat, lon = shared_location(tracker) or (None, None)
        request = tickets.NewRequest(
            worker=worker_of(tracker),
            intent=intent,
            description=tracker.get_slot("ticket_description") or latest_text(tracker),
            district=tracker.get_slot("district"),
            place_text=tracker.get_slot("ticket_place") or tracker.get_slot("place") or "",
            lat=lat,
            lon=lon,
            handoff=intent not in ("report_issue", "make_suggestion"),
            transcript=_transcript(tracker),
            attachment_ids=_attachments(tracker),
        )
        core = services()
        rules = deadlines.parse(core.settings.ticket_deadlines)

        def create(session: Session) -> Dict[str, Any]:
            ticket = tickets.open_ticket(session, request, core.clock.utc(), core.clock.today(), rules)
            return {"number": ticket.number, "respond_by": ticket.respond_by, "handoff": ticket.handoff_active}

        ticket = await in_thread(create)
        dispatcher.utter_message(
            response="utter_ticket_created", number=ticket["number"], due=_due_text(ticket["respond_by"])
        )
        events: List[EventType] = [
            SlotSet("ticket_number", ticket["number"]),
            *reset("ticket_description", "ticket_place", "ticket_intent", "latitude", "longitude"),
        ]
        if ticket["handoff"]:
            dispatcher.utter_message(response="utter_handoff_started")
            events.append(SlotSet("handoff", True))
        return events


class ActionForwardToStaff(Action):
    """While staff own the conversation: add the message to the ticket.

    The assistant stays silent, except for a short 「已转给工作人员」 on the first
    message after a quiet spell. If staff ended the hand-off while the message
    was on its way, the message is handed back to the assistant to answer.
    """

    def name(self) -> Text:
        return "action_forward_to_staff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        worker = worker_of(tracker)
        text = latest_text(tracker)
        attachment = (tracker.latest_message.get("metadata") or {}).get("attachment_id")
        core = services()
        now, quiet = core.clock.utc(), timedelta(minutes=core.settings.handoff_quiet_minutes)
        forwarded = await in_thread(
            lambda s: tickets.forward_to_staff(
                s, worker, text, attachment if isinstance(attachment, int) else None, now, quiet
            )
        )
        if forwarded is None:
            dispatcher.utter_message(response="utter_handoff_over")
            return [SlotSet("handoff", False), *redispatch(tracker)]
        if forwarded:
            dispatcher.utter_message(response="utter_forwarded_to_staff")
        return []


class ActionLeaveHandoff(Action):
    """The worker said 取消: back to the assistant; the ticket stays open for staff."""

    def name(self) -> Text:
        return "action_leave_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        worker = worker_of(tracker)
        now = services().clock.utc()

        def leave(session: Session) -> Optional[str]:
            ticket = tickets.handoff_ticket(session, worker)
            if ticket is None:
                return None
            tickets.end_handoff(session, ticket, "worker", now)
            return ticket.number

        number = await in_thread(leave)
        dispatcher.utter_message(
            response="utter_handoff_ended", number=number or tracker.get_slot("ticket_number") or ""
        )
        return [SlotSet("handoff", False)]


class ActionCheckTickets(Action):
    """The worker's own tickets, or the one whose number they gave (only if it is theirs)."""

    def name(self) -> Text:
        return "action_check_tickets"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        worker = worker_of(tracker)
        match = TICKET_NUMBER.search(latest_text(tracker))
        number = _canonical_number(match.group()) if match else None

        def load(session: Session) -> Optional[List[Dict[str, Any]]]:
            found = (
                [tickets.by_number_for_worker(session, number, worker)]
                if number
                else tickets.of_worker(session, worker)
            )
            if number and found[0] is None:
                return None
            labels = topics.labels(session)
            found = [t for t in found if t is not None]
            return [
                {
                    "number": t.number,
                    "label": labels.get(t.category, t.category),
                    "state": t.state,
                    "due": _due_text(t.resolve_by if t.answered_at else t.respond_by),
                }
                for t in found
            ]

        rows = await read_in_thread(load)
        if rows is None:
            dispatcher.utter_message(response="utter_ticket_not_found", number=number)
        elif not rows:
            dispatcher.utter_message(response="utter_tickets_none")
        else:
            for row in rows:
                dispatcher.utter_message(response=f"utter_ticket_state_{row['state']}", **row)
        return []


def _canonical_number(text: str) -> str:
    digits = re.sub(r"\D", "", text)
    return f"{tickets.NUMBER_PREFIX}-{digits[:8]}-{digits[8:]}"


def rating_of(value: Any) -> Optional[int]:
    """A button's rating entity (a number, or its digits)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    return int(value) if isinstance(value, str) and value.isascii() and value.isdigit() else None


def parse_rating(text: str) -> Optional[int]:
    """A rating only when the whole message is one: 「5」「5分」「打4分」「五星」「很满意」「不满意」.

    A question that merely holds a digit or a rating word (「我等了3天了」「一般多久到账」)
    is not a rating: it must reach the ticket, not be swallowed by the prompt.
    """
    compact = RATING_FILLER.sub("", unicodedata.normalize("NFKC", text))
    match = RATING_SHAPE.fullmatch(compact)
    if match is None:
        return None
    if match.group("score"):
        return RATING_NUMERALS[match.group("score")]
    return dict(RATING_WORDS)[match.group("word")]


class ActionStoreRating(Action):
    """Store the 1–5 rating of the worker's latest resolved ticket.

    A message the classifier took for a rating that is not one (「一般多久到账」)
    goes to the ticket awaiting the rating, which reopens, as `action_reopen_ticket`.
    """

    def name(self) -> Text:
        return "action_store_rating"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        value = entity_value(tracker, "rating")
        rating = rating_of(value) or parse_rating(latest_text(tracker))
        worker = worker_of(tracker)
        now = services().clock.utc()
        if (rating is None or not 1 <= rating <= 5) and not latest_text(tracker).startswith("/"):
            reopened = None if exit_words.is_exit(latest_text(tracker)) else await _reopen(tracker)
            if reopened is not None:
                return _told_reopened(dispatcher, reopened)
        if rating is None or not 1 <= rating <= 5:
            dispatcher.utter_message(response="utter_rating_unknown")
            return []
        return await _store_rating(dispatcher, worker, rating, now)


async def _store_rating(
    dispatcher: CollectingDispatcher, worker: WorkerRef, rating: int, now: datetime
) -> List[EventType]:
    ticket = await in_thread(lambda s: tickets.rate(s, worker, rating, now))
    dispatcher.utter_message(response="utter_rating_thanks" if ticket else "utter_rating_unknown")
    return [SlotSet("rating", None), SlotSet(RATING_SLOT, None)]


async def _reopen(tracker: Tracker) -> Optional[Dict[str, Any]]:
    """The latest message joins the worker's ticket awaiting a rating, which reopens; None if none awaits."""
    worker, text = worker_of(tracker), latest_text(tracker)
    attachment = (tracker.latest_message.get("metadata") or {}).get("attachment_id")
    core = services()
    rules = deadlines.parse(core.settings.ticket_deadlines)

    def reopen(session: Session) -> Optional[Dict[str, Any]]:
        ticket = tickets.reopen_with_message(
            session, worker, text, core.clock.utc(), rules, attachment if isinstance(attachment, int) else None
        )
        return None if ticket is None else {"number": ticket.number, "handoff": ticket.handoff_active}

    return await in_thread(reopen)


def _told_reopened(dispatcher: CollectingDispatcher, ticket: Dict[str, Any]) -> List[EventType]:
    response = "utter_ticket_reopened" if ticket["handoff"] else "utter_ticket_reopened_report"
    dispatcher.utter_message(response=response, number=ticket["number"])
    return [
        SlotSet("ticket_number", ticket["number"]),
        SlotSet("handoff", ticket["handoff"]),
        SlotSet(RATING_SLOT, None),
    ]


class ActionReopenTicket(Action):
    """The worker wrote after 办结 instead of rating: the message goes to that ticket, which reopens.

    Predicted by `nlu.reopen_policy.ReopenPolicy` while the `rating_ticket`
    slot names a ticket. A whole-message rating the classifier missed (「5分」
    read as `inform`) is stored as the rating instead. The worker is told the ticket's number; for a request to a
    person staff own the conversation again. When no ticket awaits a rating any
    more (rated meanwhile, or resolved over `REOPEN_WINDOW` ago), or the message
    is an exit word (取消, 算了: the rider lets the ticket go, and a later question
    must not reopen it), the slot is cleared and the message handed back to the
    policies to get its own answer.
    """

    def name(self) -> Text:
        return "action_reopen_ticket"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        rating = parse_rating(latest_text(tracker))
        if rating is not None:  # 「5分」 the classifier did not take for a rating is one all the same
            return await _store_rating(dispatcher, worker_of(tracker), rating, services().clock.utc())
        reopened = None if exit_words.is_exit(latest_text(tracker)) else await _reopen(tracker)
        if reopened is None:
            return [SlotSet(RATING_SLOT, None), *redispatch(tracker)]
        return _told_reopened(dispatcher, reopened)
