from pathlib import Path

from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.normalizer import ChineseTextNormalizer


def test_training_annotations_follow_the_normalised_text(tmp_path: Path, model_storage, context) -> None:
    corrections = tmp_path / "corrections.tsv"
    corrections.write_text("驿占\t驿站\n", encoding="utf-8")
    config = {"corrections_path": str(corrections)}
    normalizer = ChineseTextNormalizer.create(config, model_storage, Resource("norm"), context)
    text = "😀😀英雄中路！！！的驿占"
    start = text.index("英雄中路")
    message = Message(
        {TEXT: text, ENTITIES: [{"entity": "place", "start": start, "end": start + 4, "value": "英雄中路"}]}
    )
    normalizer.process_training_data(TrainingData([message]))
    entity = message.get(ENTITIES)[0]
    assert message.get(TEXT) == "英雄中路!的驿站"
    assert message.get(TEXT)[entity["start"] : entity["end"]] == "英雄中路"


def test_corrections_are_carried_in_the_model(tmp_path: Path, model_storage, context) -> None:
    corrections = tmp_path / "corrections.tsv"
    corrections.write_text("公伤\t工伤\n", encoding="utf-8")
    config = {"corrections_path": str(corrections)}
    ChineseTextNormalizer.create(config, model_storage, Resource("norm2"), context).train(TrainingData())
    corrections.unlink()
    loaded = ChineseTextNormalizer.load(config, model_storage, Resource("norm2"), context)
    message = Message({TEXT: "公伤怎么认定"})
    loaded.process([message])
    assert message.get(TEXT) == "工伤怎么认定"


def test_editing_the_corrections_changes_the_fingerprint(tmp_path: Path) -> None:
    corrections = tmp_path / "corrections.tsv"
    corrections.write_text("公伤\t工伤\n", encoding="utf-8")
    before = ChineseTextNormalizer.fingerprint_addon({"corrections_path": str(corrections)})
    corrections.write_text("公伤\t工伤\n托欠\t拖欠\n", encoding="utf-8")
    assert ChineseTextNormalizer.fingerprint_addon({"corrections_path": str(corrections)}) != before


def test_button_payloads_pass_through_untouched(model_storage, context) -> None:
    normalizer = ChineseTextNormalizer.create({}, model_storage, Resource("norm3"), context)
    payload = '/enrol{"programme_id": 8}'
    message = Message({TEXT: payload})
    normalizer.process([message])
    assert message.get(TEXT) == payload
