"""Nearest station: where the worker is, what they need, what is open now."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy import select

from actions.runtime import in_thread, read_in_thread, reset, services, skip_cleared, worker_of
from core import gazetteer, geo, places, vocabulary, workers
from core.models import Place
from core.opening_hours import OpeningHours, OpeningHoursError

PARTY_CENTRE = "党群服务中心"


def has_location(tracker: Tracker) -> bool:
    return (tracker.get_slot("latitude") is not None and tracker.get_slot("longitude") is not None) or bool(
        tracker.get_slot("place") or tracker.get_slot("district")
    )


class ValidateStationForm(FormValidationAction):
    """Asks where the worker is, unless a shared location, place or district is known."""

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
        if tracker.get_slot("latitude") is not None and tracker.get_slot("longitude") is not None:
            return {"location_text": text}  # a shared location: the coordinates say it all
        location = await read_in_thread(lambda s: gazetteer.resolve(s, text))
        if location is None:
            dispatcher.utter_message(response="utter_location_unknown", location_text=text[:20])
            return {"location_text": None}
        return {
            "location_text": text,
            "district": location.district,
            "place": None if location.is_district else location.name,
        }


@dataclass(frozen=True)
class Origin:
    """Where to search from, and how to name it to the worker."""

    lat: float
    lon: float
    where: str
    approximate: bool
    district: Optional[str]


class ActionFindStations(Action):
    """The three nearest open places with what was asked for, widening when needed."""

    def name(self) -> Text:
        return "action_find_stations"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        amenity_codes = [a for a in (tracker.get_slot("amenity") or []) if a in vocabulary.AMENITIES]
        kind = tracker.get_slot("station_type")
        kinds = [kind] if kind in vocabulary.PLACE_KINDS else []
        clock = services().clock
        worker = worker_of(tracker)
        slots = {name: tracker.get_slot(name) for name in ("latitude", "longitude", "place", "district")}

        def search(session: Any) -> Dict[str, Any]:
            origin = _origin(session, slots)
            if origin is None:
                return {}
            if origin.district:
                workers.remember_district(session, worker, origin.district)
            result = places.nearest(
                session,
                origin.lat,
                origin.lon,
                amenity_mask=vocabulary.mask_of(amenity_codes),
                kinds=kinds,
                open_at=(clock.local(), clock.utc()),
            )
            fallback = _party_centre(session, origin.district) if not result.hits else None
            return {
                "origin": origin,
                "result": result,
                "items": [_item(i, hit) for i, hit in enumerate(result.hits, 1)],
                "fallback": fallback,
            }

        found = await in_thread(search)
        cleared = reset("latitude", "longitude", "place", "amenity", "station_type", "location_text")
        if not found:
            dispatcher.utter_message(response="utter_ask_location_text")
            return cleared
        origin: Origin = found["origin"]
        result: places.SearchResult = found["result"]
        if not result.hits:
            if found["fallback"]:
                dispatcher.utter_message(
                    response="utter_stations_none",
                    where=origin.where,
                    radius=result.radius_m // 1000,
                    district=found["fallback"]["district"],
                    **{k: v for k, v in found["fallback"].items() if k != "district"},
                )
            else:
                dispatcher.utter_message(response="utter_stations_none_at_all", where=origin.where)
            return cleared
        needs = "、".join(labels_of(amenity_codes))
        response = "utter_stations_found" + ("_kind" if kinds else "") + ("_needs" if needs else "")
        dispatcher.utter_message(response=response, where=origin.where, kind=kind, needs=needs)
        if result.widened:
            dispatcher.utter_message(
                response="utter_stations_widened",
                first_radius=places.SEARCH_RADII[0] // 1000,
                radius=result.radius_m // 1000,
            )
        for item in found["items"]:
            dispatcher.utter_message(response="utter_station_item", **item)
        if origin.approximate:
            dispatcher.utter_message(response="utter_stations_more_precise", where=origin.where)
        return cleared


def _origin(session: Any, slots: Dict[str, Any]) -> Optional[Origin]:
    if slots["latitude"] is not None and slots["longitude"] is not None:
        lat, lon = float(slots["latitude"]), float(slots["longitude"])
        return Origin(lat, lon, "您", False, None)
    if slots["place"]:
        location = gazetteer.resolve(session, slots["place"])
        if location is not None:
            return Origin(location.lat, location.lon, location.name, False, location.district)
    if slots["district"]:
        centre = gazetteer.district_centre(session, slots["district"])
        if centre is not None:
            return Origin(centre.lat, centre.lon, centre.name, True, centre.district)
    return None


def labels_of(codes: List[str]) -> List[str]:
    labels = vocabulary.amenity_labels()
    return [labels.get(code, code) for code in codes]


def _hours_text(text: str) -> str:
    try:
        return OpeningHours.parse(text).describe()
    except OpeningHoursError:
        return text


def _item(index: int, hit: places.Hit) -> Dict[str, Any]:
    place = hit.place
    return {
        "index": index,
        "name": place.name,
        "distance": hit.distance_m,
        "walk": hit.walk_minutes,
        "ride": hit.ebike_minutes,
        "amenities": "、".join(labels_of(vocabulary.codes_of(place.amenity_mask))),
        "hours": _hours_text(place.hours),
        "phone": place.phone or "-",
        "map": geo.amap_link(place.lat, place.lon, place.name),
    }


def _party_centre(session: Any, district: Optional[str]) -> Optional[Dict[str, Any]]:
    """The district's 党群服务中心, else the city's."""
    centres = list(session.scalars(select(Place).where(Place.kind == PARTY_CENTRE)))
    if not centres:
        return None
    chosen = next((c for c in centres if c.district == district), None) or next(
        (c for c in centres if c.district == "潞州区"), centres[0]
    )
    return {
        "district": chosen.district,
        "name": chosen.name,
        "address": chosen.address,
        "phone": chosen.phone,
        "map": geo.amap_link(chosen.lat, chosen.lon, chosen.name),
    }
