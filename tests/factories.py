"""factory_boy factories, one per model. Reference data (regions, categories) comes from
the migrations, so factories pick existing rows instead of inventing regions."""

import datetime
import itertools

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone

from marketplace import models
from marketplace.validators import credit_code_make

_serials = itertools.count(1)


def county(code="320508"):
    return models.Region.objects.get(code=code)


def category(code="01"):
    return models.Category.objects.get(code=code)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.Sequence(lambda n: f"user{n}@example.cn")
    name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def verified_email(self, create, extracted, **kwargs):
        if create and extracted is not False:
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


class StaffFactory(UserFactory):
    is_staff = True
    is_superuser = True


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Organisation
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"姑苏区测试社会工作服务中心{n}")
    credit_code = factory.LazyFunction(lambda: credit_code_make("52", "320508", next(_serials)))
    type = models.Organisation.Type.SERVICE_INSTITUTION
    registration_authority = "苏州市姑苏区民政局"
    registered_on = datetime.date(2015, 3, 1)
    address = "苏州市姑苏区人民路100号"
    contact_name = "张老师"
    contact_phone = "0512-65000000"
    contact_email = factory.Sequence(lambda n: f"org{n}@example.cn")
    status = models.Organisation.Status.VERIFIED

    @factory.post_generation
    def districts(self, create, extracted, **kwargs):
        if create:
            self.districts.set(extracted if extracted is not None else [county()])

    @factory.post_generation
    def categories(self, create, extracted, **kwargs):
        if create:
            self.categories.set(extracted if extracted is not None else [category()])


class OrganisationMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.OrganisationMembership

    organisation = factory.SubFactory(OrganisationFactory)
    user = factory.SubFactory(UserFactory)
    role = models.OrganisationMembership.Role.ADMIN


class BuyerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Buyer

    name = factory.Sequence(lambda n: f"苏州市姑苏区测试街道办事处{n}")
    credit_code = factory.LazyFunction(lambda: credit_code_make("11", "320508", next(_serials)))
    level = models.Buyer.Level.STREET
    region = factory.LazyFunction(county)


class BuyerMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.BuyerMembership

    buyer = factory.SubFactory(BuyerFactory)
    user = factory.SubFactory(UserFactory)


class DelegationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Delegation

    buyer = factory.SubFactory(BuyerFactory)
    operator = factory.SubFactory(OrganisationFactory)
    scope = models.Delegation.Scope.VENTURE_ROUND
    starts_on = factory.LazyFunction(timezone.localdate)
    expires_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=365))
    granted_by = factory.SubFactory(StaffFactory)


class ExpertFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Expert

    user = factory.SubFactory(UserFactory)
    title = "副教授"
    employer = "苏州大学社会学院"


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Invitation

    email = factory.Sequence(lambda n: f"invitee{n}@example.cn")
    organisation = factory.SubFactory(OrganisationFactory)
    role = models.Invitation.Role.ORGANISATION_MEMBER
    token = factory.Sequence(lambda n: f"token-{n}")
    invited_by = factory.SubFactory(UserFactory)
    expires_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=14))


class ProhibitedItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ProhibitedItem

    code = factory.Sequence(lambda n: f"T{n:02d}")
    name = factory.Sequence(lambda n: f"负面事项{n}")
    reason = "不属于政府购买服务范围。"


class CommunityListItemFactory(factory.django.DjangoModelFactory):
    """An assistance item (协助政府工作事项) of 徐州市云龙区, numbered in sequence."""

    class Meta:
        model = models.CommunityListItem

    region = factory.LazyFunction(lambda: county("320303"))
    kind = models.CommunityListItem.Kind.ASSISTANCE
    number = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"协助开展第{n}项工作")
    legal_basis = "《中华人民共和国城市居民委员会组织法》第三条"
    responsible_department = "区民政局"
    category = factory.LazyFunction(lambda: category("0501"))
    funding_required = True
