"""The crisis phrase list, with true and false positives, the way children actually type."""

import pytest

from sunshine_mailbox import crisis

TRUE_POSITIVES = [
    ("我真的不想活了", "suicide"),
    ("有时候觉得活着没意思", "suicide"),
    ("我想自杀", "suicide"),
    ("我 想 自 杀", "suicide"),  # spaces between characters
    ("我想　自　殺", "suicide"),  # full-width spaces and a traditional character
    ("我不想活了，真的", "suicide"),
    ("想·死", "suicide"),  # a decorative separator
    ("寫好了遺書", "suicide"),  # traditional
    ("我把自己的手割腕了", "self_harm"),
    ("昨晚又自残了", "self_harm"),
    ("我會傷害自己", "self_harm"),  # traditional
    ("爸爸喝醉了往死里打我", "abuse"),
    ("他說不讓我告訴別人", "abuse"),  # traditional
    ("叔叔摸我隐私部位", "abuse"),
    ("有人跟踪我放学回家", "danger"),
    ("我不敢回家", "danger"),
    ("ＴＡ说要杀了我", "danger"),  # full-width letters
    ("我想结束自己的生命", "suicide"),
    ("离开这个世界就好了", "suicide"),
]

FALSE_POSITIVES = [
    "今天的笑话笑死我了",
    "天气热死了，不想上体育课",
    "作业太多，累死了",
    "我好想死你们了！",
    "历史课总要死记硬背",
    "电脑要杀毒",
    "周末和同学玩狼人杀",
    "商场跳楼价大甩卖",
    "我不想活动，只想睡觉",
    "考试考砸了，心情不好",
    "我和好朋友吵架了",
    "妈妈总拿我和别人比较",
    "生命教育课讲了珍爱生命",
]


@pytest.mark.parametrize("text,category", TRUE_POSITIVES)
def test_crisis_phrases_are_recognised(text, category):
    assert category in {match.category for match in crisis.find(text)}, text


@pytest.mark.parametrize("text", FALSE_POSITIVES)
def test_everyday_words_are_not_a_crisis(text):
    assert crisis.find(text) == [], text


def test_normalising_full_width_spaces_and_traditional():
    assert crisis.normalise("Ａ Ｂ　１２\u200b殺") == "ab12杀"


def test_every_listed_traditional_character_maps_to_a_different_simplified_one():
    table = crisis.phrase_data()["traditional"]
    assert all(len(k) == 1 and len(v) == 1 for k, v in table.items())
    # 爸 is the same in both scripts: identity entries are harmless but say nothing.
    assert sum(k == v for k, v in table.items()) <= 1


def test_every_phrase_is_already_normalised():
    # A phrase that normalising changes could never match.
    data = crisis.phrase_data()
    for phrases in data["phrases"].values():
        for phrase in phrases:
            assert crisis.normalise(phrase) == phrase
    for exclusion in data["exclusions"]:
        assert crisis.normalise(exclusion) == exclusion
