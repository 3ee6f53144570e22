"""a street grid beside the town grid, each read from a covering index

The nearest-station search reads the places of the grid cells around the
worker. With only 0.01-degree cells a dense street put thousands of rows in
the first cells; a second key on 0.002-degree cells (about 220 m by 180 m,
64 bits) keeps a search near by to a few hundred, while a search across town
goes on reading the 0.01-degree cells (`cell`, unchanged). Each key gets an
index that also holds what the search filters and sorts by, so reading a
circle touches no table row. The latitude and longitude index, used by the
bounding-box search this replaces, goes.

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

SEARCH_COLUMNS = ["amenity_mask", "kind", "lat", "lon", "id"]
STREET_DEGREES, STREET_LON_SPAN = 0.002, 1_000_000  # core.geo.STREET_GRID, written out: a migration stays as it ran

places = sa.table(
    "places", sa.column("id", sa.Integer), sa.column("lat", sa.Float), sa.column("lon", sa.Float),
    sa.column("street_cell", sa.BigInteger),
)  # fmt: skip


def upgrade() -> None:
    op.add_column("places", sa.Column("street_cell", sa.BigInteger(), nullable=False, server_default="0"))
    bind = op.get_bind()
    rows = bind.execute(sa.select(places.c.id, places.c.lat, places.c.lon)).all()
    keys = [
        {"pid": r.id, "key": math.floor(r.lat / STREET_DEGREES) * STREET_LON_SPAN + math.floor(r.lon / STREET_DEGREES)}
        for r in rows
    ]
    update = places.update().where(places.c.id == sa.bindparam("pid")).values(street_cell=sa.bindparam("key"))
    for start in range(0, len(keys), 5_000):
        bind.execute(update, keys[start : start + 5_000])
    with op.batch_alter_table("places") as batch:
        batch.alter_column("street_cell", server_default=None, existing_type=sa.BigInteger(), existing_nullable=False)
        batch.drop_index("ix_places_cell")
        batch.drop_index("ix_places_lat_lon")
        batch.create_index("ix_places_town_search", ["cell", *SEARCH_COLUMNS])
        batch.create_index("ix_places_street_search", ["street_cell", *SEARCH_COLUMNS])


def downgrade() -> None:
    with op.batch_alter_table("places") as batch:
        batch.drop_index("ix_places_street_search")
        batch.drop_index("ix_places_town_search")
        batch.create_index("ix_places_lat_lon", ["lat", "lon"])
        batch.create_index("ix_places_cell", ["cell"])
        batch.drop_column("street_cell")
