"""The behavioural suite, run against every available backend (tests/search/conftest.py):
tenders, organisations and project results (项目成果)."""

import datetime
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from djmoney.money import Money
from wagtail.models import PageViewRestriction

from cms.models import ResultPage
from cms.services import result_page_create_draft
from marketplace.models import BidDocument, Organisation, Region, Tender
from search.types import Kind, SearchQuery, Sort
from tests import factories
from tests.cms.helpers import completed_contract, published_result


def tender(title, **fields):
    return factories.TenderFactory(title=title, **fields)


def search(backend, text="", **options):
    options.setdefault("kinds", (Kind.TENDER,))
    return backend.search(SearchQuery(text=text, **options))


def titles(results):
    return [hit.title for hit in results.hits]


def other_city_county():
    return Region.objects.filter(level=Region.Level.COUNTY).exclude(code__startswith="3205").first()


def test_a_word_finds_the_compound_it_is_part_of(backend, rebuild):
    """养老 finds 居家养老服务项目: the index holds the words inside compounds too."""
    tender("居家养老服务项目")
    rebuild()
    assert titles(search(backend, "养老")) == ["居家养老服务项目"]


def test_another_field_of_service_does_not_match(backend, rebuild):
    """助残 finds the disability tender and none of the elderly-care ones."""
    tender("居家养老服务项目")
    tender("社区助残服务项目", category=factories.category("0201"))
    rebuild()
    assert titles(search(backend, "助残")) == ["社区助残服务项目"]


def test_two_words_must_both_match(backend, rebuild):
    tender("居家养老助餐服务", description="为老人提供助餐服务。")
    tender("居家养老助浴服务", description="为老人提供助浴服务。")
    rebuild()
    assert titles(search(backend, "养老 助浴")) == ["居家养老助浴服务"]
    assert sorted(titles(search(backend, "居家 养老"))) == ["居家养老助浴服务", "居家养老助餐服务"]
    assert search(backend, "养老 禁毒").total == 0


def test_facet_counts(backend, rebuild):
    tender("居家养老项目一", method=Tender.Method.OPEN)
    tender("居家养老项目二", method=Tender.Method.INQUIRY)
    tender("助残项目", category=factories.category("0201"), method=Tender.Method.OPEN)
    factories.OrganisationFactory(
        name="阳光社工服务中心",
        categories=[factories.category("0101"), factories.category("0201")],
    )
    rebuild()
    results = backend.search(SearchQuery(text="项目"))
    counts = {(f, c.value): c.count for f, values in results.facets.items() for c in values}
    assert results.total == 3
    assert counts[("category", "01")] == 2
    assert counts[("category", "0101")] == 2
    assert counts[("category", "02")] == 1
    assert counts[("method", "open")] == 2
    assert counts[("method", "inquiry")] == 1
    assert counts[("kind", "tender")] == 3
    labels = {c.value: c.label for c in results.facets["category"]}
    assert labels["01"] == "养老服务"
    # An organisation counts under each of its categories.
    organisations = backend.search(SearchQuery(kinds=(Kind.ORGANISATION,)))
    org_counts = {c.value: c.count for c in organisations.facets["category"]}
    assert org_counts["0101"] == org_counts["0201"] == 1


def test_filters_match_codes_and_everything_inside_them(backend, rebuild):
    tender("苏州居家养老", region=factories.county("320508"))
    tender("外市居家养老", region=other_city_county())
    tender("苏州助残项目", category=factories.category("0201"))
    rebuild()
    city = Region.objects.get(code="320508").parent.code
    assert sorted(titles(search(backend, filters={"region": city}))) == [
        "苏州助残项目",
        "苏州居家养老",
    ]
    assert sorted(titles(search(backend, filters={"category": "01"}))) == [
        "外市居家养老",
        "苏州居家养老",
    ]
    assert titles(search(backend, "养老", filters={"category": "01", "region": city})) == [
        "苏州居家养老"
    ]


def test_budget_range_and_open_filter(backend, rebuild):
    tender("小项目", budget=Money("50000.00", "CNY"))
    tender("大项目", budget=Money("900000.00", "CNY"))
    tender(
        "已截止项目",
        bid_deadline=timezone.now() - datetime.timedelta(days=1),
        clarification_deadline=timezone.now() - datetime.timedelta(days=3),
        opening_at=timezone.now() - datetime.timedelta(hours=20),
        status=Tender.Status.CLOSED,
    )
    rebuild()
    assert titles(search(backend, budget_min=Decimal("100000"), budget_max=Decimal("1000000"))) == [
        "大项目",
        "已截止项目",
    ] or sorted(titles(search(backend, budget_min=Decimal("100000")))) == ["大项目", "已截止项目"]
    assert titles(search(backend, budget_max=Decimal("60000"))) == ["小项目"]
    assert "已截止项目" not in titles(search(backend, filters={"status": "open"}))


