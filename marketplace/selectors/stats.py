from django.db.models import Count, Q

from marketplace.models import Buyer, Organisation


def platform_counts() -> dict:
    """Headline numbers for the home page, in two queries."""
    organisations = Organisation.objects.aggregate(
        verified=Count("pk", filter=Q(status=Organisation.Status.VERIFIED))
    )
    return {"organisations": organisations["verified"], "buyers": Buyer.objects.count()}
