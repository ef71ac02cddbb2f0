"""NETCONF payloads for a :class:`~netorch.model.network.DeviceIntent`, and back.

Pure functions, no I/O, tested against golden files:

* :func:`build_edit` — the ``<config>`` of an ``<edit-config>`` (RFC 6241 §7.2) that makes
  netorch's entries on a device equal to an intent. It is built *through* the pyangbind
  bindings of ``yang/`` (so every value is checked against the YANG types before it is sent)
  and serialised with ``pybindIETFXMLEncoder``; the only thing added afterwards with lxml is
  the ``nc:operation`` attribute (RFC 6241 §7.2): ``replace`` on every entry of the intent,
  ``remove`` on every entry netorch added before (``previous``) that the intent no longer has.
  Entries nobody named are not in the payload, so they are never touched.
* :func:`build_filter` — a subtree filter (RFC 6241 §6) selecting exactly the named entries
  (key-only entries, made with lxml).
* :func:`parse_running` — what a ``<get-config>`` reply says about the named entries, as a
  ``DeviceIntent`` (for verification after commit and for drift).
* :func:`build_restore` — on a device without ``:candidate``: the edit that puts the named
  entries back the way a pre-image (a ``<get-config>`` reply) had them.

Where things live (see ``yang/README.md``):

* a :class:`SubInterface` is an ``ietf-interfaces`` (RFC 8343 §5) ``interface`` entry named
  ``<parent>.<vlan>`` of type ``iana-if-type:l2vlan``;
* a :class:`Vrf` is a ``netorch-l3vpn`` ``vrf``; each sub-interface it names is an
  ``attachment`` carrying the VLAN id and the IPv4 prefix of the sub-interface;
* a :class:`Chain` is a ``netorch-service-chain`` ``chain`` with its ``hop`` entries.

Descriptions carry the intent's ownership tag: ``"<description> [<tag>]"`` (``"[<tag>]"`` when
the description is empty, just the description when it already names the tag);
:func:`parse_running` strips it again so that a round trip is the identity.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable
from typing import Any

from lxml import etree
from pyangbind.lib.serialise import pybindIETFXMLEncoder

from netorch.drivers.netconf.bindings import ietf_interfaces, l3vpn, service_chain
from netorch.model.network import (
    Chain,
    ChainHop,
    DeviceDriverKind,
    DeviceEndpoint,
    DeviceIntent,
    SubInterface,
    Vrf,
)

NC_NS = "urn:ietf:params:xml:ns:netconf:base:1.0"
IF_NS = "urn:ietf:params:xml:ns:yang:ietf-interfaces"
IANA_IF_NS = "urn:ietf:params:xml:ns:yang:iana-if-type"
L3VPN_NS = "urn:netorch:yang:l3vpn"
CHAIN_NS = "urn:netorch:yang:service-chain"

SUBINTERFACE_TYPE = "l2vlan"
"""``iana-if-type:l2vlan`` (RFC 7224): a layer-2 VLAN using 802.1Q."""

_OPERATION = f"{{{NC_NS}}}operation"

# The generated (untyped) root classes, one per YANG module.
_IETF_INTERFACES: Any = ietf_interfaces.ietf_interfaces
_L3VPN: Any = l3vpn.netorch_l3vpn
_SERVICE_CHAIN: Any = service_chain.netorch_service_chain


# -- descriptions ----------------------------------------------------------------------------

def tagged(description: str, tag: str) -> str:
    """The description as written on the device: it carries the ownership tag, as
    ``"<description> [<tag>]"``, ``"[<tag>]"`` when there is no description, unchanged when
    it names the tag already."""
    if not tag or tag in description:
        return description
    return f"{description} [{tag}]" if description else f"[{tag}]"


def untagged(text: str, tag: str) -> str:
    """Inverse of :func:`tagged`."""
    if not tag:
        return text
    suffix = f"[{tag}]"
    if text == suffix:
        return ""
    return text[: -len(suffix) - 1] if text.endswith(f" {suffix}") else text


# -- edit-config ---------------------------------------------------------------------------

def _vlan_of(name: str, interfaces: dict[str, SubInterface]) -> int:
    if name in interfaces:
        return interfaces[name].vlan
    _, _, vlan = name.rpartition(".")
    if not vlan.isdigit():
        raise ValueError(f"VRF attachment {name!r} is not a <parent>.<vlan> sub-interface")
    return int(vlan)


class _Models:
    """One binding object per YANG module, and the entries put into each (name → operation)."""

    def __init__(self) -> None:
        self.ifs: Any = _IETF_INTERFACES()
        self.vpn: Any = _L3VPN()
        self.sfc: Any = _SERVICE_CHAIN()
        self.ops: dict[tuple[str, str], str] = {}
        """(namespace of the list, key) → nc:operation."""

    def add_interface(self, sub: SubInterface, tag: str) -> None:
        entry = self.ifs.interfaces.interface.add(sub.name)
        entry.type = SUBINTERFACE_TYPE
        description = tagged(sub.description, tag)
        if description:
            entry.description = description
        self.ops[(IF_NS, sub.name)] = "replace"

    def add_vrf(self, vrf: Vrf, interfaces: dict[str, SubInterface], tag: str) -> None:
        entry = self.vpn.vrfs.vrf.add(vrf.name)
        if tag:
            entry.description = tagged("", tag)
        if vrf.rd is not None:
            entry.rd = vrf.rd
        for target in vrf.import_targets:
            entry.import_target.append(target)
        for target in vrf.export_targets:
            entry.export_target.append(target)
        for name in vrf.interfaces:
            attachment = entry.attachment.add(name)
            attachment.vlan_id = _vlan_of(name, interfaces)
            sub = interfaces.get(name)
            if sub is not None and sub.ipv4_prefix is not None:
                attachment.ipv4_prefix = sub.ipv4_prefix
        self.ops[(L3VPN_NS, vrf.name)] = "replace"

    def add_chain(self, chain: Chain, tag: str) -> None:
        entry = self.sfc.chains.chain.add(chain.name)
        description = tagged(chain.description, tag)
        if description:
            entry.description = description
        for hop in sorted(chain.hops, key=lambda h: h.index):
            item = entry.hop.add(hop.index)
            item.vnf = hop.vnf
            if hop.ingress is not None:
                item.ingress_interface = hop.ingress
            if hop.egress is not None:
                item.egress_interface = hop.egress
            if hop.ip_address is not None:
                item.ip_address = hop.ip_address
        self.ops[(CHAIN_NS, chain.name)] = "replace"

    def add_key_only(self, namespace: str, name: str, operation: str) -> None:
        if namespace == IF_NS:
            self.ifs.interfaces.interface.add(name)
        elif namespace == L3VPN_NS:
            self.vpn.vrfs.vrf.add(name)
        else:
            self.sfc.chains.chain.add(name)
        self.ops[(namespace, name)] = operation

    def elements(self) -> list[etree._Element]:
        """The top-level containers that have entries, as pyangbind encodes them (each a
        standalone element declaring its own default namespace)."""
        out: list[etree._Element] = []
        for model, has_entries in (
            (self.ifs, len(self.ifs.interfaces.interface) > 0),
            (self.vpn, len(self.vpn.vrfs.vrf) > 0),
            (self.sfc, len(self.sfc.chains.chain) > 0),
        ):
            if has_entries:
                encoded = pybindIETFXMLEncoder.encode(model)
                out.extend(_standalone(container) for container in encoded.iterchildren())
        return out


def _standalone(element: etree._Element) -> etree._Element:
    """A plain-lxml copy of ``element`` carrying every namespace declaration it uses (also
    the ones only used in text, such as the prefix of an identityref value)."""
    return etree.fromstring(etree.tostring(element))


def _set_operations(config: etree._Element, ops: dict[tuple[str, str], str]) -> None:
    """Set ``nc:operation`` on the list entries named in ``ops`` (after they are in the
    ``<config>``, so that the attribute uses the ``nc`` prefix declared there)."""
    for container in config:
        namespace = etree.QName(container).namespace or ""
        for entry in container:
            operation = ops.get((namespace, entry.findtext(f"{{{namespace}}}name") or ""))
            if operation is not None:
                entry.set(_OPERATION, operation)


def _config(children: Iterable[etree._Element], ops: dict[tuple[str, str], str],
            drop: Iterable[str] = ()) -> str:
    config = etree.Element(f"{{{NC_NS}}}config", nsmap={None: NC_NS, "nc": NC_NS})
    config.extend(children)
    _set_operations(config, ops)
    for namespace in drop:
        container = etree.SubElement(config, f"{{{namespace}}}{_CONTAINERS[namespace][0]}",
                                     nsmap={None: namespace})
        container.set(_OPERATION, "remove")
    return str(etree.tostring(config, pretty_print=True, encoding="unicode"))


def _names(intent: DeviceIntent | None) -> dict[str, list[str]]:
    if intent is None:
        return {IF_NS: [], L3VPN_NS: [], CHAIN_NS: []}
    return {IF_NS: [i.name for i in intent.interfaces], L3VPN_NS: [v.name for v in intent.vrfs],
            CHAIN_NS: [c.name for c in intent.chains]}


_ANY_DEVICE = DeviceEndpoint(name="", driver=DeviceDriverKind.NETCONF, platform="", host="",
                             port=0, credentials="")
"""Stands for the device in the payload cache's keys: a payload does not depend on it."""


