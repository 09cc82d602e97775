"""Each ``/wc/v3/{base}`` resource's routes (collection, batch, item) and the list of them."""

from __future__ import annotations

from simulator.resources.coupons import COUPON
from simulator.resources.customers import CUSTOMER
from simulator.resources.declare import (
    Declaration,
)
from simulator.resources.orders import ORDER
from simulator.resources.products import PRODUCT
from simulator.resources.schema import (
    INTEGER,
    Schema,
    ref,
)
from simulator.resources.terms import CATEGORY, TAG
from simulator.resources.variations import VARIATION
from simulator.resources.webhooks import WEBHOOK
from simulator.rest import coupons as coupon_routes
from simulator.rest import customers, orders, products
from simulator.rest import terms as term_routes
from simulator.rest import webhooks as webhook_routes
from simulator.rest.openapi.components import (
    ANY_ID_PARAM,
    API_PREFIX,
    collection_response,
    error_responses,
    json_content,
)
from simulator.rest.openapi.params import (
    CONTEXT,
    META_ARGS,
    coupons_collection_args,
    customers_collection_args,
    orders_collection_args,
    products_collection_args,
    query_params,
    terms_collection_args,
    variations_collection_args,
    webhooks_collection_args,
)
from simulator.settings import Settings


class Resource:
    """One ``/wc/v3/{base}`` resource: its names, arguments and which errors it gives."""

    def __init__(
        self,
        base: str,
        declaration: Declaration,
        tag: str,
        collection_args: dict[str, Schema],
        *,
        item_args: dict[str, Schema],
        delete_args: dict[str, Schema],
        trashes: bool,
        parent: Schema | None = None,
        server_errors: bool = False,
    ) -> None:
        self.base = base
        self.declaration = declaration
        self.item = declaration.title
        self.tag = tag
        self.collection_args = collection_args
        self.item_args = item_args
        self.delete_args = delete_args
        #: DELETE without force moves to the trash (410 when already there), else it is a 501.
        self.trashes = trashes
        #: The path parameter of a resource nested under another (a product's variations).
        self.parent = parent
        #: Update and delete may answer WooCommerce's own 500s (see ERROR_500).
        self.server_errors = server_errors

    def operation_id(self, verb: str, suffix: str = "") -> str:
        return f"{verb}{self.item}{suffix}"

    def paths(self) -> dict[str, Schema]:
        item_ref = ref(self.item)
        body = {"required": True, "content": json_content(ref(f"{self.item}Input"))}
        update_body = {"required": True, "content": json_content(ref(f"{self.item}Update"))}
        batch_body = {"required": True, "content": json_content(ref(f"{self.item}Batch"))}
        id_param = {"$ref": "#/components/parameters/id"}
        collection: Schema = {
            "get": {
                "operationId": f"list{self.tag}",
                "tags": [self.tag],
                "summary": f"List {self.base}.",
                "parameters": query_params(self.collection_args),
                "responses": {
                    "200": collection_response(self.item),
                    **error_responses(400, 401),
                },
            },
            "post": {
                "operationId": self.operation_id("create"),
                "tags": [self.tag],
                "summary": f"Create a {self.item.lower()}.",
                "requestBody": body,
                "responses": {
                    "201": {
                        "description": "Created.",
                        "headers": {"Location": {"$ref": "#/components/headers/Location"}},
                        "content": json_content(item_ref),
                    },
                    **error_responses(400, 401, 403),
                },
            },
        }
        item_ok = {"description": f"The {self.item.lower()}.", "content": json_content(item_ref)}
        update: Schema = {
            "tags": [self.tag],
            "parameters": [id_param],
            "requestBody": update_body,
            "responses": {
                "200": item_ok,
                **error_responses(400, 401, 403, 404),
            },
        }
        delete_errors = (400, 401, 403, 404, 410) if self.trashes else (400, 401, 403, 404, 501)
        item: Schema = {
            "get": {
                "operationId": self.operation_id("get"),
                "tags": [self.tag],
                "summary": f"Retrieve a {self.item.lower()}.",
                "parameters": [id_param, *query_params(self.item_args)],
                "responses": {"200": item_ok, **error_responses(400, 401, 404)},
            },
            "put": {"operationId": self.operation_id("update"), "summary": "Update.", **update},
            "patch": {"operationId": self.operation_id("patch"), "summary": "Update.", **update},
            "post": {
                "operationId": self.operation_id("update", "ViaPost"),
                "summary": "Update (WordPress routes POST on an item to the update).",
                **update,
            },
            "delete": {
                "operationId": self.operation_id("delete"),
                "tags": [self.tag],
                "summary": (
                    f"Delete a {self.item.lower()}: to the trash, or for good with force=true."
                    if self.trashes
                    else f"Delete a {self.item.lower()} (force=true is required)."
                ),
                "parameters": [id_param, *query_params(self.delete_args)],
                "responses": {"200": item_ok, **error_responses(*delete_errors)},
            },
        }
        batch_ok = {
            "description": "Each item's result, or its error, in request order.",
            "content": json_content(ref(f"{self.item}BatchResult")),
        }
        batch: Schema = {}
        for method in ("post", "put", "patch"):
            batch[method] = {
                "operationId": f"batch{self.tag}" + ("" if method == "post" else method.title()),
                "tags": [self.tag],
                "summary": f"Create, update and delete {self.base} in one request.",
                "requestBody": batch_body,
                "responses": {"200": batch_ok, **error_responses(400, 401, 403, 413)},
            }
        for name, operations in (("", collection), ("Batch", batch), ("Item", item)):
            operations["options"] = {
                "operationId": self.operation_id("options", name),
                "tags": [self.tag],
                "summary": "The route's methods, arguments and response schema (any caller).",
                # Any id the route pattern matches: OPTIONS never looks the record up.
                "parameters": [ANY_ID_PARAM] if name == "Item" else [],
                "responses": {
                    "200": {
                        "description": "The route description.",
                        "content": json_content({"type": "object"}),
                    },
                    **error_responses(400, 401, 404),
                },
            }
        if self.parent is not None:
            for operations in (collection, batch, item):
                for operation in operations.values():
                    operation["parameters"] = [self.parent, *operation.get("parameters", [])]
                    # A parent that does not exist (or a path that is no id): 404.
                    operation["responses"].update(error_responses(404))
        if self.server_errors:
            for method in ("put", "patch", "post", "delete"):
                item[method]["responses"].update(error_responses(500))
        prefix = f"{API_PREFIX}/{self.base}"
        return {prefix: collection, prefix + "/batch": batch, prefix + "/{id}": item}


