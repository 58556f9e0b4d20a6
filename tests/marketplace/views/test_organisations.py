"""Organisation pages: the public directory, profiles, and registration through the form."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from marketplace.models import AuditEntry, Organisation, OrganisationMembership
from marketplace.validators import credit_code_make
from tests import factories

pytestmark = pytest.mark.django_db

LIST_URL = reverse("organisation_list")


def _region(code):
    return factories.county(code)


def _names(response):
    return [organisation.name for organisation in response.context["page"]]


# --- directory -------------------------------------------------------------------------------


def _make_listed(count):
    districts = [_region("320508"), _region("320506")]
    categories = [factories.category("01"), factories.category("02")]
    for _ in range(count):
        factories.OrganisationFactory(districts=districts, categories=categories)


def _list_queries(client, url=LIST_URL):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


def test_directory_query_count_does_not_grow_with_organisations(client):
    """The directory page costs the same number of queries for 3 and for 30 organisations, each
    with two districts and two categories shown."""
    _make_listed(3)
    few, response = _list_queries(client)
    assert len(response.context["page"]) == 3

    _make_listed(27)
    many, response = _list_queries(client)
    assert len(response.context["page"]) == 20

    assert many == few
    page = response.content.decode()
    assert "姑苏区、吴中区" in page or "吴中区、姑苏区" in page
    assert "养老服务" in page
    assert "助残服务" in page


def test_filtered_directory_query_count_does_not_grow(client):
    """With every filter applied the query count still does not depend on the number of rows."""
    url = (
        f"{LIST_URL}?district={_region('320508').parent_id}&category={factories.category('01').pk}"
    )
    _make_listed(3)
    few, _ = _list_queries(client, url)
    _make_listed(27)
    many, response = _list_queries(client, url)
    assert len(response.context["page"]) == 20
    assert many == few


def test_directory_lists_only_verified_organisations(client):
    """Pending, rejected and suspended organisations are not listed."""
    shown = factories.OrganisationFactory(name="已认证组织")
    for status in ("pending", "rejected", "suspended"):
        factories.OrganisationFactory(name=f"{status}组织", status=status)

    response = client.get(LIST_URL)

    assert _names(response) == [shown.name]


def test_district_filter_includes_the_counties_of_a_city(client):
    """Filtering by a city lists organisations serving any of its counties, and not others;
    filtering by a county lists only that county's organisations."""
    gusu = factories.OrganisationFactory(name="姑苏组织", districts=[_region("320508")])
    wuzhong = factories.OrganisationFactory(name="吴中组织", districts=[_region("320506")])
    factories.OrganisationFactory(name="玄武组织", districts=[_region("320102")])
    suzhou = _region("320508").parent
    assert suzhou.name == "苏州市"

    by_city = client.get(LIST_URL, {"district": suzhou.pk})
    by_county = client.get(LIST_URL, {"district": _region("320508").pk})

    assert sorted(_names(by_city)) == sorted([gusu.name, wuzhong.name])
    assert _names(by_county) == [gusu.name]


def test_category_filter(client):
    """Filtering by a category lists the organisations offering it."""
    elderly = factories.OrganisationFactory(name="养老组织", categories=[factories.category("01")])
    factories.OrganisationFactory(name="助残组织", categories=[factories.category("02")])
    both = factories.OrganisationFactory(
        name="综合组织", categories=[factories.category("02"), factories.category("01")]
    )

    response = client.get(LIST_URL, {"category": factories.category("01").pk})

    assert sorted(_names(response)) == sorted([elderly.name, both.name])


def _rated(name, level, years_ago, days=0):
    evaluated = timezone.localdate() - datetime.timedelta(days=365 * years_ago + days)
    return factories.OrganisationFactory(
        name=name, rating_level=level, rating_evaluated_on=evaluated
    )


def test_minimum_rating_filter_ignores_expired_ratings(client):
    """'3A及以上' lists organisations whose current rating is at least 3A; an expired 5A, a
    current 2A and an unrated organisation are left out."""
    four = _rated("四A组织", 4, years_ago=1)
    three = _rated("三A组织", 3, years_ago=4)
    _rated("过期五A组织", 5, years_ago=6)
    _rated("二A组织", 2, years_ago=1)
    factories.OrganisationFactory(name="未评估组织")

    response = client.get(LIST_URL, {"min_rating": "3"})

    assert sorted(_names(response)) == sorted([four.name, three.name])


def test_invalid_filter_shows_everything_with_a_notice(client):
    """An unknown district id does not crash: all organisations are shown with a notice."""
    factories.OrganisationFactory(name="某组织")

    response = client.get(LIST_URL, {"district": "999999", "min_rating": "9"})

    assert response.status_code == 200
    assert _names(response) == ["某组织"]
    assert "筛选条件无效" in response.content.decode()


@pytest.fixture
def twenty_five(db):
    for number in range(1, 26):
        factories.OrganisationFactory(name=f"组织{number:02d}")


