"""The parties of a release: the buyer and the organisations it may name at its moment."""

from django.utils.translation import gettext as _

from marketplace.ocds.asof import AsOf, opening_tenderers, signed_contracts, standing_awards
from marketplace.ocds.values import site_url


def _party_id(entity) -> str:
    # The 统一社会信用代码 identifies every legal entity, buyers and organisations alike.
    return f"CN-USCC-{entity.credit_code}"


def reference(entity) -> dict:
    """An organization reference to a party of the release."""
    return {"id": _party_id(entity), "name": entity.name}


def _party(entity, roles, *, region_name="", telephone="", url="") -> dict:
    party = {
        **reference(entity),
        "identifier": {"scheme": "CN-USCC", "id": entity.credit_code, "legalName": entity.name},
        "roles": roles,
    }
    address = {
        key: value
        for key, value in (
            ("streetAddress", entity.address),
            ("region", region_name),
            ("countryName", _("中国")),
        )
        if value
    }
    party["address"] = address
    if telephone:
        party["contactPoint"] = {"name": entity.name, "telephone": telephone}
    if url:
        party["details"] = {"url": url}
    return party


def release_parties(tender, state: AsOf) -> list:
    buyer = tender.buyer
    contracts = signed_contracts(tender, state)
    buyer_roles = ["buyer", "procuringEntity"] + (["payer"] if contracts else [])
    parties = {
        buyer.pk: _party(
            buyer,
            buyer_roles,
            region_name=buyer.region.name,
            telephone=buyer.contact_phone,
            url=site_url(buyer.get_absolute_url()),
        )
    }
    roles: dict[int, list[str]] = {}
    organisations = {}
    for organisation in opening_tenderers(tender, state):
        organisations[organisation.pk] = organisation
        roles.setdefault(organisation.pk, []).append("tenderer")
    for award in standing_awards(tender, state):
        organisation = award.bid.organisation
        organisations[organisation.pk] = organisation
        roles.setdefault(organisation.pk, []).append("supplier")
    for contract in contracts:
        organisations[contract.organisation_id] = contract.organisation
        roles.setdefault(contract.organisation_id, []).extend(["supplier", "payee"])
    organisation_parties = [
        _party(
            organisations[pk],
            list(dict.fromkeys(roles[pk])),
            url=site_url(organisations[pk].get_absolute_url()),
        )
        for pk in sorted(organisations)
    ]
    return [*parties.values(), *organisation_parties]
