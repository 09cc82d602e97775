"""Store-wide settings: what a WordPress options table would hold for the fake store.

Settings are fixed for the life of a :class:`~simulator.app.Simulator` (a reset
keeps them; only a reset may switch the time zone), because records store their
local wall times at write time, as WordPress does in ``post_date``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WC_VERSION = "10.0.2"
WP_VERSION = "6.8.8"


def load_timezone(name: str) -> ZoneInfo:
    """The IANA zone ``name``, or ValueError with a message naming it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown time zone {name!r} (use an IANA name such as Europe/Paris)"
        ) from exc


@dataclass
class Settings:
    #: Public home URL, without trailing slash: the base of every link and of OAuth signatures.
    site_url: str = "http://127.0.0.1:8000"
    timezone: str = "UTC"
    site_name: str = "woosim"
    wc_version: str = WC_VERSION
    wp_version: str = WP_VERSION
    currency: str = "USD"
    currency_symbol: str = "$"
    #: ``woocommerce_price_num_decimals``: the default ``dp`` of money strings.
    price_decimals: int = 2
    #: ``woocommerce_calc_taxes``: off in a new shop (no tax lines, every tax "0.00").
    #: May change at any time; orders keep the taxes computed when they were saved.
    taxes_enabled: bool = False
    #: With taxes on, one standard rate (country US, any state, shipping taxed) applies
    #: to every taxable line, fee and shipping: the rate a real store gets from
    #: ``POST /wc/v3/taxes {"country": "US", "rate": "7.25", "name": "State Tax",
    #: "shipping": true}``; WC_Tax::get_rate_code() names it COUNTRY-STATE-NAME-PRIORITY.
    tax_rate_id: int = 1
    tax_rate_code: str = "US-STATE TAX-1"
    tax_rate_label: str = "State Tax"
    tax_rate_percent: str = "7.2500"
    #: Behave as a store served over HTTPS (Basic and query keys accepted over http).
    https_auth: bool = True
    _zone: ZoneInfo | None = field(default=None, init=False, repr=False, compare=False)
    #: How many times a setting was set (see ``__setattr__``).
    changes: int = field(default=0, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._zone = load_timezone(self.timezone)
        self.site_url = self.site_url.rstrip("/")

    def __setattr__(self, name: str, value: object) -> None:
        # Every setting set counts as a change: kept REST answers (simulator.answers)
        # are served only while ``changes`` stays the same.
        object.__setattr__(self, name, value)
        object.__setattr__(self, "changes", self.__dict__.get("changes", 0) + 1)

    def change_timezone(self, name: str) -> None:
        """Switch zones; only on an empty store (records keep their wall times)."""
        self._zone = load_timezone(name)
        self.timezone = name

    @property
    def zone(self) -> ZoneInfo:
        assert self._zone is not None
        return self._zone

    @property
    def api_root(self) -> str:
        return f"{self.site_url}/wp-json"

    @property
    def api_url(self) -> str:
        return f"{self.site_url}/wp-json/wc/v3"

    def public(self) -> dict[str, object]:
        """What the control plane shows: no secrets live here anyway."""
        return {
            "site_url": self.site_url,
            "api_url": self.api_url,
            "timezone": self.timezone,
            "site_name": self.site_name,
            "woocommerce_version": self.wc_version,
            "wordpress_version": self.wp_version,
            "currency": self.currency,
            "currency_symbol": self.currency_symbol,
            "price_decimals": self.price_decimals,
            "taxes": self.taxes_enabled,
            "tax_rate_percent": self.tax_rate_percent,
            "http_auth": "https" if self.https_auth else "strict",
        }
