"""The sentence n-gram featurizer counts what Rasa's CountVectorsFeaturizer counts, without sequences."""

import copy

import pytest
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.sentence_ngram_featurizer import SentenceNgramFeaturizer

TEXTS = ["Boss owes 300 wages", "unpaid wages again and again", "where to rest 24 hours", "charge my phone"]


def tokenized(model_storage, context, texts):
    tokenizer = WhitespaceTokenizer.create(
        WhitespaceTokenizer.get_default_config(), model_storage, Resource("t"), context
    )
    data = TrainingData([Message({TEXT: t, INTENT: "x"}) for t in texts])
    tokenizer.process_training_data(data)
    return data


def sentence(message):
    found = [f for f in message.features if f.type == "sentence"]
    assert len(found) == 1 and not [f for f in message.features if f.type == "sequence"]
    return found[0].features


@pytest.mark.parametrize(("analyzer", "longest"), [("word", 2), ("char_wb", 4)])
def test_same_sentence_counts_as_rasas_featurizer(model_storage, context, analyzer, longest) -> None:
    config = {"analyzer": analyzer, "min_ngram": 1, "max_ngram": longest}
    ours_data = tokenized(model_storage, context, TEXTS)
    rasas_data = copy.deepcopy(ours_data)
    rasas = CountVectorsFeaturizer.create(
        {**CountVectorsFeaturizer.get_default_config(), **config}, model_storage, Resource("cvf"), context
    )
    rasas.train(rasas_data)
    rasas.process_training_data(rasas_data)
    ours = SentenceNgramFeaturizer.create(config, model_storage, Resource(f"snf-{analyzer}"), context)
    ours.train(ours_data)
    ours.process_training_data(ours_data)
    for theirs, mine in zip(rasas_data.training_examples, ours_data.training_examples, strict=True):
        expected = next(f.features for f in theirs.features if f.type == "sentence")
        assert sorted(sentence(mine).toarray().ravel()) == sorted(expected.toarray().ravel())


def test_the_vocabulary_survives_persistence_and_unknown_text_has_no_counts(model_storage, context) -> None:
    config = {"analyzer": "word", "min_ngram": 1, "max_ngram": 1}
    data = tokenized(model_storage, context, TEXTS)
    SentenceNgramFeaturizer.create(config, model_storage, Resource("keep"), context).train(data)
    loaded = SentenceNgramFeaturizer.load(config, model_storage, Resource("keep"), context)
    message = tokenized(model_storage, context, ["wages wages zzz"]).training_examples[0]
    loaded.process([message])
    assert sentence(message).sum() == 2


@pytest.mark.parametrize("bad", [{"analyzer": "char"}, {"min_ngram": 3, "max_ngram": 2}, {"min_df": 0}])
def test_bad_configuration_is_refused(model_storage, context, bad) -> None:
    with pytest.raises(InvalidConfigException):
        SentenceNgramFeaturizer.create(bad, model_storage, Resource("bad"), context)
