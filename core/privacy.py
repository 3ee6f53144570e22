"""Masking personal data for lists and exports; the full text only on a ticket page.

Riders dictate by voice and type on the move, so a phone number arrives as
`138 1234 5678`, `１３８…`, `一三八…` or `+86-138-…`. Every number is first read
through a *digit view* of the text (same length, full-width digits and long runs
of Chinese numerals read as ASCII digits), the rules run over that view in turn,
and each claims the characters it masks so that no later rule sees them again.
A compact date (20261130, as in ticket numbers CZ-20261130-0001) is not a long number.

The name rules are heuristics: a name after 我叫/孩子叫/名字叫/姓名 is masked
whatever it is; after 我是/本人/俺是 only a common family name followed by one or
two characters and then the end of the phrase, so 我是骑手 and 我是江西人 stay.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, List, Optional, Pattern, Set, Tuple

_FULL_WIDTH = {chr(0xFF10 + i): str(i) for i in range(10)}
_CHINESE_DIGITS = {
    **dict.fromkeys("〇零洞", "0"),
    **dict.fromkeys("一幺壹", "1"),
    **dict.fromkeys("二贰", "2"),
    **dict.fromkeys("三叁", "3"),
    **dict.fromkeys("四肆", "4"),
    **dict.fromkeys("五伍", "5"),
    **dict.fromkeys("六陆", "6"),
    **dict.fromkeys("七柒拐", "7"),
    **dict.fromkeys("八捌", "8"),
    **dict.fromkeys("九玖勾", "9"),
}
_FULL_WIDTH_VIEW = str.maketrans(_FULL_WIDTH)
_CHINESE_VIEW = str.maketrans(_CHINESE_DIGITS)
CLAIMED = "\x00"  # stands in the view for characters a rule has already masked

# Between the digits of one number: spaces, dots, dashes, slashes, underscores, middle dots.
_SEP = r"[\s.\-_/·•・\u2010-\u2015\u2212\uff0d\uff0e\u3000]"
_CHINESE_DIGIT = "[" + "".join(_CHINESE_DIGITS) + "]"
# Seven or more Chinese numerals in a row (separators allowed) are a number read out;
# fewer are words (一定, 三四个, 二〇二六年).
_CHINESE_NUMBER = re.compile(rf"{_CHINESE_DIGIT}(?:{_SEP}{{0,2}}{_CHINESE_DIGIT}){{6,}}")


def digit_view(text: str) -> str:
    """`text` with full-width digits and long runs of Chinese numerals as ASCII digits; same length."""
    view = text.translate(_FULL_WIDTH_VIEW)
    return _CHINESE_NUMBER.sub(lambda m: m.group(0).translate(_CHINESE_VIEW), view)


@dataclass(frozen=True)
class _Rule:
    """A pattern over the digit view and how a match of it is written in the masked text."""

    name: str
    pattern: Pattern[str]
    render: Callable[[re.Match, str], Optional[str]]  # (match in the view, original text) → mask


def _digits_of(match: re.Match, text: str, group: int = 0) -> str:
    """The original characters of a match's digits (full-width or Chinese ones kept), separators dropped."""
    start, end = match.span(group)
    pairs = zip(text[start:end], match.string[start:end], strict=True)
    return "".join(c for c, v in pairs if v.isdigit() or v in "Xx")


_ID_CARD = re.compile(r"(?<!\d)[1-9]\d{5}[\s\-]?(?:\d{8}|\d{4}[\s\-]?\d{4})[\s\-]?\d{3}[\dXx](?!\d)")

_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE_SEP = r"[\s·•・.\-]?"
_PLATE = re.compile(
    rf"([{_PROVINCES}]){_PLATE_SEP}([A-HJ-NP-Za-hj-np-z]){_PLATE_SEP}"
    r"(?=[A-Za-z]*\d)([A-HJ-NP-Za-hj-np-z0-9]{5,6})(?![A-Za-z0-9])"
)

