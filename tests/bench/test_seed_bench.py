import io
from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from marketplace.management.commands._bench import BENCH_SERIALS, bench_rows, bench_tenders
from marketplace.management.commands._seed_tenders import OPENED_STATUSES
from marketplace.models import (
    Award,
    Bid,
    Buyer,
    Contract,
    Milestone,
    Organisation,
    Payment,
    Tender,
    TenderOpening,
)
from marketplace.selectors.tenders import method_rules
from marketplace.validators import validate_credit_code
from tests import factories

pytestmark = pytest.mark.django_db


def seed(**options):
    out = io.StringIO()
    counts = {"organisations": 50, "buyers": 5, "tenders": 0, "bids": 0}
    call_command("seed_bench", stdout=out, **{**counts, **options})
    return out.getvalue()


def bench_organisation_ids():
    return set(bench_rows(Organisation).values_list("pk", flat=True))


def test_seed_creates_verified_organisations_with_valid_codes_districts_and_categories():
    """Seeding 50 makes 50 verified organisations, each with a valid credit code whose serial
    is in the bench range, 1–3 county districts and 1–2 categories; buyers get "11" codes."""
    seed()

    organisations = Organisation.objects.prefetch_related("districts", "categories")
    assert len(organisations) == 50
    for organisation in organisations:
        assert organisation.status == Organisation.Status.VERIFIED
        validate_credit_code(organisation.credit_code)
        assert int(organisation.credit_code[8:16]) in BENCH_SERIALS
        assert 1 <= len(organisation.districts.all()) <= 3
        assert {region.level for region in organisation.districts.all()} == {"county"}
        assert 1 <= len(organisation.categories.all()) <= 2
        assert (organisation.rating_level is None) == (organisation.rating_evaluated_on is None)
    assert len({organisation.credit_code for organisation in organisations}) == 50
    assert Buyer.objects.count() == 5
    for buyer in Buyer.objects.all():
        assert buyer.credit_code.startswith("11")
        validate_credit_code(buyer.credit_code)


def test_seed_reports_progress_with_the_count():
    """The progress output shows how many rows were created out of how many."""
    output = seed()

    assert "50/50" in output
    assert "created 50" in output


def test_seed_again_without_reset_creates_nothing():
    """A second run with the same counts finds the bench rows already there and adds none."""
    seed()
    before = bench_organisation_ids()

    output = seed()

    assert bench_organisation_ids() == before
    assert Buyer.objects.count() == 5
    assert "none created" in output


def test_seed_tops_up_to_a_larger_count_with_fresh_serials():
    """Asking for more than exist creates only the difference, with new unique codes."""
    seed()

    seed(organisations=60)

    codes = list(Organisation.objects.values_list("credit_code", flat=True))
    assert len(codes) == len(set(codes)) == 60


def test_seed_with_reset_replaces_bench_rows_and_keeps_other_rows():
    """--reset deletes earlier bench organisations and buyers (and their M2M rows) and seeds
    fresh ones; organisations and buyers outside the bench serial range are untouched."""
    own_organisation = factories.OrganisationFactory()
    own_buyer = factories.BuyerFactory()
    seed()
    before = bench_organisation_ids()
    Through = Organisation.districts.through

    seed(reset=True)

    after = bench_organisation_ids()
    assert len(after) == 50
    assert before.isdisjoint(after)
    assert not Through.objects.filter(organisation_id__in=before).exists()
    assert Organisation.objects.filter(pk=own_organisation.pk).exists()
    assert Buyer.objects.filter(pk=own_buyer.pk).exists()
    assert Buyer.objects.count() == 6


def test_seed_tenders_and_bids_in_every_status_with_valid_dates():
    """--tenders 200 --bids 600 makes that many bench tenders (all statuses, by bench buyers in
    their regions, positive budgets, dates in order: open ones still take bids, ended ones
    are past) and bids, each organisation at most once per tender, before the deadline."""
    seed(tenders=200, bids=600)

    tenders = list(bench_tenders().select_related("buyer"))
    assert len(tenders) == Tender.objects.count() == 200
    assert {tender.status for tender in tenders} == set(Tender.Status.values)
    assert len({tender.method for tender in tenders}) >= 5
    now = timezone.now()
    for tender in tenders:
        assert tender.region_id == tender.buyer.region_id
        assert tender.budget.amount > 0 and str(tender.budget.currency) == "CNY"
        assert tender.clarification_deadline <= tender.bid_deadline <= tender.opening_at
        if tender.status == Tender.Status.PUBLISHED:
            assert tender.published_at < now < tender.bid_deadline
        elif tender.status == Tender.Status.DRAFT:
            assert tender.published_at is None
        else:
            assert tender.published_at < tender.bid_deadline < now
    bids = Bid.objects.select_related("tender")
    assert bids.count() == 600
    pairs = Counter(bids.values_list("tender_id", "organisation_id"))
    assert max(pairs.values()) == 1
    for bid in bids:
        assert bid.tender.status != Tender.Status.DRAFT
        assert bid.submitted_at < bid.tender.bid_deadline
        assert bid.amount <= bid.tender.budget


