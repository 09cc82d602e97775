"""The Cloud Elements ``POST /instances`` body for the ``woocommercerest`` element.

Models accept what Cloud Elements itself accepts: booleans as ``true`` or
``"true"``, numbers as numbers or numeric strings, and
``event.poller.configuration`` as an object or a JSON string (normalised to the
object). Unknown keys are kept. :meth:`InstanceConfig.from_data` validates a
mapping and raises :class:`ConfigError` listing every problem with its field
path; ``pytest_woosim.instance.load`` reads files (with line/column errors) and
lints working configurations for known traps.

The models are here; how each value is read and checked is
:mod:`pytest_woosim.instance.field_types`, and :class:`Problem` and
:class:`ConfigError` are :mod:`pytest_woosim.instance.problems`'.

Python names are used in code (``config.configuration.callback_url``), the Cloud
Elements keys on the wire (``event.notification.callback.url``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Annotated, Any, Final

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from pytest_woosim.instance.field_types import (
    DateFormatText,
    FieldPathText,
    FlexBool,
    HttpUrlText,
    NonEmptyText,
    VendorType,
    custom_error,
    optional_secret,
    poller_object,
    whole_number,
)
from pytest_woosim.instance.placeholders import PlaceholderError, find_placeholders
from pytest_woosim.instance.problems import ConfigError, Problem, format_path
from pytest_woosim.instance.resource_paths import (
    ResourceError,
    ResourceTarget,
    woocommerce_endpoint,
)

__all__ = [
    "DEFAULT_DATE_FIELDS",
    "ELEMENT_KEY",
    "KNOWN_CONFIGURATION_KEYS",
    "MAX_REFRESH_MINUTES",
    "MIN_REFRESH_MINUTES",
    "UI_MAX_REFRESH_MINUTES",
    "ConfigError",
    "Configuration",
    "DatesConfiguration",
    "ElementRef",
    "InstanceConfig",
    "Problem",
    "ResourcePolling",
    "element_default_resources",
    "format_path",
    "instance_slug",
]

ELEMENT_KEY: Final = "woocommercerest"

#: ``event.poller.refresh_interval`` bounds, in minutes. Cloud Elements documents
#: none; its own tests set 1 and 999,999,999 through the API, so both are accepted
#: and nothing larger (a larger one overflows date arithmetic). Its UI slider
#: stops at 1,440 (a day): larger values are valid but ``check-config`` warns.
MIN_REFRESH_MINUTES: Final = 1
MAX_REFRESH_MINUTES: Final = 999_999_999
UI_MAX_REFRESH_MINUTES: Final = 1440

#: WooCommerce's own date format: ``2017-03-21T16:09:28``, no zone.
WOOCOMMERCE_DATE_PATTERN: Final = "yyyy-MM-dd'T'HH:mm:ss"

#: Element defaults for ``datesConfiguration`` (spec §3.1 proposal: what the UI inserts).
DEFAULT_DATE_FIELDS: Final[Mapping[str, str]] = {
    "updatedDateField": "date_modified",
    "updatedDateFormat": WOOCOMMERCE_DATE_PATTERN,
    "updatedDateTimezone": "GMT",
    "createdDateField": "date_created",
    "createdDateFormat": WOOCOMMERCE_DATE_PATTERN,
    "createdDateTimezone": "GMT",
}


_INSTANCE_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def instance_slug(name: str) -> str:
    """A URL- and key-safe form of an instance name (``My Shop`` → ``My-Shop``): the
    relay's delivery path and the state rows of its poller are named by it."""
    slug = _INSTANCE_SAFE.sub("-", name).strip("-")
    return slug or "default"


# --------------------------------------------------------------------------- models
class _Wire(BaseModel):
    """Shared settings: wire names (aliases) and Python names both accepted, unknown keys kept."""

    model_config = ConfigDict(populate_by_name=True, extra="allow", frozen=True)


