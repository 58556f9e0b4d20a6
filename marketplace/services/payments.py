"""Writes about payments: create the one payment of an accepted milestone, charge it through
its gateway, retry a failed charge, record a treasury transfer (国库集中支付), handle Stripe's
signed webhooks, and refund (clawback).

Rules:
- One payment per milestone, whatever happens: the milestone row is locked, the payment's
  milestone is one-to-one and its idempotency key (``milestone-<pk>``) unique; a concurrent
  caller that loses the race gets the existing payment.
- Stripe is charged after the transaction that created the payment commits (never inside
  it: the acceptance must not wait on, or be rolled back by, the network). The payment is
  PROCESSING from that commit; the charge's synchronous result or the signed webhook settles
  it, whichever comes first, and the other is a no-op.
- Money moves only through LedgerEntry rows (append-only, one per gateway movement by its
  unique reference); balances are their sums (selectors/payments.py).
- Every status change goes through `transition()`.
"""

import datetime
import logging
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from djmoney.money import Money

from marketplace import permissions, tasks
from marketplace.dates import db_now
from marketplace.gateways import GatewayError, GatewayResult, gateway_for, gateway_name_for_buyer
from marketplace.models import GatewayEvent, LedgerEntry, Milestone, Payment

# services/contracts imports this module (clawbacks call payment_refund): import the module,
# not its names, so either may be imported first.
from marketplace.services import contracts as contract_services
from marketplace.services.audit import audit_record
from marketplace.workflows import transition

logger = logging.getLogger(__name__)

Status = Payment.Status
VOUCHER_MAX_BYTES = 10 * 1024 * 1024
VOUCHER_EXTENSIONS = (".pdf", ".jpg", ".jpeg", ".png")


def _field_error(field, message, code) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def _lock(payment) -> Payment:
    return (
        Payment.objects.select_for_update(of=("self",))
        .select_related("contract__buyer", "contract__organisation", "milestone")
        .get(pk=payment.pk)
    )


def _require_buyer(user, payment_or_contract):
    contract = getattr(payment_or_contract, "contract", payment_or_contract)
    if not permissions.is_contract_buyer(user, contract):
        raise PermissionDenied(_("只有购买主体的经办人可以办理付款。"))


# Creating and charging.


@transaction.atomic
def payment_create_for_milestone(*, milestone: Milestone, by) -> Payment:
    """The payment of an accepted milestone, for exactly its amount; the existing one if
    there is one (double clicks, retries and concurrent acceptances get the same row).
    Stripe (the platform has a key and the buyer saved a card) charges after commit;
    otherwise the payment waits for the officer to record the treasury transfer."""
    locked = (
        Milestone.objects.select_for_update(of=("self",))
        .select_related("contract__buyer")
        .get(pk=milestone.pk)
    )
    existing = Payment.objects.filter(milestone=locked).first()
    if existing is not None:
        return existing
    contract = locked.contract
    if by is not None:
        _require_buyer(by, contract)
    if locked.status != Milestone.Status.ACCEPTED:
        raise ValidationError(_("履约节点验收通过后才能付款。"), code="milestone_not_accepted")
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                milestone=locked,
                contract=contract,
                amount=locked.amount,
                gateway=gateway_name_for_buyer(contract.buyer),
                idempotency_key=f"milestone-{locked.pk}",
            )
    except IntegrityError:
        # Only reachable without the milestone lock (another path created it meanwhile).
        return Payment.objects.get(milestone=locked)
    audit_record(obj=payment, by=by, action="create", data={"gateway": payment.gateway})
    if payment.gateway == Payment.Gateway.STRIPE and by is not None:
        _attempt_start(payment, by=by)
    return payment


def _attempt_start(payment: Payment, *, by) -> None:
    """A new charge attempt: PROCESSING now, the gateway called once this commits."""
    transition(payment, Status.PROCESSING, by=by)
    payment.attempts += 1
    payment.failure_message = ""
    payment.save(update_fields=["attempts", "failure_message", "updated_at"])
    attempt = payment.attempts
    transaction.on_commit(lambda: payment_charge(payment_pk=payment.pk, attempt=attempt))


