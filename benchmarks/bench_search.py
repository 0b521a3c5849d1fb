"""Chinese search: what segmenting costs, side by side with Wagtail's plain database backend.

    python -m benchmarks.bench_search [--pages 300] [--rounds 3]

1. Indexing: the same lesson pages (realistic Chinese text: title, summary, body, transcript)
   are indexed by Wagtail's plain database backend and by ours, alternating over several
   rounds, in a throwaway test database (SQLite in memory, or a test_* database when
   DATABASE_URL points at PostgreSQL). Printed: index time and index size, ours / plain.
2. Queries: median time of a few searches on ours (the plain backend finds nothing for them).
3. Tokenizer choice: bigrams against jieba (cut_for_search), on the same text: how many
   dictionary words that occur in a sentence each finds, tokens per character, and speed.
"""

import argparse
import os
import random
import statistics
import sys
import time

SENTENCES = [
    "考试前感到紧张是很正常的事情，适度的紧张能让我们更专注。",
    "如果焦虑情绪持续很久，影响了睡眠和饮食，就要及时向老师或家长求助。",
    "深呼吸是一种简单有效的放松方法，吸气四秒，停两秒，再慢慢呼气。",
    "青春期的身体变化会带来许多新的感受，这些感受都值得被认真对待。",
    "每个人都有自己的优点和不足，学会接纳自己是成长的重要一步。",
    "和朋友发生矛盾时，先冷静下来，再试着说出自己的感受和需要。",
    "网络游戏可以带来快乐，但要给自己定好时间，不让它占据全部生活。",
    "遇到校园欺凌时，一定要告诉信任的大人，这不是告状，而是保护自己。",
    "珍爱生命，远离溺水，不在没有大人陪同的情况下去河边玩耍。",
    "科学探究从提出问题开始，仔细观察身边的现象，大胆提出自己的猜想。",
    "人工智能正在改变我们的学习方式，AI时代更需要独立思考的能力。",
    "注意力不集中并不一定是ADHD，需要专业人员评估后才能判断。",
    "规律的作息能帮助大脑休息，寒假里也要尽量按时睡觉、按时起床。",
    "运动可以释放压力，每天跑步或跳绳三十分钟，心情也会变好。",
    "当你感到孤单的时候，可以给好朋友打个电话，或者写一写日记。",
    "父母的唠叨背后往往是关心，试着和他们好好聊一聊彼此的想法。",
    "生涯规划不是一次决定一辈子，而是在不断尝试中认识自己的兴趣。",
    "抑郁情绪和抑郁症不一样，持续两周以上的低落需要引起重视。",
    "全国心理援助热线12356全天都有人接听，遇到困难可以随时拨打。",
    "老师在班会上组织大家分享自己最难忘的一件事，教室里充满了笑声。",
    "研究生命的起源是科学家们长期关注的问题，也激发了同学们的好奇心。",
    "学会感恩，从说一声谢谢开始，感谢身边每一个帮助过你的人。",
    "情绪没有好坏之分，愤怒、悲伤、害怕都在提醒我们关注自己的需要。",
    "面对失败，不要急着否定自己，想一想下次可以怎样做得更好。",
    "时间管理的关键是分清轻重缓急，先完成最重要的事情。",
    "家长可以多倾听孩子的想法，少一些评判，多一些陪伴和鼓励。",
    "在实验中要注意安全，使用酒精灯时一定要有老师在场指导。",
    "同学之间互相帮助，共同进步，班级才能成为温暖的集体。",
    "当发现同学情绪持续低落、不愿上学时，要及时告诉班主任和心理老师。",
    "阳光成长系列直播邀请专家和家长一起讨论孩子的心理健康问题。",
]
TITLES = [
    "如何应对考试焦虑情绪",
    "认识青春期的自己",
    "学会求助",
    "珍爱生命远离溺水",
    "网络成瘾的识别与干预",
    "预防校园欺凌",
    "AI时代的科学教育",
    "ADHD注意力训练",
    "寒假作息与情绪管理",
    "与父母好好沟通",
    "生涯规划第一课",
    "感恩的心",
    "面对失败的勇气",
    "时间管理小妙招",
    "做情绪的小主人",
]
QUERIES = ["焦虑", "考试焦虑", "情绪管理", "AI时代", "虑", "如何应对考试焦虑情绪"]


