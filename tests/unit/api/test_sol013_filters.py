"""SOL013 §5.2 attribute-based filters: parsing (including escapes and quoting) and evaluation."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netorch.api.sol013.filters import (
    Condition,
    FilterError,
    matches,
    parse_filter,
    parse_path,
)

NS: dict[str, Any] = {
    "id": "ns-1",
    "nsInstanceName": "web, (blue)",
    "nsState": "INSTANTIATED",
    "count": 3,
    "ratio": 0.5,
    "enabled": True,
    "createdAt": "2026-01-02T10:00:00Z",
    "vnfInstance": [
        {"vnfProvider": "ACME", "vnfProductName": "fw", "size": 2},
        {"vnfProvider": "Globex", "vnfProductName": "lb", "size": 5},
    ],
    "tags": ["gold", "eu-west"],
    "meta": {"a/b": "slash", "x,y": "comma", "@k": "at", "~t": "tilde"},
}


def test_parses_conditions_joined_by_semicolons() -> None:
    expr = parse_filter("(eq,nsState,INSTANTIATED);(in,vnfInstance/vnfProvider,ACME,Globex)")
    assert expr == (
        Condition("eq", ("nsState",), ("INSTANTIATED",)),
        Condition("in", ("vnfInstance", "vnfProvider"), ("ACME", "Globex")),
    )


def test_quoted_values_hold_commas_parentheses_and_doubled_quotes() -> None:
    expr = parse_filter("(eq,nsInstanceName,'web, (blue)');(cont,id,'it''s')")
    assert expr[0].values == ("web, (blue)",)
    assert expr[1].values == ("it's",)
    assert matches(expr[:1], NS)


def test_attribute_name_escapes() -> None:
    assert parse_path("meta/a~1b") == ("meta", "a/b")
    assert parse_path("meta/x~ay") == ("meta", "x,y")
    assert parse_path("meta/~bk") == ("meta", "@k")
    assert parse_path("meta/~0t") == ("meta", "~t")
    for name, want in (("a~1b", "slash"), ("x~ay", "comma"), ("~bk", "at"), ("~0t", "tilde")):
        assert matches(parse_filter(f"(eq,meta/{name},{want})"), NS)


@pytest.mark.parametrize("bad", [
    "", "eq,nsState,X", "(eq,nsState,X", "(eq,nsState)", "(eq,,X)", "(bogus,nsState,X)",
    "(eq,nsState,X,Y)", "(gt,count,1,2)", "(eq,nsState,X);", "(eq,nsState,X)(eq,id,1)",
    "(eq,a//b,X)", "(eq,a~2,X)", "(eq,a~,X)", "(eq,nsState,'unterminated)",
    "(eq,nsState,it's)", "(eq,nsState,'a'b)", "(eq,nsState,X);;(eq,id,1)", "(eq,nsState,X) ",
])
def test_malformed_filters_are_rejected(bad: str) -> None:
    with pytest.raises(FilterError):
        parse_filter(bad)


@pytest.mark.parametrize(("flt", "expected"), [
    ("(eq,nsState,INSTANTIATED)", True),
    ("(neq,nsState,INSTANTIATED)", False),
    ("(neq,nsState,NOT_INSTANTIATED)", True),
    ("(in,nsState,NOT_INSTANTIATED,INSTANTIATED)", True),
    ("(nin,nsState,NOT_INSTANTIATED,INSTANTIATED)", False),
    ("(cont,nsInstanceName,blue)", True),
    ("(ncont,nsInstanceName,blue,red)", False),
    ("(ncont,nsInstanceName,red)", True),
    ("(gt,count,2)", True), ("(gt,count,3)", False), ("(gte,count,3)", True),
    ("(lt,count,3)", False), ("(lte,count,3)", True), ("(eq,count,3)", True),
    ("(eq,count,3.0)", True), ("(lt,ratio,0.75)", True), ("(eq,count,three)", False),
    ("(eq,enabled,true)", True), ("(eq,enabled,false)", False), ("(eq,enabled,yes)", False),
    ("(gt,createdAt,2026-01-01T00:00:00Z)", True),
    ("(lt,createdAt,2026-01-02T09:59:59+00:00)", False),
    ("(eq,vnfInstance/vnfProvider,Globex)", True),
    ("(eq,vnfInstance/vnfProvider,Initech)", False),
    ("(neq,vnfInstance/vnfProvider,ACME)", False),  # an element equals ACME
    ("(gt,vnfInstance/size,4)", True),
    ("(eq,tags,gold)", True), ("(nin,tags,silver)", True),
    ("(eq,missing,x)", False), ("(neq,missing,x)", True), ("(eq,vnfInstance/nope,x)", False),
    ("(eq,nsState,INSTANTIATED);(eq,count,3)", True),
    ("(eq,nsState,INSTANTIATED);(eq,count,4)", False),
])
def test_evaluation(flt: str, expected: bool) -> None:
    assert matches(parse_filter(flt), NS) is expected


# SOL013 has no escape for ")" in an attribute name.
_name = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00)"), min_size=1,
                max_size=12)
_value = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=20)


def _escape_name(name: str) -> str:
    return (name.replace("~", "~0").replace("/", "~1").replace(",", "~a").replace("@", "~b"))


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@given(names=st.lists(_name, min_size=1, max_size=3), values=st.lists(_value, min_size=1,
                                                                      max_size=4),
       op=st.sampled_from(["in", "nin", "cont", "ncont"]))
def test_round_trip_of_any_names_and_values(names: list[str], values: list[str],
                                            op: str) -> None:
    text = f"({op},{'/'.join(_escape_name(n) for n in names)},{','.join(map(_quote, values))})"
    assert parse_filter(text) == (Condition(op, tuple(names), tuple(values)),)


@given(value=_value)
def test_a_quoted_value_matches_itself_exactly(value: str) -> None:
    item = {"name": value}
    assert matches(parse_filter(f"(eq,name,{_quote(value)})"), item)
    assert not matches(parse_filter(f"(neq,name,{_quote(value)})"), item)


@given(st.text(max_size=40))
def test_parser_never_fails_other_than_with_filter_error(text: str) -> None:
    with contextlib.suppress(FilterError):
        parse_filter(text)


@given(st.integers(-1000, 1000), st.integers(-1000, 1000))
def test_numeric_comparisons_agree_with_python(a: int, b: int) -> None:
    item = {"n": a}
    assert matches(parse_filter(f"(gt,n,{b})"), item) is (a > b)
    assert matches(parse_filter(f"(lte,n,{b})"), item) is (a <= b)
    assert matches(parse_filter(f"(neq,n,{b})"), item) is (a != b)
