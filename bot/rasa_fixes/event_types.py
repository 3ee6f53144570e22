"""Event classes looked up by name in a table instead of a walk of the class tree.

Rasa deserialises every event of a conversation on every message, and for each
one `Event.resolve_by_type` lists all subclasses of `Event` anew (5 % of the
Rasa process under load). The table is rebuilt when a name is missing, so an
event class imported later is still found.
"""

from __future__ import annotations

import functools
from typing import Dict, Optional, Text, Type

from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

_resolve_by_type = Event.resolve_by_type


@functools.lru_cache(maxsize=1)
def _classes_by_name() -> Dict[Text, Type[Event]]:
    # Reversed, so that where two classes share a name the first found wins, as in Rasa.
    return {cls.type_name: cls for cls in reversed(all_subclasses(Event))}


def resolve_by_type(type_name: Text, default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
    found = _classes_by_name().get(type_name)
    if found is None:
        _classes_by_name.cache_clear()
        found = _classes_by_name().get(type_name)
    return found or _resolve_by_type(type_name, default)


def apply() -> None:
    Event.resolve_by_type = staticmethod(resolve_by_type)
