"""The shape the project's own dialogue policies share: each reads one decision off the tracker."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker


class TrackerPolicy(Policy):
    """A policy with nothing to learn: `decide` names the next action, or None to abstain.

    The named action gets the config's `confidence` (1.0 unless set), every other
    action 0, so the priorities in config.yml settle ties with Rasa's own policies.
    """

    def train(self, training_trackers: List[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        return self._resource

    def decide(self, tracker: DialogueStateTracker) -> Optional[Text]:
        raise NotImplementedError

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[Text, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        result = self._default_predictions(domain)
        action = self.decide(tracker)
        if action is not None:
            result[domain.index_for_action(action)] = float(self.config.get("confidence", 1.0))
        return self._prediction(result)
