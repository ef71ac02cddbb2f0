"""SOL013 §5.3 attribute selectors and §5.4 paging markers (pure functions)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netorch.api.sol013.paging import PagingError, decode_marker, encode_marker, page
from netorch.api.sol013.selectors import Selector, SelectorError, parse_selector, select

PKG: dict[str, Any] = {
    "id": "p1",
    "onboardingState": "ONBOARDED",
    "checksum": {"algorithm": "SHA-256", "hash": "ab"},
    "softwareImages": [{"id": "img", "size": 1, "checksum": {"hash": "cd"}}],
    "additionalArtifacts": [{"artifactPath": "a.sh"}],
    "userDefinedData": {"k": "v"},
    "_links": {"self": {"href": "/vnfpkgm/v1/vnf_packages/p1"}},
}
DEFAULT_EXCLUDE = ("softwareImages", "additionalArtifacts", "userDefinedData", "checksum")
COMPLEX = DEFAULT_EXCLUDE


def _sel(**params: str) -> Selector:
    return parse_selector(params)


@pytest.mark.parametrize("params", [
    {}, {"all_fields": ""}, {"fields": "a"}, {"exclude_fields": "a"}, {"exclude_default": ""},
    {"fields": "a,b/c", "exclude_default": ""},
])
def test_allowed_combinations(params: dict[str, str]) -> None:
    parse_selector(params)


@pytest.mark.parametrize("params", [
    {"all_fields": "", "fields": "a"}, {"all_fields": "", "exclude_default": ""},
    {"all_fields": "", "exclude_fields": "a"}, {"fields": "a", "exclude_fields": "b"},
    {"exclude_fields": "a", "exclude_default": ""}, {"fields": ""}, {"exclude_fields": ""},
    {"fields": "a,,b"}, {"fields": "a~9"},
])
def test_forbidden_combinations_and_bad_lists(params: dict[str, str]) -> None:
    with pytest.raises(SelectorError):
        parse_selector(params)


def test_no_selector_and_exclude_default_drop_the_default_exclude_set() -> None:
    for selector in (_sel(), _sel(exclude_default="")):
        out = select(PKG, selector, default_exclude=DEFAULT_EXCLUDE)
        assert set(out) == {"id", "onboardingState", "_links"}


def test_all_fields_keeps_everything_and_copies() -> None:
    out = select(PKG, _sel(all_fields=""), default_exclude=DEFAULT_EXCLUDE)
    assert out == PKG
    out["userDefinedData"]["k"] = "changed"
    assert PKG["userDefinedData"]["k"] == "v"


def test_fields_keeps_only_the_named_complex_attributes() -> None:
    out = select(PKG, _sel(fields="checksum,softwareImages/checksum"),
                 default_exclude=DEFAULT_EXCLUDE, complex_attrs=COMPLEX)
    assert set(out) == {"id", "onboardingState", "_links", "checksum", "softwareImages"}


def test_fields_with_exclude_default_adds_to_the_default_view() -> None:
    item = {**PKG, "extra": {"x": 1}}
    out = select(item, _sel(fields="userDefinedData", exclude_default=""),
                 default_exclude=DEFAULT_EXCLUDE)
    assert set(out) == {"id", "onboardingState", "_links", "userDefinedData", "extra"}


def test_exclude_fields_removes_top_level_and_nested_paths() -> None:
    out = select(PKG, _sel(exclude_fields="userDefinedData,softwareImages/checksum"),
                 default_exclude=DEFAULT_EXCLUDE, complex_attrs=COMPLEX)
    assert "userDefinedData" not in out
    assert out["softwareImages"] == [{"id": "img", "size": 1}]
    assert out["checksum"] == PKG["checksum"]
    assert PKG["softwareImages"][0]["checksum"] == {"hash": "cd"}


def test_exclude_fields_refuses_attributes_that_are_not_excludable() -> None:
    with pytest.raises(SelectorError):
        select(PKG, _sel(exclude_fields="onboardingState"), default_exclude=DEFAULT_EXCLUDE,
               complex_attrs=COMPLEX)


def test_without_declared_complex_attributes_fields_uses_the_object_valued_ones() -> None:
    out = select(PKG, _sel(fields="checksum"), default_exclude=())
    assert set(out) == {"id", "onboardingState", "_links", "checksum"}


# -- paging --------------------------------------------------------------------------------


@given(items=st.lists(st.integers(), max_size=60), size=st.integers(1, 25),
       fingerprint=st.text(max_size=10))
def test_following_the_markers_yields_every_item_once_in_order(
        items: list[int], size: int, fingerprint: str) -> None:
    seen: list[int] = []
    marker: str | None = None
    pages = 0
    while True:
        chunk, marker = page(items, marker, size, fingerprint)
        assert len(chunk) <= size
        seen.extend(chunk)
        pages += 1
        if marker is None:
            break
    assert seen == items
    assert pages == max(1, -(-len(items) // size))


def test_size_zero_disables_paging() -> None:
    assert page(list(range(5)), None, 0) == ([0, 1, 2, 3, 4], None)


@pytest.mark.parametrize("marker", ["", "!!", "bm90LWEtbWFya2Vy", encode_marker(-1)])
def test_garbled_markers_are_rejected(marker: str) -> None:
    with pytest.raises(PagingError):
        decode_marker(marker)


def test_a_marker_made_for_another_filter_is_rejected() -> None:
    marker = encode_marker(10, "(eq,a,1)")
    assert decode_marker(marker, "(eq,a,1)") == 10
    with pytest.raises(PagingError):
        decode_marker(marker, "(eq,a,2)")
