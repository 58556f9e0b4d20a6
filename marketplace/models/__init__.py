from .accounts import Invitation, User
from .audit import AuditEntry
from .buyers import Buyer, BuyerMembership, Delegation
from .catalogue import Category, Region
from .evaluations import Expert
from .organisations import Organisation, OrganisationMembership

__all__ = [
    "AuditEntry",
    "Buyer",
    "BuyerMembership",
    "Category",
    "Delegation",
    "Expert",
    "Invitation",
    "Organisation",
    "OrganisationMembership",
    "Region",
    "User",
]
