import pytest
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from nlu.handoff_policy import HandoffPolicy

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [greet, deny]
slots:
  handoff:
    type: bool
    influence_conversation: false
    mappings: [{type: custom}]
actions: [action_forward_to_staff, action_leave_handoff]
"""
)


def predict(policy, events):
    tracker = DialogueStateTracker.from_events("s", events, slots=DOMAIN.slots)
    prediction = policy.predict_action_probabilities(tracker, DOMAIN)
    if max(prediction.probabilities) == 0:
        return None
    return DOMAIN.action_names_or_texts[prediction.max_confidence_index]


def make(model_storage, context):
    return HandoffPolicy.create(HandoffPolicy.get_default_config(), model_storage, Resource("handoff"), context)


def user(text, intent="greet"):
    return [ActionExecuted(ACTION_LISTEN_NAME), UserUttered(text, {"name": intent, "confidence": 1.0})]


def test_silent_unless_staff_own_the_conversation(model_storage, context) -> None:
    assert predict(make(model_storage, context), user("你好")) is None


def test_every_message_goes_to_staff_even_a_plain_no(model_storage, context) -> None:
    policy = make(model_storage, context)
    assert predict(policy, [SlotSet("handoff", True), *user("你好")]) == "action_forward_to_staff"
    assert predict(policy, [SlotSet("handoff", True), *user("不是", "deny")]) == "action_forward_to_staff"


def test_the_exit_word_returns_to_the_assistant(model_storage, context) -> None:
    assert (
        predict(make(model_storage, context), [SlotSet("handoff", True), *user("取消！", "deny")])
        == "action_leave_handoff"
    )


@pytest.mark.parametrize("text", ["算了", "不用了。", "没事了"])
def test_giving_up_alone_returns_to_the_assistant(model_storage, context, text) -> None:
    assert (
        predict(make(model_storage, context), [SlotSet("handoff", True), *user(text, "deny")]) == "action_leave_handoff"
    )


def test_giving_up_inside_a_sentence_still_reaches_staff(model_storage, context) -> None:
    events = [SlotSet("handoff", True), *user("算了我自己去站点问问", "deny")]
    assert predict(make(model_storage, context), events) == "action_forward_to_staff"


def test_listens_after_forwarding(model_storage, context) -> None:
    events = [SlotSet("handoff", True), *user("你好"), ActionExecuted("action_forward_to_staff")]
    assert predict(make(model_storage, context), events) == ACTION_LISTEN_NAME


def test_outranks_the_rule_policy(model_storage, context) -> None:
    assert make(model_storage, context).priority > 4
