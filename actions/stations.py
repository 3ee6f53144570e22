"""Nearest station: where the worker is, what they need, what is open, and questions about the list."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from actions.runtime import (
    entity_value,
    in_thread,
    line,
    read_in_thread,
    reset,
    services,
    shared_location,
    skip_cleared,
    worker_of,
)
from core import gazetteer, geo, nearby, places, vocabulary, workers
from core.opening_hours import OpeningHours, OpeningHoursError

STATIONS = "stations"
# Slots a search uses up: the next search starts from what the rider says then (or the remembered origin).
USED_BY_SEARCH = ("latitude", "longitude", "place", "amenity", "station_type", "location_text")
MAX_AMENITIES_SHOWN = 5


def has_location(tracker: Tracker) -> bool:
    return shared_location(tracker) is not None or bool(
        tracker.get_slot("place") or tracker.get_slot("district") or tracker.get_slot("search_origin")
    )


class ValidateStationForm(FormValidationAction):
    """Asks where the worker is, unless a shared location, place, district or earlier origin is known."""

    def name(self) -> Text:
        return "validate_station_form"

    async def required_slots(
        self,
        domain_slots: List[Text],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[Text]:
        return [] if has_location(tracker) else domain_slots

    @skip_cleared
    async def validate_location_text(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        text = str(value or "")
        location = await read_in_thread(lambda s: gazetteer.resolve(s, text))
        if location is None:
            dispatcher.utter_message(response="utter_location_unknown", location_text=text[:20])
            return {"location_text": None}
        return {"location_text": text, "district": location.district, "place": location.name}


def requested_amenities(tracker: Tracker) -> List[str]:
    """The amenity codes asked for, each once, in the vocabulary's order."""
    asked = set(tracker.get_slot("amenity") or [])
    return [code for code in vocabulary.AMENITIES if code in asked]


def requested_kinds(tracker: Tracker) -> List[str]:
    kind = tracker.get_slot("station_type")
    return [kind] if kind in vocabulary.PLACE_KINDS else []


def origin_of(session: Session, tracker: Tracker) -> Optional[nearby.Origin]:
    """Newest first: a shared location or a place named now, a district named in this message,
    the place remembered from earlier in the session, the rider's district."""
    lat, lon = shared_location(tracker) or (None, None)
    named_now = entity_value(tracker, "district")
    return (
        nearby.origin_of(session, lat, lon, tracker.get_slot("place"), named_now)
        or nearby.Origin.from_dict(tracker.get_slot("search_origin"))
        or nearby.origin_of(session, district=tracker.get_slot("district"))
    )


def remember(origin: nearby.Origin, ids: Sequence[int], amenities: List[str], kinds: List[str]) -> List[EventType]:
    """Slots that let the next messages ask about this list and search from the same place."""
    return [
        SlotSet("search_origin", origin.as_dict()),
        SlotSet("last_answer", {"kind": STATIONS, "ids": list(ids), "amenities": amenities, "kinds": kinds}),
    ]


def ids_of(hits: Sequence[places.Hit]) -> List[int]:
    return [hit.place.id for hit in hits]


def labels_of(codes: Sequence[str]) -> List[str]:
    labels = vocabulary.amenity_labels()
    return [labels.get(code, code) for code in dict.fromkeys(codes)]


def hours_text(text: str) -> str:
    try:
        return OpeningHours.parse(text).describe()
    except OpeningHoursError:
        return text


def item_fields(index: int, hit: places.Hit) -> Dict[str, Any]:
    """What a station's line in a list says: distance in metres near by, kilometres further out."""
    place = hit.place
    amenities = labels_of(vocabulary.codes_of(place.amenity_mask))
    return {
        "index": index,
        "name": place.name,
        "address": place.address,
        "distance": hit.distance_m,
        "km": f"{hit.distance_m / 1000:.1f}",
        "walk": hit.walk_minutes,
        "ride": hit.ebike_minutes,
        "amenities": "、".join(amenities[:MAX_AMENITIES_SHOWN])
        + ("等" if len(amenities) > MAX_AMENITIES_SHOWN else ""),
        "hours": hours_text(place.hours),
        "phone": place.phone or "-",
    }