def payment_charge(*, payment_pk: int, attempt: int) -> GatewayResult | None:
    """Send attempt `attempt` of a payment to its gateway and apply the result. Runs outside
    any transaction (a network call); does nothing if the attempt is no longer current."""
    payment = Payment.objects.select_related(
        "contract__buyer", "contract__organisation", "milestone"
    ).get(pk=payment_pk)
    if payment.status != Status.PROCESSING or payment.attempts != attempt:
        return None
    try:
        result = gateway_for(payment).charge(payment, attempt=attempt)
    except GatewayError as error:
        # The attempt may have reached Stripe: stay PROCESSING (the webhook settles it, and
        # payment_retry resubmits the same attempt with the same idempotency key).
        _attempt_note(payment_pk=payment_pk, attempt=attempt, message=error.message)
        return None
    _attempt_apply(payment_pk=payment_pk, attempt=attempt, result=result)
    return result


@transaction.atomic
def _attempt_note(*, payment_pk: int, attempt: int, message: str) -> None:
    payment = Payment.objects.select_for_update().get(pk=payment_pk)
    if payment.status == Status.PROCESSING and payment.attempts == attempt:
        payment.failure_message = message[:500]
        payment.save(update_fields=["failure_message", "updated_at"])


@transaction.atomic
def _attempt_apply(*, payment_pk: int, attempt: int, result: GatewayResult) -> None:
    payment = _lock(Payment(pk=payment_pk))
    if payment.status != Status.PROCESSING or payment.attempts != attempt:
        return  # a webhook got there first, or a newer attempt started
    if result.status == "succeeded":
        _settle(payment, reference=result.reference, by=None)
        return
    payment.reference = result.reference
    if result.status in ("processing", "pending"):
        payment.failure_message = ""
        payment.save(update_fields=["reference", "failure_message", "updated_at"])
        return
    _fail(payment, message=result.failure_message or _("扣款未成功。"))


def _fail(payment: Payment, *, message: str) -> None:
    transition(payment, Status.FAILED, by=None, reason=message)
    payment.failure_message = message[:500]
    payment.save(update_fields=["reference", "failure_message", "updated_at"])
    transaction.on_commit(lambda: _mail_buyer_failed(payment))


def _settle(
    payment: Payment, *, reference: str, by, ledger_reference: str = "", settled_at=None
) -> None:
    """Mark a locked payment settled: ledger entry, milestone PAID, contract maybe done."""
    now = db_now()
    settled_at = settled_at or now
    transition(payment, Status.SUCCEEDED, by=by)
    payment.reference = reference
    payment.settled_at = settled_at
    payment.failure_message = ""
    payment.save(update_fields=["reference", "settled_at", "failure_message", "updated_at"])
    LedgerEntry.objects.create(
        payment=payment,
        contract_id=payment.contract_id,
        kind=LedgerEntry.Kind.PAYMENT,
        amount=payment.amount,
        reference=ledger_reference or reference,
        recorded_by=by,
        created_at=now,
    )
    milestone = Milestone.objects.select_for_update().get(pk=payment.milestone_id)
    if milestone.status == Milestone.Status.ACCEPTED:
        transition(milestone, Milestone.Status.PAID, by=by)
        milestone.paid_at = settled_at
        milestone.save(update_fields=["paid_at", "updated_at"])
    else:
        # Money arrived for a milestone cancelled meanwhile: keep the record, flag it.
        logger.error(
            "Payment %s settled for milestone %s in status %s",
            payment.pk,
            milestone.pk,
            milestone.status,
        )
    contract_services.contract_complete_if_done(payment.contract)
    transaction.on_commit(lambda: _mail_organisation_paid(payment))


@transaction.atomic
def payment_retry(*, payment: Payment, by) -> Payment:
    """Charge again. A failed payment gets a new attempt (a new PaymentIntent); a pending
    one its first; a processing one whose call did not get through resubmits the same
    attempt (Stripe returns the same PaymentIntent for the same idempotency key)."""
    locked = _lock(payment)
    _require_buyer(by, locked)
    if locked.gateway != Payment.Gateway.STRIPE:
        raise ValidationError(_("国库集中支付无需重试，请登记国库支付凭证。"), code="not_retryable")
    if not (locked.contract.buyer.stripe_payment_method_id and settings.STRIPE_SECRET_KEY):
        raise ValidationError(_("请先绑定付款银行卡。"), code="no_payment_method")
    if locked.status in (Status.PENDING, Status.FAILED):
        _attempt_start(locked, by=by)
    elif locked.status == Status.PROCESSING and locked.failure_message:
        attempt = locked.attempts
        audit_record(obj=locked, by=by, action="resubmit", data={"attempt": attempt})
        transaction.on_commit(lambda: payment_charge(payment_pk=locked.pk, attempt=attempt))
    else:
        raise ValidationError(
            _("“%(status)s”状态的支付不能重试。") % {"status": locked.get_status_display()},
            code="not_retryable",
        )
    payment.status, payment.attempts = locked.status, locked.attempts
    return locked


