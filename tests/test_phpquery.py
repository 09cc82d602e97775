"""PHP ``$_GET`` parsing and WordPress query building."""

from __future__ import annotations

from urllib.parse import quote, quote_plus

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.phpquery import (
    MAX_INPUT_NESTING_LEVEL,
    MAX_INPUT_VARS,
    add_query_arg,
    build_php_query,
    parse_php_query,
    parse_php_query_string,
    rawurldecode,
    rawurlencode,
    split_query_string,
    urldecode,
    urlencode,
    urlencode_deep,
)


def test_repeated_key_keeps_last_value() -> None:
    assert parse_php_query([("include", "1"), ("include", "2")]) == {"include": "2"}


def test_duplicated_client_params_collapse_in_first_position() -> None:
    pairs = [("per_page", "10"), ("oauth_nonce", "n"), ("per_page", "10")]
    assert list(parse_php_query(pairs).items()) == [("per_page", "10"), ("oauth_nonce", "n")]


def test_empty_brackets_append_into_a_list() -> None:
    assert parse_php_query([("k[]", "a"), ("k[]", "b"), ("k[ ]", "c")]) == {"k": ["a", "b", "c"]}


def test_named_index_builds_a_dict_and_nests() -> None:
    pairs = [("k[x]", "1"), ("k[y][]", "2"), ("k[y][]", "3"), ("k[z][w]", "4")]
    assert parse_php_query(pairs) == {"k": {"x": "1", "y": ["2", "3"], "z": {"w": "4"}}}


def test_integer_keys_in_order_are_a_list_otherwise_a_dict() -> None:
    assert parse_php_query([("k[0]", "a"), ("k[1]", "b")]) == {"k": ["a", "b"]}
    assert parse_php_query([("k[1]", "a"), ("k[0]", "b")]) == {"k": {"1": "a", "0": "b"}}
    # "01" is not a canonical integer, so it is a string key and does not move the next index.
    assert parse_php_query([("k[01]", "a"), ("k[]", "b")]) == {"k": {"01": "a", "0": "b"}}
    assert parse_php_query([("k[5]", "a"), ("k[]", "b")]) == {"k": {"5": "a", "6": "b"}}


def test_top_level_names_are_mangled() -> None:
    pairs = [("a.b", "1"), ("c d", "2"), ("  lead", "3"), ("x[y.z]", "4")]
    # Only the top-level name is mangled; an index keeps its dots.
    assert parse_php_query(pairs) == {"a_b": "1", "c_d": "2", "lead": "3", "x": {"y.z": "4"}}


def test_unclosed_bracket_is_part_of_the_name() -> None:
    assert parse_php_query([("a[b.c d", "1")]) == {"a_b_c_d": "1"}
    # Deeper, the value lands on the last complete index and the tail is dropped.
    assert parse_php_query([("a[b][c", "1")]) == {"a": {"b": "1"}}
    assert parse_php_query([("a[b]junk", "1")]) == {"a": {"b": "1"}}


def test_scalar_and_array_replace_each_other() -> None:
    assert parse_php_query([("a", "1"), ("a[]", "2")]) == {"a": ["2"]}
    assert parse_php_query([("a[]", "1"), ("a", "2")]) == {"a": "2"}
    assert parse_php_query([("a[x]", "1"), ("a[x][]", "2")]) == {"a": {"x": ["2"]}}


def test_names_that_php_drops() -> None:
    pairs = [("", "1"), ("[x]", "2"), ("   ", "3"), ("..Host-a", "4"), ("ok\0ignored", "5")]
    assert parse_php_query(pairs) == {"ok": "5"}


def test_nesting_limit_drops_the_variable() -> None:
    deep_ok = "a" + "[]" * MAX_INPUT_NESTING_LEVEL
    too_deep = "b" + "[]" * (MAX_INPUT_NESTING_LEVEL + 1)
    parsed = parse_php_query([(deep_ok, "1"), (too_deep, "2")])
    assert "b" not in parsed
    value = parsed["a"]
    for _ in range(MAX_INPUT_NESTING_LEVEL):
        assert isinstance(value, list)
        value = value[0]
    assert value == "1"


def test_input_vars_limit() -> None:
    pairs = [(f"k{i}", "v") for i in range(MAX_INPUT_VARS + 5)]
    assert len(parse_php_query(pairs)) == MAX_INPUT_VARS


