"""Organisation pages: registration and profile editing through the form. (The directory and
the profiles are Wagtail pages now: tests/cms/test_directories.py.)"""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from marketplace.models import AuditEntry, Organisation, OrganisationMembership
from marketplace.validators import credit_code_make
from tests import factories

pytestmark = pytest.mark.django_db


def _region(code):
    return factories.county(code)


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