def test_sorting(backend, rebuild):
    now = timezone.now()
    late = tender(
        "居家养老后截止",
        bid_deadline=now + datetime.timedelta(days=40),
        budget=Money("100000.00", "CNY"),
    )
    soon = tender(
        "居家养老先截止",
        bid_deadline=now + datetime.timedelta(days=22),
        budget=Money("900000.00", "CNY"),
    )
    late.published_at = now - datetime.timedelta(days=1)
    late.save()
    rebuild()
    assert titles(search(backend, "养老", sort=Sort.DEADLINE)) == [soon.title, late.title]
    assert titles(search(backend, "养老", sort=Sort.BUDGET)) == [soon.title, late.title]
    assert titles(search(backend, "养老", sort=Sort.NEWEST)) == [late.title, soon.title]


def test_title_matches_rank_first(backend, rebuild):
    tender("社区综合服务", description="包括居家养老的若干服务。")
    tender("居家养老上门服务", description="上门服务。")
    rebuild()
    assert titles(search(backend, "养老"))[0] == "居家养老上门服务"


def test_highlighting_marks_matches_and_escapes_the_rest(backend, rebuild):
    tender("<b>居家养老</b>服务", description="为老人提供养老 & 助餐服务。")
    rebuild()
    (hit,) = search(backend, "养老").hits
    assert hit.title_highlight == "&lt;b&gt;居家<mark>养老</mark>&lt;/b&gt;服务"
    assert "<mark>养老</mark> &amp; 助餐" in hit.snippet
    assert hit.url == f"/tenders/{hit.id}/"
    assert hit.fields["category"] == "居家养老上门服务"


def test_pagination(backend, rebuild):
    for n in range(5):
        tender(f"居家养老项目{n}")
    rebuild()
    results = search(backend, "养老", page=2, page_size=2, sort=Sort.NEWEST)
    assert results.total == 5
    assert results.num_pages == 3
    assert len(results.hits) == 2


def test_sealed_bid_content_is_never_found(backend, rebuild):
    """A word that only a bid holds (its plan, its document's title) is not searchable."""
    bid = factories.BidFactory(service_plan="采用蓝鲸秘方开展服务。", team="蓝鲸团队")
    BidDocument.objects.create(
        bid=bid, title="蓝鲸秘方技术方案", file="bids/x.pdf", size=1, sha256="0" * 64
    )
    rebuild()
    for text in ("蓝鲸", "蓝鲸秘方", "秘方"):
        assert backend.search(SearchQuery(text=text)).total == 0
    assert search(backend, "养老").total == 1


def test_drafts_cancelled_and_failed_tenders_are_absent(backend, rebuild):
    tender("居家养老草稿", status=Tender.Status.DRAFT)
    tender("居家养老取消", status=Tender.Status.CANCELLED)
    tender("居家养老流标", status=Tender.Status.FAILED)
    tender("居家养老公开")
    rebuild()
    assert titles(search(backend, "养老")) == ["居家养老公开"]


def test_deletions_remove_entries(backend, rebuild):
    cancelled = tender("居家养老将取消")
    organisation = factories.OrganisationFactory(name="养老服务中心")
    rebuild()
    assert backend.search(SearchQuery(text="养老")).total == 2
    Tender.objects.filter(pk=cancelled.pk).update(status=Tender.Status.CANCELLED)
    Organisation.objects.filter(pk=organisation.pk).update(status=Organisation.Status.SUSPENDED)
    assert backend.index(Kind.TENDER, [cancelled.pk]) == []
    assert backend.index(Kind.ORGANISATION, [organisation.pk]) == []
    assert backend.search(SearchQuery(text="养老")).total == 0


def test_only_verified_organisations(backend, rebuild):
    factories.OrganisationFactory(name="养老待审中心", status=Organisation.Status.PENDING)
    factories.OrganisationFactory(
        name="养老认证中心", rating_level=4, rating_evaluated_on=datetime.date.today()
    )
    rebuild()
    results = backend.search(SearchQuery(text="养老", kinds=(Kind.ORGANISATION,)))
    assert titles(results) == ["养老认证中心"]
    assert results.hits[0].fields["rating_label"] == "4A"
    assert [c.value for c in results.facets["rating_level"]] == ["4"]


def test_suggest_offers_titles_by_a_word_inside(backend, rebuild):
    tender("姑苏区居家养老服务项目")
    tender("社区助残服务项目", category=factories.category("0201"))
    rebuild()
    assert backend.suggest("养老") == ["姑苏区居家养老服务项目"]
    assert backend.suggest("") == []


def test_search_by_ids_matches_one_tender(backend, rebuild):
    first = tender("居家养老一")
    tender("居家养老二")
    rebuild()
    assert titles(search(backend, "养老", ids=(first.pk,))) == ["居家养老一"]


