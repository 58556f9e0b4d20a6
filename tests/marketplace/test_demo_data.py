import io

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.apps import apps
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from marketplace.data import community_lists, demo
from marketplace.models import (
    AuditEntry,
    Buyer,
    BuyerMembership,
    CommunityListItem,
    Delegation,
    Expert,
    Organisation,
    OrganisationMembership,
    Region,
    User,
)
from marketplace.services.organisations import CREDIT_CODE_PREFIX_BY_TYPE
from marketplace.validators import validate_credit_code
from tests import factories

pytestmark = pytest.mark.django_db


def load():
    out = io.StringIO()
    call_command("load_demo_data", stdout=out)
    return out.getvalue()


def row_counts():
    models = [
        *apps.get_app_config("marketplace").get_models(include_auto_created=True),
        EmailAddress,
        Authenticator,
    ]
    return {model._meta.label: model.objects.count() for model in models}


@pytest.fixture
def output():
    return load()


def test_loads_forty_organisations_with_valid_credit_codes(output):
    """At least 40 organisations, each with a valid 统一社会信用代码 whose prefix fits its type."""
    organisations = list(Organisation.objects.all())
    assert len(organisations) >= 40
    for organisation in organisations:
        validate_credit_code(organisation.credit_code)
        assert organisation.credit_code.startswith(
            CREDIT_CODE_PREFIX_BY_TYPE[Organisation.Type(organisation.type)]
        )
        assert organisation.districts.exists()
        assert organisation.categories.exists()
    assert {organisation.type for organisation in organisations} == set(Organisation.Type.values)


def test_ratings_are_current_expired_and_missing(output):
    """Some ratings are current, at least one has expired (over five years old), some are unrated."""
    organisations = list(Organisation.objects.all())
    rated = [organisation for organisation in organisations if organisation.rating_level]
    assert any(organisation.rating_is_current for organisation in rated)
    assert any(not organisation.rating_is_current for organisation in rated)
    assert any(organisation.rating_level is None for organisation in organisations)


def test_exactly_one_organisation_is_on_the_abnormal_list(output):
    """One organisation is on the 活动异常名录; nobody is on the serious list."""
    assert (
        Organisation.objects.filter(credit_status=Organisation.CreditStatus.ABNORMAL).count() == 1
    )
    assert not Organisation.objects.filter(credit_status=Organisation.CreditStatus.SERIOUS).exists()


def test_review_outcomes_come_from_audited_transitions(output):
    """Most organisations are verified, a few pending, one rejected, one suspended — and every
    status other than the starting 待审核 was reached through an audited transition."""
    statuses = {
        status: Organisation.objects.filter(status=status).count()
        for status in Organisation.Status.values
    }
    assert statuses[Organisation.Status.VERIFIED] > len(demo.ORGANISATIONS) // 2
    assert statuses[Organisation.Status.PENDING] >= 2
    assert statuses[Organisation.Status.REJECTED] == 1
    assert statuses[Organisation.Status.SUSPENDED] == 1
    for organisation in Organisation.objects.exclude(status=Organisation.Status.PENDING):
        last = AuditEntry.objects.filter(
            object_id=str(organisation.pk), action="transition", content_type__model="organisation"
        ).last()
        assert last.to_status == organisation.status


def test_rejected_organisation_reason_is_in_the_audit_log(output):
    """The rejection was made by staff through the workflow, with its reason recorded."""
    rejected = Organisation.objects.get(status=Organisation.Status.REJECTED)
    entry = AuditEntry.objects.get(
        object_id=str(rejected.pk), content_type__model="organisation", to_status="rejected"
    )
    assert entry.from_status == Organisation.Status.PENDING
    assert entry.actor.email == demo.STAFF["email"]
    assert "登记证书" in entry.reason


def test_buyers_sit_in_real_regions_with_parents(output):
    """Buyers have government credit codes (11…), sensible levels, street regions for street
    offices (9-digit demo codes under their county) and a parent for every street office."""
    assert Buyer.objects.count() == len(demo.BUYERS)
    assert set(Buyer.objects.values_list("level", flat=True)) == set(Buyer.Level.values)
    for buyer in Buyer.objects.select_related("region__parent", "parent"):
        validate_credit_code(buyer.credit_code)
        assert buyer.credit_code.startswith("11")
        if buyer.level == Buyer.Level.STREET:
            assert buyer.region.level == Region.Level.STREET
            assert buyer.region.code.startswith(buyer.region.parent.code)
            assert len(buyer.region.code) == 9
            assert buyer.parent is not None
    taicang = Buyer.objects.get(name="太仓市民政局")
    assert taicang.region.code == "320585"
    assert taicang.parent.name == "太仓市人民政府"


