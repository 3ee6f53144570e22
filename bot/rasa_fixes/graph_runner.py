"""Rasa's prediction graph run node by node on the calling thread, without dask.

Rasa runs its graph of a dozen components through dask's local scheduler for
every message and every action prediction; on one thread the scheduler's
bookkeeping cost a tenth of the Rasa process under load. This runner runs the
same nodes, each once and after the nodes it needs, with the same inputs and
outputs, and works out that order once per set of targets. Training keeps
Rasa's own runner.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text, Tuple

import rasa.core.processor
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner

Plan = Tuple[Tuple[Text, Tuple[Text, ...]], ...]  # (node, the names of its inputs), in running order


class SequentialGraphRunner(DaskGraphRunner):
    """A `GraphRunner` for prediction: Rasa's nodes and schema, no scheduler."""

    def run(self, inputs: Optional[Dict[Text, Any]] = None, targets: Optional[List[Text]] = None) -> Dict[Text, Any]:
        run_targets = tuple(targets or self._graph_schema.target_names)
        # A node's output is (its name, value); inputs take the same shape, as in the dask graph.
        results: Dict[Text, Any] = {name: (name, value) for name, value in (inputs or {}).items()}
        try:
            for name, needs in self._plan(run_targets):
                results[name] = self._instantiated_nodes[name](*(results[need] for need in needs))
        except RuntimeError as error:
            raise GraphRunError("Error running runner.") from error
        return dict(results[target] for target in run_targets)

    def _plan(self, targets: Tuple[Text, ...]) -> Plan:
        """The running order for a set of targets, worked out once per runner.

        Kept on the runner itself: a cache on the method (functools.lru_cache) held every
        runner it had seen, and with it a whole model per `PUT /model` (~135 MiB each).
        """
        plans: Dict[Tuple[Text, ...], Plan] = self.__dict__.setdefault("_plans", {})
        if targets not in plans:
            plans[targets] = self._work_out_plan(targets)
        return plans[targets]

    def _work_out_plan(self, targets: Tuple[Text, ...]) -> Plan:
        nodes = self._graph_schema.minimal_graph_schema(list(targets)).nodes
        order: List[Tuple[Text, Tuple[Text, ...]]] = []

        def place(name: Text) -> None:
            if name not in nodes or any(name == placed for placed, _ in order):
                return  # an input of the run, or placed already
            needs = tuple(nodes[name].needs.values())
            for need in needs:
                place(need)
            order.append((name, needs))

        for target in targets:
            place(target)
        return tuple(order)


def apply() -> None:
    rasa.core.processor.DaskGraphRunner = SequentialGraphRunner
