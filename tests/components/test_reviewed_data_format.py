"""The reviewed examples' files (core.reviewed_data) read by Rasa's own NLU YAML reader, as training would."""

from __future__ import annotations

from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

from core.reviewed_data import nlu_yaml


def test_rasa_reads_every_example_as_plain_text_of_its_intent() -> None:
    texts = ["俺的钱被扣了咋整", "工资[押着](money)不给", "电话138****5678 押金：不退！"]
    data = RasaYAMLReader().reads(nlu_yaml("legal_wage_arrears", texts))
    examples = data.intent_examples
    assert [e.get("intent") for e in examples] == ["legal_wage_arrears"] * 3
    assert [e.get("text") for e in examples] == [
        "俺的钱被扣了咋整",
        "工资［押着］(money)不给",
        "电话138****5678 押金：不退！",
    ]
    assert not data.entity_examples
