"""``/wp-json/`` (the REST index), ``/wp-json/wc/v3`` and a minimal ``system_status``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from simulator.rest.common import require_user, respond
from simulator.rest.route_info import describe

if TYPE_CHECKING:
    from simulator.app import Simulator

NAMESPACE = "wc/v3"


def _wp_route(info: dict[str, Any]) -> str | None:
    """An aiohttp route as WordPress writes it: ``/wc/v3/orders/(?P<id>[\\d]+)``."""
    if "path" in info:
        path = str(info["path"])
    elif "pattern" in info:
        path = info["pattern"].pattern.replace("\\-", "-").replace("\\d+", "[\\d]+")
    else:
        return None
    if not path.startswith("/wp-json/wc/v3"):
        return None
    return path.removeprefix("/wp-json")


class SystemRoutes:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    @staticmethod
    def _methods(app: web.Application) -> dict[str, list[str]]:
        """WordPress route key -> its methods, in registration order."""
        methods: dict[str, list[str]] = {}
        for route in app.router.routes():
            key = _wp_route(dict(route.resource.get_info())) if route.resource else None
            if key is None or route.method == "OPTIONS":
                continue
            methods.setdefault(key, [])
            if route.method not in methods[key]:
                methods[key].append(route.method)
        return methods

    def _routes(self, app: web.Application, namespace_only: bool) -> dict[str, Any]:
        methods = self._methods(app)
        routes: dict[str, Any] = {}
        if not namespace_only:
            routes["/"] = {
                "namespace": "",
                "methods": ["GET"],
                "endpoints": [{"methods": ["GET"], "args": {}}],
            }
        settings = self.sim.settings
        routes[f"/{NAMESPACE}"] = describe(f"/{NAMESPACE}", ["GET"], settings)
        routes[f"/{NAMESPACE}"]["_links"] = {"self": [{"href": f"{settings.api_url}"}]}
        for key in sorted(methods):
            entry = describe(key, methods[key], settings)
            if "(?P<" not in key:
                entry["_links"] = {"self": [{"href": f"{self.sim.settings.api_root}{key}"}]}
            routes[key] = entry
        return routes

    async def index(self, request: web.Request) -> web.Response:
        settings = self.sim.settings
        offset = self.sim.clock.now().astimezone(settings.zone).utcoffset()
        body = {
            "name": settings.site_name,
            "description": "A fake WooCommerce store",
            "url": settings.site_url,
            "home": settings.site_url,
            "gmt_offset": (offset.total_seconds() / 3600) if offset else 0,
            "timezone_string": settings.timezone,
            # A new site's reading settings: latest posts on the front page.
            "page_for_posts": 0,
            "page_on_front": 0,
            "show_on_front": "posts",
            "namespaces": [NAMESPACE],
            "authentication": [],
            "routes": self._routes(request.app, namespace_only=False),
            # No logo or icon is set on a new site (WordPress 6.8 lists them anyway).
            "site_logo": 0,
            "site_icon": 0,
            "site_icon_url": "",
            "_links": {"help": [{"href": "https://developer.wordpress.org/rest-api/"}]},
        }
        return respond(request, body)

    async def namespace(self, request: web.Request) -> web.Response:
        body = {
            "namespace": NAMESPACE,
            "routes": self._routes(request.app, namespace_only=True),
            "_links": {"up": [{"href": f"{self.sim.settings.api_root}/"}]},
        }
        return respond(request, body)

    async def system_status(self, request: web.Request) -> web.Response:
        require_user(request, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.")
        settings = self.sim.settings
        body = {
            # Every key WooCommerce 10.0.2 reports, in its order. The fake runs no PHP,
            # MySQL or cron of its own: those fields are empty (""/0/false).
            "environment": {
                "home_url": settings.site_url,
                "site_url": settings.site_url,
                "store_id": "",
                "version": settings.wc_version,
                "log_directory": "",
                "log_directory_writable": False,
                "wp_version": settings.wp_version,
                "wp_multisite": False,
                "wp_memory_limit": 0,
                "wp_debug_mode": False,
                "wp_cron": False,
                "language": "en_US",
                "external_object_cache": None,
                "server_info": "woosim",
                "server_architecture": "",
                "php_version": "",
                "php_post_max_size": 0,
                "php_max_execution_time": 0,
                "php_max_input_vars": 0,
                "curl_version": "",
                "suhosin_installed": False,
                "max_upload_size": 0,
                "mysql_version": "",
                "mysql_version_string": "",
                "default_timezone": "UTC",
                "fsockopen_or_curl_enabled": False,
                "soapclient_enabled": False,
                "domdocument_enabled": False,
                "gzip_enabled": False,
                "mbstring_enabled": False,
                "remote_post_successful": False,
                "remote_post_response": False,
                "remote_get_successful": False,
                "remote_get_response": False,
            },
            "database": {"wc_database_version": settings.wc_version},
            "active_plugins": [
                {
                    "plugin": "woocommerce/woocommerce.php",
                    "name": "WooCommerce",
                    "version": settings.wc_version,
                    "author_name": "Automattic",
                }
            ],
            "inactive_plugins": [],
            "dropins_mu_plugins": {"dropins": [], "mu_plugins": []},
            "theme": {"name": "", "version": "", "is_child_theme": False},
            "settings": {
                "api_enabled": True,
                "force_ssl": False,
                "currency": settings.currency,
                "currency_symbol": settings.currency_symbol,
                "currency_position": "left",
                "thousand_separator": ",",
                "decimal_separator": ".",
                "number_of_decimals": settings.price_decimals,
                "timezone": settings.timezone,
            },
            "security": {
                "secure_connection": settings.site_url.startswith("https"),
                "hide_errors": True,
            },
            "pages": [],
            "post_type_counts": [
                {"type": "shop_order", "count": str(len(self.sim.store.orders))},
                {"type": "product", "count": str(len(self.sim.store.products))},
            ],
            "logging": {"logging_enabled": False},
        }
        return respond(request, body)


def setup(app: web.Application, sim: Simulator) -> None:
    routes = SystemRoutes(sim)
    app.router.add_route("GET", "/", routes.index)
    app.router.add_route("GET", "", routes.index)
    app.router.add_route("GET", "/wc/v3", routes.namespace)
    app.router.add_route("GET", "/wc/v3/system_status", routes.system_status)
