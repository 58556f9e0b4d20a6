"""Organisation services: registration, profile changes, named transitions, membership."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from marketplace.models import AuditEntry, Organisation, OrganisationMembership
from marketplace.services.organisations import (
    organisation_member_remove,
    organisation_register,
    organisation_reinstate,
    organisation_reject,
    organisation_resubmit,
    organisation_suspend,
    organisation_update,
    organisation_verify,
)
from marketplace.validators import credit_code_make
from marketplace.workflows import TransitionNotAllowed
from tests import factories

pytestmark = pytest.mark.django_db

Role = OrganisationMembership.Role


def _counts():
    return (
        Organisation.objects.count(),
        OrganisationMembership.objects.count(),
        AuditEntry.objects.count(),
    )


def _registration(**overrides):
    data = {
        "credit_code": credit_code_make("52", "320508", 70_000_001),
        "districts": [factories.county("320508")],
        "categories": [factories.category("01")],
        "name": "姑苏区新登记社会工作服务中心",
        "type": Organisation.Type.SERVICE_INSTITUTION,
        "registration_authority": "苏州市姑苏区民政局",
        "registered_on": datetime.date(2019, 5, 20),
        "address": "苏州市姑苏区十全街1号",
        "contact_name": "李老师",
        "contact_phone": "0512-65111111",
        "contact_email": "new-org@example.cn",
    }
    data.update(overrides)
    return data


def test_register_creates_a_pending_organisation_with_its_registrant_as_admin(user):
    """A valid registration creates a 待审核 organisation, makes the registrant its admin,
    sets districts and categories and writes a 'register' audit entry."""
    before = _counts()

    organisation = organisation_register(by=user, **_registration())

    assert _counts() == (before[0] + 1, before[1] + 1, before[2] + 1)
    organisation.refresh_from_db()
    assert organisation.status == Organisation.Status.PENDING
    assert list(organisation.districts.values_list("code", flat=True)) == ["320508"]
    assert list(organisation.categories.values_list("code", flat=True)) == ["01"]
    membership = OrganisationMembership.objects.get(organisation=organisation)
    assert (membership.user, membership.role) == (user, Role.ADMIN)
    entry = AuditEntry.objects.get(object_id=str(organisation.pk), action="register")
    assert (entry.actor, entry.to_status) == (user, Organisation.Status.PENDING)


@pytest.mark.parametrize(
    ("overrides", "error_field", "fragment"),
    [
        pytest.param(
            {"credit_code": credit_code_make("52", "320508", 70_000_002)[:-1] + "0"},
            "credit_code",
            "校验码错误",
            id="bad-check-character",
        ),
        pytest.param({"credit_code": "52320508"}, "credit_code", "应为18位", id="too-short"),
        pytest.param(
            {
                "credit_code": credit_code_make("51", "320508", 70_000_003),
                "type": Organisation.Type.FOUNDATION,
            },
            "credit_code",
            "应以“53”开头",
            id="51-code-for-a-foundation",
        ),
        pytest.param(
            {"credit_code": credit_code_make("91", "320508", 70_000_004)},
            "credit_code",
            "应以“52”开头",
            id="company-code",
        ),
        pytest.param({"contact_email": "not-an-email"}, "contact_email", "Email 地址", id="email"),
    ],
)
def test_register_with_invalid_data_creates_nothing(user, overrides, error_field, fragment):
    """An invalid credit code, a code that does not match the organisation type or another
    invalid field raises ValidationError on that field and creates nothing."""
    before = _counts()

    with pytest.raises(ValidationError) as raised:
        organisation_register(by=user, **_registration(**overrides))

    messages = raised.value.message_dict[error_field]
    assert any(fragment in message for message in messages), messages
    assert _counts() == before


def test_register_type_mismatch_message_names_the_expected_prefix(user):
    """A 51… (社会团体) code registered as a 基金会 is refused with a Chinese message naming 53."""
    data = _registration(
        credit_code=credit_code_make("51", "320508", 70_000_005), type=Organisation.Type.FOUNDATION
    )
    with pytest.raises(ValidationError) as raised:
        organisation_register(by=user, **data)
    assert "基金会的统一社会信用代码应以“53”开头" in raised.value.message_dict["credit_code"][0]


def test_register_duplicate_credit_code_creates_nothing(user, organisation):
    """A credit code already registered is refused and nothing is created."""
    before = _counts()

    with pytest.raises(ValidationError) as raised:
        organisation_register(by=user, **_registration(credit_code=organisation.credit_code))

    assert "credit_code" in raised.value.error_dict
    assert _counts() == before


@pytest.mark.parametrize("missing", ["districts", "categories"])
def test_register_without_districts_or_categories_creates_nothing(user, missing):
    """A registration with no district or no category is refused and creates nothing."""
    before = _counts()

    with pytest.raises(ValidationError) as raised:
        organisation_register(by=user, **_registration(**{missing: []}))

    assert raised.value.code == "required"
    assert _counts() == before


def test_register_requires_a_signed_in_user():
    """Anonymous registration is refused and creates nothing."""
    from django.contrib.auth.models import AnonymousUser

    before = _counts()
    with pytest.raises(PermissionDenied):
        organisation_register(by=AnonymousUser(), **_registration())
    assert _counts() == before


def test_update_by_admin_changes_the_profile_and_audits_the_changed_fields(organisation, org_admin):
    """An admin's update saves the new values and audits exactly the fields that changed."""
    before = AuditEntry.objects.count()

    organisation_update(
        organisation=organisation,
        by=org_admin,
        name=organisation.name,  # unchanged: not listed
        address="苏州市姑苏区干将路200号",
        contact_phone="0512-65222222",
        districts=[factories.county("320506")],
    )

    organisation.refresh_from_db()
    assert organisation.address == "苏州市姑苏区干将路200号"
    assert organisation.contact_phone == "0512-65222222"
    assert list(organisation.districts.values_list("code", flat=True)) == ["320506"]
    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.latest("id")
    assert entry.action == "update"
    assert entry.actor == org_admin
    assert entry.data["fields"] == ["address", "contact_phone", "districts"]


