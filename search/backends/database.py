"""The zero-setup search backend: the index is one table of this database (SearchEntry).

PostgreSQL: the jieba-segmented words go into a `tsvector` under a GIN index and are matched
with a `tsquery`. The vector is written as a literal of the words (`tsvector()`), not with
to_tsvector: PostgreSQL's parser would judge CJK characters by the server locale, while jieba
has already done the splitting; as with the 'simple' configuration nothing is stemmed. Facet
values are a `text[]` under a second GIN index: filters are `facets @> …`, and the total and
all facet counts come from one GROUP BY over `unnest(facets)` of the matching entries.

SQLite (development): words are matched whole with LIKE on the space-padded segmented text
(" 居家 养老 服务 "), facets the same way, and the counts are made in Python. FTS5 is compiled
into this Python's sqlite3, but its virtual table lives outside Django's tables: test flushes
and rolled-back test transactions would leave it out of step with search_entry. A scan is
fast enough for a development database.
"""

import functools
import json
import re
from collections import Counter
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import BooleanField, Case, F, FloatField, IntegerField, Q, Value, When
from django.db.models.expressions import RawSQL
from django.utils import timezone

from search import analysis, indexing
from search.backends import base
from search.models import SearchEntry
from search.types import Kind, SearchQuery, SearchResults, Sort

TABLE = SearchEntry._meta.db_table
# The columns an entry is written with (COPY and bulk_create), in the order of entry_rows().
COLUMNS = (
    "kind",
    "object_id",
    "title",
    "body",
    "url",
    "title_terms",
    "terms",
    "vector",
    "budget_currency",
    "budget",
    "deadline",
    "published_at",
    "fields",
    "facets",
)
# What a hit is built from: the page query reads these and nothing else (not the vectors).
HIT_COLUMNS = ("kind", "object_id", "title", "body", "url", "fields")


def _lexeme(term: str, prefix: bool = False) -> str:
    if "'" in term or "\\" in term:
        term = term.replace("\\", "\\\\").replace("'", "''")
    quoted = f"'{term}'"
    return quoted + (":*" if prefix else "")


def tsquery(terms: list[str], *, prefix_last: bool = False) -> str:
    """A tsquery that needs every term; a term also matches as all of its parts (居家养老 →
    居家 & 养老), so text segmented differently around it is still found."""
    clauses = []
    for position, term in enumerate(terms):
        if prefix_last and position == len(terms) - 1:
            clauses.append(_lexeme(term, prefix=True))
            continue
        parts = analysis.term_parts(term)
        whole = _lexeme(term)
        if parts:
            clauses.append(f"({whole} | ({' & '.join(_lexeme(p) for p in parts)}))")
        else:
            clauses.append(whole)
    return " & ".join(clauses)


def tsvector(title_terms: str, terms: str) -> str:
    """The `tsvector` literal of an entry: its words verbatim (jieba has split them; the
    text parser would judge CJK characters by the server locale), title words weighted A."""
    title = dict.fromkeys(title_terms.split())
    # A rebuild builds 100k of these: plain string joins, quoting only words that need it.
    return " ".join(
        [f"{_lexeme(word)}:1A" for word in title]
        + [f"{_lexeme(word)}:1B" for word in dict.fromkeys(terms.split()) if word not in title]
    )


def _padded(words: list[str]) -> str:
    return f" {' '.join(words)} " if words else ""


def _like_term(term: str, field: str = "terms") -> Q:
    parts = analysis.term_parts(term)
    whole = Q(**{f"{field}__contains": f" {term} "})
    if not parts:
        return whole
    every_part = Q()
    for part in parts:
        every_part &= Q(**{f"{field}__contains": f" {part} "})
    return whole | every_part


