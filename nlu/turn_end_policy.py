"""Dialogue policy that waits for the rider after any action nothing else continues."""

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
class TurnEndPolicy(TrackerPolicy):
    """After an action that no rule or story continues, listen: never the core fallback.

    Rasa's core fallback ends in `UserUtteranceReverted`, which also undoes the
    events of the action before it: the slot that ended a hand-over, a form or
    a follow-up comes back and the conversation loops. An action that answered
    the rider has done its turn, so the safe prediction after it is to wait for
    the next message. The confidence sits between the core fallback threshold
    and the certainty of rules and stories, so any rule, story or form that does
    continue still wins. After a rider's message this policy predicts nothing:
    a message is never ignored.
    """

    @staticmethod
    def supported_data() -> SupportedData:
        return SupportedData.ML_DATA

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # Below RulePolicy (4), MemoizationPolicy (3) and the hand-off policy: any of them wins a tie.
            "priority": 1,
            # Above RulePolicy's `core_fallback_threshold` (0.3 here), below a rule's 1.0.
            "confidence": 0.5,
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
        if not 0.0 < float(config["confidence"]) < 1.0:
            raise InvalidConfigException("TurnEndPolicy's `confidence` must lie between 0 and 1.")
        super().__init__(config, model_storage, resource, execution_context, featurizer)

    def decide(self, tracker: DialogueStateTracker) -> Optional[Text]:
        latest = tracker.latest_action_name
        return ACTION_LISTEN_NAME if latest is not None and latest != ACTION_LISTEN_NAME else None
