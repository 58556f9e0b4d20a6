"""Two-way evaluation pages: the form for each side, the sealed state before the reveal (the
other side's content never appears, on any page), both evaluations with the measured facts
after it, the appeal, the links and "待评估" lists, the profile summaries and the public
buyer table. Every page keeps a constant query count."""

import datetime
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from marketplace.models import (
    Contract,
    Milestone,
    OrganisationMembership,
    Rating,
    RatingAppeal,
    RatingRound,
    RatingScore,
)
from marketplace.models.ratings import BUYER_DIMENSIONS, ORGANISATION_DIMENSIONS
from marketplace.selectors.ratings import ratings_public_for_contract
from marketplace.services.ratings import rating_summaries_recompute
from tests import factories
from tests.conftest import give_totp

pytestmark = pytest.mark.django_db

# Distinctive texts: if one shows up on a page, a sealed evaluation leaked.
BUYER_SECRET = "购买主体的保密评语甲乙丙"
ORGANISATION_SECRET = "承接主体的保密评语丁戊己"


def _party_users(contract):
    officer = factories.BuyerMembershipFactory(buyer=contract.buyer).user
    give_totp(officer)
    admin = factories.OrganisationMembershipFactory(organisation=contract.organisation).user
    member = factories.OrganisationMembershipFactory(
        organisation=contract.organisation, role=OrganisationMembership.Role.MEMBER
    ).user
    return officer, admin, member


@pytest.fixture
def parties(db):
    """An open completion round of a completed contract, with a buyer officer (TOTP), an
    organisation admin and a plain member."""
    rating_round = factories.RatingRoundFactory()
    # Signed, so the public contract page exists and can be checked for leaks.
    Contract.objects.filter(pk=rating_round.contract_id).update(signed_at=timezone.now())
    officer, admin, member = _party_users(rating_round.contract)
    return SimpleNamespace(
        round=rating_round,
        contract=rating_round.contract,
        officer=officer,
        admin=admin,
        member=member,
    )


@pytest.fixture
def outsiders(db):
    """People with no part in the contract, one of each kind, and staff."""
    other_officer = factories.BuyerMembershipFactory().user
    give_totp(other_officer)
    staff = factories.StaffFactory()
    give_totp(staff)
    return {
        "other_org_admin": factories.OrganisationMembershipFactory().user,
        "other_officer": other_officer,
        "expert": factories.ExpertFactory().user,
        "staff": staff,
    }


def _url(rating_round):
    return reverse("contract_evaluation", args=[rating_round.contract_id])


def _rate(rating_round, side, comment, score=2):
    """A submitted evaluation whose every comment carries `comment`."""
    rating = factories.RatingFactory(
        round=rating_round,
        side=side,
        scores=dict.fromkeys(
            ORGANISATION_DIMENSIONS if side == Rating.Side.BUYER else BUYER_DIMENSIONS, score
        ),
    )
    RatingScore.objects.filter(rating=rating).update(comment=comment)
    return rating


def _form_data(dimensions, score=4, comment=""):
    data = {"action": "submit"}
    for dimension in dimensions:
        data[f"{dimension}_score"] = str(score)
        data[f"{dimension}_comment"] = comment
    return data


def _reveal(rating_round):
    rating_round.status = RatingRound.Status.REVEALED
    rating_round.revealed_at = timezone.now()
    rating_round.save(update_fields=["status", "revealed_at"])


def _queries(client, url):
    # A first reader's cost: the public profiles are cached for anonymous readers.
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries), response


