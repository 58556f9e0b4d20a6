"""Buyer pages: the officer's workspace and delegations. (The buyer table and profiles are
Wagtail pages now: tests/cms/test_directories.py.)"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests import factories

pytestmark = pytest.mark.django_db


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


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