class DatabaseBackend:
    """Search over search.models.SearchEntry; see the module docstring."""

    name = "database"

    # --- searching

    def search(self, query: SearchQuery) -> SearchResults:
        """At most three statements: the facet counts (whose `kind` counts add up to the
        total), the page when anything matched, and base.facet_counts' labels."""
        terms = analysis.query_terms(query.text)
        entries = self._matching(self._filtered(query), terms)
        rows = self._facet_rows(entries)
        total = sum(count for facet, _value, count in rows if facet == "kind")
        facets = base.facet_counts(rows)
        hits = []
        if total:
            offset = (max(query.page, 1) - 1) * query.page_size
            ranked = bool(terms) and query.sort == Sort.RELEVANCE
            page = entries.annotate(rank=self._rank(terms)) if ranked else entries
            highlight_terms = analysis.highlight_terms(query.text)
            for entry in page.order_by(*self._order(query.sort, ranked)).values(
                *HIT_COLUMNS, *(("rank",) if ranked else ())
            )[offset : offset + query.page_size]:
                hits.append(
                    base.make_hit(
                        kind=entry["kind"],
                        id=entry["object_id"],
                        title=entry["title"],
                        url=entry["url"],
                        body=entry["body"],
                        fields=entry["fields"],
                        score=entry.get("rank", 0),
                        terms=highlight_terms,
                    )
                )
        return SearchResults(
            hits=hits, total=total, facets=facets, page=query.page, page_size=query.page_size
        )

    @staticmethod
    def _facet_rows(entries) -> list[tuple[str, str, int]]:
        """(facet, value, count) of the matching entries, in one grouped statement."""
        if connection.vendor == "postgresql":
            # The ORM's own SQL of the matching entries; every value in it is a parameter.
            sql, params = entries.values("facets").query.sql_with_params()
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT token, count(*) FROM ({sql}) matching, unnest(matching.facets) token "  # noqa: S608
                    "GROUP BY token",
                    params,
                )
                counts = cursor.fetchall()
        else:
            counts = Counter(
                token for tokens in entries.values_list("facets", flat=True) for token in tokens
            ).items()
        return [(*token.split(":", 1), count) for token, count in counts]

    def _filtered(self, query: SearchQuery):
        entries = SearchEntry.objects.filter(kind__in=query.kinds)
        if query.ids is not None:
            entries = entries.filter(object_id__in=query.ids)
        tokens = []
        for facet, value in query.filters.items():
            if not value:
                continue
            if facet == "kind":
                entries = entries.filter(kind=value)
            elif facet == "status" and value == "open":
                # Open by the clock, whatever the close job has done (as the tender list).
                tokens.append(indexing.facet_token("status", "published"))
                entries = entries.filter(deadline__gt=timezone.now())
            else:
                tokens.append(indexing.facet_token(facet, value))
        if tokens and connection.vendor == "postgresql":
            entries = entries.filter(
                RawSQL("facets @> %s::text[]", (tokens,), output_field=BooleanField())
            )
        for token in tokens if connection.vendor != "postgresql" else ():
            entries = entries.filter(facets__contains=f" {token} ")
        if query.budget_min is not None:
            entries = entries.filter(budget__gte=query.budget_min)
        if query.budget_max is not None:
            entries = entries.filter(budget__lte=query.budget_max)
        if query.deadline_after is not None:
            entries = entries.filter(deadline__gt=query.deadline_after)
        return entries

    @staticmethod
    def _matching(entries, terms, *, prefix_last=False):
        """The entries that match every term."""
        if not terms:
            return entries
        if connection.vendor == "postgresql":
            query = tsquery(terms, prefix_last=prefix_last)
            return entries.filter(
                RawSQL("vector @@ %s::tsquery", (query,), output_field=BooleanField())
            )
        condition = Q()
        for position, term in enumerate(terms):
            if prefix_last and position == len(terms) - 1:
                condition &= Q(terms__contains=f" {term}")
            else:
                condition &= _like_term(term)
        return entries.filter(condition)

    @staticmethod
    def _rank(terms, *, prefix_last=False):
        """How well an entry matches the terms: ts_rank on PostgreSQL, the number of terms
        in the title elsewhere."""
        if connection.vendor == "postgresql":
            query = tsquery(terms, prefix_last=prefix_last)
            return RawSQL("ts_rank(vector, %s::tsquery)", (query,), output_field=FloatField())
        title_hits = [
            When(_like_term(term, "title_terms"), then=Value(1))
            for position, term in enumerate(terms)
            if not (prefix_last and position == len(terms) - 1)
        ]
        rank = sum(
            (Case(when, default=Value(0), output_field=IntegerField()) for when in title_hits),
            Value(0),
        )
        return rank * 1.0 + 0.1

    @staticmethod
    def _order(sort: str, ranked: bool) -> list:
        """The sort, then newest first: what has no deadline or budget (organisations,
        results) comes after the tenders, newest first among itself."""
        newest = [F("published_at").desc(nulls_last=True), "-id"]
        if sort == Sort.DEADLINE:
            return [F("deadline").asc(nulls_last=True), *newest]
        if sort == Sort.BUDGET:
            return [F("budget").desc(nulls_last=True), *newest]
        if sort == Sort.RELEVANCE and ranked:
            return ["-rank", *newest]
        return newest

    def suggest(self, prefix: str, *, kinds=Kind.ALL, limit: int = 8) -> list[str]:
        """Titles with a word starting with what was typed (the last word may be unfinished)."""
        terms = analysis.query_terms(prefix)
        if not terms:
            return []
        entries = self._matching(
            SearchEntry.objects.filter(kind__in=kinds), terms, prefix_last=True
        ).annotate(rank=self._rank(terms, prefix_last=True))
        titles = entries.order_by("-rank", F("published_at").desc(nulls_last=True), "-id")
        return list(dict.fromkeys(titles.values_list("title", flat=True)[: limit * 3]))[:limit]

    # --- indexing

    @transaction.atomic
    def index(self, kind: str, ids: Iterable[int]) -> list[int]:
        """Replace the entries of `ids`; those that no longer belong in the index go."""
        ids = list(ids)
        records = indexing.records(kind, ids)
        SearchEntry.objects.filter(kind=kind, object_id__in=ids).delete()
        self._insert(entry_rows(records))
        return [record.id for record in records]

    @transaction.atomic
    def delete(self, kind: str, ids: Iterable[int]) -> None:
        SearchEntry.objects.filter(kind=kind, object_id__in=list(ids)).delete()

    def rebuild(self, *, kinds=Kind.ALL, progress=None, segmenter=None) -> dict[str, int]:
        """Index `kinds` again in one transaction: readers see the old entries until the new
        ones are committed. `progress(kind, done, total)` is called after each batch;
        `segmenter(records)` returns an object whose get() gives `entry_rows(records)`, so
        it may segment in other processes (the command) while this one writes.

        PostgreSQL: the entries are written with COPY into a fresh table without indexes,
        the indexes are built once at the end and the table is swapped in (the alias swap
        of Elasticsearch, on the database). Keeping the GIN and B-tree indexes up to date
        row by row cost ten times as much as the writing itself."""
        segmenter = segmenter or Segmented
        if connection.vendor == "postgresql":
            return self._rebuild_postgresql(kinds, progress, segmenter)
        counts = {}
        with transaction.atomic():
            for kind in kinds:
                SearchEntry.objects.filter(kind=kind).delete()
                counts[kind] = self._load(kind, progress, segmenter, self._insert)
        return counts

    @staticmethod
    def _load(kind, progress, segmenter, write) -> int:
        """Write every entry of `kind` with `write(rows)`; segmenting the next batch (in the
        command's worker processes) overlaps writing this one."""
        total = indexing.indexable_count(kind)
        done = 0
        if progress:
            progress(kind, 0, total)
        pending = []
        batches = indexing.record_batches(kind)
        while True:
            batch = next(batches, None)
            if batch is not None:
                pending.append((len(batch), segmenter(batch)))
                if len(pending) < 2:
                    continue
            if not pending:
                return done
            size, result = pending.pop(0)
            write(result.get())
            done += size
            if progress:
                progress(kind, done, max(total, done))

    @transaction.atomic
    def _rebuild_postgresql(self, kinds, progress, segmenter) -> dict[str, int]:
        new = f"{TABLE}_new"
        columns = ", ".join(COLUMNS)
        with connection.cursor() as cursor:
            # Index updates (the background task) wait for the swap; readers go on reading.
            cursor.execute(f"LOCK TABLE {TABLE} IN EXCLUSIVE MODE")
            indexes = _indexes(cursor, TABLE)
            cursor.execute(f"DROP TABLE IF EXISTS {new}")
            cursor.execute(
                f"CREATE TABLE {new} (LIKE {TABLE} INCLUDING DEFAULTS INCLUDING IDENTITY)"
            )
            # Table and column names are this module's constants; the kinds are a parameter.
            cursor.execute(
                f"INSERT INTO {new} ({columns}) SELECT {columns} FROM {TABLE} "  # noqa: S608
                "WHERE kind <> ALL(%s)",
                [list(kinds)],
            )

            def write(rows):
                # One COPY per batch: the connection reads the next batch in between.
                with cursor.cursor.copy(f"COPY {new} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)

            counts = {kind: self._load(kind, progress, segmenter, write) for kind in kinds}
            # Building the GIN indexes in memory rather than in temporary files.
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for name, definition, constraint in indexes:
                cursor.execute(_renamed_index(definition, name, new))
                if constraint:
                    kind = "PRIMARY KEY" if constraint == "p" else "UNIQUE"
                    cursor.execute(
                        f"ALTER TABLE {new} ADD CONSTRAINT {name}_new {kind} USING INDEX {name}_new"
                    )
            cursor.execute(f"DROP TABLE {TABLE}")
            cursor.execute(f"ALTER TABLE {new} RENAME TO {TABLE}")
            for name, _definition, constraint in indexes:
                if constraint:
                    cursor.execute(f"ALTER TABLE {TABLE} RENAME CONSTRAINT {name}_new TO {name}")
                else:
                    cursor.execute(f"ALTER INDEX {name}_new RENAME TO {name}")
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [TABLE])
            cursor.execute(f"ALTER SEQUENCE {cursor.fetchone()[0]} RENAME TO {TABLE}_id_seq")
            cursor.execute(f"ANALYZE {TABLE}")
        return counts

    @staticmethod
    def _insert(rows) -> None:
        postgresql = connection.vendor == "postgresql"
        entries = []
        for row in rows:
            values = dict(zip(COLUMNS, row, strict=True))
            values["fields"] = json.loads(values["fields"])
            if not postgresql:
                values["vector"] = None
            entries.append(SearchEntry(**values))
        SearchEntry.objects.bulk_create(entries)


