"""Signing up for a programme, seeing one's sign-ups and cancelling them.

For a child, the guardian's explicit consent comes first; only the name and a
phone number are collected (the age came from the childcare form), and they
leave the conversation's slots as soon as the booking is written.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from actions.runtime import (
    day_text,
    entity_value,
    in_thread,
    read_in_thread,
    reset,
    services,
    skip_cleared,
    worker_of,
)
from core import enrolments, programmes, validation
from core.models import Programme

ENROLMENT_SLOTS = ("enrol_consent", "participant_name", "contact_phone")


async def _programme(programme_id: Any) -> Optional[Programme]:
    found = validation.record_id(programme_id)
    return None if found is None else await read_in_thread(lambda s: programmes.by_id(s, found))


class ActionStartEnrolment(Action):
    """Remember which programme, and clear what an earlier sign-up left behind."""

    def name(self) -> Text:
        return "action_start_enrolment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        return [SlotSet("programme_id", entity_value(tracker, "programme_id")), *reset(*ENROLMENT_SLOTS)]


class ActionAskEnrolConsent(Action):
    """Ask the guardian's consent (child) or the adult's agreement, naming the programme."""

    def name(self) -> Text:
        return "action_ask_enrol_consent"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        programme = await _programme(tracker.get_slot("programme_id"))
        if programme is None:
            return []
        response = "utter_ask_enrol_consent" if programmes.is_childcare(programme) else "utter_ask_enrol_consent_adult"
        retention = services().settings.enrolment_retention_days
        dispatcher.utter_message(response=response, programme=programme.title, retention=retention)
        return []


class ActionAskParticipantName(Action):
    """Ask for the child's name or the participant's own."""

    def name(self) -> Text:
        return "action_ask_participant_name"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        programme = await _programme(tracker.get_slot("programme_id"))
        child = programme is not None and programmes.is_childcare(programme)
        dispatcher.utter_message(response="utter_ask_participant_name_child" if child else "utter_ask_participant_name")
        return []


class ValidateEnrolmentForm(FormValidationAction):
    """Consent, then name and mobile number, each re-asked with a hint when unreadable."""

    def name(self) -> Text:
        return "validate_enrolment_form"

    async def required_slots(
        self,
        domain_slots: List[Text],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[Text]:
        if tracker.get_slot("programme_id") is None or tracker.get_slot("enrol_consent") is False:
            return []  # nothing to collect: action_enrol explains why
        programme = await _programme(tracker.get_slot("programme_id"))
        if programme is None or not programmes.is_open_for_signup(programme, services().clock.today()):
            return []  # sign-up has not opened (or has closed): action_enrol says so
        return domain_slots

    @skip_cleared
    async def validate_participant_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        name = validation.parse_name(str(value or ""))
        if name is None:
            dispatcher.utter_message(response="utter_invalid_participant_name")
        return {"participant_name": name}

    @skip_cleared
    async def validate_contact_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        phone = validation.parse_mobile(str(value or ""))
        if phone is None:
            dispatcher.utter_message(response="utter_invalid_contact_phone")
        return {"contact_phone": phone}


class ActionEnrol(Action):
    """Book the place (or the waiting list) in one transaction, then forget the details."""

    def name(self) -> Text:
        return "action_enrol"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        cleared = reset(*ENROLMENT_SLOTS, "programme_id")
        programme_id = validation.record_id(tracker.get_slot("programme_id"))
        if programme_id is None:
            dispatcher.utter_message(response="utter_enrolment_not_found")
            return cleared
        programme = await _programme(programme_id)
        if programme is None:  # removed, or an id typed by hand: nothing was declined
            dispatcher.utter_message(response="utter_enrolment_not_found")
            return cleared
        today = services().clock.today()
        if not programmes.is_open_for_signup(programme, today):
            if programme.signup_deadline < today:
                dispatcher.utter_message(response="utter_enrolment_closed", programme=programme.title)
            else:
                opens = day_text(programme.signup_opens)
                dispatcher.utter_message(response="utter_enrolment_not_open", programme=programme.title, opens=opens)
            return cleared
        if tracker.get_slot("enrol_consent") is not True:
            dispatcher.utter_message(response="utter_consent_declined")
            return cleared
        clock = services().clock
        age = tracker.get_slot("child_age")
        applicant = enrolments.Applicant(
            worker=worker_of(tracker),
            name=tracker.get_slot("participant_name"),
            phone=tracker.get_slot("contact_phone"),
            age=validation.whole_number(age),
            consent_at=clock.utc(),
        )

        def book(session: Session) -> Dict[str, Any]:
            result = enrolments.book(session, programme_id, applicant, clock.today(), clock.utc())
            programme = result.programme
            return {
                "outcome": result.outcome,
                "programme": programme.title if programme else "",
                "venue": programme.venue if programme else "",
                "dates": f"{programme.start_date:%m月%d日}至{programme.end_date:%m月%d日}" if programme else "",
                "enrolment_id": result.enrolment.id if result.enrolment else None,
                "position": result.waitlist_position,
            }

        booked = await in_thread(book)
        outcome = booked["outcome"]
        if outcome == "confirmed":
            dispatcher.utter_message(response="utter_enrolled", **booked)
        elif outcome == "waitlisted":
            dispatcher.utter_message(response="utter_waitlisted", **booked)
        elif outcome == "closed":
            dispatcher.utter_message(response="utter_enrolment_closed", **booked)
        elif outcome == "duplicate":
            dispatcher.utter_message(response="utter_enrolment_duplicate", name=applicant.name, **booked)
        else:
            dispatcher.utter_message(response="utter_enrolment_not_found")
        return cleared


class ActionCancelEnrolment(Action):
    """Cancel the sign-up named by the button; without one, list the worker's sign-ups."""

    def name(self) -> Text:
        return "action_cancel_enrolment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        enrolment_id = validation.record_id(entity_value(tracker, "enrolment_id"))
        worker = worker_of(tracker)
        if enrolment_id is None:
            await list_enrolments(dispatcher, worker)
            return []
        now = services().clock.utc()

        def cancel(session: Session) -> Optional[str]:
            result = enrolments.cancel(session, enrolment_id, worker, now)
            return result.programme.title if result else None

        title = await in_thread(cancel)
        if title is None:
            dispatcher.utter_message(response="utter_enrolment_not_found")
        else:
            dispatcher.utter_message(response="utter_enrolment_cancelled", programme=title)
        return [SlotSet("enrolment_id", None)]


async def list_enrolments(dispatcher: CollectingDispatcher, worker: Any) -> None:
    """One message per active sign-up, each with its cancel button."""

    rows = await read_in_thread(lambda session: enrolments.listing(session, worker))
    if not rows:
        dispatcher.utter_message(response="utter_my_enrolments_none")
        return
    for row in rows:
        response = (
            "utter_my_enrolment_confirmed" if row.status == programmes.CONFIRMED else "utter_my_enrolment_waitlisted"
        )
        dispatcher.utter_message(response=response, **vars(row))
