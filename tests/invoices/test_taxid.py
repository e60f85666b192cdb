"""Tax ids for a full invoice: Spanish NIF/NIE/CIF and EU VAT numbers (python-stdnum)."""

from __future__ import annotations

import pytest

from ventanilla.core import i18n
from ventanilla.invoices.taxid import check_tax_id


class TestValidTaxIds:
    @pytest.mark.parametrize(
        ("value", "compact", "kind", "country"),
        [
            ("12345678Z", "12345678Z", "dni", "ES"),
            ("12.345.678-z", "12345678Z", "dni", "ES"),
            ("X-1234567-L", "X1234567L", "nie", "ES"),
            ("B12345674", "B12345674", "cif", "ES"),
            ("ES B1234567 4", "B12345674", "cif", "ES"),
            ("ES12345678Z", "12345678Z", "dni", "ES"),
            ("DE 136 695 976", "DE136695976", "eu_vat", "DE"),
            ("FR40303265045", "FR40303265045", "eu_vat", "FR"),
            ("PT501964843", "PT501964843", "eu_vat", "PT"),
            ("EL094259216", "EL094259216", "eu_vat", "GR"),
        ],
    )
    def test_accepted_compacted_with_kind_and_country(
        self, value: str, compact: str, kind: str, country: str
    ) -> None:
        result = check_tax_id(value)
        assert result.ok
        assert result.tax_id is not None
        assert (result.tax_id.compact, result.tax_id.kind, result.tax_id.country) == (
            compact,
            kind,
            country,
        )


class TestRefusedTaxIds:
    @pytest.mark.parametrize(
        ("value", "code"),
        [
            ("", "tax_id_missing"),
            ("  - ", "tax_id_missing"),
            ("12345678A", "tax_id_check_digit"),  # the DNI letter is Z
            ("B12345675", "tax_id_check_digit"),
            ("X1234567A", "tax_id_check_digit"),
            ("DE136695977", "tax_id_check_digit"),
            ("1234567", "tax_id_format"),
            ("B1234567", "tax_id_format"),
            ("FR4030326504", "tax_id_format"),
            ("GB123456789", "tax_id_not_eu"),  # no longer in the EU
            ("US12345", "tax_id_not_eu"),
            ("9" * 40, "tax_id_too_long"),
        ],
    )
    def test_refused_with_a_code(self, value: str, code: str) -> None:
        result = check_tax_id(value)
        assert not result.ok and result.tax_id is None
        assert result.decision.reason_code == code

    def test_every_refusal_is_explained_in_spanish_and_english_with_what_to_do(self) -> None:
        for value in ("", "12345678A", "1234567", "GB123456789", "FR4030326504", "9" * 40):
            decision = check_tax_id(value).decision
            params = dict(decision.params)
            with i18n.using_locale("en"):
                english = i18n.gettext(decision.message, **params)
            with i18n.using_locale("es"):
                spanish = i18n.gettext(decision.message, **params)
            assert english and spanish and english != spanish, value
            assert "%(" not in english and "%(" not in spanish
        with i18n.using_locale("es"):
            decision = check_tax_id("12345678A").decision
            text = i18n.gettext(decision.message, **dict(decision.params))
        assert "12345678A" in text and "errata" in text
