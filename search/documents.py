"""Elasticsearch documents (elasticsearch-dsl) for the search backend.

Chinese without plugins: every text comes twice. `<field>_terms` holds the jieba-segmented
words (search.analysis) under a whitespace + lower-case analyser, so the cluster splits
exactly where the database backend does; `<field>` holds the original text under the `cjk`
analyser (CJK bigrams), with a `.cjk` bigram subfield kept when ELASTICSEARCH_ANALYZER picks
`smartcn` or `ik` (those plugins then analyse `<field>`). Facets are keyword fields holding
codes with all their ancestors; budget is a scaled_float of yuan with fen precision.

Index names: `<prefix>-<kind>` is an alias; a rebuild writes `<prefix>-<kind>-<timestamp>`
and swaps the alias in one request, so searches never see a half-built index.
"""

from django.conf import settings
from elasticsearch.dsl import (
    Completion,
    Date,
    Document,
    Index,
    Integer,
    Keyword,
    Long,
    Object,
    ScaledFloat,
    Text,
    analyzer,
)

from search.types import Kind

TERMS = analyzer("zs_terms", tokenizer="whitespace", filter=["lowercase"])
CJK = analyzer("zs_cjk", tokenizer="standard", filter=["cjk_width", "lowercase", "cjk_bigram"])
# ELASTICSEARCH_ANALYZER -> (index analyser, search analyser) of the original-text fields.
PLUGIN_ANALYZERS = {
    "smartcn": ("smartcn", "smartcn"),
    "ik": ("ik_max_word", "ik_smart"),
    "ik_max_word": ("ik_max_word", "ik_smart"),
    "ik_smart": ("ik_smart", "ik_smart"),
}


def text_analyzers() -> tuple[object, object]:
    """(index, search) analysers of the original text: cjk bigrams unless a plugin is set."""
    name = (settings.ELASTICSEARCH_ANALYZER or "cjk").strip()
    return PLUGIN_ANALYZERS.get(name, (CJK, CJK))


def original_text() -> Text:
    index_analyzer, search_analyzer = text_analyzers()
    return Text(
        analyzer=index_analyzer,
        search_analyzer=search_analyzer,
        fields={"cjk": Text(analyzer=CJK)},
    )


def alias_name(kind: str) -> str:
    return f"{settings.ELASTICSEARCH_INDEX_PREFIX}-{kind}"


class SearchDocument(Document):
    """Fields every kind has (the search runs over several kinds' aliases at once)."""

    kind = Keyword()
    # The object's id: the tie-break of every sort (sorting on _id needs fielddata, which
    # Elasticsearch 8 refuses by default).
    object_id = Long()
    title_terms = Text(analyzer=TERMS)
    body_terms = Text(analyzer=TERMS)
    url = Keyword(index=False)
    category = Keyword()
    region = Keyword()
    published_at = Date()
    suggest = Completion(analyzer="simple", preserve_separators=False)
    # What a hit displays (names, labels' codes): stored, not searched.
    fields = Object(enabled=False)


class TenderDocument(SearchDocument):
    """A published tender's notice (never bid content)."""

    method = Keyword()
    status = Keyword()
    budget = ScaledFloat(scaling_factor=100)
    deadline = Date()

    class Index:
        name = "tender"


class OrganisationDocument(SearchDocument):
    """A verified organisation's public profile."""

    rating_level = Keyword()

    class Index:
        name = "organisation"


class ResultDocument(SearchDocument):
    """A published project result (项目成果): its page's text and its contract's facts. It has
    no budget or deadline: the tender-only sorts put results after the tenders."""

    amount = ScaledFloat(scaling_factor=100)
    year = Integer()

    class Index:
        name = "result"


DOCUMENTS = {
    Kind.TENDER: TenderDocument,
    Kind.ORGANISATION: OrganisationDocument,
    Kind.RESULT: ResultDocument,
}


def index_for(kind: str, name: str | None = None) -> Index:
    """The Index (settings, analysers, mapping) of `kind`, named `name` (default: the alias)."""
    index = Index(name or alias_name(kind))
    # One shard holds well over a million of these small documents (bench/README.md
    # "Search"); one replica so a node can fail.
    index.settings(number_of_shards=1, number_of_replicas=1)
    index.document(DOCUMENTS[kind])
    # The original-text fields are added here: their analyser depends on settings, which
    # are not read at import time.
    mapping = index.get_or_create_mapping()
    mapping.field("title", original_text())
    mapping.field("body", original_text())
    return index
