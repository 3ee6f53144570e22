"""Dialogue policy that sends a question about the last answer to the follow-up action."""

from __future__ import annotations

import unicodedata
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

LEGAL_INTENTS = [
    "legal_wage_arrears",
    "legal_work_injury",
    "legal_traffic_accident",
    "legal_platform_dispute",
    "legal_labor_contract",
    "legal_social_insurance",
    "legal_aid_general",
]
# Intents a short follow-up is often mistaken for, whatever the context.
# (A button about the last answer sends `/inform{...}` with its cue.)
VAGUE_INTENTS = ["nlu_fallback", "out_of_scope", "inform", "faq", "affirm"]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class FollowUpPolicy(TrackerPolicy):
    """`第二个怎么走`, `晚上十点还开吗`, `那证据怎么留`: about the answer just given.

    Such a message names nothing of its own, so the NLU cannot know what it
    refers to; the conversation can. When the context slot says what the last
    answer was (a list of stations, a legal topic, a list of programmes) and
    a short message carries one of the cues that kind of answer can be asked
    about, the follow-up action answers from that answer. The intent must be
    one such a message is plausibly taken for (a station question after a
    station list, a vague one, or the same legal topic): a message that names
    something else entirely still goes its own way. While the last answer was
    a question (`asked`, e.g. 专送 or 众包?), a message carrying one of the
    kind's `answers` answers it, whatever its intent.
    """

    @staticmethod
    def supported_data() -> SupportedData:
        return SupportedData.ML_DATA

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # Above RulePolicy (4), below the hand-off policy (7): staff still get every message.
            "priority": 6,
            # Slot holding {"kind": ..., ...} of the last answer that can be asked about.
            "context_slot": "last_answer",
            # Slot holding the legal topic (intent) of the last legal answer.
            "topic_slot": "legal_topic",
            # Action that answers a follow-up.
            "action": "action_follow_up",
            # Longer messages say enough to be understood on their own (letters and digits counted).
            "max_chars": 20,
            # Per kind of answer: the entities that point back at it and the intents a follow-up may carry.
            "contexts": {
                "stations": {
                    "cues": ["ordinal", "clock_time", "followup"],
                    "intents": ["find_station", *VAGUE_INTENTS],
                    # A message naming a place asks for a new search there.
                    "not_with": ["place", "district", "latitude"],
                },
                "programmes": {
                    "cues": ["ordinal", "followup"],
                    "intents": ["childcare", "skills_training", "enrol", *VAGUE_INTENTS],
                    "not_with": ["district"],
                },
                "legal": {
                    "cues": ["legal_aspect", "work_relationship", "district"],
                    "intents": [*VAGUE_INTENTS, "legal_aid_general"],
                    # While its question is open (`asked`), these answer it whatever the intent.
                    "answers": ["work_relationship"],
                },
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
        if not config["contexts"] or any("cues" not in c or "intents" not in c for c in config["contexts"].values()):
            raise InvalidConfigException("FollowUpPolicy: every entry of `contexts` needs `cues` and `intents`.")
        super().__init__(config, model_storage, resource, execution_context, featurizer)

    def decide(self, tracker: DialogueStateTracker) -> Optional[Text]:
        if tracker.latest_action_name == ACTION_LISTEN_NAME and self._is_follow_up(tracker):
            return self.config["action"]
        return None

    def _is_follow_up(self, tracker: DialogueStateTracker) -> bool:
        answer = tracker.get_slot(self.config["context_slot"])
        context = self.config["contexts"].get(answer.get("kind")) if isinstance(answer, dict) else None
        message = tracker.latest_message
        if context is None or message is None or tracker.active_loop_name:
            return False
        if _length(message.text or "") > int(self.config["max_chars"]):
            return False
        entities = {entity.get("entity") for entity in message.entities}
        if answer.get("asked") and entities & set(context.get("answers", ())):
            return True
        if not entities & set(context["cues"]) or entities & set(context.get("not_with", ())):
            return False
        intent = message.intent.get("name")
        same_topic = answer.get("kind") == "legal" and intent == tracker.get_slot(self.config["topic_slot"])
        return same_topic or intent in context["intents"]


def _length(text: Text) -> int:
    """Letters and digits; a button's payload (`/intent{...}`) counts as short."""
    if text.startswith("/"):
        return 0
    return sum(ch.isalnum() for ch in unicodedata.normalize("NFKC", text))
