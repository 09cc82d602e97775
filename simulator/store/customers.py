"""Customers: the records, their e-mail and username indexes, and every change to them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from simulator.errors import RestError
from simulator.models import ADDRESS_FIELDS, Address, Customer, MetaItem
from simulator.store.core import ADMIN_USER_ID, StoreCore, changes_records
from simulator.store.queries import CustomerQuery, find_customers


def with_address(address: Address, values: Mapping[str, Any]) -> Address:
    """A new address with ``values`` applied (addresses are shared, never changed in place)."""
    changes = {
        name: str(values[name])
        for name in ADDRESS_FIELDS
        if name in values and values[name] is not None
    }
    return address._replace(**changes) if changes else address


class CustomerTable:
    """All customers (WordPress users, the administrator included) and their mutations."""

    def __init__(self, core: StoreCore) -> None:
        self.core = core
        self.records: dict[int, Customer] = {}
        self._emails: dict[str, int] = {}
        self._usernames: dict[str, int] = {}

    def create_admin(self) -> None:
        core = self.core
        created = core.now()
        admin = Customer(
            id=ADMIN_USER_ID,
            email="admin@example.com",
            username="admin",
            role="administrator",
            first_name="",
            last_name="",
            billing=Address(),
            shipping=Address(),
            created=created,
            created_wall=core.wall(created),
            modified=None,  # never saved through WooCommerce: no last_update
            modified_wall=None,
        )
        self._index(admin)

    def _index(self, customer: Customer) -> None:
        self.records[customer.id] = customer
        self._emails[customer.email.lower()] = customer.id
        self._usernames[customer.username.lower()] = customer.id

    def get(self, customer_id: int, *, missing_status: int = 404) -> Customer:
        customer = self.records.get(customer_id)
        if customer is None:
            if missing_status == 404:
                raise RestError("wc_user_invalid_id", "Invalid user ID.", 404)
            raise RestError("woocommerce_rest_invalid_id", "Invalid resource ID.", missing_status)
        return customer

    def email_owner(self, email: str) -> int | None:
        return self._emails.get(email.lower())

    def username_owner(self, username: str) -> int | None:
        return self._usernames.get(username.lower())

    def _unique_username(self, email: str) -> str:
        # wc_create_new_customer_username: the e-mail's local part, made unique.
        base = re.sub(r"[^a-z0-9_.\-@]", "", email.split("@")[0].lower()) or "customer"
        candidate, suffix = base, 1
        while candidate in self._usernames:
            suffix += 1
            candidate = f"{base}-{suffix}"
        return candidate

    @changes_records
    def create(self, fields: Mapping[str, Any], *, emit: bool = True) -> Customer:
        core = self.core
        email = str(fields["email"])
        if not email:
            # wc_create_new_customer(): WC_Customer::set_email() lets "" through.
            raise RestError(
                "registration-error-invalid-email", "Please provide a valid email address.", 400
            )
        if email.lower() in self._emails:
            # WooCommerce 10.0.2 names the address as given (recorded).
            raise RestError(
                "registration-error-email-exists",
                f"An account is already registered with {email}. "
                "Please log in or use a different email address.",
                400,
            )
        username = str(fields.get("username") or "") or self._unique_username(email)
        if username.lower() in self._usernames:
            raise RestError(
                "registration-error-username-exists",
                "An account is already registered with that username. Please choose another.",
                400,
            )
        now = core.now()
        customer = Customer(
            id=core.next_user_id(),
            email=email,
            username=username,
            role=str(fields.get("role") or "customer"),
            first_name=str(fields.get("first_name") or ""),
            last_name=str(fields.get("last_name") or ""),
            billing=Address(),
            shipping=Address(),
            created=now,
            created_wall=core.wall(now),
            modified=now,
            modified_wall=core.wall(now),
        )
        if fields.get("generated_password"):
            # wp_insert_user() with a generated password: the user meta WooCommerce shows.
            customer.meta_data = (MetaItem(core.next_meta_id(), "default_password_nag", "1"),)
        self._apply_fields(customer, fields)
        self._index(customer)
        core.emit_change("customer", "created", customer.id, emit)
        core.fire_action("woocommerce_created_customer", customer.id, emit)
        core.fire_action("woocommerce_new_customer", customer.id, emit)
        return customer

    def insert(self, customer: Customer, *, emit: bool = True) -> Customer:
        """Add a fully built record (the generator's fast path)."""
        # Counted inline, not by @changes_records: generation calls it once per record.
        self.core.changes += 1
        self._index(customer)
        self.core.emit_change("customer", "created", customer.id, emit)
        return customer

    def _apply_fields(self, customer: Customer, fields: Mapping[str, Any]) -> None:
        for name in ("first_name", "last_name"):
            if name in fields:
                setattr(customer, name, str(fields[name]))
        for name in ("billing", "shipping"):
            if name in fields and fields[name] is not None:
                setattr(customer, name, with_address(getattr(customer, name), fields[name]))
        if "meta_data" in fields:
            customer.meta_data = self.core.apply_meta(customer.meta_data, fields["meta_data"])
        customer.cached = None

    @changes_records
    def update(self, customer_id: int, fields: Mapping[str, Any], *, emit: bool = True) -> Customer:
        customer = self.get(customer_id)
        if "email" in fields:
            owner = self._emails.get(str(fields["email"]).lower())
            if owner is not None and owner != customer_id:
                raise RestError(
                    "woocommerce_rest_customer_invalid_email", "Email address is invalid.", 400
                )
        if fields.get("username") and str(fields["username"]).lower() != customer.username.lower():
            raise RestError(
                "woocommerce_rest_customer_invalid_argument", "Username isn't editable.", 400
            )
        if "email" in fields:
            del self._emails[customer.email.lower()]
            customer.email = str(fields["email"])
            self._emails[customer.email.lower()] = customer.id
        if fields.get("role"):
            customer.role = str(fields["role"])
        self._apply_fields(customer, fields)
        self._touch(customer)
        self.core.emit_change("customer", "updated", customer.id, emit)
        self.core.fire_action("woocommerce_update_customer", customer.id, emit)
        return customer

    def _touch(self, customer: Customer) -> None:
        now = self.core.now()
        customer.modified, customer.modified_wall = now, self.core.wall(now)
        customer.cached = None

    @changes_records
    def delete(self, customer_id: int, *, emit: bool = True) -> Customer:
        customer = self.get(customer_id)
        del self.records[customer_id]
        self._emails.pop(customer.email.lower(), None)
        self._usernames.pop(customer.username.lower(), None)
        # delete_user is bound to customer.deleted only for users with role customer.
        self.core.emit_change(
            "customer", "deleted", customer_id, emit and customer.role == "customer"
        )
        self.core.fire_action("woocommerce_delete_customer", customer_id, emit)
        return customer

    @changes_records
    def mark_paying(self, customer_id: int, emit: bool) -> None:
        # wc_paying_customer(): the customer is saved, so customer.updated fires too.
        customer = self.records.get(customer_id)
        if customer is None or customer.is_paying_customer:
            return
        customer.is_paying_customer = True
        self._touch(customer)
        self.core.emit_change("customer", "updated", customer.id, emit)

    def query(self, query: CustomerQuery) -> tuple[list[Customer], int]:
        return find_customers(self.records, query)