def _check_voucher_file(file):
    if not file:
        raise _field_error("file", _("请上传国库支付凭证。"), "file_required")
    name = (getattr(file, "name", "") or "").lower()
    if not name.endswith(VOUCHER_EXTENSIONS):
        raise _field_error("file", _("凭证须为PDF或图片（JPG、PNG）。"), "file_type")
    if file.size > VOUCHER_MAX_BYTES:
        raise _field_error("file", _("凭证文件不能超过10MB。"), "file_size")


@transaction.atomic
def payment_record_treasury(
    *, payment: Payment, by, voucher_number: str, voucher_date: datetime.date, file
) -> Payment:
    """The buyer officer records the treasury transfer of the payment's whole amount:
    voucher number (unique across the ledger), date (not in the future, not before the
    acceptance) and file. Settles the payment and marks the milestone paid."""
    locked = _lock(payment)
    _require_buyer(by, locked)
    if locked.gateway != Payment.Gateway.TREASURY:
        raise ValidationError(_("该笔款项通过在线支付结算，不能登记国库凭证。"), code="gateway")
    if locked.status != Status.PENDING:
        raise ValidationError(
            _("“%(status)s”状态的支付不能登记国库凭证。") % {"status": locked.get_status_display()},
            code="not_pending",
        )
    voucher_number = (voucher_number or "").strip()
    if not voucher_number or len(voucher_number) > 60:
        raise _field_error("voucher_number", _("请填写国库支付凭证号（60字以内）。"), "voucher")
    ledger_reference = f"treasury:{voucher_number}"
    if LedgerEntry.objects.filter(reference=ledger_reference).exists():
        raise _field_error("voucher_number", _("该凭证号已登记过。"), "voucher_duplicate")
    today = timezone.localdate()
    accepted = locked.milestone.accepted_at
    if voucher_date is None or voucher_date > today:
        raise _field_error("voucher_date", _("凭证日期不能晚于今天。"), "voucher_date")
    if accepted and voucher_date < timezone.localtime(accepted).date():
        raise _field_error("voucher_date", _("凭证日期不能早于验收日期。"), "voucher_date")
    _check_voucher_file(file)
    locked.voucher_date = voucher_date
    locked.voucher_file.save(file.name.rsplit("/", 1)[-1], file, save=False)
    locked.save(update_fields=["voucher_date", "voucher_file", "updated_at"])
    # The voucher date, not the moment of typing, is when the money was paid (punctuality).
    settled_at = timezone.make_aware(
        datetime.datetime.combine(voucher_date, datetime.time(12)),
        timezone.get_current_timezone(),
    )
    if accepted and settled_at < accepted:
        settled_at = accepted
    _settle(
        locked,
        reference=voucher_number,
        by=by,
        ledger_reference=ledger_reference,
        settled_at=settled_at,
    )
    payment.refresh_from_db(fields=["status"])
    return locked


# Webhooks.


def stripe_webhook_handle(*, payload: bytes, signature: str) -> str:
    """Verify and apply one Stripe webhook. Returns what happened ("applied", "replay",
    "ignored", "unknown"). A bad signature or an old timestamp raises WebhookRejected."""
    from marketplace.gateways import stripe as stripe_gateway

    if not settings.STRIPE_WEBHOOK_SECRET:
        raise WebhookRejected("no webhook secret configured")
    try:
        event = stripe_gateway.webhook_event(payload, signature)
    except (stripe_gateway.SignatureError, ValueError) as error:
        raise WebhookRejected(str(error)) from error
    return _event_apply(event)


class WebhookRejected(Exception):
    """The webhook's signature, timestamp or body is not acceptable (answer 400)."""


@transaction.atomic
def _event_apply(event: dict) -> str:
    event_id, kind = event.get("id", ""), event.get("type", "")
    try:
        with transaction.atomic():
            GatewayEvent.objects.create(
                gateway=Payment.Gateway.STRIPE, event_id=event_id, type=kind[:80]
            )
    except IntegrityError:
        return "replay"
    if kind not in ("payment_intent.succeeded", "payment_intent.payment_failed"):
        return "ignored"
    intent = (event.get("data") or {}).get("object") or {}
    payment = _payment_for_intent(intent)
    if payment is None:
        logger.warning(
            "Stripe event %s for an unknown PaymentIntent %s", event_id, intent.get("id")
        )
        return "unknown"
    if kind == "payment_intent.succeeded":
        return _intent_succeeded(payment, intent)
    return _intent_failed(payment, intent)


