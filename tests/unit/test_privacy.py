"""Personal data: masked in lists in every form a rider may write it; the files that hold it, for the owner only."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import text

from core.cli import migrate
from core.db import make_engine
from core.privacy import coarse_point, digit_view, mask_sender, mask_text, phone_tails
from core.settings import Settings

MASKED = [
    # mobile numbers, however they are written
    ("电话13812345678", "电话138****5678"),
    ("138.1234.5678", "138****5678"),
    ("138 1234 5678", "138****5678"),
    ("138-1234-5678", "138****5678"),
    ("138—1234—5678", "138****5678"),
    ("138_1234_5678", "138****5678"),
    ("138/1234/5678", "138****5678"),
    ("138 - 1234 - 5678", "138****5678"),
    ("1 3 8 1 2 3 4 5 6 7 8", "138****5678"),
    ("1-3-8-1-2-3-4-5-6-7-8", "138****5678"),
    ("+86 138 1234 5678", "+86 138****5678"),
    ("+8613812345678", "+86 138****5678"),
    ("+86-138-1234-5678", "+86 138****5678"),
    ("0086 13812345678", "+86 138****5678"),
    ("(+86)13812345678", "+86 138****5678"),
    ("Tel13812345678", "Tel138****5678"),
    ("１３８１２３４５６７８", "１３８****５６７８"),
    ("１３８ １２３４ ５６７８", "１３８****５６７８"),
    ("电话13812345678一直打不通", "电话138****5678一直打不通"),
    ("电话是 138 1234 5678 ，找他", "电话是 138****5678 ，找他"),
    # read out in Chinese numerals
    ("一三八一二三四五六七八", "一三八****五六七八"),
    ("幺三八幺二三四五六七八", "幺三八****五六七八"),
    ("一三八 一二三四 五六七八", "一三八****五六七八"),
    ("手机号幺八六零三五五九九八七", "手机号幺八六****九九八七"),
    ("壹叁捌壹贰叁肆伍陆柒捌", "壹叁捌****伍陆柒捌"),
    # ID cards
    ("身份证140402199001011234", "身份证140402***********4"),
    ("14040219900101123X", "140402***********X"),
    ("140402 19900101 1234", "140402***********4"),
    ("140402 1990 0101 1234", "140402***********4"),
    ("身份证140402199001011234电话13812345678", "身份证140402***********4电话138****5678"),
    # licence plates
    ("晋D·12345", "晋D***45"),
    ("晋D12345", "晋D***45"),
    ("晋D 12345", "晋D***45"),
    ("新能源 晋DD12345", "新能源 晋D***45"),
    ("晋DF12345", "晋D***45"),
    ("车牌晋d12345被扣了", "车牌晋D***45被扣了"),
    # self-introduced names
    ("我是王小明", "我是王**"),
    ("我叫王小明", "我叫王**"),
    ("本人王小明", "本人王**"),
    ("俺叫李四", "俺叫李**"),
    ("俺是李四", "俺是李**"),
    ("我就是王小明", "我就是王**"),
    ("孩子叫王小明今年8岁", "孩子叫王**今年8岁"),
    ("我的名字叫王小明", "我的名字叫王**"),
    ("孩子名字叫王小明", "孩子名字叫王**"),
    ("姓名：王小明", "姓名：王**"),
    ("我是欧阳娜娜", "我是欧阳**"),
    ("我是王小明的妈妈", "我是王**的妈妈"),
    ("联系人：幺三八幺二三四五六七八", "联系人：幺三八****五六七八"),  # a number, not a name
    # landlines
    ("0355-1234567", "0355-****567"),
    ("(0355)1234567", "0355-****567"),
    ("（0355）1234567", "0355-****567"),
    ("0355 1234567", "0355-****567"),
    ("03551234567", "0355-****567"),
    ("打0355-1234567或12345", "打0355-****567或12345"),
    ("010-12345678", "010-****678"),
    # street addresses and flats
    ("英雄中路123号", "英雄中路**号"),
    ("住在太行小区3栋2单元501室", "住在太行小区**栋**单元**室"),
    ("紫金小区5号楼3单元402", "紫金小区**号楼**单元**"),
    ("太行东街45号院3号楼2单元", "太行东街**号院**号楼**单元"),
    ("西营巷7号", "西营巷**号"),
    ("3栋2单元501室", "**栋**单元**室"),
    ("家在一号楼三单元", "家在**号楼**单元"),
    # other long numbers (bank cards, QQ)
    ("我的银行卡6222021234567890123", "我的银行卡622****23"),
    ("我的QQ是123456789", "我的QQ是****89"),
    # all at once
    (
        "我叫王小明，电话138 1234 5678，住在太行小区3栋2单元501室",
        "我叫王**，电话138****5678，住在太行小区**栋**单元**室",
    ),
]

UNTOUCHED = [
    "工资3000元没发",
    "押金300块不退",
    "差评扣了50元",
    "一周跑了三十五单，挣了两千三百块",
    "2026-11-30",
    "2026.11.30",
    "2026/11/30",
    "2026年11月30日",
    "二〇二六年十一月",
    "20261130",
    "11月30号下午3点",
    "5月1日到5月5日放假",
    "14:30到18:00",
    "高峰期12:00-13:30",
    "今天跑了35单",
    "跑了128单",
    "打12345投诉",
    "打12333问社保",
    "12345和12333都打过",
    "工单号 CZ-20261130-0001",
    "CZ-20261130-0001",
    "英雄中路的站点扣我押金300块不退",
    "英雄中路与太行街交叉口",
    "站点在3楼",
    "一楼有热水",
    "我是骑手",
    "我是美团的骑手",
    "我是江西人",
    "我是高中生",
    "我是顾客",
    "我是周一到周五上班",
    "我是王者荣耀玩家",
    "本人在美团跑了三年",
    "本人姓王",
    "我叫了外卖",
    "我叫车",
    "我叫跑腿",
    "孩子叫不醒",
    "",
]


@pytest.mark.parametrize("text, masked", MASKED)
def test_personal_data_is_masked(text: str, masked: str) -> None:
    assert mask_text(text) == masked


@pytest.mark.parametrize("text", UNTOUCHED)
def test_everything_else_stays_as_it_was(text: str) -> None:
    assert mask_text(text) == text


def test_the_table_covers_at_least_forty_forms() -> None:
    assert len(MASKED) >= 40 and len({text for text, _ in MASKED}) == len(MASKED)


def test_nothing_is_no_text() -> None:
    assert mask_text(None) == ""


def test_the_digit_view_keeps_every_position() -> None:
    text = "电话一三八一二三四五六七八，３号，三单元"
    view = digit_view(text)
    assert len(view) == len(text)
    assert view == "电话13812345678，3号，三单元"  # short runs of numerals are words, not numbers


def test_senders_and_points_are_coarsened() -> None:
    assert mask_sender("123456789012") == "123****012"
    assert mask_sender("abc") == "ab****"
    assert coarse_point(36.19543, 113.11621) == "36.20, 113.12"
    assert coarse_point(None, 113.1) == ""


# The files that hold personal data -------------------------------------------------------


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The umask most machines have (022), under which files come out world-readable unless made otherwise."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_database_its_journal_and_its_folder_are_for_the_owner_only(tmp_path: Path, usual_umask: None) -> None:
    database = tmp_path / "var" / "nuanxin.db"
    migrate(f"sqlite:///{database}")
    engine = make_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO canned_replies (title, text) VALUES ('t', '电话13812345678')"))
        files = [database, database.with_name("nuanxin.db-wal"), database.with_name("nuanxin.db-shm")]
        assert {path.name: _mode(path) for path in files} == {path.name: 0o600 for path in files}
    engine.dispose()
    assert _mode(database.parent) == 0o700


def test_an_install_from_before_is_made_private(tmp_path: Path, usual_umask: None) -> None:
    """What was seen: var/*.db world-readable (644)."""
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    for name in ("nuanxin.db", "nuanxin.db-wal", "nuanxin.db-shm"):
        (var / name).touch(mode=0o644)
    settings = Settings.from_env(
        {"NUANXIN_VAR_DIR": str(var), "NUANXIN_SECRET_KEY": "k", "DATABASE_URL": f"sqlite:///{var / 'nuanxin.db'}"}
    )
    assert _mode(var) == 0o700
    make_engine(settings.database_url).dispose()
    expected = {p.name: 0o700 if p.is_dir() else 0o600 for p in var.iterdir()}
    assert {p.name: _mode(p) for p in var.iterdir()} == expected and "nuanxin.db" in expected


def test_a_new_var_folder_and_its_secret_are_private(tmp_path: Path, usual_umask: None) -> None:
    var = tmp_path / "var"
    settings = Settings.from_env({"NUANXIN_VAR_DIR": str(var)})
    secret = var / "secrets" / "secret_key"
    assert settings.secret_key == secret.read_text()
    assert (_mode(var), _mode(secret.parent), _mode(secret)) == (0o700, 0o700, 0o600)


# Found by bench/mutation.py: boundaries of the rules, and rules that meet ---------------


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("卡号21234567890", "卡号212****90"),  # eleven digits that are no mobile: the head kept too
        ("卡号2123456789", "卡号****89"),  # ten: the tail only
        ("你好孩子叫王小明我是李华", "你好孩子叫王**我是李**"),  # a masked name claims only its own characters
        ("我叫本人王明", "我叫本**明"),  # two name rules over the same characters: masked once
    ],
)
def test_rule_boundaries_and_overlaps(text: str, masked: str) -> None:
    assert mask_text(text) == masked


def test_a_sender_id_of_six_characters_is_short_and_of_seven_long() -> None:
    assert mask_sender("abcdef") == "ab****"
    assert mask_sender("abcdefg") == "abc****efg"


def test_phone_tails_are_the_last_four_digits_of_each_number_as_masking_reads_it() -> None:
    assert phone_tails("电话138 1234 5678，座机0355-1234567") == {"5678", "4567"}
    assert phone_tails("一三八一二三四五六七八") == {"5678"}
    assert phone_tails("卡号21234567890 没有电话") == set()
    assert phone_tails("") == set() and phone_tails(None) == set()