def resources(settings: Settings) -> list[Resource]:
    dp_args = {"context": CONTEXT, "dp": orders_collection_args(settings)["dp"]}
    force = {"force": {"type": "boolean", "default": False}}
    return [
        Resource(
            customers.ROUTE,
            CUSTOMER,
            "Customers",
            customers_collection_args(),
            item_args={"context": CONTEXT},
            delete_args={**force, "reassign": INTEGER},
            trashes=False,
        ),
        Resource(
            orders.ROUTE,
            ORDER,
            "Orders",
            orders_collection_args(settings),
            item_args={
                **dp_args,
                **META_ARGS,
            },
            delete_args=force,
            trashes=True,
        ),
        Resource(
            products.ROUTE,
            PRODUCT,
            "Products",
            products_collection_args(settings),
            item_args={
                "context": CONTEXT,
                **META_ARGS,
            },
            delete_args=force,
            trashes=True,
        ),
        Resource(
            coupon_routes.ROUTE,
            COUPON,
            "Coupons",
            coupons_collection_args(settings),
            item_args={"context": CONTEXT},
            delete_args=force,
            trashes=True,
        ),
        Resource(
            webhook_routes.ROUTE,
            WEBHOOK,
            "Webhooks",
            webhooks_collection_args(),
            item_args={"context": CONTEXT},
            delete_args=force,
            trashes=False,
        ),
        Resource(
            term_routes.CategoryRoutes.route,
            CATEGORY,
            "Product categories",
            terms_collection_args(),
            item_args={"context": CONTEXT},
            delete_args=force,
            trashes=False,
            server_errors=True,
        ),
        Resource(
            term_routes.TagRoutes.route,
            TAG,
            "Product tags",
            terms_collection_args(),
            item_args={"context": CONTEXT},
            delete_args=force,
            trashes=False,
        ),
        Resource(
            "products/{product_id}/variations",
            VARIATION,
            "Product variations",
            variations_collection_args(),
            item_args={
                "context": CONTEXT,
                **META_ARGS,
            },
            delete_args=force,
            trashes=True,
            parent={"$ref": "#/components/parameters/product_id"},
        ),
    ]
