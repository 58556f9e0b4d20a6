"""Language: Chinese by default, English when the visitor asks for it."""

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

PAGES = ["/", "/organisations/", "/accounts/login/"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_render_in_chinese_by_default(client, path):
    """Without any language preference, pages are Chinese: lang="zh-CN" and Chinese navigation."""
    response = client.get(path)

    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="zh-CN">' in page
    assert ">社会组织</a>" in page
    assert ">购买主体</a>" in page
    assert ">登录</a>" in page


@pytest.mark.parametrize("path", PAGES)
def test_chinese_accept_language_gives_chinese(client, path):
    """A browser asking for zh-CN gets the simplified-Chinese site."""
    page = client.get(path, HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()
    assert '<html lang="zh-CN">' in page


def test_login_page_uses_allauths_chinese_strings_by_default(client):
    """allauth's own texts on the login page are in Chinese by default."""
    page = client.get(reverse("account_login")).content.decode()
    assert "Sign In" not in page
    assert "登录" in page


@pytest.mark.parametrize("path", PAGES)
def test_language_cookie_switches_to_english(client, path):
    """With the language cookie set to "en", pages declare <html lang="en">."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = client.get(path)

    assert response.status_code == 200
    assert '<html lang="en">' in response.content.decode()


@pytest.mark.parametrize("path", PAGES)
def test_english_accept_language_switches_to_english(client, path):
    """A browser asking for English gets <html lang="en">."""
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")

    assert response.status_code == 200
    assert '<html lang="en">' in response.content.decode()


@pytest.mark.parametrize(
    "switch",
    [
        {"HTTP_ACCEPT_LANGUAGE": "en"},
        {"cookie": "en"},
    ],
    ids=["accept-language", "cookie"],
)
def test_login_page_shows_allauths_english_strings(client, switch):
    """In English, allauth's own login texts are English."""
    if "cookie" in switch:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = switch.pop("cookie")

    page = client.get(reverse("account_login"), **switch).content.decode()

    assert "Sign In" in page
    assert "If you have not created an account yet" in page


def test_language_switcher_sets_the_cookie(client):
    """Posting the language form stores the choice, and the next page is English."""
    response = client.post(reverse("set_language"), {"language": "en", "next": "/organisations/"})

    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert '<html lang="en">' in client.get("/organisations/").content.decode()
