"""Which access token a download server may see.

The token huggingface_hub finds (HF_TOKEN, or `hf auth login`) belongs to huggingface.co and is
sent there only. Any other server (a mirror) gets the token the user saved for that server's
address in the settings (`hub_tokens`), or none. Redirects to another origin never carry a
token (transfer.py drops it).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from engines.settings import Settings

HUGGING_FACE_HOSTS = {"huggingface.co", "hf.co"}


def endpoint_key(endpoint: str) -> str:
    """The address a saved token belongs to: scheme, host and port in lower case, path kept, no trailing '/'."""
    parts = urlsplit(endpoint.strip())
    host = (parts.hostname or "").lower()
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return f"{parts.scheme.lower()}://{netloc}{parts.path.rstrip('/')}"


def is_hugging_face(endpoint: str) -> bool:
    parts = urlsplit(endpoint.strip())
    return (parts.scheme == "https" and (parts.hostname or "").lower() in HUGGING_FACE_HOSTS
            and parts.port in (None, 443))


def saved_token(settings: Settings, endpoint: str) -> str | None:
    key = endpoint_key(endpoint)
    for address, token in settings.hub_tokens.items():
        if token.strip() and endpoint_key(address) == key:
            return token.strip()
    return None


def token_for(endpoint: str, settings: Settings, explicit: str | bool | None = None) -> str | bool:
    """The token to send to `endpoint`, or False for none (False also stops huggingface_hub from finding one)."""
    if explicit is False:
        return False
    if isinstance(explicit, str) and explicit:
        return explicit  # handed over for this download by its caller
    token = saved_token(settings, endpoint)
    if token is None and is_hugging_face(endpoint):
        from huggingface_hub import get_token

        token = get_token()
    return token or False
