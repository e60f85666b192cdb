"""The address rules, as a table: Spanish postcodes and provinces, EU postcodes, phones."""

from __future__ import annotations

from typing import Any

import pytest

from ventanilla.orders.address_rules import (
    PROVINCES,
    check_address,
    fold,
    normalise_phone,
    province_for_postcode,
)


def address(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "Lucía García",
        "line1": "Calle Mayor 3",
        "line2": "",
        "postcode": "28013",
        "city": "Madrid",
        "region": "",
        "country": "ES",
        "phone": "",
    }
    values.update(overrides)
    return values


class TestSpanishProvinces:
    def test_the_table_has_the_52_provinces(self) -> None:
        assert sorted(PROVINCES) == [f"{n:02d}" for n in range(1, 53)]

    @pytest.mark.parametrize(
        ("postcode", "province"),
        [
            ("01001", "Araba/Álava"),
            ("08001", "Barcelona"),
            ("15001", "A Coruña"),
            ("28013", "Madrid"),
            ("35001", "Las Palmas"),
            ("38001", "Santa Cruz de Tenerife"),
            ("48001", "Bizkaia"),
            ("51001", "Ceuta"),
            ("52001", "Melilla"),
        ],
    )
    def test_the_postcode_names_its_province(self, postcode: str, province: str) -> None:
        assert province_for_postcode(postcode) == province

    @pytest.mark.parametrize(
        ("postcode", "typed", "stored"),
        [
            ("48001", "Vizcaya", "Bizkaia"),
            ("48001", "BIZKAIA", "Bizkaia"),
            ("48001", "País Vasco", "Bizkaia"),
            ("01001", "alava", "Araba/Álava"),
            ("01001", "Araba", "Araba/Álava"),
            ("15001", "La Coruña", "A Coruña"),
            ("15001", "a coruna", "A Coruña"),
            ("17001", "Gerona", "Girona"),
            ("25001", "Lérida", "Lleida"),
            ("07001", "Baleares", "Illes Balears"),
            ("46001", "Valencia", "Valencia/València"),
            ("03001", "Alacant", "Alicante/Alacant"),
            ("41001", "Andalucía", "Sevilla"),
            ("08001", "Catalunya", "Barcelona"),
            ("28013", "Comunidad de Madrid", "Madrid"),
            ("38001", "Tenerife", "Santa Cruz de Tenerife"),
            ("28013", "", "Madrid"),  # missing: filled in from the postcode
        ],
    )
    def test_spellings_are_accepted_and_stored_as_the_province(
        self, postcode: str, typed: str, stored: str
    ) -> None:
        checked = check_address(address(postcode=postcode, region=typed))
        assert checked.errors == {}
        assert checked.address is not None and checked.address.region == stored

    @pytest.mark.parametrize(
        ("postcode", "typed"),
        [("48001", "Madrid"), ("28013", "Barcelona"), ("08001", "Andalucía"), ("28013", "Narnia")],
    )
    def test_a_province_other_than_the_postcodes_is_refused_on_the_region(
        self, postcode: str, typed: str
    ) -> None:
        checked = check_address(address(postcode=postcode, region=typed))
        assert checked.address is None
        problem = checked.errors["region"]
        assert problem.kind == "region_mismatch"
        assert problem.params["province"] == province_for_postcode(postcode)
        assert typed in problem.text() and postcode in problem.text()

    @pytest.mark.parametrize(
        ("postcode", "kind"),
        [
            ("281", "postcode_format"),
            ("280133", "postcode_format"),
            ("28O13", "postcode_format"),
            ("ABCDE", "postcode_format"),
            ("00123", "postcode_unknown"),
            ("53001", "postcode_unknown"),
            ("99999", "postcode_unknown"),
        ],
    )
    def test_bad_spanish_postcodes_are_refused(self, postcode: str, kind: str) -> None:
        checked = check_address(address(postcode=postcode))
        assert checked.address is None and checked.errors["postcode"].kind == kind

    @pytest.mark.parametrize(
        ("typed", "region", "stored"),
        [
            ("8001", "Barcelona", "08001"),  # a spreadsheet dropped the leading zero
            ("8001", "", "08001"),
            (" 8 001 ", "Cataluña", "08001"),
            ("１５００１", "", "15001"),  # full-width digits from a phone keyboard
            ("7001", "Illes Balears", "07001"),
        ],
    )
    def test_four_digit_spanish_postcodes_get_their_leading_zero(
        self, typed: str, region: str, stored: str
    ) -> None:
        checked = check_address(address(postcode=typed, region=region, city="X"))
        assert checked.address is not None and checked.address.postcode == stored

    def test_a_padded_postcode_must_still_match_the_province(self) -> None:
        checked = check_address(address(postcode="8001", region="Madrid"))
        assert checked.errors["region"].kind == "region_mismatch"

    def test_spaces_in_a_spanish_postcode_are_dropped(self) -> None:
        checked = check_address(address(postcode=" 28 013 "))
        assert checked.address is not None and checked.address.postcode == "28013"

    def test_fold_ignores_case_accents_and_punctuation(self) -> None:
        assert fold("  Castellón/Castelló ") == fold("castellon castello")
        assert fold("ÁLAVA") == "alava"