class _PayloadCache:
    """Payloads already built through the bindings, by content (the intents without their
    device): one service configured on N devices usually puts the same entries on each,
    and pyangbind spends ~0.07 s of CPU on every ``ietf-interfaces`` entry it builds (each
    ``type`` leaf deep-copies the whole ``iana-if-type`` identity table), under the GIL.

    Bounded (least recently used out) and single-flight: when several worker threads want
    the same payload at once, one builds it and the others wait for it instead of building
    it again. A failed build (``ValueError``) is not kept; each caller gets its own error.
    """

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._done: OrderedDict[tuple[Any, ...], str] = OrderedDict()
        self._building: dict[tuple[Any, ...], threading.Event] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...], build: Callable[[], str]) -> str:
        while True:
            with self._lock:
                payload = self._done.get(key)
                if payload is not None:
                    self._done.move_to_end(key)
                    return payload
                pending = self._building.get(key)
                mine = pending is None
                if pending is None:
                    pending = self._building[key] = threading.Event()
            if not mine:
                pending.wait()
                continue  # built (a hit now), or failed (build it ourselves)
            try:
                payload = build()
                with self._lock:
                    self._done[key] = payload
                    while len(self._done) > self.size:
                        self._done.popitem(last=False)
                return payload
            finally:
                with self._lock:
                    del self._building[key]
                pending.set()

    def clear(self) -> None:
        with self._lock:
            self._done.clear()


