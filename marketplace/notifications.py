"""Emails that follow domain events. Connected in MarketplaceConfig.ready().

Sent in the platform's language: we do not know each recipient's own choice. No email ever
carries a bid's content: before the opening that would break the seal.
"""

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from marketplace import events, tasks
from marketplace.models import (
    BuyerMembership,
    Clarification,
    Organisation,
    OrganisationMembership,
    Tender,
)
from marketplace.selectors.awards import tender_bidder_emails, tender_officer_emails
from marketplace.selectors.tenders import tender_recipient_emails

ORGANISATION_SUBJECTS = {
    Organisation.Status.VERIFIED: gettext_lazy("“%(name)s”已通过平台认证"),
    Organisation.Status.REJECTED: gettext_lazy("“%(name)s”的登记未通过审核"),
    Organisation.Status.SUSPENDED: gettext_lazy("“%(name)s”已被暂停"),
}

TENDER_SUBJECTS = {
    Tender.Status.CANCELLED: gettext_lazy("项目“%(title)s”已取消"),
    Tender.Status.FAILED: gettext_lazy("项目“%(title)s”已流标"),
}


def _link(obj) -> str:
    return settings.SITE_URL + obj.get_absolute_url()


def organisation_status_changed(sender, instance, to_status, reason, **kwargs):
    """Tell the organisation's admins about a verification decision, with the reason."""
    if to_status not in ORGANISATION_SUBJECTS:
        return
    admins = list(
        OrganisationMembership.objects.filter(
            organisation=instance, role=OrganisationMembership.Role.ADMIN
        ).values_list("user__email", flat=True)
    )
    if not admins:
        return
    with translation.override(settings.LANGUAGE_CODE):
        subject = str(ORGANISATION_SUBJECTS[to_status]) % {"name": instance.name}
        body = _("认证状态：%(status)s") % {"status": instance.get_status_display()}
        if reason:
            body += "\n" + _("理由：%(reason)s") % {"reason": reason}
        body += "\n\n" + _("查看组织资料：%(url)s") % {"url": _link(instance)}
    tasks.send_email.enqueue(subject=subject, body=body, to=admins)


def _tell_interested(tender, subject, body):
    recipients = tender_recipient_emails(tender)
    if recipients:
        body += "\n\n" + _("查看项目：%(url)s") % {"url": _link(tender)}
        tasks.send_email.enqueue(subject=subject, body=body, to=recipients)


def tender_status_changed(sender, instance, to_status, reason, **kwargs):
    """Tell bidders and followers that a tender was cancelled or failed, with the reason."""
    if to_status not in TENDER_SUBJECTS:
        return
    with translation.override(settings.LANGUAGE_CODE):
        subject = str(TENDER_SUBJECTS[to_status]) % {"title": instance.title}
        _tell_interested(instance, subject, _("理由：%(reason)s") % {"reason": reason})


def tender_amended(sender, instance, version, **kwargs):
    """Tell bidders and followers about an amendment; bidders must re-confirm their bids."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("项目“%(title)s”发布了变更公告（第%(number)d版）") % {
            "title": instance.title,
            "number": version.number,
        }
        body = _("变更说明：%(note)s") % {"note": version.note}
        body += "\n" + _("已提交的投标须在投标截止前重新确认。")
        _tell_interested(instance, subject, body)


def clarification_answered(sender, instance, **kwargs):
    """Send a public answer to bidders and followers (the asker is not named)."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("项目“%(title)s”发布了答疑澄清") % {"title": instance.tender.title}
        body = _("问题：%(question)s\n答复：%(answer)s") % {
            "question": instance.question,
            "answer": instance.answer,
        }
        _tell_interested(instance.tender, subject, body)


# Award and objections (called by services/awards.py after commit).


def _send(recipients, subject, body, link):
    recipients = sorted(set(recipients))
    if recipients:
        body += "\n\n" + _("查看公告：%(url)s") % {"url": settings.SITE_URL + link}
        tasks.send_email.enqueue(subject=subject, body=body, to=recipients)


