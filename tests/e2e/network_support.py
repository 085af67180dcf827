"""An institution's network on loopback: a local CA, the collector behind Caddy with a certificate
only that CA vouches for, a real forward proxy (tinyproxy), and a "system" trust store that is a
temporary folder (``SSL_CERT_FILE``/``SSL_CERT_DIR`` in the child's environment: the machine's own
store is never touched)."""

from __future__ import annotations

import datetime
import ipaddress
import shutil
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

from e2e.e2e_support import free_port, require

__all__ = ["LocalCA", "Proxy", "TlsFront", "system_store"]


class LocalCA:
    """A root CA made for one test, and a server certificate for ``localhost``/127.0.0.1."""

    def __init__(self, folder: Path, name: str = "Facility inspection CA") -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        folder.mkdir(parents=True, exist_ok=True)
        now = datetime.datetime.now(datetime.UTC)
        ca_key, key = (
            ec.generate_private_key(ec.SECP256R1()),
            ec.generate_private_key(ec.SECP256R1()),
        )
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        ca = (
            x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
            .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                         False), critical=True)
            .sign(ca_key, hashes.SHA256())
        )  # fmt: skip
        names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        leaf = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .sign(ca_key, hashes.SHA256())
        )  # fmt: skip
        pem = serialization.Encoding.PEM
        self.ca = folder / "ca.pem"
        self.ca.write_bytes(ca.public_bytes(pem))
        self.cert = folder / "server.pem"
        self.cert.write_bytes(leaf.public_bytes(pem))
        self.key = folder / "server.key"
        self.key.write_bytes(
            key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        )


def system_store(folder: Path, *certificates: Path) -> dict[str, str]:
    """Environment variables that make *folder* this process's system trust store on Linux
    (OpenSSL's default verify paths), holding *certificates* and nothing else."""
    folder.mkdir(parents=True, exist_ok=True)
    bundle = folder / "system-store.pem"
    bundle.write_bytes(b"".join(c.read_bytes() for c in certificates))
    certs = folder / "certs"
    certs.mkdir(exist_ok=True)
    return {"SSL_CERT_FILE": str(bundle), "SSL_CERT_DIR": str(certs)}


def _wait_for(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    for _ in range(300):
        if proc.poll() is not None:
            break
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError(log.read_text())


class _Process:
    """A helper server process on a free port of 127.0.0.1."""

    port: int
    _proc: subprocess.Popen[bytes]

    def _start(self, cmd: list[str], log: Path, env: dict[str, str]) -> None:
        self._out = log.open("wb")
        self._proc = subprocess.Popen(cmd, stdout=self._out, stderr=subprocess.STDOUT, env=env)
        _wait_for(self.port, self._proc, log)

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(20)
            except subprocess.TimeoutExpired:
                self._proc.kill()
        self._out.close()


class TlsFront(_Process):
    """Caddy serving ``https://localhost:<port>`` with the CA's certificate, in front of the
    collector at *upstream* (the shape of the shipped Caddyfile, one host for every level)."""

    def __init__(self, folder: Path, upstream: str, ca: LocalCA) -> None:
        binary = shutil.which("caddy")
        require(binary is not None, "caddy is missing: install the Debian package caddy")
        folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"https://localhost:{self.port}"
        config = folder / "Caddyfile"
        config.write_text(
            "{\n\tadmin off\n\tauto_https disable_redirects\n\tskip_install_trust\n}\n"
            f"https://localhost:{self.port}, https://127.0.0.1:{self.port} {{\n"
            f"\ttls {ca.cert} {ca.key}\n"
            f"\treverse_proxy {upstream.removeprefix('http://')}\n}}\n"
        )
        env = {"PATH": "/usr/bin:/bin", "HOME": str(folder), "XDG_DATA_HOME": str(folder),
               "XDG_CONFIG_HOME": str(folder)}  # fmt: skip
        self.log = folder / "caddy.log"
        cmd = [str(binary), "run", "--config", str(config), "--adapter", "caddyfile"]
        self._start(cmd, self.log, env)

    def __enter__(self) -> TlsFront:
        return self


class Proxy(_Process):
    """tinyproxy on 127.0.0.1: a real forward proxy (plain HTTP and CONNECT tunnels)."""

    def __init__(self, folder: Path) -> None:
        binary = shutil.which("tinyproxy")
        require(binary is not None, "tinyproxy is missing: install the Debian package tinyproxy")
        folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / "tinyproxy.log"
        config = folder / "tinyproxy.conf"
        config.write_text(
            f"Port {self.port}\nListen 127.0.0.1\nAllow 127.0.0.1\nTimeout 30\n"
            f'LogFile "{self.log}"\nLogLevel Connect\nMaxClients 20\n'
        )  # no ConnectPort line: CONNECT to any port (the collector's is a free one)
        self._start([str(binary), "-d", "-c", str(config)], folder / "stdout.log", {})

    def __enter__(self) -> Proxy:
        return self

    def requests(self) -> int:
        """Requests the proxy handled (its log's request lines)."""
        text = self.log.read_text() if self.log.exists() else ""
        return sum("Request (file descriptor" in line for line in text.splitlines())