# --- Permission matrix ----------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, parties):
    """Anonymous visitors are redirected to the login page from both evaluation URLs."""
    milestone = parties.contract.milestones.first()
    for url in (
        _url(parties.round),
        reverse("milestone_evaluation", args=[parties.contract.pk, milestone.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("who", ["other_org_admin", "other_officer", "expert"])
def test_outsiders_get_404_and_change_nothing(client, parties, outsiders, who):
    """Another organisation's admin, another buyer's officer and an expert see 404 on the
    evaluation pages, and their POSTs store nothing."""
    client.force_login(outsiders[who])
    milestone = parties.contract.milestones.first()
    milestone_url = reverse("milestone_evaluation", args=[parties.contract.pk, milestone.pk])

    assert client.get(_url(parties.round)).status_code == 404
    assert client.get(milestone_url).status_code == 404
    assert client.post(_url(parties.round), _form_data(ORGANISATION_DIMENSIONS)).status_code == 404
    assert client.post(milestone_url).status_code == 404
    assert not Rating.objects.exists()
    assert RatingRound.objects.count() == 1


def test_staff_see_the_round_but_cannot_rate(client, parties, outsiders):
    """Staff may look (no form, nothing unrevealed); a POST is refused and stores nothing."""
    _rate(parties.round, Rating.Side.BUYER, BUYER_SECRET)
    client.force_login(outsiders["staff"])

    response = client.get(_url(parties.round))

    assert response.status_code == 200
    assert response.context["form"] is None
    assert BUYER_SECRET not in response.content.decode()
    response = client.post(_url(parties.round), _form_data(BUYER_DIMENSIONS))
    assert response.status_code == 403
    assert Rating.objects.count() == 1


@pytest.mark.parametrize(
    ("who", "dimensions"),
    [("officer", ORGANISATION_DIMENSIONS), ("admin", BUYER_DIMENSIONS)],
)
def test_each_side_gets_the_form_with_its_own_dimensions(client, parties, who, dimensions):
    """The buyer officer rates the organisation's five dimensions, the organisation admin
    the buyer's five, each with what the dimension means."""
    client.force_login(getattr(parties, who))

    response = client.get(_url(parties.round))

    assert response.status_code == 200
    form = response.context["form"]
    assert [dimension for dimension, _help in form.dimensions] == list(dimensions)
    page = response.content.decode()
    for dimension in dimensions:
        assert str(dimension.label) in page
        assert f'name="{dimension}_score"' in page
        assert f'type="radio" name="{dimension}_score" value="5"' in page
    assert "<fieldset" in page and "<legend>" in page


def test_organisation_member_who_is_not_admin_sees_the_page_without_a_form(client, parties):
    """A plain member of the organisation may look but not rate; a POST is refused."""
    client.force_login(parties.member)

    response = client.get(_url(parties.round))
    assert response.status_code == 200
    assert response.context["form"] is None

    response = client.post(_url(parties.round), _form_data(BUYER_DIMENSIONS))
    assert response.status_code == 403
    assert not Rating.objects.exists()


def test_no_completion_round_yet_is_404(client, parties):
    """A contract without a completion round has no evaluation page."""
    contract = factories.ContractFactory(
        award=factories.AwardFactory(
            bid=factories.BidFactory(organisation=parties.contract.organisation),
        )
    )
    factories.BuyerMembershipFactory(buyer=contract.buyer, user=parties.admin)
    client.force_login(parties.admin)

    assert client.get(reverse("contract_evaluation", args=[contract.pk])).status_code == 404


# --- Submitting -------------------------------------------------------------------------------


def test_buyer_submits_and_the_other_side_only_learns_that(client, parties):
    """The officer's evaluation is stored; the organisation's admin then sees "已提交" for
    the other side, but none of its scores or comments."""
    client.force_login(parties.officer)
    data = _form_data(ORGANISATION_DIMENSIONS, score=2, comment=BUYER_SECRET)

    response = client.post(_url(parties.round), data)

    assert response.status_code == 302
    rating = Rating.objects.get(side=Rating.Side.BUYER)
    assert sorted(rating.scores.values_list("score", flat=True)) == [2] * 5

    client.force_login(parties.admin)
    response = client.get(_url(parties.round))
    view = response.context["view"]
    assert view.other_submitted is True
    assert view.other is None
    page = response.content.decode()
    assert BUYER_SECRET not in page
    assert "已提交" in page


def test_low_score_without_comment_shows_the_error_per_dimension_and_stores_nothing(
    client, parties
):
    """A 1 or 2 without a comment: 400, the service's message next to that dimension, and
    nothing stored."""
    client.force_login(parties.officer)
    data = _form_data(ORGANISATION_DIMENSIONS, score=4)
    data["quality_score"] = "1"

    response = client.post(_url(parties.round), data)

    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["quality_comment"]
    assert "quality_score" not in form.errors
    assert "说明" in " ".join(form.errors["quality_comment"])
    assert not Rating.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"), [("quality_score", "7"), ("quality_score", ""), ("records_score", "x")]
)
def test_bad_scores_are_refused_with_a_clear_error(client, parties, field, value):
    """A score outside 1–5, missing or not a number is refused on the form; nothing stored."""
    client.force_login(parties.officer)
    data = _form_data(ORGANISATION_DIMENSIONS)
    data[field] = value

    response = client.post(_url(parties.round), data)

    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert not Rating.objects.exists()


def test_own_evaluation_is_editable_until_the_reveal(client, parties):
    """Before the other side submits, the officer sees the form prefilled and may change it."""
    client.force_login(parties.officer)
    client.post(_url(parties.round), _form_data(ORGANISATION_DIMENSIONS, score=3))

    response = client.get(_url(parties.round))
    assert response.context["form"].initial["quality_score"] == 3
    client.post(_url(parties.round), _form_data(ORGANISATION_DIMENSIONS, score=5))

    assert set(RatingScore.objects.values_list("score", flat=True)) == {5}
    assert Rating.objects.count() == 1


def test_second_submission_reveals_both_side_by_side_with_the_facts(client, parties):
    """When the organisation submits after the buyer, the round is revealed: both pages show
    both evaluations, the measured on-time delivery and payment punctuality, no form."""
    _rate(parties.round, Rating.Side.BUYER, BUYER_SECRET)
    client.force_login(parties.admin)

    response = client.post(
        _url(parties.round), _form_data(BUYER_DIMENSIONS, score=2, comment=ORGANISATION_SECRET)
    )

    assert response.status_code == 302
    parties.round.refresh_from_db()
    assert parties.round.status == RatingRound.Status.REVEALED
    for user in (parties.admin, parties.officer):
        client.force_login(user)
        response = client.get(_url(parties.round))
        page = response.content.decode()
        assert BUYER_SECRET in page
        assert ORGANISATION_SECRET in page
        assert response.context["form"] is None
        assert "承接主体按期交付" in page
        assert "购买主体30日内付款比例" in page


def test_after_the_reveal_a_post_changes_nothing(client, parties):
    """A revealed round refuses edits: 403 and the stored scores stay."""
    _rate(parties.round, Rating.Side.BUYER, BUYER_SECRET, score=2)
    _rate(parties.round, Rating.Side.ORGANISATION, ORGANISATION_SECRET, score=2)
    _reveal(parties.round)
    client.force_login(parties.officer)

    response = client.post(_url(parties.round), _form_data(ORGANISATION_DIMENSIONS, score=5))

    assert response.status_code == 403
    assert set(RatingScore.objects.values_list("score", flat=True)) == {2}


def test_window_closed_shows_what_was_submitted_and_no_form(client, parties):
    """Once the window has closed, both sides see what was submitted, and nobody gets a form."""
    _rate(parties.round, Rating.Side.BUYER, BUYER_SECRET)
    RatingRound.objects.filter(pk=parties.round.pk).update(
        closes_at=timezone.now() - datetime.timedelta(hours=1)
    )
    client.force_login(parties.admin)

    response = client.get(_url(parties.round))

    assert response.context["form"] is None
    assert BUYER_SECRET in response.content.decode()
    assert "该方未在评估期内提交评价" in response.content.decode()


# --- Nothing leaks before the reveal ---------------------------------------------------------


def test_nothing_unrevealed_on_any_page(client, parties, outsiders):
    """The buyer's evaluation is in, the round still sealed: its comment and scores show on
    the officer's own page only — not on the organisation's evaluation or contract pages,
    the dashboard, staff's view, the public contract page, the profiles or the buyer table."""
    _rate(parties.round, Rating.Side.BUYER, BUYER_SECRET, score=1)
    rating_summaries_recompute(
        organisation_ids=[parties.contract.organisation_id], buyer_ids=[parties.contract.buyer_id]
    )
    contract = parties.contract
    client.force_login(parties.officer)
    assert BUYER_SECRET in client.get(_url(parties.round)).content.decode()  # the probe works

    private = [
        _url(parties.round),
        reverse("contract_detail", args=[contract.pk]),
        reverse("dashboard"),
    ]
    for user in (parties.admin, parties.member, outsiders["staff"]):
        client.force_login(user)
        for url in private:
            response = client.get(url)
            if response.status_code == 404:  # staff have no contract manage page
                continue
            page = response.content.decode()
            assert BUYER_SECRET not in page, (user, url)
            assert "1 / 5" not in page, (user, url)
    client.logout()
    public = [
        reverse("contract_public", args=[contract.pk]),
        reverse("organisation_detail", args=[contract.organisation_id]),
        reverse("buyer_detail", args=[contract.buyer_id]),
        reverse("buyer_list"),
    ]
    for url in public:
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert BUYER_SECRET not in page, url
        assert "1 / 5" not in page, url
    # The single sealed 1 is not counted on the organisation's profile.
    cache.clear()  # the anonymous profile was cached above; render it again for its context
    response = client.get(public[1])
    assert response.context["rating_summary"].overall.count == 0
    assert "暂无已揭晓的评价" in response.content.decode()


def test_public_contract_page_shows_the_ratings_once_revealed(client, parties):
    """After the reveal the public contract page shows both evaluations."""
    _rate(parties.round, Rating.Side.BUYER, BUYER_SECRET)
    _rate(parties.round, Rating.Side.ORGANISATION, ORGANISATION_SECRET)
    _reveal(parties.round)

    page = client.get(reverse("contract_public", args=[parties.contract.pk])).content.decode()

    assert BUYER_SECRET in page
    assert ORGANISATION_SECRET in page


def test_public_include_shows_revealed_ratings_only(client, parties):
    """The include for the public contract page renders revealed ratings and nothing while
    the round is sealed."""
    _rate(parties.round, Rating.Side.BUYER, BUYER_SECRET)
    rendered = _render_public_include(parties.contract)
    assert BUYER_SECRET not in rendered
    _reveal(parties.round)
    rendered = _render_public_include(parties.contract)
    assert BUYER_SECRET in rendered


def _render_public_include(contract):
    return render_to_string(
        "marketplace/includes/contract_ratings.html",
        {"ratings": ratings_public_for_contract(contract)},
    )


def test_submission_email_never_carries_the_content(
    client, parties, django_capture_on_commit_callbacks
):
    """The other side is told an evaluation was submitted; the comment is not in the mail."""
    client.force_login(parties.officer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            _url(parties.round),
            _form_data(ORGANISATION_DIMENSIONS, score=2, comment=BUYER_SECRET),
        )
    assert mail.outbox
    for message in mail.outbox:
        assert BUYER_SECRET not in message.body
        assert BUYER_SECRET not in message.subject


# --- Appeals ----------------------------------------------------------------------------------


@pytest.fixture
def revealed(parties):
    parties.buyer_rating = _rate(parties.round, Rating.Side.BUYER, BUYER_SECRET, score=2)
    parties.org_rating = _rate(parties.round, Rating.Side.ORGANISATION, ORGANISATION_SECRET)
    _reveal(parties.round)
    return parties


def test_rated_side_files_an_appeal_once(client, revealed):
    """The organisation's admin appeals the buyer's evaluation of it; the page then shows the
    appeal's state instead of the form."""
    client.force_login(revealed.admin)
    response = client.get(_url(revealed.round))
    assert response.context["appeal_form"] is not None

    response = client.post(_url(revealed.round), {"action": "appeal", "reason": "与事实不符。"})

    assert response.status_code == 302
    appeal = RatingAppeal.objects.get()
    assert appeal.rating == revealed.buyer_rating
    response = client.get(_url(revealed.round))
    assert response.context["appeal_form"] is None
    assert "待处理" in response.content.decode()
    response = client.post(_url(revealed.round), {"action": "appeal", "reason": "再申诉。"})
    assert response.status_code == 403
    assert RatingAppeal.objects.count() == 1


def test_empty_appeal_reason_is_refused(client, revealed):
    """No reason: 400 with the message on the reason box; no appeal stored."""
    client.force_login(revealed.admin)

    response = client.post(_url(revealed.round), {"action": "appeal", "reason": "  "})

    assert response.status_code == 400
    assert response.context["appeal_form"].errors["reason"]
    assert not RatingAppeal.objects.exists()


@pytest.mark.parametrize("who", ["member", "staff"])
def test_only_the_rated_sides_acting_people_may_appeal(client, revealed, outsiders, who):
    """A plain organisation member and staff cannot appeal."""
    client.force_login(outsiders["staff"] if who == "staff" else revealed.member)

    response = client.post(_url(revealed.round), {"action": "appeal", "reason": "理由"})

    assert response.status_code == 403
    assert not RatingAppeal.objects.exists()


def test_no_appeal_before_the_reveal(client, parties):
    """Before the reveal there is no appeal form and a POST is refused."""
    _rate(parties.round, Rating.Side.BUYER, BUYER_SECRET)
    client.force_login(parties.admin)

    assert client.get(_url(parties.round)).context["appeal_form"] is None
    response = client.post(_url(parties.round), {"action": "appeal", "reason": "理由"})
    assert response.status_code == 403
    assert not RatingAppeal.objects.exists()


# --- Milestone rounds ------------------------------------------------------------------------


def _accepted_milestone(contract):
    milestone = contract.milestones.order_by("position").first()
    Milestone.objects.filter(pk=milestone.pk).update(
        status=Milestone.Status.ACCEPTED, accepted_at=timezone.now()
    )
    milestone.refresh_from_db()
    return milestone


def test_milestone_round_is_opened_by_a_party_then_shows_the_form(client, parties):
    """GET shows the offer to open (and opens nothing); POST opens the round and the page
    then shows the form."""
    milestone = _accepted_milestone(parties.contract)
    url = reverse("milestone_evaluation", args=[parties.contract.pk, milestone.pk])
    client.force_login(parties.admin)

    response = client.get(url)
    assert response.status_code == 200
    assert not RatingRound.objects.filter(milestone=milestone).exists()

    response = client.post(url)
    assert response.status_code == 302
    assert RatingRound.objects.filter(milestone=milestone).exists()
    response = client.get(url)
    assert response.context["form"] is not None


def test_milestone_not_accepted_cannot_be_opened(client, parties):
    """A pending milestone: a clear error and no round."""
    milestone = parties.contract.milestones.order_by("position").first()
    url = reverse("milestone_evaluation", args=[parties.contract.pk, milestone.pk])
    client.force_login(parties.officer)

    response = client.post(url)

    assert response.status_code == 400
    assert "验收后" in response.content.decode()
    assert not RatingRound.objects.filter(milestone=milestone).exists()


def test_member_and_staff_cannot_open_a_milestone_round(client, parties, outsiders):
    """Only the people who rate (buyer officers, organisation admins) may open one."""
    milestone = _accepted_milestone(parties.contract)
    url = reverse("milestone_evaluation", args=[parties.contract.pk, milestone.pk])
    for user in (parties.member, outsiders["staff"]):
        client.force_login(user)
        assert client.post(url).status_code == 404
    assert not RatingRound.objects.filter(milestone=milestone).exists()


def test_milestone_of_another_contract_is_404(client, parties):
    """A milestone id from another contract is not found under this one."""
    other = factories.RatingRoundFactory().contract
    milestone = _accepted_milestone(other)
    client.force_login(parties.officer)

    url = reverse("milestone_evaluation", args=[parties.contract.pk, milestone.pk])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404


# --- Links and lists -------------------------------------------------------------------------


def test_contract_page_links_to_the_evaluations(client, parties):
    """The manage page links to the completion evaluation and to accepted milestones'."""
    milestone = _accepted_milestone(parties.contract)
    client.force_login(parties.officer)

    page = client.get(reverse("contract_detail", args=[parties.contract.pk])).content.decode()

    assert _url(parties.round) in page
    assert reverse("milestone_evaluation", args=[parties.contract.pk, milestone.pk]) in page


def test_pending_lists_on_workspace_and_dashboard(client, parties):
    """The officer's workspace and the admin's dashboard list the round as 待评估 until
    their side has submitted."""
    client.force_login(parties.officer)
    page = client.get(reverse("buyer_workspace")).content.decode()
    assert "待评估" in page and _url(parties.round) in page

    client.force_login(parties.admin)
    page = client.get(reverse("dashboard")).content.decode()
    assert "待评估" in page and _url(parties.round) in page

    _rate(parties.round, Rating.Side.ORGANISATION, ORGANISATION_SECRET)
    page = client.get(reverse("dashboard")).content.decode()
    assert _url(parties.round) not in page


# --- Profiles and the buyer table -------------------------------------------------------------


def _revealed_round_for(organisation, buyer, *, year_offset=0, score=4):
    bid = factories.BidFactory(
        organisation=organisation, tender=factories.TenderFactory(buyer=buyer)
    )
    contract = factories.ContractFactory(award=factories.AwardFactory(bid=bid), status="completed")
    rating_round = factories.RatingRoundFactory(contract=contract)
    factories.RatingFactory(
        round=rating_round,
        side=Rating.Side.BUYER,
        scores=dict.fromkeys(ORGANISATION_DIMENSIONS, score),
    )
    factories.RatingFactory(
        round=rating_round,
        side=Rating.Side.ORGANISATION,
        scores=dict.fromkeys(BUYER_DIMENSIONS, score),
    )
    revealed_at = timezone.now() - datetime.timedelta(days=365 * year_offset)
    RatingRound.objects.filter(pk=rating_round.pk).update(
        status=RatingRound.Status.REVEALED, revealed_at=revealed_at
    )
    return rating_round


def _add_evaluations(organisation, buyer, count):
    for index in range(count):
        _revealed_round_for(organisation, buyer, year_offset=index % 3, score=3 + index % 3)
    rating_summaries_recompute(organisation_ids=[organisation.pk], buyer_ids=[buyer.pk])


def test_profiles_keep_a_constant_query_count(client):
    """Organisation and buyer profiles cost the same queries with 0 and with 6 evaluations,
    and then show the score, the count, the bars and the trend by year."""
    organisation = factories.OrganisationFactory(
        rating_level=4, rating_evaluated_on=datetime.date(2024, 5, 1)
    )
    buyer = factories.BuyerFactory()
    org_url = reverse("organisation_detail", args=[organisation.pk])
    buyer_url = reverse("buyer_detail", args=[buyer.pk])

    org_none, response = _queries(client, org_url)
    assert "暂无已揭晓的评价" in response.content.decode()
    buyer_none, _response = _queries(client, buyer_url)

    _add_evaluations(organisation, buyer, 6)
    org_many, response = _queries(client, org_url)
    buyer_many, buyer_response = _queries(client, buyer_url)

    assert org_many == org_none
    assert buyer_many == buyer_none
    for page in (response.content.decode(), buyer_response.content.decode()):
        assert "基于 6 次评价" in page
        assert 'class="rating-bar"' in page
        assert "逐年变化" in page
    summary = response.context["rating_summary"]
    assert summary.overall.count == 6
    assert len(summary.trend) >= 2
    org_page = response.content.decode()
    assert "民政部门评估等级" in org_page
    assert "2029-05-01" in org_page  # the official level's expiry, shown on its own


def test_profile_query_counts_with_django_assert(client, django_assert_num_queries):
    """The same, stated as fixed numbers measured with 0 evaluations."""
    organisation = factories.OrganisationFactory()
    buyer = factories.BuyerFactory()
    org_url = reverse("organisation_detail", args=[organisation.pk])
    buyer_url = reverse("buyer_detail", args=[buyer.pk])
    org_count, _response = _queries(client, org_url)
    buyer_count, _response = _queries(client, buyer_url)
    _add_evaluations(organisation, buyer, 4)

    cache.clear()
    with django_assert_num_queries(org_count):
        client.get(org_url)
    with django_assert_num_queries(buyer_count):
        client.get(buyer_url)


def test_buyer_table_sorts_by_punctuality_and_rating_with_constant_queries(client):
    """/buyers/ sorts by rating (best first) and keeps its query count for 2 and 12 buyers."""
    organisation = factories.OrganisationFactory()
    good = factories.BuyerFactory(name="甲街道")
    poor = factories.BuyerFactory(name="乙街道")
    _revealed_round_for(organisation, good, score=5)
    _revealed_round_for(organisation, poor, score=2)
    rating_summaries_recompute(buyer_ids=[good.pk, poor.pk])
    url = reverse("buyer_list")

    few, response = _queries(client, f"{url}?sort=rating")
    names = [buyer.name for buyer in response.context["directory"]]
    assert names.index(good.name) < names.index(poor.name)
    assert response.context["directory"][0].rating_count == 1

    for _index in range(10):
        factories.BuyerFactory(parent=good)
    many, response = _queries(client, f"{url}?sort=rating")
    assert many == few
    for sort in ("punctuality", "name", "bogus"):
        assert client.get(url, {"sort": sort}).status_code == 200
    page = client.get(url, {"sort": "punctuality"}).content.decode()
    assert "30日内付款比例" in page and "评价得分" in page


def test_buyer_table_keeps_the_region_filter_in_sort_links(client):
    """Sort links keep the chosen region."""
    region = factories.county("320508").parent
    page = client.get(reverse("buyer_list"), {"region": region.pk}).content.decode()
    assert f"?region={region.pk}&amp;sort=rating" in page


# --- Both languages ---------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_pages_render_in_both_languages(client, revealed, language):
    """The evaluation page, profiles and buyer table render in Chinese and in English."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.force_login(revealed.admin)
    urls = [
        _url(revealed.round),
        reverse("organisation_detail", args=[revealed.contract.organisation_id]),
        reverse("buyer_detail", args=[revealed.contract.buyer_id]),
        reverse("buyer_list") + "?sort=rating",
        reverse("dashboard"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        expected = "zh-CN" if language == "zh-hans" else "en"
        assert f'<html lang="{expected}">' in response.content.decode()


def test_evaluation_page_query_count_does_not_grow(client, parties):
    """The evaluation page costs the same with one or both sides in; after the reveal it
    adds only the fixed fact queries, however many milestones the organisation has."""
    client.force_login(parties.officer)
    _rate(parties.round, Rating.Side.BUYER, BUYER_SECRET)
    own_only, _response = _queries(client, _url(parties.round))
    _rate(parties.round, Rating.Side.ORGANISATION, ORGANISATION_SECRET)
    sealed, _response = _queries(client, _url(parties.round))
    assert sealed == own_only

    _reveal(parties.round)
    revealed, _response = _queries(client, _url(parties.round))
    for _index in range(3):
        _accepted_milestone(
            factories.RatingRoundFactory(
                contract__award__bid__organisation=parties.contract.organisation
            ).contract
        )
    assert _queries(client, _url(parties.round))[0] == revealed
