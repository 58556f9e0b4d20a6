"""Contracts (服务合同): the public part of a signed contract and its milestones."""

import datetime

from ninja import Schema

from marketplace.api.schemas.common import (
    MoneyOut,
    PageBase,
    Ref,
    TenderRef,
    absolute_url,
    buyer_ref,
    money,
    organisation_ref,
    tender_ref,
)


class ContractMilestoneOut(Schema):
    id: int
    name: str
    amount: MoneyOut
    due_on: datetime.date
    status: str
    status_label: str
    accepted_at: datetime.datetime | None
    paid_at: datetime.datetime | None


class ContractItem(Schema):
    id: int
    reference: str
    tender: TenderRef
    buyer: Ref
    organisation: Ref
    amount: MoneyOut
    starts_on: datetime.date
    ends_on: datetime.date
    signed_at: datetime.datetime | None
    status: str
    status_label: str
    url: str


class ContractDetail(ContractItem):
    milestones: list[ContractMilestoneOut]
    paid: MoneyOut
    refunded: MoneyOut


class ContractPage(PageBase):
    results: list[ContractItem]


def contract_item(request, contract) -> dict:
    return {
        "id": contract.pk,
        "reference": contract.reference,
        "tender": tender_ref(request, contract.tender),
        "buyer": buyer_ref(request, contract.buyer),
        "organisation": organisation_ref(request, contract.organisation),
        "amount": money(contract.amount),
        "starts_on": contract.starts_on,
        "ends_on": contract.ends_on,
        "signed_at": contract.signed_at,
        "status": contract.status,
        "status_label": str(contract.get_status_display()),
        "url": absolute_url(request, "contract_public", contract.pk),
    }


def milestone_out(milestone) -> dict:
    return {
        "id": milestone.pk,
        "name": milestone.name,
        "amount": money(milestone.amount),
        "due_on": milestone.due_on,
        "status": milestone.status,
        "status_label": str(milestone.get_status_display()),
        "accepted_at": milestone.accepted_at,
        "paid_at": milestone.paid_at,
    }


def contract_detail(request, contract, *, balance) -> dict:
    return {
        **contract_item(request, contract),
        "milestones": [milestone_out(m) for m in contract.milestones.all()],
        "paid": money(balance["paid"]),
        "refunded": money(balance["refunded"]),
    }
