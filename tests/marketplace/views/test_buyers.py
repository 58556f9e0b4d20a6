"""Buyer pages: the public list and profile, and the officer's workspace."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from marketplace.models import Buyer
from tests import factories

pytestmark = pytest.mark.django_db

LIST_URL = reverse("buyer_list")


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


def _make_buyers(count, parent):
    for _ in range(count):
        factories.BuyerFactory(parent=parent, region=factories.county("320506"))


def test_buyer_list_query_count_does_not_grow(client):
    """The buyer list costs the same number of queries for 3 and for 30 buyers with parents."""
    parent = factories.BuyerFactory(name="苏州市民政局", level=Buyer.Level.CITY)
    _make_buyers(2, parent)
    few, response = _queries(client, LIST_URL)
    assert len(response.context["page"]) == 3

    _make_buyers(27, parent)
    many, response = _queries(client, LIST_URL)
    assert len(response.context["page"]) == 20

    assert many == few
    page = response.content.decode()
    assert "苏州市民政局" in page
    assert "吴中区" in page


def test_buyer_list_filters_by_city(client):
    """Filtering by a city lists the buyers inside it only."""
    suzhou = factories.BuyerFactory(name="姑苏街道", region=factories.county("320508"))
    factories.BuyerFactory(name="玄武街道", region=factories.county("320102"))
    city = factories.county("320508").parent

    response = client.get(LIST_URL, {"region": city.pk})

    assert [buyer.name for buyer in response.context["page"]] == [suzhou.name]


@pytest.mark.parametrize(("page", "expected"), [("2", 2), ("abc", 1), ("999", 2)])
def test_buyer_list_pagination_tolerates_bad_numbers(client, page, expected):
    """Page 2 exists with 25 buyers; junk or out-of-range page numbers do not fail."""
    for _ in range(25):
        factories.BuyerFactory()

    response = client.get(LIST_URL, {"page": page})

    assert response.status_code == 200
    assert response.context["page"].number == expected


def _add_children_and_delegations(buyer, count):
    for _ in range(count):
        factories.BuyerFactory(parent=buyer)
        factories.DelegationFactory(buyer=buyer)


def test_buyer_detail_query_count_does_not_grow(client):
    """A buyer's page costs the same number of queries with 2 or 20 children and delegations."""
    buyer = factories.BuyerFactory(
        name="苏州市姑苏区民政局", parent=factories.BuyerFactory(name="苏州市民政局")
    )
    url = buyer.get_absolute_url()
    _add_children_and_delegations(buyer, 2)
    few, _ = _queries(client, url)

    _add_children_and_delegations(buyer, 18)
    many, response = _queries(client, url)

    assert many == few
    assert len(response.context["children"]) == 20
    assert len(response.context["delegations"]) == 20
    page = response.content.decode()
    assert "苏州市姑苏区民政局" in page
    assert "苏州市民政局" in page


def test_buyer_detail_shows_only_delegations_in_force(client, buyer):
    """Revoked, expired and future delegations are not shown as operators on the profile."""
    today = timezone.localdate()
    active = factories.DelegationFactory(buyer=buyer, operator__name="在期运营方")
    factories.DelegationFactory(
        buyer=buyer, operator__name="已撤销运营方", revoked_at=timezone.now()
    )
    factories.DelegationFactory(
        buyer=buyer,
        operator__name="已到期运营方",
        starts_on=today - datetime.timedelta(days=100),
        expires_on=today - datetime.timedelta(days=1),
    )
    factories.DelegationFactory(
        buyer=buyer,
        operator__name="未生效运营方",
        starts_on=today + datetime.timedelta(days=1),
        expires_on=today + datetime.timedelta(days=100),
    )

    response = client.get(buyer.get_absolute_url())

    assert list(response.context["delegations"]) == [active]
    page = response.content.decode()
    assert "在期运营方" in page
    for hidden in ("已撤销运营方", "已到期运营方", "未生效运营方"):
        assert hidden not in page


def test_buyer_detail_404_for_unknown_buyer(client):
    """An unknown buyer id is 404."""
    assert client.get(reverse("buyer_detail", args=[999_999])).status_code == 404


def test_workspace_lists_the_officers_buyers_and_delegations(client, officer, buyer, mfa):
    """An officer with MFA sees their buyer, its active delegations and the revoke buttons."""
    mfa(officer)
    delegation = factories.DelegationFactory(buyer=buyer, operator__name="受托中心")
    factories.DelegationFactory(buyer=buyer, operator__name="撤销中心", revoked_at=timezone.now())
    client.force_login(officer)

    response = client.get(reverse("buyer_workspace"))

    page = response.content.decode()
    assert buyer.name in page
    assert "受托中心" in page
    assert "撤销中心" not in page
    assert reverse("delegation_revoke", args=[buyer.pk, delegation.pk]) in page


def test_workspace_query_count_does_not_grow_with_delegations(client, officer, buyer, mfa):
    """The workspace costs the same number of queries with 1 or 10 delegations."""
    mfa(officer)
    client.force_login(officer)
    factories.DelegationFactory(buyer=buyer)
    few, _ = _queries(client, reverse("buyer_workspace"))
    for _ in range(9):
        factories.DelegationFactory(buyer=buyer)
    many, _ = _queries(client, reverse("buyer_workspace"))
    assert many == few


def test_delegation_names_the_operator_by_credit_code(client, officer, buyer, mfa):
    """The officer types the operator's credit code; a verified organisation gets the delegation."""
    mfa(officer)
    operator = factories.OrganisationFactory()
    client.force_login(officer)
    today = timezone.localdate()

    response = client.post(
        reverse("delegation_create", args=[buyer.pk]),
        {
            "operator": operator.credit_code.lower(),
            "scope": "venture_round",
            "starts_on": today.isoformat(),
            "expires_on": (today + datetime.timedelta(days=90)).isoformat(),
        },
    )

    assert response.status_code == 302
    assert buyer.delegations.get().operator == operator


def test_delegation_to_an_unknown_credit_code_is_refused(client, officer, buyer, mfa):
    """A well-formed code that no organisation has is reported on the field; nothing is made."""
    mfa(officer)
    client.force_login(officer)
    unknown = factories.credit_code_make("52", "320508", 99_999_998)
    today = timezone.localdate()

    response = client.post(
        reverse("delegation_create", args=[buyer.pk]),
        {
            "operator": unknown,
            "scope": "venture_round",
            "starts_on": today.isoformat(),
            "expires_on": (today + datetime.timedelta(days=90)).isoformat(),
        },
    )

    assert response.status_code == 200
    assert f"平台上没有统一社会信用代码为 {unknown} 的社会组织" in response.content.decode()
    assert not buyer.delegations.exists()
