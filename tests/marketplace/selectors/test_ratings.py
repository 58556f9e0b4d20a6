"""Reading evaluations: selectors/ratings.py — what each party sees of a round (nothing of
the other side before the reveal), pending rounds, public ratings, summaries and trend,
measured on-time delivery, the public buyer table and the appeal queue; constant queries."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.utils import timezone
from djmoney.money import Money

from marketplace.models import (
    Contract,
    Milestone,
    Payment,
    Rating,
    RatingAppeal,
    RatingRound,
)
from marketplace.models.ratings import OVERALL
from marketplace.selectors.ratings import (
    buyer_table_public,
    organisation_on_time_delivery,
    rating_appeal_get,
    rating_appeals_open,
    rating_round_get_for_user,
    rating_round_view,
    rating_rounds_pending_for_user,
    rating_summary,
    rating_visible,
    ratings_public_for_contract,
)
from marketplace.services.ratings import (
    rating_appeal_decide,
    rating_appeal_file,
    rating_round_open,
    rating_submit,
    rating_summaries_recompute,
)
from tests import factories
from tests.marketplace.rating_helpers import CLOSES_AT, NOW, Parties, sheet

pytestmark = pytest.mark.django_db

BUYER, ORG = Rating.Side.BUYER, Rating.Side.ORGANISATION
DAY = datetime.timedelta(days=1)
ORG_DIMS = ["quality", "timeliness", "funds", "satisfaction", "records"]
BUYER_DIMS = ["guidance", "support", "payment", "interference", "communication"]


@pytest.fixture
def parties():
    return Parties()


@pytest.fixture
def rating_round(parties):
    return rating_round_open(contract=parties.contract, now=NOW)


def _view(rating_round, user, now=NOW):
    rating_round.refresh_from_db()
    return rating_round_view(rating_round, user, now=now)


# --- The seal ---------------------------------------------------------------------------------


def test_before_reveal_each_side_sees_only_its_own(parties, rating_round):
    """With one side in, that side sees its own evaluation; the other side sees only that it
    was submitted — never its scores; staff see nothing yet."""
    rating_submit(
        rating_round=rating_round,
        side=BUYER,
        by=parties.officer,
        scores=sheet(BUYER, 2, "不及时"),
        now=NOW,
    )

    officer = _view(rating_round, parties.officer)
    assert officer.own_side == BUYER
    assert officer.own is not None and officer.other is None
    assert officer.other_submitted is False
    assert officer.can_edit is True and officer.can_appeal is False
    assert [d for d, _help in officer.dimensions] == ORG_DIMS

    for user in (parties.admin, parties.member):
        view = _view(rating_round, user)
        assert view.own_side == ORG
        assert view.own is None
        assert view.other is None
        assert view.other_submitted is True
        assert view.ratings == []
        assert view.visible is False
    assert _view(rating_round, parties.admin).can_edit is True
    assert _view(rating_round, parties.member).can_edit is False  # members do not rate

    staff = _view(rating_round, parties.staff)
    assert staff.own_side is None and staff.ratings == [] and staff.can_edit is False


def test_after_both_submit_both_see_both(parties, rating_round):
    """Once both sides are in, each sees the other's evaluation and may appeal it; nobody
    may edit."""
    rating_submit(
        rating_round=rating_round, side=BUYER, by=parties.officer, scores=sheet(BUYER), now=NOW
    )
    rating_submit(
        rating_round=rating_round, side=ORG, by=parties.admin, scores=sheet(ORG, 5), now=NOW
    )

    admin = _view(rating_round, parties.admin)
    assert admin.visible and admin.other.side == BUYER
    assert [s.score for s in admin.other.scores.all()] == [4] * 5
    assert admin.can_edit is False and admin.can_appeal is True and admin.appeal is None
    assert _view(rating_round, parties.member).can_appeal is False
    officer = _view(rating_round, parties.officer)
    assert officer.other.side == ORG and officer.can_appeal is True
    assert {r.side for r in _view(rating_round, parties.staff).ratings} == {BUYER, ORG}


def test_window_close_shows_the_submitted_side(parties, rating_round):
    """After the window closes the submitted evaluation is visible even before the platform's
    reveal has run; appeals wait for the reveal."""
    rating_submit(rating_round=rating_round, side=ORG, by=parties.admin, scores=sheet(ORG), now=NOW)
    after = CLOSES_AT + datetime.timedelta(seconds=1)
    assert rating_visible(rating_round, now=CLOSES_AT) is False
    assert rating_visible(rating_round, now=after) is True
    officer = _view(rating_round, parties.officer, now=after)
    assert officer.other.side == ORG
    assert officer.can_edit is False
    assert officer.can_appeal is False  # not revealed yet
    assert list(ratings_public_for_contract(parties.contract, now=CLOSES_AT)) == []
    assert [r.side for r in ratings_public_for_contract(parties.contract, now=after)] == [ORG]


def test_round_view_query_count_is_constant(parties, rating_round, django_assert_num_queries):
    """Ratings (+appeal), scores, and the two permission checks: four queries."""
    rating_submit(
        rating_round=rating_round, side=BUYER, by=parties.officer, scores=sheet(BUYER), now=NOW
    )
    rating_submit(rating_round=rating_round, side=ORG, by=parties.admin, scores=sheet(ORG), now=NOW)
    rating_round = rating_round_get_for_user(pk=rating_round.pk, user=parties.admin)
    with django_assert_num_queries(5):
        view = rating_round_view(rating_round, parties.admin, now=NOW)
        [s.score for r in view.ratings for s in r.scores.all()]


@pytest.mark.parametrize(
    ("actor", "found"),
    [
        ("officer", True),
        ("admin", True),
        ("member", True),
        ("staff", True),
        ("stranger_officer", False),
        ("stranger_admin", False),
        ("anonymous", False),
    ],
)
def test_round_get_for_user(parties, rating_round, actor, found):
    """Parties of the contract and staff open a round; anyone else gets a 404."""
    user = AnonymousUser() if actor == "anonymous" else getattr(parties, actor)
    if found:
        assert rating_round_get_for_user(pk=rating_round.pk, user=user) == rating_round
    else:
        with pytest.raises(Http404):
            rating_round_get_for_user(pk=rating_round.pk, user=user)


def test_pending_rounds_for_each_side(parties, rating_round):
    """A round waits for a side that has not submitted, while the window is open; a member
    who cannot rate has nothing pending."""
    assert [
        (r.pk, r.pending_side) for r in rating_rounds_pending_for_user(parties.officer, now=NOW)
    ] == [(rating_round.pk, BUYER)]
    assert [r.pending_side for r in rating_rounds_pending_for_user(parties.admin, now=NOW)] == [ORG]
    assert list(rating_rounds_pending_for_user(parties.member, now=NOW)) == []
    assert list(rating_rounds_pending_for_user(AnonymousUser(), now=NOW)) == []
    rating_submit(
        rating_round=rating_round, side=BUYER, by=parties.officer, scores=sheet(BUYER), now=NOW
    )
    assert list(rating_rounds_pending_for_user(parties.officer, now=NOW)) == []
    assert len(rating_rounds_pending_for_user(parties.admin, now=NOW)) == 1
    assert list(rating_rounds_pending_for_user(parties.admin, now=CLOSES_AT + DAY)) == []


def test_pending_rounds_query_count_is_constant(django_assert_num_queries):
    officer = factories.UserFactory()
    buyer = factories.BuyerFactory()
    factories.BuyerMembershipFactory(buyer=buyer, user=officer)
    for _ in range(3):
        contract = factories.ContractFactory(
            status=Contract.Status.COMPLETED, award__bid__tender__buyer=buyer
        )
        rating_round_open(contract=contract, now=NOW)
    with django_assert_num_queries(1):
        rounds = list(rating_rounds_pending_for_user(officer, now=NOW))
        [(r.contract.tender.title, r.contract.organisation.name) for r in rounds]
    assert len(rounds) == 3


# --- Public ratings, summaries, trend ---------------------------------------------------------


def _revealed(contract, side, scores, revealed_at=NOW):
    rating_round = factories.RatingRoundFactory(
        contract=contract, status=RatingRound.Status.REVEALED, revealed_at=revealed_at
    )
    return factories.RatingFactory(round=rating_round, side=side, scores=scores)


def test_public_ratings_show_appeal_state(parties, rating_round, staff):
    """Revealed evaluations are public with their scores; an upheld appeal shows as excluded."""
    rating_submit(
        rating_round=rating_round, side=BUYER, by=parties.officer, scores=sheet(BUYER), now=NOW
    )
    rating_submit(rating_round=rating_round, side=ORG, by=parties.admin, scores=sheet(ORG), now=NOW)
    buyer_rating = Rating.objects.get(round=rating_round, side=BUYER)
    appeal = rating_appeal_file(rating=buyer_rating, by=parties.admin, reason="不公平")
    rating_appeal_decide(appeal=appeal, by=staff, uphold=True, decision="依据不足")
    ratings = list(ratings_public_for_contract(parties.contract))
    assert [r.side for r in ratings] == [BUYER, ORG]
    assert ratings[0].excluded_at is not None
    assert ratings[0].appeal.status == RatingAppeal.Status.UPHELD
    assert not hasattr(ratings[1], "appeal") or ratings[1].appeal is None


def test_public_ratings_query_count_is_constant(django_assert_num_queries):
    contract = factories.ContractFactory(status=Contract.Status.COMPLETED)
    for milestone in contract.milestones.all():
        rating_round = factories.RatingRoundFactory(
            contract=contract,
            kind=RatingRound.Kind.MILESTONE,
            milestone=milestone,
            status=RatingRound.Status.REVEALED,
            revealed_at=NOW,
        )
        factories.RatingFactory(round=rating_round, side=BUYER)
        factories.RatingFactory(round=rating_round, side=ORG)
    with django_assert_num_queries(2):
        for rating in ratings_public_for_contract(contract):
            [s.score for s in rating.scores.all()]
            getattr(rating, "appeal", None)


def test_rating_summary_rows_trend_and_exclusions(settings):
    """Rows in dimension order with count, Bayesian score and plain mean; the trend counts
    evaluations per year of reveal with their mean; excluded ones are counted apart."""
    settings.RATING_PRIOR_WEIGHT = 5
    first = factories.ContractFactory(status=Contract.Status.COMPLETED)
    organisation = first.organisation

    def contract():
        return factories.ContractFactory(
            status=Contract.Status.COMPLETED, award__bid__organisation=organisation
        )

    in_2025 = timezone.make_aware(datetime.datetime(2025, 6, 1, 12))
    _revealed(first, BUYER, dict.fromkeys(ORG_DIMS, 5), revealed_at=in_2025)
    _revealed(contract(), BUYER, dict.fromkeys(ORG_DIMS, 3), revealed_at=NOW)
    _revealed(contract(), BUYER, {"quality": 5}, revealed_at=NOW)  # mean 4.2
    excluded = _revealed(contract(), BUYER, dict.fromkeys(ORG_DIMS, 1), revealed_at=NOW)
    Rating.objects.filter(pk=excluded.pk).update(excluded_at=NOW)
    rating_summaries_recompute(organisation_ids=[organisation.pk])

    summary = rating_summary(organisation=organisation)
    assert [row.dimension for row in summary.rows] == ORG_DIMS
    quality = summary.rows[0]
    # Only this organisation has evaluations, so its mean is the platform mean: 13/3.
    assert (quality.count, quality.mean, quality.score) == (3, Decimal("4.33"), Decimal("4.3333"))
    assert summary.overall.dimension == OVERALL
    assert summary.overall.count == 3
    assert summary.overall.mean == Decimal("4.07")  # (5 + 3 + 4.2) / 3
    assert [(p.year, p.count, p.mean) for p in summary.trend] == [
        (2025, 1, Decimal("5.00")),
        (2026, 2, Decimal("3.60")),
    ]
    assert summary.excluded_count == 1
    assert quality.percent == 87


def test_rating_summary_without_evaluations(organisation, buyer):
    """Rows are there with no count and no score."""
    summary = rating_summary(buyer=buyer)
    assert [row.dimension for row in summary.rows] == BUYER_DIMS
    assert all(row.count == 0 and row.score is None for row in summary.rows)
    assert summary.overall.score is None and summary.trend == []
    with pytest.raises(ValueError):
        rating_summary(organisation=organisation, buyer=buyer)


@pytest.mark.parametrize("count", [1, 6])
def test_rating_summary_query_count_is_constant(count, django_assert_num_queries):
    contract = factories.ContractFactory(status=Contract.Status.COMPLETED)
    for year in range(count):
        other = factories.ContractFactory(
            status=Contract.Status.COMPLETED, award__bid__tender__buyer=contract.buyer
        )
        _revealed(
            other, ORG, {}, revealed_at=timezone.make_aware(datetime.datetime(2020 + year, 3, 1))
        )
    rating_summaries_recompute(buyer_ids=[contract.buyer_id])
    with django_assert_num_queries(3):
        summary = rating_summary(buyer=contract.buyer)
    assert len(summary.trend) == count


# --- Measured facts ---------------------------------------------------------------------------


def test_on_time_delivery_counts_acceptance_by_due_date():
    """Accepted on or before the planned date (Beijing date) is on time; later is not;
    milestones never accepted do not count."""
    contract = factories.ContractFactory(status=Contract.Status.ACTIVE)
    first, second, _third = contract.milestones.order_by("position")
    due = timezone.make_aware(datetime.datetime.combine(first.due_on, datetime.time(23, 30)))
    Milestone.objects.filter(pk=first.pk).update(status=Milestone.Status.ACCEPTED, accepted_at=due)
    late = timezone.make_aware(datetime.datetime.combine(second.due_on + DAY, datetime.time(0, 30)))
    Milestone.objects.filter(pk=second.pk).update(
        status=Milestone.Status.ACCEPTED, accepted_at=late
    )
    facts = organisation_on_time_delivery(contract.organisation)
    assert (facts.accepted_count, facts.on_time_count, facts.percent) == (2, 1, 50)
    nothing = organisation_on_time_delivery(factories.OrganisationFactory())
    assert (nothing.accepted_count, nothing.percent) == (0, None)


def _paid(buyer, *, days, organisation=None):
    """A milestone of a new contract of `buyer`, accepted and paid `days` later."""
    kwargs = {"status": Contract.Status.ACTIVE, "award__bid__tender__buyer": buyer}
    contract = factories.ContractFactory(**kwargs)
    milestone = contract.milestones.order_by("position").first()
    accepted = timezone.make_aware(datetime.datetime(2026, 3, 2, 23, 0))
    Milestone.objects.filter(pk=milestone.pk).update(
        status=Milestone.Status.PAID, accepted_at=accepted
    )
    Payment.objects.create(
        milestone=milestone,
        contract=contract,
        gateway=Payment.Gateway.TREASURY,
        status=Payment.Status.SUCCEEDED,
        amount=Money(milestone.amount.amount, "CNY"),
        idempotency_key=f"test-{milestone.pk}",
        settled_at=accepted + datetime.timedelta(days=days),
    )
    return contract


@pytest.fixture
def buyer_table_data(settings):
    """Three buyers: 甲 pays on time (30 days is still on time), 乙 late once of two, 丙
    has never paid; 乙 is rated better than 甲."""
    settings.RATING_PRIOR_WEIGHT = 5
    a = factories.BuyerFactory(name="甲街道办事处")
    b = factories.BuyerFactory(name="乙街道办事处")
    c = factories.BuyerFactory(name="丙街道办事处")
    _paid(a, days=30)
    late = _paid(b, days=31)
    _paid(b, days=3)
    contract_a = _paid(a, days=1)
    _revealed(contract_a, ORG, dict.fromkeys(BUYER_DIMS, 3))
    _revealed(late, ORG, dict.fromkeys(BUYER_DIMS, 5))
    rating_summaries_recompute(buyer_ids=[a.pk])
    return a, b, c


def test_buyer_table_annotations(buyer_table_data):
    a, b, c = buyer_table_data
    rows = {buyer.pk: buyer for buyer in buyer_table_public()}
    assert (rows[a.pk].paid_count, rows[a.pk].on_time_count, rows[a.pk].on_time_share) == (
        2,
        2,
        1.0,
    )
    assert (rows[b.pk].paid_count, rows[b.pk].on_time_count, rows[b.pk].on_time_share) == (
        2,
        1,
        0.5,
    )
    assert (rows[c.pk].paid_count, rows[c.pk].on_time_share, rows[c.pk].rating_score) == (
        0,
        None,
        None,
    )
    # Platform mean 4: 甲 (20 + 3)/6, 乙 (20 + 5)/6.
    assert rows[a.pk].rating_score == Decimal("3.8333")
    assert rows[b.pk].rating_score == Decimal("4.1667")
    assert rows[a.pk].rating_count == 1 and rows[c.pk].rating_count == 0


def test_buyer_table_sorts_in_the_database(buyer_table_data, django_assert_num_queries):
    """By punctuality (best share first), by rating (best first), by name; buyers without a
    figure come last; one query each."""
    a, b, c = buyer_table_data
    ours = {a.pk, b.pk, c.pk}

    def order(sort):
        with django_assert_num_queries(1):
            return [buyer.pk for buyer in buyer_table_public(sort=sort) if buyer.pk in ours]

    assert order("punctuality") == [a.pk, b.pk, c.pk]
    assert order("rating") == [b.pk, a.pk, c.pk]
    assert order("name") == sorted(ours, key=lambda pk: {a.pk: "甲", b.pk: "乙", c.pk: "丙"}[pk])
    assert order("nonsense") == order("name")


def test_buyer_table_filters_by_region(buyer_table_data):
    a, _b, _c = buyer_table_data
    other = factories.BuyerFactory(region=factories.county("320505"))
    assert other.pk not in {b.pk for b in buyer_table_public(region=a.region)}
    assert a.pk in {b.pk for b in buyer_table_public(region=a.region)}


# --- Staff queue ------------------------------------------------------------------------------


def test_appeal_queue_lists_open_appeals_with_constant_queries(django_assert_num_queries, staff):
    appeals = []
    for _ in range(3):
        parties = Parties()
        rating = _revealed(parties.contract, BUYER, {})
        appeals.append(rating_appeal_file(rating=rating, by=parties.admin, reason="不公平"))
    rating_appeal_decide(appeal=appeals[0], by=staff, uphold=False, decision="评分有据")
    with django_assert_num_queries(2):
        queue = list(rating_appeals_open())
        [
            (a.rating.round.contract.tender.title, a.filed_by.name, list(a.rating.scores.all()))
            for a in queue
        ]
    assert [a.pk for a in queue] == [appeals[1].pk, appeals[2].pk]
    assert rating_appeal_get(pk=appeals[0].pk).status == RatingAppeal.Status.DISMISSED
    with pytest.raises(Http404):
        rating_appeal_get(pk=0)