def awards_published(tender, awards):
    """Tell every bidder the award result: winner(s), amount, and the notice period's end."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("项目“%(title)s”公告中标（成交）结果") % {"title": tender.title}
        lines = [
            _("%(name)s：%(amount)s") % {"name": a.bid.organisation.name, "amount": a.amount}
            for a in awards
        ]
        ends = timezone.localtime(awards[0].notice_ends_at).strftime("%Y-%m-%d %H:%M")
        lines.append(_("公示期至 %(ends)s，期间投标人可提出质疑。") % {"ends": ends})
        _send(tender_bidder_emails(tender), subject, "\n".join(lines), awards[0].get_absolute_url())


def objection_filed(objection):
    """Tell the buyer's officers and every bidder that an objection was filed (no grounds)."""
    tender = objection.tender
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("项目“%(title)s”的中标（成交）结果收到质疑") % {"title": tender.title}
        due = timezone.localtime(objection.answer_due_at).strftime("%Y-%m-%d %H:%M")
        body = _("采购人须在 %(due)s 前答复。质疑处理完毕前不得签订合同。") % {"due": due}
        _send(
            tender_officer_emails(tender) + tender_bidder_emails(tender),
            subject,
            body,
            tender.get_absolute_url() + "#award",
        )


def objection_answered(objection):
    """Tell every bidder the answer to an objection and what follows from it."""
    tender = objection.tender
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("项目“%(title)s”的质疑已答复：%(status)s") % {
            "title": tender.title,
            "status": objection.get_status_display(),
        }
        body = _("答复：%(answer)s") % {"answer": objection.answer}
        if objection.outcome:
            body += "\n" + _("处理结果：%(outcome)s") % {"outcome": objection.get_outcome_display()}
        _send(tender_bidder_emails(tender), subject, body, tender.get_absolute_url() + "#award")


# Delivery and acceptance (called by services/delivery.py after commit; H6).


def _contract_emails(contract, *, buyer: bool) -> list[str]:
    """The buyer's officers, or the organisation's members, of a contract."""
    if buyer:
        rows = BuyerMembership.objects.filter(buyer_id=contract.buyer_id)
    else:
        rows = OrganisationMembership.objects.filter(organisation_id=contract.organisation_id)
    return list(rows.values_list("user__email", flat=True))


def _send_contract(recipients, subject, body, contract):
    recipients = sorted(set(recipients))
    if recipients:
        link = settings.SITE_URL + contract.get_absolute_url() + "#milestones"
        body += "\n\n" + _("查看合同：%(url)s") % {"url": link}
        tasks.send_email.enqueue(subject=subject, body=body, to=recipients)


def milestone_report_submitted(report):
    """Tell the buyer's officers that a milestone report waits for their acceptance."""
    milestone = report.milestone
    contract = milestone.contract
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("“%(organisation)s”提交了履约报告：%(milestone)s") % {
            "organisation": contract.organisation.name,
            "milestone": milestone.name,
        }
        body = _("合同：%(contract)s\n履约节点：%(milestone)s（%(amount)s）\n请及时验收。") % {
            "contract": contract.tender.title,
            "milestone": milestone.name,
            "amount": milestone.amount,
        }
        _send_contract(_contract_emails(contract, buyer=True), subject, body, contract)


def milestone_report_decided(report):
    """Tell the organisation's members that its report was accepted, or returned and why."""
    milestone = report.milestone
    contract = milestone.contract
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("履约报告“%(milestone)s”%(status)s") % {
            "milestone": milestone.name,
            "status": report.get_status_display(),
        }
        body = _("合同：%(contract)s") % {"contract": contract.tender.title}
        if report.decision_reason:
            body += "\n" + _("退回理由：%(reason)s") % {"reason": report.decision_reason}
        _send_contract(_contract_emails(contract, buyer=False), subject, body, contract)


# Contracts (called by services/contracts.py after commit; H5).


def _send_contract_page(recipients, subject, body, contract):
    recipients = sorted(set(recipients))
    if recipients:
        body += "\n\n" + _("查看合同：%(url)s") % {"url": _link(contract)}
        tasks.send_email.enqueue(subject=subject, body=body, to=recipients)


def contract_created(contract):
    """Tell the organisation that a contract was drafted and waits for its signature."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("“%(title)s”的服务合同已起草，请签署") % {"title": contract.tender.title}
        body = _("购买主体：%(buyer)s\n合同金额：%(amount)s\n服务期限：%(start)s 至 %(end)s") % {
            "buyer": contract.buyer.name,
            "amount": contract.amount,
            "start": contract.starts_on.isoformat(),
            "end": contract.ends_on.isoformat(),
        }
        _send_contract_page(_contract_emails(contract, buyer=False), subject, body, contract)


def contract_signed(contract, version, side):
    """Tell the other side that a version was signed, and whether it is now in force."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("“%(title)s”的服务合同（第%(number)d版）已由%(side)s签署") % {
            "title": contract.tender.title,
            "number": version.number,
            "side": contract.buyer.name if side == "buyer" else contract.organisation.name,
        }
        if version.is_signed:
            body = _("双方均已签署，本版本已生效。文本摘要（SHA-256）：%(hash)s") % {
                "hash": version.sha256
            }
        else:
            body = _("请登录平台核对合同文本并签署。")
        recipients = _contract_emails(contract, buyer=side != "buyer")
        _send_contract_page(recipients, subject, body, contract)


