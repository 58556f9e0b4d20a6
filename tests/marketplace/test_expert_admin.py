"""The expert pool (专家库) in the staff admin: staff list, add and edit experts (fields,
regions, in or out of the pool) through the audited service; nobody else gets in."""

import pytest
from django.urls import reverse

from marketplace.models import AuditEntry, Expert, Region
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, staff, mfa):
    mfa(staff)
    client.force_login(staff)
    return client


def _form(user=None, **overrides):
    data = {
        "title": "教授",
        "employer": "南京大学社会学院",
        "categories": [str(factories.category("01").pk)],
        "regions": [str(factories.county().pk)],
        "is_active": "on",
    }
    if user is not None:
        data["user"] = str(user.pk)
    data.update(overrides)
    return data


def test_staff_list_experts(staff_client):
    """The listing shows each expert's name, title, employer and whether they are in the pool,
    and searches by name."""
    expert = factories.ExpertFactory(employer="苏州大学社会学院", user__name="王专家")
    other = factories.ExpertFactory(user__name="李专家")

    content = staff_client.get(reverse("experts:index")).content.decode()
    assert "王专家" in content and "苏州大学社会学院" in content and "副教授" in content

    content = staff_client.get(reverse("experts:index"), {"q": "王专家"}).content.decode()
    assert str(expert) in content and str(other) not in content


def test_menu_lists_the_expert_pool(staff_client):
    """Staff find 专家库 under the 政社通 menu."""
    content = staff_client.get(reverse("wagtailadmin_home")).content.decode()

    assert reverse("experts:index") in content


def test_staff_add_an_expert_through_the_service(staff_client, staff):
    """Adding an expert saves the fields and regions, and the audit log records it."""
    user = factories.UserFactory()

    response = staff_client.post(reverse("experts:add"), _form(user))

    assert response.status_code == 302
    expert = Expert.objects.get(user=user)
    assert list(expert.categories.all()) == [factories.category("01")]
    assert list(expert.regions.all()) == [factories.county()]
    assert AuditEntry.objects.get(object_id=str(expert.pk), action="create").actor == staff


def test_staff_edit_regions_and_take_an_expert_out_of_the_pool(staff_client):
    """Editing changes the regions and the in-pool flag; the account cannot be swapped."""
    expert = factories.ExpertFactory()
    city = Region.objects.get(code="320500")

    response = staff_client.post(
        reverse("experts:edit", args=[expert.pk]),
        _form(title=expert.title, employer=expert.employer, regions=[str(city.pk)], is_active=""),
    )

    assert response.status_code == 302
    expert.refresh_from_db()
    assert expert.is_active is False
    assert list(expert.regions.all()) == [city]
    entry = AuditEntry.objects.get(object_id=str(expert.pk), action="update")
    assert set(entry.data["fields"]) == {"is_active", "regions", "categories"}


def test_a_user_can_be_in_the_pool_once(staff_client):
    """A user who already is an expert is not offered again; posting them is refused."""
    expert = factories.ExpertFactory()

    response = staff_client.post(reverse("experts:add"), _form(expert.user))

    assert response.status_code == 200
    assert Expert.objects.count() == 1


@pytest.mark.parametrize("who", ["officer", "org_admin", "expert"])
def test_non_staff_cannot_reach_the_pool(client, mfa, who):
    """Officers, organisation admins and experts are turned away and add nobody."""
    user = {
        "officer": lambda: factories.BuyerMembershipFactory().user,
        "org_admin": lambda: factories.OrganisationMembershipFactory().user,
        "expert": lambda: factories.ExpertFactory().user,
    }[who]()
    mfa(user)
    client.force_login(user)
    count = Expert.objects.count()

    for url in (reverse("experts:index"), reverse("experts:add")):
        assert client.get(url).status_code in (302, 403)
    client.post(reverse("experts:add"), _form(factories.UserFactory()))

    assert Expert.objects.count() == count
    assert not AuditEntry.objects.exists()


def test_listing_query_count_does_not_grow_with_rows(staff_client, django_assert_max_num_queries):
    """Ten experts cost no more queries than one."""
    factories.ExpertFactory()
    with django_assert_max_num_queries(100) as few:
        staff_client.get(reverse("experts:index"))
    baseline = len(few.captured_queries)
    for _ in range(9):
        factories.ExpertFactory()
    with django_assert_max_num_queries(baseline):
        staff_client.get(reverse("experts:index"))
