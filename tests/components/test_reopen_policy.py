"""nlu.reopen_policy: a message while a ticket awaits its rating goes to it, unless it has a flow of its own."""

import pytest
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import InvalidConfigException

from nlu.followup_policy import FollowUpPolicy
from nlu.handoff_policy import HandoffPolicy
from nlu.reopen_policy import ReopenPolicy

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [rate, thanks, find_station, legal_wage_arrears, check_ticket, out_of_scope]
slots:
  handoff:
    type: bool
    influence_conversation: false
    mappings: [{type: custom}]
  rating_ticket:
    type: text
    influence_conversation: false
    mappings: [{type: custom}]
actions: [action_reopen_ticket]
"""
)
AWAITING = SlotSet("rating_ticket", "CZ-20261126-0001")


def predict(policy, events):
    tracker = DialogueStateTracker.from_events("s", events, slots=DOMAIN.slots)
    prediction = policy.predict_action_probabilities(tracker, DOMAIN)
    if max(prediction.probabilities) == 0:
        return None
    return DOMAIN.action_names_or_texts[prediction.max_confidence_index]


def make(model_storage, context, **config):
    return ReopenPolicy.create(
        {**ReopenPolicy.get_default_config(), **config}, model_storage, Resource("reopen"), context
    )


def user(text, intent, metadata=None):
    return [
        ActionExecuted(ACTION_LISTEN_NAME),
        UserUttered(text, {"name": intent, "confidence": 1.0}, metadata=metadata),
    ]


@pytest.mark.parametrize(
    ("text", "intent"),
    [("押金什么时候到账", "legal_wage_arrears"), ("还没解决", "check_ticket"), ("一般多久到账", "out_of_scope")],
)
def test_a_message_while_a_ticket_awaits_its_rating_reopens_it(model_storage, context, text, intent) -> None:
    assert predict(make(model_storage, context), [AWAITING, *user(text, intent)]) == "action_reopen_ticket"


@pytest.mark.parametrize(("text", "intent"), [("5", "rate"), ("谢谢", "thanks"), ("附近驿站", "find_station")])
def test_a_rating_thanks_or_a_service_keep_their_own_flow(model_storage, context, text, intent) -> None:
    assert predict(make(model_storage, context), [AWAITING, *user(text, intent)]) is None


def test_silent_without_a_ticket_awaiting_a_rating(model_storage, context) -> None:
    assert predict(make(model_storage, context), user("押金什么时候到账", "legal_wage_arrears")) is None


def test_silent_while_staff_own_the_conversation(model_storage, context) -> None:
    events = [AWAITING, SlotSet("handoff", True), *user("押金什么时候到账", "legal_wage_arrears")]
    assert predict(make(model_storage, context), events) is None


def test_a_message_handed_back_by_the_action_gets_its_own_flow(model_storage, context) -> None:
    events = [AWAITING, *user("押金什么时候到账", "legal_wage_arrears", {"redispatched": True})]
    assert predict(make(model_storage, context), events) is None


def test_listens_after_reopening(model_storage, context) -> None:
    events = [AWAITING, *user("押金什么时候到账", "legal_wage_arrears"), ActionExecuted("action_reopen_ticket")]
    assert predict(make(model_storage, context), events) == ACTION_LISTEN_NAME


def test_outranks_the_follow_up_and_rule_policies(model_storage, context) -> None:
    priority = make(model_storage, context).priority
    assert priority > FollowUpPolicy.get_default_config()["priority"] and priority > 4
    assert priority != HandoffPolicy.get_default_config()["priority"]


def test_needs_an_action_and_a_slot(model_storage, context) -> None:
    with pytest.raises(InvalidConfigException):
        make(model_storage, context, rating_slot="")
