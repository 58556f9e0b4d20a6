from .accounts import Invitation, User
from .audit import AuditEntry
from .bids import Bid, BidDocument, TenderOpening
from .buyers import Buyer, BuyerMembership, Delegation
from .catalogue import Category, CommunityListItem, ProhibitedItem, Region
from .evaluations import Expert
from .organisations import Organisation, OrganisationMembership
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
    "AuditEntry",
    "Bid",
    "BidDocument",
    "Buyer",
    "BuyerMembership",
    "Category",
    "Clarification",
    "CommunityListItem",
    "Delegation",
    "Expert",
    "Invitation",
    "Organisation",
    "OrganisationMembership",
    "ProhibitedItem",
    "Region",
    "Tender",
    "TenderCriterion",
    "TenderDocument",
    "TenderFollow",
    "TenderMilestone",
    "TenderOpening",
    "TenderVersion",
    "User",
]
