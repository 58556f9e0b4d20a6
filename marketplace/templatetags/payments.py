"""The payments section of the contract page: `{% contract_payment_panel contract payments %}`
gives the balance, whether the user acts for the buyer, and each payment with its
punctuality (a fixed number of queries, whatever the number of payments)."""

from django import template

from marketplace import permissions
from marketplace.forms.payments import RefundForm, TreasuryRecordForm
from marketplace.selectors.payments import (
    contract_balance,
    contract_payments,
    milestone_punctuality,
)

register = template.Library()


@register.simple_tag(takes_context=True)
def contract_payment_panel(context, contract, payments=None):
    request = context.get("request")
    user = getattr(request, "user", None)
    if payments is None:
        payments = contract_payments(contract)
    rows = [
        {"payment": payment, "punctuality": milestone_punctuality(payment.milestone, payment)}
        for payment in payments
    ]
    return {
        "balance": contract_balance(contract),
        "is_buyer": permissions.is_contract_buyer(user, contract),
        "rows": rows,
        "treasury_form": TreasuryRecordForm(auto_id="id_treasury_%s"),
        "refund_form": RefundForm(auto_id="id_refund_%s"),
    }
