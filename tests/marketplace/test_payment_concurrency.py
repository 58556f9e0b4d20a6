"""One payment per milestone under load, on PostgreSQL: 50 concurrent creations of the same
milestone's payment, then 40 more racing 20 webhooks (10 replays of one event and 10 other
events about the same PaymentIntent) → exactly one payment, one ledger entry. And the ledger
is append-only in the database itself."""

import json
import threading
import time

import pytest
import stripe
from django.db import DatabaseError, connection, transaction

from marketplace.gateways import GatewayResult
from marketplace.gateways.stripe import StripeGateway
from marketplace.models import GatewayEvent, LedgerEntry, Milestone, Payment
from marketplace.services.payments import payment_create_for_milestone, stripe_webhook_handle
from tests.marketplace.payment_helpers import accepted_milestone

CREATORS = 50
LATE_CREATORS = 40
REPLAYS = 10
OTHER_EVENTS = 10
MAX_CONNECTIONS = 40
SECRET = "whsec_race"
INTENT = "pi_race_1"


def _signed(event: dict) -> tuple[bytes, str]:
    payload = json.dumps(event).encode()
    timestamp = int(time.time())
    signature = stripe.WebhookSignature._compute_signature(
        f"{timestamp}.{payload.decode()}", SECRET
    )
    return payload, f"t={timestamp},v1={signature}"


def _run(calls):
    """Run the callables from their own threads and connections, released together."""
    barrier = threading.Barrier(len(calls))
    connections = threading.BoundedSemaphore(MAX_CONNECTIONS)
    results, lock = [], threading.Lock()

    def run(call):
        barrier.wait()
        with connections:
            try:
                outcome = ("ok", call())
            except Exception as error:  # collected and asserted below
                outcome = ("error", repr(error))
            finally:
                connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_creations_and_duplicate_webhooks_pay_once(postgres_only, settings, monkeypatch):
    settings.STRIPE_SECRET_KEY = "sk_test_race"
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    charges = []

    def charge(self, payment, *, attempt):  # Stripe accepted; the webhook will settle it
        charges.append((payment.pk, attempt))
        return GatewayResult(status="processing", reference=INTENT)

    monkeypatch.setattr(StripeGateway, "charge", charge)
    with transaction.atomic():  # the milestone sum is checked when the contract commits
        milestone, officer = accepted_milestone()
    buyer = milestone.contract.buyer
    buyer.stripe_customer_id, buyer.stripe_payment_method_id = "cus_race", "pm_race"
    buyer.save()
    connection.close()

    def create():
        return payment_create_for_milestone(milestone=Milestone(pk=milestone.pk), by=officer).pk

    first = _run([create] * CREATORS)
    assert [r for r in first if r[0] != "ok"] == []
    payment_pks = {r[1] for r in first}
    assert len(payment_pks) == 1
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.PROCESSING and payment.reference == INTENT
    assert charges == [(payment.pk, 1)]  # charged once, attempt 1

    intent = {
        "id": INTENT,
        "object": "payment_intent",
        "metadata": {"payment": str(payment.pk)},
    }
    replay = _signed(
        {"id": "evt_race", "type": "payment_intent.succeeded", "data": {"object": intent}}
    )
    others = [
        _signed(
            {"id": f"evt_race_{n}", "type": "payment_intent.succeeded", "data": {"object": intent}}
        )
        for n in range(OTHER_EVENTS)
    ]
    hooks = [
        (lambda body=body, sig=sig: stripe_webhook_handle(payload=body, signature=sig))
        for body, sig in [replay] * REPLAYS + others
    ]
    second = _run(hooks + [create] * LATE_CREATORS)
    assert [r for r in second if r[0] != "ok"] == []
    outcomes = [r[1] for r in second]
    assert outcomes.count("applied") == 1
    assert outcomes.count("replay") == REPLAYS - 1
    assert {r for r in outcomes if isinstance(r, int)} == payment_pks

    assert Payment.objects.count() == 1
    assert LedgerEntry.objects.count() == 1
    entry = LedgerEntry.objects.get()
    assert entry.reference == INTENT and entry.amount == milestone.amount
    assert GatewayEvent.objects.count() == 1 + OTHER_EVENTS
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    assert Milestone.objects.get(pk=milestone.pk).status == Milestone.Status.PAID


@pytest.mark.django_db
def test_ledger_rows_cannot_be_updated_or_deleted(postgres_only):
    """The database refuses to change or delete a ledger row, whatever the code does."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from marketplace.services.payments import payment_record_treasury

    milestone, officer = accepted_milestone()
    payment = payment_create_for_milestone(milestone=milestone, by=officer)
    payment_record_treasury(
        payment=payment,
        by=officer,
        voucher_number="GK1",
        voucher_date=timezone.localdate(),
        file=SimpleUploadedFile("v.pdf", b"%PDF"),
    )
    entry = LedgerEntry.objects.get()
    with pytest.raises(DatabaseError), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).update(reference="changed")
    with pytest.raises(DatabaseError), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).delete()
    assert LedgerEntry.objects.get().reference == "treasury:GK1"