def paragraphs(rng, count):
    return "".join(rng.choice(SENTENCES) for _ in range(count))


def build_lessons(count, seed=7):
    """Lesson pages with a few thousand characters each, created without indexing them."""
    from wagtail.rich_text import RichText

    from courses.factories import CourseIndexPageFactory, CourseSeriesPageFactory
    from courses.models import LessonPage
    from sunshine.home.factories import site_with_home

    rng = random.Random(seed)
    series = CourseSeriesPageFactory(parent=CourseIndexPageFactory(parent=site_with_home()))
    for number in range(count):
        lesson = LessonPage(
            title=f"第{number + 1}课：{rng.choice(TITLES)}",
            slug=f"bench-{number}",
            summary=paragraphs(rng, 2),
            body=[("paragraph", RichText(f"<p>{paragraphs(rng, 8)}</p>"))],
            transcript=paragraphs(rng, 40),
        )
        series.add_child(instance=lesson)
    return list(LessonPage.objects.all())


def index_size(connection):
    """Bytes the search index takes: its table plus, on SQLite, the FTS5 shadow tables."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'wagtailsearch_indexentry%'"
            )
        else:
            cursor.execute("SELECT pg_total_relation_size('wagtailsearch_indexentry')")
        return cursor.fetchone()[0]


def compact(connection):
    with connection.cursor() as cursor:
        cursor.execute("VACUUM" if connection.vendor == "sqlite" else "VACUUM FULL")


def index_with(backend, lessons, connection):
    from wagtail.search.models import IndexEntry

    IndexEntry.objects.all().delete()
    compact(connection)
    index = backend.get_index_for_model(type(lessons[0]))
    started = time.perf_counter()
    for start in range(0, len(lessons), 100):  # update_index's chunk size
        index.add_items(type(lessons[0]), lessons[start : start + 100])
    elapsed = time.perf_counter() - started
    compact(connection)
    return elapsed, index_size(connection)


def measure_indexing(pages, rounds):
    from django.db import connection
    from wagtail.search.backends import get_search_backend

    from courses.models import LessonPage

    lessons = build_lessons(pages)
    # Chunks as update_index reads them: specific pages, fetched once.
    lessons = list(LessonPage.objects.order_by("pk"))
    plain = get_search_backend("wagtail.search.backends.database")
    ours = get_search_backend("sunshine.search.backends.database")
    for backend in (plain, ours):  # warm-up, not counted: imports, caches, the query planner
        index_with(backend, lessons[:20], connection)
    times = {"plain": [], "ours": []}
    sizes = {}
    for round_number in range(rounds):
        order = [("plain", plain), ("ours", ours)]
        for name, backend in order if round_number % 2 == 0 else reversed(order):
            elapsed, size = index_with(backend, lessons, connection)
            times[name].append(elapsed)
            sizes[name] = size
    plain_time, our_time = statistics.median(times["plain"]), statistics.median(times["ours"])
    print(f"database: {connection.vendor}; {len(lessons)} lesson pages; {rounds} rounds, median")
    side_by_side("index time", plain_time, our_time, "s")
    side_by_side("index size", sizes["plain"] / 1e6, sizes["ours"] / 1e6, "MB")
    # Each query on each index; the plain backend only finds a whole run of Chinese characters.
    timings = {}
    for name, backend in (("plain", plain), ("ours", ours)):
        index_with(backend, lessons, connection)
        timings[name] = {query: time_query(backend, query) for query in QUERIES}
    for query in QUERIES:
        plain_found, plain_ms = timings["plain"][query]
        our_found, our_ms = timings["ours"][query]
        print(
            f"  query {query!r}: ours {our_ms:6.1f} ms, {our_found:4d} found | "
            f"plain {plain_ms:6.1f} ms, {plain_found:4d} found"
        )


def side_by_side(what, plain, ours, unit):
    ratio = ours / plain
    print(f"  {what}: plain {plain:6.2f} {unit}, ours {ours:6.2f} {unit}, ours/plain {ratio:.2f}")


def time_query(backend, query, repeat=5):
    """Median time of a first page of 10 results, and how many pages match in all."""
    from courses.models import LessonPage

    durations = []
    for _ in range(repeat):
        started = time.perf_counter()
        list(backend.search(query, LessonPage)[:10])
        durations.append(time.perf_counter() - started)
    return backend.search(query, LessonPage).count(), statistics.median(durations) * 1000


def compare_tokenizers():
    import jieba

    from sunshine.search.tokens import index_tokens, query_tokens

    jieba.setLogLevel(60)
    started = time.perf_counter()
    jieba.initialize()
    jieba_load = time.perf_counter() - started

    def jieba_tokens(text):
        return {token for token in jieba.cut_for_search(text) if token.strip()}

    words = {w for w, freq in jieba.dt.FREQ.items() if freq > 0 and 2 <= len(w) <= 4}
    found = {"bigram": 0, "jieba": 0}
    total = 0
    misses = []
    for sentence in SENTENCES:
        bigram_index = set(index_tokens(sentence))
        jieba_index = jieba_tokens(sentence)
        for size in (2, 3, 4):
            for i in range(len(sentence) - size + 1):
                word = sentence[i : i + size]
                if word not in words:
                    continue
                total += 1
                found["bigram"] += set(query_tokens(word)) <= bigram_index
                if jieba_tokens(word) <= jieba_index:
                    found["jieba"] += 1
                else:
                    misses.append(f"{word}（{sentence[max(0, i - 4) : i + size + 4]}）")
    text = "".join(SENTENCES) * 50
    timings = {}
    for name, split in (
        ("bigram", index_tokens),
        ("jieba", lambda t: list(jieba.cut_for_search(t))),
    ):
        started = time.perf_counter()
        tokens = split(text)
        timings[name] = (time.perf_counter() - started, len(tokens))
    print(f"dictionary words occurring in the {len(SENTENCES)} sample sentences: {total}")
    bigram_share, jieba_share = found["bigram"] / total, found["jieba"] / total
    print(f"  found by bigrams {bigram_share:6.1%}, by jieba {jieba_share:6.1%}")
    print(f"  jieba misses, e.g.: {'、'.join(misses[:8])}")
    bigram_time, bigram_count = timings["bigram"]
    jieba_time, jieba_count = timings["jieba"]
    per_char = bigram_count / len(text), jieba_count / len(text)
    print(f"  tokens per character: bigram {per_char[0]:.2f}, jieba {per_char[1]:.2f}")
    print(
        f"  segmenting {len(text)} characters: bigram {bigram_time * 1000:.0f} ms, jieba "
        f"{jieba_time * 1000:.0f} ms (ratio jieba/bigram {jieba_time / bigram_time:.1f}); "
        f"jieba dictionary load {jieba_load:.1f} s"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sunshine.settings")
    django.setup()
    from django.db import connection
    from django.test.utils import override_settings

    print("-- tokenizer: bigrams vs jieba")
    compare_tokenizers()
    print("-- indexing: ours vs Wagtail's plain database backend")
    test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        # Pages are created without indexing them (no task worker); each backend then
        # indexes the same pages.
        dummy = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
        with override_settings(TASKS=dummy):
            measure_indexing(args.pages, args.rounds)
    finally:
        connection.creation.destroy_test_db(test_db, verbosity=0)


if __name__ == "__main__":
    main()
