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


# Stripe test peer (H7): localstripe on a free loopback port, in memory, for the session.

LOCALSTRIPE_SECRET_KEY = "sk_test_zhengshe_localstripe"
LOCALSTRIPE_WEBHOOK_SECRET = "whsec_zhengshe_localstripe"


class _LocalStripe:
    """A running localstripe plus a collector of the signed webhooks it sends."""

    def __init__(self, api_base, webhooks):
        self.api_base = api_base
        self.webhooks = webhooks  # list of (body bytes, Stripe-Signature header)
        self.secret_key = LOCALSTRIPE_SECRET_KEY
        self.webhook_secret = LOCALSTRIPE_WEBHOOK_SECRET

    def webhook_for(self, event_type, object_id, timeout=10.0):
        """The signed webhook localstripe sent for `event_type` about `object_id` (it sends
        them about a second after the event), as (body, signature)."""
        import json
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for body, signature in list(self.webhooks):
                event = json.loads(body)
                if event["type"] == event_type and event["data"]["object"]["id"] == object_id:
                    return body, signature
            time.sleep(0.1)
        raise AssertionError(f"localstripe sent no {event_type} for {object_id}")


@pytest.fixture(scope="session")
def localstripe_server():
    """Start localstripe in a background thread (own event loop, 127.0.0.1, a free port,
    nothing written to /tmp) and register a webhook endpoint that collects what it sends."""
    import asyncio
    import http.server
    import json
    import threading
    import urllib.request

    from aiohttp import web
    from localstripe import resources
    from localstripe.server import app

    resources.Store.dump_to_disk = lambda self: None

    received = []

    class Collector(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((body, self.headers.get("Stripe-Signature", "")))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    collector = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=collector.serve_forever, daemon=True).start()

    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app)
    started = threading.Event()
    ports = []

    def serve():
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        ports.append(site._server.sockets[0].getsockname()[1])
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert started.wait(10), "localstripe did not start"
    api_base = f"http://127.0.0.1:{ports[0]}"
    request = urllib.request.Request(  # noqa: S310 - our own loopback server
        f"{api_base}/_config/webhooks/zhengshe",
        data=json.dumps(
            {
                "url": f"http://127.0.0.1:{collector.server_address[1]}/",
                "secret": LOCALSTRIPE_WEBHOOK_SECRET,
            }
        ).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    urllib.request.urlopen(request, timeout=5).close()  # noqa: S310
    yield _LocalStripe(api_base, received)
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    collector.shutdown()


@pytest.fixture
def localstripe(localstripe_server, settings):
    """Point the Stripe gateway at localstripe for one test."""
    settings.STRIPE_SECRET_KEY = LOCALSTRIPE_SECRET_KEY
    settings.STRIPE_API_BASE = localstripe_server.api_base
    settings.STRIPE_WEBHOOK_SECRET = LOCALSTRIPE_WEBHOOK_SECRET
    return localstripe_server
