"""The OCDS version and language we publish, and our statuses and procurement methods as
OCDS codelist codes."""

from marketplace.models import Award, Contract, Milestone, Tender

OCDS_VERSION = "1.1"
LANGUAGE = "zh"

TENDER_STATUS = {
    Tender.Status.DRAFT: "planned",
    Tender.Status.PUBLISHED: "active",
    Tender.Status.CLOSED: "active",
    Tender.Status.OPENED: "active",
    Tender.Status.EVALUATING: "active",
    Tender.Status.AWARDED: "complete",
    Tender.Status.CANCELLED: "cancelled",
    Tender.Status.FAILED: "unsuccessful",
}

# Only 邀请招标 and 单一来源 restrict who may bid; the other methods are open to every
# eligible organisation on the platform.
PROCUREMENT_METHOD = {
    Tender.Method.OPEN: "open",
    Tender.Method.INVITED: "selective",
    Tender.Method.NEGOTIATION: "open",
    Tender.Method.CONSULTATION: "open",
    Tender.Method.SINGLE_SOURCE: "direct",
    Tender.Method.INQUIRY: "open",
    Tender.Method.VENTURE: "open",
}

AWARD_STATUS = {Award.Status.NOTICE: "active", Award.Status.REVOKED: "cancelled"}

# OCDS has no "completed" contract: "terminated" covers every contract that came to a close.
CONTRACT_STATUS = {
    Contract.Status.DRAFT: "pending",
    Contract.Status.ACTIVE: "active",
    Contract.Status.COMPLETED: "terminated",
    Contract.Status.TERMINATED: "terminated",
}

MILESTONE_STATUS = {
    Milestone.Status.PENDING: "scheduled",
    Milestone.Status.SUBMITTED: "scheduled",
    Milestone.Status.RETURNED: "scheduled",
    Milestone.Status.ACCEPTED: "met",
    Milestone.Status.PAID: "met",
    Milestone.Status.CANCELLED: "notMet",
}
