"""A release of a public tender's process, as it stands now or stood at a past event."""

import datetime

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from marketplace.ocds.asof import NOW, AsOf, signed_contracts
from marketplace.ocds.awards import release_awards
from marketplace.ocds.codes import LANGUAGE
from marketplace.ocds.contracts import release_contract
from marketplace.ocds.ids import ocid_for, release_id_for
from marketplace.ocds.parties import reference, release_parties
from marketplace.ocds.tender import tender_notice, tender_section
from marketplace.ocds.values import iso, money_value


def release_build(
    tender, *, key: str, tags: list[str], date: datetime.datetime, state: AsOf = NOW
) -> dict:
    """The release of a public tender's process for the event `key`, showing the process as
    it stands now or, for the backfill, as it stood at `state.at`.

    Texts are written in the platform language whatever the request's language is."""
    ocid = ocid_for(tender.pk)
    with translation.override(settings.LANGUAGE_CODE):
        notice = tender_notice(tender, state)
        release = {
            "ocid": ocid,
            "id": release_id_for(ocid, key),
            "date": iso(date),
            "language": LANGUAGE,
            "tag": list(tags),
            "initiationType": "tender",
            "parties": release_parties(tender, state),
            "buyer": reference(tender.buyer),
            "planning": {
                "budget": {
                    "description": notice["funding_source"] or _("财政资金"),
                    "amount": money_value(notice["budget"]),
                }
            },
            "tender": tender_section(tender, notice, state),
        }
        awards = release_awards(tender, state)
        if awards:
            release["awards"] = awards
        contracts = [
            release_contract(contract, state) for contract in signed_contracts(tender, state)
        ]
        if contracts:
            release["contracts"] = contracts
    return release
