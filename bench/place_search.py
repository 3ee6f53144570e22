"""Nearest-station search over 100,000 places, on SQLite and on PostgreSQL.

    .venv/bin/python bench/place_search.py [--places 100000] [--queries 2000]

Places come from the sample generator scaled up (same districts, streets and
mix of kinds). Queries are random points around the district centres and
streets, a third with an amenity filter, all with "open now". Prints latency
percentiles per database; target p99 <= 5 ms. On PostgreSQL the table is
vacuumed and analysed after loading, as autovacuum would soon do (--fresh:
not, to see the time before it has).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text
from sqlalchemy.engine import Engine

from bench.common import machine, postgres_schema, summary_ms
from core import places, vocabulary
from core.cli import migrate
from core.content import loader, sample
from core.content.csv_io import import_bytes
from core.content.tables import table_specs
from core.db import make_engine, make_session_factory

AMENITY_FILTERS = ([], [], ["phone_charging"], ["battery_charging"], ["microwave", "toilet"], ["drinking_water"])


def load(url: str, count: int) -> None:
    migrate(url)
    districts = loader.read_csv(loader.CONTENT_DIR / "gazetteer" / "districts.csv")
    landmarks = loader.read_csv(loader.CONTENT_DIR / "gazetteer" / "landmarks.csv")
    rows = sample.generate(districts, landmarks, date(2026, 11, 26), place_scale=count / 997)["places"]
    spec = table_specs([d["name"] for d in districts])["places"]
    factory = make_session_factory(make_engine(url))
    with factory.begin() as session:
        for start in range(0, len(rows), 20_000):  # files stay under the importer's 20 MB limit
            import_bytes(session, spec, loader.to_csv_bytes(spec.header(), rows[start : start + 20_000]))


def queries(n: int, seed: int = 11) -> list:
    rng = random.Random(seed)
    anchors = [
        (float(r["lat"]), float(r["lon"])) for r in loader.read_csv(loader.CONTENT_DIR / "gazetteer" / "landmarks.csv")
    ]
    result = []
    for _ in range(n):
        lat, lon = rng.choice(anchors)
        point = (lat + rng.gauss(0, 0.01), lon + rng.gauss(0, 0.01))
        result.append((point, vocabulary.mask_of(rng.choice(AMENITY_FILTERS))))
    return result


def settle(engine: Engine) -> None:
    """What autovacuum does within a minute of a bulk import, done at once on PostgreSQL.

    ANALYZE gives the planner the table's statistics; VACUUM sets the visibility
    map, without which PostgreSQL cannot answer from the covering indexes alone.
    """
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE places"))


def run(url: str, count: int, n: int, fresh: bool = False) -> str:
    started = time.perf_counter()
    load(url, count)
    loaded_s = time.perf_counter() - started
    engine = make_engine(url)
    if not fresh:
        settle(engine)
    factory = make_session_factory(engine)
    now = (datetime(2026, 11, 26, 14, 0), datetime(2026, 11, 26, 6, 0))
    timings, widened = [], 0
    with factory() as session:
        for point, mask in queries(200):  # warm caches and the connection
            places.nearest(session, *point, amenity_mask=mask, open_at=now)
        for point, mask in queries(n, seed=12):
            t0 = time.perf_counter()
            result = places.nearest(session, *point, amenity_mask=mask, open_at=now)
            timings.append(time.perf_counter() - t0)
            widened += result.widened
    return f"{summary_ms(timings)} (widened {widened}/{n}; loaded {count} places in {loaded_s:.0f}s)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--places", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--fresh", action="store_true", help="PostgreSQL right after the import, before autovacuum")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        print(f"SQLite     {run(f'sqlite:///{tmp}/bench.db', args.places, args.queries)}")
    with postgres_schema() as url:
        print(f"PostgreSQL {run(url, args.places, args.queries, args.fresh)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
