"""The certificate's encodings and key derivation against their specifications.

Expected values come from the specifications themselves, not from the code
under test: ZeroMQ RFC 32 (Z85) and RFC 7748 (X25519), section 5.2 and 6.1
test vectors, and independent implementations (a Montgomery ladder written
here from RFC 7748 section 5, and libzmq's ``curve_public``).
"""

from __future__ import annotations

import pytest
import zmq
from hypothesis import given, settings
from hypothesis import strategies as st

from flux_minicluster.broker.certificate import (
    certificate_text,
    keypair_from_secret,
    parse_certificate,
    public_key_for,
    z85,
    z85decode,
)

# ZeroMQ RFC 32, "Z85 character set": digit values 0..84 in this order.
Z85_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#"


def test_the_alphabet_as_written_has_85_distinct_characters() -> None:
    assert len(Z85_ALPHABET) == len(set(Z85_ALPHABET)) == 85


def z85_reference(data: bytes) -> str:
    """RFC 32, "Encoding": each 4 bytes, big-endian, as 5 base-85 digits, most significant first."""
    assert len(data) % 4 == 0
    out = []
    for start in range(0, len(data), 4):
        value = int.from_bytes(data[start : start + 4], "big")
        digits = []
        for _ in range(5):
            value, digit = divmod(value, 85)
            digits.append(Z85_ALPHABET[digit])
        out.extend(reversed(digits))
    return "".join(out)


def bytes_of_digits(digits: list[int]) -> bytes:
    """The bytes whose Z85 digits are ``digits``: each 5 digits make a 32-bit big-endian word."""
    out = b""
    for start in range(0, len(digits), 5):
        word = 0
        for digit in digits[start : start + 5]:
            word = word * 85 + digit
        out += word.to_bytes(4, "big")
    return out


def test_rfc32_example_hello_world() -> None:
    # RFC 32, "Test Case": 86 4F D2 6F B5 59 F7 5B encodes as HelloWorld.
    data = bytes([0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B])
    assert z85(data) == "HelloWorld"
    assert z85decode(b"HelloWorld") == data


def test_every_alphabet_character_encodes_its_own_digit() -> None:
    # Bytes whose 85 base-85 digits are 0, 1, ..., 84 in order encode as the
    # alphabet itself: 17 groups of 5 digits, 68 bytes.
    data = bytes_of_digits(list(range(85)))
    assert len(data) == 68
    # The first word is 0*85^4 + 1*85^3 + 2*85^2 + 3*85 + 4, worked by hand.
    assert data[:4] == (614125 + 2 * 7225 + 3 * 85 + 4).to_bytes(4, "big")
    assert z85(data) == Z85_ALPHABET
    assert z85decode(Z85_ALPHABET.encode()) == data


def test_largest_word_encodes_as_its_digits() -> None:
    # 2**32 - 1 = 82*85^4 + 23*85^3 + 54*85^2 + 12*85 + 0 (worked by hand): "%nSc0".
    digits = [82, 23, 54, 12, 0]
    assert bytes_of_digits(digits) == b"\xff\xff\xff\xff"
    assert z85(b"\xff\xff\xff\xff") == "".join(Z85_ALPHABET[d] for d in digits) == "%nSc0"


@given(st.binary(min_size=0, max_size=64).filter(lambda b: len(b) % 4 == 0))
def test_z85_agrees_with_the_rfc_algorithm_and_round_trips(data: bytes) -> None:
    assert z85(data) == z85_reference(data)
    assert z85decode(z85(data).encode()) == data


# RFC 7748 section 5: X25519 on Curve25519, written here independently.
P = 2**255 - 19
A24 = 121665


def decode_scalar(k: bytes) -> int:
    clamped = bytearray(k)
    clamped[0] &= 248
    clamped[31] &= 127
    clamped[31] |= 64
    return int.from_bytes(clamped, "little")


