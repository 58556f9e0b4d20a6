"""factory_boy factories, one per model. Reference data (regions, categories) comes from
the migrations, so factories pick existing rows instead of inventing regions."""

import datetime
import itertools
from decimal import Decimal

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone
from djmoney.money import Money

from marketplace import models
from marketplace.models.ratings import BUYER_DIMENSIONS, ORGANISATION_DIMENSIONS
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


def criteria(price_weight=30):
    """Evaluation criteria as the services take them: a price criterion plus quality."""
    rows = [{"name": "服务方案", "weight": 100 - price_weight, "is_price": False}]
    if price_weight:
        rows.append({"name": "价格", "weight": price_weight, "is_price": True})
    return rows


def milestones():
    return [
        {"name": "合同签订", "percentage": 30},
        {"name": "中期评估", "percentage": 40},
        {"name": "终期验收", "percentage": 30},
    ]


class TenderFactory(factory.django.DjangoModelFactory):
    """A tender of the 姑苏区 test street office, published 30 days before its deadline.

    Built directly (not through the services) so tests can place it in any state; the
    criteria and milestones are the valid defaults above."""

    class Meta:
        model = models.Tender
        skip_postgeneration_save = True

    buyer = factory.SubFactory(BuyerFactory)
    title = factory.Sequence(lambda n: f"姑苏区居家养老上门服务项目{n}")
    description = "为辖区失能、半失能老人提供助餐、助浴、助洁等居家上门服务。"
    category = factory.LazyFunction(lambda: category("0101"))
    region = factory.LazyFunction(county)
    budget = factory.LazyFunction(lambda: Money("300000.00", "CNY"))
    method = models.Tender.Method.OPEN
    contract_months = 12
    clarification_deadline = factory.LazyFunction(
        lambda: timezone.now() + datetime.timedelta(days=20)
    )
    bid_deadline = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=25))
    opening_at = factory.LazyAttribute(lambda o: o.bid_deadline + datetime.timedelta(hours=1))
    status = models.Tender.Status.PUBLISHED
    version = 1
    created_by = factory.SubFactory(UserFactory)
    published_at = factory.LazyAttribute(
        lambda o: (
            None
            if o.status == models.Tender.Status.DRAFT
            else timezone.now() - datetime.timedelta(days=5)
        )
    )

    @factory.post_generation
    def parts(self, create, extracted, **kwargs):
        if not create:
            return
        for position, row in enumerate(criteria()):
            models.TenderCriterion.objects.create(tender=self, position=position, **row)
        for position, row in enumerate(milestones()):
            models.TenderMilestone.objects.create(tender=self, position=position, **row)


class BidFactory(factory.django.DjangoModelFactory):
    """A live bid of a verified 姑苏区 organisation (serving 0101 services), receipt included."""

    class Meta:
        model = models.Bid

    tender = factory.SubFactory(TenderFactory)
    organisation = factory.SubFactory(
        OrganisationFactory, categories=factory.LazyFunction(lambda: [category("0101")])
    )
    submitted_by = factory.SubFactory(UserFactory)
    amount = factory.LazyFunction(lambda: Money("280000.00", "CNY"))
    service_plan = "每周上门服务两次，建立服务档案。"
    team = "社工3名，护理员10名。"
    outputs = "服务老人200名，满意度90%以上。"
    beneficiaries = "辖区失能、半失能老人"
    tender_version = 1
    submitted_at = factory.LazyFunction(timezone.now)
    receipt_hash = "0" * 64


class ClarificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Clarification

    tender = factory.SubFactory(TenderFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    asked_by = factory.SubFactory(UserFactory)
    question = "服务对象的名单由谁提供？"


class PanelMemberFactory(factory.django.DjangoModelFactory):
    """An active (declared, no conflict) expert on an opened tender's panel, named by the buyer."""

    class Meta:
        model = models.PanelMember

    tender = factory.SubFactory(
        TenderFactory,
        status=models.Tender.Status.EVALUATING,
        clarification_deadline=factory.LazyFunction(
            lambda: timezone.now() - datetime.timedelta(days=3)
        ),
        bid_deadline=factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=2)),
    )
    expert = factory.SubFactory(ExpertFactory)
    source = models.PanelMember.Source.NAMED
    status = models.PanelMember.Status.ACTIVE
    declared_at = factory.LazyFunction(timezone.now)
    added_by = factory.SubFactory(UserFactory)


class ScoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Score

    member = factory.SubFactory(PanelMemberFactory)
    bid = factory.SubFactory(BidFactory, tender=factory.SelfAttribute("..member.tender"))
    criterion = factory.LazyAttribute(
        lambda o: o.member.tender.criteria.filter(is_price=False).first()
    )
    points = Decimal("20.00")
    comment = "方案完整，团队经验丰富。"


class AwardFactory(factory.django.DjangoModelFactory):
    """A standing award whose notice period is running, from a (bare) evaluation report."""

    class Meta:
        model = models.Award

    bid = factory.SubFactory(
        BidFactory,
        tender=factory.SubFactory(
            TenderFactory,
            status=models.Tender.Status.AWARDED,
            clarification_deadline=factory.LazyFunction(
                lambda: timezone.now() - datetime.timedelta(days=20)
            ),
            bid_deadline=factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=19)),
        ),
    )
    tender = factory.SelfAttribute("bid.tender")
    report = factory.LazyAttribute(
        lambda o: models.EvaluationReport.objects.create(
            tender=o.tender,
            number=o.tender.reports.count() + 1,
            results={},
            recommended=o.bid,
            created_by=o.tender.created_by,
            confirmed_at=timezone.now(),
        )
    )
    amount = factory.SelfAttribute("bid.amount")
    rank = 1
    total_score = Decimal("88.50")
    recommended = True
    awarded_by = factory.SelfAttribute("tender.created_by")
    notice_ends_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=7))


class ObjectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Objection

    tender = factory.LazyFunction(lambda: AwardFactory().tender)  # an awarded tender
    bid = factory.SubFactory(BidFactory, tender=factory.SelfAttribute("..tender"))
    filed_by = factory.SubFactory(UserFactory)
    grounds = "中标人的服务团队人数不满足招标文件要求。"
    answer_due_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=9))


def venture_round(
    *, status=models.Tender.Status.OPENED, budget="4000000.00", cap="200000.00", **fields
):
    """An opened 公益创投 round (bids read out), its deadline two days past."""
    now, day = timezone.now(), datetime.timedelta(days=1)
    tender = TenderFactory(
        method=models.Tender.Method.VENTURE,
        budget=Money(budget, "CNY"),
        project_cap=Money(cap, "CNY"),
        status=status,
        clarification_deadline=now - 3 * day,
        bid_deadline=now - 2 * day,
        opening_at=now - 2 * day,
        **fields,
    )
    models.TenderOpening.objects.create(
        tender=tender, opened_by=tender.created_by, opened_at=now - 2 * day, record=[]
    )
    return tender


def venture_proposal(tender, amount="150000.00", **fields):
    """A live proposal of a 公益创投 round, submitted an hour before its deadline."""
    fields.setdefault("submitted_at", tender.bid_deadline - datetime.timedelta(hours=1))
    return BidFactory(tender=tender, amount=Money(amount, "CNY"), **fields)


