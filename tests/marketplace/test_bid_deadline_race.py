"""The bid deadline under load, on PostgreSQL: hundreds of organisations submit at once while
the deadline passes. The deadline is enforced where the bid is written, with the tender row
locked and by the database clock, so no bid lands at or after it and none is lost."""

import datetime
import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from djmoney.money import Money

from marketplace.dates import db_now
from marketplace.models import Bid, Tender
from marketplace.services.bids import bid_submit
from tests import factories

BIDDERS = 200
WAVES = 5
WAVE_GAP = 0.4  # seconds between waves
DEADLINE_AFTER = 1.0  # seconds after the release: wave 2 (0.8 s) straddles it
# PostgreSQL allows 100 connections here, shared with other test runs: cap ours.
MAX_CONNECTIONS = 40


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_bids_racing_the_deadline_are_either_stored_before_it_or_refused(postgres_only):
    """200 eligible organisations submit from their own threads and connections, in waves of
    40 released together around the deadline. Every call either returns a bid or raises the
    bidding-closed ValidationError; every returned bid is stored and live; the live bids are
    exactly the returned ones; no stored bid was submitted at or after the deadline; and both
    outcomes occur."""
    now = db_now()
    tender = factories.TenderFactory(
        clarification_deadline=now, bid_deadline=now + datetime.timedelta(hours=1)
    )
    members = [factories.OrganisationMembershipFactory() for _ in range(BIDDERS)]
    connection.close()  # the main thread's connection is not needed while the threads run

    barrier = threading.Barrier(BIDDERS + 1)
    connections = threading.BoundedSemaphore(MAX_CONNECTIONS)
    results = []
    lock = threading.Lock()

    def submit(index, membership):
        barrier.wait()
        time.sleep((index % WAVES) * WAVE_GAP)
        with connections:
            try:
                bid = bid_submit(
                    tender=Tender(pk=tender.pk),
                    organisation=membership.organisation,
                    by=membership.user,
                    amount=Money(f"{200000 + index}.00", "CNY"),
                    service_plan=f"方案{index}",
                    team="社工3名",
                    outputs="服务200人",
                    beneficiaries="辖区老人",
                )
                outcome = ("bid", bid.pk, bid.receipt_hash, membership.organisation_id)
            except ValidationError as error:
                outcome = ("closed",) if error.code == "bidding_closed" else ("other", repr(error))
            except Exception as error:
                outcome = ("error", repr(error))
            finally:
                connection.close()
        with lock:
            results.append(outcome)

    threads = [
        threading.Thread(target=submit, args=(index, membership))
        for index, membership in enumerate(members)
    ]
    for thread in threads:
        thread.start()
    deadline = db_now() + datetime.timedelta(seconds=DEADLINE_AFTER)
    Tender.objects.filter(pk=tender.pk).update(bid_deadline=deadline, opening_at=deadline)
    connection.close()
    barrier.wait()
    for thread in threads:
        thread.join(timeout=60)

    assert not any(thread.is_alive() for thread in threads)
    assert len(results) == BIDDERS
    unexpected = [outcome for outcome in results if outcome[0] not in ("bid", "closed")]
    assert unexpected == []
    receipts = {outcome[1]: outcome for outcome in results if outcome[0] == "bid"}
    closed = sum(1 for outcome in results if outcome[0] == "closed")
    assert len(receipts) > 0, "no bid got in before the deadline: tune DEADLINE_AFTER"
    assert closed > 0, "no bid was refused: tune WAVES / WAVE_GAP"
    assert len(receipts) + closed == BIDDERS

    stored = Bid.objects.filter(tender_id=tender.pk)
    assert not stored.filter(submitted_at__gte=deadline).exists()
    live = {bid.pk: bid for bid in stored.filter(Bid.LIVE)}
    assert set(live) == set(receipts)
    assert stored.count() == len(receipts)
    for pk, (_kind, _pk, receipt, organisation_id) in receipts.items():
        assert live[pk].receipt_hash == receipt
        assert live[pk].organisation_id == organisation_id
