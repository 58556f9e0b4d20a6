"""Search bench: full database reindex time and Chinese query latency.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zs_bench \\
    DJANGO_SETTINGS_MODULE=marketplace.settings.bench SECRET_KEY=… \\
    .venv/bin/python bench/search.py [--skip-rebuild] [--queries 400]

Reindexes with the same code as `manage.py rebuild_search_index` (a jieba process per CPU),
then times `get_backend().search()` for two-word and one-word queries built from the
catalogue's words and region names, each without filters and with a category and a city
filter, and reports the stored size per document (for Elasticsearch sizing).
"""

import argparse
import os
import random
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings.bench")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from marketplace.models import Category, Region  # noqa: E402
from search.backends import get_backend  # noqa: E402
from search.types import Kind, SearchQuery  # noqa: E402

WORDS = [
    "养老",
    "居家",
    "助餐",
    "助残",
    "康复",
    "儿童",
    "青少年",
    "社区矫正",
    "禁毒",
    "救助",
    "社工",
    "志愿",
    "评估",
    "培训",
    "孵化",
    "公益创投",
    "照料",
    "心理",
    "留守",
    "调解",
]
PLACES = ["姑苏", "吴中", "昆山", "玄武", "鼓楼", "江宁", "常熟", "张家港", "苏州", "南京"]


def queries(count, rng, *, words):
    if words == 1:
        texts = WORDS + PLACES
    else:
        texts = [f"{a} {b}" for a in WORDS for b in WORDS if a != b]
        texts += [f"{place} {word}" for place in PLACES for word in WORDS]
    return [rng.choice(texts) for _ in range(count)]


def filter_sets(count, rng):
    """A top-level category and a city per query: what the facet links on the page add."""
    categories = list(Category.objects.filter(parent=None).values_list("code", flat=True))
    cities = list(Region.objects.filter(level=Region.Level.CITY).values_list("code", flat=True))
    return [
        {"category": rng.choice(categories), "region": rng.choice(cities)} for _ in range(count)
    ]


def load():
    """The machine's load (the bench shares it): figures are comparable within one run."""
    return "load average: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def timed(backend, texts, filters):
    timings, totals = [], []
    for text, chosen in zip(texts, filters, strict=True):
        started = time.perf_counter()
        results = backend.search(SearchQuery(text=text, filters=chosen))
        timings.append((time.perf_counter() - started) * 1000)
        totals.append(results.total)
    return timings, totals


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-rebuild", action="store_true")
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()
    backend = get_backend()
    if not args.skip_rebuild:
        print(load())
        started, cpu = time.perf_counter(), time.process_time()
        call_command("rebuild_search_index", skip_checks=True)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        print(
            f"reindex: {time.perf_counter() - started:.1f} s wall, "
            f"{time.process_time() - cpu:.1f} s CPU here + {children.ru_utime:.1f} s in workers"
        )
    rng = random.Random(args.seed)
    print(load())
    for words in (2, 1):
        texts = queries(args.queries, rng, words=words)
        for text in texts[:20]:  # warm the caches and jieba
            backend.search(SearchQuery(text=text))
        for label, filters in (
            ("no filter", [{}] * len(texts)),
            ("category + city filter", filter_sets(len(texts), rng)),
        ):
            timings, totals = timed(backend, texts, filters)
            print(
                f"{len(texts)} {words}-word queries, {label}: "
                f"p50 {statistics.median(timings):.1f} ms, p95 {percentile(timings, 0.95):.1f} ms, "
                f"max {max(timings):.1f} ms; hits per query: median "
                f"{statistics.median(totals):.0f}, max {max(totals)}"
            )
    print(load())
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT kind, count(*), avg(length(title) + length(body)) * 3, "
                "avg(pg_column_size(t.*)) FROM zhengshe_search_searchentry t GROUP BY kind"
            )
            for kind, count, text_bytes, row_bytes in cursor.fetchall():
                print(
                    f"{kind}: {count:,} entries, ~{text_bytes:.0f} B of UTF-8 text, {row_bytes:.0f} B per row"
                )
            cursor.execute(
                "SELECT pg_size_pretty(pg_total_relation_size('zhengshe_search_searchentry'))"
            )
            print("index table (with its indexes): {}".format(*cursor.fetchone()))
    print(f"kinds: {Kind.ALL}")


if __name__ == "__main__":
    main()