class TestOtherCountries:
    @pytest.mark.parametrize(
        ("country", "typed", "stored"),
        [
            ("FR", "75001", "75001"),
            ("DE", "10115", "10115"),
            ("PT", "1100148", "1100-148"),
            ("PT", "1100-148", "1100-148"),
            ("NL", "1012ab", "1012 AB"),
            ("PL", "00950", "00-950"),
            ("IE", "d02x285", "D02 X285"),
            ("CZ", "11000", "110 00"),
            ("LU", "1009", "L-1009"),
            ("it", "00184", "00184"),
        ],
    )
    def test_eu_postcodes_are_checked_and_written_the_local_way(
        self, country: str, typed: str, stored: str
    ) -> None:
        checked = check_address(address(country=country, postcode=typed, city="X"))
        assert checked.errors == {}
        assert checked.address is not None
        assert checked.address.postcode == stored
        assert checked.address.country == country.upper()
        assert checked.address.region is None  # no province lookup outside Spain

    @pytest.mark.parametrize(
        ("country", "typed"), [("FR", "7500"), ("DE", "ABCDE"), ("PT", "11001"), ("NL", "AB 1012")]
    )
    def test_eu_postcodes_of_the_wrong_shape_are_refused_with_an_example(
        self, country: str, typed: str
    ) -> None:
        checked = check_address(address(country=country, postcode=typed))
        problem = checked.errors["postcode"]
        assert problem.kind == "postcode_format" and problem.params["example"]

    def test_countries_outside_the_eu_are_refused(self) -> None:
        checked = check_address(address(country="US", postcode="10001"))
        assert checked.errors["country"].kind == "country_not_served"

    def test_the_orders_own_country_may_be_allowed_beyond_the_eu(self) -> None:
        checked = check_address(address(country="GB", postcode="SW1A 1AA"), also_allow=["GB"])
        assert checked.address is not None and checked.address.postcode == "SW1A 1AA"

    @pytest.mark.parametrize("country", ["", "E", "ESP", "1A"])
    def test_a_country_must_be_an_alpha_2_code(self, country: str) -> None:
        assert "country" in check_address(address(country=country)).errors


class TestPhones:
    @pytest.mark.parametrize(
        ("typed", "country", "e164"),
        [
            ("600 111 222", "ES", "+34600111222"),
            ("+34 600-111-222", "ES", "+34600111222"),
            ("0034 600 111 222", "ES", "+34600111222"),
            ("91 123 45 67", "ES", "+34911234567"),
            ("06 12 34 56 78", "FR", "+33612345678"),
            ("+33 6 12 34 56 78", "ES", "+33612345678"),
            ("030 1234567", "DE", "+49301234567"),
        ],
    )
    def test_phones_are_normalised_to_e164_in_the_addresss_country(
        self, typed: str, country: str, e164: str
    ) -> None:
        assert normalise_phone(typed, country) == (e164, None)

    @pytest.mark.parametrize("typed", ["12", "abc", "600 111", "+34 123", "6001112223333"])
    def test_numbers_nobody_can_call_are_refused_with_an_example(self, typed: str) -> None:
        phone, problem = normalise_phone(typed, "ES")
        assert phone is None and problem is not None and problem.params["example"].startswith("+34")

    def test_the_phone_is_optional(self) -> None:
        checked = check_address(address(phone=""))
        assert checked.address is not None and checked.address.phone is None


class TestFields:
    @pytest.mark.parametrize("field", ["name", "line1", "postcode", "city", "country"])
    def test_required_fields_say_what_is_missing(self, field: str) -> None:
        checked = check_address(address(**{field: "   "}))
        assert checked.errors[field].kind == "missing"

    def test_every_problem_is_reported_at_once(self) -> None:
        checked = check_address(address(name="", line1="", postcode="1", phone="x"))
        assert set(checked.errors) == {"name", "line1", "postcode", "phone"}

    def test_text_is_trimmed_and_inner_spaces_collapsed(self) -> None:
        checked = check_address(address(name="  Lucía   García ", line2="  2º  A "))
        assert checked.address is not None
        assert (checked.address.name, checked.address.line2) == ("Lucía García", "2º A")

    def test_control_characters_are_refused(self) -> None:
        checked = check_address(address(line1="Calle\x00Mayor"))
        assert checked.errors["line1"].kind == "control_characters"

    def test_too_long_values_are_refused_with_the_limit(self) -> None:
        checked = check_address(address(city="x" * 101))
        assert checked.errors["city"].kind == "too_long"
        assert checked.errors["city"].params == {"max": "100"}

    def test_whatever_is_typed_comes_back_to_show_the_form_again(self) -> None:
        checked = check_address(address(postcode="2801", city=" Madrid "))
        assert checked.values["postcode"] == "2801" and checked.values["city"] == "Madrid"
