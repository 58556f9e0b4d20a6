"""What a token sees of its own organisation: who it acts as, its bids (content included)
and contracts (drafts too), and the milestone reports it submits."""

import datetime

from ninja import Schema

from marketplace.api.schemas.common import MoneyOut, PageBase, Ref, TenderRef, money, tender_ref
from marketplace.api.schemas.contracts import (
    ContractItem,
    ContractMilestoneOut,
    contract_item,
    milestone_out,
)


class TokenInfo(Schema):
    organisation: Ref
    user: str
    token_name: str
    prefix: str


class OwnDocumentOut(Schema):
    title: str
    size: int
    sha256: str


class OwnBidOut(Schema):
    id: int
    tender: TenderRef
    status: str
    status_label: str
    amount: MoneyOut
    service_plan: str
    team: str
    outputs: str
    beneficiaries: str
    tender_version: int
    needs_reconfirmation: bool
    submitted_at: datetime.datetime
    receipt_hash: str
    documents: list[OwnDocumentOut]


class OwnBidPage(PageBase):
    results: list[OwnBidOut]


class OwnContractOut(ContractItem):
    milestones: list[ContractMilestoneOut]


class OwnContractPage(PageBase):
    results: list[OwnContractOut]


class MilestoneReportOut(Schema):
    id: int
    milestone: ContractMilestoneOut
    status: str
    status_label: str
    narrative: str
    indicator_values: dict[str, str]
    beneficiaries: int
    submitted_at: datetime.datetime
    documents: list[OwnDocumentOut]


def _documents(documents) -> list[dict]:
    return [{"title": d.title, "size": d.size, "sha256": d.sha256} for d in documents]


def own_bid(request, bid) -> dict:
    return {
        "id": bid.pk,
        "tender": tender_ref(request, bid.tender),
        "status": bid.status,
        "status_label": str(bid.get_status_display()),
        "amount": money(bid.amount),
        "service_plan": bid.service_plan,
        "team": bid.team,
        "outputs": bid.outputs,
        "beneficiaries": bid.beneficiaries,
        "tender_version": bid.tender_version,
        "needs_reconfirmation": bid.needs_reconfirmation,
        "submitted_at": bid.submitted_at,
        "receipt_hash": bid.receipt_hash,
        "documents": _documents(bid.documents.all()),
    }


def own_contract(request, contract) -> dict:
    return {
        **contract_item(request, contract),
        "milestones": [milestone_out(m) for m in contract.milestones.all()],
    }


def milestone_report_out(report) -> dict:
    return {
        "id": report.pk,
        "milestone": milestone_out(report.milestone),
        "status": report.status,
        "status_label": str(report.get_status_display()),
        "narrative": report.narrative,
        "indicator_values": report.indicator_values,
        "beneficiaries": report.beneficiaries,
        "submitted_at": report.submitted_at,
        "documents": _documents(report.documents.all()),
    }
