"""A linear intent classifier over tf-idf weighted sparse features: fast to train, small, quick."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Text, Type

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

WEIGHTS_FILE = "weights.npz"
CLASSES_FILE = "classes.json"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class TfidfLinearClassifier(GraphComponent, IntentClassifier):
    """Intent classifier: tf-idf over the sentence features, then a linear model.

    Rasa's `LogisticRegressionClassifier` fits raw counts with balanced class
    weights: slow to converge on tens of thousands of n-gram features, and the
    weights inflate tiny button-only intents. Here each feature is damped
    (1 + log tf), weighted by idf and rows are L2-normalised; the model is stored
    as plain arrays (no pickle) and predicts with one matrix product.

    `loss: hinge` (the default) fits a linear SVM, one class against the rest:
    on twelve thousand examples it trains in seconds where logistic regression
    needs minutes, and it was more accurate out of fold (bench/RESULTS.md). Its
    margins become confidences by a softmax at `temperature`, which sets how
    sure a margin must be to clear the FallbackClassifier's threshold; both are
    chosen by cross-validation on data/. `loss: logistic` fits multinomial
    logistic regression, whose probabilities need no temperature (1.0).
    """

    @classmethod
    def required_components(cls) -> List[Type]:
        return [Featurizer]

    @staticmethod
    def required_packages() -> List[Text]:
        return ["sklearn"]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # `hinge`: linear SVM (one against the rest); `logistic`: multinomial logistic regression.
            "loss": "hinge",
            # Inverse regularisation strength.
            "C": 1.0,
            # Margins (or log-odds) are divided by this before the softmax: smaller is more confident.
            "temperature": 0.2,
            # Iterations of the solver.
            "max_iter": 1000,
            # Damp repeated features with 1 + log(tf).
            "sublinear_tf": True,
            # Features in more than this share of the examples carry no evidence and get no weight
            # (the space char_wb puts around every word): a message of nothing but unknown
            # characters then has no features at all and goes to the fallback.
            "max_df": 0.9,
            # How many intents the ranking keeps (0 = all).
            "ranking_length": 10,
            # Seed of the solver, for repeatable training.
            "random_state": 42,
        }

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        weights: Optional[Dict[Text, np.ndarray]] = None,
        classes: Optional[List[Text]] = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._weights = weights
        self._classes = classes or []

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        if float(config["C"]) <= 0:
            raise InvalidConfigException(f"{cls.__name__}: `C` must be positive.")
        if not 0.0 < float(config["max_df"]) <= 1.0:
            raise InvalidConfigException(f"{cls.__name__}: `max_df` must lie in (0, 1].")
        if float(config["temperature"]) <= 0:
            raise InvalidConfigException(f"{cls.__name__}: `temperature` must be positive.")
        if config["loss"] not in ("hinge", "logistic"):
            raise InvalidConfigException(f"{cls.__name__}: `loss` must be `hinge` or `logistic`.")
        if int(config["ranking_length"]) < 0:
            raise InvalidConfigException(f"{cls.__name__}: `ranking_length` must be >= 0.")

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TfidfLinearClassifier:
        config = {**cls.get_default_config(), **config}
        cls.validate_config(config)
        return cls(config, model_storage, resource)

    def _model(self) -> Any:
        if self._config["loss"] == "logistic":
            from sklearn.linear_model import LogisticRegression

            return LogisticRegression(
                C=float(self._config["C"]),
                max_iter=int(self._config["max_iter"]),
                random_state=self._config["random_state"],
            )
        from sklearn.svm import LinearSVC

        return LinearSVC(
            C=float(self._config["C"]),
            max_iter=int(self._config["max_iter"]),
            random_state=self._config["random_state"],
        )

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        if not examples:
            return self._resource
        counts = _features(examples)
        document_frequency = np.bincount(counts.indices, minlength=counts.shape[1])
        idf = np.log((1 + counts.shape[0]) / (1 + document_frequency)) + 1.0
        idf[document_frequency > float(self._config["max_df"]) * counts.shape[0]] = 0.0
        model = self._model()
        model.fit(self._weigh(counts, idf), [e.get(INTENT) for e in examples])
        self._classes = [str(c) for c in model.classes_]
        coef, intercept = model.coef_, model.intercept_
        if len(self._classes) == 2:  # sklearn keeps one row for a binary problem
            coef, intercept = np.vstack([-coef, coef]), np.concatenate([-intercept, intercept])
        self._weights = {"idf": idf, "coef": coef.T.copy(), "intercept": intercept}
        self.persist()
        return self._resource

    def _weigh(self, counts: scipy.sparse.csr_matrix, idf: np.ndarray) -> scipy.sparse.csr_matrix:
        matrix = counts.astype(np.float64, copy=True)
        if self._config["sublinear_tf"]:
            np.log(matrix.data, out=matrix.data)
            matrix.data += 1.0
        matrix = matrix @ scipy.sparse.diags(idf)
        norms = np.sqrt(matrix.multiply(matrix).sum(axis=1)).A1
        norms[norms == 0] = 1.0
        return scipy.sparse.diags(1.0 / norms) @ matrix

    def process(self, messages: List[Message]) -> List[Message]:
        if self._weights is None or not messages:
            return messages
        idf, coef, intercept = self._weights["idf"], self._weights["coef"], self._weights["intercept"]
        counts = _features(messages, len(idf))
        limit = int(self._config["ranking_length"]) or len(self._classes)
        for row, message in enumerate(messages):
            # One message is a handful of features: weigh and score them directly,
            # far cheaper than sparse-matrix products built for whole data sets.
            start, end = counts.indptr[row], counts.indptr[row + 1]
            columns, values = counts.indices[start:end], counts.data[start:end].astype(np.float64)
            if self._config["sublinear_tf"]:
                values = 1.0 + np.log(values)
            values *= idf[columns]
            norm = np.sqrt(values @ values)
            if norm == 0:
                # A message without a single known feature carries no evidence: the class
                # priors in the intercept would make it look like the biggest intent.
                probabilities = np.full(len(self._classes), 1.0 / len(self._classes))
            else:
                logits = ((values / norm) @ coef[columns] + intercept) / float(self._config["temperature"])
                probabilities = np.exp(logits - logits.max())
                probabilities /= probabilities.sum()
            order = np.argsort(-probabilities)[:limit]
            ranking = [{"name": self._classes[i], "confidence": float(probabilities[i])} for i in order]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages

    def persist(self) -> None:
        if self._weights is None:
            return
        with self._model_storage.write_to(self._resource) as directory:
            np.savez(directory / WEIGHTS_FILE, **self._weights)
            (directory / CLASSES_FILE).write_text(json.dumps(self._classes, ensure_ascii=False))

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> TfidfLinearClassifier:
        try:
            with model_storage.read_from(resource) as directory:
                with np.load(directory / WEIGHTS_FILE, allow_pickle=False) as arrays:
                    weights = {name: arrays[name] for name in arrays.files}
                classes = json.loads((directory / CLASSES_FILE).read_text())
        except (ValueError, FileNotFoundError):
            return cls(config, model_storage, resource)
        return cls(config, model_storage, resource, weights, classes)


def _features(messages: List[Message], width: Optional[int] = None) -> scipy.sparse.csr_matrix:
    """The sentence-level sparse features of each message, side by side, one row per message.

    A message left empty by the normaliser (only emoji, say) has no features:
    at prediction time it becomes a row of zeros, whose low confidence sends it
    to the fallback; in training every example must have features. The rows
    are assembled from coordinates at once: stacking twelve thousand small
    matrices one by one took longer than fitting the model.
    """
    rows: List[np.ndarray] = []
    columns: List[np.ndarray] = []
    values: List[np.ndarray] = []
    total = width or 0
    for row, message in enumerate(messages):
        # Rasa's `get_sparse_features` would also copy and stack the per-token
        # features, which this classifier does not use; the sentence parts are
        # joined here in the same order.
        parts = [
            f.features
            for f in message.features
            if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE and f.is_sparse()
        ]
        if not parts and width is None:
            raise InvalidConfigException(
                f"TfidfLinearClassifier got no sparse features for '{message.get(TEXT)}': "
                "a sparse featurizer must come before it."
            )
        offset = 0
        for part in parts:
            coo = part.tocoo()
            rows.append(np.full(coo.nnz, row))
            columns.append(coo.col + offset)
            values.append(coo.data)
            offset += part.shape[1]
        total = max(total, offset)
    shape = (len(messages), total)
    if not rows:
        return scipy.sparse.csr_matrix(shape)
    matrix = scipy.sparse.coo_matrix((np.concatenate(values), (np.concatenate(rows), np.concatenate(columns))), shape)
    return matrix.tocsr()
