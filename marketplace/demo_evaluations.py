"""Runs the demo evaluations (data/demo_evaluations.py) for `manage.py load_demo_data`.

Everything goes through the services, as the officers, experts and organisations would do
it: panel_draw / panel_name, panel_declare, score_submit, report_create, report_confirm,
award_make, objection_file / objection_answer, and for the 公益创投 round proposal_screen,
presentations_schedule and venture_fund. Two things cannot happen today and are moved into
the past afterwards with QuerySet.update(), as marketplace.demo does for deadlines: notice
periods that have already ended, and a presentation day that lies behind us. The audit log
keeps the real times of the load.
"""

import datetime
import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q
from django.utils import timezone
from djmoney.money import Money

from marketplace.data import demo_evaluations as data
from marketplace.models import (
    Award,
    Bid,
    BuyerMembership,
    Expert,
    PanelMember,
    PresentationSlot,
    Tender,
)
from marketplace.selectors.evaluations import evaluation_results
from marketplace.services.awards import award_make, objection_answer, objection_file
from marketplace.services.evaluations import report_confirm, report_create, score_submit
from marketplace.services.panels import panel_declare, panel_draw, panel_name
from marketplace.services.venture import presentations_schedule, proposal_screen, venture_fund

HALF = Decimal("0.5")
EXPERT_DOMAIN = "experts.example.cn"


@dataclass
class Evaluated:
    tenders: int = 0
    scores: int = 0
    awards: int = 0
    objections: int = 0


def expert_email(local: str) -> str:
    return f"{local}@{EXPERT_DOMAIN}"


def demo_experts_people() -> dict[str, str]:
    """E-mail → name of every demo expert account of the pool."""
    return {expert_email(local): name for local, name, *_rest in data.EXPERTS}


def demo_experts_load(*, users, categories, regions) -> int:
    """Create the experts of the pool that do not exist yet; returns how many were made."""
    existing = set(
        Expert.objects.filter(user__email__in=demo_experts_people()).values_list(
            "user__email", flat=True
        )
    )
    created = 0
    for local, _name, title, employer, category_codes, region_codes in data.EXPERTS:
        email = expert_email(local)
        if email in existing:
            continue
        expert = Expert.objects.create(user=users[email], title=title, employer=employer)
        expert.categories.set(categories[code] for code in category_codes)
        expert.regions.set(regions[code] for code in region_codes)
        created += 1
    return created


def demo_evaluations_load(*, users, demo_expert_email) -> Evaluated:
    """Run the evaluations of data.EVALUATIONS on those demo tenders that are still just
    opened (a tender already evaluated by an earlier load is left alone)."""
    done = Evaluated()
    titles = [entry["title"] for entry in data.EVALUATIONS]
    tenders = {
        tender.title: tender
        for tender in Tender.objects.filter(title__in=titles, status=Tender.Status.OPENED)
    }
    for entry in data.EVALUATIONS:
        tender = tenders.get(entry["title"])
        if tender is not None:
            _Evaluation(tender, entry, users, demo_expert_email, done).run()
            done.tenders += 1
    return done


