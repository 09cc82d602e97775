"""The ``woosim_instance`` factory: instance configurations aimed at this test's store and receiver.

``woosim_instance(vendor="polling", resources=["orders"], refresh_interval=5)``
builds what we recommend (dates read from the ``_gmt`` fields in GMT, events
enabled, a signature key); ``woosim_instance.load(path)`` takes a file as it is
and only repoints its store URL, credentials and callback URL.

The receiver checks signatures with the key of the last instance made, so
notifications of that instance verify (``signature_key=None``: unsigned, and
the receiver checks nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from pytest_woosim.harness.runners import ReceiverHandle
from pytest_woosim.harness.store import WoosimHandle
from pytest_woosim.instance.config import InstanceConfig
from pytest_woosim.instance.load import load_instance

VENDORS: Final = ("polling", "webhook")
RESOURCES: Final = ("customers", "orders", "products")

#: The date settings we recommend: the ``_gmt`` fields hold UTC on every store.
RECOMMENDED_DATES: Final = {
    "updatedDateField": "date_modified_gmt",
    "updatedDateFormat": "yyyy-MM-dd'T'HH:mm:ss",
    "updatedDateTimezone": "GMT",
    "createdDateField": "date_created_gmt",
    "createdDateFormat": "yyyy-MM-dd'T'HH:mm:ss",
    "createdDateTimezone": "GMT",
}


class _KeepReceiverKey:
    def __repr__(self) -> str:
        return "the receiver's key"


#: ``signature_key`` not given: sign with the receiver's own key.
RECEIVER_KEY: Final = _KeepReceiverKey()


def resource_polling(name: str, **fields: Any) -> dict[str, Any]:
    """One recommended ``event.poller.configuration`` entry (Cloud Elements keys)."""
    return {
        "url": f"/hubs/ecommerce/{name}",
        "idField": "id",
        "datesConfiguration": dict(RECOMMENDED_DATES),
        "filterByUpdatedDate": True,
        "filterByCurrentDate": True,
        "createdCheckTolerance": 10,
        "pageSize": 100,
        "pollDelay": 0,
        **fields,
    }


class InstanceFactory:
    """Call it for a recommended instance; ``.load(path)`` for one from a file."""

    def __init__(self, store: WoosimHandle, receiver: ReceiverHandle) -> None:
        self.store = store
        self.receiver = receiver

    def __repr__(self) -> str:
        return f"InstanceFactory(store={self.store.site_url!r}, callback={self.receiver.url!r})"

    def __call__(
        self,
        vendor: str = "polling",
        resources: Sequence[str] = ("customers", "orders"),
        refresh_interval: int = 15,
        signature_key: str | _KeepReceiverKey | None = RECEIVER_KEY,
        *,
        name: str = "woosim test instance",
        **overrides: Any,
    ) -> InstanceConfig:
        """A validated instance. ``overrides`` take ``Configuration`` field names
        (``filter_response_nulls=False``, ``poller={...}``); ConfigError if invalid.
        """
        if vendor not in VENDORS:
            raise ValueError(f"vendor must be 'polling' or 'webhook', not {vendor!r}")
        if isinstance(resources, str):
            raise TypeError("resources is a list of names, e.g. ['orders']")
        unknown = [r for r in resources if r not in RESOURCES]
        if unknown:
            raise ValueError(
                f"resources: {unknown[0]!r} is not served by the store (use {', '.join(RESOURCES)})"
            )
        key = (
            self.receiver.default_key
            if isinstance(signature_key, _KeepReceiverKey)
            else signature_key
        )
        configuration: dict[str, Any] = {
            "store.url": self.store.site_url,
            "oauth.api.key": self.store.consumer_key,
            "oauth.api.secret": self.store.consumer_secret,
            "filter.response.nulls": True,
            "event.notification.enabled": True,
            "event.vendor.type": vendor,
            "event.notification.callback.url": self.receiver.url,
            "event.poller.refresh_interval": refresh_interval,
        }
        if key is not None:
            configuration["event.notification.signature.key"] = key
        if vendor == "polling":
            configuration["event.poller.configuration"] = {
                resource: resource_polling(resource) for resource in resources
            }
        config = InstanceConfig.from_data(
            {
                "element": {"key": "woocommercerest"},
                "configuration": configuration,
                "tags": ["woosim"],
                "name": name,
            }
        )
        if overrides:
            config = config.repointed(**overrides)
        self._verify_with(config)
        return config

    def load(self, path: str | Path) -> InstanceConfig:
        """A configuration file as it is, aimed at this store and receiver.

        Raises ConfigError (with every problem) if the file is not a valid instance.
        """
        config = load_instance(Path(path)).repointed(
            store_url=self.store.site_url,
            callback_url=self.receiver.url,
            api_key=self.store.consumer_key,
            api_secret=self.store.consumer_secret,
        )
        self._verify_with(config)
        return config

    def _verify_with(self, config: InstanceConfig) -> None:
        key = config.configuration.signature_key
        self.receiver.signature_key = None if key is None else key.get_secret_value()


__all__ = ["RECOMMENDED_DATES", "RESOURCES", "VENDORS", "InstanceFactory", "resource_polling"]