def _indexes(cursor, table) -> list[tuple[str, str, str | None]]:
    """(name, CREATE INDEX statement, constraint type p/u or None) of the table's indexes:
    the fresh table of a rebuild gets the same ones, whatever the migrations made."""
    cursor.execute(
        "SELECT index.relname, pg_get_indexdef(index.oid), con.contype "
        "FROM pg_index i JOIN pg_class index ON index.oid = i.indexrelid "
        "LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid "
        "WHERE i.indrelid = %s::regclass ORDER BY index.relname",
        [table],
    )
    return cursor.fetchall()


_INDEX_HEAD = re.compile(r"^(CREATE (?:UNIQUE )?INDEX )(\S+)( ON (?:ONLY )?)(\S+)")


def _renamed_index(definition: str, name: str, table: str) -> str:
    """The CREATE INDEX statement `definition` (of index `name`) for `name`_new on `table`."""
    return _INDEX_HEAD.sub(lambda m: f"{m[1]}{name}_new{m[3]}{table}", definition, count=1)


# Lines up to this long are names (a tender's buyer, an organisation's categories and
# districts) that recur from record to record: segmenting each once per process saves jieba
# work in a rebuild; longer lines (descriptions) are segmented every time.
NAME_CHARS = 32


@functools.lru_cache(maxsize=20_000)
def _segment_name(line: str) -> tuple[str, ...]:
    return tuple(analysis.segment(line))


