import io

import pytest
from django.core.management import call_command

from marketplace.management.commands.seed_bench import BENCH_SERIALS, bench_rows
from marketplace.models import Buyer, Organisation
from marketplace.validators import validate_credit_code
from tests import factories

pytestmark = pytest.mark.django_db


def seed(**options):
    out = io.StringIO()
    call_command("seed_bench", stdout=out, **{"organisations": 50, "buyers": 5, **options})
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
