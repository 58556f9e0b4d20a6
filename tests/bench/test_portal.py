"""bench/portal.py: published result pages (项目成果) of bench contracts completed through the
services, topped up like the rest of the bench data, and deleted before `seed_bench --reset`
(they protect the contracts it deletes)."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import OutputWrapper
from django.db.models import ProtectedError

from bench.portal import reset_results, seed_results
from cms.models import ResultPage
from marketplace.models import AuditEntry, Contract, RatingRound

pytestmark = pytest.mark.django_db


@pytest.fixture
def bench(django_capture_on_commit_callbacks):
    """Bench marketplace rows with some ended contracts; events sent on commit are delivered."""
    call_command(
        "seed_bench", organisations=50, buyers=5, tenders=200, bids=600, stdout=io.StringIO()
    )
    with django_capture_on_commit_callbacks(execute=True):
        yield


def seed(wanted):
    out = io.StringIO()
    seed_results(wanted, stdout=OutputWrapper(out))
    return out.getvalue()


def test_result_pages_are_published_for_completed_contracts_with_a_story(bench, client):
    """Seeding 3 completes three bench contracts through the services (audit entry, completion
    evaluation round) and publishes their result pages with a story of several paragraphs,
    reporting progress; a page renders with the contract's parties."""
    output = seed(3)

    pages = list(ResultPage.objects.live().select_related("contract__tender"))
    assert len(pages) == 3
    assert "3/3" in output and "published 3" in output
    for page in pages:
        contract = page.contract
        assert contract.status == Contract.Status.COMPLETED
        assert page.title == contract.tender.title
        assert RatingRound.objects.filter(contract=contract, kind="completion").count() == 1
        assert AuditEntry.objects.filter(
            object_id=str(contract.pk), to_status=Contract.Status.COMPLETED
        ).exists()
        kinds = [block.block_type for block in page.story]
        assert kinds.count("heading") == 3 and kinds.count("paragraph") >= 4
        assert len("".join(str(block.value) for block in page.story)) >= 600
    assert Contract.objects.filter(status=Contract.Status.COMPLETED).count() == 3
    response = client.get(pages[0].url)
    assert response.status_code == 200
    assert pages[0].contract.organisation.name in response.content.decode()


def test_seeding_again_tops_up_and_keeps_what_is_published(bench):
    """A second run with the same count publishes nothing; a larger count adds the difference
    and keeps the pages already published."""
    seed(2)
    first = set(ResultPage.objects.live().values_list("pk", flat=True))

    assert "2 published already, none created" in seed(2)
    seed(4)

    now = set(ResultPage.objects.live().values_list("pk", flat=True))
    assert len(now) == 4 and first < now
    assert Contract.objects.filter(status=Contract.Status.COMPLETED).count() == 4


def test_a_completed_contract_with_a_draft_is_published_first(bench):
    """A bench contract already completed with a draft (the editor never published it) gets
    its story and is published before any other contract is completed."""
    seed(1)
    page = ResultPage.objects.get()
    page.unpublish()

    seed(1)

    page.refresh_from_db()
    assert page.live and ResultPage.objects.count() == 1
    assert Contract.objects.filter(status=Contract.Status.COMPLETED).count() == 1


def test_deleting_the_result_pages_lets_seed_bench_reset_the_contracts(bench):
    """The pages and evaluation rounds protect their contracts, so `seed_bench --reset` fails
    with them; after `reset_results` it reseeds, with no result page or completed contract."""
    seed(2)
    reseed = {"organisations": 50, "buyers": 5, "tenders": 200, "bids": 600, "reset": True}
    with pytest.raises(ProtectedError):
        call_command("seed_bench", stdout=io.StringIO(), **reseed)

    reset_results(stdout=OutputWrapper(io.StringIO()))
    call_command("seed_bench", stdout=io.StringIO(), **reseed)

    assert not ResultPage.objects.exists()
    assert not RatingRound.objects.exists()
    assert Contract.objects.exists()
    assert not Contract.objects.filter(status=Contract.Status.COMPLETED).exists()


def test_the_probe_measures_a_result_page_cached_and_rendered(bench, settings):
    """`--pages result` probes the bare view and the newest result page twice: anonymous, served
    by the page cache without a query, and with the bench's session cookie, rendered every time."""
    from bench.probe import probe

    settings.ROOT_URLCONF = "bench.urls"
    seed(2)
    newest = ResultPage.objects.live().order_by("-first_published_at", "-pk").first()

    found = probe(["result"])

    pages = found["pages"]
    assert list(pages) == ["bare", "result", "result_uncached"]
    assert found["results"] == 2
    assert pages["result"]["url"] == pages["result_uncached"]["url"] == newest.url
    assert {page["status"] for page in pages.values()} == {200}
    # A hit reads only the cache: in memory in the tests (the bench's database cache: 1 query).
    assert pages["result"]["cache"] == "hit" and pages["result"]["queries"] == 0
    assert pages["result_uncached"]["cache"] == "-" and pages["result_uncached"]["queries"] > 1
