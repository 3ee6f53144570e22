"""Sample content: deterministic, at the programme's real scale, marked as sample data."""

from collections import Counter
from datetime import date

from core import geo
from core.content import loader, sample

DISTRICTS = loader.read_csv(loader.CONTENT_DIR / "gazetteer" / "districts.csv")
LANDMARKS = loader.read_csv(loader.CONTENT_DIR / "gazetteer" / "landmarks.csv")


def test_the_same_inputs_give_the_same_rows() -> None:
    first = sample.generate(DISTRICTS, LANDMARKS, date(2026, 11, 26))
    second = sample.generate(DISTRICTS, LANDMARKS, date(2026, 11, 26))
    assert first == second


def test_the_programmes_real_scale() -> None:
    rows = sample.generate(DISTRICTS, LANDMARKS, date(2026, 11, 26))["places"]
    kinds = Counter(r["kind"] for r in rows)
    assert kinds == {"暖新驿站": 345, "司机之家": 35, "党群服务中心": 3, "爱心商户": 250, "友好场景": 364}
    assert {r["district"] for r in rows} == {d["name"] for d in DISTRICTS}


def test_every_row_a_user_can_see_is_marked_as_sample_data() -> None:
    tables = sample.generate(DISTRICTS, LANDMARKS, date(2026, 11, 26))
    for name, field in (
        ("places", "name"),
        ("legal_aid_points", "name"),
        ("programmes", "title"),
        ("pass_guides", "honoured_at"),
    ):
        assert all(sample.MARK in row[field] for row in tables[name]), name


def test_places_lie_near_their_districts_centre() -> None:
    centres = {d["name"]: (float(d["lat"]), float(d["lon"])) for d in DISTRICTS}
    for row in sample.generate(DISTRICTS, LANDMARKS, date(2026, 11, 26))["places"]:
        assert geo.distance_m(*centres[row["district"]], float(row["lat"]), float(row["lon"])) < 15_000


def test_programme_dates_follow_the_reference_date() -> None:
    rows = sample.generate(DISTRICTS, LANDMARKS, date(2027, 8, 1))["programmes"]
    summers = [r for r in rows if r["kind"] in ("summer_daycare", "summer_camp")]
    assert all(r["start_date"].startswith("2028-07") for r in summers)