_MOBILE = re.compile(
    rf"(?<!\d)((?:\+|00){_SEP}?86{_SEP}{{0,3}}|[(（]\+?86[)）]{_SEP}{{0,3}})?"
    rf"(1{_SEP}{{0,3}}[3-9](?:{_SEP}{{0,3}}\d){{9}})(?!\d)"
)

_AREA_CODE = r"(?:010|02\d|0[3-9]\d{2})"
_LANDLINE = re.compile(
    rf"(?<!\d)(?:[(（]({_AREA_CODE})[)）]|({_AREA_CODE})){_SEP}{{0,2}}"
    r"([1-9](?:[\s\-]?\d){6,7})(?!\d)"
)

_LONG_NUMBER = re.compile(r"(?<!\d)\d{7,}(?!\d)")
_COMPACT_DATE = re.compile(r"(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])")

# House numbers: a number with its unit, after a street or compound (路/街/巷/小区…), or
# two or more in a row (3栋2单元501室). One alone (3楼, 11月30号) says nothing about anyone.
_NUMERAL = r"(?:\d+|[一二三四五六七八九十百零〇两]+|[A-Za-z])"
_UNIT = r"(?:号楼|号院|号|栋|幢|座|单元|层|楼|室|户|门)"
_PART = rf"{_NUMERAL}{_UNIT}"
_ROOM = r"(?:\d{2,5}(?![\d元块单个岁次天分点号人米]))"
_STREETS_AND_COMPOUNDS = (
    "路",
    "街",
    "巷",
    "道",
    "胡同",
    "弄",
    "小区",
    "花园",
    "家园",
    "公寓",
    "大厦",
    "村",
    "社区",
    "宿舍",
)
_AFTER_STREET = "(?:" + "|".join(f"(?<={word})" for word in _STREETS_AND_COMPOUNDS) + ")"  # fixed-width look-behinds
_ADDRESS = re.compile(rf"{_AFTER_STREET}(?:{_PART})+{_ROOM}?|(?:{_PART}){{2,}}{_ROOM}?")
_ADDRESS_NUMBER = re.compile(_NUMERAL)


def _id_card(match: re.Match, text: str) -> str:
    digits = _digits_of(match, text)
    return f"{digits[:6]}{'*' * 11}{digits[-1]}"


def _plate(match: re.Match, text: str) -> str:
    tail = text[match.start(3) : match.end(3)]
    return f"{match.group(1)}{text[match.start(2)].upper()}***{tail[-2:].upper()}"


def _mobile(match: re.Match, text: str) -> str:
    digits = _digits_of(match, text, 2)
    prefix = "+86 " if match.group(1) else ""
    return f"{prefix}{digits[:3]}****{digits[-4:]}"


def _landline(match: re.Match, text: str) -> str:
    area = match.group(1) or match.group(2)
    local = _digits_of(match, text, 3)
    return f"{area}-****{local[-3:]}"


def _long_number(match: re.Match, text: str) -> Optional[str]:
    digits = _digits_of(match, text)
    if _COMPACT_DATE.fullmatch(match.group(0)):
        return None  # 20261130 is a date
    return f"{digits[:3]}****{digits[-2:]}" if len(digits) >= 11 else f"****{digits[-2:]}"


def _address(match: re.Match, text: str) -> str:
    start = match.start()
    original = text[start : match.end()]
    pieces, last = [], 0
    for number in _ADDRESS_NUMBER.finditer(match.group(0)):
        pieces.append(original[last : number.start()] + "**")
        last = number.end()
    return "".join(pieces) + original[last:]


_RULES: Tuple[_Rule, ...] = (
    _Rule("ID card", _ID_CARD, _id_card),
    _Rule("licence plate", _PLATE, _plate),
    _Rule("mobile", _MOBILE, _mobile),
    _Rule("landline", _LANDLINE, _landline),
    _Rule("long number", _LONG_NUMBER, _long_number),
    _Rule("address", _ADDRESS, _address),
)

