"""Contracts (服务合同): draft from an award, sign (fresh TOTP for the officer), vary (变更),
terminate, complete: services/contracts.py."""

import datetime
import hashlib
import time
from decimal import ROUND_DOWN, Decimal

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core import mail
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, InternalError, transaction
from django.utils import timezone
from djmoney.money import Money
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketplace.contract_terms import term_latest_end
from marketplace.models import (
    AuditEntry,
    Award,
    Contract,
    ContractVersion,
    LedgerEntry,
    Milestone,
    OrganisationMembership,
    Payment,
)
from marketplace.services.contracts import (
    contract_complete_if_done,
    contract_create,
    contract_sign,
    contract_terminate,
    contract_variation_withdraw,
    contract_vary,
)
from tests import factories
from tests.conftest import give_totp

pytestmark = pytest.mark.django_db

SECRET = "JBSWY3DPEHPK3PXP"  # give_totp's secret


def totp_now() -> str:
    """The current code, as if fresh: allauth refuses a code used in the last 30 seconds,
    and one test signs several times within that window."""
    cache.clear()
    return format_hotp_value(hotp_value(SECRET, int(time.time()) // 30))


def cny(value) -> Money:
    return Money(value, "CNY")


@pytest.fixture
def award():
    """A standing award whose notice ended yesterday, an officer with TOTP and an org admin."""
    award = factories.AwardFactory(notice_ends_at=timezone.now() - datetime.timedelta(days=1))
    award.officer = factories.BuyerMembershipFactory(buyer=award.tender.buyer).user
    give_totp(award.officer)
    award.admin = factories.OrganisationMembershipFactory(
        organisation=award.bid.organisation, role=OrganisationMembership.Role.ADMIN
    ).user
    return award


def _terms(award, **changes):
    starts_on = timezone.localdate()
    fields = {
        "amount": award.amount,
        "starts_on": starts_on,
        "ends_on": term_latest_end(starts_on, award.tender.contract_months),
        "deliverables": "每周两次上门服务。",
        "indicators": [{"name": "服务老人人数", "target": "200", "unit": "人"}],
        "breach_terms": "按未完成服务量扣减。",
        "funding_source": "区级财政预算资金",
    }
    fields.update(changes)
    return fields


def _create(award, **changes):
    return contract_create(award=award, by=award.officer, **_terms(award, **changes))


def _signed(award):
    contract = _create(award)
    contract_sign(contract=contract, by=award.officer, totp_code=totp_now())
    contract_sign(contract=contract, by=award.admin)
    contract.refresh_from_db()
    return contract


def _state(contract):
    contract.refresh_from_db()
    return {
        "contract": (contract.status, contract.amount, contract.version, contract.signed_at),
        "milestones": list(
            contract.milestones.order_by("position").values_list(
                "name", "amount", "due_on", "status"
            )
        ),
        "versions": list(
            contract.versions.order_by("number").values_list(
                "number", "buyer_signed_at", "organisation_signed_at", "withdrawn_at", "sha256"
            )
        ),
        "audit": AuditEntry.objects.count(),
    }


# Create -------------------------------------------------------------------------------


def test_create_drafts_version_1_with_milestones_split_exactly(
    award, django_capture_on_commit_callbacks
):
    """An officer drafts the contract: DRAFT, version 1 unsigned with frozen terms and the
    SHA-256 of its text; milestones 30/40/30 of the amount, due dates spread evenly, the
    last one on the term's end; the organisation is emailed."""
    with django_capture_on_commit_callbacks(execute=True):
        contract = _create(award, amount=cny("100000.01"))

    assert contract.status == Contract.Status.DRAFT and contract.version == 1
    assert (contract.buyer, contract.organisation) == (award.tender.buyer, award.bid.organisation)
    milestones = list(contract.milestones.order_by("position"))
    assert [m.amount for m in milestones] == [cny("30000.00"), cny("40000.00"), cny("30000.01")]
    assert sum(m.amount.amount for m in milestones) == Decimal("100000.01")
    assert [m.percentage for m in milestones] == [30, 40, 30]
    assert milestones[-1].due_on == contract.ends_on
    assert milestones[0].due_on < milestones[1].due_on < milestones[2].due_on
    version = contract.versions.get()
    assert version.number == 1 and not version.is_signed
    assert version.sha256 == hashlib.sha256(version.text.encode()).hexdigest()
    assert version.terms["amount"] == "100000.01"
    assert [m["amount"] for m in version.terms["milestones"]] == [
        "30000.00",
        "40000.00",
        "30000.01",
    ]
    assert award.bid.organisation.name in version.text and "30000.01" in version.text
    assert [message.to for message in mail.outbox] == [[award.admin.email]]
    assert "请签署" in mail.outbox[0].subject


def test_create_refuses_an_award_still_in_its_notice_period(award):
    """Before the notice ends nothing is created (not_signable)."""
    Award.objects.filter(pk=award.pk).update(
        notice_ends_at=timezone.now() + datetime.timedelta(days=1)
    )
    award.refresh_from_db()
    before = AuditEntry.objects.count()

    with pytest.raises(ValidationError) as raised:
        _create(award)

    assert raised.value.code == "not_signable"
    assert not Contract.objects.exists() and not Milestone.objects.exists()
    assert AuditEntry.objects.count() == before


def test_create_refuses_while_an_objection_is_open(award):
    """An open objection on the tender blocks the contract."""
    factories.ObjectionFactory(tender=award.tender)

    with pytest.raises(ValidationError) as raised:
        _create(award)

    assert raised.value.code == "not_signable"
    assert not Contract.objects.exists()


def test_create_refuses_an_amount_above_the_award(award):
    """The buyer may lower the amount, never raise it."""
    with pytest.raises(ValidationError) as raised:
        _create(award, amount=award.amount + cny("0.01"))

    assert "amount" in raised.value.message_dict
    assert not Contract.objects.exists()


def test_create_accepts_a_lower_amount(award):
    contract = _create(award, amount=cny("250000.00"))

    assert contract.amount == cny("250000.00")
    assert sum(m.amount for m in contract.milestones.all()) == cny("250000.00")


def test_create_refuses_a_term_longer_than_the_tender_allows(award):
    """12 months from the start at most: one day more is refused on ends_on."""
    starts_on = timezone.localdate()
    latest = term_latest_end(starts_on, 12)

    with pytest.raises(ValidationError) as raised:
        _create(award, starts_on=starts_on, ends_on=latest + datetime.timedelta(days=1))

    assert raised.value.error_dict["ends_on"][0].code == "term_too_long"
    assert not Contract.objects.exists()


def test_create_refuses_a_term_out_of_order(award):
    day = timezone.localdate()
    with pytest.raises(ValidationError) as raised:
        _create(award, starts_on=day, ends_on=day)

    assert "ends_on" in raised.value.message_dict
    assert not Contract.objects.exists()


def test_create_refuses_a_second_contract_for_the_same_award(award):
    """One contract per award: the second attempt is refused and changes nothing."""
    first = _create(award)
    before = _state(first)

    with pytest.raises(ValidationError) as raised:
        _create(award)

    assert raised.value.code == "duplicate"
    assert Contract.objects.count() == 1 and _state(first) == before


@pytest.mark.parametrize("who", ["outsider", "admin", "other_officer"])
def test_create_by_anyone_but_the_buyer_officer_is_refused(award, who):
    users = {
        "outsider": factories.UserFactory(),
        "admin": award.admin,
        "other_officer": factories.BuyerMembershipFactory().user,
    }
    with pytest.raises(PermissionDenied):
        contract_create(award=award, by=users[who], **_terms(award))

    assert not Contract.objects.exists()


def test_create_refuses_missing_breach_terms(award):
    with pytest.raises(ValidationError) as raised:
        _create(award, breach_terms="  ")

    assert "breach_terms" in raised.value.message_dict
    assert not Contract.objects.exists()


# Sign ---------------------------------------------------------------------------------


def test_both_signatures_put_version_1_in_force(award, django_capture_on_commit_callbacks):
    """Officer (with TOTP) then admin: the version is signed by both, the contract ACTIVE
    with signed_at set; the text and hash stay as drafted; the other side is emailed."""
    contract = _create(award)
    version = contract.versions.get()
    text, digest = version.text, version.sha256

    with django_capture_on_commit_callbacks(execute=True):
        contract_sign(contract=contract, by=award.officer, totp_code=totp_now())
    contract.refresh_from_db()
    assert contract.status == Contract.Status.DRAFT
    assert mail.outbox[-1].to == [award.admin.email]

    with django_capture_on_commit_callbacks(execute=True):
        contract_sign(contract=contract, by=award.admin)

    contract.refresh_from_db()
    version.refresh_from_db()
    assert contract.status == Contract.Status.ACTIVE and contract.signed_at is not None
    assert version.is_signed
    assert (version.buyer_signed_by, version.organisation_signed_by) == (award.officer, award.admin)
    assert (version.text, version.sha256) == (text, digest)
    assert AuditEntry.objects.filter(to_status=Contract.Status.ACTIVE).count() == 1
    assert award.officer.email in mail.outbox[-1].to


def test_the_organisation_may_sign_first(award):
    contract = _create(award)
    contract_sign(contract=contract, by=award.admin)
    contract_sign(contract=contract, by=award.officer, totp_code=totp_now())

    contract.refresh_from_db()
    assert contract.status == Contract.Status.ACTIVE


@pytest.mark.parametrize("code", ["", "000000", "12345"])
def test_officer_signature_needs_a_valid_totp_code(award, code):
    """A missing or wrong code is refused on totp_code; nothing is signed."""
    contract = _create(award)
    before = _state(contract)

    with pytest.raises(ValidationError) as raised:
        contract_sign(contract=contract, by=award.officer, totp_code=code)

    assert "totp_code" in raised.value.message_dict
    assert _state(contract) == before


def test_officer_without_an_authenticator_cannot_sign(award):
    contract = _create(award)
    officer = factories.BuyerMembershipFactory(buyer=award.tender.buyer).user
    before = _state(contract)

    with pytest.raises(ValidationError) as raised:
        contract_sign(contract=contract, by=officer, totp_code="123456")

    assert raised.value.error_dict["totp_code"][0].code == "totp_missing"
    assert _state(contract) == before


def test_a_totp_code_cannot_be_used_twice(award):
    """The code that signed version 1 cannot sign the next version (allauth marks it used)."""
    contract = _create(award)
    code = totp_now()
    contract_sign(contract=contract, by=award.officer, totp_code=code)
    contract_sign(contract=contract, by=award.admin)
    contract_vary(
        contract=contract,
        by=award.officer,
        reason="合并节点",
        amount=award.amount,
        milestones=[("余款", award.amount, contract.ends_on)],
    )
    before = _state(contract)

    with pytest.raises(ValidationError) as raised:
        contract_sign(contract=contract, by=award.officer, totp_code=code)

    assert raised.value.error_dict["totp_code"][0].code == "totp_invalid"
    assert _state(contract) == before


@pytest.mark.parametrize("who", ["outsider", "member", "other_officer", "staff"])
def test_sign_by_an_outsider_is_refused(award, who):
    """Neither a stranger, nor a plain member of the organisation, nor another buyer's
    officer, nor staff may sign; nothing changes."""
    contract = _create(award)
    users = {
        "outsider": factories.UserFactory(),
        "member": factories.OrganisationMembershipFactory(
            organisation=award.bid.organisation, role=OrganisationMembership.Role.MEMBER
        ).user,
        "other_officer": factories.BuyerMembershipFactory().user,
        "staff": factories.StaffFactory(),
    }
    before = _state(contract)

    with pytest.raises(PermissionDenied):
        contract_sign(contract=contract, by=users[who], totp_code=totp_now())

    assert _state(contract) == before


def test_each_side_signs_once(award):
    contract = _create(award)
    contract_sign(contract=contract, by=award.admin)
    before = _state(contract)

    with pytest.raises(ValidationError) as raised:
        contract_sign(contract=contract, by=award.admin)

    assert raised.value.code == "already_signed"
    assert _state(contract) == before


def test_a_signed_contract_has_nothing_to_sign(award):
    contract = _signed(award)
    before = _state(contract)

    with pytest.raises(ValidationError) as raised:
        contract_sign(contract=contract, by=award.admin)

    assert raised.value.code == "nothing_to_sign"
    assert _state(contract) == before


def test_a_changed_text_cannot_be_signed(award):
    """The frozen text must still match its hash: a tampered version is refused."""
    contract = _create(award)
    ContractVersion.objects.filter(contract=contract).update(text="篡改后的文本")
    before = _state(contract)

    with pytest.raises(ValidationError) as raised:
        contract_sign(contract=contract, by=award.admin)

    assert raised.value.code == "text_changed"
    assert _state(contract) == before


# Vary ---------------------------------------------------------------------------------


def _accept_first(contract):
    first = contract.milestones.order_by("position").first()
    Milestone.objects.filter(pk=first.pk).update(status=Milestone.Status.ACCEPTED)
    return first


def test_variation_applies_once_both_sign_and_keeps_the_sum(
    award, django_capture_on_commit_callbacks
):
    """A variation lowers the amount and rewrites the unpaid milestones; the accepted one is
    untouched. Before both sign the contract is unchanged; after, amount, milestones and
    version follow the variation and version 1 stays readable."""
    contract = _signed(award)  # 280000: 84000 / 112000 / 84000
    first = _accept_first(contract)
    day = contract.starts_on + datetime.timedelta(days=200)

    with django_capture_on_commit_callbacks(execute=True):
        version = contract_vary(
            contract=contract,
            by=award.officer,
            reason="服务对象减少",
            amount=cny("250000.00"),
            milestones=[
                ("中期评估", cny("100000.00"), day),
                ("终期验收", cny("66000.00"), contract.ends_on),
            ],
        )
    assert version.number == 2 and version.reason == "服务对象减少"
    assert mail.outbox[-1].to == [award.admin.email]
    contract.refresh_from_db()
    assert contract.amount == cny("280000.00") and contract.version == 1

    contract_sign(contract=contract, by=award.admin)
    contract_sign(contract=contract, by=award.officer, totp_code=totp_now())

    contract.refresh_from_db()
    assert contract.amount == cny("250000.00") and contract.version == 2
    milestones = list(contract.milestones.order_by("position"))
    assert [(m.name, m.amount) for m in milestones] == [
        (first.name, cny("84000.00")),
        ("中期评估", cny("100000.00")),
        ("终期验收", cny("66000.00")),
    ]
    assert milestones[0].status == Milestone.Status.ACCEPTED
    assert sum(m.amount for m in milestones) == contract.amount
    assert list(contract.versions.values_list("number", flat=True)) == [1, 2]
    assert contract.versions.get(number=1).terms["amount"] == "280000.00"


def test_variation_may_add_a_milestone(award):
    contract = _signed(award)
    rows = [
        ("节点一", cny("80000.00"), contract.starts_on + datetime.timedelta(days=30)),
        ("节点二", cny("100000.00"), contract.starts_on + datetime.timedelta(days=100)),
        ("节点三", cny("50000.00"), contract.starts_on + datetime.timedelta(days=200)),
        ("节点四", cny("50000.00"), contract.ends_on),
    ]
    contract_vary(
        contract=contract,
        by=award.officer,
        reason="增加节点",
        amount=cny("280000.00"),
        milestones=rows,
    )
    contract_sign(contract=contract, by=award.admin)
    contract_sign(contract=contract, by=award.officer, totp_code=totp_now())

    assert list(contract.milestones.order_by("position").values_list("name", flat=True)) == [
        "节点一",
        "节点二",
        "节点三",
        "节点四",
    ]


def test_variation_whose_sum_differs_is_refused(award):
    """Milestones that do not add up to the amount: refused on milestones; nothing changes."""
    contract = _signed(award)
    before = _state(contract)

    with pytest.raises(ValidationError) as raised:
        contract_vary(
            contract=contract,
            by=award.officer,
            reason="调整",
            amount=cny("280000.00"),
            milestones=[("唯一节点", cny("279999.99"), contract.ends_on)],
        )

    assert raised.value.error_dict["milestones"][0].code == "sum_mismatch"
    assert _state(contract) == before


def test_variation_cannot_touch_accepted_milestones_or_exceed_the_award(award):
    contract = _signed(award)
    _accept_first(contract)
    before = _state(contract)

    with pytest.raises(ValidationError) as raised:  # 84000 accepted + 196000 ≠ 250000
        contract_vary(
            contract=contract,
            by=award.officer,
            reason="调整",
            amount=cny("250000.00"),
            milestones=[("余款", cny("196000.00"), contract.ends_on)],
        )
    assert raised.value.error_dict["milestones"][0].code == "sum_mismatch"
    with pytest.raises(ValidationError) as raised:
        contract_vary(
            contract=contract,
            by=award.officer,
            reason="调增",
            amount=cny("300000.00"),
            milestones=[("余款", cny("216000.00"), contract.ends_on)],
        )
    assert raised.value.error_dict["amount"][0].code == "over_award"
    assert _state(contract) == before


def test_only_one_variation_at_a_time_and_withdrawal(award):
    contract = _signed(award)
    rows = [("余款", cny("280000.00"), contract.ends_on)]
    contract_vary(
        contract=contract,
        by=award.officer,
        reason="合并节点",
        amount=cny("280000.00"),
        milestones=rows,
    )
    before = _state(contract)

    with pytest.raises(ValidationError) as raised:
        contract_vary(
            contract=contract,
            by=award.officer,
            reason="再变更",
            amount=cny("280000.00"),
            milestones=rows,
        )
    assert raised.value.code == "pending_variation"
    assert _state(contract) == before

    contract_variation_withdraw(contract=contract, by=award.officer)
    version = contract_vary(
        contract=contract,
        by=award.officer,
        reason="再变更",
        amount=cny("280000.00"),
        milestones=rows,
    )
    assert version.number == 3
    assert contract.versions.get(number=2).withdrawn_at is not None


@pytest.mark.parametrize("field", ["reason", "outsider", "draft"])
def test_variation_refusals_change_nothing(award, field):
    contract = _signed(award) if field != "draft" else _create(award)
    by = factories.UserFactory() if field == "outsider" else award.officer
    before = _state(contract)

    with pytest.raises((ValidationError, PermissionDenied)):
        contract_vary(
            contract=contract,
            by=by,
            reason="" if field == "reason" else "调整",
            amount=cny("280000.00"),
            milestones=[("余款", cny("280000.00"), contract.ends_on)],
        )

    assert _state(contract) == before


def test_a_variation_gone_stale_cannot_be_signed(award):
    """A milestone accepted after the variation was proposed blocks its signing."""
    contract = _signed(award)
    contract_vary(
        contract=contract,
        by=award.officer,
        reason="合并节点",
        amount=cny("280000.00"),
        milestones=[("余款", cny("280000.00"), contract.ends_on)],
    )
    contract_sign(contract=contract, by=award.admin)
    _accept_first(contract)
    before = _state(contract)

    with pytest.raises(ValidationError) as raised:
        contract_sign(contract=contract, by=award.officer, totp_code=totp_now())

    assert raised.value.code == "stale_variation"
    assert _state(contract) == before


# Terminate and complete ---------------------------------------------------------------


def test_terminate_cancels_every_unpaid_milestone(award, django_capture_on_commit_callbacks):
    contract = _signed(award)
    milestones = list(contract.milestones.order_by("position"))
    Milestone.objects.filter(pk=milestones[0].pk).update(status=Milestone.Status.PAID)
    Milestone.objects.filter(pk=milestones[1].pk).update(status=Milestone.Status.SUBMITTED)

    with django_capture_on_commit_callbacks(execute=True):
        contract_terminate(contract=contract, by=award.officer, reason="中期评估不合格")

    contract.refresh_from_db()
    assert contract.status == Contract.Status.TERMINATED
    assert list(contract.milestones.order_by("position").values_list("status", flat=True)) == [
        Milestone.Status.PAID,
        Milestone.Status.CANCELLED,
        Milestone.Status.CANCELLED,
    ]
    assert sum(m.amount for m in contract.milestones.all()) == contract.amount
    assert mail.outbox[-1].to == [award.admin.email]
    assert "中期评估不合格" in mail.outbox[-1].body


def test_terminating_a_draft_withdraws_its_unsigned_version(award):
    contract = _create(award)
    contract_terminate(contract=contract, by=award.officer, reason="承接主体放弃")

    contract.refresh_from_db()
    assert contract.status == Contract.Status.TERMINATED
    assert contract.versions.get().withdrawn_at is not None


@pytest.mark.parametrize("case", ["no_reason", "admin", "completed", "over_paid"])
def test_terminate_refusals_change_nothing(award, case):
    contract = _signed(award)
    if case == "completed":
        Contract.objects.filter(pk=contract.pk).update(status=Contract.Status.COMPLETED)
    before = _state(contract)
    kwargs = {
        "contract": contract,
        "by": award.admin if case == "admin" else award.officer,
        "reason": "" if case == "no_reason" else "理由",
        "clawback": cny("1.00") if case == "over_paid" else None,
    }

    with pytest.raises((ValidationError, PermissionDenied)):
        contract_terminate(**kwargs)

    assert _state(contract) == before


def _settle(contract, milestone, by):
    """A settled treasury payment for `milestone` with its ledger entry."""
    Milestone.objects.filter(pk=milestone.pk).update(status=Milestone.Status.PAID)
    payment = Payment.objects.create(
        milestone=milestone,
        contract=contract,
        amount=milestone.amount,
        gateway=Payment.Gateway.TREASURY,
        status=Payment.Status.SUCCEEDED,
        idempotency_key=f"milestone-{milestone.pk}",
        reference=f"GK{milestone.pk}",
        settled_at=timezone.now(),
    )
    LedgerEntry.objects.create(
        payment=payment,
        contract=contract,
        kind=LedgerEntry.Kind.PAYMENT,
        amount=milestone.amount,
        reference=f"treasury:{milestone.pk}",
        recorded_by=by,
    )
    return payment


def test_terminate_claws_back_through_a_refund(award):
    """A clawback up to what was paid is refunded from the latest settled payment."""
    contract = _signed(award)
    first = contract.milestones.order_by("position").first()
    payment = _settle(contract, first, award.officer)

    contract_terminate(
        contract=contract, by=award.officer, reason="服务未实际提供", clawback=cny("20000.00")
    )

    payment.refresh_from_db()
    assert payment.refunded_amount == cny("20000.00")
    refund = LedgerEntry.objects.get(kind=LedgerEntry.Kind.REFUND)
    assert refund.amount == cny("20000.00") and refund.contract == contract


def test_contract_completes_when_every_milestone_is_paid_or_cancelled(award):
    contract = _signed(award)
    milestones = list(contract.milestones.order_by("position"))
    Milestone.objects.filter(pk=milestones[0].pk).update(status=Milestone.Status.PAID)
    assert contract_complete_if_done(contract) is False
    Milestone.objects.filter(pk=milestones[1].pk).update(status=Milestone.Status.CANCELLED)
    Milestone.objects.filter(pk=milestones[2].pk).update(status=Milestone.Status.PAID)

    assert contract_complete_if_done(contract) is True

    contract.refresh_from_db()
    assert contract.status == Contract.Status.COMPLETED
    # The completion is followed by the opening of its evaluation round (issue 6).
    entry = AuditEntry.objects.filter(to_status=Contract.Status.COMPLETED).latest("id")
    assert entry.actor is None and entry.object_id == str(contract.pk)
    assert contract.rating_rounds.get().kind == "completion"


def test_all_cancelled_does_not_complete(award):
    contract = _signed(award)
    contract.milestones.update(status=Milestone.Status.CANCELLED)

    assert contract_complete_if_done(contract) is False
    contract.refresh_from_db()
    assert contract.status == Contract.Status.ACTIVE


# PostgreSQL: the deferred trigger -----------------------------------------------------


def test_database_refuses_milestones_not_adding_up(award, postgres_only):
    """Written directly, bypassing the services, a milestone sum ≠ amount is refused at
    commit by the deferred constraint trigger."""
    contract = _signed(award)
    first = contract.milestones.order_by("position").first()

    with pytest.raises((IntegrityError, InternalError)), transaction.atomic():
        Milestone.objects.filter(pk=first.pk).update(amount=Decimal("1.00"))
        with transaction.get_connection().cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    first.refresh_from_db()
    assert first.amount == cny("84000.00")


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    amount=st.decimals(min_value="1000.00", max_value="280000.00", places=2),
    shares=st.lists(st.integers(1, 50), min_size=1, max_size=4),
    off_by=st.sampled_from([Decimal("0"), Decimal("0"), Decimal("0.01"), Decimal("-0.01")]),
)
def test_any_variation_keeps_the_milestones_adding_up_to_the_amount(award, amount, shares, off_by):
    """Property: a variation to any amount up to the award, split into any unpaid milestones,
    is applied once both sign with the milestones adding up exactly to the new amount; one
    whose milestones miss the amount by a fen is refused and changes nothing. (Each example
    runs in a savepoint that is rolled back, so they all start from the same signed contract,
    and with a cache that remembers no used authenticator code.)"""
    cache.clear()
    try:
        with transaction.atomic():
            contract = _signed(award)
            parts = [
                (amount * s / sum(shares)).quantize(Decimal("0.01"), ROUND_DOWN) for s in shares
            ]
            parts[-1] = amount - sum(parts[:-1]) + off_by
            day = contract.ends_on
            rows = [(f"节点{i}", cny(part), day) for i, part in enumerate(parts)]
            if off_by or any(part <= 0 for part in parts):
                before = _state(contract)
                with pytest.raises(ValidationError):
                    contract_vary(
                        contract=contract, by=award.officer, reason="调整", amount=cny(amount),
                        milestones=rows,
                    )  # fmt: skip
                assert _state(contract) == before
            else:
                contract_vary(
                    contract=contract, by=award.officer, reason="调整", amount=cny(amount),
                    milestones=rows,
                )  # fmt: skip
                contract_sign(contract=contract, by=award.admin)
                contract_sign(contract=contract, by=award.officer, totp_code=totp_now())
                contract.refresh_from_db()
                assert contract.amount == cny(amount)
                assert sum(m.amount for m in contract.milestones.all()) == contract.amount
            raise _Rollback
    except _Rollback:
        pass


class _Rollback(Exception):
    """Undo one hypothesis example's rows."""
