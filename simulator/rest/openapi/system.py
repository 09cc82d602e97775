"""The discovery and system status paths: ``/wp-json/``, ``/wc/v3`` and ``system_status``."""

from __future__ import annotations

from simulator.resources.schema import (
    Schema,
    ref,
)
from simulator.rest.openapi.components import (
    API_PREFIX,
    error_responses,
    json_content,
)


def system_paths() -> dict[str, Schema]:
    anonymous: list[Schema] = [{}]
    return {
        "/wp-json/": {
            "get": {
                "operationId": "getIndex",
                "tags": ["Discovery"],
                "summary": "The REST API index: site facts, namespaces and routes.",
                "security": anonymous,
                "responses": {
                    "200": {"description": "The index.", "content": json_content(ref("Index"))}
                },
            }
        },
        API_PREFIX: {
            "get": {
                "operationId": "getNamespace",
                "tags": ["Discovery"],
                "summary": "The wc/v3 namespace and its routes.",
                "security": anonymous,
                "responses": {
                    "200": {
                        "description": "The namespace.",
                        "content": json_content(ref("Namespace")),
                    }
                },
            }
        },
        f"{API_PREFIX}/system_status": {
            "get": {
                "operationId": "getSystemStatus",
                "tags": ["System status"],
                "summary": "A minimal system status: the WooCommerce and WordPress versions.",
                "responses": {
                    "200": {
                        "description": "The system status.",
                        "content": json_content(ref("SystemStatus")),
                    },
                    **error_responses(401),
                },
            }
        },
    }
