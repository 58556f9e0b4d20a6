from .accounts import ApiToken, Invitation, User
from .audit import AuditEntry
from .awards import Award, Objection, ObjectionDocument
from .bids import Bid, BidDocument, TenderOpening
from .buyers import Buyer, BuyerMembership, Delegation
from .catalogue import Category, CommunityListItem, ProhibitedItem, Region
from .contracts import (
    Contract,
    ContractVersion,
    Milestone,
    MilestoneReport,
    MilestoneReportDocument,
)
from .evaluations import (
    BidScreening,
    ComplianceFlag,
    EvaluationReport,
    Expert,
    PanelDraw,
    PanelMember,
    PresentationSlot,
    ReportConfirmation,
    Score,
)
from .opendata import OcdsRelease
from .organisations import Organisation, OrganisationMembership
from .payments import GatewayEvent, LedgerEntry, Payment
from .ratings import (
    Rating,
    RatingAppeal,
    RatingRound,
    RatingScore,
    RatingSummary,
    ResidentFeedback,
)
from .tenders import (
    Clarification,
    Tender,
    TenderCriterion,
    TenderDocument,
    TenderFollow,
    TenderMilestone,
    TenderVersion,
)

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Award",
    "Bid",
    "BidDocument",
    "BidScreening",
    "Buyer",
    "BuyerMembership",
    "Category",
    "Clarification",
    "CommunityListItem",
    "ComplianceFlag",
    "Contract",
    "ContractVersion",
    "Delegation",
    "EvaluationReport",
    "Expert",
    "GatewayEvent",
    "Invitation",
    "LedgerEntry",
    "Milestone",
    "MilestoneReport",
    "MilestoneReportDocument",
    "Objection",
    "ObjectionDocument",
    "OcdsRelease",
    "Organisation",
    "OrganisationMembership",
    "PanelDraw",
    "PanelMember",
    "Payment",
    "PresentationSlot",
    "ProhibitedItem",
    "Rating",
    "RatingAppeal",
    "RatingRound",
    "RatingScore",
    "RatingSummary",
    "Region",
    "ReportConfirmation",
    "ResidentFeedback",
    "Score",
    "Tender",
    "TenderCriterion",
    "TenderDocument",
    "TenderFollow",
    "TenderMilestone",
    "TenderOpening",
    "TenderVersion",
    "User",
]
