"""Graph component that cleans message text before it is tokenised."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.constants import INTENT_MESSAGE_PREFIX
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_VALUE,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu import dictionary_files
from nlu.text_normalization import TextNormalizer


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class ChineseTextNormalizer(GraphComponent):
    """Normalises full-width forms, punctuation runs, emoji and common slips.

    Placed before the tokenizer. Entity annotations of training examples are
    moved to the normalised offsets, so annotated data stays aligned.
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # TSV file of `wrong<TAB>right` lines: typing and voice-input slips.
            # Copied into the model; its content is part of the fingerprint.
            "corrections_path": None,
        }

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        corrections: Optional[Dict[Text, Text]] = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._normalizer = TextNormalizer(corrections or {})

    @classmethod
    def _paths(cls, config: Dict[Text, Any]) -> List[Text]:
        path = config.get("corrections_path")
        return [path] if path else []

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[Text]:
        paths = cls._paths(config)
        return dictionary_files.fingerprint(paths) if paths else None

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ChineseTextNormalizer:
        config = {**cls.get_default_config(), **config}
        corrections: Dict[Text, Text] = {}
        for path in dictionary_files.expand(cls._paths(config)):
            corrections.update(dictionary_files.read_corrections(path))
        return cls(config, model_storage, resource, corrections)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> ChineseTextNormalizer:
        corrections: Dict[Text, Text] = {}
        try:
            with model_storage.read_from(resource) as directory:
                for path in sorted(Path(directory).iterdir()):
                    corrections.update(dictionary_files.read_corrections(path))
        except ValueError as error:
            if cls._paths({**cls.get_default_config(), **config}):
                raise InvalidConfigException(f"{cls.__name__}: the model holds no corrections; retrain it.") from error
        return cls(config, model_storage, resource, corrections)

    def train(self, training_data: TrainingData) -> Resource:
        files = dictionary_files.expand(self._paths(self._config))
        if files:
            dictionary_files.persist(files, self._model_storage, self._resource)
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for message in training_data.training_examples:
            self._normalize(message)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._normalize(message)
        return messages

    def _normalize(self, message: Message) -> None:
        text = message.get(TEXT)
        if not isinstance(text, str) or text.startswith(INTENT_MESSAGE_PREFIX):
            return  # `/intent{"entity": ...}` payloads are parsed later, verbatim
        result = self._normalizer.normalize(text)
        entities = message.get(ENTITIES)
        if entities:
            message.set(ENTITIES, [_moved(e, text, result) for e in entities])
        message.set(TEXT, result.text)


def _moved(entity: Dict[Text, Any], original: Text, result: Any) -> Dict[Text, Any]:
    """The entity annotation re-anchored on the normalised text."""
    start, end = entity.get(ENTITY_ATTRIBUTE_START), entity.get(ENTITY_ATTRIBUTE_END)
    if start is None or end is None:
        return entity
    span = result.span(start, end)
    if span is None:
        return entity
    moved = {**entity, ENTITY_ATTRIBUTE_START: span[0], ENTITY_ATTRIBUTE_END: span[1]}
    if entity.get(ENTITY_ATTRIBUTE_VALUE) == original[start:end]:
        moved[ENTITY_ATTRIBUTE_VALUE] = result.text[span[0] : span[1]]
    return moved
