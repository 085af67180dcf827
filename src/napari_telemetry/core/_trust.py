"""Which certificates an upload trusts: an explicit bundle, else the system's store, else certifi.

Institutions that inspect HTTPS install their own root CA in the operating system's trust store.
``requests`` alone verifies against certifi's bundle and so fails there; pip moved to the system
store (``truststore``) for this reason, and so does this plugin. In order:

1. ``REQUESTS_CA_BUNDLE`` (or ``CURL_CA_BUNDLE``), as every ``requests`` program reads them;
2. the site policy's ``ca_bundle`` (a file or folder of PEM certificates; relative to the
   policy file), for every user of an installation;
3. the operating system's trust store, through ``truststore`` (on Linux: OpenSSL's default
   verify paths, which ``SSL_CERT_FILE`` and ``SSL_CERT_DIR`` move);
4. certifi's bundle, where the system has no store (a bare container) or truststore cannot load.

``truststore`` is imported only when a request is made, like ``requests``.
"""

from __future__ import annotations

import functools
import logging
import os
import ssl
import sys
from dataclasses import dataclass

from . import _switches

log = logging.getLogger("napari_telemetry")
ENV_BUNDLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
# Where truststore itself looks on Linux when OpenSSL's defaults are empty (its _openssl.py).
_LINUX_BUNDLES = (
    "/etc/ssl/cert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/pki/tls/cert.pem",
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/ssl/ca-bundle.pem",
)


@dataclass(frozen=True)
class Trust:
    """The certificates one request verifies the server with."""

    source: str  # "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "site policy", "system", "certifi"
    bundle: str | None = None  # a PEM file or folder (explicit sources and certifi)

    @property
    def verify(self) -> bool | str:
        """``requests``' ``verify``: the bundle, or True with the system context."""
        return self.bundle if self.bundle is not None else True

    def words(self) -> str:
        """What a user reads: where the trusted certificates come from."""
        if self.source == "system":
            return "the operating system's trust store (truststore)"
        if self.source == "certifi":
            return "certifi's bundle (this computer has no trust store of its own)"
        return f"the CA bundle named by {self.source}"


def choose() -> Trust:
    """The trust the next request uses; reads the environment and the policy every time."""
    for name in ENV_BUNDLES:
        value = os.environ.get(name, "").strip()
        if value:
            return Trust(name, value)
    policy = _switches.policy()
    if policy.ca_bundle:
        return Trust("site policy", policy.ca_bundle)
    if system_context() is not None:
        return Trust("system")
    return Trust("certifi", _certifi_bundle())


def system_context() -> ssl.SSLContext | None:
    """An SSL context over the system's store, or None where there is none to use."""
    if not _system_store():
        return None
    return _truststore_context()


@functools.cache
def _truststore_context() -> ssl.SSLContext | None:
    try:
        import truststore  # with requests: only when a request is made
    except ImportError:  # truststore needs Python >= 3.10 and a platform it knows
        log.debug("truststore is unavailable; certifi's bundle is used", exc_info=True)
        return None
    context: ssl.SSLContext = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    return context


def _system_store() -> bool:
    """Whether the system has certificates to trust (macOS and Windows always do)."""
    if sys.platform in ("darwin", "win32"):
        return True
    paths = ssl.get_default_verify_paths()
    if paths.cafile or (paths.capath and _holds_certificates(paths.capath)):
        return True
    return any(os.path.isfile(path) for path in _LINUX_BUNDLES)


def _holds_certificates(folder: str) -> bool:
    try:
        return any(name[:8].isalnum() and name[8:9] == "." for name in os.listdir(folder))
    except OSError:
        return False


def _certifi_bundle() -> str:
    import certifi  # with requests: only when a request is made

    bundle: str = certifi.where()
    return bundle
