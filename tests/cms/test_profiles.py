"""What the organisation and buyer profiles (Wagtail routable pages) add to the moved
marketplace pages: contracts won or let with amounts and database totals, links to the
published results, the editable introduction (and its staff-only admin), the page cache
for anonymous readers with ETag/Last-Modified and its invalidation, constant query counts."""

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date
from djmoney.money import Money

from cms.models import BuyerIntroduction, OrganisationIntroduction
from marketplace import pagecache
from marketplace.models import Contract, Milestone, Organisation
from marketplace.services.contracts import contract_complete_if_done
from marketplace.services.organisations import organisation_update
from marketplace.tasks import recompute_rating_summaries
from tests import factories
from tests.cms.helpers import published_result
from tests.marketplace.views.test_ratings_views import _revealed_round_for

pytestmark = pytest.mark.django_db

UNCACHED = {"HTTP_COOKIE": "sessionid=uncached"}


def _contract(organisation, buyer, amount="100000.00", status=Contract.Status.ACTIVE, **fields):
    """A contract between the two parties, signed unless it is a draft."""
    bid = factories.BidFactory(
        organisation=organisation,
        tender=factories.TenderFactory(buyer=buyer),
        amount=Money(amount, "CNY"),
    )
    signed = None if status == Contract.Status.DRAFT else timezone.now()
    return factories.ContractFactory(
        award=factories.AwardFactory(bid=bid), status=status, signed_at=signed, **fields
    )


def _queries(client, url, *, cold=True, **headers):
    if cold:  # nothing cached: neither the page nor Wagtail's site root paths
        cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **headers)
    assert response.status_code == 200, url
    return len(queries), response


# --- Live data -------------------------------------------------------------------------------


def test_organisation_profile_lists_contracts_won_with_totals(client):
    """Signed contracts (not drafts, not other organisations') with their buyer and amount,
    and the totals: count, sum, active, completed."""
    organisation, buyer = factories.OrganisationFactory(), factories.BuyerFactory(name="甲街道")
    active = _contract(organisation, buyer, "100000.00")
    completed = _contract(organisation, buyer, "250000.50", Contract.Status.COMPLETED)
    draft = _contract(organisation, buyer, "90000.00", Contract.Status.DRAFT)
    other = _contract(factories.OrganisationFactory(), buyer, "70000.00")

    response = client.get(organisation.get_absolute_url())

    page = response.content.decode()
    totals = response.context["totals"]
    assert (totals.count, totals.active_count, totals.completed_count) == (2, 1, 1)
    assert totals.amount == Money("350000.50", "CNY")
    assert "¥350,000.50" in page
    assert "¥100,000.00" in page and "¥250,000.50" in page
    assert [c.pk for c in response.context["contracts"]] == sorted(
        [active.pk, completed.pk], reverse=True
    )
    assert buyer.get_absolute_url() in page
    assert reverse("contract_public", args=[active.pk]) in page
    assert reverse("contract_public", args=[draft.pk]) not in page
    assert reverse("contract_public", args=[other.pk]) not in page


def test_buyer_profile_lists_contracts_let_with_totals(client):
    """The buyer's signed contracts with the organisation that won each, and their sum."""
    buyer = factories.BuyerFactory()
    first, second = factories.OrganisationFactory(), factories.OrganisationFactory()
    _contract(first, buyer, "120000.00")
    _contract(second, buyer, "80000.00", Contract.Status.TERMINATED)
    _contract(first, factories.BuyerFactory(), "50000.00")

    response = client.get(buyer.get_absolute_url())

    page = response.content.decode()
    assert response.context["totals"].count == 2
    assert "¥200,000.00" in page
    assert first.get_absolute_url() in page and second.get_absolute_url() in page


def test_profiles_without_contracts_say_so(client):
    organisation = factories.OrganisationFactory()
    response = client.get(organisation.get_absolute_url())
    assert response.context["totals"].amount == Money("0.00", "CNY")
    assert "暂无已签订的合同" in response.content.decode()


