"""Where things are: districts, named places of the gazetteer, and service places."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, DateTime, Float, Index, Integer, String, Text

from core.models.base import Base, utcnow


class District(Base):
    """One of the 12 districts and counties, with the names people still use."""

    __tablename__ = "districts"

    name = Column(String(20), primary_key=True)
    aliases = Column(String(200), nullable=False, default="")
    lat = Column(Float, nullable=False)
    lon = Column(Float, nullable=False)


class Landmark(Base):
    """A street, town or landmark a worker may name instead of sharing a location."""

    __tablename__ = "landmarks"

    id = Column(Integer, primary_key=True)
    name = Column(String(60), nullable=False, unique=True)
    aliases = Column(String(200), nullable=False, default="")
    kind = Column(String(20), nullable=False)
    district = Column(String(20), nullable=False)
    lat = Column(Float, nullable=False)
    lon = Column(Float, nullable=False)


SEARCH_COLUMNS = ("amenity_mask", "kind", "lat", "lon", "id", "hours", "closed_until")


class Place(Base):
    """A 暖新驿站, 司机之家, 党群服务中心, 爱心商户 or 友好场景.

    Coordinates are WGS-84 (what GPS, Telegram and browsers give). `street_cell`,
    `cell` and `county_cell` are keys of `core.geo.STREET_GRID`, `TOWN_GRID` and
    `COUNTY_GRID`: a nearest search looks up the cells of the one that suits its radius.
    """

    __tablename__ = "places"

    id = Column(Integer, primary_key=True)
    kind = Column(String(20), nullable=False)
    name = Column(String(100), nullable=False)
    address = Column(String(200), nullable=False, default="")
    district = Column(String(20), nullable=False)
    street = Column(String(60), nullable=False, default="")
    lat = Column(Float, nullable=False)
    lon = Column(Float, nullable=False)
    cell = Column(Integer, nullable=False)
    street_cell = Column(BigInteger, nullable=False)
    county_cell = Column(Integer, nullable=False)
    hours = Column(String(200), nullable=False, default="24/7")
    amenity_mask = Column(Integer, nullable=False, default=0)
    phone = Column(String(40), nullable=False, default="")
    operator = Column(String(100), nullable=False, default="")
    closed_until = Column(DateTime, nullable=True)
    closure_note = Column(String(200), nullable=False, default="")
    is_sample = Column(Boolean, nullable=False, default=False)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        # Each covers the nearest search's reading of a circle: no table row is read
        # until a candidate is near enough for its opening hours to matter.
        Index("ix_places_town_search", "cell", *SEARCH_COLUMNS),
        Index("ix_places_street_search", "street_cell", *SEARCH_COLUMNS),
        Index("ix_places_county_search", "county_cell", *SEARCH_COLUMNS),
        Index("ix_places_district_kind", "district", "kind"),
    )


class LegalAidPoint(Base):
    """A legal-aid centre, judicial office or workers' service station of a district."""

    __tablename__ = "legal_aid_points"

    id = Column(Integer, primary_key=True)
    district = Column(String(20), nullable=False, index=True)
    kind = Column(String(20), nullable=False)
    name = Column(String(100), nullable=False)
    address = Column(String(200), nullable=False, default="")
    services = Column(Text, nullable=False, default="")
    hours = Column(String(200), nullable=False, default="")
    phone = Column(String(40), nullable=False, default="")
    lat = Column(Float, nullable=False)
    lon = Column(Float, nullable=False)
    is_sample = Column(Boolean, nullable=False, default=False)
