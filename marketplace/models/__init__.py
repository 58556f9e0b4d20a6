from .accounts import Invitation, User
from .audit import AuditEntry
from .buyers import Buyer, BuyerMembership, Delegation
from .catalogue import Category, CommunityListItem, ProhibitedItem, Region
from .evaluations import Expert
from .organisations import Organisation, OrganisationMembership

__all__ = [
    "AuditEntry",
    "Buyer",
    "BuyerMembership",
    "Category",
    "CommunityListItem",
    "Delegation",
    "Expert",
    "Invitation",
    "Organisation",
    "OrganisationMembership",
    "ProhibitedItem",
    "Region",
    "User",
]