class DatesConfiguration(_Wire):
    """``datesConfiguration``: which record fields hold the dates, and how to read them.

    Defaults are the element's (spec §3.1 proposal): ``date_modified`` /
    ``date_created`` in WooCommerce's format, in GMT. The created format defaults
    to the updated format when only that is given.
    """

    updated_field: FieldPathText = Field(
        DEFAULT_DATE_FIELDS["updatedDateField"], alias="updatedDateField"
    )
    updated_format: DateFormatText = Field(
        DEFAULT_DATE_FIELDS["updatedDateFormat"], alias="updatedDateFormat"
    )
    # A Java zone id; unknown ids mean GMT (Java's rule), which the lint reports.
    updated_timezone: NonEmptyText = Field(
        DEFAULT_DATE_FIELDS["updatedDateTimezone"], alias="updatedDateTimezone"
    )
    created_field: FieldPathText = Field(
        DEFAULT_DATE_FIELDS["createdDateField"], alias="createdDateField"
    )
    created_format: DateFormatText = Field(
        DEFAULT_DATE_FIELDS["createdDateFormat"], alias="createdDateFormat"
    )
    created_timezone: NonEmptyText = Field(
        DEFAULT_DATE_FIELDS["createdDateTimezone"], alias="createdDateTimezone"
    )

    @model_validator(mode="before")
    @classmethod
    def _created_format_follows_updated(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            given = {key for key in data if key in ("createdDateFormat", "created_format")}
            updated = data.get("updatedDateFormat", data.get("updated_format"))
            if not given and updated is not None:
                data = {**data, "createdDateFormat": updated}
        return data


class ResourcePolling(_Wire):
    """One entry of ``event.poller.configuration`` (the key is the resource name)."""

    url: str
    id_field: FieldPathText = Field(alias="idField")
    dates: DatesConfiguration = Field(
        default_factory=lambda: DatesConfiguration.model_validate({}), alias="datesConfiguration"
    )
    # Cloud Elements' documented default: drop records not updated since the last poll.
    filter_by_updated_date: FlexBool = Field(True, alias="filterByUpdatedDate")
    # Implied default (spec §1.1): no upper bound unless asked for.
    filter_by_current_date: FlexBool = Field(False, alias="filterByCurrentDate")
    # Seconds. A new WooCommerce record's created and modified dates can differ
    # by seconds (the record is saved more than once), so 10 s, not 0.
    created_check_tolerance: Annotated[int, BeforeValidator(whole_number("seconds", minimum=0))] = (
        Field(10, alias="createdCheckTolerance")
    )
    # Records per page. Cloud Elements pages "20 records at a time" when the URL has
    # no where clause; WooCommerce refuses per_page above 100.
    page_size: Annotated[
        int,
        BeforeValidator(
            whole_number(
                "records", minimum=1, maximum=100, why=" (WooCommerce caps per_page at 100)"
            )
        ),
    ] = Field(20, alias="pageSize")
    # Seconds subtracted from the last poll date; documented default 0.
    poll_delay: Annotated[int, BeforeValidator(whole_number("seconds", minimum=0))] = Field(
        0, alias="pollDelay"
    )

    @field_validator("url")
    @classmethod
    def _known_resource(cls, value: str) -> str:
        try:
            find_placeholders(value)
        except PlaceholderError as exc:
            raise custom_error("placeholder", str(exc)) from None
        try:
            woocommerce_endpoint(value)
        except ResourceError as exc:
            raise custom_error("resource", str(exc)) from None
        return value

    @property
    def target(self) -> ResourceTarget:
        """The WooCommerce endpoint this resource reads (see :func:`woocommerce_endpoint`)."""
        return woocommerce_endpoint(self.url)


def element_default_resources() -> dict[str, ResourcePolling]:
    """What a polling instance polls when ``event.poller.configuration`` is absent.

    The element's default resources with default dates (spec §1.3, §3.1); the hub
    calls coupons ``discounts``.
    """
    return {
        name: ResourcePolling.model_validate({"url": f"/hubs/ecommerce/{name}", "idField": "id"})
        for name in ("customers", "orders", "products", "discounts")
    }


class Configuration(_Wire):
    """The ``configuration`` object of an instance (every value as Cloud Elements accepts it)."""

    store_url: HttpUrlText = Field(alias="store.url")
    api_key: NonEmptyText = Field(alias="oauth.api.key")
    api_secret: SecretStr = Field(alias="oauth.api.secret")
    # The element's default (responses without nulls).
    filter_response_nulls: FlexBool = Field(True, alias="filter.response.nulls")
    # Cloud Elements' default: events off until switched on.
    events_enabled: FlexBool = Field(False, alias="event.notification.enabled")
    # The example element's default; the lint says when it applied silently.
    vendor_type: VendorType = Field("polling", alias="event.vendor.type")
    refresh_interval: Annotated[
        int,
        BeforeValidator(
            whole_number(
                "minutes",
                minimum=1,
                maximum=MAX_REFRESH_MINUTES,
                why=" (the largest interval Cloud Elements' own tests set)",
            )
        ),
    ] = Field(15, alias="event.poller.refresh_interval")
    signature_key: Annotated[SecretStr | None, BeforeValidator(optional_secret)] = Field(
        None, alias="event.notification.signature.key"
    )
    poller: Annotated[dict[str, ResourcePolling] | None, BeforeValidator(poller_object)] = Field(
        None, alias="event.poller.configuration"
    )
    # Last, so that the fields it depends on are validated first (info.data).
    callback_url: HttpUrlText | None = Field(
        None, alias="event.notification.callback.url", validate_default=True
    )

    @field_validator("api_secret")
    @classmethod
    def _secret_not_empty(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise custom_error("empty", "must not be empty")
        return value

    @field_validator("callback_url")
    @classmethod
    def _callback_needed(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None:
            return value
        vendor_type = info.data.get("vendor_type")
        if vendor_type == "polling":
            raise custom_error(
                "missing_callback",
                "required for polling: the poller posts its events to this URL",
            )
        if info.data.get("events_enabled"):
            raise custom_error(
                "missing_callback",
                "required when events are enabled: events are posted to this URL",
            )
        return value

    @property
    def resources(self) -> dict[str, ResourcePolling]:
        """The resources polled: the given configuration, or the element defaults for polling."""
        if self.poller is not None:
            return dict(self.poller)
        return element_default_resources() if self.vendor_type == "polling" else {}


class ElementRef(_Wire):
    """``element``: which Cloud Elements element the instance belongs to."""

    key: str

    @field_validator("key")
    @classmethod
    def _woocommerce(cls, value: str) -> str:
        if value != ELEMENT_KEY:
            raise custom_error(
                "element", f'this project simulates the "{ELEMENT_KEY}" element (got {value!r})'
            )
        return value


#: The configuration keys the models read, on the wire.
KNOWN_CONFIGURATION_KEYS: Final = tuple(
    str(info.alias) for info in Configuration.model_fields.values() if info.alias
)

_MISSING_HINTS: Final[Mapping[str, str]] = {
    "idField": 'required: the path of the record\'s id ("id" for WooCommerce)',
    "url": "required: the resource to poll, e.g. /hubs/ecommerce/orders",
    "store.url": "required: the store's base URL, e.g. https://shop.example",
    "oauth.api.key": "required: the store's REST API consumer key (ck_...)",
    "oauth.api.secret": "required: the store's REST API consumer secret (cs_...)",
    "key": f'required: "{ELEMENT_KEY}"',
    "name": "required: the instance name",
    "element": f'required: {{"key": "{ELEMENT_KEY}"}}',
    "configuration": "required: the instance configuration object",
}

_TYPE_MESSAGES: Final[Mapping[str, str]] = {
    "string_type": "expected a string",
    "dict_type": "expected an object",
    "model_type": "expected an object",
    "model_attributes_type": "expected an object",
    "list_type": "expected a list",
}


def _wire_names() -> dict[str, str]:
    """Python field name -> wire name, for locations pydantic reports by field name."""
    names: dict[str, str] = {}
    for model in (Configuration, ResourcePolling, DatesConfiguration):
        for name, info in model.model_fields.items():
            if info.alias and info.alias != name:
                names[name] = info.alias
    return names


def _problems_from(error: ValidationError) -> list[Problem]:
    problems: list[Problem] = []
    wire_names = _wire_names()
    for detail in error.errors(include_url=False, include_input=False):
        location = [
            wire_names.get(part, part) if isinstance(part, str) else part for part in detail["loc"]
        ]
        kind = detail["type"]
        if kind == "missing":
            message = _MISSING_HINTS.get(str(location[-1]) if location else "", "required")
        else:
            message = _TYPE_MESSAGES.get(kind, detail["msg"])
        problems.append(Problem(format_path(location), message))
    return problems


class InstanceConfig(_Wire):
    """The ``POST /instances`` body: ``element``, ``configuration``, ``tags``, ``name``."""

    element: ElementRef
    configuration: Configuration
    tags: list[str] = Field(default_factory=list)
    name: NonEmptyText
    # Warnings found while reading the source (duplicate keys); not part of the body.
    _load_warnings: list[Problem] = PrivateAttr(default_factory=list)

    @property
    def load_warnings(self) -> list[Problem]:
        """Problems noticed while reading the file (e.g. duplicate keys); see ``warnings_for``."""
        return self._load_warnings

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> InstanceConfig:
        """Validate a parsed body; raises :class:`ConfigError` with every problem found."""
        if not isinstance(data, Mapping):
            raise ConfigError([Problem("", "the instance configuration must be a JSON object")])
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(_problems_from(exc)) from None

    def to_cloud_elements_json(
        self, *, mask_secrets: bool = False, poller_as_string: bool = False
    ) -> dict[str, Any]:
        """The wire form: Cloud Elements keys, defaults spelled out, unknown keys kept.

        Secrets appear as given, or as ``"****"`` with ``mask_secrets``. The polled
        resources (the element defaults when none were given) appear as an object,
        or as a compact JSON string with ``poller_as_string`` (how Cloud Elements
        stores it).
        """
        conf = self.configuration
        configuration = conf.model_dump(
            by_alias=True, exclude={"poller", "api_secret", "signature_key"}
        )
        configuration["oauth.api.secret"] = _secret_text(conf.api_secret, mask_secrets)
        if conf.signature_key is not None:
            configuration["event.notification.signature.key"] = _secret_text(
                conf.signature_key, mask_secrets
            )
        if conf.callback_url is None:
            configuration.pop("event.notification.callback.url", None)
        resources = conf.resources
        if resources or conf.poller is not None:
            poller = {
                name: resource.model_dump(by_alias=True) for name, resource in resources.items()
            }
            configuration["event.poller.configuration"] = (
                json.dumps(poller, separators=(",", ":")) if poller_as_string else poller
            )
        body = self.model_dump(by_alias=True, exclude={"configuration"})
        return {
            "element": body.pop("element"),
            "configuration": configuration,
            "tags": body.pop("tags"),
            "name": body.pop("name"),
            **body,
        }

    def repointed(
        self,
        *,
        store_url: str | None = None,
        callback_url: str | None = None,
        api_key: str | None = None,
        api_secret: str | None = None,
        **config_overrides: Any,
    ) -> InstanceConfig:
        """A copy aimed at another store and/or receiver, revalidated.

        ``config_overrides`` take ``Configuration`` field names
        (``refresh_interval=1``, ``signature_key="k"``, ``poller={...}``); a value
        of ``None`` removes the key (back to its default). Raises
        :class:`ConfigError` if the result is invalid, ``TypeError`` for an
        unknown name.
        """
        overrides = dict(config_overrides)
        for name, value in (
            ("store_url", store_url),
            ("callback_url", callback_url),
            ("api_key", api_key),
            ("api_secret", api_secret),
        ):
            if value is not None:
                overrides[name] = value
        wire = self.to_cloud_elements_json()
        configuration = wire["configuration"]
        if self.configuration.poller is None:
            # Keep "not given" as it was, so the element defaults still apply.
            configuration.pop("event.poller.configuration", None)
        fields = Configuration.model_fields
        for name, value in overrides.items():
            if name not in fields:
                raise TypeError(f"repointed() got an unknown configuration field {name!r}")
            alias = str(fields[name].alias)
            if value is None:
                configuration.pop(alias, None)
            else:
                configuration[alias] = _wire_value(value)
        return InstanceConfig.from_data(wire)


def _secret_text(secret: SecretStr, mask: bool) -> str:
    return "****" if mask else secret.get_secret_value()


def _wire_value(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, BaseModel):
        return value.model_dump(by_alias=True)
    if isinstance(value, Mapping):
        return {key: _wire_value(item) for key, item in value.items()}
    return value
