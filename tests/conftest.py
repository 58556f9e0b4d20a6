import pytest
from allauth.mfa.models import Authenticator
from django.db import connection

from tests import factories


@pytest.fixture(autouse=True)
def _media_and_cache(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    from django.core.cache import cache

    cache.clear()  # allauth rate limits live in the cache


@pytest.fixture
def postgres_only():
    """Skip on SQLite: the behaviour under test is a PostgreSQL feature (trigger, row lock)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (run with DATABASE_URL=postgres://…); SQLite lacks it")


@pytest.fixture
def user(db):
    return factories.UserFactory()


@pytest.fixture
def staff(db):
    return factories.StaffFactory()


@pytest.fixture
def organisation(db):
    return factories.OrganisationFactory()


@pytest.fixture
def org_admin(organisation):
    return factories.OrganisationMembershipFactory(organisation=organisation).user


@pytest.fixture
def buyer(db):
    return factories.BuyerFactory()


@pytest.fixture
def officer(buyer):
    return factories.BuyerMembershipFactory(buyer=buyer).user


def give_totp(user):
    """Register a TOTP authenticator, as allauth does after a successful setup."""
    return Authenticator.objects.create(
        user=user, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"}
    )


@pytest.fixture
def mfa():
    return give_totp