def _segment_body(body: str) -> list[str]:
    # jieba treats a line break as a boundary, so segmenting line by line gives the same words.
    words = []
    for line in body.split("\n"):
        words.extend(_segment_name(line) if len(line) <= NAME_CHARS else analysis.segment(line))
    return words


def analysis_pair(record) -> tuple[str, str]:
    """(title words, all words) of a record, space-padded, as SearchEntry stores them."""
    title = analysis.segment(record.title)
    return _padded(title), _padded(title + _segment_body(record.body))


def entry_rows(records) -> list[tuple]:
    """The SearchEntry column values (COLUMNS) of records, `fields` as JSON, ready for
    COPY: the jieba, tsvector and JSON work of indexing, done in the command's worker
    processes during a rebuild."""
    rows = []
    for record in records:
        title_terms, terms = analysis_pair(record)
        rows.append(
            (
                record.kind,
                record.id,
                record.title,
                record.body,
                record.url,
                title_terms,
                terms,
                tsvector(title_terms, terms),
                "CNY",
                record.budget,
                record.deadline,
                record.published_at,
                json.dumps(record.fields, ensure_ascii=False),
                record.facet_tokens(),
            )
        )
    return rows


class Segmented:
    """Records segmented here and now (the default `segmenter` of a rebuild)."""

    def __init__(self, records):
        self.rows = entry_rows(records)

    def get(self):
        return self.rows
