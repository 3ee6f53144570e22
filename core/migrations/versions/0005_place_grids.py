"""a street grid and a county grid beside the town grid, each read from a covering index

The nearest-station search looks up the grid cells around the worker. With
only 0.01-degree cells (`cell`, unchanged) a dense street put thousands of
rows in the first cells, and a search 20 km wide listed over a thousand
cells, for which PostgreSQL reads the whole table. A street key on
0.002-degree cells (about 220 m by 180 m, 64 bits) and a county key on
0.05-degree cells (about 5.6 km by 4.5 km) keep every step to a few hundred
cells. Each key gets an index that also holds what the search filters and
sorts by, so a step touches no table row. The latitude and longitude index,
used by the bounding-box search this replaces, goes.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 12:55:00
"""

from __future__ import annotations

import math

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

SEARCH_COLUMNS = ["amenity_mask", "kind", "lat", "lon", "id", "hours", "closed_until"]
# (column, type, cell degrees, key span): core.geo's grids written out, for a migration stays as it ran.
NEW_KEYS = (("street_cell", sa.BigInteger(), 0.002, 1_000_000), ("county_cell", sa.Integer(), 0.05, 10_000))

places = sa.table(
    "places", sa.column("id", sa.Integer), sa.column("lat", sa.Float), sa.column("lon", sa.Float),
    *(sa.column(name, type_) for name, type_, _, _ in NEW_KEYS),
)  # fmt: skip


def _key(lat: float, lon: float, degrees: float, span: int) -> int:
    return math.floor(lat / degrees) * span + math.floor(lon / degrees)


def upgrade() -> None:
    for name, type_, _, _ in NEW_KEYS:
        op.add_column("places", sa.Column(name, type_, nullable=False, server_default="0"))
    bind = op.get_bind()
    rows = bind.execute(sa.select(places.c.id, places.c.lat, places.c.lon)).all()
    keys = [
        {"pid": r.id, **{name: _key(r.lat, r.lon, degrees, span) for name, _, degrees, span in NEW_KEYS}} for r in rows
    ]
    update = places.update().where(places.c.id == sa.bindparam("pid"))
    for start in range(0, len(keys), 5_000):
        bind.execute(update.values({name: sa.bindparam(name) for name, *_ in NEW_KEYS}), keys[start : start + 5_000])
    with op.batch_alter_table("places") as batch:
        for name, type_, _, _ in NEW_KEYS:
            batch.alter_column(name, server_default=None, existing_type=type_, existing_nullable=False)
        batch.drop_index("ix_places_cell")
        batch.drop_index("ix_places_lat_lon")
        batch.create_index("ix_places_street_search", ["street_cell", *SEARCH_COLUMNS])
        batch.create_index("ix_places_town_search", ["cell", *SEARCH_COLUMNS])
        batch.create_index("ix_places_county_search", ["county_cell", *SEARCH_COLUMNS])


def downgrade() -> None:
    with op.batch_alter_table("places") as batch:
        batch.drop_index("ix_places_county_search")
        batch.drop_index("ix_places_town_search")
        batch.drop_index("ix_places_street_search")
        batch.create_index("ix_places_lat_lon", ["lat", "lon"])
        batch.create_index("ix_places_cell", ["cell"])
        for name, *_ in NEW_KEYS:
            batch.drop_column(name)
