from pathlib import Path

from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.tokenizer import JiebaDictionaryTokenizer


def build(paths, storage, context, name="tok"):
    config = {**JiebaDictionaryTokenizer.get_default_config(), "dictionary_paths": [str(p) for p in paths]}
    return JiebaDictionaryTokenizer.create(config, storage, Resource(name), context), config


def words(tokenizer, text: str):
    return [t.text for t in tokenizer.tokenize(Message({TEXT: text}), TEXT)]


def test_user_words_stay_whole(tmp_path: Path, model_storage, context) -> None:
    (tmp_path / "words.txt").write_text("暖新驿站 2000 nz\n", encoding="utf-8")
    (tmp_path / "places.csv").write_text("name,aliases\n太行东街,太行街\n", encoding="utf-8")
    tokenizer, _ = build([tmp_path], model_storage, context)
    tokens = words(tokenizer, "太行街附近的暖新驿站在哪")
    assert "暖新驿站" in tokens and "太行街" in tokens


def test_mixed_chinese_and_english_yields_no_blank_tokens(model_storage, context) -> None:
    tokenizer, _ = build([], model_storage, context)
    tokens = words(tokenizer, "我的 wifi  连不上   app 打不开")
    assert tokens and all(t.strip() for t in tokens)
    assert "wifi" in tokens


def test_editing_a_dictionary_changes_the_fingerprint(tmp_path: Path) -> None:
    words_file = tmp_path / "words.txt"
    words_file.write_text("暖新驿站 2000 nz\n", encoding="utf-8")
    config = {"dictionary_paths": [str(tmp_path)]}
    before = JiebaDictionaryTokenizer.fingerprint_addon(config)
    words_file.write_text("暖新驿站 2000 nz\n司机之家 2000 nz\n", encoding="utf-8")
    assert JiebaDictionaryTokenizer.fingerprint_addon(config) != before


def test_the_dictionaries_travel_inside_the_model(tmp_path: Path, model_storage, context) -> None:
    folder = tmp_path / "dicts"
    folder.mkdir()
    (folder / "words.txt").write_text("小候鸟托管班 2000 nz\n", encoding="utf-8")
    tokenizer, config = build([folder], model_storage, context, name="persisted")
    tokenizer.train(TrainingData())
    (folder / "words.txt").unlink()
    loaded = JiebaDictionaryTokenizer.load(config, model_storage, Resource("persisted"), context)
    assert "小候鸟托管班" in words(loaded, "有没有小候鸟托管班")