def test_profiles_link_the_published_results_only(client):
    """A completed contract's published result page is linked from both profiles (in the
    results list and on its contract row); an unpublished draft is not."""
    organisation, buyer = factories.OrganisationFactory(), factories.BuyerFactory()
    shown = published_result(_contract(organisation, buyer, status=Contract.Status.COMPLETED))
    draft_contract = _contract(organisation, buyer, status=Contract.Status.COMPLETED)
    draft = published_result(draft_contract)
    draft.unpublish()

    for url in (organisation.get_absolute_url(), buyer.get_absolute_url()):
        response = client.get(url, **UNCACHED)
        page = response.content.decode()
        assert page.count(f'href="{shown.url}"') == 2, url
        assert draft.url not in page
        assert [result.pk for result in response.context["results"]] == [shown.pk]


def test_profiles_show_ratings_punctuality_and_on_time_delivery(client):
    """The rating summary (Bayesian, counted evaluations), the organisation's measured
    on-time delivery and the buyer's payment punctuality are on the profiles."""
    organisation, buyer = factories.OrganisationFactory(), factories.BuyerFactory()
    for _index in range(2):
        _revealed_round_for(organisation, buyer, score=5)
    with_accepted = _contract(organisation, buyer)
    Milestone.objects.filter(contract=with_accepted, position=0).update(
        status=Milestone.Status.ACCEPTED, accepted_at=timezone.now() - datetime.timedelta(days=1)
    )
    recompute_rating_summaries.enqueue(organisation_ids=[organisation.pk], buyer_ids=[buyer.pk])

    org_page = client.get(organisation.get_absolute_url()).content.decode()
    buyer_page = client.get(buyer.get_absolute_url()).content.decode()

    for page in (org_page, buyer_page):
        assert "基于 2 次评价" in page
    assert "承接主体按期交付" in org_page and "<strong>100%</strong>" in org_page
    assert "付款及时性" in buyer_page
    assert "当前逾期未付" in buyer_page


# --- Introduction ----------------------------------------------------------------------------


def test_the_introduction_shows_on_the_profiles(client):
    organisation, buyer = factories.OrganisationFactory(), factories.BuyerFactory()
    OrganisationIntroduction.objects.create(
        organisation=organisation, body="<p>十年来专注<b>社区居家养老</b>。</p>"
    )
    BuyerIntroduction.objects.create(buyer=buyer, body="<p>辖区常住人口八万。</p>")

    org_page = client.get(organisation.get_absolute_url()).content.decode()
    buyer_page = client.get(buyer.get_absolute_url()).content.decode()

    assert "十年来专注<b>社区居家养老</b>。" in org_page
    assert "辖区常住人口八万。" in buyer_page
    assert "编辑介绍" not in org_page + buyer_page


def test_staff_get_a_link_to_write_or_edit_the_introduction(client, staff, user):
    """Staff see "编辑介绍": to the add form with the organisation chosen, or to the edit
    form of the existing introduction; other signed-in users see no link."""
    organisation, buyer = factories.OrganisationFactory(), factories.BuyerFactory()
    introduction = BuyerIntroduction.objects.create(buyer=buyer, body="<p>介绍</p>")
    client.force_login(staff)

    org_page = client.get(organisation.get_absolute_url()).content.decode()
    buyer_page = client.get(buyer.get_absolute_url()).content.decode()

    add_url = reverse("wagtailsnippets_cms_organisationintroduction:add")
    assert f'href="{add_url}?organisation={organisation.pk}"' in org_page
    edit_url = reverse("wagtailsnippets_cms_buyerintroduction:edit", args=[introduction.pk])
    assert f'href="{edit_url}"' in buyer_page
    client.force_login(user)
    assert "编辑介绍" not in client.get(organisation.get_absolute_url()).content.decode()


