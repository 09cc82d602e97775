"""Instance configuration models: accepted forms, defaults, and problems named by field path."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from pytest_woosim.instance.config import ConfigError, InstanceConfig, Problem, format_path

SECRET = "cs_do-not-print-me-4711"
SIGNATURE_KEY = "sig-do-not-print-me-0815"
POLLER = 'configuration."event.poller.configuration"'


def body(**configuration: Any) -> dict[str, Any]:
    conf: dict[str, Any] = {
        "store.url": "http://127.0.0.1:8000",
        "oauth.api.key": "ck_test",
        "oauth.api.secret": SECRET,
        "event.notification.enabled": True,
        "event.vendor.type": "polling",
        "event.notification.callback.url": "http://127.0.0.1:8001/events",
        "event.notification.signature.key": SIGNATURE_KEY,
        "event.poller.configuration": {
            "orders": {"url": "/hubs/ecommerce/orders", "idField": "id"},
        },
    }
    for key, value in configuration.items():
        wire = key.replace("__", ".")
        if value is None:
            conf.pop(wire, None)
        else:
            conf[wire] = value
    return {"element": {"key": "woocommercerest"}, "configuration": conf, "tags": [], "name": "t"}


def problems(data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ConfigError) as caught:
        InstanceConfig.from_data(data)
    text = str(caught.value)
    assert SECRET not in text and SIGNATURE_KEY not in text
    return {problem.path: problem.message for problem in caught.value.problems}


def test_defaults() -> None:
    config = InstanceConfig.from_data(body())
    conf = config.configuration
    assert conf.refresh_interval == 15
    assert conf.filter_response_nulls is True
    orders = conf.resources["orders"]
    assert (orders.filter_by_updated_date, orders.filter_by_current_date) == (True, False)
    assert (orders.created_check_tolerance, orders.page_size, orders.poll_delay) == (10, 20, 0)
    dates = orders.dates
    assert (dates.updated_field, dates.created_field) == ("date_modified", "date_created")
    assert dates.updated_format == dates.created_format == "yyyy-MM-dd'T'HH:mm:ss"
    assert dates.updated_timezone == dates.created_timezone == "GMT"
    assert orders.target.endpoint == "orders"


@pytest.mark.parametrize(
    ("given", "expected"),
    [(True, True), ("true", True), ("TRUE", True), ("false", False), (False, False)],
)
def test_booleans_as_json_or_strings(given: Any, expected: bool) -> None:
    config = InstanceConfig.from_data(
        body(event__notification__enabled=given, filter__response__nulls=given)
    )
    assert config.configuration.events_enabled is expected
    assert config.configuration.filter_response_nulls is expected


@pytest.mark.parametrize("given", ["yes", 1, "1", None.__class__.__name__, [True]])
def test_other_boolean_forms_are_refused(given: Any) -> None:
    found = problems(body(event__notification__enabled=given))
    assert "expected true or false" in found['configuration."event.notification.enabled"']


@pytest.mark.parametrize(
    ("given", "expected"), [(15, 15), ("15", 15), (" 1 ", 1), (60.0, 60), (999999999, 999999999)]
)
def test_refresh_interval_as_number_or_string(given: Any, expected: int) -> None:
    config = InstanceConfig.from_data(body(event__poller__refresh_interval=given))
    assert config.configuration.refresh_interval == expected


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (0, "must be at least 1 minute (got 0)"),
        ("-5", "must be at least 1 minute (got -5)"),
        ("fifteen", "expected a whole number of minutes"),
        (1.5, "expected a whole number of minutes"),
        (True, "expected a whole number of minutes"),
        ("", "expected a whole number of minutes"),
        (1e17, "must be at most 999999999 minutes"),
        (1e308, "must be at most 999999999 minutes"),
        (10**400, "got a number of 401 digits"),
        ("2000000000", "must be at most 999999999 minutes"),
        ("1" + "0" * 30, "must be at most 999999999 minutes"),
        (float("inf"), "expected a whole number of minutes"),
    ],
)
def test_bad_refresh_intervals(given: Any, message: str) -> None:
    assert (
        message
        in problems(body(event__poller__refresh_interval=given))[
            'configuration."event.poller.refresh_interval"'
        ]
    )


def test_poller_configuration_as_a_json_string_is_normalised() -> None:
    poller = {"customers": {"url": "/hubs/ecommerce/customers", "idField": "id", "pageSize": "50"}}
    config = InstanceConfig.from_data(body(event__poller__configuration=json.dumps(poller)))
    assert config.configuration.poller is not None
    assert config.configuration.poller["customers"].page_size == 50
    wire = config.to_cloud_elements_json()
    assert wire["configuration"]["event.poller.configuration"]["customers"]["pageSize"] == 50
    as_string = config.to_cloud_elements_json(poller_as_string=True)
    assert (
        json.loads(as_string["configuration"]["event.poller.configuration"])["customers"]["idField"]
        == "id"
    )


def test_poller_json_string_errors_say_where() -> None:
    found = problems(body(event__poller__configuration='{"orders": {"url": }'))
    assert "line 1, col 20 of the string" in found[POLLER]
    found = problems(body(event__poller__configuration="[1]"))
    assert "expected an object" in found[POLLER]


def test_empty_poller_string_means_not_given() -> None:
    config = InstanceConfig.from_data(body(event__poller__configuration=""))
    assert config.configuration.poller is None
    assert sorted(config.configuration.resources) == [
        "customers",
        "discounts",
        "orders",
        "products",
    ]


def test_bracket_id_field_and_dates_follow_updated_format() -> None:
    poller = {
        "orders": {
            "url": "/hubs/ecommerce/orders",
            "idField": "['Order Id']",
            "datesConfiguration": {
                "updatedDateField": "date_modified_gmt",
                "updatedDateFormat": "milliseconds",
            },
        }
    }
    orders = InstanceConfig.from_data(
        body(event__poller__configuration=poller)
    ).configuration.resources["orders"]
    assert orders.id_field == "['Order Id']"
    assert orders.dates.created_format == "milliseconds"


def test_all_problems_at_once_with_field_paths() -> None:
    poller = {
        "customers": {
            "url": "/hubs/ecommerce/customers",
            "datesConfiguration": {
                "updatedDateFormat": "yyyy-MM-dd'T'HH:mm:ss'",
                "createdDateFormat": "yyyy-MM-ddTHH:mm:ss",
            },
            "pageSize": 500,
            "pollDelay": "soon",
            "filterByCurrentDate": "maybe",
            "idField": "a..b",
        },
        "discounts": {"url": "/hubs/crm/contacts", "idField": "id"},
    }
    data = body(
        event__vendor__type="webhooks",
        store__url="mycoolstore.com",
        event__poller__refresh_interval="0",
        event__poller__configuration=poller,
    )
    data["element"]["key"] = "shopify"
    del data["name"]
    found = problems(data)
    dates = f"{POLLER}.customers.datesConfiguration"
    assert "stray quote" in found[f"{dates}.updatedDateFormat"]
    assert "use \"yyyy-MM-dd'T'HH:mm:ss\"" in found[f"{dates}.updatedDateFormat"]
    assert "Illegal pattern character 'T'" in found[f"{dates}.createdDateFormat"]
    assert "at most 100" in found[f"{POLLER}.customers.pageSize"]
    assert "whole number of seconds" in found[f"{POLLER}.customers.pollDelay"]
    assert "true or false" in found[f"{POLLER}.customers.filterByCurrentDate"]
    assert "not a field path" in found[f"{POLLER}.customers.idField"]
    assert (
        "no WooCommerce" in found[f"{POLLER}.discounts.url"]
        or "not a WooCommerce" in found[f"{POLLER}.discounts.url"]
    )
    assert 'use "webhook" (singular)' in found['configuration."event.vendor.type"']
    assert "got no scheme" in found['configuration."store.url"']
    assert "at least 1 minute" in found['configuration."event.poller.refresh_interval"']
    assert "woocommercerest" in found["element.key"]
    assert found["name"] == "required: the instance name"
    assert len(found) == 12


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"event__notification__callback__url": None}, "required for polling"),
        (
            {"event__notification__callback__url": None, "event__vendor__type": "webhook"},
            "required when events are enabled",
        ),
        ({"event__notification__callback__url": "ftp://example.com/x"}, "got scheme 'ftp'"),
        (
            {"event__notification__callback__url": "<INSERT_YOUR_APPS_CALLBACK_URL>"},
            "got no scheme",
        ),
        ({"event__notification__callback__url": "http://"}, "must name a host"),
    ],
)
def test_callback_url_rules(changes: dict[str, Any], message: str) -> None:
    assert message in problems(body(**changes))['configuration."event.notification.callback.url"']


def test_no_callback_needed_when_nothing_is_sent() -> None:
    data = body(
        event__notification__callback__url=None,
        event__vendor__type="webhook",
        event__notification__enabled=False,
    )
    assert InstanceConfig.from_data(data).configuration.callback_url is None


@pytest.mark.parametrize("vendor", ["Polling", "WEBHOOK", " polling "])
def test_vendor_type_case_is_normalised(vendor: str) -> None:
    assert (
        InstanceConfig.from_data(body(event__vendor__type=vendor)).configuration.vendor_type
        == vendor.strip().lower()
    )


def test_missing_required_keys_have_hints() -> None:
    found = problems(body(oauth__api__key=None, oauth__api__secret=None, store__url=None))
    assert "consumer key" in found['configuration."oauth.api.key"']
    assert "consumer secret" in found['configuration."oauth.api.secret"']
    assert "base URL" in found['configuration."store.url"']
    found = problems(body(event__poller__configuration={"orders": {}}))
    assert "idField" not in found.get(f"{POLLER}.orders.url", "")
    assert '"id" for WooCommerce' in found[f"{POLLER}.orders.idField"]


def test_secrets_are_never_in_messages() -> None:
    data = body(oauth__api__secret=12345, event__notification__signature__key=["x"])
    found = problems(data)
    assert found['configuration."oauth.api.secret"'] == "expected a string"
    assert "12345" not in json.dumps(found)


def test_unknown_keys_are_kept_everywhere() -> None:
    data = body(custom__key="kept", event__notification__enabeld="true")
    data["configuration"]["event.poller.configuration"]["orders"]["filterByUpdateDate"] = False
    data["providerData"] = {"x": 1}
    config = InstanceConfig.from_data(data)
    wire = config.to_cloud_elements_json()
    assert wire["configuration"]["custom.key"] == "kept"
    assert wire["configuration"]["event.notification.enabeld"] == "true"
    assert (
        wire["configuration"]["event.poller.configuration"]["orders"]["filterByUpdateDate"] is False
    )
    assert wire["providerData"] == {"x": 1}


def test_wire_form_round_trips_and_masks_secrets() -> None:
    config = InstanceConfig.from_data(body())
    wire = config.to_cloud_elements_json()
    assert wire["configuration"]["oauth.api.secret"] == SECRET
    assert InstanceConfig.from_data(copy.deepcopy(wire)).to_cloud_elements_json() == wire
    masked = config.to_cloud_elements_json(mask_secrets=True)
    assert masked["configuration"]["oauth.api.secret"] == "****"
    assert masked["configuration"]["event.notification.signature.key"] == "****"
    assert SECRET not in repr(config) and SIGNATURE_KEY not in repr(config)


def test_empty_signature_key_means_none() -> None:
    config = InstanceConfig.from_data(body(event__notification__signature__key=""))
    assert config.configuration.signature_key is None
    assert (
        "event.notification.signature.key" not in config.to_cloud_elements_json()["configuration"]
    )


def test_repointed() -> None:
    config = InstanceConfig.from_data(body())
    moved = config.repointed(
        store_url="http://127.0.0.1:9999",
        callback_url="http://127.0.0.1:7777/cb",
        api_key="ck_new",
        api_secret="cs_new",
        refresh_interval="2",
        signature_key=None,
    )
    conf = moved.configuration
    assert (conf.store_url, conf.callback_url, conf.api_key) == (
        "http://127.0.0.1:9999",
        "http://127.0.0.1:7777/cb",
        "ck_new",
    )
    assert conf.api_secret.get_secret_value() == "cs_new"
    assert (conf.refresh_interval, conf.signature_key) == (2, None)
    assert config.configuration.store_url == "http://127.0.0.1:8000"  # the original is unchanged
    with pytest.raises(ConfigError):
        config.repointed(callback_url="not a url")
    with pytest.raises(TypeError):
        config.repointed(colour="blue")


def test_repointed_keeps_element_defaults_when_no_poller_was_given() -> None:
    config = InstanceConfig.from_data(body(event__poller__configuration=None))
    moved = config.repointed(store_url="http://127.0.0.1:1")
    assert moved.configuration.poller is None


def test_not_an_object() -> None:
    with pytest.raises(ConfigError, match="must be a JSON object"):
        InstanceConfig.from_data([1])  # type: ignore[arg-type]


def test_format_path_and_problem_rendering() -> None:
    path = format_path(["configuration", "event.poller.configuration", "customers", "tags", 0])
    assert path == 'configuration."event.poller.configuration".customers.tags[0]'
    assert Problem("a.b", "bad").render("f.json") == "f.json: a.b: bad"
    assert Problem("", "bad", 3, 4).render("f.json") == "f.json:3:4: bad"
    assert Problem("a", "hm").render("f.json", warning=True) == "f.json: warning: a: hm"