def test_pagination_shows_page_two(client, twenty_five):
    """With 25 organisations and 20 per page, page 2 holds the last five, with a link back."""
    response = client.get(LIST_URL, {"page": "2"})

    assert response.context["page"].number == 2
    assert _names(response) == [f"组织{number:02d}" for number in range(21, 26)]
    page = response.content.decode()
    assert "第 2 / 2 页，共 25 条" in page
    assert 'href="?page=1"' in page


def test_pagination_keeps_the_filters(client, twenty_five):
    """Page links carry the current filters along."""
    category = factories.category("01")
    response = client.get(LIST_URL, {"category": category.pk})
    assert f'href="?category={category.pk}&amp;page=2"' in response.content.decode()


@pytest.mark.parametrize(("page", "expected"), [("abc", 1), ("999", 2), ("-1", 2), ("", 1)])
def test_pagination_tolerates_bad_page_numbers(client, twenty_five, page, expected):
    """A non-numeric page shows the first page; an out-of-range one shows the last."""
    response = client.get(LIST_URL, {"page": page})

    assert response.status_code == 200
    assert response.context["page"].number == expected


# --- profile ---------------------------------------------------------------------------------


def test_profile_shows_the_rating_with_its_expiry(client):
    """A current rating is shown with its evaluation date and its expiry five years later."""
    evaluated = timezone.localdate() - datetime.timedelta(days=400)
    organisation = factories.OrganisationFactory(rating_level=4, rating_evaluated_on=evaluated)
    expires = evaluated.replace(year=evaluated.year + 5)

    response = client.get(organisation.get_absolute_url())

    page = response.content.decode()
    assert response.status_code == 200
    assert f"{evaluated:%Y-%m-%d} 评定，有效期至 {expires:%Y-%m-%d}" in page
    assert "4A" in page
    assert "已过期" not in page


def test_profile_marks_an_expired_rating(client):
    """A rating older than five years is still shown, marked 已过期."""
    organisation = factories.OrganisationFactory(
        rating_level=5, rating_evaluated_on=datetime.date(2015, 6, 1)
    )

    page = client.get(organisation.get_absolute_url()).content.decode()

    assert "有效期至 2020-06-01" in page
    assert "已过期" in page


def test_profile_of_an_unrated_organisation(client, organisation):
    """Without a rating the profile says 未评估."""
    page = client.get(organisation.get_absolute_url()).content.decode()
    assert "未评估" in page


def test_profile_of_a_missing_organisation_is_404(client):
    """An unknown id is 404."""
    assert client.get(reverse("organisation_detail", args=[999_999])).status_code == 404


def test_profile_admin_links_only_for_admins(client, organisation, org_admin):
    """The edit and member links appear for the organisation's admin and not for visitors."""
    edit_url = reverse("organisation_edit", args=[organisation.pk])
    assert edit_url not in client.get(organisation.get_absolute_url()).content.decode()
    client.force_login(org_admin)
    assert edit_url in client.get(organisation.get_absolute_url()).content.decode()


# --- registration ----------------------------------------------------------------------------


REGISTER_URL = reverse("organisation_register")


def _counts():
    return (
        Organisation.objects.count(),
        OrganisationMembership.objects.count(),
        AuditEntry.objects.count(),
    )


def _payload(**overrides):
    data = {
        "name": "姑苏区阳光社会工作服务中心",
        "credit_code": credit_code_make("52", "320508", 60_000_001).lower(),
        "type": Organisation.Type.SERVICE_INSTITUTION,
        "registration_authority": "苏州市姑苏区民政局",
        "registered_on": "2018-09-01",
        "districts": [_region("320508").pk, _region("320506").pk],
        "categories": [factories.category("01").pk],
        "address": "苏州市姑苏区养育巷1号",
        "contact_name": "王老师",
        "contact_phone": "0512-65333333",
        "contact_email": "sunshine@example.cn",
        "description": "专业社工服务。",
    }
    data.update(overrides)
    return data


def _with_wrong_check_char(code):
    return code[:-1] + ("1" if code[-1] != "1" else "2")


def _image(image_format="PNG", size=(8, 8), name="logo.png"):
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=image_format)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{image_format.lower()}")


def test_registration_form_creates_a_pending_organisation(client, user):
    """A valid registration creates a 待审核 organisation with the registrant as admin and
    redirects to its profile; the credit code is normalised to upper case."""
    client.force_login(user)

    response = client.post(REGISTER_URL, _payload())

    organisation = Organisation.objects.get(name="姑苏区阳光社会工作服务中心")
    assert response.status_code == 302
    assert response["Location"] == organisation.get_absolute_url()
    assert organisation.status == Organisation.Status.PENDING
    assert organisation.credit_code == credit_code_make("52", "320508", 60_000_001)
    assert OrganisationMembership.objects.get(organisation=organisation).user == user
    assert sorted(organisation.districts.values_list("code", flat=True)) == ["320506", "320508"]
    assert not organisation.logo


