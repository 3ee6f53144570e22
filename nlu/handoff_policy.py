"""Dialogue policy that keeps the assistant quiet while staff own the conversation."""

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

from core.exit_words import EXIT_TEXTS, compact, exit_set
from nlu.tracker_policy import TrackerPolicy


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class HandoffPolicy(TrackerPolicy):
    """While the hand-off slot is set, every message goes to the staff's ticket.

    It outranks the rule policy, so no rule or form answers in the meantime.
    Only a whole message that is an exit word (取消, 算了, 不用了) hands the
    conversation back to the assistant; a plain 不是, or a sentence that merely
    contains 算了, is part of the talk with staff and is forwarded like the rest.
    """

    @staticmethod
    def supported_data() -> SupportedData:
        return SupportedData.RULE_DATA

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # Above RulePolicy (4), so its prediction wins a tie at confidence 1.
            "priority": 7,
            # Boolean slot that says staff own the conversation.
            "slot": "handoff",
            # Action that adds the message to the ticket.
            "forward_action": "action_forward_to_staff",
            # Action that hands the conversation back to the assistant.
            "leave_action": "action_leave_handoff",
            # Whole messages that mean "back to the assistant" (core.exit_words; a longer
            # 算了，我自己去问 is still forwarded: staff should read it).
            "leave_texts": list(EXIT_TEXTS),
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
        if not config["leave_texts"]:
            raise InvalidConfigException("HandoffPolicy needs at least one of `leave_texts`.")
        super().__init__(config, model_storage, resource, execution_context, featurizer)
        self._leave_texts = exit_set(config["leave_texts"])

    def decide(self, tracker: DialogueStateTracker) -> Optional[Text]:
        latest = tracker.latest_action_name
        if latest == self.config["leave_action"]:
            return ACTION_LISTEN_NAME  # the leave action has just cleared the slot: its turn is over all the same
        if not tracker.get_slot(self.config["slot"]):
            return None
        if latest == ACTION_LISTEN_NAME:
            text = compact(tracker.latest_message.text or "")
            return self.config["leave_action"] if text in self._leave_texts else self.config["forward_action"]
        return ACTION_LISTEN_NAME if latest == self.config["forward_action"] else None
