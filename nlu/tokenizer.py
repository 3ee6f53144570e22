"""Jieba tokenizer that knows the project's words and drops blank tokens."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu import dictionary_files

# A user word gets this frequency so jieba keeps it whole.
USER_WORD_FREQUENCY = 2000
# jieba user dictionaries and lexicon CSVs; other files in a folder are ignored.
SUFFIXES = (".txt", ".csv")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class JiebaDictionaryTokenizer(Tokenizer):
    """Jieba with our user dictionaries, unlike Rasa's `JiebaTokenizer`.

    - `dictionary_paths` takes files or folders; `.txt` files are jieba user
      dictionaries, `.csv` lexicons (`name`, `aliases`) add each surface form.
    - The files' contents enter the fingerprint, so editing one retrains.
    - A private `jieba.Tokenizer` is used, so two models never share words.
    - Whitespace tokens, which jieba yields for mixed Chinese/English text, are dropped.
    """

    @staticmethod
    def supported_languages() -> Optional[List[Text]]:
        return ["zh"]

    @staticmethod
    def required_packages() -> List[Text]:
        return ["jieba"]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # Files or folders of dictionaries (jieba .txt, lexicon .csv).
            "dictionary_paths": [],
            # Use jieba's HMM to join unknown words.
            "hmm": True,
            # Flag to check whether to split intents.
            "intent_tokenization_flag": False,
            # Symbol on which intent should be split.
            "intent_split_symbol": "_",
            # Regular expression to detect tokens.
            "token_pattern": None,
            # Symbol on which prefix should be split.
            "prefix_separator_symbol": None,
        }

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        dictionary_files_found: List[Path],
    ) -> None:
        super().__init__(config)
        self._model_storage = model_storage
        self._resource = resource
        self._files = dictionary_files_found
        self._jieba = _build_jieba(dictionary_files_found)

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[Text]:
        paths = config.get("dictionary_paths") or []
        return dictionary_files.fingerprint(paths, SUFFIXES) if paths else None

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> JiebaDictionaryTokenizer:
        config = {**cls.get_default_config(), **config}
        files = dictionary_files.expand(config["dictionary_paths"], SUFFIXES)
        return cls(config, model_storage, resource, files)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> JiebaDictionaryTokenizer:
        config = {**cls.get_default_config(), **config}
        if not config["dictionary_paths"]:
            return cls(config, model_storage, resource, [])
        with model_storage.read_from(resource) as directory:
            files = sorted(Path(directory).iterdir())
            return cls(config, model_storage, resource, files)

    def train(self, training_data: TrainingData) -> Resource:
        if self._files:
            dictionary_files.persist(self._files, self._model_storage, self._resource)
        return self._resource

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        text = message.get(attribute) or ""
        tokens = [
            Token(word, start) for word, start, _ in self._jieba.tokenize(text, HMM=self._config["hmm"]) if word.strip()
        ]
        return self._apply_token_pattern(tokens)


def _build_jieba(files: List[Path]) -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for path in files:
        if path.suffix == ".txt":
            with path.open("rb") as handle:  # jieba leaves a path it opened itself unclosed
                tokenizer.load_userdict(handle)
        else:
            for surface in dictionary_files.read_lexicon(path):
                tokenizer.add_word(surface, freq=USER_WORD_FREQUENCY)
    return tokenizer
