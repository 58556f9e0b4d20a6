"""Project results (项目成果) in the API: only live result pages outside private sections,
filtered like /results/, paginated with constant queries; the detail reads the contract's
facts live and publishes evaluations only as a summary of the visible ones."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from wagtail.models import PageViewRestriction

from cms.services import result_page_create_draft
from marketplace.models import Rating, RatingRound, RatingSummary
from marketplace.models.ratings import ORGANISATION_DIMENSIONS, OVERALL
from marketplace.services.ratings import rating_summaries_recompute
from tests import factories
from tests.cms.helpers import completed_contract, published_result
from tests.marketplace.api.conftest import ApiClient, make_token

pytestmark = pytest.mark.django_db


def _revealed_rating(contract, *, milestone=None, side="buyer", scores=None, comment=""):
    """A revealed evaluation in the contract's completion round, or in `milestone`'s round."""
    rating_round = factories.RatingRoundFactory(
        contract=contract,
        milestone=milestone,
        kind=RatingRound.Kind.MILESTONE if milestone else RatingRound.Kind.COMPLETION,
        status=RatingRound.Status.REVEALED,
        revealed_at=timezone.now(),
    )
    rating = factories.RatingFactory(round=rating_round, side=side, scores=scores)
    if comment:
        rating.scores.update(comment=comment)
    return rating


def _ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


# Who sees what --------------------------------------------------------------------------


def test_only_live_public_results_are_listed_and_readable(anon):
    live = published_result()
    draft = result_page_create_draft(contract=completed_contract())
    private = published_result()
    PageViewRestriction.objects.create(page=private, restriction_type=PageViewRestriction.LOGIN)
    unpublished = published_result()
    unpublished.unpublish()

    assert _ids(anon.get("/results/")) == [live.pk]
    assert anon.get(f"/results/{live.pk}/").status_code == 200
    for hidden in (draft, private, unpublished):
        response = anon.get(f"/results/{hidden.pk}/")
        assert response.status_code == 404, hidden
        assert response.json()["error"]["code"] == "not_found"
    assert anon.get("/results/999999/").status_code == 404


def test_a_result_under_a_private_section_is_hidden_too(anon):
    page = published_result()
    PageViewRestriction.objects.create(
        page=page.get_parent(), restriction_type=PageViewRestriction.PASSWORD, password="x"
    )
    assert _ids(anon.get("/results/")) == []
    assert anon.get(f"/results/{page.pk}/").status_code == 404


def test_a_token_sees_no_more_than_the_public():
    page = result_page_create_draft(contract=completed_contract())
    _token, raw = make_token(page.contract.organisation)
    assert ApiClient(raw).get(f"/results/{page.pk}/").status_code == 404
    assert _ids(ApiClient(raw).get("/results/")) == []


# The list -------------------------------------------------------------------------------


def test_results_filter_by_category_district_and_year(anon):
    this_year = timezone.localdate().year
    elderly = published_result(
        completed_contract(
            starts_on=datetime.date(this_year - 1, 3, 1), ends_on=datetime.date(this_year, 2, 28)
        )
    )
    youth = published_result(
        completed_contract(
            award__bid__tender__category=factories.category("02"),
            award__bid__tender__region=factories.county("320506"),
            starts_on=datetime.date(this_year - 2, 3, 1),
            ends_on=datetime.date(this_year - 1, 2, 28),
        )
    )
    youth_tender = youth.contract.tender

    assert set(_ids(anon.get("/results/"))) == {elderly.pk, youth.pk}
    assert _ids(anon.get("/results/", category=youth_tender.category.code)) == [youth.pk]
    assert _ids(anon.get("/results/", district=youth_tender.region.code)) == [youth.pk]
    # A district includes what lies inside it: the city of the county.
    city = youth_tender.region.code[:4] + "00"
    assert youth.pk in _ids(anon.get("/results/", district=city))
    assert _ids(anon.get("/results/", year=this_year)) == [elderly.pk]
    assert _ids(anon.get("/results/", year=this_year - 1)) == [youth.pk]
    assert _ids(anon.get("/results/", year=this_year - 5)) == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"category": "zz"}, "category"),
        ({"district": "999999"}, "district"),
        ({"year": "x"}, "year"),
    ],
)
def test_bad_result_filters_are_422_naming_the_parameter(anon, params, field):
    response = anon.get("/results/", **params)
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == [field]


def test_results_paginate_newest_publication_first(anon):
    pages = [published_result() for _i in range(3)]
    first = anon.get("/results/", page_size=2).json()
    assert first["count"] == 3 and first["page_size"] == 2
    assert [row["id"] for row in first["results"]] == [pages[2].pk, pages[1].pk]
    assert "page=2" in first["next"] and first["previous"] is None
    second = anon.get("/results/", page=2, page_size=2).json()
    assert [row["id"] for row in second["results"]] == [pages[0].pk]
    assert second["next"] is None and "page=1" in second["previous"]
    assert anon.get("/results/", page=9).json()["results"] == []


def test_a_result_row_has_the_contract_facts_and_the_page_url(anon):
    page = published_result()
    contract = page.contract
    row = anon.get("/results/").json()["results"][0]
    assert row["title"] == page.title and row["summary"] == page.summary
    assert row["contract"] == {
        "id": contract.pk,
        "reference": contract.reference,
        "url": "http://testserver" + reverse("contract_public", args=[contract.pk]),
    }
    assert row["buyer"]["id"] == contract.buyer_id
    assert row["organisation"]["id"] == contract.organisation_id
    assert row["amount"] == {"amount": "280000.00", "currency": "CNY"}
    assert row["starts_on"] == contract.starts_on.isoformat()
    assert row["ends_on"] == contract.ends_on.isoformat()
    assert row["category"]["code"] == contract.tender.category.code
    assert row["district"]["code"] == contract.tender.region.code
    assert row["url"] == f"http://testserver{page.url}"
    assert Client().get(page.url).status_code == 200  # the link is the public page


# The detail -----------------------------------------------------------------------------


def test_result_detail_reads_indicators_and_beneficiaries_live(anon):
    story = [
        {"type": "heading", "value": "一年的陪伴"},
        {"type": "paragraph", "value": "<p>第一段 &amp; 说明</p><p>第二段</p>"},
        {"type": "quote", "value": "谢谢你们。"},
    ]
    page = published_result(story=story)
    body = anon.get(f"/results/{page.pk}/").json()
    assert body["beneficiaries"] == 300
    assert body["indicators"] == [
        {"name": "服务老人人数", "unit": "人", "target": "200", "achieved": "210", "met": True}
    ]
    assert body["story"] == "一年的陪伴\n\n第一段 & 说明\n第二段\n\n谢谢你们。"
    assert body["resident_feedback"] == {"count": 0, "mean": None}
    assert body["ratings"] == []


def test_result_detail_summarises_only_visible_evaluations_without_comments(anon):
    page = published_result()
    contract = page.contract
    scores = dict.fromkeys(ORGANISATION_DIMENSIONS, 4) | {ORGANISATION_DIMENSIONS[0]: 2}
    _revealed_rating(contract, scores=scores, comment="上门服务多次迟到。")
    first, second = contract.milestones.order_by("position")[:2]
    excluded = _revealed_rating(
        contract, milestone=first, scores=dict.fromkeys(ORGANISATION_DIMENSIONS, 1)
    )
    Rating.objects.filter(pk=excluded.pk).update(excluded_at=timezone.now())
    # The buyer's evaluation by the organisation, still sealed: not in the summary.
    sealed_round = factories.RatingRoundFactory(
        contract=contract, milestone=second, kind=RatingRound.Kind.MILESTONE
    )
    factories.RatingFactory(round=sealed_round, side="organisation")
    factories.ResidentFeedbackFactory(contract=contract, score=4)
    factories.ResidentFeedbackFactory(contract=contract, score=5)

    response = anon.get(f"/results/{page.pk}/")
    body = response.json()
    assert body["ratings"] == [
        {
            "side": "buyer",
            "side_label": "购买主体评价承接主体",
            "count": 1,
            "excluded_count": 1,
            "score": "3.60",  # (2 + 4 × 4) / 5
        }
    ]
    assert body["resident_feedback"] == {"count": 2, "mean": "4.5"}
    assert "上门服务多次迟到" not in response.content.decode()


def test_result_detail_labels_follow_the_request_language():
    page = published_result()
    _revealed_rating(page.contract)
    body = ApiClient(language="en").get(f"/results/{page.pk}/").json()
    with translation.override("en"):
        expected = str(Rating.Side.BUYER.label)
    assert body["ratings"][0]["side_label"] == expected != "购买主体评价承接主体"


# Query counts ---------------------------------------------------------------------------

# List: view restrictions, count, the page of rows with contract, tender and parties, the
# request's Site (for the pages' URLs, once per request).
RESULT_LIST_QUERIES = 4
# Detail: view restrictions, the page with its contract; milestones and their accepted
# reports; visible evaluations and their scores; residents' feedback; the request's Site.
RESULT_DETAIL_QUERIES = 8


def test_result_list_queries_are_constant(anon, django_assert_num_queries):
    published_result()
    anon.get("/results/")  # the site's root paths are cached after the first request
    with django_assert_num_queries(RESULT_LIST_QUERIES):
        assert len(_ids(anon.get("/results/"))) == 1
    for _i in range(4):
        published_result()
    with django_assert_num_queries(RESULT_LIST_QUERIES):
        assert len(_ids(anon.get("/results/"))) == 5
    category = factories.category("01")
    with django_assert_num_queries(RESULT_LIST_QUERIES + 1):  # the category by its code
        assert len(_ids(anon.get("/results/", category=category.code))) == 5


def test_result_detail_queries_are_constant(anon, django_assert_num_queries):
    page = published_result()
    _revealed_rating(page.contract)
    anon.get(f"/results/{page.pk}/")
    with django_assert_num_queries(RESULT_DETAIL_QUERIES):
        assert anon.get(f"/results/{page.pk}/").status_code == 200
    for milestone in page.contract.milestones.all():
        _revealed_rating(page.contract, milestone=milestone)
        factories.ResidentFeedbackFactory(contract=page.contract)
    with django_assert_num_queries(RESULT_DETAIL_QUERIES):
        assert len(anon.get(f"/results/{page.pk}/").json()["ratings"]) == 1


# Organisations carry their overall rating -----------------------------------------------


def test_organisation_list_and_detail_carry_the_overall_rating(anon, django_assert_num_queries):
    rated = factories.OrganisationFactory(name="甲社工中心")
    unrated = factories.OrganisationFactory(name="乙社工中心")
    contract = factories.ContractFactory(
        status="completed", award__bid__organisation=rated, award__bid__tender__title="评估项目"
    )
    _revealed_rating(contract)
    rating_summaries_recompute(organisation_ids=[rated.pk])
    summary = RatingSummary.objects.get(organisation=rated, dimension=OVERALL)
    expected = {"score": f"{summary.score:.2f}", "count": 1}
    assert summary.score > Decimal(0)

    rows = {row["id"]: row for row in anon.get("/organisations/").json()["results"]}
    assert rows[rated.pk]["rating"] == expected
    assert rows[unrated.pk]["rating"] == {"score": None, "count": 0}
    assert anon.get(f"/organisations/{rated.pk}/").json()["rating"] == expected

    with django_assert_num_queries(4):  # count, rows, districts, categories
        anon.get("/organisations/")
    for _i in range(4):
        organisation = factories.OrganisationFactory()
        RatingSummary.objects.create(
            organisation=organisation, dimension=OVERALL, count=2, total=8, score=Decimal("3.9")
        )
    with django_assert_num_queries(4):
        rows = anon.get("/organisations/").json()["results"]
    assert len(rows) == 6 and sum(row["rating"]["count"] for row in rows) == 9


# The OpenAPI document -------------------------------------------------------------------


def test_openapi_document_describes_the_result_endpoints():
    document = Client().get("/api/v1/openapi.json").json()
    assert "项目成果" in document["info"]["description"]
    listing = document["paths"]["/api/v1/results/"]["get"]
    assert {p["name"] for p in listing["parameters"]} == {
        "page",
        "page_size",
        "category",
        "district",
        "year",
    }
    assert set(listing["responses"]) == {"200", "404", "422", "429"}
    detail = document["paths"]["/api/v1/results/{result_id}/"]["get"]
    schema_ref = detail["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    schema = document["components"]["schemas"][schema_ref.rsplit("/", 1)[1]]
    assert "纯文本" in schema["properties"]["story"]["description"]
    organisation = document["components"]["schemas"]["OrganisationItem"]
    assert "rating" in organisation["properties"]
