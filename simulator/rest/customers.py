"""``/wp-json/wc/v3/customers``: WC_REST_Customers_Controller."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from aiohttp import web

from simulator.errors import RestError
from simulator.models import Customer
from simulator.params import Args, is_email
from simulator.resources.customers import CUSTOMER
from simulator.resources.declare import required
from simulator.rest.body import read_fields
from simulator.rest.common import Page, ResourceRoutes, View, require_permission
from simulator.rest.responses import fields_filter
from simulator.store import CustomerQuery

if TYPE_CHECKING:
    from simulator.app import Simulator

ROUTE = "customers"
ROLE_FILTERS = (
    "all",
    "administrator",
    "editor",
    "author",
    "contributor",
    "subscriber",
    "customer",
    "shop_manager",
)
ORDERBY = ("id", "include", "name", "registered_date")


class CustomerRoutes(ResourceRoutes):
    route = ROUTE
    exists_error = ("woocommerce_rest_customer_exists", "Cannot create existing resource.")
    invalid_id_error = ("woocommerce_rest_invalid_id", "Invalid resource ID.")

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    found_before_permission = True

    def render(self, record: Customer) -> dict[str, Any]:
        return self.sim.renderer.customer(record)

    def render_bytes(self, record: Customer) -> bytes:
        return self.sim.renderer.customer_bytes(record)

    def read_view(self, request: web.Request, args: Args) -> View:
        """A list asking ``_fields`` for plain fields only renders just those.

        (Not a single customer: its links are kept whatever ``_fields`` says, so it
        needs the whole rendering.)
        """
        del args
        fields = fields_filter(request)
        if fields is not None and "id" not in request.match_info:
            part = self.sim.renderer.customer_part(fields)
            if part is not None:
                return View(part)
        return View(self.render)

    def find(self, item_id: int) -> Customer:
        return self.sim.store.get_customer(item_id)

    def read_list_query(self, args: Args) -> CustomerQuery:
        # after/before/modified_* are not registered on customers: silently ignored.
        return CustomerQuery(
            page=args.integer("page", 1, minimum=1) or 1,
            per_page=args.integer("per_page", 10, minimum=1, maximum=100) or 10,
            offset=args.integer("offset"),
            order=args.enum("order", ("asc", "desc"), "asc"),
            orderby=args.enum("orderby", ORDERBY, "name"),
            role=args.enum("role", ROLE_FILTERS, "customer"),
            email=args.email("email"),
            search=args.string("search"),
            include=args.id_list("include"),
            exclude=frozenset(args.id_list("exclude")),
        )

    def find_page(self, query: CustomerQuery, args: Args) -> Page:
        records, total = self.sim.store.query_customers(query)
        return Page(records, total, query.per_page, self._link_page(query), args.link_query())

    @staticmethod
    def _link_page(query: CustomerQuery) -> int:
        """The page the paging links count from: with an offset, the users controller
        works it out as ceil(offset / per_page + 1), so offset=1 has a previous page."""
        if not query.offset:
            return query.page
        return math.ceil(query.offset / query.per_page + 1)

    def parse_fields(self, body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
        args = Args(body)
        if creating:
            args.require(*required(CUSTOMER))
        fields = read_fields(
            args,
            CUSTOMER,
            creating=creating,
            readers={"email": lambda args, _: self._email(args, creating=creating)},
        )
        args.check()
        # The password is write-only: accepted, never stored or echoed. Only whether
        # one was given matters: without one WooCommerce generates it and WordPress
        # flags the account with the "default_password_nag" user meta.
        password = fields.pop("password", None)
        if creating:
            fields["generated_password"] = not password
        return fields

    @staticmethod
    def _email(args: Args, *, creating: bool) -> str:
        if creating:
            # The create route registers email as a plain required string (no format):
            # the address itself is checked by WC_Customer::set_email(), after the
            # permission check (store_create).
            return args.string("email")
        email = args.email("email")
        if not email and "email" not in args.problems:
            args.problem("email", "rest_invalid_email", "Invalid email address.")
        return email

    async def store_create(self, fields: dict[str, Any]) -> dict[str, Any]:
        email = fields.get("email", "")
        if email and not is_email(email):
            # WC_Customer::set_email(), after the permission check (recorded wording).
            raise RestError("customer_invalid_email", "Invalid email address", 400)
        return self.render(self.sim.store.create_customer(fields))

    async def store_update(self, item_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        return self.render(self.sim.store.update_customer(item_id, fields))

    async def delete_item(
        self, request: web.Request, item_id: int, values: dict[str, Any]
    ) -> dict[str, Any]:
        args = Args(values)
        force = args.boolean("force", False)
        args.integer("reassign")
        args.check()
        store = self.sim.store
        customer = store.get_customer(item_id)  # 404 before 401, as for a GET
        require_permission(request, "delete")
        if not force:
            raise RestError(
                "woocommerce_rest_trash_not_supported", "Customers do not support trashing.", 501
            )
        payload = self.render(customer)
        store.delete_customer(item_id)
        # WordPress works out a self link's targetHints when it sends the answer, by
        # the route's permission checks; for a user that is gone none passes.
        for link in payload["_links"]["self"]:
            link.pop("targetHints", None)
        return payload


def setup(app: web.Application, sim: Simulator) -> None:
    CustomerRoutes(sim).register(app)
