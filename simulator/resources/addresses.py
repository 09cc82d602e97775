"""Billing and shipping addresses, as orders and customers render them."""

from __future__ import annotations

from collections.abc import Sequence

from simulator.models import ADDRESS_FIELDS
from simulator.resources.declare import Declaration, Field
from simulator.resources.schema import STRING

#: An address may have no e-mail: "" is accepted, anything else must be one.
EMAIL_OR_EMPTY_INPUT = {"type": "string", "anyOf": [{"format": "email"}, {"maxLength": 0}]}


def _address(title: str, order: Sequence[str], *, billing: bool) -> Declaration:
    return Declaration(
        title,
        tuple(
            Field(
                name,
                STRING,
                writable=True,
                input=EMAIL_OR_EMPTY_INPUT if name == "email" else None,
            )
            for name in order
            if billing or name != "email"  # a shipping address has no e-mail
        ),
        shared=True,
    )


#: The orders controller's order (the Address tuple's).
BILLING = _address("Billing", ADDRESS_FIELDS, billing=True)
SHIPPING = _address("Shipping", ADDRESS_FIELDS, billing=False)

#: The customers controller lists an address in the order of the customer's props
#: (postcode and country before state), unlike the orders controller: WooCommerce
#: 10.0.2 answers ``..., city, postcode, country, state, ...`` for a customer.
CUSTOMER_ADDRESS_ORDER = (
    "first_name",
    "last_name",
    "company",
    "address_1",
    "address_2",
    "city",
    "postcode",
    "country",
    "state",
    "email",
    "phone",
)
CUSTOMER_BILLING = _address("Billing", CUSTOMER_ADDRESS_ORDER, billing=True)
CUSTOMER_SHIPPING = _address("Shipping", CUSTOMER_ADDRESS_ORDER, billing=False)
