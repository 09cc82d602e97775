"""The options a flow takes, read from a trigger request and checked before anything runs."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from simulator.flows.notes import GATEWAY_NOTES

#: A money amount as WooCommerce takes it: digits, at most two decimals.
_AMOUNT = re.compile(r"^\d{1,9}(\.\d{1,2})?$")
MAX_QUANTITY = 1000


class FlowInputError(ValueError):
    """A trigger request the flow cannot run: names the field and the problem."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


@dataclass(frozen=True)
class FlowOptions:
    #: The order to act on; without it the flow makes one as a shop would.
    order: int | None = None
    #: The customer who buys or signs up; without it a guest buys (or a new customer signs up).
    customer: int | None = None
    #: The product bought; without it the first published product with a price.
    product: int | None = None
    quantity: int = 1
    payment_method: str = "cod"
    #: A partial refund's amount (``"5.00"``).
    amount: str | None = None
    #: The coupon code a checkout applies.
    coupon: str | None = None
    #: The new customer's e-mail (signup).
    email: str | None = None


#: Every option, with what it means (``woosim trigger --list`` shows those a flow takes).
OPTION_HELP = {
    "order": "id of the order to act on (default: one made as a shop would)",
    "customer": "id of the customer who checks out (default: a guest)",
    "product": "id of the product bought (default: the first published one with a price)",
    "quantity": "how many to buy (default 1)",
    "payment_method": "offline gateway: cod, bacs or cheque (default cod)",
    "amount": "amount to refund, e.g. 5.00 (default: half of what is left to refund)",
    "coupon": "coupon code to apply (default: flow10, a 10 % coupon, made if missing)",
    "email": "the new customer's e-mail (default: a made-up one)",
}


def _record_id(body: Mapping[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise FlowInputError(
            name, f"must be a record id (a positive whole number), not {json.dumps(value)}"
        )
    return value


def parse_options(body: Mapping[str, Any], accepted: Iterable[str]) -> FlowOptions:
    """Read ``body`` (the request without ``flow``); only the ``accepted`` options may appear."""
    allowed = set(accepted)
    for name in body:
        if name not in allowed:
            listed = ", ".join(sorted(allowed)) or "no options"
            raise FlowInputError(name, f"unknown option for this flow (it takes {listed})")
    quantity = body.get("quantity", 1)
    if (
        isinstance(quantity, bool)
        or not isinstance(quantity, int)
        or not 1 <= quantity <= MAX_QUANTITY
    ):
        raise FlowInputError("quantity", f"must be a whole number from 1 to {MAX_QUANTITY}")
    method = body.get("payment_method", "cod")
    if method not in GATEWAY_NOTES:
        raise FlowInputError("payment_method", f"must be one of {', '.join(GATEWAY_NOTES)}")
    amount = body.get("amount")
    if amount is not None and (not isinstance(amount, str) or not _AMOUNT.match(amount)):
        raise FlowInputError("amount", 'must be an amount as a string, e.g. "5.00"')
    coupon = body.get("coupon")
    if coupon is not None and (not isinstance(coupon, str) or not coupon.strip()):
        raise FlowInputError("coupon", "must be a coupon code")
    email = body.get("email")
    if email is not None and (not isinstance(email, str) or "@" not in email):
        raise FlowInputError("email", "must be an e-mail address")
    return FlowOptions(
        order=_record_id(body, "order"),
        customer=_record_id(body, "customer"),
        product=_record_id(body, "product"),
        quantity=quantity,
        payment_method=method,
        amount=amount,
        coupon=coupon,
        email=email,
    )