def test_query_count_does_not_grow_with_the_page(backend, rebuild):
    if backend.name != "database":
        return
    for n in range(6):
        tender(f"居家养老项目{n}")
    rebuild()
    counts = []
    for size in (2, 6):
        with CaptureQueriesContext(connection) as queries:
            search(backend, "养老", page_size=size)
        counts.append(len(queries))
    assert counts[0] == counts[1]


# Project results (项目成果) ------------------------------------------------------------------

STORY = [{"type": "paragraph", "value": "<p>为200位老人提供助餐服务，&nbsp;每日送餐上门。</p>"}]


def result(contract=None, **fields):
    """A published result page (tests/cms/helpers.py) with a story about 助餐 by default."""
    fields.setdefault("story", STORY)
    return published_result(contract, **fields)


def results_only(backend, text="", **options):
    return search(backend, text, kinds=(Kind.RESULT,), **options)


def test_a_published_result_is_found_by_a_word_of_its_story(backend, rebuild):
    """助餐 finds the result whose story tells of it, with the contract's facts to show."""
    page = result()
    contract = page.contract
    rebuild()
    (hit,) = results_only(backend, "助餐").hits
    assert (hit.kind, hit.id, hit.title, hit.url) == (Kind.RESULT, page.pk, page.title, page.url)
    assert "<mark>助餐</mark>" in hit.snippet
    assert "&amp;nbsp;" not in hit.snippet and "<p>" not in hit.snippet
    assert hit.fields["buyer"] == contract.buyer.name
    assert hit.fields["organisation"] == contract.organisation.name
    assert hit.fields["amount"] == contract.amount.amount
    assert hit.fields["year"] == contract.ends_on.year
    assert hit.fields["category"] == contract.tender.category.name
    # The parties' names are searchable too.
    assert titles(results_only(backend, contract.organisation.name)) == [page.title]


def test_draft_and_private_results_are_absent(backend, rebuild):
    """Only live, public pages: a draft (even with a story) and a page behind a view
    restriction are not indexed."""
    published = result()
    draft = result_page_create_draft(contract=completed_contract())
    draft.story = STORY
    draft.save_revision()
    private = result()
    PageViewRestriction.objects.create(page=private, restriction_type=PageViewRestriction.LOGIN)
    rebuild()
    assert [hit.id for hit in results_only(backend, "助餐").hits] == [published.pk]


def test_unpublishing_or_deleting_a_result_removes_it(backend, rebuild):
    unpublished, deleted = result(), result()
    rebuild()
    assert results_only(backend, "助餐").total == 2
    unpublished.unpublish()
    deleted_id = deleted.pk
    deleted.delete()
    assert backend.index(Kind.RESULT, [unpublished.pk, deleted_id]) == []
    assert results_only(backend, "助餐").total == 0


def test_kind_facet_counts_results(backend, rebuild):
    """The results join the kind counts (labelled 项目成果) and the total."""
    result()
    result()
    tender("居家养老助餐服务")
    rebuild()
    results = backend.search(SearchQuery(text="助餐"))
    kinds = {c.value: (c.label, c.count) for c in results.facets["kind"]}
    # Each result's contract has a tender whose notice also mentions 助餐.
    assert kinds[Kind.RESULT] == ("项目成果", 2)
    assert kinds[Kind.TENDER][1] == 3
    assert results.total == 5


def test_category_and_region_filters_apply_to_results(backend, rebuild):
    """A result is filtered by its contract's tender: category and district codes and
    everything inside them."""
    elderly = result()
    youth = result(
        completed_contract(
            award__bid__tender__category=factories.category("0303"),
            award__bid__tender__region=other_city_county(),
        )
    )
    rebuild()
    city = Region.objects.get(code="320508").parent.code
    assert titles(results_only(backend, filters={"category": "03"})) == [youth.title]
    assert titles(results_only(backend, filters={"category": "0101"})) == [elderly.title]
    assert titles(results_only(backend, "助餐", filters={"region": city})) == [elderly.title]
    counts = {c.value: c.count for c in results_only(backend).facets["category"]}
    assert counts["01"] == counts["03"] == 1


def test_tender_only_sorts_put_results_after_tenders(backend, rebuild):
    """Results have no deadline or budget: sorted by either they follow every tender,
    newest first among themselves."""
    older, newer = result(), result()
    ResultPage.objects.filter(pk=older.pk).update(
        first_published_at=timezone.now() - datetime.timedelta(days=3)
    )
    rebuild()
    tenders = Tender.objects.filter(contracts__isnull=False).count()
    for sort in (Sort.DEADLINE, Sort.BUDGET):
        hits = backend.search(SearchQuery(text="助餐", sort=sort)).hits
        assert [hit.kind for hit in hits] == [Kind.TENDER] * tenders + [Kind.RESULT] * 2
        assert [hit.id for hit in hits[tenders:]] == [newer.pk, older.pk]
    # A budget range is a tender's: no result is in it.
    assert results_only(backend, budget_min=Decimal("1")).total == 0
