"""Rate limits, the OpenAPI document, the self-hosted docs page, and the tokens page."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from marketplace.api import ratelimit
from marketplace.models import ApiToken, AuditEntry, OrganisationMembership
from marketplace.services.api_tokens import api_token_create
from tests import factories
from tests.marketplace.api.conftest import ApiClient, make_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def frozen(monkeypatch):
    now = [1_000_000.0]
    monkeypatch.setattr(ratelimit, "clock", lambda: now[0])
    return now


def test_anonymous_rate_limit_then_allowed_after_the_window(settings, frozen, anon):
    settings.API_RATE_LIMIT_ANON = "2/min"
    first = anon.get("/buyers/")
    assert first["X-RateLimit-Limit"] == "2" and first["X-RateLimit-Remaining"] == "1"
    assert anon.get("/buyers/").status_code == 200
    refused = anon.get("/buyers/")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert int(refused["Retry-After"]) == 20  # window 1_000_000 // 60 ends at 1_000_020
    assert refused["X-RateLimit-Remaining"] == "0"
    frozen[0] += 21
    assert anon.get("/buyers/").status_code == 200


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit(settings, frozen):
    """Without a trusted proxy X-Forwarded-For is ignored (every caller behind one address
    shares it); with one, the forwarded address is the client."""
    settings.API_RATE_LIMIT_ANON = "1/min"

    def status(forwarded):
        return Client().get("/api/v1/buyers/", HTTP_X_FORWARDED_FOR=forwarded).status_code

    assert [status("192.0.2.1"), status("192.0.2.2")] == [200, 429]
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    assert [status("192.0.2.3"), status("192.0.2.4"), status("192.0.2.3")] == [200, 200, 429]


def test_tokens_are_counted_per_token_not_per_ip(settings, frozen):
    settings.API_RATE_LIMIT_ANON = "1/min"
    settings.API_RATE_LIMIT_TOKEN = "2/min"
    organisation = factories.OrganisationFactory()
    one, two = ApiClient(make_token(organisation)[1]), ApiClient(make_token(organisation)[1])
    assert [one.get("/me/").status_code for _i in range(3)] == [200, 200, 429]
    assert two.get("/me/").status_code == 200
    assert ApiClient().get("/buyers/").status_code == 200


def test_openapi_document_is_valid_openapi_3(anon):
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] and document["info"]["version"] == "1.0.0"
    assert document["info"]["description"]
    refs = set(re.findall(r'"\$ref": "([^"]+)"', response.content.decode()))
    for ref in refs:
        node = document
        assert ref.startswith("#/")
        for part in ref[2:].split("/"):
            node = node[part]  # KeyError: a dangling $ref
    methods = {"get", "post", "put", "patch", "delete"}
    for path, item in document["paths"].items():
        assert path.startswith("/api/v1/")
        operations = {k: v for k, v in item.items() if k in methods}
        assert operations, path
        for operation in operations.values():
            assert operation["responses"], path
            assert operation["operationId"]
    assert "/api/v1/tenders/{tender_id}/bids/" in document["paths"]
    assert document["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"


def test_docs_page_loads_nothing_from_other_sites():
    response = Client().get(reverse("api-v1:openapi-view"))
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/static/") for s in sources), sources
    assert not re.search(r"https?://", html)


def test_token_create_stores_only_a_hash_and_is_audited():
    organisation = factories.OrganisationFactory()
    admin = factories.OrganisationMembershipFactory(organisation=organisation).user
    token, raw = api_token_create(organisation=organisation, user=admin, name="ERP", by=admin)
    assert raw.startswith("zs_") and token.prefix == raw[:8]
    assert raw not in token.key_hash
    assert AuditEntry.objects.filter(object_id=str(token.pk), action="create").exists()


def test_only_an_admin_creates_tokens_for_members():
    from django.core.exceptions import PermissionDenied, ValidationError

    organisation = factories.OrganisationFactory()
    member = factories.OrganisationMembershipFactory(
        organisation=organisation, role=OrganisationMembership.Role.MEMBER
    ).user
    admin = factories.OrganisationMembershipFactory(organisation=organisation).user
    with pytest.raises(PermissionDenied):
        api_token_create(organisation=organisation, user=member, name="x", by=member)
    with pytest.raises(ValidationError):
        api_token_create(
            organisation=organisation, user=factories.UserFactory(), name="x", by=admin
        )
    assert ApiToken.objects.count() == 0


def test_tokens_page_creates_shows_once_and_revokes(client):
    organisation = factories.OrganisationFactory()
    admin = factories.OrganisationMembershipFactory(organisation=organisation).user
    client.force_login(admin)
    url = reverse("organisation_api_tokens", args=[organisation.pk])
    members_page = client.get(reverse("organisation_members", args=[organisation.pk]))
    assert url in members_page.content.decode()
    response = client.post(url, {"name": "财务系统", "user": admin.pk})
    assert response.status_code == 200
    raw = re.search(r'<code id="raw-token">([^<]+)</code>', response.content.decode()).group(1)
    assert ApiClient(raw).get("/me/").status_code == 200
    assert raw not in client.get(url).content.decode()
    token = ApiToken.objects.get()
    client.post(reverse("organisation_api_token_revoke", args=[organisation.pk, token.pk]))
    assert ApiClient(raw).get("/me/").status_code == 401


def test_tokens_page_is_404_for_members_and_outsiders(client):
    organisation = factories.OrganisationFactory()
    member = factories.OrganisationMembershipFactory(
        organisation=organisation, role=OrganisationMembership.Role.MEMBER
    ).user
    client.force_login(member)
    assert client.get(reverse("organisation_api_tokens", args=[organisation.pk])).status_code == 404
    client.force_login(factories.UserFactory())
    assert client.get(reverse("organisation_api_tokens", args=[organisation.pk])).status_code == 404
