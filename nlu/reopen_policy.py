"""Dialogue policy that sends a message written after 办结 to the resolved ticket, not to a new flow."""

from __future__ import annotations

from typing import Any, Dict, Optional, Text

from rasa.core.policies.policy import SupportedData
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import InvalidConfigException

from nlu.tracker_policy import TrackerPolicy


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class ReopenPolicy(TrackerPolicy):
    """A message while a ticket awaits its rating, unless it rates, thanks or asks for a service.

    Staff resolve a ticket and the delivery worker records the rating prompt in
    the conversation with the slot `rating_ticket` (its number), which carries
    over sessions. A rider who then writes 「押金什么时候到账」 or 「还是没退」 is
    talking about that ticket: the message goes to it and it reopens (the action
    checks that the ticket still awaits a rating within the reopen window, and
    otherwise clears the slot and hands the message back; an exit word such as
    取消 lets the ticket go the same way). A rating, thanks or goodbye, or a
    request for one of the assistant's own services (stations, childcare, a
    report…) takes its usual flow.
    """

    @staticmethod
    def supported_data() -> SupportedData:
        return SupportedData.RULE_DATA

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # Above every other policy here (the follow-up policy's 6 included): a message about
            # the resolved ticket is not a follow-up of the last answer. The hand-off policy (7)
            # never predicts at the same time: this one stays out while staff own the conversation.
            "priority": 8,
            # Action that adds the message to the resolved ticket and reopens it.
            "reopen_action": "action_reopen_ticket",
            # Text slot with the number of the ticket awaiting a rating (set by bot.delivery.recorder).
            "rating_slot": "rating_ticket",
            # Boolean slot that says staff own the conversation (then the hand-off policy decides).
            "handoff_slot": "handoff",
            # Metadata key of a message handed back to the policies (actions.runtime.REDISPATCHED).
            "redispatched_key": "redispatched",
            # Intents that keep their own flow after the prompt: a rating, pleasantries, and the
            # assistant's own services, which a rider asks about for their own sake.
            "own_flow_intents": [
                *("rate", "thanks", "goodbye", "greet", "affirm", "bot_challenge", "ask_capabilities"),
                *("find_station", "childcare", "skills_training", "community_pass", "volunteer"),
                *("register_community", "report_issue", "make_suggestion"),
            ],
        }

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        featurizer: Optional[Any] = None,
    ) -> None:
        config = {**self.get_default_config(), **config}
        if not config["reopen_action"] or not config["rating_slot"]:
            raise InvalidConfigException("ReopenPolicy needs `reopen_action` and `rating_slot`.")
        super().__init__(config, model_storage, resource, execution_context, featurizer)
        self._own_flow = set(config["own_flow_intents"])

    def decide(self, tracker: DialogueStateTracker) -> Optional[Text]:
        latest = tracker.latest_action_name
        if latest == self.config["reopen_action"]:
            return ACTION_LISTEN_NAME
        if latest == ACTION_LISTEN_NAME and self._about_the_resolved_ticket(tracker):
            return self.config["reopen_action"]
        return None

    def _about_the_resolved_ticket(self, tracker: DialogueStateTracker) -> bool:
        message = tracker.latest_message
        if message is None or tracker.get_slot(self.config["handoff_slot"]):
            return False
        if not tracker.get_slot(self.config["rating_slot"]):
            return False
        if (message.metadata or {}).get(self.config["redispatched_key"]):
            return False
        return (message.intent or {}).get("name") not in self._own_flow
