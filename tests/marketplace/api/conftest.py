import pytest
from django.test import Client

from marketplace.models import OrganisationMembership
from marketplace.services.api_tokens import api_token_create
from tests import factories


class ApiClient:
    """A test client for /api/v1/ that sends a bearer token (if given) and a language."""

    def __init__(self, token=None, language="zh-hans"):
        self.client = Client()
        self.headers = {"Accept-Language": language}
        if token is not None:
            self.headers["Authorization"] = f"Bearer {token}"

    def get(self, path, data=None, **params):
        return self.client.get(f"/api/v1{path}", {**(data or {}), **params}, headers=self.headers)

    def post(self, path, data=None):
        return self.client.post(f"/api/v1{path}", data or {}, headers=self.headers)


def make_token(organisation, role=OrganisationMembership.Role.MEMBER):
    """A member of `organisation` and a token acting as them, made by an admin."""
    admin = factories.OrganisationMembershipFactory(organisation=organisation).user
    member = factories.OrganisationMembershipFactory(organisation=organisation, role=role).user
    token, raw = api_token_create(organisation=organisation, user=member, name="ERP", by=admin)
    return token, raw


@pytest.fixture
def anon():
    return ApiClient()