def test_opened_tenders_have_enough_bids_and_an_opening_failed_ones_too_few():
    """Opened and closed tenders have at least their method's minimum of live bids, opened ones
    an opening record of them; failed tenders (流标) have fewer than the minimum."""
    seed(tenders=200, bids=600)

    for tender in bench_tenders().exclude(status=Tender.Status.DRAFT):
        live = tender.bids.filter(Bid.LIVE).count()
        minimum = method_rules(tender.method)["min_bids"]
        if tender.status in (*OPENED_STATUSES, Tender.Status.CLOSED):
            assert live >= minimum
        if tender.status in OPENED_STATUSES:
            record = TenderOpening.objects.get(tender=tender).record
            assert len(record) == tender.bids.count()
        if tender.status == Tender.Status.FAILED:
            assert live < minimum


def test_awarded_tenders_have_one_award_to_their_lowest_bid_after_the_deadline():
    """Every awarded bench tender has a confirmed report and one award: its lowest bid, at
    that bid's price, published between the deadline and now with a 7-day notice period; no
    other tender has an award."""
    seed(tenders=200, bids=600)

    awarded = bench_tenders().filter(status=Tender.Status.AWARDED)
    assert awarded.exists()
    assert Award.objects.exclude(tender__in=awarded).count() == 0
    now = timezone.now()
    for tender in awarded.prefetch_related("awards__report", "bids"):
        (award,) = tender.awards.all()
        lowest = min(bid.amount for bid in tender.bids.all())
        assert award.amount == award.bid.amount == lowest
        assert award.report.recommended_id == award.bid_id and award.report.confirmed_at
        assert tender.bid_deadline < award.published_at < now
        assert (award.notice_ends_at - award.published_at).days == 7


def test_seed_tenders_tops_up_and_reset_removes_them():
    """A second run adds only the missing tenders and bids; --reset deletes bench tenders and
    bids before their buyers and organisations, and seeds them afresh."""
    seed(tenders=100, bids=300)

    output = seed(tenders=150, bids=450)

    assert bench_tenders().count() == 150
    assert Bid.objects.count() == 450
    assert "created 50" in output
    seed(tenders=150, bids=450, reset=True)
    assert bench_tenders().count() == 150
    assert Bid.objects.count() == 450


def test_seed_refuses_too_few_bids_for_the_opened_tenders():
    """Bids cannot be spread so thin that an opened tender would have fewer than its minimum."""
    with pytest.raises(CommandError, match="too few"):
        seed(tenders=200, bids=10)


def test_ended_awards_get_signed_contracts_with_exact_milestones_and_paid_ledger():
    """Every bench award whose notice period is over gets one active, signed contract with
    three milestones adding up to its amount; accepted milestones have one payment, paid ones
    a settled treasury payment and one ledger entry of the same amount after acceptance; a
    second run adds none, and --reset removes them all (past the ledger's append-only
    trigger on PostgreSQL)."""
    seed(tenders=200, bids=600)

    ended = Award.objects.filter(notice_ends_at__lt=timezone.now())
    assert ended.exists()
    assert Contract.objects.count() == ended.count()
    for contract in Contract.objects.prefetch_related("milestones", "versions"):
        assert contract.status == Contract.Status.ACTIVE and contract.versions.get().is_signed
        milestones = list(contract.milestones.all())
        assert len(milestones) == 3
        assert sum(m.amount.amount for m in milestones) == contract.amount.amount
    for milestone in Milestone.objects.exclude(accepted_at=None).select_related("payment"):
        assert milestone.payment.amount == milestone.amount
        if milestone.status == Milestone.Status.PAID:
            assert milestone.payment.settled_at == milestone.paid_at > milestone.accepted_at
            (entry,) = milestone.payment.ledger.all()
            assert entry.amount == milestone.amount
        else:
            assert milestone.payment.status == Payment.Status.PENDING
    assert "none created" in seed(tenders=200, bids=600)

    seed(tenders=200, bids=600, reset=True)
    assert (
        Contract.objects.count() == Award.objects.filter(notice_ends_at__lt=timezone.now()).count()
    )