def test_update_by_staff_is_allowed(organisation, staff):
    """Platform staff may correct an organisation's profile."""
    organisation_update(organisation=organisation, by=staff, description="工作人员更正")
    organisation.refresh_from_db()
    assert organisation.description == "工作人员更正"


@pytest.mark.parametrize("role", [None, Role.MEMBER])
def test_update_by_non_admin_is_refused_and_changes_nothing(organisation, role):
    """An outsider or a plain member cannot change the profile: PermissionDenied, nothing saved."""
    actor = factories.UserFactory()
    if role is not None:
        factories.OrganisationMembershipFactory(organisation=organisation, user=actor, role=role)
    old_address = organisation.address
    before = AuditEntry.objects.count()

    with pytest.raises(PermissionDenied):
        organisation_update(
            organisation=organisation,
            by=actor,
            address="别处",
            districts=[factories.county("320102")],
        )

    organisation.refresh_from_db()
    assert organisation.address == old_address
    assert list(organisation.districts.values_list("code", flat=True)) == ["320508"]
    assert AuditEntry.objects.count() == before


def test_update_with_invalid_value_changes_nothing(organisation, org_admin):
    """An invalid value (a type that no longer matches the credit code) is refused; nothing saved."""
    before = AuditEntry.objects.count()

    with pytest.raises(ValidationError) as raised:
        organisation_update(
            organisation=organisation,
            by=org_admin,
            type=Organisation.Type.FOUNDATION,
            districts=[factories.county("320102")],
        )

    assert "credit_code" in raised.value.error_dict
    organisation.refresh_from_db()
    assert organisation.type == Organisation.Type.SERVICE_INSTITUTION
    assert list(organisation.districts.values_list("code", flat=True)) == ["320508"]
    assert AuditEntry.objects.count() == before


def test_update_cannot_change_the_credit_code(organisation, org_admin):
    """The credit code is not an editable profile field."""
    old = organisation.credit_code
    with pytest.raises(TypeError):
        organisation_update(
            organisation=organisation,
            by=org_admin,
            credit_code=credit_code_make("52", "320508", 70_000_006),
        )
    organisation.refresh_from_db()
    assert organisation.credit_code == old


def test_named_services_walk_the_verification_life(staff):
    """verify, suspend, reinstate, reject and resubmit move the organisation as their names say."""
    organisation = factories.OrganisationFactory(status=Organisation.Status.PENDING)
    admin = factories.OrganisationMembershipFactory(organisation=organisation).user

    organisation_reject(organisation=organisation, by=staff, reason="登记证书不清晰")
    assert organisation.status == Organisation.Status.REJECTED
    organisation_resubmit(organisation=organisation, by=admin)
    assert organisation.status == Organisation.Status.PENDING
    organisation_verify(organisation=organisation, by=staff)
    assert organisation.status == Organisation.Status.VERIFIED
    organisation_suspend(organisation=organisation, by=staff, reason="已注销")
    assert organisation.status == Organisation.Status.SUSPENDED
    organisation_reinstate(organisation=organisation, by=staff)
    organisation.refresh_from_db()
    assert organisation.status == Organisation.Status.VERIFIED
    steps = AuditEntry.objects.filter(object_id=str(organisation.pk), action="transition")
    assert list(steps.values_list("to_status", flat=True)) == [
        "rejected",
        "pending",
        "verified",
        "suspended",
        "verified",
    ]


