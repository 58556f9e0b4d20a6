"""Saved searches: only organisation members save them (from the tender results page), each
person sees and deletes only their own, and the emailed unsubscribe link works without
logging in (GET asks, POST unsubscribes; a wrong token is a 404)."""

from urllib.parse import urlencode

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from marketplace.models import AuditEntry
from search.models import SavedSearch
from search.saved import (
    MAX_SAVED_SEARCHES_PER_USER,
    saved_search_create,
    saved_search_delete,
    saved_search_unsubscribe,
)
from tests import factories

pytestmark = pytest.mark.django_db

LIST_URL = reverse("saved_search_list")
CREATE_URL = reverse("saved_search_create")


def _saved(user=None, **fields):
    membership = factories.OrganisationMembershipFactory(
        **({"user": user} if user else {}),
    )
    return saved_search_create(
        user=membership.user,
        organisation=membership.organisation,
        name=fields.pop("name", "养老项目"),
        query=fields.pop("query", "养老"),
        **fields,
    )


def _audit(saved_search, action):
    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(SavedSearch),
        object_id=str(saved_search.pk),
        action=action,
    )


def test_member_saves_the_current_tender_search(client, organisation, org_admin):
    """The results page links to the form with the search in its query string; posting it
    saves the query and the tender filters (not status) with an audit entry."""
    params = {"q": "居家养老", "kind": "tender", "category": "0101", "status": "published"}
    client.force_login(org_admin)
    search = client.get(reverse("search"), {**params, "budget_min": "100000"})
    save_url = search.context["save_url"]
    assert save_url.startswith(CREATE_URL)

    form = client.get(save_url)
    assert form.status_code == 200
    assert "状态" in form.context["dropped"]
    response = client.post(
        save_url, {"name": "养老订阅", "frequency": "immediate", "organisation": organisation.pk}
    )

    assert response.status_code == 302
    saved = SavedSearch.objects.get()
    assert (saved.user, saved.organisation, saved.name, saved.query) == (
        org_admin,
        organisation,
        "养老订阅",
        "居家养老",
    )
    assert saved.filters == {"category": "0101", "budget_min": "100000"}
    assert saved.frequency == SavedSearch.Frequency.IMMEDIATE
    assert _audit(saved, "saved_search_create").get().actor == org_admin


def test_anonymous_visitors_are_sent_to_login(client):
    """The save link is offered to visitors; the form and the list need a login."""
    search = client.get(reverse("search"), {"kind": "tender", "q": "养老"})
    assert search.context["save_url"]
    for url in (LIST_URL, CREATE_URL + "?q=养老"):
        response = client.get(url)
        assert response.status_code == 302
        assert reverse("account_login") in response["Location"]
    assert client.post(CREATE_URL, {"name": "x", "frequency": "daily"}).status_code == 302
    assert not SavedSearch.objects.exists()


def test_people_outside_any_organisation_cannot_save(client, user, organisation):
    """A signed-in person who is nobody's member gets no save link and a 403 form; forging
    a post for some organisation saves nothing."""
    client.force_login(user)
    assert client.get(reverse("search"), {"kind": "tender"}).context["save_url"] is None
    assert client.get(CREATE_URL).status_code == 403
    response = client.post(
        CREATE_URL, {"name": "x", "frequency": "daily", "organisation": organisation.pk}
    )
    assert response.status_code == 403
    assert not SavedSearch.objects.exists()


def test_member_of_several_organisations_chooses_one_of_their_own(client, user):
    """With two organisations the form asks which one; another organisation is refused."""
    mine = [factories.OrganisationMembershipFactory(user=user).organisation for _ in range(2)]
    stranger = factories.OrganisationFactory()
    client.force_login(user)

    form = client.get(CREATE_URL + "?" + urlencode({"q": "助残"}))
    assert list(form.context["form"].fields["organisation"].queryset) == sorted(
        mine, key=lambda organisation: organisation.name
    )
    refused = client.post(
        CREATE_URL + "?q=助残", {"name": "助残", "frequency": "daily", "organisation": stranger.pk}
    )
    assert refused.status_code == 200
    assert "organisation" in refused.context["form"].errors
    assert not SavedSearch.objects.exists()

    client.post(
        CREATE_URL + "?q=助残", {"name": "助残", "frequency": "daily", "organisation": mine[1].pk}
    )
    assert SavedSearch.objects.get().organisation == mine[1]


def test_list_shows_only_own_saved_searches(client):
    mine = _saved(name="我的订阅")
    theirs = _saved(name="别人的订阅")
    client.force_login(mine.user)

    html = client.get(LIST_URL).content.decode()

    assert "我的订阅" in html
    assert "别人的订阅" not in html
    assert [row["saved_search"] for row in client.get(LIST_URL).context["saved_searches"]] == [mine]
    assert theirs.pk  # still there, just not shown