def test_staff_write_an_introduction_in_the_admin(client, staff, mfa):
    """The add form starts with the organisation from the link chosen; saving creates the
    introduction, which the profile then shows."""
    mfa(staff)
    organisation = factories.OrganisationFactory(name="阳光社工服务中心")
    client.force_login(staff)
    add_url = reverse("wagtailsnippets_cms_organisationintroduction:add")

    form = client.get(f"{add_url}?organisation={organisation.pk}")
    assert form.status_code == 200
    assert "阳光社工服务中心" in form.content.decode()
    response = client.post(
        add_url,
        {
            "organisation": organisation.pk,
            "body": '{"blocks": [{"key": "a", "type": "unstyled", "text": "专业社工。",'
            ' "depth": 0, "inlineStyleRanges": [], "entityRanges": []}], "entityMap": {}}',
        },
    )

    assert response.status_code == 302
    assert "专业社工。" in OrganisationIntroduction.objects.get(organisation=organisation).body


def test_only_staff_may_edit_introductions(client, user, mfa):
    """Signed-in non-staff users cannot open the introductions' admin."""
    client.force_login(user)
    response = client.get(reverse("wagtailsnippets_cms_organisationintroduction:add"))
    assert response.status_code in (302, 403)
    assert not OrganisationIntroduction.objects.exists()