def test_registration_form_page_renders(client, user):
    """The empty registration form renders with its Chinese labels."""
    client.force_login(user)
    page = client.get(REGISTER_URL).content.decode()
    assert "登记社会组织" in page
    assert "统一社会信用代码" in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"credit_code": _with_wrong_check_char(credit_code_make("52", "320508", 60_000_002))},
            "校验码错误",
        ),
        ({"credit_code": "52320508"}, "统一社会信用代码应为18位"),
        (
            {
                "credit_code": credit_code_make("51", "320508", 60_000_003),
                "type": Organisation.Type.FOUNDATION,
            },
            "基金会的统一社会信用代码应以“53”开头",
        ),
    ],
    ids=["checksum", "length", "type-mismatch"],
)
def test_registration_with_bad_credit_code_rerenders_with_chinese_error(
    client, user, overrides, message
):
    """A bad credit code re-renders the form (200) with the Chinese error and creates nothing."""
    client.force_login(user)
    before = _counts()

    response = client.post(REGISTER_URL, _payload(**overrides))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert _counts() == before


def test_registration_with_duplicate_credit_code_creates_nothing(client, user, organisation):
    """Registering a credit code that is already registered re-renders with an error."""
    client.force_login(user)
    before = _counts()

    response = client.post(REGISTER_URL, _payload(credit_code=organisation.credit_code))

    assert response.status_code == 200
    assert response.context["form"].errors["credit_code"]
    assert _counts() == before


def test_registration_without_districts_creates_nothing(client, user):
    """Districts are required; the form says so and nothing is created."""
    client.force_login(user)
    before = _counts()

    response = client.post(REGISTER_URL, _payload(districts=[]))

    assert response.status_code == 200
    assert response.context["form"].errors["districts"]
    assert _counts() == before


def test_registration_with_a_text_file_renamed_png_is_refused(client, user):
    """A text file named logo.png is not an image: the form shows an error, nothing is created."""
    client.force_login(user)
    before = _counts()
    fake = SimpleUploadedFile("logo.png", b"just some text, not a PNG", content_type="image/png")

    response = client.post(REGISTER_URL, _payload(logo=fake))

    assert response.status_code == 200
    assert response.context["form"].errors["logo"]
    assert "有效的图片" in response.content.decode()
    assert _counts() == before


def test_registration_with_a_gif_logo_is_refused(client, user):
    """A real GIF is refused because the format is not allowed; nothing is created."""
    client.force_login(user)
    before = _counts()

    response = client.post(REGISTER_URL, _payload(logo=_image("GIF", name="logo.gif")))

    assert response.status_code == 200
    assert "不支持 GIF 格式" in response.content.decode()
    assert _counts() == before


def test_registration_with_a_gif_renamed_png_is_refused(client, user):
    """The format is judged by content: a GIF named logo.png is refused too."""
    client.force_login(user)
    before = _counts()

    response = client.post(REGISTER_URL, _payload(logo=_image("GIF", name="logo.png")))

    assert response.status_code == 200
    assert "不支持 GIF 格式" in response.content.decode()
    assert _counts() == before


def test_registration_with_a_too_large_logo_is_refused(client, user, settings):
    """A logo over LOGO_MAX_BYTES is refused with the limit in the message; nothing is created."""
    settings.LOGO_MAX_BYTES = 100
    client.force_login(user)
    before = _counts()
    buffer = io.BytesIO()
    Image.effect_noise((64, 64), 100).save(buffer, format="PNG")
    upload = SimpleUploadedFile("logo.png", buffer.getvalue(), content_type="image/png")
    assert upload.size > 100

    response = client.post(REGISTER_URL, _payload(logo=upload))

    assert response.status_code == 200
    assert "图片不能超过 100\N{NO-BREAK SPACE}字节" in response.content.decode()
    assert _counts() == before


def test_registration_with_a_small_png_logo_is_accepted(client, user):
    """A small, real PNG is stored as the organisation's logo, intact."""
    client.force_login(user)

    response = client.post(REGISTER_URL, _payload(logo=_image(size=(16, 12))))

    assert response.status_code == 302
    organisation = Organisation.objects.get(name="姑苏区阳光社会工作服务中心")
    assert organisation.logo.name.startswith("logos/")
    with organisation.logo.open("rb") as stored, Image.open(stored) as image:
        assert (image.format, image.size) == ("PNG", (16, 12))


def test_admin_edits_the_profile_through_the_form(client, organisation, org_admin):
    """The admin's edit form saves changes (credit code not editable) and redirects to the profile."""
    client.force_login(org_admin)
    payload = _payload(name="改名后的组织", districts=[_region("320102").pk])
    payload.pop("credit_code")
    old_code = organisation.credit_code

    response = client.post(reverse("organisation_edit", args=[organisation.pk]), payload)

    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.name == "改名后的组织"
    assert organisation.credit_code == old_code
    assert list(organisation.districts.values_list("code", flat=True)) == ["320102"]


def test_region_filter_names_counties_with_their_city(client):
    """Nanjing and Xuzhou both have a 鼓楼区; the filter says which is which."""
    html = client.get(reverse("organisation_list")).content.decode()

    assert "南京市 鼓楼区</option>" in html
    assert "徐州市 鼓楼区</option>" in html
