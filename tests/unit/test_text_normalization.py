from nlu.text_normalization import TextNormalizer

NORMALIZER = TextNormalizer({"驿占": "驿站", "公伤": "工伤", "👍": "好"})


def test_full_width_becomes_half_width() -> None:
    assert NORMALIZER.normalize("ＡＢＣ１２３，你好！").text == "ABC123,你好!"


def test_runs_of_punctuation_collapse_to_the_first_mark() -> None:
    assert NORMALIZER.normalize("在吗？？？！！！").text == "在吗?"
    assert NORMALIZER.normalize("怎么办。。。。。").text == "怎么办。"


def test_emoji_and_control_characters_are_dropped_but_meaningful_emoji_become_words() -> None:
    assert NORMALIZER.normalize("附近驿站😀😀\u200b\x07在哪").text == "附近驿站在哪"
    assert NORMALIZER.normalize("👍").text == "好"
    assert NORMALIZER.normalize("😀😀😀").text == ""


def test_whitespace_collapses_and_newlines_become_spaces() -> None:
    assert NORMALIZER.normalize("  送外卖  \n\n 摔伤了  ").text == "送外卖 摔伤了"


def test_typing_slips_are_corrected() -> None:
    assert NORMALIZER.normalize("附近驿占在哪 公伤怎么赔").text == "附近驿站在哪 工伤怎么赔"


def test_spans_follow_the_text_through_the_clean_up() -> None:
    original = "😀😀在英雄中路！！！附近"
    result = NORMALIZER.normalize(original)
    start = original.index("英雄中路")
    span = result.span(start, start + 4)
    assert span is not None
    assert result.text[span[0] : span[1]] == "英雄中路"
    assert result.span(0, 2) is None  # the emoji vanished
