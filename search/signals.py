"""Signals of the search app."""

from django.dispatch import Signal

# sender: the kind (search.types.Kind); kwargs: ids (the objects just indexed). Sent by the
# background index update; the saved-search alerts match new tenders on it.
indexed = Signal()
