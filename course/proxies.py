"""Which forwarded headers to believe: the client's address and scheme behind a reverse proxy.

A TLS-terminating proxy (nginx, a load balancer) talks plain HTTP to the app and says what the
browser used in ``X-Forwarded-Proto`` and ``X-Forwarded-For``. Anyone can send those headers, so
they are believed only from the proxies named in ``COURSE_TRUSTED_PROXIES``: a comma-separated list
of IP addresses or networks (``127.0.0.1, 10.0.0.0/8``; empty by default, so no forwarded header is
believed). Independently, a ``COURSE_PUBLIC_URL`` starting with ``https://`` says the site is
served over HTTPS whatever the hop to the app uses, so cookies get ``Secure``.

The rules follow RFC 7239 section 5.2 and MDN's X-Forwarded-For notes: the rightmost addresses were
appended by our own proxies; the first address from the right that is not a trusted proxy is the
client.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class ProxySettingError(ValueError):
    """COURSE_TRUSTED_PROXIES names something that is not an IP address or network."""


@dataclass(frozen=True)
class Proxies:
    trusted: tuple[IPNetwork, ...] = ()
    public_url: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Proxies:
        """Read COURSE_TRUSTED_PROXIES and COURSE_PUBLIC_URL; raises ProxySettingError for a bad entry."""
        networks = []
        for entry in env.get("COURSE_TRUSTED_PROXIES", "").split(","):
            entry = entry.strip()
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError as exc:
                raise ProxySettingError(
                    f"COURSE_TRUSTED_PROXIES: {entry!r} is not an IP address or network (e.g. 127.0.0.1, 10.0.0.0/8)"
                ) from exc
        return cls(tuple(networks), env.get("COURSE_PUBLIC_URL", "").strip())

    def trusts(self, peer: str | None) -> bool:
        """Whether the direct peer (the address the connection came from) is one of our proxies."""
        if not peer:
            return False
        try:
            address = ipaddress.ip_address(peer.strip())
        except ValueError:
            return False
        return any(address in network for network in self.trusted)

    def is_https(self, scheme: str, peer: str | None, headers: Mapping[str, str]) -> bool:
        """Whether the browser reached the site over HTTPS (so cookies must be ``Secure``)."""
        if scheme == "https" or self.public_url.lower().startswith("https://"):
            return True
        if not self.trusts(peer):
            return False
        forwarded = _header(headers, "x-forwarded-proto")
        # Our proxy sets or appends it last: read the rightmost value.
        return forwarded.split(",")[-1].strip().lower() == "https" if forwarded else False

    def client_address(self, peer: str | None, headers: Mapping[str, str]) -> str:
        """The client's address for rate limits: the peer, or what our trusted proxies say it was."""
        address = (peer or "").strip()
        if not self.trusts(address):
            return address or "unknown"
        hops = [hop.strip() for hop in _header(headers, "x-forwarded-for").split(",") if hop.strip()]
        for hop in reversed(hops):
            if not self.trusts(hop):
                return hop
        return hops[0] if hops else address


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if value is None:
        value = next((v for k, v in headers.items() if k.lower() == name), None)
    return str(value or "")


def load() -> Proxies:
    """The process's settings, read now: COURSE_TRUSTED_PROXIES, and the public address from course.site."""
    from course import site

    return replace(Proxies.from_env(), public_url=site.load_site().public_url)


__all__ = ["Proxies", "ProxySettingError", "load"]
