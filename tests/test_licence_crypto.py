"""National cryptography of electronic seals, against the standards' own test vectors,
and the e-licence identifier's check character."""

import os
import random
import stat

import pytest
from gmssl.sm2 import CryptSM2
from stdnum.iso7064 import mod_37_36

from onewindow.licences import crypto
from onewindow.licences.identifier import MalformedIdentifier, build, mod_37_36_check, parse

# GB/T 32918.2-2016 Annex A (= GM/T 0003.2 Annex A): the Fp-256 example curve.
EXAMPLE_CURVE = {
    "p": "8542D69E4C044F18E8B92435BF6FF7DE457283915C45517D722EDB8B08F1DFC3",
    "a": "787968B4FA32C3FD2417842E73BBFEFF2F3C848B6831D7E0EC65228B3937E498",
    "b": "63E4C6D3B23B0C849CF84241484BFE48F61D59A5B16BA06E6E12D1DA27C5249A",
    "g": "421DEBD61B62EAB6746434EBC3CC315E32220B3BADD50BDC4C4E6C147FEDD43D"
    "0680512BCBB42C07D47349D2153B70C4E5D7FDFCBFA36EA1A85841B9E46E09A2",
    "n": "8542D69E4C044F18E8B92435BF6FF7DD297720630485628D5AE74EE7C32E79B7",
}
EXAMPLE_D = "128B2FA8BD433C6C068C8D803DFF79792A519A55171B1B650C23661D15897263"
EXAMPLE_PUBLIC = (
    "0AE4C7798AA0F119471BEE11825BE46202BB79E2A5844495E97C04FF4DF2548A"
    "7C0240F88F1CD4E16352A73C17B7F16F07353E53A176D684A9FE0C6BB798E857"
)
EXAMPLE_ID = b"ALICE123@YAHOO.COM"
EXAMPLE_ZA = "F4A38489E32B45B6F876E3AC2168CA392362DC8F23459C1D1146FC3DBFB7BC9A"
EXAMPLE_E = "B524F552CD82B8B028476E005C377FB19A87E6FC682D48BB5D42E3D9B9EFFE76"
EXAMPLE_K = "6CB28D99385C175C94F94E934817663FC176D925DD72B727260DBAAE1FB2F96F"
EXAMPLE_R = "40F1EC59F793D9F49E09DCEF49130D4194F79FB1EED2CAA55BACDB49C4E755D1"
EXAMPLE_S = "6FC6DAC32C5D5CF10C77DFB20F7C2EB667A457872FB09EC56327A67EC7DEEBE7"


def test_sm3_matches_the_gbt_32905_test_vectors():
    assert crypto.sm3_hex(b"abc") == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    assert crypto.sm3_hex(b"abcd" * 16) == "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"


def test_sm2_reproduces_the_gbt_32918_example_signature():
    table = {k: v.lower() for k, v in EXAMPLE_CURVE.items()}
    assert crypto.za(EXAMPLE_PUBLIC.lower(), EXAMPLE_ID, table).upper() == EXAMPLE_ZA
    e = crypto.sm3_hex(bytes.fromhex(EXAMPLE_ZA) + b"message digest").upper()
    assert e == EXAMPLE_E
    sm2 = CryptSM2(private_key=EXAMPLE_D.lower(), public_key="", ecc_table=table)
    sm2.public_key = EXAMPLE_PUBLIC.lower()
    assert sm2._kg(int(EXAMPLE_D, 16), table["g"]).upper() == EXAMPLE_PUBLIC
    signature = sm2.sign(bytes.fromhex(e), EXAMPLE_K.lower())
    assert signature.upper() == EXAMPLE_R + EXAMPLE_S
    assert sm2.verify(EXAMPLE_R + EXAMPLE_S, bytes.fromhex(e))
    assert not sm2.verify(EXAMPLE_R + EXAMPLE_S[:-1] + "8", bytes.fromhex(e))


