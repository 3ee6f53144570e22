import csv

import pytest
from rasa.engine.storage.resource import Resource
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.gazetteer_extractor import GazetteerEntityExtractor

LEXICONS = {
    "district": "content/gazetteer/districts.csv",
    "place": "content/gazetteer/landmarks.csv",
    "amenity": "content/vocabulary/amenities.csv",
    "station_type": "content/vocabulary/station_types.csv",
}
OLD_NAMES = {"城区": "潞州区", "郊区": "潞州区", "长治县": "上党区", "屯留县": "屯留区", "潞城市": "潞城区"}


@pytest.fixture
def extractor(model_storage, context) -> GazetteerEntityExtractor:
    component = GazetteerEntityExtractor.create({"lexicons": LEXICONS}, model_storage, Resource("gaz"), context)
    component.train(TrainingData())
    return GazetteerEntityExtractor.load({"lexicons": LEXICONS}, model_storage, Resource("gaz"), context)


def entities(extractor, text):
    message = Message({TEXT: text})
    extractor.process([message])
    return [(e["entity"], e["value"], text[e["start"] : e["end"]]) for e in message.get(ENTITIES)]


def district_forms():
    with open(LEXICONS["district"], encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            short = row["name"][:-1] if row["name"] != "沁县" else "沁县"
            yield row["name"], row["name"]
            yield short, row["name"]
    yield from OLD_NAMES.items()


@pytest.mark.parametrize(("surface", "canonical"), list(district_forms()))
def test_every_district_by_any_of_its_names(extractor, surface: str, canonical: str) -> None:
    assert ("district", canonical, surface) in entities(extractor, f"我在{surface}跑单，附近有驿站吗")


def test_all_twelve_districts_are_known(extractor) -> None:
    assert len({c for _, c in district_forms()}) == 12


def test_a_landmark_wins_over_the_district_inside_its_name(extractor) -> None:
    found = entities(extractor, "上党门附近哪能充电")
    assert ("place", "上党门", "上党门") in found
    assert not [e for e in found if e[0] == "district"]
    assert ("amenity", "phone_charging", "充电") in found


def test_aliases_yield_canonical_values(extractor) -> None:
    found = entities(extractor, "火车站旁边的驿站能热饭吗")
    assert ("place", "长治站", "火车站") in found
    assert ("station_type", "暖新驿站", "驿站") in found
    assert ("amenity", "microwave", "热饭") in found


def test_a_config_without_lexicons_is_refused(model_storage, context) -> None:
    with pytest.raises(InvalidConfigException):
        GazetteerEntityExtractor.create({"lexicons": {}}, model_storage, Resource("bad"), context)
