"""Payment pages: the treasury record, refunds and retries are for the buyer's officers only
(404 for others), the payments section of the contract page, and the buyer's card page."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.template import Context, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from marketplace.gateways import stripe as stripe_gateway
from marketplace.models import LedgerEntry, Payment
from marketplace.services.payments import payment_create_for_milestone, payment_record_treasury
from tests import factories
from tests.marketplace.payment_helpers import accepted_milestone

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending(mfa):
    milestone, officer = accepted_milestone()
    mfa(officer)
    return payment_create_for_milestone(milestone=milestone, by=officer), officer


def _record(client, payment, **data):
    values = {
        "voucher_number": "GK-2025-7",
        "voucher_date": timezone.localdate().isoformat(),
        "file": SimpleUploadedFile("voucher.pdf", b"%PDF-1.4"),
    }
    values.update(data)
    return client.post(reverse("payment_record_treasury", args=[payment.pk]), values)


def test_officer_records_treasury_transfer(client, pending):
    payment, officer = pending
    client.force_login(officer)
    assert client.get(reverse("payment_record_treasury", args=[payment.pk])).status_code == 200
    response = _record(client, payment)
    assert response.status_code == 302
    assert response["Location"].endswith(f"#payment-{payment.pk}")
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    assert LedgerEntry.objects.get().reference == "treasury:GK-2025-7"


def test_treasury_form_shows_service_errors(client, pending):
    payment, officer = pending
    client.force_login(officer)
    future = (timezone.localdate() + datetime.timedelta(days=2)).isoformat()
    response = _record(client, payment, voucher_date=future)
    assert response.status_code == 200
    assert "凭证日期不能晚于今天" in response.content.decode()
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING


@pytest.mark.parametrize("who", ["anonymous", "organisation", "other_officer"])
def test_payment_actions_404_for_others(client, pending, who, mfa):
    payment, _officer = pending
    if who == "organisation":
        client.force_login(
            factories.OrganisationMembershipFactory(organisation=payment.contract.organisation).user
        )
    elif who == "other_officer":
        other = factories.BuyerMembershipFactory().user
        mfa(other)
        client.force_login(other)
    for name in ("payment_record_treasury", "payment_retry", "payment_refund"):
        response = client.post(reverse(name, args=[payment.pk]))
        assert response.status_code in ((302,) if who == "anonymous" else (404,))
        if who == "anonymous":
            assert "login" in response["Location"]
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING


def test_refund_view(client, pending):
    payment, officer = pending
    client.force_login(officer)
    _record(client, payment)
    url = reverse("payment_refund", args=[payment.pk])
    too_much = client.post(url, {"amount": "90000.00", "reason": "追回"}, follow=True)
    assert "退款金额不能超过" in too_much.content.decode()
    client.post(url, {"amount": "1000.00", "reason": "中期评估不合格"})
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUNDED
    assert LedgerEntry.objects.filter(kind="refund").count() == 1


def _render_section(contract, user):
    request = RequestFactory().get("/")
    request.user = user
    from marketplace.selectors.payments import contract_payments

    return Template('{% include "marketplace/includes/contract_payments.html" %}').render(
        Context(
            {
                "contract": contract,
                "payments": list(contract_payments(contract)),
                "request": request,
            }
        )
    )


def test_payments_section_shows_balance_and_forms_to_the_buyer_only(pending):
    payment, officer = pending
    html = _render_section(payment.contract, officer)
    assert "登记国库集中支付" in html
    assert "280,000" in html or "280000" in html
    member = factories.OrganisationMembershipFactory(
        organisation=payment.contract.organisation
    ).user
    html = _render_section(payment.contract, member)
    assert "登记国库集中支付" not in html
    assert payment.get_status_display() in html


def test_payments_section_query_count_is_constant(pending):
    """The section costs the same number of queries with one payment or three."""
    payment, officer = pending
    contract = payment.contract
    with CaptureQueriesContext(connection) as one:
        _render_section(contract, officer)
    from marketplace.models import Milestone

    for milestone in contract.milestones.exclude(pk=payment.milestone_id):
        Milestone.objects.filter(pk=milestone.pk).update(
            status="accepted", accepted_at=timezone.now()
        )
        payment_create_for_milestone(milestone=milestone, by=officer)
    with CaptureQueriesContext(connection) as three:
        _render_section(contract, officer)
    assert len(three) == len(one)


def test_buyer_profile_shows_punctuality(client, pending):
    payment, officer = pending
    payment_record_treasury(
        payment=payment,
        by=officer,
        voucher_number="GK1",
        voucher_date=timezone.localdate(),
        file=SimpleUploadedFile("v.pdf", b"%PDF"),
    )
    response = client.get(reverse("buyer_detail", args=[payment.contract.buyer_id]))
    assert response.status_code == 200
    assert "付款及时性" in response.content.decode()
    assert response.context["punctuality"].paid_count == 1


def test_payment_method_page_without_stripe(client, pending, settings):
    settings.STRIPE_SECRET_KEY = ""
    payment, officer = pending
    client.force_login(officer)
    response = client.get(reverse("buyer_payment_method", args=[payment.contract.buyer_id]))
    assert response.status_code == 200
    assert "国库集中支付" in response.content.decode()
    client.force_login(factories.UserFactory())
    assert (
        client.get(reverse("buyer_payment_method", args=[payment.contract.buyer_id])).status_code
        == 404
    )


def test_payment_method_page_saves_a_card_through_a_setup_intent(client, pending, localstripe):
    """GET makes the buyer a Stripe customer and a SetupIntent for Stripe.js (loaded from
    js.stripe.com); once the SetupIntent is confirmed, POSTing its id saves the card."""
    payment, officer = pending
    buyer = payment.contract.buyer
    client.force_login(officer)
    url = reverse("buyer_payment_method", args=[buyer.pk])
    response = client.get(url)
    html = response.content.decode()
    assert "https://js.stripe.com/v3/" in html and "_secret_" in html
    buyer.refresh_from_db()
    assert buyer.stripe_customer_id.startswith("cus_")
    stripe_client = stripe_gateway.client()
    method = stripe_client.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"},
        }
    )
    intent = stripe_client.v1.setup_intents.create(params={"customer": buyer.stripe_customer_id})
    # What Stripe.js does in the browser with the client secret and the card element:
    stripe_client.v1.setup_intents.confirm(intent.id, params={"payment_method": method.id})
    response = client.post(url, {"setup_intent": intent.id})
    assert response.status_code == 302
    buyer.refresh_from_db()
    assert buyer.stripe_payment_method_id == method.id