def _payment_for_intent(intent: dict) -> Payment | None:
    intent_id = intent.get("id") or ""
    payment_pk = str((intent.get("metadata") or {}).get("payment", ""))
    queryset = Payment.objects.filter(gateway=Payment.Gateway.STRIPE)
    payment = None
    if payment_pk.isdigit():
        payment = queryset.filter(pk=int(payment_pk)).first()
    if payment is None and intent_id:
        payment = queryset.filter(reference=intent_id).first()
    return _lock(payment) if payment is not None else None


def _intent_succeeded(payment: Payment, intent: dict) -> str:
    intent_id = intent.get("id", "")
    if payment.status in (Status.PENDING, Status.PROCESSING):
        _settle(payment, reference=intent_id, by=None)
        return "applied"
    if payment.status == Status.SUCCEEDED and payment.reference == intent_id:
        return "ignored"
    logger.error(
        "PaymentIntent %s succeeded for payment %s in status %s (reference %s): check for a "
        "double charge",
        intent_id,
        payment.pk,
        payment.status,
        payment.reference,
    )
    return "ignored"


def _intent_failed(payment: Payment, intent: dict) -> str:
    intent_id = intent.get("id", "")
    if payment.status != Status.PROCESSING or payment.reference not in ("", intent_id):
        return "ignored"  # already failed synchronously, or an older attempt
    error = intent.get("last_payment_error") or {}
    payment.reference = intent_id
    _fail(payment, message=error.get("message") or _("扣款未成功。"))
    return "applied"


# Refunds.


def _check_money(amount) -> Money:
    if not isinstance(amount, Money):
        raise TypeError("amount must be a Money")
    value = Decimal(amount.amount)
    if str(amount.currency) != "CNY" or value <= 0 or value != value.quantize(Decimal("0.01")):
        raise _field_error(
            "amount", _("退款金额须为大于0的人民币金额，最多保留两位小数。"), "amount"
        )
    return amount


@transaction.atomic
def payment_refund(*, payment: Payment, by, amount: Money, reason: str) -> LedgerEntry:
    """Refund (claw back) part or all of a settled payment: at most what was paid minus
    what was refunded already. Stripe refunds the PaymentIntent (the call is made inside
    the transaction so a refusal changes nothing; its idempotency key makes a repeat safe);
    a treasury refund is recorded. The payment becomes REFUNDED; further partial refunds
    of it remain possible up to the paid amount."""
    locked = _lock(payment)
    if by is not None:
        _require_buyer(by, locked)
    reason = (reason or "").strip()
    if not reason:
        raise _field_error("reason", _("请填写退款理由。"), "reason_required")
    _check_money(amount)
    if locked.status not in (Status.SUCCEEDED, Status.REFUNDED):
        raise ValidationError(_("只有已到账的款项可以退款。"), code="not_settled")
    refunded = locked.refunded_amount or Money("0.00", "CNY")
    available = locked.amount - refunded
    if amount > available:
        raise _field_error(
            "amount",
            _("退款金额不能超过可退金额 %(available)s。") % {"available": available},
            "amount_too_large",
        )
    count = locked.ledger.filter(kind=LedgerEntry.Kind.REFUND).count() + 1
    if locked.gateway == Payment.Gateway.STRIPE:
        try:
            reference = gateway_for(locked).refund(locked, amount=amount, reason=reason)
        except GatewayError as error:
            raise ValidationError(error.message, code="gateway") from error
        reference = f"stripe:{reference}"
    else:
        reference = f"treasury-refund:{locked.pk}:{count}"
    if locked.status == Status.SUCCEEDED:
        transition(locked, Status.REFUNDED, by=by, reason=reason)
    locked.refunded_amount = refunded + amount
    locked.save(update_fields=["refunded_amount", "updated_at"])
    entry = LedgerEntry.objects.create(
        payment=locked,
        contract_id=locked.contract_id,
        kind=LedgerEntry.Kind.REFUND,
        amount=amount,
        reference=reference,
        recorded_by=by,
        created_at=db_now(),
    )
    audit_record(
        obj=locked, by=by, action="refund", reason=reason, data={"amount": str(amount.amount)}
    )
    payment.status, payment.refunded_amount = locked.status, locked.refunded_amount
    return entry


# Emails (after commit).


def _contract_link(contract) -> str:
    return settings.SITE_URL + contract.get_absolute_url()