class ContractFactory(factory.django.DjangoModelFactory):
    """A contract from a standing award whose notice period has ended, drafted by an officer
    of the buyer; its milestones follow the tender's template (30/40/30 of the amount).
    `status` ACTIVE makes version 1 signed by both sides."""

    class Meta:
        model = models.Contract
        skip_postgeneration_save = True

    award = factory.SubFactory(
        AwardFactory,
        notice_ends_at=factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=1)),
    )
    tender = factory.SelfAttribute("award.tender")
    buyer = factory.SelfAttribute("award.tender.buyer")
    organisation = factory.SelfAttribute("award.bid.organisation")
    amount = factory.SelfAttribute("award.amount")
    starts_on = factory.LazyFunction(timezone.localdate)
    ends_on = factory.LazyAttribute(lambda o: o.starts_on + datetime.timedelta(days=364))
    deliverables = "为辖区失能、半失能老人提供每周两次上门服务，建立服务档案。"
    indicators = factory.LazyFunction(
        lambda: [{"name": "服务老人人数", "target": "200", "unit": "人"}]
    )
    breach_terms = "未按约定提供服务的，按未完成服务量扣减相应款项。"
    funding_source = "区级财政预算资金"
    status = models.Contract.Status.DRAFT
    version = 1
    created_by = factory.SelfAttribute("award.awarded_by")

    @factory.post_generation
    def parts(self, create, extracted, **kwargs):
        if not create:
            return
        shares = [Decimal(30), Decimal(40), Decimal(30)]
        amounts = [(self.amount.amount * share / 100).quantize(Decimal("0.01")) for share in shares]
        amounts[-1] = self.amount.amount - sum(amounts[:-1])
        for position, (share, amount) in enumerate(zip(shares, amounts, strict=True)):
            models.Milestone.objects.create(
                contract=self,
                position=position,
                name=["合同签订后预付", "中期评估合格", "终期验收合格"][position],
                percentage=share,
                amount=Money(amount, "CNY"),
                due_on=self.starts_on + datetime.timedelta(days=120 * (position + 1)),
            )
        signed = self.status != models.Contract.Status.DRAFT
        now = timezone.now()
        models.ContractVersion.objects.create(
            contract=self,
            number=1,
            terms={},
            text=self.deliverables,
            sha256="0" * 64,
            created_by=self.created_by,
            buyer_signed_by=self.created_by if signed else None,
            buyer_signed_at=now if signed else None,
            organisation_signed_by=self.created_by if signed else None,
            organisation_signed_at=now if signed else None,
        )


class RatingRoundFactory(factory.django.DjangoModelFactory):
    """The completion round of a completed contract, open for 15 more days."""

    class Meta:
        model = models.RatingRound

    contract = factory.SubFactory(ContractFactory, status=models.Contract.Status.COMPLETED)
    kind = models.RatingRound.Kind.COMPLETION
    closes_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=15))


class RatingFactory(factory.django.DjangoModelFactory):
    """A buyer's evaluation of the organisation, 4 on every dimension (pass `side` and
    `scores={dimension: score}` for others); `submitted_by` is the contract's drafter."""

    class Meta:
        model = models.Rating
        skip_postgeneration_save = True

    round = factory.SubFactory(RatingRoundFactory)
    side = models.Rating.Side.BUYER
    submitted_by = factory.SelfAttribute("round.contract.created_by")

    @factory.post_generation
    def scores(self, create, extracted, **kwargs):
        if not create:
            return
        dimensions = (
            ORGANISATION_DIMENSIONS if self.side == models.Rating.Side.BUYER else BUYER_DIMENSIONS
        )
        given = extracted or {}
        for dimension in dimensions:
            score = given.get(dimension, 4)
            models.RatingScore.objects.create(
                rating=self,
                dimension=dimension,
                score=score,
                comment="" if score >= 3 else "未按计划完成。",
            )


class ResidentFeedbackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ResidentFeedback

    contract = factory.SubFactory(ContractFactory, status=models.Contract.Status.COMPLETED)
    score = 5
    comment = ""
    status = factory.LazyAttribute(
        lambda o: (
            models.ResidentFeedback.Status.PENDING
            if o.comment
            else models.ResidentFeedback.Status.NO_COMMENT
        )
    )
    client_key = factory.Sequence(lambda n: f"client-{n}")
    day = factory.LazyFunction(timezone.localdate)
