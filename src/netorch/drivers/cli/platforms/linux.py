"""``linux`` platform: a Linux host reached over SSH with a bash shell, no root.

The "configuration" netorch manages on such a host is a file-based store under the login
user's home: one file per netorch entry, ``~/netorch-config/<kind>--<name>.conf``, holding
``key=value`` lines. Writing an entry replaces its file, removing an entry deletes its file, and
files netorch did not name are never touched, so "remove exactly what netorch added" is
observable with ``ls``. Every line is followed by an exit-status probe (``$?``, POSIX Shell
Command Language §2.5.2) so a failed command is detected even when the shell prints nothing.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from string import Template
from urllib.parse import quote, unquote

from netorch.drivers.cli.platform import ObjectState, Snapshot
from netorch.model.errors import PermanentError
from netorch.model.network import Chain, ChainHop, DeviceIntent, SubInterface, Vrf

CONFIG_DIR = "netorch-config"
"""Directory (relative to the login user's home) holding netorch's entries."""

WRITE = Template('mkdir -p "$$HOME/$dir" && printf \'%s\\n\' $args > "$$HOME/$dir"/$file')
REMOVE = Template('rm -f -- "$$HOME/$dir"/$file && { rmdir -- "$$HOME/$dir" 2>/dev/null || true; }')
"""Removing netorch's last entry removes its directory too: the device is left as found."""
SHOW = Template('(cd "$$HOME/$dir" 2>/dev/null && grep -H -- "" *.conf 2>/dev/null); true')

KINDS = ("interface", "vrf", "chain")


def object_key(kind: str, name: str) -> str:
    """``interface/eth0.100`` — the key of one entry."""
    return f"{kind}/{name}"


def file_name(key: str) -> str:
    """``interface--eth0.100.conf``; the name is percent-encoded so any entry name is a safe,
    single path component."""
    kind, _, name = key.partition("/")
    return f"{kind}--{quote(name, safe='._-')}.conf"


def key_of_file(name: str) -> str | None:
    """Inverse of :func:`file_name` (``None`` for files that are not netorch entries)."""
    if not name.endswith(".conf") or "--" not in name:
        return None
    kind, _, rest = name[: -len(".conf")].partition("--")
    return object_key(kind, unquote(rest)) if kind in KINDS else None


def _check(value: str, what: str, *, forbid: str = "") -> str:
    if any(ch in value for ch in "\n\r\x00" + forbid):
        raise PermanentError(f"linux: {what} {value!r} contains a character the store cannot hold")
    return value


def _interface_state(sub: SubInterface, tag: str) -> dict[str, str]:
    state = {"parent": _check(sub.parent, "interface parent"), "vlan": str(sub.vlan),
             "description": _check(sub.description, "description")}
    if sub.ipv4_prefix:
        state["ipv4_prefix"] = _check(sub.ipv4_prefix, "ipv4 prefix")
    if tag:
        state["tag"] = _check(tag, "tag")
    return state


def _vrf_state(vrf: Vrf, tag: str) -> dict[str, str]:
    def joined(values: Sequence[str], what: str) -> str:
        return ",".join(_check(v, what, forbid=",") for v in values)

    state = {"import_targets": joined(vrf.import_targets, "route target"),
             "export_targets": joined(vrf.export_targets, "route target"),
             "interfaces": joined(vrf.interfaces, "interface")}
    if vrf.rd:
        state["rd"] = _check(vrf.rd, "route distinguisher")
    if tag:
        state["tag"] = _check(tag, "tag")
    return state


def _chain_state(chain: Chain, tag: str) -> dict[str, str]:
    state = {"description": _check(chain.description, "description")}
    for hop in chain.hops:
        fields = (hop.vnf, hop.ingress or "", hop.egress or "", hop.ip_address or "")
        state[f"hop.{hop.index}"] = ",".join(_check(f, "hop field", forbid=",") for f in fields)
    if tag:
        state["tag"] = _check(tag, "tag")
    return state


def _entries(intent: DeviceIntent) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for sub in intent.interfaces:
        out[object_key("interface", sub.name)] = _interface_state(sub, intent.tag)
    for vrf in intent.vrfs:
        out[object_key("vrf", vrf.name)] = _vrf_state(vrf, intent.tag)
    for chain in intent.chains:
        out[object_key("chain", chain.name)] = _chain_state(chain, intent.tag)
    return out


def _split(value: str) -> tuple[str, ...]:
    return tuple(v for v in value.split(",") if v)


class LinuxPlatform:
    """File-store rendering for a Linux host (netmiko ``linux``)."""

    name: str = "linux"
    device_type: str = "linux"
    uses_enable: bool = False
    config_mode: bool = False
    error_markers: tuple[str, ...] = (
        "command not found", "Permission denied", "No such file or directory",
        "Read-only file system", "No space left on device")

    def __init__(self, config_dir: str = CONFIG_DIR) -> None:
        self.config_dir = config_dir

    def desired(self, intended: DeviceIntent, previous: DeviceIntent | None) -> Snapshot:
        target: Snapshot = {}
        if previous is not None:
            target.update(dict.fromkeys(_entries(previous)))
        target.update(_entries(intended))
        return target

    def lines(self, changes: Mapping[str, ObjectState]) -> list[str]:
        out: list[str] = []
        for key, state in changes.items():
            path = shlex.quote(file_name(key))
            if state is None:
                out.append(REMOVE.substitute(dir=self.config_dir, file=path))
            else:
                args = " ".join(shlex.quote(f"{k}={v}") for k, v in sorted(state.items()))
                out.append(WRITE.substitute(dir=self.config_dir, file=path, args=args))
        return out

    def show_commands(self, keys: Sequence[str]) -> list[str]:
        return [SHOW.substitute(dir=self.config_dir)]

    def parse(self, keys: Sequence[str], outputs: Sequence[str]) -> Snapshot:
        found: dict[str, dict[str, str]] = {}
        for output in outputs:
            for line in output.splitlines():
                fname, sep, content = line.partition(":")
                key = key_of_file(fname.strip()) if sep else None
                if key is None:
                    continue
                attr, eq, value = content.partition("=")
                if eq:
                    found.setdefault(key, {})[attr] = value
        return {key: found.get(key) for key in keys}

    def to_intent(self, names_of: DeviceIntent, running: Snapshot) -> DeviceIntent:
        interfaces: list[SubInterface] = []
        for sub in names_of.interfaces:
            st = running.get(object_key("interface", sub.name))
            if st is not None:
                interfaces.append(SubInterface(
                    parent=st.get("parent", sub.parent), vlan=int(st.get("vlan", sub.vlan)),
                    description=st.get("description", ""), ipv4_prefix=st.get("ipv4_prefix")))
        vrfs: list[Vrf] = []
        for vrf in names_of.vrfs:
            st = running.get(object_key("vrf", vrf.name))
            if st is not None:
                vrfs.append(Vrf(name=vrf.name, rd=st.get("rd"),
                                import_targets=_split(st.get("import_targets", "")),
                                export_targets=_split(st.get("export_targets", "")),
                                interfaces=_split(st.get("interfaces", ""))))
        chains: list[Chain] = []
        for chain in names_of.chains:
            st = running.get(object_key("chain", chain.name))
            if st is not None:
                chains.append(Chain(name=chain.name, description=st.get("description", ""),
                                    hops=_hops(st)))
        tag = next((st["tag"] for st in running.values() if st is not None and "tag" in st),
                   names_of.tag)
        return DeviceIntent(device=names_of.device, interfaces=tuple(interfaces),
                            vrfs=tuple(vrfs), chains=tuple(chains), tag=tag)


def _hops(state: Mapping[str, str]) -> tuple[ChainHop, ...]:
    hops: list[ChainHop] = []
    for attr, value in state.items():
        if not attr.startswith("hop."):
            continue
        vnf, ingress, egress, ip = ([*value.split(","), "", "", ""])[:4]
        hops.append(ChainHop(index=int(attr[len("hop."):]), vnf=vnf, ingress=ingress or None,
                             egress=egress or None, ip_address=ip or None))
    return tuple(sorted(hops, key=lambda h: h.index))


PLATFORM = LinuxPlatform()