@pytest.mark.parametrize(
    ("service", "wrong_start"),
    [
        (organisation_verify, Organisation.Status.SUSPENDED),
        (organisation_reinstate, Organisation.Status.PENDING),
    ],
)
def test_verify_and_reinstate_refuse_to_stand_in_for_each_other(staff, service, wrong_start):
    """Verifying lifts no suspension and reinstating verifies no registration: the status and
    the audit log stay as they were."""
    organisation = factories.OrganisationFactory(status=wrong_start)
    entries = AuditEntry.objects.count()

    with pytest.raises(TransitionNotAllowed):
        service(organisation=organisation, by=staff)

    organisation.refresh_from_db()
    assert organisation.status == wrong_start
    assert AuditEntry.objects.count() == entries


def test_field_errors_carry_their_codes(user):
    """A credit code that does not fit the organisation type is reported on the field with a
    machine-readable code, so API clients can tell errors apart."""
    with pytest.raises(ValidationError) as raised:
        organisation_register(
            by=user,
            **_registration(
                credit_code=credit_code_make("51", "320508", 7), type=Organisation.Type.FOUNDATION
            ),
        )
    assert raised.value.error_dict["credit_code"][0].code == "credit_code_type_mismatch"


def test_remove_the_last_admin_is_refused(organisation, org_admin):
    """The only admin cannot be removed, not even by themselves; membership and log unchanged."""
    membership = OrganisationMembership.objects.get(organisation=organisation, user=org_admin)
    before = _counts()

    with pytest.raises(ValidationError) as raised:
        organisation_member_remove(membership=membership, by=org_admin)

    assert raised.value.code == "last_admin"
    assert OrganisationMembership.objects.filter(pk=membership.pk).exists()
    assert _counts() == before


def test_admin_can_leave_when_another_admin_remains(organisation, org_admin):
    """With a second admin, an admin may leave."""
    factories.OrganisationMembershipFactory(organisation=organisation, role=Role.ADMIN)
    membership = OrganisationMembership.objects.get(organisation=organisation, user=org_admin)

    organisation_member_remove(membership=membership, by=org_admin)

    assert not OrganisationMembership.objects.filter(pk=membership.pk).exists()


def test_member_can_leave(organisation, org_admin):
    """A plain member may remove themselves; the removal is audited."""
    membership = factories.OrganisationMembershipFactory(
        organisation=organisation, role=Role.MEMBER
    )
    before = AuditEntry.objects.count()

    organisation_member_remove(membership=membership, by=membership.user)

    assert not OrganisationMembership.objects.filter(pk=membership.pk).exists()
    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.latest("id")
    assert entry.action == "member_remove"
    assert entry.data == {"user": membership.user.email, "role": Role.MEMBER}


def test_admin_can_remove_a_member(organisation, org_admin):
    """An admin may remove another member."""
    membership = factories.OrganisationMembershipFactory(
        organisation=organisation, role=Role.MEMBER
    )
    organisation_member_remove(membership=membership, by=org_admin)
    assert not OrganisationMembership.objects.filter(pk=membership.pk).exists()


@pytest.mark.parametrize("actor_role", [Role.MEMBER, None])
def test_non_admin_cannot_remove_someone_else(organisation, org_admin, actor_role):
    """A member or an outsider cannot remove another member: PermissionDenied, nothing changed."""
    target = factories.OrganisationMembershipFactory(organisation=organisation, role=Role.MEMBER)
    actor = factories.UserFactory()
    if actor_role is not None:
        factories.OrganisationMembershipFactory(
            organisation=organisation, user=actor, role=actor_role
        )
    before = _counts()

    with pytest.raises(PermissionDenied):
        organisation_member_remove(membership=target, by=actor)

    assert OrganisationMembership.objects.filter(pk=target.pk).exists()
    assert _counts() == before


def test_admin_of_another_organisation_cannot_remove_members(organisation, org_admin):
    """Being admin somewhere else gives no right over this organisation's members."""
    other_admin = factories.OrganisationMembershipFactory(role=Role.ADMIN).user
    membership = OrganisationMembership.objects.get(organisation=organisation, user=org_admin)
    factories.OrganisationMembershipFactory(organisation=organisation, role=Role.ADMIN)
    before = _counts()

    with pytest.raises(PermissionDenied):
        organisation_member_remove(membership=membership, by=other_admin)

    assert _counts() == before
