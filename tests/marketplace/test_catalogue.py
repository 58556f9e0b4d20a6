"""The service catalogue, the negative list and the two lists (两张清单): reference data from
the migrations, public pages whose query count does not grow, and a staff-only, audited admin."""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from marketplace.models import AuditEntry, Category, CommunityListItem, ProhibitedItem
from marketplace.selectors.audit import audit_list_for
from marketplace.selectors.catalogue import category_tree
from marketplace.services.catalogue import community_list_item_save
from tests import factories

pytestmark = pytest.mark.django_db

Kind = CommunityListItem.Kind


def _get(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


@pytest.fixture
def staff_client(client, staff, mfa):
    mfa(staff)
    client.force_login(staff)
    return client


# --- Reference data from the migrations ------------------------------------------------------


def test_migrations_load_the_catalogue_tree():
    """The 8 top-level categories each have 3–6 purchasable children whose codes extend the
    parent's; three more children are marked as negative-list items."""
    top = list(Category.objects.filter(parent=None))
    assert [category.code for category in top] == [f"0{n}" for n in range(1, 9)]
    for parent in top:
        children = list(parent.children.filter(prohibited_item=None))
        assert 3 <= len(children) <= 6, parent.name
        assert all(child.code[:2] == parent.code and len(child.code) == 4 for child in children)
    assert Category.objects.get(code="0103").name == "老年助餐"
    prohibited = Category.objects.exclude(prohibited_item=None).order_by("code")
    assert [(c.code, c.prohibited_item.code) for c in prohibited] == [
        ("0506", "N01"),
        ("0606", "N07"),
        ("0607", "N03"),
    ]


def test_migrations_load_the_negative_list_with_reasons():
    """The negative list names administrative tasks, works, goods, financing and posts."""
    names = set(ProhibitedItem.objects.values_list("name", flat=True))
    for name in [
        "行政管理性事务",
        "基础设施建设工程",
        "货物采购",
        "融资行为",
        "劳务派遣和岗位购买",
    ]:
        assert name in names
    assert all(ProhibitedItem.objects.values_list("reason", flat=True))


def test_category_tree_costs_two_queries(django_assert_num_queries):
    """category_tree() fetches the top level and all children in two queries."""
    with django_assert_num_queries(2):
        tree = list(category_tree())
        children = [child for category in tree for child in category.children.all()]
    assert len(tree) == 8
    assert len(children) == Category.objects.exclude(parent=None).count()


# --- Model rules -----------------------------------------------------------------------------


def test_number_is_unique_per_region_and_kind_in_the_database():
    """The database refuses a second item 1 in the same region's same list, but allows item 1
    in the other list and in another region."""
    item = factories.CommunityListItemFactory(number=1)
    factories.CommunityListItemFactory(number=1, kind=Kind.DUTY)
    factories.CommunityListItemFactory(number=1, region=factories.county("320585"))
    with pytest.raises(IntegrityError), transaction.atomic():
        CommunityListItem.objects.create(
            region=item.region, kind=item.kind, number=1, title="重复序号"
        )
    assert CommunityListItem.objects.count() == 3


def test_save_service_is_for_staff_only(user):
    """A non-staff user cannot save a list item; nothing is written or audited."""
    item = CommunityListItem(
        region=factories.county("320303"), kind=Kind.DUTY, number=1, title="召集居民会议"
    )
    with pytest.raises(PermissionDenied):
        community_list_item_save(item=item, by=user)
    assert not CommunityListItem.objects.exists()
    assert not AuditEntry.objects.exists()


# --- Public pages ----------------------------------------------------------------------------


def test_catalogue_page_shows_the_tree_and_the_negative_list(client):
    """/catalogue/ lists top categories with their children, and the negative list's reasons."""
    queries, response = _get(client, reverse("catalogue_list"))
    content = response.content.decode()
    for text in ["养老服务", "老年助餐", "公益创投", "基础设施建设工程", "应由行政机关自身履行"]:
        assert text in content
    assert queries <= 4


def test_catalogue_page_query_count_does_not_grow(client):
    """More prohibited items and more categories cost no more queries."""
    few, _ = _get(client, reverse("catalogue_list"))
    factories.ProhibitedItemFactory.create_batch(20)
    parent = Category.objects.get(code="01")
    for n in range(7, 30):
        Category.objects.create(code=f"01{n:02d}", name=f"养老子类{n}", parent=parent)
    many, _ = _get(client, reverse("catalogue_list"))
    assert many == few


def test_list_index_shows_regions_with_lists_and_their_counts(client):
    """/lists/ shows each region that has items, with how many per list, and no other region."""
    factories.CommunityListItemFactory.create_batch(3)
    factories.CommunityListItemFactory(kind=Kind.DUTY, number=1)
    _, response = _get(client, reverse("communitylist_index"))
    regions = list(response.context["regions"])
    assert [(r.code, r.duty_count, r.assistance_count) for r in regions] == [("320303", 1, 3)]
    assert reverse("communitylist_detail", args=["320303"]) in response.content.decode()


def test_list_detail_shows_both_lists_in_number_order(client):
    """/lists/320303/ shows duty items and assistance items in their own sections, in number
    order, with legal basis, department, the funding note and the category."""
    factories.CommunityListItemFactory(
        kind=Kind.DUTY, number=2, title="制定居民公约", category=None
    )
    factories.CommunityListItemFactory(
        kind=Kind.DUTY, number=1, title="召集居民会议", category=None
    )
    factories.CommunityListItemFactory(
        number=1, title="协助做好流动人口登记", responsible_department="公安云龙分局", category=None
    )
    factories.CommunityListItemFactory(
        number=2, title="协助开展低保入户调查", funding_required=False
    )

    _, response = _get(client, reverse("communitylist_detail", args=["320303"]))

    assert [item.title for item in response.context["duty_items"]] == [
        "召集居民会议",
        "制定居民公约",
    ]
    assert [item.number for item in response.context["assistance_items"]] == [1, 2]
    content = response.content.decode()
    for text in [
        "云龙区两张清单",
        "公安云龙分局",
        "需拨付经费",
        "无需经费",
        "最低生活保障入户调查与核查",
    ]:
        assert text in content
    assert content.index("召集居民会议") < content.index("协助做好流动人口登记")


def test_list_detail_for_a_region_without_lists_says_so(client):
    """A real region that has published nothing gets the page with an empty-list note."""
    _, response = _get(client, reverse("communitylist_detail", args=["320585"]))
    assert "尚未公布" in response.content.decode()


def test_list_detail_for_an_unknown_region_is_404(client):
    """A code that is no region is not found."""
    assert client.get(reverse("communitylist_detail", args=["999999"])).status_code == 404


def test_list_pages_query_count_does_not_grow(client):
    """The index and the detail page cost the same queries with 5 and with 50 items."""
    factories.CommunityListItemFactory.create_batch(5)
    few_detail, _ = _get(client, reverse("communitylist_detail", args=["320303"]))
    few_index, _ = _get(client, reverse("communitylist_index"))

    factories.CommunityListItemFactory.create_batch(40)
    factories.CommunityListItemFactory.create_batch(5, kind=Kind.DUTY)
    factories.CommunityListItemFactory.create_batch(5, region=factories.county("320585"))
    many_detail, response = _get(client, reverse("communitylist_detail", args=["320303"]))
    many_index, _ = _get(client, reverse("communitylist_index"))

    assert len(response.context["assistance_items"]) + len(response.context["duty_items"]) == 50
    assert (many_detail, many_index) == (few_detail, few_index)


# --- Staff admin -----------------------------------------------------------------------------


def _item_form_data(**overrides):
    return {
        "region": str(factories.county("320303").pk),
        "kind": Kind.ASSISTANCE,
        "number": "1",
        "title": "协助做好退役军人服务",
        "legal_basis": "《中华人民共和国退役军人保障法》",
        "responsible_department": "区退役军人事务局",
        "category": "",
        "funding_required": "on",
    } | overrides


def test_staff_create_a_list_item_and_it_is_audited(staff_client, staff):
    """Staff add an item in the admin; it is saved and audited as "create" by them."""
    response = staff_client.post(reverse("community_list_items:add"), _item_form_data())

    assert response.status_code == 302
    item = CommunityListItem.objects.get()
    assert (item.title, item.funding_required) == ("协助做好退役军人服务", True)
    entry = audit_list_for(item).get()
    assert (entry.action, entry.actor) == ("create", staff)


def test_staff_edit_a_list_item_and_the_changed_fields_are_audited(staff_client, staff):
    """Editing records which fields changed."""
    item = factories.CommunityListItemFactory(number=1, category=None)
    data = _item_form_data(title=item.title, responsible_department="区民政局", legal_basis="")

    response = staff_client.post(reverse("community_list_items:edit", args=[item.pk]), data)

    assert response.status_code == 302
    entry = audit_list_for(item).get()
    assert (entry.action, entry.actor) == ("update", staff)
    assert entry.data["fields"] == ["legal_basis"]


def test_admin_duplicate_number_is_a_form_error_and_writes_nothing(staff_client):
    """A number already used in that region's list is refused on the form; nothing is audited."""
    factories.CommunityListItemFactory(number=1)

    response = staff_client.post(reverse("community_list_items:add"), _item_form_data())

    assert response.status_code == 200
    assert CommunityListItem.objects.count() == 1
    assert not AuditEntry.objects.exists()


def test_staff_list_items_filtered_by_region_and_kind_and_searched(staff_client):
    """The admin listing filters by region and kind and searches titles."""
    factories.CommunityListItemFactory(title="协助做好征兵宣传")
    factories.CommunityListItemFactory(title="召集居民会议", kind=Kind.DUTY)
    url = reverse("community_list_items:index")
    region = factories.county("320303").pk

    response = staff_client.get(url, {"region": region, "kind": Kind.DUTY})
    assert "召集居民会议" in response.content.decode()
    assert "协助做好征兵宣传" not in response.content.decode()
    response = staff_client.get(url, {"q": "征兵"})
    assert "协助做好征兵宣传" in response.content.decode()
    assert "召集居民会议" not in response.content.decode()


def test_staff_create_a_prohibited_item_and_it_is_audited(staff_client, staff):
    """Staff add a negative-list entry; it is audited as "create"."""
    data = {"code": "N99", "name": "购买主体内部事务", "reason": "属于机关自身运转。"}
    response = staff_client.post(reverse("prohibited_items:add"), data)
    assert response.status_code == 302
    entry = audit_list_for(ProhibitedItem.objects.get(code="N99")).get()
    assert (entry.action, entry.actor) == ("create", staff)


def test_no_delete_for_list_items(staff_client):
    """Published items are corrected, not deleted: the delete view refuses staff too."""
    item = factories.CommunityListItemFactory()
    response = staff_client.post(reverse("community_list_items:delete", args=[item.pk]))
    assert response.status_code == 302
    assert CommunityListItem.objects.filter(pk=item.pk).exists()


@pytest.mark.parametrize("role", ["org_admin", "officer", "editor"])
def test_non_staff_cannot_reach_the_list_admin(client, mfa, role):
    """Organisation admins, buyer officers and CMS editors are turned away from every list and
    negative-list admin view, and their POSTs change nothing."""
    if role == "org_admin":
        user = factories.OrganisationMembershipFactory().user
    elif role == "officer":
        user = factories.BuyerMembershipFactory().user
    else:
        user = factories.UserFactory()
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
        )
    mfa(user)
    client.force_login(user)
    item = factories.CommunityListItemFactory()
    prohibited = ProhibitedItem.objects.first()
    urls = [
        reverse("community_list_items:index"),
        reverse("community_list_items:add"),
        reverse("community_list_items:edit", args=[item.pk]),
        reverse("community_list_items:inspect", args=[item.pk]),
        reverse("prohibited_items:index"),
        reverse("prohibited_items:add"),
        reverse("prohibited_items:edit", args=[prohibited.pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code in (302, 403), url
        assert not response.get("Location", "").startswith(url), url

    client.post(reverse("community_list_items:add"), _item_form_data(number="7"))
    client.post(reverse("community_list_items:edit", args=[item.pk]), _item_form_data(title="改"))
    assert CommunityListItem.objects.count() == 1
    item.refresh_from_db()
    assert item.title != "改"
    assert not AuditEntry.objects.exists()


def test_staff_open_every_list_admin_page(staff_client):
    """Staff can open the listing, add, edit and inspect pages of both lists' admin."""
    item = factories.CommunityListItemFactory()
    prohibited = ProhibitedItem.objects.first()
    for url in [
        reverse("community_list_items:index"),
        reverse("community_list_items:add"),
        reverse("community_list_items:edit", args=[item.pk]),
        reverse("community_list_items:inspect", args=[item.pk]),
        reverse("prohibited_items:index"),
        reverse("prohibited_items:add"),
        reverse("prohibited_items:edit", args=[prohibited.pk]),
        reverse("prohibited_items:inspect", args=[prohibited.pk]),
    ]:
        assert staff_client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_catalogue_marks_negative_list_categories_as_not_purchasable(client):
    """The three negative-list categories stay in the tree, marked 不可购买 with the name of
    their negative-list item; purchasable categories are not marked."""
    page = client.get(reverse("catalogue_list")).content.decode()

    assert page.count("不可购买") == 3 + 1  # three categories, plus the explanation
    for category in Category.objects.exclude(prohibited_item=None).select_related(
        "prohibited_item"
    ):
        start = page.index(f'id="category-{category.code}"')
        row = page[start : page.index("</a></span>", start)]
        assert "不可购买" in row
        assert category.prohibited_item.name in row
    start = page.index('id="category-0101"')
    assert "不可购买" not in page[start : page.index("</span>", start)]
