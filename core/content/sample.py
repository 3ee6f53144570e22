"""Deterministic sample content for 长治 at the programme's real scale, marked 示例数据.

345 暖新驿站, 35 司机之家, 1 city and 2 county 党群服务中心, 250 爱心商户 and 364
友好场景, spread over the 12 districts and counties near their real centres and
along real streets; legal-aid points, community-pass guidance, childcare
programmes and training events. The same seed and reference date always give
the same rows. Programme dates follow the reference date, so the sample stays
usable whenever it is loaded.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Dict, List, Sequence, Tuple

SEED = 20251126
MARK = "（示例数据）"
PLACE_COUNTS = {"暖新驿站": 345, "司机之家": 35, "爱心商户": 250, "友好场景": 364}
# Share of places per district: the central district has most riders.
DISTRICT_WEIGHTS = {
    "潞州区": 40, "上党区": 8, "屯留区": 7, "潞城区": 7, "襄垣县": 6, "平顺县": 3,
    "黎城县": 4, "壶关县": 5, "长子县": 6, "武乡县": 4, "沁县": 4, "沁源县": 6,
}  # fmt: skip
PARTY_CENTRES = (("长治市党群服务中心", "潞州区"), ("襄垣县党群服务中心", "襄垣县"), ("长子县党群服务中心", "长子县"))
HOURS = (
    ("24/7", 20),
    ("Mo-Su 07:00-22:00", 30),
    ("Mo-Su 08:00-20:00", 25),
    ("Mo-Fr 08:30-18:00; Sa,Su 09:00-17:00", 15),
    ("Mo-Su 18:00-06:00", 5),
    ("Mo-Sa 09:00-21:00; Su off", 5),
)
AMENITY_ODDS: Dict[str, Dict[str, float]] = {
    "暖新驿站": {"drinking_water": 1, "phone_charging": 1, "seats": 1, "toilet": 0.7, "microwave": 0.7,
                 "air_conditioning": 0.6, "heating": 0.6, "first_aid": 0.6, "wifi": 0.5,
                 "battery_charging": 0.35, "repair_tools": 0.3, "umbrella": 0.4},
    "司机之家": {"drinking_water": 1, "phone_charging": 1, "seats": 1, "toilet": 1, "microwave": 0.8,
                 "air_conditioning": 0.8, "heating": 0.8, "wifi": 0.8, "first_aid": 0.7, "repair_tools": 0.6},
    "党群服务中心": {"drinking_water": 1, "phone_charging": 1, "seats": 1, "toilet": 1, "microwave": 1,
                     "air_conditioning": 1, "heating": 1, "first_aid": 1, "wifi": 1, "umbrella": 1,
                     "battery_charging": 1},
    "爱心商户": {"drinking_water": 0.9, "phone_charging": 0.8, "seats": 0.7, "toilet": 0.4, "microwave": 0.5,
                 "air_conditioning": 0.5, "umbrella": 0.3},
    "友好场景": {"seats": 0.5, "drinking_water": 0.4, "toilet": 0.5, "phone_charging": 0.3},
}  # fmt: skip
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
SHOPS = (
    "面馆",
    "便利店",
    "超市",
    "烧饼铺",
    "饺子馆",
    "小吃店",
    "药店",
    "水果店",
    "快餐店",
    "奶茶店",
    "粥铺",
    "修车铺",
    "理发店",
    "包子铺",
    "刀削面",
)
SCENES = ("小区", "商圈", "医院", "学校", "写字楼", "农贸市场", "商场", "产业园")
SCENE_NAMES = (
    "和平",
    "幸福",
    "阳光",
    "康宁",
    "锦绣",
    "太行",
    "紫金",
    "长兴",
    "英雄",
    "府后",
    "上党",
    "漳泽",
    "金威",
    "丽景",
    "华府",
)
PROGRAMMES = (
    ("summer_daycare", "小候鸟暑期托管班", 3, 6, "周一至周五 8:00-18:00", 30),
    ("summer_daycare", "小候鸟暑期托管班", 6, 12, "周一至周五 8:00-18:00", 40),
    ("summer_camp", "小候鸟夏令营", 8, 14, "全天，含午餐", 25),
    ("summer_camp", "研学夏令营·太行山", 10, 16, "五天四晚", 20),
    ("after_school", "四点半课堂", 6, 12, "工作日 16:30-18:30", 35),
)
TRAINING = (
    ("lecture", "暖新讲堂：电动车安全骑行", "交通安全"),
    ("lecture", "暖新讲堂：急救知识和心肺复苏", "急救"),
    ("lecture", "暖新讲堂：劳动权益和讨薪维权", "法律"),
    ("lecture", "暖新讲堂：防电信诈骗", "防诈骗"),
    ("lecture", "暖新讲堂：骑手心理减压", "心理健康"),
    ("training", "电工证（低压）考证培训", "考证"),
    ("training", "育婴员职业技能培训", "考证"),
    ("training", "网约车驾驶员从业资格证辅导", "考证"),
    ("training", "叉车司机证培训", "考证"),
    ("training", "短视频和直播带货入门", "技能"),
)


@dataclass(frozen=True)
class Anchor:
    """A point places gather around: a street or a town, in a district."""

    name: str
    district: str
    lat: float
    lon: float


def anchors(districts: Sequence[Dict[str, str]], landmarks: Sequence[Dict[str, str]]) -> Dict[str, List[Anchor]]:
    """Streets and towns of each district (its centre when it has none)."""
    result: Dict[str, List[Anchor]] = {d["name"]: [] for d in districts}
    for lm in landmarks:
        if lm["kind"] in ("street", "town"):
            result[lm["district"]].append(Anchor(lm["name"], lm["district"], float(lm["lat"]), float(lm["lon"])))
    for d in districts:
        if not result[d["name"]]:
            result[d["name"]].append(Anchor(d["name"], d["name"], float(d["lat"]), float(d["lon"])))
    return result


def _offset(rng: random.Random, lat: float, lon: float, sigma_m: float) -> Tuple[float, float]:
    dy, dx = rng.gauss(0, sigma_m), rng.gauss(0, sigma_m)
    return (
        round(lat + dy / 111_320.0, 6),
        round(lon + dx / (111_320.0 * math.cos(math.radians(lat))), 6),
    )


def _weighted(rng: random.Random, options: Sequence[Tuple[str, int]]) -> str:
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


def _phone(rng: random.Random) -> str:
    return f"0355-{rng.randint(2000000, 8999999)}"


def _amenities(rng: random.Random, kind: str) -> str:
    return "|".join(code for code, odds in AMENITY_ODDS[kind].items() if rng.random() < odds)


def places(
    rng: random.Random, district_anchors: Dict[str, List[Anchor]], count_scale: float = 1.0
) -> List[Dict[str, str]]:
    """The stations, centres, merchants and friendly scenes."""
    rows: List[Dict[str, str]] = []
    weights = list(DISTRICT_WEIGHTS.items())
    for kind, count in PLACE_COUNTS.items():
        for n in range(1, round(count * count_scale) + 1):
            anchor = rng.choice(district_anchors[_weighted(rng, weights)])
            rows.append(_place_row(rng, kind, n, anchor))
    for n, (name, district) in enumerate(PARTY_CENTRES, 1):
        anchor = district_anchors[district][0]
        row = _place_row(rng, "党群服务中心", n, anchor)
        row.update(name=f"{name}{MARK}", hours="Mo-Su 08:00-21:00", closed_until="", closure_note="")
        rows.append(row)
    return rows


def _place_row(rng: random.Random, kind: str, n: int, anchor: Anchor) -> Dict[str, str]:
    lat, lon = _offset(rng, anchor.lat, anchor.lon, 350 if anchor.district == "潞州区" else 600)
    if kind == "爱心商户":
        name = f"{rng.choice(SURNAMES)}记{rng.choice(SHOPS)}（爱心商户）"
    elif kind == "友好场景":
        name = f"{rng.choice(SCENE_NAMES)}{rng.choice(SCENES)}（骑手友好场景）"
    else:
        name = f"{kind}·{anchor.name}{n}号站"
    closed = rng.random() < 0.02
    return {
        "id": "",
        "kind": kind,
        "name": f"{name}{MARK}",
        "address": f"{anchor.district}{anchor.name}{rng.randint(1, 399)}号{MARK}",
        "district": anchor.district,
        "street": anchor.name,
        "lat": f"{lat:.6f}",
        "lon": f"{lon:.6f}",
        "hours": _weighted(rng, HOURS) if kind != "司机之家" else "24/7",
        "amenities": _amenities(rng, kind),
        "phone": _phone(rng),
        "operator": f"{anchor.name}社区{MARK}" if kind != "爱心商户" else "",
        "closed_until": "2030-01-01 00:00" if closed else "",
        "closure_note": "装修暂停开放" if closed else "",
        "is_sample": "1",
    }


def legal_aid_points(rng: random.Random, districts: Sequence[Dict[str, str]]) -> List[Dict[str, str]]:
    rows = []
    for d in districts:
        lat, lon = float(d["lat"]), float(d["lon"])
        for kind, services, opening, spread in (
            (
                "法律援助中心",
                "法律咨询、法律援助申请、代写文书、劳动争议和工伤维权",
                "周一至周五 8:30-12:00，14:30-17:30",
                300,
            ),
            ("司法所", "人民调解、法律咨询", "周一至周五 8:30-17:30", 1500),
            ("职工服务站", "工会法律服务、讨薪协调、职工互助", "周一至周六 9:00-18:00", 800),
        ):
            plat, plon = _offset(rng, lat, lon, spread)
            rows.append(
                {
                    "id": "",
                    "district": d["name"],
                    "kind": kind,
                    "name": f"{d['name']}{kind}{MARK}",
                    "address": f"{d['name']}政务服务中心附近{rng.randint(1, 99)}号{MARK}",
                    "services": services,
                    "hours": opening,
                    "phone": _phone(rng),
                    "lat": f"{plat:.6f}",
                    "lon": f"{plon:.6f}",
                    "is_sample": "1",
                }
            )
    return rows


def pass_guides(districts: Sequence[Dict[str, str]]) -> List[Dict[str, str]]:
    return [
        {
            "district": d["name"],
            "how_to_apply": (
                f"1. 带身份证和平台骑手App工作页截图，到{d['name']}常跑片区的社区党群服务中心登记。\n"
                "2. 当场办“骑手友好通行证”，贴在头盔或电动车上。\n"
                "3. 进小区时出示通行证，在骑手通道或指定位置停车。"
            ),
            "honoured_at": f"{d['name']}已挂牌的骑手友好小区、友好商圈和医院{MARK}",
            "contact": f"{d['name']}社会工作部 0355-{2100000 + i * 1111}{MARK}",
            "is_sample": "1",
        }
        for i, d in enumerate(districts)
    ]


def programmes(rng: random.Random, districts: Sequence[Dict[str, str]], today: date) -> List[Dict[str, str]]:
    """Childcare for the coming summer and term, and training in the next three months."""
    summer = date(today.year if today < date(today.year, 7, 1) else today.year + 1, 7, 10)
    summer_signup = date(summer.year, 5, 20)
    term_start = today - timedelta(days=20)
    rows: List[Dict[str, str]] = []
    for d in districts:
        for kind, title, age_min, age_max, schedule, capacity in rng.sample(PROGRAMMES, 3):
            start = term_start if kind == "after_school" else summer + timedelta(days=rng.choice((0, 7, 14)))
            end = start + timedelta(days=120 if kind == "after_school" else rng.choice((5, 14, 28)))
            deadline = end - timedelta(days=7) if kind == "after_school" else start - timedelta(days=5)
            opens = None if kind == "after_school" or today >= summer_signup else summer_signup
            rows.append(
                _programme(kind, f"{d['name']}{title}", "", d["name"], age_min, age_max, start, end,
                           schedule, capacity, "免费" if kind != "summer_camp" else "每人100元（困难家庭免费）",
                           deadline, "为新就业群体子女提供看护、作业辅导和兴趣活动。", opens)
            )  # fmt: skip
    for i, (kind, title, topic) in enumerate(TRAINING):
        district = districts[i % len(districts)]["name"] if kind == "lecture" else "潞州区"
        start = today + timedelta(days=7 + i * 6)
        end = start if kind == "lecture" else start + timedelta(days=20)
        rows.append(
            _programme(kind, title, topic, district, None, None, start, end,
                       "19:00-20:30" if kind == "lecture" else "周末全天", 60 if kind == "lecture" else 30,
                       "免费", start - timedelta(days=1), "面向外卖骑手、快递员、网约车和货车司机。")
        )  # fmt: skip
    return rows


def _programme(
    kind, title, topic, district, age_min, age_max, start, end, schedule, capacity, fee, deadline, description,
    opens=None,
):  # fmt: skip
    return {
        "id": "",
        "kind": kind,
        "title": f"{title}{MARK}",
        "topic": topic,
        "district": district,
        "venue": f"{district}党群服务中心{MARK}",
        "address": f"{district}{MARK}",
        "age_min": "" if age_min is None else str(age_min),
        "age_max": "" if age_max is None else str(age_max),
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "schedule": schedule,
        "capacity": str(capacity),
        "fee": fee,
        "signup_deadline": deadline.isoformat(),
        "signup_opens": opens.isoformat() if opens else "",
        "description": description,
        "is_sample": "1",
    }


def generate(
    districts: Sequence[Dict[str, str]], landmarks: Sequence[Dict[str, str]], today: date, place_scale: float = 1.0
) -> Dict[str, List[Dict[str, str]]]:
    """Every sample table, as CSV rows of text."""
    rng = random.Random(SEED)
    district_anchors = anchors(districts, landmarks)
    return {
        "places": places(rng, district_anchors, place_scale),
        "legal_aid_points": legal_aid_points(rng, districts),
        "pass_guides": pass_guides(districts),
        "programmes": programmes(rng, districts, today),
    }
