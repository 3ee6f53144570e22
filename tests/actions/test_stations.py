"""actions/stations.py: the station form's validation, the search, and questions about the last list."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List
from zoneinfo import ZoneInfo

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.followups import ActionFollowUp
from actions.stations import USED_BY_SEARCH, ActionFindStations, ValidateStationForm
from core import geo, workers
from core.clock import Clock
from core.services import Services
from tests.actions.places import ORIGIN, Known, small_map
from tests.actions.trackers import SENDER, form_tracker, responses, tracker, variables

FORM = "station_form"
RESET = [SlotSet(slot, None) for slot in USED_BY_SEARCH]
ORIGIN_DICT = {"lat": 36.1955, "lon": 113.116, "where": "英雄中路", "approximate": False, "district": "潞州区"}


@pytest.fixture
def places(core: Services) -> Dict[str, Known]:
    return small_map(core)


def buttons_for(place: Known) -> List[Dict[str, str]]:
    buttons = [{"title": "地图导航", "url": geo.amap_link(place.lat, place.lon, place.name)}]
    if place.phone:
        buttons.append({"title": "拨打电话", "url": "tel:" + "".join(c for c in place.phone if c.isdigit())})
    return buttons


def names(messages: List[Dict[str, Any]]) -> List[str]:
    return [m["name"] for m in messages if "name" in m]


# --- validate_station_form --------------------------------------------------------------


@pytest.mark.parametrize(
    "known",
    [
        {"district": "屯留区"},
        {"place": "长治站"},
        {"latitude": 36.19, "longitude": 113.11},
        {"search_origin": ORIGIN_DICT},
    ],
    ids=["district", "place", "shared location", "earlier origin"],
)
async def test_station_form_asks_nothing_when_a_location_is_known(
    core: Services, dispatcher: CollectingDispatcher, domain: dict, known: Dict[str, Any]
) -> None:
    events = await ValidateStationForm().run(dispatcher, tracker("附近驿站", "find_station", slots=known), domain)

    assert events == [SlotSet("requested_slot", None)]
    assert dispatcher.messages == []


async def test_station_form_leaves_asking_to_rasa_when_nothing_is_known(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    state = tracker("附近驿站", "find_station", slots={"latitude": 36.19}, active_loop=FORM)  # half a location

    events = await ValidateStationForm().run(dispatcher, state, domain)

    assert events == []  # required slots are the domain's: Rasa asks for location_text
    assert dispatcher.messages == []


async def test_a_street_answer_sets_the_place_and_its_district(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    state = form_tracker(FORM, {"location_text": "我在英雄中路附近"})

    events = await ValidateStationForm().run(dispatcher, state, domain)

    assert events == [
        SlotSet("location_text", "我在英雄中路附近"),
        SlotSet("district", "潞州区"),
        SlotSet("place", "英雄中路"),
        SlotSet("requested_slot", None),
    ]
    assert dispatcher.messages == []


async def test_a_former_county_name_resolves_to_todays_district(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    events = await ValidateStationForm().run(dispatcher, form_tracker(FORM, {"location_text": "长治县"}), domain)

    assert events == [
        SlotSet("location_text", "长治县"),
        SlotSet("district", "上党区"),
        SlotSet("place", "上党区"),
        SlotSet("requested_slot", None),
    ]


@pytest.mark.parametrize(
    ("answer", "shown"),
    [("太原市小店区", "太原市小店区"), ("火星" * 15, "火星" * 10), ("12345", "12345")],
    ids=["outside the city", "long text cut to 20", "digits"],
)
async def test_an_unknown_place_is_asked_again_with_what_was_not_found(
    core: Services, dispatcher: CollectingDispatcher, domain: dict, answer: str, shown: str
) -> None:
    events = await ValidateStationForm().run(dispatcher, form_tracker(FORM, {"location_text": answer}), domain)

    assert events == [SlotSet("location_text", None)]
    [message] = dispatcher.messages
    assert message["response"] == "utter_location_unknown"
    assert message["location_text"] == shown


async def test_a_shared_location_answers_the_question_without_a_lookup(
    no_database: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    state = form_tracker(
        FORM, {"location_text": "shared"}, intent="share_location", slots={"latitude": 36.2, "longitude": 113.1}
    )

    events = await ValidateStationForm().run(dispatcher, state, domain)

    # The coordinates make the location known: location_text is not even validated.
    assert events == [SlotSet("requested_slot", None)]
    assert dispatcher.messages == []


async def test_a_location_text_another_action_cleared_is_not_checked(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    events = await ValidateStationForm().run(dispatcher, form_tracker(FORM, {"location_text": None}), domain)

    assert events == [SlotSet("location_text", None)]
    assert dispatcher.messages == []


# --- action_find_stations ---------------------------------------------------------------


async def test_search_from_a_street_lists_the_three_nearest_open_places(
    core: Services, places: Dict[str, Known], dispatcher: CollectingDispatcher, domain: dict
) -> None:
    state = tracker("英雄中路附近的驿站", "find_station", slots={"place": "英雄中路", "district": "潞州区"})

    events = await ActionFindStations().run(dispatcher, state, domain)

    near, day, far = places["near"], places["day"], places["far"]
    assert events == [
        *RESET,
        SlotSet("search_origin", ORIGIN_DICT),
        SlotSet("last_answer", {"kind": "stations", "ids": [near.id, day.id, far.id], "amenities": [], "kinds": []}),
    ]
    header, first, second, third = dispatcher.messages
    assert header["response"] == "utter_stations_found"
    assert variables(header) == {"where": "英雄中路", "kind": "", "needs": ""}
    # The closed station 100 m away is not listed.
    assert responses([first, second, third]) == ["utter_station_item", "utter_station_item", "utter_station_item_far"]
    assert variables(first) == {
        "index": 1,
        "name": near.name,
        "address": near.address,
        "distance": near.distance_from(*ORIGIN),
        "km": f"{near.distance_from(*ORIGIN) / 1000:.1f}",
        "walk": max(1, round(near.distance_from(*ORIGIN) / 80)),
        "ride": max(1, round(near.distance_from(*ORIGIN) / 250)),
        "amenities": "饮用水、手机充电、微波炉",
        "hours": "24小时",
        "phone": "0355-1234567",
    }
    assert first["buttons"] == buttons_for(near)
    assert (second["index"], second["name"], second["hours"], second["phone"]) == (
        2,
        day.name,
        "周一至周日 08:00-20:00",
        "-",
    )
    assert second["buttons"] == buttons_for(day)  # no phone: the map only
    assert (third["index"], third["name"], third["km"]) == (3, far.name, "2.5")
    assert third["amenities"] == "饮用水、手机充电、微波炉、厕所、座椅休息等"
    profile = core.read(lambda s: workers.remembered_district(s, workers.WorkerRef("rest", SENDER)))
    assert profile == "潞州区"


async def test_search_for_an_amenity_keeps_only_places_that_have_it(
    core: Services, places: Dict[str, Known], dispatcher: CollectingDispatcher, domain: dict
) -> None:
    state = tracker("哪能热饭", "find_station", slots={"place": "英雄中路", "amenity": ["microwave"]})

    events = await ActionFindStations().run(dispatcher, state, domain)

    ids = [places[key].id for key in ("near", "far", "centre")]
    assert events[-1] == SlotSet(
        "last_answer", {"kind": "stations", "ids": ids, "amenities": ["microwave"], "kinds": []}
    )
    assert responses(dispatcher.messages)[0] == "utter_stations_found_needs"
    assert dispatcher.messages[0]["needs"] == "微波炉"
    assert names(dispatcher.messages) == [places[key].name for key in ("near", "far", "centre")]


async def test_search_for_a_kind_of_place(
    core: Services, places: Dict[str, Known], dispatcher: CollectingDispatcher, domain: dict
) -> None:
    state = tracker("附近的司机之家", "find_station", slots={"place": "英雄中路", "station_type": "司机之家"})

    events = await ActionFindStations().run(dispatcher, state, domain)

    assert responses(dispatcher.messages) == ["utter_stations_found_kind", "utter_station_item"]
    assert variables(dispatcher.messages[0]) == {"where": "英雄中路", "kind": "司机之家", "needs": ""}
    assert dispatcher.messages[1]["name"] == places["day"].name
    assert events[-1].get("value")["kinds"] == ["司机之家"]


async def test_an_unknown_kind_or_amenity_in_the_slots_is_ignored(
    core: Services, places: Dict[str, Known], dispatcher: CollectingDispatcher, domain: dict
) -> None:
    slots = {"place": "英雄中路", "station_type": "网吧", "amenity": ["jacuzzi"]}

    await ActionFindStations().run(dispatcher, tracker("附近", "find_station", slots=slots), domain)

    assert responses(dispatcher.messages)[0] == "utter_stations_found"
    assert names(dispatcher.messages) == [places[key].name for key in ("near", "day", "far")]


async def test_a_place_closed_by_its_hours_is_skipped_at_night(
    core: Services, places: Dict[str, Known], dispatcher: CollectingDispatcher, domain: dict
) -> None:
    core.clock = Clock(ZoneInfo("Asia/Shanghai"), datetime(2026, 11, 26, 14, 30))  # 22:30 in 长治

    await ActionFindStations().run(dispatcher, tracker("附近", "find_station", slots={"place": "英雄中路"}), domain)

    # 司机之家 (08:00-20:00) and the 党群服务中心 (08:00-21:00) have closed.
    assert names(dispatcher.messages) == [places[key].name for key in ("near", "far")]


async def test_from_a_shared_location_the_header_says_you(
    core: Services, places: Dict[str, Known], dispatcher: CollectingDispatcher, domain: dict
) -> None:
    slots = {"latitude": ORIGIN[0], "longitude": ORIGIN[1]}

    events = await ActionFindStations().run(
        dispatcher, tracker("/share_location", "share_location", slots=slots), domain
    )

    assert variables(dispatcher.messages[0]) == {"where": "您", "kind": "", "needs": ""}
    assert "utter_stations_more_precise" not in responses(dispatcher.messages)
    origin = {"lat": ORIGIN[0], "lon": ORIGIN[1], "where": "", "approximate": False, "district": None}
    assert SlotSet("search_origin", origin) in events
    assert core.read(lambda s: workers.remembered_district(s, workers.WorkerRef("rest", SENDER))) is None


@pytest.mark.parametrize(
    "bad",
    [
        {"latitude": "abc", "longitude": 113.1},
        {"latitude": 1e400, "longitude": 113.1},
        {"latitude": 91, "longitude": 0},
    ],
)
async def test_a_location_payload_that_is_no_location_searches_from_the_place_instead(
    core: Services, places: Dict[str, Known], dispatcher: CollectingDispatcher, domain: dict, bad: Dict[str, Any]
) -> None:
    """A hand-typed /share_location{"latitude": "abc"} used to raise in every later search of the session."""
    slots = {**bad, "place": "英雄中路"}

    await ActionFindStations().run(dispatcher, tracker("附近驿站", "find_station", slots=slots), domain)

    assert variables(dispatcher.messages[0])["where"] == "英雄中路"


async def test_a_location_payload_that_is_no_location_is_asked_for(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    state = tracker("附近驿站", "find_station", slots={"latitude": "abc", "longitude": "113"}, active_loop=FORM)

    events = await ValidateStationForm().run(dispatcher, state, domain)

    assert events == []  # required slots are the domain's: Rasa asks for location_text


async def test_from_a_district_far_from_everything_it_says_how_far_and_asks_for_a_location(
    core: Services, places: Dict[str, Known], dispatcher: CollectingDispatcher, domain: dict
) -> None:
    await ActionFindStations().run(dispatcher, tracker("上党区", "find_station", slots={"district": "上党区"}), domain)

    said = responses(dispatcher.messages)
    assert said == [
        "utter_stations_found",
        "utter_stations_far",
        "utter_station_item_far",
        "utter_station_item_far",
        "utter_station_item_far",
        "utter_stations_more_precise",
    ]
    near = places["near"]
    distance = round(geo.distance_m(36.0529, 113.0513, near.lat, near.lon))
    assert variables(dispatcher.messages[1]) == {"first_km": 1, "km": f"{distance / 1000:.1f}"}
    assert dispatcher.messages[-1]["where"] == "上党区"


async def test_nothing_open_within_30_km_sends_the_rider_to_the_party_centre(
    core: Services, places: Dict[str, Known], dispatcher: CollectingDispatcher, domain: dict
) -> None:
    events = await ActionFindStations().run(
        dispatcher, tracker("沁源", "find_station", slots={"district": "沁源县"}), domain
    )

    centre = places["centre"]
    [message] = dispatcher.messages
    assert message["response"] == "utter_stations_none"
    assert variables(message) == {
        "where": "沁源县",
        "radius": 30,
        "district": "潞州区",
        "name": centre.name,
        "address": centre.address,
        "phone": "0355-2100000",
    }
    assert message["buttons"] == buttons_for(centre)
    assert [e["name"] for e in events] == [*USED_BY_SEARCH, "search_origin"]  # no list to ask about


async def test_no_place_at_all_says_so(core: Services, dispatcher: CollectingDispatcher, domain: dict) -> None:
    from sqlalchemy import delete

    from core.models import Place

    core.transaction(lambda s: s.execute(delete(Place)))

    await ActionFindStations().run(dispatcher, tracker("附近", "find_station", slots={"district": "潞州区"}), domain)

    assert responses(dispatcher.messages) == ["utter_stations_none_at_all"]
    assert dispatcher.messages[0]["where"] == "潞州区"


@pytest.mark.parametrize(
    "slots",
    [{}, {"district": "北京市"}, {"place": "火星"}, {"search_origin": {"lat": "x"}}],
    ids=["nothing", "district outside the city", "unknown place", "broken origin"],
)
async def test_without_a_usable_location_it_asks_for_one(
    core: Services, dispatcher: CollectingDispatcher, domain: dict, slots: Dict[str, Any]
) -> None:
    events = await ActionFindStations().run(dispatcher, tracker("附近驿站", "find_station", slots=slots), domain)

    assert events == RESET
    assert responses(dispatcher.messages) == ["utter_ask_location_text"]


async def test_the_remembered_origin_is_used_when_nothing_new_is_said(
    core: Services, places: Dict[str, Known], dispatcher: CollectingDispatcher, domain: dict
) -> None:
    slots = {"search_origin": ORIGIN_DICT, "district": "沁源县"}  # the origin is newer than the district

    await ActionFindStations().run(dispatcher, tracker("还有充电的吗", "find_station", slots=slots), domain)

    assert dispatcher.messages[0]["where"] == "英雄中路"


# --- action_follow_up after a station list ----------------------------------------------


def after_list(places: Dict[str, Known], text: str, entities: List[tuple], **slots: Any) -> Any:
    listed = {"kind": "stations", "ids": [places[k].id for k in ("near", "day", "far")], "amenities": [], "kinds": []}
    return tracker(text, "inform", entities, slots={"last_answer": listed, "search_origin": ORIGIN_DICT, **slots})


async def test_the_second_one_gets_its_details_and_map(
    core: Services, places: Dict[str, Known], dispatcher: CollectingDispatcher, domain: dict
) -> None:
    state = after_list(places, "第二个怎么走", [("ordinal", 2), ("followup", "which")])

    events = await ActionFollowUp().run(dispatcher, state, domain)

    day = places["day"]
    assert events == []
    [message] = dispatcher.messages
    assert message["response"] == "utter_station_detail"
    assert (message["index"], message["name"], message["address"], message["distance"]) == (
        2,
        day.name,
        day.address,
        day.distance_from(*ORIGIN),
    )
    assert message["buttons"] == buttons_for(day)


async def test_the_last_one_is_the_third(
    core: Services, places: Dict[str, Known], dispatcher: CollectingDispatcher, domain: dict
) -> None:
    await ActionFollowUp().run(dispatcher, after_list(places, "最后一个", [("ordinal", -1)]), domain)

    [message] = dispatcher.messages
    assert (message["response"], message["index"], message["name"]) == (
        "utter_station_detail_far",
        3,
        places["far"].name,
    )


@pytest.mark.parametrize("ordinal", [0, 4, 99999999999999999999])
async def test_a_number_beyond_the_list_asks_which(
    core: Services, places: Dict[str, Known], dispatcher: CollectingDispatcher, domain: dict, ordinal: int
) -> None:
    events = await ActionFollowUp().run(dispatcher, after_list(places, "第四个", [("ordinal", ordinal)]), domain)

    assert events == []
    [message] = dispatcher.messages
    assert (message["response"], message["count"]) == ("utter_follow_up_no_such", 3)


async def test_open_at_ten_tonight_goes_through_the_list(
    core: Services, places: Dict[str, Known], dispatcher: CollectingDispatcher, domain: dict
) -> None:
    state = after_list(places, "晚上十点还开吗", [("clock_time", "22:00"), ("followup", "open")])

    events = await ActionFollowUp().run(dispatcher, state, domain)

    assert events == []
    [message] = dispatcher.messages
    assert message["response"] == "utter_stations_open_at"
    assert (message["day"], message["time"]) == ("今天", "22:00")
    assert message["lines"] == "\n".join(
        [
            f"1. {places['near'].name}：开着（24小时）",
            f"2. {places['day'].name}：那时关门（周一至周日 08:00-20:00）",
            f"3. {places['far'].name}：开着（24小时）",
        ]
    )


async def test_open_at_a_time_already_past_means_tomorrow(
    core: Services, places: Dict[str, Known], dispatcher: CollectingDispatcher, domain: dict
) -> None:
    await ActionFollowUp().run(dispatcher, after_list(places, "早上七点开吗", [("clock_time", "07:00")]), domain)

    [message] = dispatcher.messages
    assert (message["day"], message["time"]) == ("明天", "07:00")
    assert message["lines"].splitlines()[1] == f"2. {places['day'].name}：那时关门（周一至周日 08:00-20:00）"


async def test_which_of_them_has_a_microwave(
    core: Services, places: Dict[str, Known], dispatcher: CollectingDispatcher, domain: dict
) -> None:
    state = after_list(places, "哪个有微波炉", [("followup", "which")], amenity=["microwave"])

    events = await ActionFollowUp().run(dispatcher, state, domain)

    assert events == [SlotSet("amenity", None), SlotSet("station_type", None)]
    assert responses(dispatcher.messages) == [
        "utter_stations_which_have",
        "utter_station_item",
        "utter_station_item_far",
    ]
    assert dispatcher.messages[0]["needs"] == "微波炉"
    assert [(m["index"], m["name"]) for m in dispatcher.messages[1:]] == [
        (1, places["near"].name),
        (3, places["far"].name),
    ]


async def test_which_has_what_none_of_them_has_searches_again_with_it(
    core: Services, places: Dict[str, Known], dispatcher: CollectingDispatcher, domain: dict
) -> None:
    from sqlalchemy import update

    from core import vocabulary
    from core.models import Place

    mask = vocabulary.mask_of(["umbrella"])
    core.transaction(
        lambda s: s.execute(update(Place).where(Place.id == places["centre"].id).values(amenity_mask=mask))
    )
    state = after_list(places, "哪个能借伞", [("followup", "which")], amenity=["umbrella"])

    events = await ActionFollowUp().run(dispatcher, state, domain)

    assert responses(dispatcher.messages) == [
        "utter_stations_found_needs",
        "utter_stations_far",
        "utter_station_item_far",
    ]
    assert dispatcher.messages[2]["name"] == places["centre"].name
    listed = {"kind": "stations", "ids": [places["centre"].id], "amenities": ["umbrella"], "kinds": []}
    assert events[-1] == SlotSet("last_answer", listed)


async def test_more_lists_the_next_ones_numbered_on(
    core: Services, places: Dict[str, Known], dispatcher: CollectingDispatcher, domain: dict
) -> None:
    events = await ActionFollowUp().run(dispatcher, after_list(places, "还有别的吗", [("followup", "more")]), domain)

    assert responses(dispatcher.messages) == ["utter_stations_more", "utter_station_item_far"]
    assert (dispatcher.messages[1]["index"], dispatcher.messages[1]["name"]) == (4, places["centre"].name)
    ids = [places[k].id for k in ("near", "day", "far", "centre")]
    assert events == [
        SlotSet("amenity", None),
        SlotSet("station_type", None),
        SlotSet("search_origin", ORIGIN_DICT),
        SlotSet("last_answer", {"kind": "stations", "ids": ids, "amenities": [], "kinds": []}),
    ]


async def test_more_when_everything_was_shown(
    core: Services, places: Dict[str, Known], dispatcher: CollectingDispatcher, domain: dict
) -> None:
    ids = [places[k].id for k in ("near", "day", "far", "centre")]
    listed = {"kind": "stations", "ids": ids, "amenities": [], "kinds": []}
    state = tracker(
        "还有吗", "inform", [("followup", "more")], slots={"last_answer": listed, "search_origin": ORIGIN_DICT}
    )

    events = await ActionFollowUp().run(dispatcher, state, domain)

    assert events == [SlotSet("amenity", None), SlotSet("station_type", None)]
    assert responses(dispatcher.messages) == ["utter_stations_no_more"]


async def test_more_without_an_origin_asks_where(
    core: Services, places: Dict[str, Known], dispatcher: CollectingDispatcher, domain: dict
) -> None:
    state = after_list(places, "还有别的吗", [("followup", "more")], search_origin=None)

    events = await ActionFollowUp().run(dispatcher, state, domain)

    assert events == [SlotSet("amenity", None), SlotSet("station_type", None)]
    assert responses(dispatcher.messages) == ["utter_ask_location_text"]


async def test_a_list_whose_places_were_removed_is_lost(
    core: Services, places: Dict[str, Known], dispatcher: CollectingDispatcher, domain: dict
) -> None:
    listed = {"kind": "stations", "ids": [999_999], "amenities": [], "kinds": []}
    state = tracker("第一个", "inform", [("ordinal", 1)], slots={"last_answer": listed, "search_origin": ORIGIN_DICT})

    events = await ActionFollowUp().run(dispatcher, state, domain)

    assert events == [SlotSet("amenity", None), SlotSet("station_type", None)]
    assert responses(dispatcher.messages) == ["utter_follow_up_lost"]


async def test_a_question_without_a_cue_asks_which_one(
    core: Services, places: Dict[str, Known], dispatcher: CollectingDispatcher, domain: dict
) -> None:
    events = await ActionFollowUp().run(dispatcher, after_list(places, "那个呢", []), domain)

    assert events == []
    assert responses(dispatcher.messages) == ["utter_follow_up_which"]
