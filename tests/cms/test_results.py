"""Result pages (项目成果): a draft made when a contract completes (once), live facts on the
page (never an evaluation before its reveal), refreshed on reveal and on moderation, alt
text required for photos, and the filtered results list with constant queries."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cms.models import ResultIndexPage, ResultPage
from cms.models.blocks import PhotoBlock
from cms.services import result_page_create_draft
from marketplace import events, pagecache
from marketplace.models import Contract, Milestone, RatingRound, ResidentFeedback
from marketplace.models.ratings import ORGANISATION_DIMENSIONS
from marketplace.services.contracts import contract_complete_if_done
from marketplace.services.feedback import resident_feedback_moderate
from marketplace.services.ratings import rating_rounds_reveal_due
from tests import factories
from tests.cms.helpers import completed_contract, published_result, wagtail_image

pytestmark = pytest.mark.django_db


def test_completing_a_contract_drafts_its_result_page(django_capture_on_commit_callbacks):
    contract = factories.ContractFactory(status=Contract.Status.ACTIVE)
    Milestone.objects.filter(contract=contract).update(
        status=Milestone.Status.PAID, paid_at=timezone.now()
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert contract_complete_if_done(contract)

    page = ResultPage.objects.get(contract=contract)
    assert page.title == contract.tender.title
    assert page.slug == f"contract-{contract.pk}"
    assert page.summary == contract.deliverables
    assert not page.live and page.get_latest_revision() is not None
    assert page.get_parent().specific_class is ResultIndexPage


def test_the_draft_is_made_once(django_capture_on_commit_callbacks):
    contract = completed_contract()
    first = result_page_create_draft(contract=contract)
    again = result_page_create_draft(contract=contract)
    # A second completion event (e.g. replayed) changes nothing either.
    with django_capture_on_commit_callbacks(execute=True):
        events.status_changed.send(
            sender=Contract,
            instance=contract,
            from_status="active",
            to_status="completed",
            by=None,
            reason="",
        )
    assert again.pk == first.pk
    assert ResultPage.objects.filter(contract=contract).count() == 1


def test_other_status_changes_make_no_page():
    contract = factories.ContractFactory(status=Contract.Status.ACTIVE)
    events.status_changed.send(
        sender=Contract,
        instance=contract,
        from_status="draft",
        to_status="active",
        by=None,
        reason="",
    )
    assert not ResultPage.objects.exists()


def test_the_result_page_shows_the_live_facts(client):
    page = published_result()
    contract = page.contract
    response = client.get(page.url)
    html = response.content.decode()
    assert response.status_code == 200
    for text in (
        contract.buyer.name,
        contract.organisation.name,
        contract.buyer.get_absolute_url(),
        contract.organisation.get_absolute_url(),
        "300",  # beneficiaries over the three accepted reports
        "210人",  # achieved: 60 + 70 + 80
        "200人",  # planned
        "终期验收合格",
    ):
        assert text in html
    facts = response.context["facts"]
    assert facts.beneficiaries == 300
    assert [(i.target, i.achieved, i.met) for i in facts.indicators] == [("200", "210", True)]


def _rating_with_comment(contract, comment):
    rating_round = factories.RatingRoundFactory(contract=contract)
    dimension = ORGANISATION_DIMENSIONS[0]
    rating = factories.RatingFactory(round=rating_round, scores={dimension: 2})
    rating.scores.filter(dimension=dimension).update(comment=comment)
    return rating_round


def test_an_evaluation_shows_only_after_its_reveal_and_the_page_refreshes(
    client, django_capture_on_commit_callbacks
):
    page = published_result()
    rating_round = _rating_with_comment(page.contract, "上门服务多次迟到。")

    before = client.get(page.url)
    assert "上门服务多次迟到" not in before.content.decode()
    assert client.get(page.url)[pagecache.HIT_HEADER] == "hit"

    with django_capture_on_commit_callbacks(execute=True):
        assert rating_rounds_reveal_due(now=rating_round.closes_at + datetime.timedelta(minutes=1))
    rating_round.refresh_from_db()
    assert rating_round.status == RatingRound.Status.REVEALED

    after = client.get(page.url)
    assert after[pagecache.HIT_HEADER] == "miss"
    assert "上门服务多次迟到" in after.content.decode()


def test_approving_resident_feedback_refreshes_the_page(
    client, staff, django_capture_on_commit_callbacks
):
    page = published_result()
    feedback = factories.ResidentFeedbackFactory(
        contract=page.contract, score=3, comment="希望增加服务次数。"
    )
    assert client.get(page.url)[pagecache.HIT_HEADER] == "miss"
    assert client.get(page.url)[pagecache.HIT_HEADER] == "hit"
    with django_capture_on_commit_callbacks(execute=True):
        resident_feedback_moderate(feedback=feedback, by=staff, approve=True)
    assert feedback.status == ResidentFeedback.Status.APPROVED
    assert client.get(page.url)[pagecache.HIT_HEADER] == "miss"


def test_a_draft_result_is_not_public(client):
    page = result_page_create_draft(contract=completed_contract())
    assert client.get(f"/results/{page.slug}/").status_code == 404


def test_photos_need_alternative_text():
    image = wagtail_image()
    block = PhotoBlock()
    with pytest.raises(ValidationError):
        block.clean(block.to_python({"image": image.pk, "alt": "", "caption": ""}))
    block.clean(block.to_python({"image": image.pk, "alt": "志愿者为老人理发", "caption": ""}))

    page = result_page_create_draft(contract=completed_contract())
    page.cover_image = image
    with pytest.raises(ValidationError) as raised:
        page.full_clean()
    assert "cover_alt" in raised.value.message_dict


def test_a_photo_renders_with_its_alt_text(client):
    image = wagtail_image()
    story = [
        {
            "type": "photo",
            "value": {"image": image.pk, "alt": "志愿者为老人理发", "caption": "社区活动"},
        }
    ]
    page = published_result(story=story, cover_image=image, cover_alt="活动合影")
    html = client.get(page.url).content.decode()
    assert 'alt="志愿者为老人理发"' in html
    assert 'alt="活动合影"' in html
    assert "<figcaption>社区活动</figcaption>" in html


# The results list ------------------------------------------------------------------------


def _index_queries(client, url="/results/"):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, HTTP_COOKIE="sessionid=uncached")
    assert response.status_code == 200
    return response, len(queries)


def test_results_list_filters_by_category_district_and_year(client):
    this_year = timezone.localdate().year
    elderly = published_result(
        completed_contract(
            starts_on=datetime.date(this_year - 1, 3, 1), ends_on=datetime.date(this_year, 2, 28)
        )
    )
    other = completed_contract(
        award__bid__tender__category=factories.category("02"),
        award__bid__tender__region=factories.county("320506"),
        starts_on=datetime.date(this_year - 2, 3, 1),
        ends_on=datetime.date(this_year - 1, 2, 28),
    )
    youth = published_result(other)
    unpublished = result_page_create_draft(contract=completed_contract())

    def listed(query=""):
        response = client.get(f"/results/{query}", HTTP_COOKIE="sessionid=uncached")
        return [page.pk for page in response.context["results_page"]]

    assert set(listed()) == {elderly.pk, youth.pk}
    assert unpublished.pk not in listed()
    category = youth.contract.tender.category
    assert listed(f"?category={category.pk}") == [youth.pk]
    assert listed(f"?district={youth.contract.tender.region.pk}") == [youth.pk]
    assert listed(f"?year={this_year}") == [elderly.pk]
    assert listed(f"?year={this_year - 1}") == [youth.pk]


def test_results_list_query_count_does_not_grow(client):
    published_result()
    _index_queries(client)  # per-process caches (content types, site root paths)
    _response, few = _index_queries(client)
    for _ in range(4):
        published_result()
    response, many = _index_queries(client)
    assert len(response.context["results_page"]) == 5
    assert many == few
