"""Which hub to talk to, and the transport rule: https always, plain http only to this machine
or when the user explicitly allows it (a mirror on the local network)."""

from __future__ import annotations

import ipaddress
import os
from urllib.parse import urlsplit

from engines.download.errors import InsecureEndpointError
from engines.settings import Settings

DEFAULT_ENDPOINT = "https://huggingface.co"
ALLOW_HTTP_ENV = "CANDEIA_ALLOW_HTTP"


def hub_endpoint(settings: Settings) -> str:
    """The setting wins, then HF_ENDPOINT (as huggingface_hub reads it), then huggingface.co."""
    value = settings.hf_endpoint or os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT
    return value.strip().rstrip("/")


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def http_allowed(settings: Settings) -> bool:
    return settings.allow_insecure_http or os.environ.get(ALLOW_HTTP_ENV, "").strip() in ("1", "true", "yes")


def check_transport(url: str, *, allow_http: bool) -> None:
    """Refuse anything but https, except http to a loopback address or with the user's explicit consent."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and (is_loopback(parts.hostname) or allow_http):
        return
    if parts.scheme == "http":
        raise InsecureEndpointError(
            f"{parts.scheme}://{parts.netloc} is plain http to another machine; use https, or allow it explicitly "
            f"with the 'allow_insecure_http' setting or {ALLOW_HTTP_ENV}=1"
        )
    raise InsecureEndpointError(f"'{url}' is not an http(s) address")


def origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    default = 443 if parts.scheme == "https" else 80
    return parts.scheme, (parts.hostname or "").lower(), parts.port or default
