"""The CURVE certificate: Z85 and X25519 against published vectors, and the
ZCert rules a Flux broker enforces (FACTS.md section 8)."""

from __future__ import annotations

import pytest

from flux_minicluster.broker.certificate import (
    certificate_text,
    keypair_from_secret,
    parse_certificate,
    public_key_for,
    z85,
)

# RFC 7748 section 6.1, Alice's X25519 keypair.
RFC7748_SECRET = bytes.fromhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
RFC7748_PUBLIC = bytes.fromhex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")


def test_z85_matches_the_zeromq_rfc32_test_vector() -> None:
    assert z85(bytes([0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B])) == "HelloWorld"


def test_keypair_matches_rfc7748_vector() -> None:
    keys = keypair_from_secret(RFC7748_SECRET)
    assert keys.secret_key == z85(RFC7748_SECRET)
    assert keys.public_key == z85(RFC7748_PUBLIC)
    assert len(keys.public_key) == len(keys.secret_key) == 40


def test_same_secret_gives_same_certificate() -> None:
    # The stored secret alone decides the certificate: an update that keeps
    # it keeps every broker's certificate, and a new secret changes it.
    assert certificate_text(RFC7748_SECRET, "lammps-0") == certificate_text(bytes(RFC7748_SECRET), "lammps-0")
    other = bytes(b ^ 1 for b in RFC7748_SECRET)
    assert certificate_text(other, "lammps-0") != certificate_text(RFC7748_SECRET, "lammps-0")


def test_secret_must_be_32_bytes() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        keypair_from_secret(b"short")


def test_generated_certificate_has_zcert_layout() -> None:
    text = certificate_text(RFC7748_SECRET, "lammps-0")
    lines = text.splitlines()
    assert "metadata" in lines and "curve" in lines
    assert '    name = "flux-cert-generator"' in lines
    assert '    keygen.hostname = "lammps-0"' in lines
    parsed = parse_certificate(text)
    assert parsed.keys.public_key == public_key_for(parsed.keys.secret_key)
    assert all(len(line) <= 255 for line in lines)


def _cert(metadata: str = '    name = "flux-cert-generator"\n', curve: str | None = None) -> str:
    keys = keypair_from_secret(RFC7748_SECRET)
    if curve is None:
        curve = f'    public-key = "{keys.public_key}"\n    secret-key = "{keys.secret_key}"\n'
    return f"metadata\n{metadata}curve\n{curve}"


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        (_cert(metadata='    keygen.hostname = "x-0"\n'), "no name"),
        (_cert(metadata='    name = "x"\n    na_me = "x"\n'), "only letters"),
        (_cert(metadata='    name = "flux_cert"\n'), "may not contain"),
        (_cert(metadata='    name = "it\'s"\n'), "may not contain"),
        (_cert(metadata='  name = "x"\n'), "four spaces"),
        (_cert(metadata="    name = x\n"), 'key = "value"'),
        (_cert(curve='    public-key = "abc"\n    secret-key = "abc"\n'), "40 Z85"),
        (_cert(curve=f'    public-key = "{"0" * 40}"\n    secret-key = "{z85(RFC7748_SECRET)}"\n'), "does not belong"),
        (_cert(curve=f'    public-key = "{"0" * 40}"\n'), "no secret-key"),
        (_cert() + "extra\n", "unknown section"),
        (_cert(metadata='    name = "' + "a" * 300 + '"\n'), "longer than 255"),
        ("curve\n", "no metadata"),
    ],
)
def test_broker_rejected_certificates_are_refused(text: str, rule: str) -> None:
    with pytest.raises(ValueError, match=rule):
        parse_certificate(text)