def test_the_organisation_chooser_searches_by_name(client, staff, mfa):
    mfa(staff)
    factories.OrganisationFactory(name="阳光社工服务中心")
    factories.OrganisationFactory(name="明德助残协会")
    client.force_login(staff)
    response = client.get(reverse("organisation_chooser:choose_results"), {"q": "阳光"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "阳光社工服务中心" in page and "明德助残协会" not in page


# --- Visibility ------------------------------------------------------------------------------


def test_a_non_verified_profile_is_404_to_the_public_and_never_cached(client):
    organisation = factories.OrganisationFactory(status=Organisation.Status.PENDING)
    member = factories.OrganisationMembershipFactory(organisation=organisation).user
    url = organisation.get_absolute_url()

    assert client.get(url).status_code == 404
    assert client.get(url).status_code == 404
    client.force_login(member)
    response = client.get(url)
    assert response.status_code == 200
    assert pagecache.HIT_HEADER not in response


# --- Query counts ----------------------------------------------------------------------------


def _add_history(organisation, buyer, count):
    """`count` signed contracts (half completed with a published result) and `count`
    revealed evaluations, then the summaries."""
    for index in range(count):
        contract = _contract(
            organisation,
            buyer,
            status=Contract.Status.COMPLETED if index % 2 else Contract.Status.ACTIVE,
        )
        if index % 2:
            published_result(contract)
        _revealed_round_for(organisation, buyer, year_offset=index % 3)
    recompute_rating_summaries.enqueue(organisation_ids=[organisation.pk], buyer_ids=[buyer.pk])


def test_profile_query_counts_do_not_grow_with_contracts_and_evaluations(client):
    """2 or 24 contracts (a page of 20 shown, results linked) and evaluations: the same
    number of queries, for both profiles. With none, the empty lists skip a few queries."""
    organisation, buyer = factories.OrganisationFactory(), factories.BuyerFactory()
    urls = (organisation.get_absolute_url(), buyer.get_absolute_url())
    empty = [_queries(client, url, **UNCACHED)[0] for url in urls]
    _add_history(organisation, buyer, 2)
    few = [_queries(client, url, **UNCACHED)[0] for url in urls]

    _add_history(organisation, buyer, 22)
    many = [_queries(client, url, **UNCACHED) for url in urls]

    assert [count for count, _response in many] == few
    assert all(none <= some for none, some in zip(empty, few, strict=True))
    for _count, response in many:
        assert len(response.context["contracts"]) == 20
        assert response.context["totals"].count >= 24
        assert "第 1 / 2 页" in response.content.decode()


# --- Page cache ------------------------------------------------------------------------------


def test_profiles_are_cached_for_anonymous_readers_with_validators(client, user):
    """The second anonymous request is a cache hit without queries; ETag and Last-Modified
    answer 304; signed-in readers are never served from the cache."""
    organisation, buyer = factories.OrganisationFactory(), factories.BuyerFactory()
    _contract(organisation, buyer)
    for url in (
        organisation.get_absolute_url(),
        buyer.get_absolute_url(),
        reverse("organisation_list"),
        reverse("buyer_list") + "?sort=rating",
    ):
        cold, first = _queries(client, url)
        warm, second = _queries(client, url, cold=False)
        assert (first[pagecache.HIT_HEADER], second[pagecache.HIT_HEADER]) == ("miss", "hit")
        assert cold > 0 and warm == 0
        assert second.content == first.content
        assert first["ETag"] and first["Last-Modified"]
        assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
        assert client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304
    client.force_login(user)
    assert pagecache.HIT_HEADER not in client.get(organisation.get_absolute_url())


def test_last_modified_follows_the_profile_data(client):
    """Last-Modified is the latest of the page's publication, the organisation, its
    contracts and the introduction."""
    organisation, buyer = factories.OrganisationFactory(), factories.BuyerFactory()
    contract = _contract(organisation, buyer)
    introduction = OrganisationIntroduction.objects.create(
        organisation=organisation, body="<p>介绍</p>"
    )
    response = client.get(organisation.get_absolute_url(), **UNCACHED)
    organisation.refresh_from_db()
    latest = max(organisation.updated_at, contract.updated_at, introduction.updated_at)
    assert response["Last-Modified"] == http_date(latest.timestamp())


def _stale_after(client, url, change, django_capture_on_commit_callbacks):
    client.get(url)
    assert client.get(url)[pagecache.HIT_HEADER] == "hit"
    with django_capture_on_commit_callbacks(execute=True):
        change()
    response = client.get(url)
    assert response[pagecache.HIT_HEADER] == "miss", change
    return response.content.decode()


def test_profiles_go_stale_when_their_data_changes(client, django_capture_on_commit_callbacks):
    """Editing the organisation, writing its introduction, completing a contract and
    recomputing the ratings each make the cached profile stale at once."""
    organisation, buyer = factories.OrganisationFactory(), factories.BuyerFactory()
    admin = factories.OrganisationMembershipFactory(organisation=organisation).user
    contract = _contract(organisation, buyer)
    url = organisation.get_absolute_url()

    page = _stale_after(
        client,
        url,
        lambda: organisation_update(organisation=organisation, by=admin, address="养育巷88号"),
        django_capture_on_commit_callbacks,
    )
    assert "养育巷88号" in page

    page = _stale_after(
        client,
        url,
        lambda: OrganisationIntroduction.objects.create(
            organisation=organisation, body="<p>新写的介绍。</p>"
        ),
        django_capture_on_commit_callbacks,
    )
    assert "新写的介绍。" in page

    Milestone.objects.filter(contract=contract).update(
        status=Milestone.Status.PAID, paid_at=timezone.now()
    )
    _stale_after(
        client, url, lambda: contract_complete_if_done(contract), django_capture_on_commit_callbacks
    )

    _revealed_round_for(organisation, buyer, score=5)
    page = _stale_after(
        client,
        url,
        lambda: recompute_rating_summaries.enqueue(
            organisation_ids=[organisation.pk], buyer_ids=[buyer.pk]
        ),
        django_capture_on_commit_callbacks,
    )
    assert "基于 1 次评价" in page


def test_buyer_profile_goes_stale_on_buyer_and_delegation_changes(
    client, django_capture_on_commit_callbacks
):
    buyer = factories.BuyerFactory()
    url = buyer.get_absolute_url()

    def rename():
        buyer.address = "人民路1号"
        buyer.save()

    assert "人民路1号" in _stale_after(client, url, rename, django_capture_on_commit_callbacks)
    page = _stale_after(
        client,
        url,
        lambda: factories.DelegationFactory(buyer=buyer, operator__name="受托运营中心"),
        django_capture_on_commit_callbacks,
    )
    assert "受托运营中心" in page


# --- After a flush ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_profiles_after_a_flush(client, site_pages):
    """Transactional tests flush the page tree; the site_pages fixture brings it back."""
    organisation = factories.OrganisationFactory()
    assert client.get(organisation.get_absolute_url()).status_code == 200
    assert client.get(reverse("buyer_list")).status_code == 200
