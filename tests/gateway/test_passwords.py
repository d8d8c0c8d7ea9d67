"""services/gateway/passwords.py: the NIST SP 800-63B rules for a new password."""
import pytest

from services.gateway import passwords


@pytest.mark.parametrize("password", ["password", "12345678", "qwerty123", "iloveyou", "Password1!", "p@ssw0rd",
                                      "bismillah", "sayang123", "123456789", "football"])
def test_common_and_breached_passwords_are_refused(password):
    assert passwords.problem(password) in (passwords.COMMON, passwords.TRIVIAL)


def test_the_shipped_list_is_the_large_one():
    assert len(passwords.common_passwords()) >= 30_000
    assert {"password", "12345678", "sayang"} <= passwords.common_passwords()


@pytest.mark.parametrize("password", ["aaaaaaaa", "abababab", "123123123", "abcdefgh", "87654321", "qwertyui",
                                      "asdfghjkl", "1qaz2wsx", "ZZZZZZZZZZ"])
def test_repetitive_or_sequential_passwords_are_refused(password):
    assert passwords.problem(password) == passwords.TRIVIAL


@pytest.mark.parametrize("password", ["wa.ode@example.com", "waode2024", "Sitti1990!", "wa.ode123", "etalase2026",
                                      "kendari!!"])
def test_the_account_own_email_or_name_or_the_service_name_with_a_little_added_is_refused(password):
    assert passwords.problem(password, "wa.ode@example.com", "Wa Ode Sitti") in (passwords.PERSONAL, passwords.COMMON)


@pytest.mark.parametrize("password", ["kain-tenun-123", "kopi susu gula aren", "Sitti suka tenun Muna", "Пароль-сложный",
                                      "x7#Lq9!vR2", "a" * 7 + "b", "tenun" * 51 + "x"])
def test_other_passwords_of_8_to_256_characters_pass_without_composition_rules(password):
    assert passwords.problem(password, "wa.ode@example.com", "Wa Ode Sitti") is None


def test_length_limits_have_their_own_messages():
    assert passwords.problem("kopi12") == "Kata sandi minimal 8 karakter."
    assert passwords.problem("tenun muna " * 30) == \
        "Kata sandi maksimal 256 karakter; pakai kalimat sandi yang lebih pendek."


def test_length_is_counted_after_nfkc():
    assert passwords.normalize("ｋｏｐｉ１２３４") == "kopi1234"  # full-width
    assert passwords.problem("ｐａｓｓｗｏｒｄ") == passwords.COMMON


@pytest.mark.parametrize("password", ["kain\x00tenun1", "kain\ttenun1", "kain\ud800tenun1"])
def test_control_characters_and_lone_surrogates_are_refused(password):
    assert passwords.problem(password) == passwords.UNSAFE
