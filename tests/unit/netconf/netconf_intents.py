"""Intents shared by the NETCONF unit tests (pytest puts this directory on sys.path)."""

from __future__ import annotations

from netorch.model.network import (
    Chain,
    ChainHop,
    DeviceDriverKind,
    DeviceEndpoint,
    DeviceIntent,
    SubInterface,
    Vrf,
)

PE1 = DeviceEndpoint(name="pe1", driver=DeviceDriverKind.NETCONF, platform="yuma123",
                     host="127.0.0.1", port=8830, credentials="pe1")
TAG = "netorch:svc1"

INTENDED = DeviceIntent(
    device=PE1, tag=TAG,
    interfaces=(SubInterface("eth0", 100, f"{TAG} to ce1", "10.1.0.1/24"),
                SubInterface("eth1", 200, "to ce2")),
    vrfs=(Vrf("svc1-vl1", "65000:1", ("65000:1",), ("65000:1", "65000:2"),
              ("eth0.100", "eth1.200")),),
    chains=(Chain("svc1-chain", (ChainHop(1, "fw", "eth0", "eth1", "10.0.0.1"),
                                 ChainHop(2, "nat", ip_address="2001:db8::2")),
                  "fw then nat"),))

PREVIOUS = DeviceIntent(
    device=PE1, tag=TAG,
    interfaces=(SubInterface("eth0", 100, f"{TAG} to ce1", "10.1.0.1/24"),
                SubInterface("eth0", 99)),
    vrfs=(Vrf("svc1-vl1", "65000:1", interfaces=("eth0.100", "eth0.99")),
          Vrf("svc1-old", "65000:9", interfaces=())),
    chains=(Chain("svc1-chain", (ChainHop(1, "fw"),)), Chain("svc1-gone", (ChainHop(1, "x"),))))
