"""Whole messages that mean "stop this and give me back the assistant" (取消, 退出, 算了).

One list for every place that must let a rider out: the hand-off policy hands the
conversation back with them, and after 办结 they let the ticket go instead of
reopening it (actions.tickets.ActionReopenTicket). Compared after NFKC and without punctuation or spaces, so 「取消！」
and 「算 了」 count; a sentence that merely contains one (算了我自己去问) does not.
"""

from __future__ import annotations

import unicodedata
from typing import Iterable, Set, Text

# 算了 and 不用了 alone are how riders give up waiting.
EXIT_TEXTS = (
    *("取消", "退出", "退出人工", "结束人工", "返回助手", "回到助手", "不用人工了", "取消人工"),
    *("算了", "不用了", "不需要了", "没事了"),
)


def compact(text: Text) -> Text:
    """The message without punctuation, spaces or width differences."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in text if ch.isalnum())


def exit_set(texts: Iterable[Text] = EXIT_TEXTS) -> Set[Text]:
    return {compact(t) for t in texts}


def is_exit(text: Text) -> bool:
    """Whether a whole message is one of the exit words."""
    return compact(text or "") in _EXITS


_EXITS = exit_set()
