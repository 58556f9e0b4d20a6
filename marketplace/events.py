"""Domain signals. cms/ and search/ subscribe to these; marketplace never imports them.

Every signal is sent after the transaction that caused it has committed.
"""

from django.dispatch import Signal

# sender: the model class; kwargs: instance, from_status, to_status, by, reason
status_changed = Signal()

# sender: Tender; kwargs: instance (the tender), version (the new TenderVersion)
tender_amended = Signal()

# sender: Clarification; kwargs: instance (answered, public)
clarification_answered = Signal()

# sender: Contract; kwargs: instance (the contract), version (the ContractVersion now in force)
contract_varied = Signal()