_HAN = r"[\u4e00-\u9fff]"
_COMPOUND_SURNAMES = "欧阳|司马|诸葛|上官|东方|皇甫|尉迟|公孙|慕容|令狐|夏侯|长孙|宇文|司徒|端木|南宫|独孤|百里"
# The hundred commonest family names, none of them a word that often follows 我是.
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔汤"
)
# Words that start with a family name and often follow 我是/本人: not names.
_NOT_NAMES = (
    "马上|高中|高兴|高平|方便|白天|白班|周末|周边|石家庄|江西|江苏|黎城|武乡|万一|于是|程序|许多|曾经|夏天|"
    "顾客|钟点|沈阳|郑州|谢谢|唐山|韩国|徐州|孙子|黄牛|金牌|史上|严重|莫名|何必|胡乱|陆续|付款|付费|余额|任何|"
    "苏州|毛病|龙虾|段位|雷锋|贾汪|汤面|孔子|田里|董事|石头|金额|钱不|陈述|杨柳|林业|罗马|宋朝|韦德"
)
_SURNAME = rf"(?:{_COMPOUND_SURNAMES}|[{_SURNAMES}])"
# After 我叫/孩子叫…: these characters begin a verb phrase (我叫了外卖, 我叫车), not a name.
_NOT_A_NAME_START = "了过着不没的得地个一来去到车人你我他她它们啥什怎这那都也还就是外快妈爸跑滴救警保"
_CALLED = (
    r"(?:我|俺|孩子|小孩|娃|儿子|女儿|闺女)(?:的名字)?叫|我名叫|名叫|名字叫|(?:我的)?名字是"
    r"|姓名[:：\s]*(?:是)?|联系人[:：\s]*"
)
_NAME_CALLED = re.compile(rf"({_CALLED})(?![{_NOT_A_NAME_START}])({_COMPOUND_SURNAMES}|{_HAN}){_HAN}{{1,2}}")
# After 我是/本人: only a family name, one or two more characters, then the phrase ends.
_PHRASE_END = r"(?:[^\u4e00-\u9fff]|$|[的啊呀吧呢哈嘛在从跟和])"
_NAME_INTRODUCED = re.compile(
    rf"((?:我|俺)(?:就)?是|本人)(?!{_NOT_NAMES})({_SURNAME})(?:{_HAN}{{2}}|{_HAN})(?={_PHRASE_END})"
)
_NAME_RULES = (_NAME_CALLED, _NAME_INTRODUCED)


def mask_text(text: Optional[str]) -> str:
    """Phone numbers, ID cards, plates, landlines, long numbers, house numbers and names, masked."""
    if not text:
        return ""
    view = digit_view(text)
    edits: List[Tuple[int, int, str]] = []
    for rule in _RULES:
        found = [(m, rule.render(m, text)) for m in rule.pattern.finditer(view)]
        for match, replacement in found:
            if replacement is None:
                continue
            edits.append((match.start(), match.end(), replacement))
            view = view[: match.start()] + CLAIMED * (match.end() - match.start()) + view[match.end() :]
    for pattern in _NAME_RULES:
        for match in pattern.finditer(text):
            if CLAIMED not in view[match.start() : match.end()]:
                edits.append((match.start(), match.end(), f"{match.group(1)}{match.group(2)}**"))
                view = view[: match.start()] + CLAIMED * (match.end() - match.start()) + view[match.end() :]
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


def phone_tails(text: Optional[str]) -> Set[str]:
    """The last four digits of every mobile and landline number in `text`, read as masking reads them.

    Staff search by these (the masked text shows them too), never by the number itself.
    """
    if not text:
        return set()
    view = digit_view(text)
    tails = set()
    for pattern, group in ((_MOBILE, 2), (_LANDLINE, 3)):
        for match in pattern.finditer(view):
            digits = "".join(c for c in match.group(group) if c.isdigit())
            tails.add(digits[-4:])
    return tails


def mask_sender(sender_id: str) -> str:
    """Enough of a sender id to tell two apart, not enough to find the person."""
    if len(sender_id) <= 6:
        return sender_id[:2] + "****"
    return f"{sender_id[:3]}****{sender_id[-3:]}"


def coarse_point(lat: Optional[float], lon: Optional[float]) -> str:
    """A shared location rounded to about a kilometre, for lists."""
    if lat is None or lon is None:
        return ""
    return f"{lat:.2f}, {lon:.2f}"
