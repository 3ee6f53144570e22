"""Scripted rider conversations for the load benchmarks: what workers really do.

Each message carries the intent the project's NLU should give it, so a run can
report intent accuracy next to speed.
"""

from __future__ import annotations

from typing import List, Tuple

Script = List[Tuple[str, str]]  # (message, expected intent)

SCRIPTS: List[Script] = [
    [
        ("师傅好", "greet"),
        ('/share_location{"latitude": 36.1955, "longitude": 113.1160}', "share_location"),
        ("谢谢啊", "thanks"),
        ("拜拜 我去送单了", "goodbye"),
    ],
    [
        ("站点拖了我两个月工资不给 咋办", "legal_wage_arrears"),
        ("屯留", "inform"),
        ("多谢", "thanks"),
    ],
    [
        ("英雄中路附近哪能给电动车充电", "find_station"),
        ("送外卖路上被车撞了 对方全责但不赔钱", "legal_traffic_accident"),
        ("好的 知道了", "affirm"),
    ],
    [
        ("暑假孩子没人看 有托管班吗", "childcare"),
        ("潞州区", "inform"),
        ("孩子8岁", "inform"),
        ("同意", "affirm"),
    ],
    [
        ("转人工", "request_human"),
        ("站长扣了我三百块押金不退", "request_human"),
        ("取消", "deny"),
    ],
    [
        ("你是机器人吗", "bot_challenge"),
        ("你都能干啥", "ask_capabilities"),
        ("驿站收费吗", "faq"),
    ],
    [
        ("超时被平台罚款五十 申诉没用", "legal_platform_dispute"),
        ("灵活就业的骑手怎么交社保", "legal_social_insurance"),
        ("再见", "goodbye"),
    ],
]