_CACHE = _PayloadCache()


def _content(intent: DeviceIntent | None) -> DeviceIntent | None:
    return None if intent is None else dataclasses.replace(intent, device=_ANY_DEVICE)


def build_edit(intended: DeviceIntent, previous: DeviceIntent | None,
               drop: Collection[str] = ()) -> str:
    """The ``<config>`` element of the ``<edit-config>`` that makes netorch's entries on the
    device equal to ``intended`` (RFC 6241 §7.2: ``replace`` per intended entry, ``remove``
    per entry of ``previous`` that ``intended`` does not have).

    ``drop`` names the namespaces whose whole top-level container goes (``remove`` on the
    container instead of on each entry): the caller found, under its lock, that netorch's
    entries are the only ones left in it, so removing them would otherwise leave an empty
    container behind, and terminate must leave the device as it found it.

    Raises ``ValueError`` when a value does not fit the YANG model (pyangbind checks every
    leaf against its type) or when a sub-interface has an IPv4 prefix but no VRF attaches it
    (the prefix is a leaf of the VRF attachment).

    The payload does not depend on the device: the same content is built through the
    bindings once and reused (:class:`_PayloadCache`).
    """
    key = (_content(intended), _content(previous), frozenset(drop))
    return _CACHE.get(key, lambda: _build_edit(intended, previous, drop))


def _build_edit(intended: DeviceIntent, previous: DeviceIntent | None,
                drop: Collection[str]) -> str:
    interfaces = {i.name: i for i in intended.interfaces}
    attached = {name for vrf in intended.vrfs for name in vrf.interfaces}
    for sub in intended.interfaces:
        if sub.ipv4_prefix is not None and sub.name not in attached:
            raise ValueError(
                f"sub-interface {sub.name} has IPv4 prefix {sub.ipv4_prefix} but no VRF "
                "attaches it (netorch-l3vpn keeps the prefix on the VRF attachment)")
    models = _Models()
    for sub in intended.interfaces:
        models.add_interface(sub, intended.tag)
    for vrf in intended.vrfs:
        models.add_vrf(vrf, interfaces, intended.tag)
    for chain in intended.chains:
        models.add_chain(chain, intended.tag)
    wanted = _names(intended)
    dropped = [ns for ns in _CONTAINERS if ns in drop and not wanted[ns]]
    for namespace, names in _names(previous).items():
        if namespace in dropped:
            continue
        for name in names:
            if name not in wanted[namespace]:
                models.add_key_only(namespace, name, "remove")
    return _config(models.elements(), models.ops, dropped)


def build_keys_filter(namespaces: Iterable[str]) -> str:
    """A subtree filter selecting only the key of every entry of these top-level lists."""
    flt = etree.Element(f"{{{NC_NS}}}filter", nsmap={None: NC_NS})
    flt.set("type", "subtree")
    for namespace in namespaces:
        container, item = _CONTAINERS[namespace]
        parent = etree.SubElement(flt, f"{{{namespace}}}{container}", nsmap={None: namespace})
        etree.SubElement(etree.SubElement(parent, f"{{{namespace}}}{item}"),
                         f"{{{namespace}}}name")
    return str(etree.tostring(flt, pretty_print=True, encoding="unicode"))


