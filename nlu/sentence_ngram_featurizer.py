"""Sparse featurizer: word or character n-gram counts of the whole message, and nothing per token."""

from __future__ import annotations

import json
import re
from typing import Any, Dict, List, Optional, Text

import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.sparse_featurizer.sparse_featurizer import SparseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

VOCABULARY_FILE = "vocabulary.json"
NUMBER = re.compile(r"\b[0-9]+\b")
ANALYZERS = ("word", "char_wb")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class SentenceNgramFeaturizer(SparseFeaturizer, GraphComponent):
    """The n-gram counts Rasa's `CountVectorsFeaturizer` gives a whole message, and only those.

    Rasa's featurizer also builds a matrix per token (sequence features) for
    every example, which only DIET and TED read; the intent classifier here
    reads the sentence features alone, and building the sequences took a fifth
    of the training time. Tokens are read as Rasa's featurizer reads them
    (lower case, each number as `__NUMBER__`, joined by spaces), so the same
    configuration counts the same n-grams. The vocabulary is stored as JSON.
    """

    @classmethod
    def required_components(cls) -> List[type]:
        return [Tokenizer]

    @staticmethod
    def required_packages() -> List[Text]:
        return ["sklearn"]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            **SparseFeaturizer.get_default_config(),
            # `word`: n-grams of tokens; `char_wb`: character n-grams inside word boundaries.
            "analyzer": "word",
            # Shortest and longest n-gram counted.
            "min_ngram": 1,
            "max_ngram": 1,
            # An n-gram in fewer training examples than this is left out.
            "min_df": 1,
        }

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        vocabulary: Optional[Dict[Text, int]] = None,
    ) -> None:
        super().__init__(execution_context.node_name, config)
        self._model_storage = model_storage
        self._resource = resource
        self._vocabulary = vocabulary
        self._vectorizer = self._new_vectorizer(vocabulary) if vocabulary else None

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        if config["analyzer"] not in ANALYZERS:
            raise InvalidConfigException(f"{cls.__name__}: `analyzer` must be one of {ANALYZERS}.")
        if not 1 <= int(config["min_ngram"]) <= int(config["max_ngram"]):
            raise InvalidConfigException(f"{cls.__name__}: need 1 <= `min_ngram` <= `max_ngram`.")
        if int(config["min_df"]) < 1:
            raise InvalidConfigException(f"{cls.__name__}: `min_df` must be at least 1.")

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceNgramFeaturizer:
        config = {**cls.get_default_config(), **config}
        cls.validate_config(config)
        return cls(config, model_storage, resource, execution_context)

    def _new_vectorizer(self, vocabulary: Optional[Dict[Text, int]] = None) -> Any:
        from sklearn.feature_extraction.text import CountVectorizer

        word = self._config["analyzer"] == "word"
        return CountVectorizer(
            analyzer=self._config["analyzer"],
            token_pattern=r"(?u)\b\w+\b" if word else None,
            ngram_range=(int(self._config["min_ngram"]), int(self._config["max_ngram"])),
            min_df=int(self._config["min_df"]) if vocabulary is None else 1,
            lowercase=False,
            vocabulary=vocabulary,
        )

    def train(self, training_data: TrainingData) -> Resource:
        texts = [_tokens_text(m) for m in training_data.training_examples if m.get(TEXT)]
        texts = [t for t in texts if t]
        if not texts:
            return self._resource
        vectorizer = self._new_vectorizer()
        vectorizer.fit(texts)
        self._vocabulary = {gram: int(index) for gram, index in vectorizer.vocabulary_.items()}
        self._vectorizer = self._new_vectorizer(self._vocabulary)
        with self._model_storage.write_to(self._resource) as directory:
            (directory / VOCABULARY_FILE).write_text(json.dumps(self._vocabulary, ensure_ascii=False))
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        if self._vectorizer is None:
            return messages
        pending = [(m, _tokens_text(m)) for m in messages if m.get(TEXT)]
        pending = [(m, text) for m, text in pending if text]
        if not pending:
            return messages
        matrix = self._vectorizer.transform([text for _, text in pending]).tocsr()
        for row, (message, _) in enumerate(pending):
            features = scipy.sparse.coo_matrix(matrix[row])
            message.add_features(Features(features, FEATURE_TYPE_SENTENCE, TEXT, self._identifier))
        return messages

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> SentenceNgramFeaturizer:
        config = {**cls.get_default_config(), **config}
        try:
            with model_storage.read_from(resource) as directory:
                vocabulary = json.loads((directory / VOCABULARY_FILE).read_text())
        except (ValueError, FileNotFoundError):
            vocabulary = None
        return cls(config, model_storage, resource, execution_context, vocabulary)


def _tokens_text(message: Message) -> Text:
    """The message's tokens as Rasa's count featurizer reads them."""
    tokens = message.get(TOKENS_NAMES[TEXT]) or []
    return " ".join(NUMBER.sub("__NUMBER__", token.text).lower() for token in tokens)
