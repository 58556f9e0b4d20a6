"""Open Contracting Data Standard 1.1: our contracting processes as OCDS releases, now or as
they stood at a past event (for the backfill), packages (records merged by `merge`), and
validation against the official schema and codelists vendored in marketplace/data/ocds/
(offline: nothing is fetched).

Every public tender is one contracting process, ocid ``<OCDS_PREFIX>-<tender id>``. The
mapping functions are pure: they read the objects `selectors.opendata.ocds_process_get`
fetched and return plain JSON data.

Sealed bids stay sealed. A release never carries a bid's price, proposal or files. Only
once the bids have been opened (开标) does it name the tenderers and their number, as the
opening record does for bidders; the only prices are the awarded amounts, which the award
notice publishes.

Modules, each importing only the ones listed before it: `codes` (version, language,
status codes), `ids` (ocid, release ids, event keys), `values` (dates, amounts, URLs),
`schema` (the vendored files), `asof` (the moment a release shows and what was public
then), `parties`, `tender`, `awards`, `contracts`, `releases` (`release_build`),
`past_events` (the backfill's events), `merge` (compiled and versioned releases),
`packages` and `validation`. Callers use the names re-exported here.
"""

from marketplace.ocds.asof import NOW, AsOf
from marketplace.ocds.codes import (
    AWARD_STATUS,
    CONTRACT_STATUS,
    LANGUAGE,
    MILESTONE_STATUS,
    OCDS_VERSION,
    PROCUREMENT_METHOD,
    TENDER_STATUS,
)
from marketplace.ocds.ids import (
    contract_version_subject,
    event_key,
    milestone_subject,
    ocid_for,
    payment_subject,
    release_id_for,
    tender_id_from_ocid,
    tender_version_subject,
)
from marketplace.ocds.packages import record_package, release_package
from marketplace.ocds.past_events import EVENT_ORDER, PastEvent, past_events
from marketplace.ocds.releases import release_build
from marketplace.ocds.schema import OCDS_DIR, codelist, codelist_available
from marketplace.ocds.tender import (
    AMENDABLE_FIELD_LABELS,
    NOTICE_MOMENT_FIELDS,
    NOTICE_TEXT_FIELDS,
)
from marketplace.ocds.validation import codelist_values, codelist_violations, package_errors
from marketplace.ocds.values import iso

__all__ = [
    "AMENDABLE_FIELD_LABELS",
    "AWARD_STATUS",
    "CONTRACT_STATUS",
    "EVENT_ORDER",
    "LANGUAGE",
    "MILESTONE_STATUS",
    "NOTICE_MOMENT_FIELDS",
    "NOTICE_TEXT_FIELDS",
    "NOW",
    "OCDS_DIR",
    "OCDS_VERSION",
    "PROCUREMENT_METHOD",
    "TENDER_STATUS",
    "AsOf",
    "PastEvent",
    "codelist",
    "codelist_available",
    "codelist_values",
    "codelist_violations",
    "contract_version_subject",
    "event_key",
    "iso",
    "milestone_subject",
    "ocid_for",
    "package_errors",
    "past_events",
    "payment_subject",
    "record_package",
    "release_build",
    "release_id_for",
    "release_package",
    "tender_id_from_ocid",
    "tender_version_subject",
]
