"""``archive serve`` speaks HTTPS with [web] tls_cert / tls_key (issue 30): a real server process, a self-signed
certificate made in the test; a wrong key or a missing file stops it with one Chinese line before it listens."""

from __future__ import annotations

import datetime as dt
import os
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli, write_config


def _cert(folder: Path, name: str = "server") -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    import ipaddress

    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .sign(key, hashes.SHA256()))
    c, k = folder / f"{name}.crt", folder / f"{name}.key"
    c.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    k.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))
    return c, k


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _config(tmp_path: Path, cert: Path, key: Path) -> Path:
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    text = text.replace("[web]", f'[web]\ntls_cert = "{cert}"\ntls_key = "{key}"', 1) if "[web]" in text else \
        text + f'\n[web]\ntls_cert = "{cert}"\ntls_key = "{key}"\n'
    return write_config(tmp_path, text=text)


def test_serve_answers_over_https_with_the_configured_certificate(tmp_path):
    cert, key = _cert(tmp_path)
    cfg_path = _config(tmp_path, cert, key)
    assert run_cli(cfg_path, "init").returncode == 0
    port = _port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    log = tmp_path / "serve.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "archive", "--config", str(cfg_path), "serve", "--port",
                                 str(port)], stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        ctx = ssl.create_default_context(cafile=str(cert))  # trusts exactly the test's certificate
        page, why = None, None
        for _ in range(600):  # up once the login page answers (a bound, not a timing: the server may be slow)
            if proc.poll() is not None:
                break
            try:
                page = urllib.request.urlopen(f"https://127.0.0.1:{port}/login", context=ctx, timeout=10).read()
                break
            except ssl.SSLError as e:  # the server answered with TLS we cannot accept: no point waiting
                why = e
                break
            except OSError as e:
                why = e
                time.sleep(0.2)
        assert page is not None, (why, log.read_text())
        assert "发文字号" in page.decode("utf-8")  # the page itself (no accounts yet: this machine only)
        with pytest.raises(OSError):  # plain HTTP on that port is not served
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5).read()
        assert "https://127.0.0.1" in log.read_text(encoding="utf-8")
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def test_a_key_that_does_not_match_or_a_missing_file_stops_serve_with_one_line(tmp_path):
    cert, _ = _cert(tmp_path, "a")
    _, other_key = _cert(tmp_path, "b")
    cfg_path = _config(tmp_path, cert, other_key)
    r = run_cli(cfg_path, "serve", "--port", str(_port()))
    assert r.returncode == 2 and "无法使用" in r.stderr and "Traceback" not in r.stderr, r.stderr
    cfg_path = _config(tmp_path, tmp_path / "没有.crt", other_key)
    r = run_cli(cfg_path, "serve", "--port", str(_port()))
    assert r.returncode == 2 and "不存在" in r.stderr, r.stderr
