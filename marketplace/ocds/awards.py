"""The awards of a release: each award notice published by its moment."""

from django.utils.translation import gettext as _

from marketplace.models import Award
from marketplace.ocds.asof import AsOf, award_status, published_awards
from marketplace.ocds.codes import AWARD_STATUS, LANGUAGE
from marketplace.ocds.parties import reference
from marketplace.ocds.values import iso, money_value, site_url


def release_awards(tender, state: AsOf) -> list:
    return [
        {
            "id": str(award.pk),
            "title": _("%(tender)s 中标（成交）结果") % {"tender": tender.title},
            **({"description": award.reason} if award.reason else {}),
            "status": AWARD_STATUS[Award.Status(award_status(award, state))],
            "date": iso(award.published_at),
            "value": money_value(award.amount),
            "suppliers": [reference(award.bid.organisation)],
            "documents": [
                {
                    "id": "notice",
                    "documentType": "awardNotice",
                    "url": site_url(award.get_absolute_url()),
                    "datePublished": iso(award.published_at),
                    "language": LANGUAGE,
                }
            ],
        }
        for award in published_awards(tender, state)
    ]
