"""Contract pages: create from an award, the parties' manage page (sign, vary, terminate),
versions, the public page, and the buyer's and the organisation's lists."""

import datetime
import time

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from djmoney.money import Money

from marketplace.contract_terms import term_latest_end
from marketplace.models import (
    Award,
    Contract,
    ContractVersion,
    Milestone,
    OrganisationMembership,
)
from tests import factories
from tests.conftest import give_totp

pytestmark = pytest.mark.django_db


def _code():
    return format_hotp_value(hotp_value("JBSWY3DPEHPK3PXP", int(time.time()) // 30))


@pytest.fixture
def parties():
    """A signable award, an officer of its buyer (with TOTP) and an admin of the winner."""
    award = factories.AwardFactory(notice_ends_at=timezone.now() - datetime.timedelta(days=1))
    officer = factories.BuyerMembershipFactory(buyer=award.tender.buyer).user
    give_totp(officer)
    admin = factories.OrganisationMembershipFactory(
        organisation=award.bid.organisation, role=OrganisationMembership.Role.ADMIN
    ).user
    return award, officer, admin


def _contract(parties, **fields):
    award, officer, _admin = parties
    return factories.ContractFactory(award=award, created_by=officer, **fields)


def _form(award, **changes):
    starts_on = timezone.localdate()
    data = {
        "amount_0": "270000.00",
        "amount_1": "CNY",
        "starts_on": starts_on.isoformat(),
        "ends_on": term_latest_end(starts_on, 12).isoformat(),
        "deliverables": "每周两次上门服务。",
        "indicators": "服务老人人数 | 200 | 人\n满意度 | 90 | %",
        "breach_terms": "按未完成服务量扣减。",
        "funding_source": "区级财政预算资金",
    }
    data.update(changes)
    return data


# Create -------------------------------------------------------------------------------


def test_create_page_is_prefilled_from_the_award_and_previews_milestones(client, parties):
    award, officer, _admin = parties
    client.force_login(officer)

    response = client.get(reverse("contract_create", args=[award.pk]))

    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["amount"] == award.amount
    assert form.initial["starts_on"] == timezone.localdate(
        award.notice_ends_at
    ) + datetime.timedelta(days=1)
    preview = response.context["preview"]
    assert [row["percentage"] for row in preview] == [30, 40, 30]
    assert sum(row["amount"] for row in preview) == award.amount.amount


def test_create_posts_a_draft_and_redirects_to_the_manage_page(client, parties):
    award, officer, _admin = parties
    client.force_login(officer)

    response = client.post(reverse("contract_create", args=[award.pk]), _form(award))

    contract = Contract.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("contract_detail", args=[contract.pk])
    assert contract.amount == Money("270000.00", "CNY")
    assert contract.indicators[1] == {"name": "满意度", "target": "90", "unit": "%"}


def test_create_shows_service_errors_on_the_field(client, parties):
    award, officer, _admin = parties
    client.force_login(officer)

    response = client.post(
        reverse("contract_create", args=[award.pk]), _form(award, amount_0="999999.00")
    )

    assert response.status_code == 200
    assert "不能高于中标" in str(response.context["form"].errors["amount"])
    assert not Contract.objects.exists()


def test_create_is_404_for_other_users(client, parties):
    award, _officer, admin = parties
    other = factories.BuyerMembershipFactory().user
    give_totp(other)
    for user in (admin, other):
        client.force_login(user)
        assert client.get(reverse("contract_create", args=[award.pk])).status_code == 404
        assert (
            client.post(reverse("contract_create", args=[award.pk]), _form(award)).status_code
            == 404
        )
    assert not Contract.objects.exists()


def test_buyer_tender_page_links_a_signable_award_to_the_contract_form(client, parties):
    award, officer, _admin = parties
    client.force_login(officer)
    url = reverse("buyer_tender_detail", args=[award.tender.pk])

    page = client.get(url).content.decode()
    assert reverse("contract_create", args=[award.pk]) in page

    Award.objects.filter(pk=award.pk).update(
        notice_ends_at=timezone.now() + datetime.timedelta(days=2)
    )
    assert reverse("contract_create", args=[award.pk]) not in client.get(url).content.decode()


# Manage page --------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["officer", "admin", "member"])
def test_manage_page_renders_for_the_parties(client, parties, who):
    award, officer, admin = parties
    contract = _contract(parties)
    member = factories.OrganisationMembershipFactory(
        organisation=award.bid.organisation, role=OrganisationMembership.Role.MEMBER
    ).user
    client.force_login({"officer": officer, "admin": admin, "member": member}[who])

    response = client.get(reverse("contract_detail", args=[contract.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert contract.deliverables in page and contract.breach_terms in page
    assert 'id="milestones"' in page and 'id="payments"' in page
    assert (response.context["sign_form"] is not None) == (who != "member")
    assert response.context["needs_totp"] == (who == "officer")
    assert (response.context["terminate_form"] is not None) == (who == "officer")


@pytest.mark.parametrize("who", ["anonymous", "stranger", "other_officer", "staff"])
def test_manage_and_version_pages_are_hidden_from_others(client, parties, who):
    contract = _contract(parties, status=Contract.Status.ACTIVE)
    users = {
        "stranger": factories.UserFactory(),
        "other_officer": factories.BuyerMembershipFactory().user,
        "staff": factories.StaffFactory(),
    }
    if who != "anonymous":
        client.force_login(users[who])

    for url in (
        reverse("contract_detail", args=[contract.pk]),
        reverse("contract_version", args=[contract.pk, 1]),
    ):
        response = client.get(url)
        assert response.status_code == (302 if who == "anonymous" else 404)
    response = client.post(reverse("contract_sign", args=[contract.pk]), {"totp_code": "1"})
    assert response.status_code == (302 if who == "anonymous" else 404)


def test_signing_through_the_page_needs_the_totp_code(client, parties):
    """Officer without code: 400 with the error on the field, nothing signed; with a code:
    signed; then the admin signs and the contract is in force."""
    award, officer, admin = parties
    client.force_login(officer)
    client.post(reverse("contract_create", args=[award.pk]), _form(award))
    contract = Contract.objects.get()
    url = reverse("contract_sign", args=[contract.pk])

    response = client.post(url, {"totp_code": ""})
    assert response.status_code == 400
    assert "动态码" in str(response.context["sign_form"].errors["totp_code"])
    assert ContractVersion.objects.get().buyer_signed_at is None

    assert client.post(url, {"totp_code": _code()}).status_code == 302
    client.force_login(admin)
    assert client.post(url, {}).status_code == 302

    contract.refresh_from_db()
    assert contract.status == Contract.Status.ACTIVE


def test_vary_and_terminate_through_the_page(client, parties):
    _award, officer, admin = parties
    contract = _contract(parties, status=Contract.Status.ACTIVE)
    client.force_login(officer)
    lines = f"合并节点 | 280000.00 | {contract.ends_on.isoformat()}"

    response = client.post(
        reverse("contract_vary", args=[contract.pk]),
        {"reason": "合并节点", "amount_0": "280000.00", "amount_1": "CNY", "milestones": lines},
    )
    assert response.status_code == 302
    assert contract.versions.filter(number=2).exists()

    response = client.post(
        reverse("contract_terminate", args=[contract.pk]),
        {"reason": "", "clawback_0": "", "clawback_1": "CNY"},
    )
    assert response.status_code == 400
    response = client.post(
        reverse("contract_terminate", args=[contract.pk]),
        {"reason": "中期评估不合格", "clawback_0": "", "clawback_1": "CNY"},
    )
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.status == Contract.Status.TERMINATED
    assert not contract.milestones.exclude(status=Milestone.Status.CANCELLED).exists()

    client.force_login(admin)
    response = client.post(
        reverse("contract_terminate", args=[contract.pk]), {"reason": "x", "clawback_1": "CNY"}
    )
    assert response.status_code == 400  # the organisation may not terminate (form error)


def test_version_page_shows_the_frozen_text_and_hash(client, parties):
    _award, officer, _admin = parties
    contract = _contract(parties, status=Contract.Status.ACTIVE)
    version = contract.versions.get()
    client.force_login(officer)

    response = client.get(reverse("contract_version", args=[contract.pk, 1]))

    assert response.status_code == 200
    assert version.sha256 in response.content.decode()
    assert client.get(reverse("contract_version", args=[contract.pk, 9])).status_code == 404


def _detail_queries(client, contract):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("contract_detail", args=[contract.pk]))
    assert response.status_code == 200
    return len(queries)


def _add_milestones(contract, count):
    """Split the last milestone into `count` more (the sum stays the contract amount)."""
    last = contract.milestones.order_by("-position").first()
    part = Money("100.00", "CNY")
    Milestone.objects.filter(pk=last.pk).update(amount=last.amount - part * count)
    for index in range(count):
        Milestone.objects.create(
            contract=contract,
            position=10 + index,
            name=f"追加节点{index}",
            percentage=0,
            amount=part,
            due_on=contract.ends_on,
        )


def test_manage_page_query_count_does_not_grow_with_milestones(client, parties):
    _award, officer, _admin = parties
    contract = _contract(parties, status=Contract.Status.ACTIVE)
    client.force_login(officer)
    baseline = _detail_queries(client, contract)

    _add_milestones(contract, 5)

    assert _detail_queries(client, contract) == baseline


# Public page --------------------------------------------------------------------------


def test_public_page_shows_the_public_part_only(client, parties):
    """Anyone sees parties, amount, term and milestones of a signed contract — not the
    deliverables' private text of versions, signatures, hashes or forms."""
    contract = _contract(parties, status=Contract.Status.ACTIVE)
    Contract.objects.filter(pk=contract.pk).update(signed_at=timezone.now())

    response = client.get(reverse("contract_public", args=[contract.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert contract.buyer.name in page and contract.organisation.name in page
    assert "合同签订后预付" in page and "¥280,000.00" in page
    version = contract.versions.get()
    assert version.sha256 not in page
    assert "totp_code" not in page and "csrfmiddlewaretoken" not in page
    assert "files/report-documents" not in page


def test_public_page_is_404_for_a_draft(client, parties):
    contract = _contract(parties)

    assert client.get(reverse("contract_public", args=[contract.pk])).status_code == 404


def test_public_page_query_count_does_not_grow_with_milestones(client, parties):
    contract = _contract(parties, status=Contract.Status.ACTIVE)
    Contract.objects.filter(pk=contract.pk).update(signed_at=timezone.now())
    url = reverse("contract_public", args=[contract.pk])
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    _add_milestones(contract, 5)
    with CaptureQueriesContext(connection) as many:
        client.get(url)

    assert len(many) == len(few)


# Lists --------------------------------------------------------------------------------


def test_buyer_list_flags_unsigned_overdue_contracts_with_constant_queries(client, parties):
    award, officer, _admin = parties
    old = _contract(parties)
    Award.objects.filter(pk=award.pk).update(
        notice_ends_at=timezone.now() - datetime.timedelta(days=31)
    )
    client.force_login(officer)

    with CaptureQueriesContext(connection) as few:
        response = client.get(reverse("buyer_contract_list"))
    assert [c.pk for c in response.context["page"]] == [old.pk]
    assert response.context["page"][0].overdue is True
    assert "逾期未签" in response.content.decode()

    for _ in range(4):
        other = factories.AwardFactory(
            bid__tender__buyer=award.tender.buyer,
            notice_ends_at=timezone.now() - datetime.timedelta(days=1),
        )
        factories.ContractFactory(award=other)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("buyer_contract_list"))

    assert len(response.context["page"]) == 5
    assert len(many) == len(few)
    assert [c.overdue for c in response.context["page"]].count(True) == 1


def test_organisation_list_is_for_its_members(client, parties):
    award, _officer, admin = parties
    contract = _contract(parties)
    url = reverse("organisation_contract_list", args=[award.bid.organisation.pk])

    client.force_login(admin)
    response = client.get(url)
    assert [c.pk for c in response.context["page"]] == [contract.pk]

    client.force_login(factories.UserFactory())
    assert client.get(url).status_code == 404
