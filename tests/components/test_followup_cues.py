"""Ordinals and clock times riders use to point back at the last answer (nlu.followup_cues)."""

import pytest
from rasa.engine.storage.resource import Resource
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu import followup_cues
from nlu.followup_extractor import FollowUpCueExtractor


@pytest.mark.parametrize(
    ("text", "value"),
    [("第二个怎么走", 2), ("第2家电话多少", 2), ("第十二个", 12), ("最后那家几点关门", -1), ("头一个在哪", 1)],
)
def test_ordinals(text: str, value: int) -> None:
    assert [cue.value for cue in followup_cues.ordinals(text)] == [value]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("晚上十点还开吗", "22:00"),
        ("下午3点开门不", "15:00"),
        ("半夜12点半呢", "00:30"),
        ("晚上12点开不开", "00:00"),
        ("夜里2点还有人吗", "02:00"),
        ("22:30还营业吗", "22:30"),
        ("晚上还开吗", "19:00"),
        ("十点还开吗", "10:00?"),
        ("中午1点", "13:00"),
    ],
)
def test_clock_times(text: str, value: str) -> None:
    assert [cue.value for cue in followup_cues.clock_times(text)] == [value]


@pytest.mark.parametrize("text", ["近一点的有吗", "快一点", "有点累", "第零个", "早上送单在路口", "我现在在英雄中路"])
def test_a_little_is_not_one_oclock_and_zero_is_no_ordinal(text: str) -> None:
    assert not list(followup_cues.clock_times(text)) and not list(followup_cues.ordinals(text))


@pytest.mark.parametrize(("text", "value"), [("两", 2), ("十", 10), ("二十三", 23), ("12", 12), ("三十十", None)])
def test_numbers(text: str, value) -> None:
    assert followup_cues.number(text) == value


def test_the_extractor_yields_both_entities_with_their_positions(model_storage, context) -> None:
    extractor = FollowUpCueExtractor.create(
        FollowUpCueExtractor.get_default_config(), model_storage, Resource("cues"), context
    )
    message = Message({TEXT: "第二个晚上十点还开吗"})
    extractor.process([message])
    found = {(e["entity"], e["value"], message.get(TEXT)[e["start"] : e["end"]]) for e in message.get(ENTITIES)}
    assert found == {("ordinal", 2, "第二个"), ("clock_time", "22:00", "晚上十点")}


def test_unknown_readers_are_refused(model_storage, context) -> None:
    with pytest.raises(InvalidConfigException):
        FollowUpCueExtractor.create({"entities": ["weather"]}, model_storage, Resource("cues"), context)
