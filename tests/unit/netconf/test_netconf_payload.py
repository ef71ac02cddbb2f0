"""Payloads built through the pyangbind bindings, against golden files, and read back.

Regenerate the golden files after a deliberate change with
``NETORCH_UPDATE_GOLDEN=1 python -m pytest tests/unit/netconf``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from lxml import etree
from netconf_intents import INTENDED, PE1, PREVIOUS, TAG

from netorch.drivers.netconf.payload import (
    NC_NS,
    build_edit,
    build_filter,
    build_restore,
    normalise,
    parse_running,
    tagged,
    untagged,
)
from netorch.model.network import Chain, ChainHop, DeviceIntent, SubInterface, Vrf

GOLDEN = Path(__file__).parent / "golden"
OPERATION = f"{{{NC_NS}}}operation"


def golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("NETORCH_UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text(), f"{name} differs from the golden file"


def operations(xml: str) -> dict[str, str]:
    """key → nc:operation of every list entry that has one."""
    root = etree.fromstring(xml.encode())
    return {el[0].text: el.get(OPERATION) for el in root.iter() if el.get(OPERATION)}


def test_edit_for_a_new_intent_matches_golden() -> None:
    xml = build_edit(INTENDED, None)
    golden("edit_create.xml", xml)
    assert operations(xml) == {"eth0.100": "replace", "eth1.200": "replace",
                               "svc1-vl1": "replace", "svc1-chain": "replace"}


def test_edit_for_an_update_removes_exactly_the_stale_entries() -> None:
    xml = build_edit(INTENDED, PREVIOUS)
    golden("edit_update.xml", xml)
    assert operations(xml) == {
        "eth0.100": "replace", "eth1.200": "replace", "svc1-vl1": "replace",
        "svc1-chain": "replace",
        "eth0.99": "remove", "svc1-old": "remove", "svc1-gone": "remove"}


def test_removing_everything_sends_only_keys() -> None:
    xml = build_edit(DeviceIntent(device=PE1, tag=TAG), PREVIOUS)
    golden("edit_remove_all.xml", xml)
    root = etree.fromstring(xml.encode())
    entries = [el for el in root.iter() if el.get(OPERATION)]
    assert {e.get(OPERATION) for e in entries} == {"remove"}
    assert all(len(e) == 1 for e in entries)  # the key leaf only


def test_nothing_to_do_is_an_empty_config() -> None:
    root = etree.fromstring(build_edit(DeviceIntent(device=PE1), None).encode())
    assert root.tag == f"{{{NC_NS}}}config" and len(root) == 0


def test_identityref_carries_its_namespace() -> None:
    root = etree.fromstring(build_edit(INTENDED, None).encode())
    ns = {"if": "urn:ietf:params:xml:ns:yang:ietf-interfaces"}
    type_el = root.find(".//if:interface/if:type", ns)
    assert type_el is not None and type_el.text is not None
    prefix, _, name = type_el.text.partition(":")
    assert name == "l2vlan"
    assert type_el.nsmap[prefix] == "urn:ietf:params:xml:ns:yang:iana-if-type"


def test_filter_matches_golden_and_names_only_keys() -> None:
    xml = build_filter(INTENDED)
    golden("filter.xml", xml)
    root = etree.fromstring(xml.encode())
    assert root.get("type") == "subtree"
    leaves = [el for el in root.iter() if len(el) == 0]
    assert sorted(el.text or "" for el in leaves) == sorted(
        ["eth0.100", "eth1.200", "svc1-vl1", "svc1-chain"])


def test_round_trip_through_the_edit_payload() -> None:
    assert parse_running(build_edit(INTENDED, PREVIOUS), INTENDED) == normalise(INTENDED)


def test_parse_device_reply_keeps_named_entries_only() -> None:
    reply = (GOLDEN / "running_reply.xml").read_text()
    got = parse_running(reply, PREVIOUS)
    # svc1-old and eth0.99 are not on the device; the foreign VRF is not named
    assert [v.name for v in got.vrfs] == ["svc1-vl1"]
    assert [i.name for i in got.interfaces] == ["eth0.100"]
    assert got.interfaces[0] == SubInterface("eth0", 100, f"{TAG} to ce1", "10.1.0.1/24")
    assert got.vrfs[0] == Vrf("svc1-vl1", "65000:1", ("65000:1",), ("65000:1", "65000:2"),
                              ("eth0.100", "eth1.200"))
    assert [c.name for c in got.chains] == ["svc1-chain"]
    assert got.chains[0].hops[0] == ChainHop(1, "fw", "eth0", "eth1", "10.0.0.1")
    assert got.chains[0].description == "fw then nat"


def test_parse_the_full_intent_from_the_device_reply() -> None:
    reply = (GOLDEN / "running_reply.xml").read_text()
    assert parse_running(reply, INTENDED) == normalise(INTENDED)


def test_restore_replaces_saved_entries_and_removes_new_ones() -> None:
    reply = (GOLDEN / "running_reply.xml").read_text()
    xml = build_restore(reply, PREVIOUS)
    golden("restore.xml", xml)
    assert operations(xml) == {"eth0.100": "replace", "svc1-vl1": "replace",
                               "svc1-chain": "replace", "eth0.99": "remove",
                               "svc1-old": "remove", "svc1-gone": "remove"}
    assert "foreign" not in xml


def test_values_outside_the_yang_types_are_refused() -> None:
    bad_vlan = DeviceIntent(device=PE1, interfaces=(SubInterface("eth0", 5000),),
                            vrfs=(Vrf("v", interfaces=("eth0.5000",)),))
    with pytest.raises(ValueError, match="vlan"):
        build_edit(bad_vlan, None)
    bad_rd = DeviceIntent(device=PE1, vrfs=(Vrf("v", rd="not-an-rd"),))
    with pytest.raises(ValueError):
        build_edit(bad_rd, None)
    bad_ip = DeviceIntent(device=PE1, chains=(Chain("c", (ChainHop(1, "fw",
                                                                   ip_address="10.0.0.300"),)),))
    with pytest.raises(ValueError):
        build_edit(bad_ip, None)


def test_an_address_needs_a_vrf_attachment() -> None:
    lone = DeviceIntent(device=PE1,
                        interfaces=(SubInterface("eth0", 10, ipv4_prefix="10.0.0.1/30"),))
    with pytest.raises(ValueError, match="no VRF attaches it"):
        build_edit(lone, None)


@pytest.mark.parametrize(("description", "tag", "written"), [
    ("", "", ""), ("uplink", "", "uplink"), ("", "netorch:a", "[netorch:a]"),
    ("uplink", "netorch:a", "uplink [netorch:a]"),
    ("netorch:a uplink", "netorch:a", "netorch:a uplink"),
    ("netorch:a", "netorch:a", "netorch:a"),
])
def test_descriptions_carry_the_tag_reversibly(description: str, tag: str, written: str) -> None:
    assert tagged(description, tag) == written
    assert untagged(written, tag) == description