def test_parse_raw_query_string() -> None:
    assert split_query_string("a=1&&b&c=x+y%2B&d=%zz") == [
        ("a", "1"),
        ("b", ""),
        ("c", "x y+"),
        ("d", "%zz"),
    ]
    assert parse_php_query_string("k%5B%5D=1&k[]=2") == {"k": ["1", "2"]}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("abcXYZ019-._~", "abcXYZ019-._~"),
        (" ", "%20"),
        ("+/:,=&%", "%2B%2F%3A%2C%3D%26%25"),
        ("é", "%C3%A9"),
        ("*", "%2A"),
    ],
)
def test_rawurlencode_is_rfc3986(raw: str, expected: str) -> None:
    assert rawurlencode(raw) == expected
    assert rawurldecode(expected) == raw


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(" ", "+"), ("~", "%7E"), (":", "%3A"), ("a-b_c.d", "a-b_c.d"), ("é/", "%C3%A9%2F")],
)
def test_urlencode_is_php_urlencode(raw: str, expected: str) -> None:
    assert urlencode(raw) == expected
    assert urldecode(expected) == raw


def test_decoding_keeps_malformed_escapes_and_raw_bytes() -> None:
    assert urldecode("%4") == "%4"
    assert urldecode("100%") == "100%"
    invalid_utf8 = urldecode("%FF")
    assert rawurlencode(invalid_utf8) == "%FF"


def test_build_query_encodes_values_and_drops_equals_for_empty() -> None:
    params = {
        "after": "2024-01-01T00:00:00",
        "search": "a b~",
        "empty": "",
        "include": ["1", "2"],
        "meta": {"x": {"y": "1"}},
        "none": None,
        "page": 3,
    }
    assert build_php_query(params) == (
        "after=2024-01-01T00%3A00%3A00&search=a+b%7E&empty"
        "&include%5B0%5D=1&include%5B1%5D=2&meta%5Bx%5D%5By%5D=1&none&page=3"
    )


def test_urlencode_deep_converts_scalars_like_php() -> None:
    assert urlencode_deep({"t": True, "f": False, "n": None, "i": 7, "l": ["a b"]}) == {
        "t": "1",
        "f": "",
        "n": "",
        "i": "7",
        "l": ["a+b"],
    }


def test_add_query_arg_twice_as_for_a_paging_link() -> None:
    request_params = parse_php_query(
        [("per_page", "2"), ("modified_after", "2024-01-01T00:00:00"), ("page", "2"), ("x", "")]
    )
    base = add_query_arg("https://shop.test/wp-json/wc/v3/orders", urlencode_deep(request_params))
    assert base == (
        "https://shop.test/wp-json/wc/v3/orders"
        "?per_page=2&modified_after=2024-01-01T00%3A00%3A00&page=2&x"
    )
    # page is replaced in place; values stay singly encoded.
    assert add_query_arg(base, {"page": 3}) == (
        "https://shop.test/wp-json/wc/v3/orders"
        "?per_page=2&modified_after=2024-01-01T00%3A00%3A00&page=3&x"
    )
    assert (
        add_query_arg("https://shop.test/a#frag", {"page": 1}) == "https://shop.test/a?page=1#frag"
    )
    assert add_query_arg("https://shop.test/a?x=1", {"x": False}) == "https://shop.test/a"


@given(st.text())
def test_rawurlencode_matches_rfc3986_quote(value: str) -> None:
    assert rawurlencode(value) == quote(value, safe="")
    assert rawurldecode(rawurlencode(value)) == value


@given(st.text())
def test_urlencode_matches_php_form_encoding(value: str) -> None:
    assert urlencode(value) == quote_plus(value, safe="").replace("~", "%7E")
    assert urldecode(urlencode(value)) == value


_NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)


@given(st.dictionaries(_NAMES, st.text(min_size=1), max_size=6))
def test_built_query_parses_back(params: dict[str, str]) -> None:
    assert parse_php_query_string(build_php_query(params)) == params


@pytest.mark.parametrize(
    ("raw", "form", "rfc3986"),
    [
        ("2024-06-03T00:00:00", "2024-06-03T00:00:00", "2024-06-03T00:00:00"),
        ("a+b", "a b", "a+b"),
        ("id,date_modified_gmt", "id,date_modified_gmt", "id,date_modified_gmt"),
        ("caf\u00e9", "caf\u00e9", "caf\u00e9"),
        ("%41+%2B", "A +", "A++"),
        ("", "", ""),
    ],
)
def test_values_with_nothing_to_decode_come_back_as_they_are(
    raw: str, form: str, rfc3986: str
) -> None:
    assert urldecode(raw) == form
    assert rawurldecode(raw) == rfc3986


@given(st.text(alphabet=st.characters(max_codepoint=127, blacklist_characters="%")))
def test_ascii_without_escapes_decodes_to_itself(value: str) -> None:
    assert rawurldecode(value) == value
    assert urldecode(value) == value.replace("+", " ")
