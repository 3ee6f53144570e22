"""Entity extractor for the ordinals and clock times that point back at the last answer."""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterator, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from nlu import followup_cues

READERS: Dict[Text, Callable[[Text], Iterator[followup_cues.Cue]]] = {
    "ordinal": followup_cues.ordinals,
    "clock_time": followup_cues.clock_times,
}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class FollowUpCueExtractor(GraphComponent, EntityExtractorMixin):
    """`第二个` → `ordinal` 2 (-1 for 最后那个); `晚上十点` → `clock_time` "22:00".

    Rule-based: the values are computed (Chinese numerals, parts of the day),
    which lookup tables cannot do, and they hold for every intent. What a cue
    refers to is the dialogue's business (nlu.followup_policy).
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # Which of the readers to run, each yielding an entity of its name.
            "entities": sorted(READERS),
        }

    def __init__(self, config: Dict[Text, Any]) -> None:
        self._config = {**self.get_default_config(), **config}
        self._readers = [(name, READERS[name]) for name in self._config["entities"]]

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        unknown = set(config.get("entities") or ()) - set(READERS)
        if unknown or not config.get("entities"):
            raise InvalidConfigException(
                f"{cls.__name__}: `entities` must be a non-empty subset of {sorted(READERS)}; got {sorted(unknown)}."
            )

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> FollowUpCueExtractor:
        config = {**cls.get_default_config(), **config}
        cls.validate_config(config)
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            found = self.add_extractor_name(self.extract(message.get(TEXT) or ""))
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages

    def extract(self, text: Text) -> List[Dict[Text, Any]]:
        return [
            {
                ENTITY_ATTRIBUTE_TYPE: name,
                ENTITY_ATTRIBUTE_START: cue.start,
                ENTITY_ATTRIBUTE_END: cue.end,
                ENTITY_ATTRIBUTE_VALUE: cue.value,
            }
            for name, read in self._readers
            for cue in read(text)
        ]