def test_people_have_their_roles(output):
    """Staff, two buyer officers, an admin for every organisation, one member and one expert."""
    staff = User.objects.get(email=demo.STAFF["email"])
    assert staff.is_staff and staff.is_superuser
    for officer in demo.BUYER_OFFICERS:
        assert BuyerMembership.objects.filter(
            user__email=officer["email"], buyer__name=officer["buyer"]
        ).exists()
    assert BuyerMembership.objects.values("buyer").distinct().count() >= 2
    for entry in demo.ORGANISATIONS:
        assert OrganisationMembership.objects.filter(
            organisation__name=entry["name"],
            user__email=entry["contact"][2],
            role=OrganisationMembership.Role.ADMIN,
        ).exists()
    member = demo.ORGANISATION_MEMBERS[0]
    assert OrganisationMembership.objects.get(user__email=member["email"]).role == (
        OrganisationMembership.Role.MEMBER
    )
    expert = Expert.objects.get(user__email=demo.EXPERT["email"])
    assert expert.categories.exists() and expert.regions.exists()


def test_every_demo_user_can_log_in_at_once(output):
    """Every user has a verified primary address and the demo password; staff and buyer officers
    also have a TOTP authenticator, so the second step can be passed with the demo code."""
    users = list(User.objects.all())
    assert len(users) > len(demo.ORGANISATIONS)
    for user in users:
        assert EmailAddress.objects.filter(
            user=user, email=user.email, verified=True, primary=True
        ).exists()
        assert user.check_password(demo.DEMO_PASSWORD)
    needs_mfa = [demo.STAFF["email"], *(officer["email"] for officer in demo.BUYER_OFFICERS)]
    for email in needs_mfa:
        assert Authenticator.objects.filter(
            user__email=email, type=Authenticator.Type.TOTP
        ).exists()


def test_service_centre_runs_the_venture_round_for_taicang(output):
    """太仓市民政局 delegates this year's 公益创投大赛 to the 社会组织服务中心, and it is active today."""
    delegation = Delegation.objects.get()
    assert delegation.buyer.name == demo.DELEGATION["buyer"]
    assert delegation.operator.name == demo.DELEGATION["operator"]
    assert delegation.scope == Delegation.Scope.VENTURE_ROUND
    assert delegation.is_active_on(timezone.localdate())
    assert AuditEntry.objects.filter(action="delegate", object_id=str(delegation.buyer.pk)).exists()


def test_yunlong_and_taicang_publish_their_two_lists(output):
    """云龙区 has 30 duty and 65 assistance items, numbered from 1 without gaps; 太仓市 has a
    shorter pair; assistance items name a department, and every item is audited as created."""
    Kind = CommunityListItem.Kind
    for code, duty, assistance in [("320303", 30, 65), ("320585", 12, 18)]:
        for kind, count in [(Kind.DUTY, duty), (Kind.ASSISTANCE, assistance)]:
            numbers = CommunityListItem.objects.filter(region__code=code, kind=kind).values_list(
                "number", flat=True
            )
            assert sorted(numbers) == list(range(1, count + 1)), (code, kind)
    assistance = CommunityListItem.objects.filter(kind=Kind.ASSISTANCE)
    assert not assistance.filter(responsible_department="").exists()
    assert assistance.filter(category__isnull=False).exists()
    assert assistance.filter(funding_required=False).exists()
    assert AuditEntry.objects.filter(
        action="create", content_type__model="communitylistitem"
    ).count() == sum(len(items) for items in community_lists.ITEMS.values())


def test_prints_the_logins_and_the_mfa_code(output):
    """The output ends with a table of demo logins, the shared password and the MFA note."""
    assert demo.DEMO_PASSWORD in output
    for email in [
        demo.STAFF["email"],
        *(officer["email"] for officer in demo.BUYER_OFFICERS),
        demo.EXPERT["email"],
        demo.ORGANISATION_MEMBERS[0]["email"],
    ]:
        assert email in output
    assert "两步验证码（演示环境）：000000" in output


def test_second_run_changes_nothing(output, django_assert_max_num_queries):
    """Loading again adds no rows and no audit entries, resets no password, in a few queries."""
    before = row_counts()
    staff = User.objects.get(email=demo.STAFF["email"])
    staff.set_password("changed-by-the-demo-user")
    staff.save()
    with django_assert_max_num_queries(20):
        again = load()
    assert row_counts() == before
    assert before["marketplace.CommunityListItem"] == 30 + 65 + 12 + 18
    staff.refresh_from_db()
    assert staff.check_password("changed-by-the-demo-user")
    assert "演示数据已存在" in again
    assert demo.STAFF["email"] in again


def test_failure_part_way_leaves_nothing_loaded():
    """A clash with existing data (a different 太仓市民政局) aborts the load and rolls it all back."""
    factories.BuyerFactory(name="太仓市民政局", region=factories.county("320585"))
    before = row_counts()
    with pytest.raises(CommandError, match="已全部回滚"):
        load()
    assert row_counts() == before


def test_demo_load_sends_no_email(db):
    """The loader's verifications would notify fictitious admins; those emails are discarded."""
    call_command("load_demo_data", stdout=io.StringIO())

    assert mail.outbox == []