def x25519_reference(k: bytes, u: bytes) -> bytes:
    """The Montgomery ladder of RFC 7748 section 5, constant time not needed here."""
    scalar = decode_scalar(k)
    x1 = int.from_bytes(u, "little") & ((1 << 255) - 1)
    x2, z2, x3, z3, swap = 1, 0, x1, 1, 0
    for t in reversed(range(255)):
        bit = (scalar >> t) & 1
        swap ^= bit
        if swap:
            x2, x3, z2, z3 = x3, x2, z3, z2
        swap = bit
        a, b = (x2 + z2) % P, (x2 - z2) % P
        aa, bb = a * a % P, b * b % P
        e = (aa - bb) % P
        c, d = (x3 + z3) % P, (x3 - z3) % P
        da, cb = d * a % P, c * b % P
        x3 = (da + cb) ** 2 % P
        z3 = x1 * (da - cb) ** 2 % P
        x2 = aa * bb % P
        z2 = e * (aa + A24 * e) % P
    if swap:
        x2, z2 = x3, z3
    return (x2 * pow(z2, P - 2, P) % P).to_bytes(32, "little")


BASE_POINT = (9).to_bytes(32, "little")

# RFC 7748 section 6.1, Curve25519 Diffie-Hellman, as published.
ALICE_PRIVATE = bytes.fromhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
ALICE_PUBLIC = bytes.fromhex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
BOB_PRIVATE = bytes.fromhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")
BOB_PUBLIC = bytes.fromhex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
SHARED_SECRET = bytes.fromhex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")


def test_reference_ladder_reproduces_rfc7748_section_5_2_vector() -> None:
    scalar = bytes.fromhex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4")
    u = bytes.fromhex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c")
    expected = bytes.fromhex("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552")
    assert x25519_reference(scalar, u) == expected


def test_reference_ladder_reproduces_rfc7748_section_6_1() -> None:
    assert x25519_reference(ALICE_PRIVATE, BASE_POINT) == ALICE_PUBLIC
    assert x25519_reference(BOB_PRIVATE, BASE_POINT) == BOB_PUBLIC
    assert x25519_reference(ALICE_PRIVATE, BOB_PUBLIC) == SHARED_SECRET
    assert x25519_reference(BOB_PRIVATE, ALICE_PUBLIC) == SHARED_SECRET


@pytest.mark.parametrize(("private", "public"), [(ALICE_PRIVATE, ALICE_PUBLIC), (BOB_PRIVATE, BOB_PUBLIC)])
def test_certificate_keys_match_rfc7748_section_6_1(private: bytes, public: bytes) -> None:
    keys = keypair_from_secret(private)
    assert keys.secret_key == z85_reference(private)
    assert keys.public_key == z85_reference(public)
    assert z85decode(keys.public_key.encode()) == public
    assert public_key_for(z85_reference(private)) == z85_reference(public)


def test_certificate_text_carries_the_rfc_keys_and_parses_back() -> None:
    text = certificate_text(ALICE_PRIVATE, "lammps-0")
    assert f'    public-key = "{z85_reference(ALICE_PUBLIC)}"' in text.splitlines()
    assert f'    secret-key = "{z85_reference(ALICE_PRIVATE)}"' in text.splitlines()
    parsed = parse_certificate(text)
    assert parsed.keys.public_key == z85_reference(ALICE_PUBLIC)


def test_a_certificate_whose_public_key_is_bob_s_is_refused_for_alice_s_secret() -> None:
    text = certificate_text(ALICE_PRIVATE, "lammps-0").replace(z85_reference(ALICE_PUBLIC), z85_reference(BOB_PUBLIC))
    with pytest.raises(ValueError, match="does not belong"):
        parse_certificate(text)


@settings(max_examples=60, deadline=None)
@given(st.binary(min_size=32, max_size=32))
def test_public_key_agrees_with_independent_x25519(secret: bytes) -> None:
    public = keypair_from_secret(secret).public_key
    assert public == z85_reference(x25519_reference(secret, BASE_POINT))
    # libzmq's own derivation, what a Flux broker's ZeroMQ computes.
    if zmq.has("curve"):
        assert zmq.curve_public(z85_reference(secret).encode()).decode() == public