def present_keys(xml: str | bytes, namespace: str) -> tuple[bool, set[str]]:
    """Whether the top-level container of ``namespace`` is in ``xml`` (a get-config reply),
    and the keys of its entries."""
    root = _root(xml)
    container, item = _CONTAINERS[namespace]
    found = root.findall(f".//{{{namespace}}}{container}")
    keys = {e.findtext(f"{{{namespace}}}name") or ""
            for c in found for e in c.findall(f"{{{namespace}}}{item}")}
    return bool(found), keys


def without(intent: DeviceIntent, names: dict[str, set[str]]) -> DeviceIntent:
    """``intent`` less the entries named per namespace in ``names``."""
    return DeviceIntent(
        device=intent.device, tag=intent.tag,
        interfaces=tuple(i for i in intent.interfaces if i.name not in names.get(IF_NS, ())),
        vrfs=tuple(v for v in intent.vrfs if v.name not in names.get(L3VPN_NS, ())),
        chains=tuple(c for c in intent.chains if c.name not in names.get(CHAIN_NS, ())))


def removals(intended: DeviceIntent, previous: DeviceIntent | None) -> dict[str, set[str]]:
    """Per namespace, the names of ``previous`` that ``intended`` drops."""
    wanted = _names(intended)
    return {ns: {n for n in names if n not in wanted[ns]}
            for ns, names in _names(previous).items()}


_CONTAINERS = {IF_NS: ("interfaces", "interface"), L3VPN_NS: ("vrfs", "vrf"),
               CHAIN_NS: ("chains", "chain")}


def _key_only(names: dict[str, list[str]]) -> list[etree._Element]:
    """Containers holding one key-only list entry per name (``<vrf><name>x</name></vrf>``).
    Made with lxml: a key leaf is a plain string in all three models, and building these
    through pyangbind costs ~0.1 s per ietf-interfaces entry (its identityref carries all of
    iana-if-type), for nothing a key could get wrong."""
    out: list[etree._Element] = []
    for namespace, keys in names.items():
        if not keys:
            continue
        container, item = _CONTAINERS[namespace]
        parent = etree.Element(f"{{{namespace}}}{container}", nsmap={None: namespace})
        for key in keys:
            entry = etree.SubElement(parent, f"{{{namespace}}}{item}")
            etree.SubElement(entry, f"{{{namespace}}}name").text = key
        out.append(parent)
    return out


def build_filter(names_of: DeviceIntent) -> str:
    """A ``<filter type="subtree">`` (RFC 6241 §6.4) selecting exactly the entries named in
    ``names_of``: each entry is a list element with only its key, a content match node
    (§6.2.5), so the whole entry is returned."""
    flt = etree.Element(f"{{{NC_NS}}}filter", nsmap={None: NC_NS})
    flt.set("type", "subtree")
    flt.extend(_key_only(_names(names_of)))
    return str(etree.tostring(flt, pretty_print=True, encoding="unicode"))


def normalise(intent: DeviceIntent) -> DeviceIntent:
    """``intent`` in the form :func:`parse_running` returns it (hops in index order), so
    that an intent and what was read back compare equal when the device has it."""
    chains = tuple(Chain(name=c.name, description=c.description,
                         hops=tuple(sorted(c.hops, key=lambda h: h.index)))
                   for c in intent.chains)
    return DeviceIntent(device=intent.device, interfaces=intent.interfaces, vrfs=intent.vrfs,
                        chains=chains, tag=intent.tag)


# -- reading back --------------------------------------------------------------------------

def _root(xml: str | bytes) -> etree._Element:
    data = xml.encode() if isinstance(xml, str) else xml
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=True)
    return etree.fromstring(data, parser)


def _entries(root: etree._Element, namespace: str, container: str,
             item: str) -> dict[str, etree._Element]:
    found: dict[str, etree._Element] = {}
    for parent in root.iter(f"{{{namespace}}}{container}"):
        for entry in parent.findall(f"{{{namespace}}}{item}"):
            key = entry.findtext(f"{{{namespace}}}name")
            if key is not None:
                found.setdefault(key, entry)
    return found


def _text(entry: etree._Element, namespace: str, leaf: str) -> str | None:
    value = entry.findtext(f"{{{namespace}}}{leaf}")
    return None if value is None else value.strip()