def contract_varied(contract, version):
    """Tell the organisation that the buyer proposed a variation (变更), with its reason."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("“%(title)s”的服务合同提出变更（第%(number)d版）") % {
            "title": contract.tender.title,
            "number": version.number,
        }
        body = _("变更理由：%(reason)s\n变更后合同金额：CNY %(amount)s\n请核对后签署。") % {
            "reason": version.reason,
            "amount": version.terms["amount"],
        }
        _send_contract_page(_contract_emails(contract, buyer=False), subject, body, contract)


def contract_terminated(contract, reason):
    """Tell the organisation that the contract was terminated, and why."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("“%(title)s”的服务合同已终止") % {"title": contract.tender.title}
        body = _("终止理由：%(reason)s\n未支付的履约节点已取消。") % {"reason": reason}
        _send_contract_page(_contract_emails(contract, buyer=False), subject, body, contract)


def connect():
    events.status_changed.connect(
        organisation_status_changed, sender=Organisation, dispatch_uid="organisation_status_mail"
    )
    events.status_changed.connect(
        tender_status_changed, sender=Tender, dispatch_uid="tender_status_mail"
    )
    events.tender_amended.connect(tender_amended, sender=Tender, dispatch_uid="tender_amend_mail")
    events.clarification_answered.connect(
        clarification_answered, sender=Clarification, dispatch_uid="clarification_mail"
    )


# Two-way evaluation (called by services/ratings.py after commit; H1). Until the reveal an
# email says only that an evaluation was submitted: its scores would break the seal.


def _rating_side_emails(contract, side) -> list[str]:
    """Who acts for a side of an evaluation: the buyer's officers for "buyer" (the buyer
    rates), the organisation's members for "organisation"."""
    return _contract_emails(contract, buyer=side == "buyer")


def rating_submitted(rating):
    """Tell the other side that this side submitted its evaluation (never its content)."""
    rating_round = rating.round
    contract = rating_round.contract
    other = "organisation" if rating.side == "buyer" else "buyer"
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("“%(title)s”：对方已提交%(kind)s") % {
            "title": contract.tender.title,
            "kind": rating_round.get_kind_display(),
        }
        body = _(
            "双方均提交后或评估期结束时（%(closes)s）同时揭晓，揭晓前双方都看不到对方的评价。"
        ) % {"closes": timezone.localtime(rating_round.closes_at).strftime("%Y-%m-%d")}
        if not rating_round.ratings.filter(side=other).exists():
            body += "\n" + _("您方尚未提交评价，请在评估期结束前提交。")
        _send_contract_page(_rating_side_emails(contract, other), subject, body, contract)


def rating_round_revealed(rating_round):
    """Tell both sides that the evaluations of a round are revealed."""
    contract = rating_round.contract
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("“%(title)s”的%(kind)s已揭晓") % {
            "title": contract.tender.title,
            "kind": rating_round.get_kind_display(),
        }
        body = _("双方的评价现已公开，揭晓后不能再修改。如对评价有异议，可提出一次申诉。")
        recipients = _rating_side_emails(contract, "buyer") + _rating_side_emails(
            contract, "organisation"
        )
        _send_contract_page(recipients, subject, body, contract)


def rating_appeal_decided(appeal):
    """Tell the appellant's side and the evaluating side how staff decided an appeal."""
    rating = appeal.rating
    contract = rating.round.contract
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("“%(title)s”的评价申诉：%(status)s") % {
            "title": contract.tender.title,
            "status": appeal.get_status_display(),
        }
        body = _("处理意见：%(decision)s") % {"decision": appeal.decision}
        if appeal.status == "upheld":
            body += "\n" + _("该评价不再计入评分统计，并在页面上标明。")
        recipients = [
            appeal.filed_by.email,
            *_rating_side_emails(contract, "buyer"),
            *_rating_side_emails(contract, "organisation"),
        ]
        _send_contract_page(recipients, subject, body, contract)
