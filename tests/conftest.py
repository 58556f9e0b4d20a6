import pytest
from allauth.mfa.models import Authenticator
from django.core.cache import cache
from django.db import connection
from django.utils import translation

from tests import factories


@pytest.fixture(autouse=True)
def _isolation(settings, tmp_path):
    """Each test starts in Chinese, with its own media folder and an empty cache.

    A request through LocaleMiddleware leaves its language active in the thread, and
    allauth keeps rate-limit counters in the cache; neither may leak into the next test.
    """
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


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


def pytest_collection_modifyitems(items):
    """Transactional tests must restore the reference data the migrations load (regions, the
    catalogue, content types): a plain flush after them would delete it for every later test."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        if (
            marker
            and marker.kwargs.get("transaction")
            and not marker.kwargs.get("serialized_rollback")
        ):
            raise pytest.UsageError(
                f"{item.nodeid}: use django_db(transaction=True, serialized_rollback=True)"
            )
