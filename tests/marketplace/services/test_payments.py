"""Payment services on the treasury path (the zero-setup default): creation is idempotent,
the officer records the transfer, refunds never exceed what was paid, balances come from the
ledger, punctuality on a fixed calendar; every refusal changes nothing."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from djmoney.money import Money

from marketplace.models import AuditEntry, LedgerEntry, Milestone, Payment
from marketplace.selectors.payments import (
    buyer_punctuality,
    contract_balance,
    milestone_punctuality,
    punctuality,
)
from marketplace.services.payments import (
    payment_create_for_milestone,
    payment_record_treasury,
    payment_refund,
    payment_retry,
)
from tests import factories
from tests.marketplace.payment_helpers import accepted_milestone

pytestmark = pytest.mark.django_db

BEIJING = datetime.timezone(datetime.timedelta(hours=8))


def _voucher(name="voucher.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4 voucher", content_type="application/pdf")


def _snapshot():
    return (
        list(Payment.objects.values_list("pk", "status", "reference", "refunded_amount")),
        list(LedgerEntry.objects.values_list("pk", "kind", "amount")),
        list(Milestone.objects.values_list("pk", "status", "paid_at")),
        AuditEntry.objects.count(),
    )


def _paid(milestone=None, officer=None, **kwargs):
    if milestone is None:
        milestone, officer = accepted_milestone(**kwargs)
    payment = payment_create_for_milestone(milestone=milestone, by=officer)
    payment_record_treasury(
        payment=payment,
        by=officer,
        voucher_number=f"GK{milestone.pk:06d}",
        voucher_date=timezone.localdate(),
        file=_voucher(),
    )
    payment.refresh_from_db()
    return payment, officer


def test_create_is_idempotent_and_treasury_by_default():
    """Without a Stripe key the payment waits for a treasury record; asking again returns
    the same row with the same idempotency key and amount."""
    milestone, officer = accepted_milestone()
    first = payment_create_for_milestone(milestone=milestone, by=officer)
    second = payment_create_for_milestone(milestone=milestone, by=officer)
    assert first.pk == second.pk
    assert first.gateway == Payment.Gateway.TREASURY
    assert first.status == Payment.Status.PENDING
    assert first.idempotency_key == f"milestone-{milestone.pk}"
    assert first.amount == milestone.amount
    assert Payment.objects.count() == 1


def test_stripe_gateway_needs_key_and_card(settings):
    """A saved card without a platform key, or a key without a card, means treasury."""
    milestone, officer = accepted_milestone()
    buyer = milestone.contract.buyer
    buyer.stripe_customer_id, buyer.stripe_payment_method_id = "cus_1", "pm_1"
    buyer.save()
    settings.STRIPE_SECRET_KEY = ""
    assert payment_create_for_milestone(milestone=milestone, by=officer).gateway == "treasury"


def test_create_refused_for_unaccepted_milestone_or_outsider():
    """A milestone not accepted has no payment; an outsider may not create one."""
    milestone, officer = accepted_milestone()
    other = milestone.contract.milestones.exclude(pk=milestone.pk).first()
    before = _snapshot()
    with pytest.raises(ValidationError) as raised:
        payment_create_for_milestone(milestone=other, by=officer)
    assert raised.value.code == "milestone_not_accepted"
    with pytest.raises(PermissionDenied):
        payment_create_for_milestone(milestone=milestone, by=factories.UserFactory())
    assert _snapshot() == before


def test_treasury_record_settles_payment_ledger_and_milestone(
    django_capture_on_commit_callbacks, mailoutbox
):
    """The officer's record: SUCCEEDED, settled on the voucher date, one ledger entry
    `treasury:<voucher>`, the milestone PAID, the organisation told."""
    milestone, officer = accepted_milestone(accepted_at=timezone.now() - datetime.timedelta(days=5))
    payment = payment_create_for_milestone(milestone=milestone, by=officer)
    day = timezone.localdate() - datetime.timedelta(days=2)
    with django_capture_on_commit_callbacks(execute=True):
        payment_record_treasury(
            payment=payment,
            by=officer,
            voucher_number=" GK2025-001 ",
            voucher_date=day,
            file=_voucher(),
        )
    payment.refresh_from_db()
    milestone.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    assert payment.reference == "GK2025-001" and payment.voucher_date == day
    assert timezone.localtime(payment.settled_at).date() == day
    assert payment.voucher_file.name
    entry = LedgerEntry.objects.get()
    assert entry.reference == "treasury:GK2025-001" and entry.amount == milestone.amount
    assert entry.kind == LedgerEntry.Kind.PAYMENT and entry.recorded_by == officer
    assert milestone.status == Milestone.Status.PAID and milestone.paid_at == payment.settled_at
    assert len(mailoutbox) == 1 and "已支付" in mailoutbox[0].subject


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"voucher_number": "  "}, "voucher_number"),
        ({"voucher_number": "X" * 61}, "voucher_number"),
        ({"voucher_date": None}, "voucher_date"),
        ({"voucher_date": "future"}, "voucher_date"),
        ({"voucher_date": "before_acceptance"}, "voucher_date"),
        ({"file": None}, "file"),
        ({"file": "exe"}, "file"),
    ],
)
def test_treasury_record_bad_input_changes_nothing(changes, field):
    """Each bad field is refused on that field, and nothing changes."""
    milestone, officer = accepted_milestone(accepted_at=timezone.now() - datetime.timedelta(days=3))
    payment = payment_create_for_milestone(milestone=milestone, by=officer)
    values = {
        "voucher_number": "GK1",
        "voucher_date": timezone.localdate(),
        "file": _voucher(),
    }
    values.update(changes)
    if values["voucher_date"] == "future":
        values["voucher_date"] = timezone.localdate() + datetime.timedelta(days=1)
    if values["voucher_date"] == "before_acceptance":
        values["voucher_date"] = timezone.localdate() - datetime.timedelta(days=10)
    if values["file"] == "exe":
        values["file"] = _voucher("virus.exe")
    before = _snapshot()
    with pytest.raises(ValidationError) as raised:
        payment_record_treasury(payment=payment, by=officer, **values)
    assert field in raised.value.message_dict
    assert _snapshot() == before


def test_treasury_record_refused_twice_for_outsiders_and_duplicate_vouchers():
    """A settled payment cannot be recorded again; an organisation member or a stranger
    cannot record; one voucher number cannot pay two milestones."""
    payment, officer = _paid()
    before = _snapshot()
    with pytest.raises(ValidationError):
        payment_record_treasury(
            payment=payment,
            by=officer,
            voucher_number="GK9",
            voucher_date=timezone.localdate(),
            file=_voucher(),
        )
    milestone2, officer2 = accepted_milestone()
    payment2 = payment_create_for_milestone(milestone=milestone2, by=officer2)
    before = _snapshot()
    outsider = factories.OrganisationMembershipFactory(
        organisation=milestone2.contract.organisation
    ).user
    with pytest.raises(PermissionDenied):
        payment_record_treasury(
            payment=payment2,
            by=outsider,
            voucher_number="GK8",
            voucher_date=timezone.localdate(),
            file=_voucher(),
        )
    with pytest.raises(ValidationError) as raised:
        payment_record_treasury(
            payment=payment2,
            by=officer2,
            voucher_number=payment.reference,
            voucher_date=timezone.localdate(),
            file=_voucher(),
        )
    assert "voucher_number" in raised.value.message_dict
    assert _snapshot() == before


def test_retry_refused_for_treasury_payments():
    """Treasury payments are recorded, not retried."""
    milestone, officer = accepted_milestone()
    payment = payment_create_for_milestone(milestone=milestone, by=officer)
    before = _snapshot()
    with pytest.raises(ValidationError):
        payment_retry(payment=payment, by=officer)
    assert _snapshot() == before


def test_refunds_up_to_what_was_paid_and_balance_from_ledger():
    """Partial refunds add up to at most the paid amount; the balance follows the ledger:
    paid, refunded, net paid, outstanding = contract amount − net paid."""
    payment, officer = _paid()
    contract = payment.contract
    balance = contract_balance(contract)
    assert balance["paid"] == Money("84000.00", "CNY")
    assert balance["outstanding"] == Money("196000.00", "CNY")
    payment_refund(payment=payment, by=officer, amount=Money("4000.00", "CNY"), reason="扣减")
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUNDED
    assert payment.refunded_amount == Money("4000.00", "CNY")
    before = _snapshot()
    with pytest.raises(ValidationError) as raised:
        payment_refund(payment=payment, by=officer, amount=Money("80000.01", "CNY"), reason="追回")
    assert "amount" in raised.value.message_dict
    assert _snapshot() == before
    payment_refund(payment=payment, by=officer, amount=Money("80000.00", "CNY"), reason="追回")
    balance = contract_balance(contract)
    assert balance["refunded"] == Money("84000.00", "CNY")
    assert balance["net_paid"] == Money("0.00", "CNY")
    assert balance["outstanding"] == contract.amount
    assert LedgerEntry.objects.filter(kind="refund").count() == 2


@pytest.mark.parametrize(
    ("amount", "reason", "error"),
    [
        (Money("0.00", "CNY"), "理由", ValidationError),
        (Money("1.001", "CNY"), "理由", ValidationError),
        (Money("10.00", "USD"), "理由", ValidationError),
        (Money("10.00", "CNY"), "  ", ValidationError),
        (Decimal("10.00"), "理由", TypeError),
    ],
)
def test_refund_bad_input_changes_nothing(amount, reason, error):
    payment, officer = _paid()
    before = _snapshot()
    with pytest.raises(error):
        payment_refund(payment=payment, by=officer, amount=amount, reason=reason)
    assert _snapshot() == before


def test_refund_refused_before_settlement_and_for_outsiders():
    milestone, officer = accepted_milestone()
    pending = payment_create_for_milestone(milestone=milestone, by=officer)
    before = _snapshot()
    with pytest.raises(ValidationError):
        payment_refund(payment=pending, by=officer, amount=Money("1.00", "CNY"), reason="x")
    paid, _officer = _paid()
    before = _snapshot()
    with pytest.raises(PermissionDenied):
        payment_refund(
            payment=paid, by=factories.UserFactory(), amount=Money("1.00", "CNY"), reason="x"
        )
    assert _snapshot() == before


def test_punctuality_on_a_fixed_calendar_over_national_day():
    """Accepted 30 Sep 2025, paid 9 Oct: 9 calendar days but 1 working day (1–8 Oct is the
    National Day holiday). Accepted 26 Sep, paid 31 Oct: 35 days, 21 working days, late."""
    on_time = punctuality(
        datetime.datetime(2025, 9, 30, 16, 0, tzinfo=BEIJING),
        datetime.datetime(2025, 10, 9, 10, 0, tzinfo=BEIJING),
    )
    assert (on_time.calendar_days, on_time.working_days, on_time.late) == (9, 1, False)
    late = punctuality(
        datetime.datetime(2025, 9, 26, 9, 0, tzinfo=BEIJING),
        datetime.datetime(2025, 10, 31, 9, 0, tzinfo=BEIJING),
    )
    assert (late.calendar_days, late.working_days, late.late) == (35, 21, True)
    unpaid = punctuality(
        datetime.datetime(2025, 9, 26, 9, 0, tzinfo=BEIJING),
        None,
        today=datetime.date(2025, 10, 27),
    )
    assert unpaid.paid is False and unpaid.calendar_days == 31 and unpaid.late
    # Exactly 30 days is on time.
    assert not punctuality(
        datetime.datetime(2025, 3, 1, 9, 0, tzinfo=BEIJING),
        datetime.datetime(2025, 3, 31, 9, 0, tzinfo=BEIJING),
    ).late


def test_buyer_punctuality_median_share_and_overdue(django_assert_num_queries):
    """Median days to pay, share within 30 days, late count and milestones overdue now."""
    buyer = factories.BuyerFactory()
    now = timezone.now()
    days = [10, 20, 45]
    for count in days:
        milestone, officer = accepted_milestone(
            buyer=buyer, accepted_at=now - datetime.timedelta(days=count)
        )
        _paid(milestone, officer)
    accepted_milestone(buyer=buyer, accepted_at=now - datetime.timedelta(days=31))  # overdue
    accepted_milestone(buyer=buyer, accepted_at=now - datetime.timedelta(days=3))  # not yet
    with django_assert_num_queries(2):
        stats = buyer_punctuality(buyer)
    assert stats.paid_count == 3
    assert stats.median_days == 20
    assert stats.on_time_percent == 67 and stats.late_count == 1
    assert stats.overdue_now == 1
    assert buyer_punctuality(factories.BuyerFactory()).median_days is None


def test_milestone_punctuality_of_a_paid_milestone():
    payment, _officer = _paid(accepted_at=timezone.now() - datetime.timedelta(days=40))
    result = milestone_punctuality(payment.milestone)
    assert result.paid and result.calendar_days == 40 and result.late