def test_only_the_owner_deletes_a_saved_search(client, user):
    """Someone else's delete is a 404 and changes nothing; the owner's deletes it, logged.
    GET does not delete."""
    saved = _saved()
    delete_url = reverse("saved_search_delete", args=[saved.pk])

    assert client.post(delete_url).status_code == 302  # to the login
    client.force_login(user)
    assert client.post(delete_url).status_code == 404
    colleague = factories.OrganisationMembershipFactory(organisation=saved.organisation).user
    client.force_login(colleague)
    assert client.post(delete_url).status_code == 404
    assert SavedSearch.objects.filter(pk=saved.pk).exists()

    client.force_login(saved.user)
    assert client.get(delete_url).status_code == 405
    assert client.post(delete_url).status_code == 302
    assert not SavedSearch.objects.filter(pk=saved.pk).exists()
    assert _audit(saved, "saved_search_delete").get().actor == saved.user


def test_unsubscribe_link_works_without_login_and_only_on_post(client):
    """GET shows a confirmation (a mail scanner's fetch unsubscribes nobody); POST
    unsubscribes, once; the page never goes to another site in a Referer."""
    saved = _saved()
    url = reverse("saved_search_unsubscribe", args=[saved.unsubscribe_token])

    page = client.get(url)
    assert page.status_code == 200
    assert page["Referrer-Policy"] == "no-referrer"
    assert "确认退订" in page.content.decode()
    saved.refresh_from_db()
    assert saved.unsubscribed_at is None

    done = client.post(url)
    assert done.status_code == 200
    assert "已退订" in done.content.decode()
    saved.refresh_from_db()
    first = saved.unsubscribed_at
    assert first is not None
    client.post(url)
    saved.refresh_from_db()
    assert saved.unsubscribed_at == first
    assert _audit(saved, "saved_search_unsubscribe").count() == 1


def test_one_click_unsubscribe_needs_no_csrf_token_and_changes_only_that_search():
    """A mail program's RFC 8058 POST (no cookie, no CSRF token, body
    List-Unsubscribe=One-Click) unsubscribes that saved search and no other."""
    saved, other = _saved(), _saved()
    client = Client(enforce_csrf_checks=True)
    url = reverse("saved_search_unsubscribe", args=[saved.unsubscribe_token])

    response = client.post(
        url,
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    saved.refresh_from_db()
    other.refresh_from_db()
    assert saved.unsubscribed_at is not None
    assert other.is_active
    # Other pages of the site still check CSRF.
    assert client.post(reverse("saved_search_delete", args=[other.pk])).status_code == 403
    other.refresh_from_db()
    assert other.is_active


def test_wrong_unsubscribe_token_is_404(client):
    saved = _saved()
    url = reverse("saved_search_unsubscribe", args=["not-" + saved.unsubscribe_token])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    saved.refresh_from_db()
    assert saved.is_active


def test_create_refuses_non_members_and_bad_input_and_changes_nothing(user, organisation):
    """Service errors: a non-member (PermissionDenied), an empty name, an unknown filter or
    code, an upside-down budget, a wrong frequency (ValidationError per field); nothing is
    stored or logged."""
    member = factories.OrganisationMembershipFactory(organisation=organisation).user
    audits = AuditEntry.objects.count()
    with pytest.raises(PermissionDenied):
        saved_search_create(user=user, organisation=organisation, name="x")
    with pytest.raises(ValidationError) as raised:
        saved_search_create(
            user=member,
            organisation=organisation,
            name="  ",
            filters={"category": "9999", "colour": "red", "budget_min": "5", "budget_max": "1"},
            frequency="hourly",
        )
    assert set(raised.value.message_dict) == {
        "name",
        "category",
        "filters",
        "budget_max",
        "frequency",
    }
    assert not SavedSearch.objects.exists()
    assert AuditEntry.objects.count() == audits


def test_create_limits_saved_searches_per_person(user):
    saved = _saved(user=user)
    for n in range(MAX_SAVED_SEARCHES_PER_USER - 1):
        saved_search_create(user=user, organisation=saved.organisation, name=f"订阅{n}")
    with pytest.raises(ValidationError) as raised:
        saved_search_create(user=user, organisation=saved.organisation, name="再来一个")
    assert "name" in raised.value.message_dict
    assert SavedSearch.objects.filter(user=user).count() == MAX_SAVED_SEARCHES_PER_USER


def test_delete_and_unsubscribe_services(user):
    """Deleting someone else's saved search is refused and changes nothing."""
    saved = _saved()
    with pytest.raises(PermissionDenied):
        saved_search_delete(saved_search=saved, by=user)
    assert SavedSearch.objects.filter(pk=saved.pk).exists()
    assert saved_search_unsubscribe(saved_search=saved).unsubscribed_at is not None
