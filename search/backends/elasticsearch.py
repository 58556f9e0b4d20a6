"""The Elasticsearch backend: one index per kind behind an alias (search.documents).

Queries are built by pure functions (`build_search`, `build_suggest`) that the unit tests
assert on through `Search.to_dict()`; `ElasticsearchBackend` only sends them and turns the
responses into the same result objects as the database backend. Snippets are highlighted by
search.backends.base from the stored original text, as on the database, so both backends
mark the same words.
"""

import datetime
from collections.abc import Iterable

from django.utils import timezone
from elasticsearch import Elasticsearch, NotFoundError
from elasticsearch.dsl import Q, Search
from elasticsearch.helpers import bulk

from search import analysis, indexing
from search.backends import base
from search.documents import alias_name, index_for
from search.types import FACETS, Kind, SearchQuery, SearchResults, Sort

FACET_SIZE = 50
SUGGEST_INPUTS = 12


def _filters(query: SearchQuery) -> list:
    clauses = []
    if query.ids is not None:
        clauses.append(
            Q("ids", values=[f"{kind}-{pk}" for kind in query.kinds for pk in query.ids])
        )
    for facet, value in sorted(query.filters.items()):
        if not value:
            continue
        if facet == "status" and value == "open":
            clauses.append(Q("term", status="published"))
            clauses.append(Q("range", deadline={"gt": timezone.now().isoformat()}))
        else:
            clauses.append(Q("term", **{facet: value}))
    budget = {}
    if query.budget_min is not None:
        budget["gte"] = str(query.budget_min)
    if query.budget_max is not None:
        budget["lte"] = str(query.budget_max)
    if budget:
        clauses.append(Q("range", budget=budget))
    if query.deadline_after is not None:
        clauses.append(Q("range", deadline={"gt": query.deadline_after.isoformat()}))
    return clauses


def text_query(text: str):
    """Every query word must occur (title or body, jieba words, a word may match as its
    parts); the original-text fields (cjk bigrams or the plugin) add to the score only."""
    must = []
    for term in analysis.query_terms(text):
        whole = Q("multi_match", query=term, fields=["title_terms^3", "body_terms"])
        parts = analysis.term_parts(term)
        if parts:
            as_parts = Q(
                "multi_match",
                query=" ".join(parts),
                fields=["title_terms^3", "body_terms"],
                type="cross_fields",
                operator="and",
            )
            must.append(Q("bool", should=[whole, as_parts], minimum_should_match=1))
        else:
            must.append(whole)
    if not must:
        return None
    boost = Q("multi_match", query=text, fields=["title^2", "body"], type="phrase")
    return Q("bool", must=must, should=[boost])


def _sort_field(name: str, order: str, unmapped_type: str) -> dict:
    """A sort on `name`: documents without it last, and no error from an index whose
    mapping lacks it (deadline and budget exist in the tender index only)."""
    return {name: {"order": order, "missing": "_last", "unmapped_type": unmapped_type}}


def build_search(query: SearchQuery, indices: list[str]) -> Search:
    """The Elasticsearch request for `query` over `indices` (the kinds' aliases)."""
    search = Search(index=indices)
    matching = text_query(query.text)
    search = search.query(
        Q("bool", must=[matching] if matching else [Q("match_all")], filter=_filters(query))
    )
    for facet in FACETS:
        search.aggs.bucket(facet, "terms", field=facet, size=FACET_SIZE)
    newest = _sort_field("published_at", "desc", "date")
    tie_break = _sort_field("object_id", "desc", "long")
    if query.sort == Sort.DEADLINE:
        search = search.sort(_sort_field("deadline", "asc", "date"), newest, tie_break)
    elif query.sort == Sort.BUDGET:
        search = search.sort(_sort_field("budget", "desc", "double"), newest, tie_break)
    elif query.sort == Sort.NEWEST or matching is None:
        search = search.sort(newest, tie_break)
    else:
        search = search.sort("_score", newest, tie_break)
    start = (max(query.page, 1) - 1) * query.page_size
    search = search.extra(track_total_hits=True)
    return search[start : start + query.page_size]


def build_suggest(prefix: str, indices: list[str], limit: int) -> Search:
    """A completion-suggester request: titles with a word that starts with `prefix`."""
    return (
        Search(index=indices)
        .suggest(
            "titles",
            prefix.strip().lower(),
            completion={"field": "suggest", "size": limit, "skip_duplicates": True},
        )
        .extra(size=0)
    )


def suggest_inputs(title: str) -> list[str]:
    """The completion inputs of a title: the title from each of its jieba words on, so that
    typing 养老 offers 姑苏区居家养老服务项目."""
    starts = sorted(
        {start for _word, start, _end in analysis.tokenizer().tokenize(title, mode="search")}
    )
    inputs = [title[start:].lower() for start in starts if title[start:].strip()]
    return list(dict.fromkeys(inputs))[:SUGGEST_INPUTS]


