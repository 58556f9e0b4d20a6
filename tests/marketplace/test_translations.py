"""English is a complete translation of the Chinese source strings."""

import re
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from django.conf import settings

from marketplace.models import Category, Region
from tests import factories

PO = Path(settings.BASE_DIR, "locale/en/LC_MESSAGES/django.po")
MO = PO.with_suffix(".mo")
HAN = re.compile(r"[\u4e00-\u9fff]")


def _text(value):
    """Babel gives contexts as bytes from .mo files and plural forms as lists or tuples."""
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, list | tuple):
        return tuple(value)
    return value


def _catalog(path, reader):
    with path.open("rb") as handle:
        return {
            (_text(message.context), _text(message.id)): _text(message.string)
            for message in reader(handle)
            if message.id
        }


def test_every_source_string_has_an_english_translation():
    """No msgid in locale/en is left empty or fuzzy."""
    with PO.open("rb") as handle:
        catalog = read_po(handle)
    untranslated = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
    assert untranslated == []


def test_compiled_catalog_matches_the_po_file():
    """The committed .mo holds exactly the translations of the .po (run `make messages`)."""
    assert _catalog(MO, read_mo) == _catalog(PO, read_po)


def _visible_text(html):
    html = re.sub(r"<(script|style|option)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"<[^>]+>", " ", html)
    return html


SIGNED_IN_PAGES = {"/organisations/register/", "/dashboard/"}


@pytest.mark.parametrize(
    "path",
    [
        "/organisations/",
        "/buyers/",
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/reset/",
        "/organisations/register/",
        "/dashboard/",
    ],
)
def test_site_pages_in_english_show_no_chinese_interface_text(db, client, settings, path):
    """With English chosen, the interface has no Chinese left.

    Data stays in Chinese: region and catalogue names, and the language menu's own name.
    """
    if path in SIGNED_IN_PAGES:
        client.force_login(factories.UserFactory(name="Li Lei"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(path)
    assert response.status_code == 200
    text = _visible_text(response.content.decode()).replace("简体中文", "")
    data = [
        *Category.objects.values_list("name", flat=True),
        *Region.objects.values_list("name", flat=True),
    ]
    for name in sorted(data, key=len, reverse=True):
        text = text.replace(name, "")
    assert HAN.findall(text) == [], text


def test_home_page_interface_is_english_around_the_cms_content(db, client, settings):
    """The home page's own interface is translated; its CMS text is content, edited in Wagtail."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    for text in ("Browse organisations", "Browse buyers", "Organisations", "Log in"):
        assert text in html