def link_buttons(name: str, lat: float, lon: float, phone: str) -> List[Dict[str, str]]:
    """Tappable map and phone: each channel shows them as it can (a link, a URL button, <a href>)."""
    buttons = [{"title": "地图导航", "url": geo.amap_link(lat, lon, name)}]
    digits = "".join(ch for ch in phone if ch.isdigit())
    if digits:
        buttons.append({"title": "拨打电话", "url": f"tel:{digits}"})
    return buttons


def utter_items(dispatcher: CollectingDispatcher, hits: Sequence[places.Hit], start: int = 1) -> None:
    for index, hit in enumerate(hits, start):
        far = hit.distance_m > nearby.WALKING_M
        dispatcher.utter_message(
            response="utter_station_item_far" if far else "utter_station_item",
            buttons=link_buttons(hit.place.name, hit.place.lat, hit.place.lon, hit.place.phone),
            **item_fields(index, hit),
        )


def utter_listing(
    dispatcher: CollectingDispatcher,
    origin: nearby.Origin,
    listing: nearby.Listing,
    amenities: List[str],
    kinds: List[str],
) -> None:
    """Header (what was searched for, and how far it had to look), then the places."""
    needs = "、".join(labels_of(amenities))
    where = origin.where or "您"
    kind = kinds[0] if kinds else ""
    response = "utter_stations_found" + ("_kind" if kind else "") + ("_needs" if needs else "")
    dispatcher.utter_message(response=response, where=where, kind=kind, needs=needs)
    if listing.nothing_close:
        dispatcher.utter_message(
            response="utter_stations_far",
            first_km=listing.first_radius_m // 1000,
            km=f"{listing.hits[0].distance_m / 1000:.1f}",
        )
    utter_items(dispatcher, listing.hits)
    if origin.approximate:
        dispatcher.utter_message(response="utter_stations_more_precise", where=where)


class ActionFindStations(Action):
    """The three nearest open places with what was asked for, from the newest place the rider gave."""

    def name(self) -> Text:
        return "action_find_stations"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        amenities, kinds = requested_amenities(tracker), requested_kinds(tracker)
        clock = services().clock
        worker = worker_of(tracker)

        def search(session: Session) -> Optional[Dict[str, Any]]:
            origin = origin_of(session, tracker)
            if origin is None:
                return None
            if origin.district:
                workers.remember_district(session, worker, origin.district)
            listing = nearby.search(session, origin, clock, amenities, kinds)
            fallback = nearby.party_centre(session, origin.district) if not listing.hits else None
            return {"origin": origin, "listing": listing, "fallback": fallback}

        found = await in_thread(search)
        used = reset(*USED_BY_SEARCH)
        if found is None:
            dispatcher.utter_message(response="utter_ask_location_text")
            return used
        origin: nearby.Origin = found["origin"]
        listing: nearby.Listing = found["listing"]
        if not listing.hits:
            utter_nothing_open(dispatcher, origin, found["fallback"])
            return [*used, SlotSet("search_origin", origin.as_dict())]
        utter_listing(dispatcher, origin, listing, amenities, kinds)
        return [*used, *remember(origin, ids_of(listing.hits), amenities, kinds)]


def utter_nothing_open(dispatcher: CollectingDispatcher, origin: nearby.Origin, centre: Any) -> None:
    where = origin.where or "您"
    if centre is None:
        dispatcher.utter_message(response="utter_stations_none_at_all", where=where)
        return
    dispatcher.utter_message(
        response="utter_stations_none",
        where=where,
        radius=places.SEARCH_RADII[-1] // 1000,
        district=centre.district,
        name=centre.name,
        address=centre.address,
        phone=centre.phone,
        buttons=link_buttons(centre.name, centre.lat, centre.lon, centre.phone),
    )


# --- questions about the last list (actions/followups.py dispatches here) -----------------


