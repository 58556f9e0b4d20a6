"""Unit tests of the generated Elasticsearch mappings, queries and documents (no cluster)."""

from decimal import Decimal

from search import indexing
from search.backends.elasticsearch import build_search, build_suggest, record_document
from search.documents import index_for
from search.types import Kind, SearchQuery, Sort
from tests import factories
from tests.cms.helpers import published_result


def test_tender_mapping_without_plugins(settings):
    settings.ELASTICSEARCH_ANALYZER = "cjk"
    settings.ELASTICSEARCH_INDEX_PREFIX = "zs"
    body = index_for(Kind.TENDER).to_dict()
    properties = body["mappings"]["properties"]
    analysis = body["settings"]["analysis"]["analyzer"]
    assert analysis["zs_terms"] == {
        "type": "custom",
        "tokenizer": "whitespace",
        "filter": ["lowercase"],
    }
    assert analysis["zs_cjk"]["filter"] == ["cjk_width", "lowercase", "cjk_bigram"]
    assert properties["title_terms"] == {"type": "text", "analyzer": "zs_terms"}
    assert properties["title"]["analyzer"] == "zs_cjk"
    assert properties["title"]["fields"]["cjk"] == {"type": "text", "analyzer": "zs_cjk"}
    assert properties["budget"] == {"type": "scaled_float", "scaling_factor": 100}
    for facet in ("category", "region", "method", "status", "kind"):
        assert properties[facet] == {"type": "keyword"}
    assert properties["deadline"] == {"type": "date"}
    assert properties["suggest"]["type"] == "completion"
    assert properties["fields"] == {"type": "object", "enabled": False}


def test_plugin_analysers_when_configured(settings):
    settings.ELASTICSEARCH_ANALYZER = "ik"
    title = index_for(Kind.ORGANISATION).to_dict()["mappings"]["properties"]["title"]
    assert (title["analyzer"], title["search_analyzer"]) == ("ik_max_word", "ik_smart")
    settings.ELASTICSEARCH_ANALYZER = "smartcn"
    properties = index_for(Kind.ORGANISATION).to_dict()["mappings"]["properties"]
    assert properties["body"]["analyzer"] == "smartcn"
    assert properties["rating_level"] == {"type": "keyword"}


def test_query_needs_every_word_and_filters(settings):
    query = SearchQuery(
        text="居家养老 助餐",
        filters={"category": "01", "region": "320500"},
        budget_min=Decimal("100000"),
        sort=Sort.BUDGET,
        page=2,
        page_size=10,
    )
    body = build_search(query, ["zs-tender"]).to_dict()
    must = body["query"]["bool"]["must"][0]["bool"]["must"]
    whole = must[0]["bool"]["should"][0]["multi_match"]
    assert whole == {"query": "居家养老", "fields": ["title_terms^3", "body_terms"]}
    parts = must[0]["bool"]["should"][1]["multi_match"]
    assert parts["operator"] == "and" and "养老" in parts["query"].split()
    assert must[1] == {"multi_match": {"query": "助餐", "fields": ["title_terms^3", "body_terms"]}}
    filters = body["query"]["bool"]["filter"]
    assert {"term": {"category": "01"}} in filters
    assert {"term": {"region": "320500"}} in filters
    assert {"range": {"budget": {"gte": "100000"}}} in filters
    # Kinds without a budget (organisations, results) come last, newest first, and an index
    # that maps no budget field is no error.
    assert body["sort"] == [
        {"budget": {"order": "desc", "missing": "_last", "unmapped_type": "double"}},
        {"published_at": {"order": "desc", "missing": "_last", "unmapped_type": "date"}},
        {"object_id": {"order": "desc", "missing": "_last", "unmapped_type": "long"}},
    ]
    assert (body["from"], body["size"]) == (10, 10)
    assert set(body["aggs"]) == {"kind", "category", "region", "method", "status", "rating_level"}


def test_empty_query_lists_newest_first():
    body = build_search(SearchQuery(), ["zs-tender"]).to_dict()
    assert body["query"]["bool"]["must"] == [{"match_all": {}}]
    assert body["sort"][0] == {
        "published_at": {"order": "desc", "missing": "_last", "unmapped_type": "date"}
    }
    # Ties are broken by the object id: sorting on _id is refused by Elasticsearch 8.
    assert [next(iter(clause)) for clause in body["sort"]] == ["published_at", "object_id"]


def test_suggest_request():
    body = build_suggest("养老", ["zs-tender"], 5).to_dict()
    assert body["suggest"]["titles"] == {
        "prefix": "养老",
        "completion": {"field": "suggest", "size": 5, "skip_duplicates": True},
    }


def test_document_holds_the_notice_only(db):
    bid = factories.BidFactory(service_plan="蓝鲸秘方")
    (record,) = indexing.records(Kind.TENDER, [bid.tender_id])
    document = record_document(record)
    assert "蓝鲸" not in str(document)
    assert "养老" in document["title_terms"].split()
    assert "01" in document["category"] and "0101" in document["category"]
    assert any(text.startswith("养老") for text in document["suggest"]["input"])


def test_result_mapping_has_the_same_analysis_and_its_facts(settings):
    """The result index analyses text as the others do, filters by the same facets, and
    holds the contract's amount (fen precision) and year; no budget or deadline."""
    settings.ELASTICSEARCH_ANALYZER = "cjk"
    settings.ELASTICSEARCH_INDEX_PREFIX = "zs"
    result_index = index_for(Kind.RESULT)
    body = result_index.to_dict()
    properties = body["mappings"]["properties"]
    tender = index_for(Kind.TENDER).to_dict()
    assert result_index._name == "zs-result"
    assert body["settings"]["analysis"] == tender["settings"]["analysis"]
    for name in ("title", "body", "title_terms", "body_terms", "suggest", "fields", "url"):
        assert properties[name] == tender["mappings"]["properties"][name]
    for facet in ("kind", "category", "region"):
        assert properties[facet] == {"type": "keyword"}
    assert properties["amount"] == {"type": "scaled_float", "scaling_factor": 100}
    assert properties["year"] == {"type": "integer"}
    assert properties["object_id"] == {"type": "long"}
    assert "budget" not in properties and "deadline" not in properties


def test_result_document(db):
    page = published_result(
        story=[{"type": "paragraph", "value": "<p>为200位老人提供助餐服务</p>"}]
    )
    contract = page.contract
    (record,) = indexing.records(Kind.RESULT, [page.pk])
    document = record_document(record)
    assert (document["kind"], document["object_id"], document["url"]) == (
        Kind.RESULT,
        page.pk,
        page.url,
    )
    assert "助餐" in document["body_terms"].split()
    assert "<p>" not in document["body"]
    assert contract.organisation.name in document["body"]
    assert document["amount"] == str(contract.amount.amount)
    assert document["year"] == contract.ends_on.year
    assert "0101" in document["category"] and "320508" in document["region"]
    assert "budget" not in document and "deadline" not in document