def record_document(record) -> dict:
    """The document body of an index record."""
    doc = {
        "kind": record.kind,
        "object_id": record.id,
        "title": record.title,
        "body": record.body,
        "title_terms": analysis.segment_text(record.title),
        "body_terms": analysis.segment_text(record.body),
        "url": record.url,
        "category": list(record.categories),
        "region": list(record.regions),
        "published_at": record.published_at.isoformat() if record.published_at else None,
        "suggest": {"input": suggest_inputs(record.title)},
        "fields": record.fields,
    }
    if record.kind == Kind.TENDER:
        doc.update(
            method=record.method,
            status=record.status,
            budget=str(record.budget),
            deadline=record.deadline.isoformat(),
        )
    elif record.kind == Kind.ORGANISATION:
        doc["rating_level"] = record.rating_level or None
    elif record.kind == Kind.RESULT:
        doc.update(amount=record.fields["amount"], year=record.fields["year"])
    return doc


def _doc_id(kind: str, pk: int) -> str:
    return f"{kind}-{pk}"


class ElasticsearchBackend:
    """Search over Elasticsearch; see the module docstring."""

    name = "elasticsearch"

    def __init__(self, url: str, client: Elasticsearch | None = None):
        self.client = client or Elasticsearch(url)

    def search(self, query: SearchQuery) -> SearchResults:
        indices = [alias_name(kind) for kind in query.kinds]
        response = (
            build_search(query, indices)
            .using(self.client)
            .params(ignore_unavailable=True)
            .execute()
        )
        terms = analysis.highlight_terms(query.text)
        hits = [
            base.make_hit(
                kind=hit.kind,
                id=hit.meta.id.rsplit("-", 1)[1],
                title=hit.title,
                url=hit.url,
                body=hit.body,
                fields=hit.fields.to_dict(),
                score=hit.meta.score,
                terms=terms,
            )
            for hit in response
        ]
        rows = [
            (facet, str(bucket.key), bucket.doc_count)
            for facet in FACETS
            if facet in response.aggregations
            for bucket in response.aggregations[facet].buckets
        ]
        return SearchResults(
            hits=hits,
            total=response.hits.total.value,
            facets=base.facet_counts(rows),
            page=query.page,
            page_size=query.page_size,
        )

    def suggest(self, prefix: str, *, kinds=Kind.ALL, limit: int = 8) -> list[str]:
        if not prefix.strip():
            return []
        indices = [alias_name(kind) for kind in kinds]
        response = build_suggest(prefix, indices, limit).using(self.client).execute()
        options = response.suggest.titles[0].options if response.suggest.titles else []
        return list(dict.fromkeys(option._source.title for option in options))[:limit]

    def index(self, kind: str, ids: Iterable[int]) -> list[int]:
        ids = list(ids)
        records = indexing.records(kind, ids)
        present = {record.id for record in records}
        actions = [self._action(alias_name(kind), record) for record in records]
        actions += [
            {"_op_type": "delete", "_index": alias_name(kind), "_id": _doc_id(kind, pk)}
            for pk in ids
            if pk not in present
        ]
        bulk(self.client, actions, raise_on_error=False, refresh="wait_for")
        return [record.id for record in records]

    def delete(self, kind: str, ids: Iterable[int]) -> None:
        actions = [
            {"_op_type": "delete", "_index": alias_name(kind), "_id": _doc_id(kind, pk)}
            for pk in ids
        ]
        bulk(self.client, actions, raise_on_error=False, refresh="wait_for")

    @staticmethod
    def _action(index: str, record) -> dict:
        return {
            "_index": index,
            "_id": _doc_id(record.kind, record.id),
            "_source": record_document(record),
        }

    def rebuild(self, *, kinds=Kind.ALL, progress=None, **_options) -> dict[str, int]:
        """Write each kind into a new timestamped index, then point the alias at it and drop
        the old one in one aliases request: searches switch over at once (no downtime)."""
        counts = {}
        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%d%H%M%S%f")
        for kind in kinds:
            alias = alias_name(kind)
            new_name = f"{alias}-{stamp}"
            index_for(kind, new_name).create(using=self.client)
            total, done = indexing.indexable_count(kind), 0
            if progress:
                progress(kind, 0, total)
            for batch in indexing.record_batches(kind):
                bulk(self.client, [self._action(new_name, record) for record in batch])
                done += len(batch)
                if progress:
                    progress(kind, done, max(total, done))
            self.client.indices.refresh(index=new_name)
            self._swap_alias(alias, new_name)
            counts[kind] = done
        return counts

    def _swap_alias(self, alias: str, new_name: str) -> None:
        try:
            old = list(self.client.indices.get_alias(name=alias))
        except NotFoundError:
            old = []
        actions = [{"remove": {"index": name, "alias": alias}} for name in old]
        actions.append({"add": {"index": new_name, "alias": alias}})
        self.client.indices.update_aliases(actions=actions)
        for name in old:
            self.client.indices.delete(index=name)