async def follow_up(dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
    """`第二个怎么走`, `晚上十点还开吗`, `还有别的吗`, `哪个有微波炉` about the last station list."""
    answer = tracker.get_slot("last_answer") or {}
    ids: List[int] = [int(i) for i in answer.get("ids") or []]
    origin = nearby.Origin.from_dict(tracker.get_slot("search_origin"))
    cues = set(tracker.get_latest_entity_values("followup"))
    ordinal = entity_value(tracker, "ordinal")
    clock_time = entity_value(tracker, "clock_time")
    amenities = requested_amenities(tracker)
    if "more" in cues or (amenities and "which" not in cues) or requested_kinds(tracker):
        return await _more(dispatcher, tracker, answer, ids, origin)
    hits = await read_in_thread(lambda s: nearby.listed(s, ids, origin))
    if not hits:
        dispatcher.utter_message(response="utter_follow_up_lost")
        return reset("amenity", "station_type")
    if amenities:
        return _which_has(dispatcher, hits, amenities) or await _more(dispatcher, tracker, answer, ids, origin)
    if clock_time is not None or "open" in cues:
        _open_at(dispatcher, domain, hits, str(clock_time or nearby.NOW))
        return []
    if ordinal is not None:
        _one(dispatcher, hits, int(ordinal))
        return []
    dispatcher.utter_message(response="utter_follow_up_which")
    return []


def _one(dispatcher: CollectingDispatcher, hits: List[places.Hit], ordinal: int) -> None:
    if not (ordinal == -1 or 1 <= ordinal <= len(hits)):
        dispatcher.utter_message(response="utter_follow_up_no_such", count=len(hits))
        return
    index = len(hits) if ordinal == -1 else ordinal
    hit = hits[index - 1]
    far = hit.distance_m > nearby.WALKING_M
    dispatcher.utter_message(
        response="utter_station_detail_far" if far else "utter_station_detail",
        buttons=link_buttons(hit.place.name, hit.place.lat, hit.place.lon, hit.place.phone),
        **item_fields(index, hit),
    )


def _open_at(dispatcher: CollectingDispatcher, domain: DomainDict, hits: List[places.Hit], value: str) -> None:
    clock = services().clock
    local, utc = nearby.moment(value, clock)
    lines = [
        line(
            domain,
            "utter_station_open_line" if places.is_open(hit.place, local, utc) else "utter_station_closed_line",
            index=index,
            name=hit.place.name,
            hours=hours_text(hit.place.hours),
        )
        for index, hit in enumerate(hits, 1)
    ]
    day = "明天" if local.date() > clock.local().date() else "今天"
    dispatcher.utter_message(response="utter_stations_open_at", day=day, time=f"{local:%H:%M}", lines="\n".join(lines))


def _which_has(
    dispatcher: CollectingDispatcher, hits: List[places.Hit], amenities: List[str]
) -> Optional[List[EventType]]:
    """The listed places that have every amenity asked for; None if none of them has."""
    wanted = vocabulary.mask_of(amenities)
    having = [(i, hit) for i, hit in enumerate(hits, 1) if hit.place.amenity_mask & wanted == wanted]
    if not having:
        return None
    dispatcher.utter_message(response="utter_stations_which_have", needs="、".join(labels_of(amenities)))
    for index, hit in having:
        far = hit.distance_m > nearby.WALKING_M
        dispatcher.utter_message(
            response="utter_station_item_far" if far else "utter_station_item",
            buttons=link_buttons(hit.place.name, hit.place.lat, hit.place.lon, hit.place.phone),
            **item_fields(index, hit),
        )
    return reset("amenity", "station_type")


async def _more(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    answer: Dict[str, Any],
    ids: List[int],
    origin: Optional[nearby.Origin],
) -> List[EventType]:
    """More places: further ones of the same search, or the same place with what is asked now."""
    if origin is None:
        dispatcher.utter_message(response="utter_ask_location_text")
        return reset("amenity", "station_type")
    asked_amenities, asked_kinds = requested_amenities(tracker), requested_kinds(tracker)
    refined = bool(asked_amenities or asked_kinds)
    amenities = asked_amenities or ([] if asked_kinds else list(answer.get("amenities") or []))
    kinds = asked_kinds or ([] if asked_amenities else list(answer.get("kinds") or []))
    exclude = [] if refined else ids
    clock = services().clock
    listing = await read_in_thread(lambda s: nearby.search(s, origin, clock, amenities, kinds, exclude=exclude))
    used = reset("amenity", "station_type")
    if not listing.hits:
        dispatcher.utter_message(response="utter_stations_no_more")
        return used
    if refined:
        utter_listing(dispatcher, origin, listing, amenities, kinds)
        return [*used, *remember(origin, ids_of(listing.hits), amenities, kinds)]
    dispatcher.utter_message(response="utter_stations_more")
    utter_items(dispatcher, listing.hits, start=len(ids) + 1)
    return [*used, *remember(origin, [*ids, *ids_of(listing.hits)], amenities, kinds)]