def parse_running(xml: str | bytes, names_of: DeviceIntent) -> DeviceIntent:
    """The entries named in ``names_of`` as the reply ``xml`` (a ``<get-config>`` reply, its
    ``<data>``, or a ``<config>``) has them; entries absent from the reply are left out."""
    root = _root(xml)
    tag = names_of.tag
    ifs = _entries(root, IF_NS, "interfaces", "interface")
    vrfs = _entries(root, L3VPN_NS, "vrfs", "vrf")
    chains = _entries(root, CHAIN_NS, "chains", "chain")

    prefixes: dict[str, str] = {}
    parsed_vrfs: list[Vrf] = []
    for want in names_of.vrfs:
        entry = vrfs.get(want.name)
        if entry is None:
            continue
        attached: list[str] = []
        for attachment in entry.findall(f"{{{L3VPN_NS}}}attachment"):
            name = _text(attachment, L3VPN_NS, "interface") or ""
            attached.append(name)
            prefix = _text(attachment, L3VPN_NS, "ipv4-prefix")
            if prefix is not None:
                prefixes.setdefault(name, prefix)
        parsed_vrfs.append(Vrf(
            name=want.name, rd=_text(entry, L3VPN_NS, "rd"),
            import_targets=tuple(t.text or "" for t in
                                 entry.findall(f"{{{L3VPN_NS}}}import-target")),
            export_targets=tuple(t.text or "" for t in
                                 entry.findall(f"{{{L3VPN_NS}}}export-target")),
            interfaces=tuple(attached)))

    parsed_ifs: list[SubInterface] = []
    for want_if in names_of.interfaces:
        entry = ifs.get(want_if.name)
        if entry is None:
            continue
        parsed_ifs.append(SubInterface(
            parent=want_if.parent, vlan=want_if.vlan,
            description=untagged(_text(entry, IF_NS, "description") or "", tag),
            ipv4_prefix=prefixes.get(want_if.name)))

    parsed_chains: list[Chain] = []
    for want_chain in names_of.chains:
        entry = chains.get(want_chain.name)
        if entry is None:
            continue
        hops = []
        for hop in entry.findall(f"{{{CHAIN_NS}}}hop"):
            hops.append(ChainHop(
                index=int(_text(hop, CHAIN_NS, "index") or 0),
                vnf=_text(hop, CHAIN_NS, "vnf") or "",
                ingress=_text(hop, CHAIN_NS, "ingress-interface"),
                egress=_text(hop, CHAIN_NS, "egress-interface"),
                ip_address=_text(hop, CHAIN_NS, "ip-address")))
        parsed_chains.append(Chain(
            name=want_chain.name, hops=tuple(sorted(hops, key=lambda h: h.index)),
            description=untagged(_text(entry, CHAIN_NS, "description") or "", tag)))

    return DeviceIntent(device=names_of.device, interfaces=tuple(parsed_ifs),
                        vrfs=tuple(parsed_vrfs), chains=tuple(parsed_chains), tag=tag)


def build_restore(pre_image: str | bytes, names_of: DeviceIntent) -> str:
    """The ``<config>`` that puts every entry named in ``names_of`` back as the pre-image
    (a ``<get-config>`` reply taken before the change) had it: entries that were there are
    replaced by their saved copy, entries that were not are removed. Used on devices
    without ``:candidate`` (RFC 6241 §8.3), where the edit goes straight to running."""
    root = _root(pre_image)
    saved = {IF_NS: _entries(root, IF_NS, "interfaces", "interface"),
             L3VPN_NS: _entries(root, L3VPN_NS, "vrfs", "vrf"),
             CHAIN_NS: _entries(root, CHAIN_NS, "chains", "chain")}
    ops: dict[tuple[str, str], str] = {}
    gone: dict[str, list[str]] = {IF_NS: [], L3VPN_NS: [], CHAIN_NS: []}
    restored: dict[str, list[etree._Element]] = {IF_NS: [], L3VPN_NS: [], CHAIN_NS: []}
    for namespace, names in _names(names_of).items():
        for name in names:
            entry = saved[namespace].get(name)
            if entry is None:
                gone[namespace].append(name)
                ops[(namespace, name)] = "remove"
            else:
                restored[namespace].append(_standalone(entry))
                ops[(namespace, name)] = "replace"
    removals = {el.tag: el for el in _key_only(gone)}
    children: list[etree._Element] = []
    for namespace, (container, _) in _CONTAINERS.items():
        qname = f"{{{namespace}}}{container}"
        element = removals.get(qname)
        if not restored[namespace] and element is None:
            continue
        if element is None:
            element = etree.Element(qname, nsmap={None: namespace})
        element.extend(restored[namespace])
        children.append(element)
    return _config(children, ops)
