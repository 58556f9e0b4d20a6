"""Paths under /api/v1/ that are no endpoint, and methods an endpoint does not answer, get
the API's JSON error shape in the request's language — never the site's HTML 404 or
ninja's plain-text 405. A path missing only its trailing slash is still redirected."""

import pytest
from django.utils import translation
from django.utils.translation import gettext

from tests import factories
from tests.marketplace.api.conftest import ApiClient, make_token

pytestmark = pytest.mark.django_db

UNKNOWN_ENDPOINT = "没有这个接口，请查看接口文档：%(docs)s"
NOT_ALLOWED = "此接口不支持 %(method)s 请求，可用：%(allowed)s。"
DOCS = "http://testserver/api/v1/docs"


def _message(language, text, **values):
    with translation.override(language):
        return gettext(text) % values


def _error(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert set(error) <= {"code", "message", "fields"}
    return error


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("path", ["/nothing/", "/nothing", "/tenders/1/nothing/", "/", "/a/b/c"])
def test_unknown_paths_are_json_404_in_the_request_language(language, path):
    response = ApiClient(language=language).get(path)
    error = _error(response, 404)
    assert error == {
        "code": "not_found",
        "message": _message(language, UNKNOWN_ENDPOINT, docs=DOCS),
    }
    assert response["Content-Language"] == language


def test_unknown_paths_answer_every_method_with_404():
    client = ApiClient(language="en").client
    for method in ("post", "put", "patch", "delete"):
        response = getattr(client, method)("/api/v1/nothing/")
        assert _error(response, 404)["code"] == "not_found", method


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_wrong_method_is_json_405_with_allow(language):
    client = ApiClient(language=language).client
    response = client.delete("/api/v1/tenders/", headers={"Accept-Language": language})
    error = _error(response, 405)
    assert error == {
        "code": "method_not_allowed",
        "message": _message(language, NOT_ALLOWED, method="DELETE", allowed="GET"),
    }
    assert response["Allow"] == "GET"
    assert response["Content-Language"] == language


def test_a_wrong_method_on_a_token_endpoint_is_405_before_authentication():
    """GET on a POST-only endpoint says which method to use, token or not."""
    tender = factories.TenderFactory()
    client = ApiClient().client
    response = client.get(f"/api/v1/tenders/{tender.pk}/bids/")
    assert _error(response, 405)["code"] == "method_not_allowed"
    assert response["Allow"] == "POST"
    # The right method still reaches the endpoint (and its authentication).
    assert client.post(f"/api/v1/tenders/{tender.pk}/bids/").status_code == 401


def test_a_missing_trailing_slash_is_still_redirected():
    response = ApiClient().get("/tenders", page=2)
    assert response.status_code == 301
    assert response["Location"] == "/api/v1/tenders/?page=2"


def test_known_objects_keep_their_own_404_message():
    body = ApiClient(language="en").get("/tenders/999999/").json()
    assert body["error"]["code"] == "not_found"
    assert body["error"]["message"] == _message("en", "未找到该对象，或您无权查看。")


def test_endpoints_still_answer_and_count_the_rate(settings):
    settings.API_RATE_LIMIT_ANON = "5/min"
    _token, raw = make_token(factories.OrganisationFactory())
    assert ApiClient(raw).get("/me/").status_code == 200
    response = ApiClient().get("/tenders/")
    assert response.status_code == 200 and response["X-RateLimit-Remaining"] == "4"
