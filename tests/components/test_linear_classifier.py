import pytest
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.linear_intent_classifier import TfidfLinearClassifier

EXAMPLES = {
    "wages": ["boss owes wages", "unpaid wages again", "wages not paid", "no wages this month"],
    "injury": ["hurt at work", "injured on the job", "work injury claim", "fell and got hurt"],
    "station": ["where to rest", "rest stop nearby", "charge phone nearby", "water and rest"],
}


def featurize(messages, storage, context, train=False):
    tokenizer = WhitespaceTokenizer.create(WhitespaceTokenizer.get_default_config(), storage, Resource("t"), context)
    if train:
        featurize.cvf = CountVectorsFeaturizer.create(
            CountVectorsFeaturizer.get_default_config(), storage, Resource("f"), context
        )
        data = TrainingData(messages)
        tokenizer.process_training_data(data)
        featurize.cvf.train(data)
        featurize.cvf.process_training_data(data)
    else:
        tokenizer.process(messages)
        featurize.cvf.process(messages)
    return messages


def test_trains_predicts_and_survives_persistence(model_storage, context) -> None:
    training = [Message({TEXT: t, INTENT: i}) for i, texts in EXAMPLES.items() for t in texts]
    featurize(training, model_storage, context, train=True)
    config = {**TfidfLinearClassifier.get_default_config(), "ranking_length": 2}
    classifier = TfidfLinearClassifier.create(config, model_storage, Resource("clf"), context)
    classifier.train(TrainingData(training))
    loaded = TfidfLinearClassifier.load(config, model_storage, Resource("clf"), context)
    message = featurize([Message({TEXT: "my boss owes me wages"})], model_storage, context)[0]
    loaded.process([message])
    assert message.get(INTENT)["name"] == "wages"
    ranking = message.get(INTENT_RANKING_KEY)
    assert len(ranking) == 2
    assert ranking[0]["confidence"] > ranking[1]["confidence"]


def test_a_message_with_no_known_words_is_not_confident(model_storage, context) -> None:
    training = [Message({TEXT: t, INTENT: i}) for i, texts in EXAMPLES.items() for t in texts]
    featurize(training, model_storage, context, train=True)
    classifier = TfidfLinearClassifier.create(
        TfidfLinearClassifier.get_default_config(), model_storage, Resource("clf2"), context
    )
    classifier.train(TrainingData(training))
    message = featurize([Message({TEXT: "zzz qqq"})], model_storage, context)[0]
    classifier.process([message])
    assert message.get(INTENT)["confidence"] < 0.5


def test_a_feature_every_example_has_carries_no_evidence(model_storage, context) -> None:
    """`char_wb` puts a space around every word: a message of unknown characters has only
    that feature, which must not decide its intent (嘟嘟嘟嘟 was `affirm` at 0.99)."""
    training = [Message({TEXT: f"{t} common", INTENT: i}) for i, texts in EXAMPLES.items() for t in texts]
    training += [Message({TEXT: "common yes", INTENT: "affirm"})] * 8
    featurize(training, model_storage, context, train=True)
    for loss in ("hinge", "logistic"):
        config = {**TfidfLinearClassifier.get_default_config(), "loss": loss}
        classifier = TfidfLinearClassifier.create(config, model_storage, Resource(f"clf-{loss}"), context)
        classifier.train(TrainingData(training))
        message = featurize([Message({TEXT: "zzz common"})], model_storage, context)[0]
        classifier.process([message])
        assert message.get(INTENT)["confidence"] == pytest.approx(1 / 4), loss


@pytest.mark.parametrize("bad", [{"C": 0}, {"ranking_length": -1}, {"temperature": 0}, {"max_df": 0}, {"loss": "x"}])
def test_bad_configuration_is_refused(model_storage, context, bad) -> None:
    with pytest.raises(InvalidConfigException):
        TfidfLinearClassifier.create(
            {**TfidfLinearClassifier.get_default_config(), **bad}, model_storage, Resource("x"), context
        )
