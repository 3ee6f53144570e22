"""Dialogue policy that lets a rider leave a half-filled form by simply asking something else."""

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

# Answers a form may be waiting for, whatever the form.
ANSWERS = ["inform", "affirm", "deny", "out_of_scope", "nlu_fallback"]
# A message naming a place answers a form's question about where, whatever its intent.
ANSWER_ENTITIES = {"place", "district", "latitude", "longitude"}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class DigressionPolicy(TrackerPolicy):
    """A new topic in the middle of a form ends the form; the new message gets its own flow.

    Rasa's own handling answers the digression and then asks the form's
    question again: a rider who asked where the nearest station is and then
    `查一下进度` would be asked for their location once more. Here, while a
    configured form waits, a message whose intent is none of the answers that
    form takes goes to the change-topic action, which closes the form and
    hands the message back to the policies. Forms that take any text (a
    ticket's description) are simply not configured.
    """

    @staticmethod
    def supported_data() -> SupportedData:
        return SupportedData.ML_DATA

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # Above RulePolicy (4), below the follow-up (6) and hand-off (7) policies.
            "priority": 5,
            # Action that closes the form and hands the message back.
            "action": "action_change_topic",
            # Per form: the intents of the answers it takes (besides `ANSWERS`).
            "forms": {
                "station_form": ["find_station", "share_location"],
                "childcare_form": ["childcare"],
                "enrolment_form": ["enrol"],
            },
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
        if not isinstance(config["forms"], dict):
            raise InvalidConfigException("DigressionPolicy: `forms` maps a form's name to the intents it takes.")
        super().__init__(config, model_storage, resource, execution_context, featurizer)

    def decide(self, tracker: DialogueStateTracker) -> Optional[Text]:
        takes = self.config["forms"].get(tracker.active_loop_name)
        message = tracker.latest_message
        if takes is None or message is None or tracker.latest_action_name != ACTION_LISTEN_NAME:
            return None
        intent = message.intent.get("name")
        names_a_place = any(e.get("entity") in ANSWER_ENTITIES for e in message.entities)
        if intent and intent not in ANSWERS and intent not in takes and not names_a_place:
            return self.config["action"]
        return None
