"""The contracts of a release: each contract signed by its moment, on the terms then in
force, with its milestones and payments."""

import datetime
from decimal import Decimal

from django.urls import reverse
from django.utils.translation import gettext as _
from djmoney.money import Money

from marketplace.models import Contract, Milestone
from marketplace.ocds.asof import AsOf, version_signed_at
from marketplace.ocds.codes import CONTRACT_STATUS, LANGUAGE, MILESTONE_STATUS
from marketplace.ocds.parties import reference
from marketplace.ocds.values import iso, iso_day, money_value, site_url


def _milestone_status(milestone, state: AsOf) -> str:
    if state.at is None:
        return MILESTONE_STATUS[Milestone.Status(milestone.status)]
    if milestone.status == Milestone.Status.CANCELLED and state.closed_by(milestone):
        return "notMet"
    return "met" if state.happened(milestone.accepted_at) else "scheduled"


def _milestone(milestone, state: AsOf, terms: dict | None, in_force_at) -> dict:
    """A contract milestone; `terms` is its row in the contract version in force when that
    is not the latest (a later variation changed it), signed at `in_force_at`."""
    name, percentage, amount, due_on = (
        milestone.name,
        milestone.percentage,
        milestone.amount.amount,
        milestone.due_on,
    )
    if terms is not None:
        name, percentage, amount = terms["name"], Decimal(terms["percentage"]), terms["amount"]
        due_on = datetime.date.fromisoformat(terms["due_on"])
    status = _milestone_status(milestone, state)
    if state.at is None:
        modified = milestone.updated_at
    elif status == "met":
        modified = milestone.accepted_at
    elif status == "notMet":
        modified = state.closed[(type(milestone), milestone.pk)]
    else:
        modified = in_force_at
    data = {
        "id": str(milestone.pk),
        "title": name,
        "type": "delivery",
        "description": _("支付比例 %(percentage)s%%，支付金额 %(amount)s 元")
        % {"percentage": percentage.normalize(), "amount": amount},
        "dueDate": iso_day(due_on, end=True),
        "status": status,
        "dateModified": iso(modified),
    }
    if status == "met" and milestone.accepted_at:
        data["dateMet"] = iso(milestone.accepted_at)
    return data


def _contract_status(contract, state: AsOf) -> str:
    if state.at is not None and not state.closed_by(contract):
        return "active"
    return CONTRACT_STATUS[Contract.Status(contract.status)]


def release_contract(contract, state: AsOf) -> dict:
    public_url = site_url(reverse("contract_public", args=[contract.pk]))
    signed = [version for version in contract.versions.all() if version.is_signed]
    in_force = [version for version in signed if state.happened(version_signed_at(version))]
    # The terms of an older version apply only when a later variation has changed them.
    terms = in_force[-1].terms if in_force and in_force[-1] is not signed[-1] else {}
    in_force_at = version_signed_at(in_force[-1]) if in_force else contract.signed_at
    amount = (
        Money(terms["amount"], terms.get("currency", "CNY"))
        if "amount" in terms
        else contract.amount
    )
    starts_on = datetime.date.fromisoformat(terms["starts_on"]) if "starts_on" in terms else None
    ends_on = datetime.date.fromisoformat(terms["ends_on"]) if "ends_on" in terms else None
    milestone_terms = (
        {row["position"]: row for row in terms["milestones"]} if "milestones" in terms else None
    )
    amendments = [
        {
            "id": str(version.number),
            "date": iso(version_signed_at(version)),
            "rationale": version.reason or _("合同变更"),
        }
        for version in in_force
        if version.number > 1
    ]
    data = {
        "id": str(contract.pk),
        "awardID": str(contract.award_id),
        "title": contract.reference,
        "description": terms.get("deliverables", contract.deliverables),
        "status": _contract_status(contract, state),
        "period": {
            "startDate": iso_day(starts_on or contract.starts_on),
            "endDate": iso_day(ends_on or contract.ends_on, end=True),
        },
        "value": money_value(amount),
        "dateSigned": iso(contract.signed_at),
        "documents": [
            {
                "id": "contract",
                "documentType": "contractSigned",
                "title": contract.reference,
                "url": public_url,
                "datePublished": iso(contract.signed_at),
                "language": LANGUAGE,
            }
        ],
        "implementation": {
            "milestones": [
                _milestone(
                    milestone,
                    state,
                    milestone_terms.get(milestone.position) if milestone_terms else None,
                    in_force_at,
                )
                for milestone in contract.milestones.all()
                if milestone_terms is None or milestone.position in milestone_terms
            ],
            "transactions": [
                {
                    "id": str(payment.pk),
                    "source": public_url,
                    "date": iso(payment.settled_at),
                    "value": money_value(payment.amount),
                    "payer": reference(contract.buyer),
                    "payee": reference(contract.organisation),
                }
                for payment in contract.payments.all()
                if state.happened(payment.settled_at)
            ],
        },
    }
    if amendments:
        data["amendments"] = amendments
    return data
