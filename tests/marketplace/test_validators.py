import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from marketplace.validators import (
    CREDIT_CODE_CHARSET,
    credit_code_check_char,
    credit_code_make,
    validate_credit_code,
)

# Published codes of real legal entities, used as known-good inputs.
REAL_CODES = ["91350100M000100Y43", "91110000600037341L"]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_credit_codes_are_accepted(code):
    """Codes printed on real business licences pass validation."""
    validate_credit_code(code)


@pytest.mark.parametrize(
    ("code", "error_code", "fragment"),
    [
        ("9135010", "credit_code_length", "18位"),
        ("91350100M000100Y4O", "credit_code_chars", "O"),
        ("B1350100M000100Y43", "credit_code_authority", "第1位"),
        ("5A350100M000100Y43", "credit_code_category", "第2位"),
        ("5135A100M000100Y43", "credit_code_region", "行政区划"),
        ("91350100M000100Y44", "credit_code_checksum", "应为“3”"),
    ],
)
def test_invalid_credit_codes_name_the_problem(code, error_code, fragment):
    """Each kind of mistake gets its own error, naming what is wrong in Chinese."""
    with pytest.raises(ValidationError) as raised:
        validate_credit_code(code)
    assert raised.value.code == error_code
    assert fragment in str(raised.value.message % raised.value.params)


@given(
    prefix=st.sampled_from(["51", "52", "53", "11", "12"]),
    region=st.sampled_from(["320508", "320585", "320106"]),
    serial=st.integers(min_value=0, max_value=99_999_999),
)
def test_made_codes_validate(prefix, region, serial):
    """Every code built by credit_code_make passes the validator."""
    validate_credit_code(credit_code_make(prefix, region, serial))


@given(
    serial=st.integers(min_value=0, max_value=99_999_999),
    position=st.integers(min_value=2, max_value=16),
    replacement=st.sampled_from(CREDIT_CODE_CHARSET),
)
def test_any_single_character_change_is_caught(serial, position, replacement):
    """Changing one character of the body (keeping it well-formed) breaks the check character."""
    code = credit_code_make("52", "320508", serial)
    if position < 8 and not replacement.isdigit():
        replacement = "7"
    if code[position] == replacement:
        return
    changed = code[:position] + replacement + code[position + 1 :]
    with pytest.raises(ValidationError) as raised:
        validate_credit_code(changed)
    assert raised.value.code == "credit_code_checksum"


@given(st.text(alphabet=CREDIT_CODE_CHARSET, min_size=17, max_size=17))
def test_check_char_is_in_charset_and_round_trips(first17):
    """The check character is a legal character that makes the weighted sum divisible by 31."""
    char = credit_code_check_char(first17)
    assert char in CREDIT_CODE_CHARSET
    weighted = sum(CREDIT_CODE_CHARSET.index(c) * pow(3, i, 31) for i, c in enumerate(first17))
    assert (weighted + CREDIT_CODE_CHARSET.index(char)) % 31 == 0