def test_sm2_signature_round_trip_and_altered_message_fails():
    private, public = crypto.generate_keypair()
    assert crypto.public_key_problem(public) is None
    message = crypto.canonical_bytes({"持证主体": "张三", "n": 1})
    signature = crypto.sign(private, public, message)
    assert crypto.verify(public, message, signature)
    assert not crypto.verify(public, message.replace(b"1", b"2"), signature)
    assert not crypto.verify(crypto.generate_keypair()[1], message, signature)
    assert not crypto.verify(public, message, "0" * 64 + signature[64:])  # r out of range


def test_default_signer_identity_is_the_standards_1234567812345678():
    private, public = crypto.generate_keypair()
    message = b"licence"
    signature = crypto.sign(private, public, message)
    e = crypto.sm3_hex(bytes.fromhex(crypto.za(public)) + message)
    bare = CryptSM2(private_key=None, public_key="")
    bare.public_key = public
    assert bare.verify(signature, bytes.fromhex(e))


def test_public_keys_starting_with_0_or_4_still_verify():
    # gmssl strips "04" with str.lstrip, eating leading 0/4 digits of x; keys must survive it.
    for _ in range(200):
        private, public = crypto.generate_keypair()
        if public[0] in "04":
            break
    else:
        pytest.skip("no key with a leading 0/4 digit in 200 draws")
    assert crypto.verify(public, b"x", crypto.sign(private, public, b"x"))


def test_private_key_encryption_round_trip_and_wrong_kek_is_refused():
    private, _ = crypto.generate_keypair()
    kek = os.urandom(32)
    blob = crypto.encrypt_private_key(private, kek, "KEY1")
    assert private not in blob
    assert crypto.decrypt_private_key(blob, kek, "KEY1") == private
    with pytest.raises(crypto.SealKeyError, match="cannot be decrypted with the configured key-encryption key"):
        crypto.decrypt_private_key(blob, os.urandom(32), "KEY1")
    with pytest.raises(crypto.SealKeyError):
        crypto.decrypt_private_key(blob, kek, "KEY2")  # bound to its seal


def test_kek_is_generated_once_with_mode_600(tmp_path, monkeypatch):
    monkeypatch.delenv(crypto.KEK_ENV, raising=False)
    first = crypto.load_kek("", tmp_path)
    assert stat.S_IMODE((tmp_path / crypto.KEK_FILE).stat().st_mode) == 0o600
    assert crypto.load_kek("", tmp_path) == first


def test_kek_from_environment_wins_and_a_malformed_one_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv(crypto.KEK_ENV, "11" * 32)
    assert crypto.load_kek("22" * 32, tmp_path) == bytes.fromhex("11" * 32)
    monkeypatch.setenv(crypto.KEK_ENV, "not-hex")
    with pytest.raises(crypto.SealKeyError, match="ONEWINDOW_SEAL_KEK.*64 hexadecimal"):
        crypto.load_kek("", tmp_path)


def test_check_character_matches_python_stdnum_mod_37_36():
    assert mod_37_36_check("A12425GABC1234002") == "M"  # stdnum's documented example
    rnd = random.Random(7)
    for _ in range(500):
        payload = "".join(rnd.choice("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(rnd.randint(1, 60)))
        assert mod_37_36_check(payload) == mod_37_36.calc_check_digit(payload)


def test_identifier_follows_gbt_36904_and_its_check_covers_every_character_without_dots():
    ident = build("11100", "11369921102345608H", 42, 1)
    assert ident.startswith("1.2.156.3005.2.11100.11369921102345608H.000042.001.")
    assert mod_37_36.is_valid(ident.replace(".", ""))
    assert parse(ident).serial == 42


def test_identifier_with_a_wrong_check_character_is_refused_naming_it():
    ident = build("11100", "11369921102345608H", 1, 1)
    wrong = ident[:-1] + ("A" if ident[-1] != "A" else "B")
    with pytest.raises(MalformedIdentifier, match="check character is wrong"):
        parse(wrong)
    with pytest.raises(MalformedIdentifier, match="not an e-licence identifier"):
        parse("1.2.156.3005.2.abc")