def _mail_organisation_paid(payment: Payment):
    from marketplace.models import OrganisationMembership

    contract = payment.contract
    recipients = sorted(
        set(
            OrganisationMembership.objects.filter(
                organisation_id=contract.organisation_id,
                role=OrganisationMembership.Role.ADMIN,
            ).values_list("user__email", flat=True)
        )
        - {""}
    )
    if not recipients:
        return
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("“%(milestone)s”的款项 %(amount)s 已支付") % {
            "milestone": payment.milestone.name,
            "amount": payment.amount,
        }
        body = _("合同：%(contract)s\n支付方式：%(gateway)s\n流水号：%(reference)s") % {
            "contract": contract,
            "gateway": payment.get_gateway_display(),
            "reference": payment.reference,
        }
        body += "\n\n" + _("查看合同：%(url)s") % {"url": _contract_link(contract)}
    tasks.send_email.enqueue(subject=subject, body=body, to=recipients)


def _mail_buyer_failed(payment: Payment):
    from marketplace.models import BuyerMembership

    contract = payment.contract
    recipients = sorted(
        set(
            BuyerMembership.objects.filter(buyer_id=contract.buyer_id).values_list(
                "user__email", flat=True
            )
        )
        - {""}
    )
    if not recipients:
        return
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("“%(milestone)s”的付款未成功") % {"milestone": payment.milestone.name}
        body = _("失败原因：%(message)s\n请检查付款银行卡后在合同页面重试。") % {
            "message": payment.failure_message
        }
        body += "\n\n" + _("查看合同：%(url)s") % {"url": _contract_link(contract)}
    tasks.send_email.enqueue(subject=subject, body=body, to=recipients)


# The buyer's saved card (Stripe only).


def _require_officer(user, buyer):
    if not permissions.is_buyer_officer(user, buyer):
        raise PermissionDenied(_("只有购买主体的经办人可以设置付款银行卡。"))


def _stripe_gateway():
    from marketplace.gateways.stripe import StripeGateway

    if not settings.STRIPE_SECRET_KEY:
        raise ValidationError(_("平台未开通在线支付。"), code="stripe_disabled")
    return StripeGateway()


def _customer_ensure(buyer, gateway) -> str:
    """The buyer's Stripe customer (created once; the remote call is outside a transaction)."""
    if buyer.stripe_customer_id:
        return buyer.stripe_customer_id
    customer_id = gateway.customer_ensure(buyer)
    with transaction.atomic():
        from marketplace.models import Buyer

        locked = Buyer.objects.select_for_update().get(pk=buyer.pk)
        if not locked.stripe_customer_id:
            locked.stripe_customer_id = customer_id
            locked.save(update_fields=["stripe_customer_id"])
    buyer.stripe_customer_id = locked.stripe_customer_id
    return buyer.stripe_customer_id


def buyer_setup_intent_start(*, buyer, by) -> str:
    """A SetupIntent for the buyer's officer to save a card in the browser; returns its
    client secret for Stripe.js."""
    _require_officer(by, buyer)
    gateway = _stripe_gateway()
    customer_id = _customer_ensure(buyer, gateway)
    _, client_secret = gateway.setup_intent_create(customer_id)
    return client_secret


def _payment_method_set(buyer, by, payment_method_id: str) -> None:
    from marketplace.models import Buyer

    with transaction.atomic():
        locked = Buyer.objects.select_for_update().get(pk=buyer.pk)
        locked.stripe_payment_method_id = payment_method_id
        locked.save(update_fields=["stripe_payment_method_id"])
        audit_record(obj=locked, by=by, action="payment_method", data={"id": payment_method_id})
    buyer.stripe_payment_method_id = payment_method_id


def buyer_payment_method_save(*, buyer, by, setup_intent_id: str) -> str:
    """Save the card of a SetupIntent that succeeded for this buyer's customer."""
    _require_officer(by, buyer)
    gateway = _stripe_gateway()
    customer_id = _customer_ensure(buyer, gateway)
    try:
        method = gateway.setup_intent_payment_method(setup_intent_id, customer_id)
    except GatewayError as error:
        raise ValidationError(error.message, code="setup_intent") from error
    _payment_method_set(buyer, by, method)
    return method


def buyer_payment_method_attach(*, buyer, by, payment_method_id: str) -> str:
    """Attach an existing Stripe payment method (API clients, tests against localstripe)."""
    _require_officer(by, buyer)
    gateway = _stripe_gateway()
    customer_id = _customer_ensure(buyer, gateway)
    try:
        method = gateway.payment_method_attach(payment_method_id, customer_id)
    except GatewayError as error:
        raise ValidationError(error.message, code="payment_method") from error
    _payment_method_set(buyer, by, method)
    return method