class _Evaluation:
    def __init__(self, tender, entry, users, demo_expert_email, done):
        self.tender, self.entry, self.done = tender, entry, done
        self.users = users
        self.demo_expert_email = demo_expert_email
        self.rng = random.Random(entry["title"])  # noqa: S311 -- the same scores on every load
        membership = BuyerMembership.objects.filter(buyer=tender.buyer).order_by("pk").first()
        self.officer = membership.user

    def run(self):
        outcome = self.entry["outcome"]
        if outcome == "round":
            self.screen()
        self.form_panel()
        if outcome == "scoring":
            self.score(skip_user=self.users[self.demo_expert_email])
            return
        self.score()
        report = report_create(tender=self.tender, by=self.officer)
        for seat in self.active_seats():
            report_confirm(report=report, by=seat.expert.user)
        if outcome == "round":
            self.fund()
            _notice_over(self.tender)  # the funded projects are under contract
            return
        award = award_make(tender=self.tender, bid=report.recommended, by=self.officer)
        self.done.awards += 1
        if outcome == "awarded":
            _notice_over(self.tender)
        elif outcome in ("notice", "upheld"):
            self.object(award, upheld=outcome == "upheld")

    # Panel ----------------------------------------------------------------------------

    def form_panel(self):
        if named := self.entry.get("named"):
            emails = [
                self.demo_expert_email if local == "expert" else expert_email(local)
                for local in named
            ]
            experts = Expert.objects.filter(user__email__in=emails).order_by("pk")
            panel_name(tender=self.tender, experts=list(experts), by=self.officer)
        else:
            panel_draw(tender=self.tender, by=self.officer)
        first_bidder = self.live_bids()[0].organisation
        recuse = self.entry.get("recuse", False)
        # Replacements drawn after a recusal declare too, until every seat has declared;
        # on a named panel the demo expert's seat is left for the visitor who logs in.
        waiting = self.demo_expert_email if named else None
        while pending := [s for s in self.pending_seats() if s.expert.user.email != waiting]:
            for seat in pending:
                if recuse:
                    panel_declare(
                        member=seat,
                        by=seat.expert.user,
                        conflicts=[PanelMember.Conflict.RECENT_CONTRACT],
                        details="近三年曾受聘担任该机构项目督导。",
                        organisations=[first_bidder],
                    )
                    recuse = False
                else:
                    panel_declare(member=seat, by=seat.expert.user, conflicts=[])

    def pending_seats(self):
        return list(
            PanelMember.objects.filter(tender=self.tender, status=PanelMember.Status.PENDING)
            .select_related("expert__user")
            .order_by("pk")
        )

    def active_seats(self):
        return list(
            PanelMember.objects.filter(tender=self.tender, status=PanelMember.Status.ACTIVE)
            .select_related("expert__user")
            .order_by("pk")
        )

    def live_bids(self):
        return list(
            Bid.objects.filter(Bid.LIVE, tender=self.tender)
            .select_related("organisation")
            .order_by("submitted_at", "pk")
        )

    # Scores ---------------------------------------------------------------------------

    def score(self, skip_user=None):
        results = evaluation_results(self.tender)
        criteria = [c for c in results.criteria if not c.is_price]
        # Each bid has a quality the experts roughly agree on; each expert adds their own view.
        quality = {row.bid.pk: self.rng.uniform(0.62, 0.92) for row in results.rows if row.valid}
        for seat in results.members:
            if seat.expert.user == skip_user:
                continue
            for row in results.rows:
                if not row.valid:
                    continue
                scores = {
                    criterion.pk: (
                        _points(
                            criterion.weight, quality[row.bid.pk] + self.rng.uniform(-0.08, 0.08)
                        ),
                        self.rng.choice(COMMENTS),
                    )
                    for criterion in criteria
                }
                score_submit(member=seat, bid=row.bid, by=seat.expert.user, scores=scores)
                self.done.scores += len(scores)

    # Objections -----------------------------------------------------------------------

    def object(self, award, *, upheld):
        loser = next(bid for bid in self.live_bids() if bid.pk != award.bid_id)
        admin = loser.organisation.memberships.order_by("pk").first().user
        objection = objection_file(
            tender=self.tender,
            organisation=loser.organisation,
            by=admin,
            grounds=data.OBJECTION_GROUNDS,
        )
        self.done.objections += 1
        if upheld:
            objection_answer(
                objection=objection,
                by=self.officer,
                answer=data.OBJECTION_UPHELD,
                upheld=True,
                outcome="reevaluate",
            )
        else:
            objection_answer(
                objection=objection,
                by=self.officer,
                answer=data.OBJECTION_DISMISSED,
                upheld=False,
            )

    # 公益创投 round ---------------------------------------------------------------------

    def screen(self):
        fails = dict(data.ROUND_FAILS)
        for position, bid in enumerate(self.live_bids()):
            reason = fails.get(position, "申报材料齐全，项目符合本届大赛资助方向。")
            proposal_screen(bid=bid, by=self.officer, passed=position not in fails, reason=reason)
        start = timezone.localtime() + datetime.timedelta(days=1)
        start = start.replace(hour=9, minute=0, second=0, microsecond=0)
        presentations_schedule(
            tender=self.tender,
            by=self.officer,
            starts_at=start,
            minutes=15,
            place=data.ROUND_PLACE,
            gap_minutes=5,
        )
        # The presentations took place a week after the deadline.
        shift = (self.tender.bid_deadline + datetime.timedelta(days=7)) - start
        for slot in PresentationSlot.objects.filter(bid__tender=self.tender):
            PresentationSlot.objects.filter(pk=slot.pk).update(starts_at=slot.starts_at + shift)

    def fund(self):
        position, share, reason = data.ROUND_LOWER
        ranked = [row for row in evaluation_results(self.tender).rows if row.valid]
        lowered = ranked[position].bid
        amount = (lowered.amount.amount * Decimal(share)).quantize(Decimal("1000"))
        awards = venture_fund(
            tender=self.tender,
            by=self.officer,
            overrides={lowered.pk: (Money(amount, "CNY"), reason)},
        )
        self.done.awards += len(awards)


COMMENTS = [
    "需求分析扎实，服务方案针对性强。",
    "团队专业背景较好，督导安排明确。",
    "绩效指标可量化，但评估方式可再细化。",
    "方案总体可行，部分服务频次偏低。",
    "同类项目经验丰富，资源整合能力较强。",
    "创新性一般，执行计划清晰。",
]


def _points(weight, fraction) -> Decimal:
    """A score as an expert would give it: to the half point, between 0 and the weight."""
    value = Decimal(weight) * Decimal(str(max(0.0, min(1.0, fraction))))
    return min((value / HALF).quantize(Decimal(1), rounding=ROUND_HALF_UP) * HALF, Decimal(weight))


def _notice_over(tender):
    """Publish the award 12 days ago, so its 5-working-day notice period has ended."""
    published = timezone.now() - datetime.timedelta(days=12)
    Award.objects.filter(tender=tender).filter(~Q(status=Award.Status.REVOKED)).update(
        published_at=published, notice_ends_at=published + datetime.timedelta(days=7)
    )
