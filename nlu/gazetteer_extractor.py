"""Entity extractor over lexicons: districts, places, amenities and station types."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

import rasa.shared.utils.io
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
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu import dictionary_files

LEXICON_FILE = "lexicons.json"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class GazetteerEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Finds every surface form of a lexicon and yields its canonical value.

    A district written by today's name, its name before the 2018 reorganisation
    (长治县 → 上党区) or its short form (屯留) yields `district` = today's name.
    Matches are leftmost-longest across all lexicons, so 上党门 (a place) wins over
    上党 (a district). The lexicons are copied into the model at training time.
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # entity name -> lexicon CSV with `name` and `aliases` (`|`-separated).
            "lexicons": {},
        }

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        lexicons: Dict[Text, Dict[Text, Text]],
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._lexicons = lexicons
        self._surfaces: Dict[Text, tuple] = {}
        for entity, surfaces in lexicons.items():
            for surface, value in surfaces.items():
                self._surfaces.setdefault(surface.lower(), (entity, value))
        alternatives = sorted(self._surfaces, key=len, reverse=True)
        self._pattern: Optional[re.Pattern] = (
            re.compile("|".join(re.escape(a) for a in alternatives), re.IGNORECASE) if alternatives else None
        )

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        lexicons = config.get("lexicons")
        if not isinstance(lexicons, dict) or not lexicons:
            raise InvalidConfigException(f"{cls.__name__} needs `lexicons`: a map of entity name to CSV file.")

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[Text]:
        return dictionary_files.fingerprint((config.get("lexicons") or {}).values())

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GazetteerEntityExtractor:
        config = {**cls.get_default_config(), **config}
        cls.validate_config(config)
        lexicons = {
            entity: dictionary_files.read_lexicon(file)
            for entity, path in config["lexicons"].items()
            for file in dictionary_files.expand([path])
        }
        return cls(config, model_storage, resource, lexicons)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> GazetteerEntityExtractor:
        with model_storage.read_from(resource) as directory:
            lexicons = rasa.shared.utils.io.read_json_file(directory / LEXICON_FILE)
        return cls(config, model_storage, resource, lexicons)

    def train(self, training_data: TrainingData) -> Resource:
        with self._model_storage.write_to(self._resource) as directory:
            rasa.shared.utils.io.dump_obj_as_json_to_file(directory / LEXICON_FILE, self._lexicons)
        return self._resource

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            found = self.add_extractor_name(self.extract(message.get(TEXT) or ""))
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages

    def extract(self, text: Text) -> List[Dict[Text, Any]]:
        """Leftmost-longest, non-overlapping matches in `text`."""
        if self._pattern is None:
            return []
        entities = []
        for match in self._pattern.finditer(text):
            entity, value = self._surfaces[match.group().lower()]
            entities.append(
                {
                    ENTITY_ATTRIBUTE_TYPE: entity,
                    ENTITY_ATTRIBUTE_START: match.start(),
                    ENTITY_ATTRIBUTE_END: match.end(),
                    ENTITY_ATTRIBUTE_VALUE: value,
                }
            )
        return entities
