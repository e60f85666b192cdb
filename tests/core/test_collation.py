"""Accent-aware sorting (core.collation): "Ábaco" before "Xilófono", on pages too."""

from __future__ import annotations

from sqlmodel import Session

from tests.factories import make_product
from ventanilla.catalog import repository as catalog_repository
from ventanilla.core.collation import sort_key, sorted_by_name


def ordered(names: list[str], locale: str = "es") -> list[str]:
    return sorted_by_name(names, lambda n: n, locale)


class TestSortKey:
    def test_accented_names_sort_with_their_letter(self) -> None:
        assert ordered(["Xilófono", "Ábaco", "Zorro", "Órgano", "Eco"]) == [
            "Ábaco",
            "Eco",
            "Órgano",
            "Xilófono",
            "Zorro",
        ]

    def test_case_does_not_decide_before_letters_do(self) -> None:
        assert ordered(["zapato", "Zorro", "ábaco", "Barco"]) == [
            "ábaco",
            "Barco",
            "zapato",
            "Zorro",
        ]

    def test_ties_are_broken_by_accent_then_case(self) -> None:
        assert ordered(["Ábaco", "abaco", "Abaco", "ábaco"]) == ["abaco", "Abaco", "ábaco", "Ábaco"]

    def test_spanish_n_tilde_is_its_own_letter_after_n(self) -> None:
        assert ordered(["oso", "ñandú", "nube", "Nzeta"]) == ["nube", "Nzeta", "ñandú", "oso"]
        assert ordered(["oso", "ñandú", "nube"], "en") == ["ñandú", "nube", "oso"]

    def test_numbers_compare_by_value_and_compat_forms_fold(self) -> None:
        assert ordered(["Puzle 10", "Puzle 2", "Puzle 1"]) == ["Puzle 1", "Puzle 2", "Puzle 10"]
        assert sort_key("ﬁcha")[0] == sort_key("ficha")[0]


class TestAddProductList:
    def test_the_add_a_product_list_is_in_reading_order(self, session: Session) -> None:
        for name in ["Xilófono", "Ábaco", "Zanfona", "Érase un tren", "barco"]:
            make_product(session, name=name)
        session.commit()
        names = [p.name for p in catalog_repository.in_stock(session, currency="EUR")]
        assert names == ["Ábaco", "barco", "Érase un tren", "Xilófono", "Zanfona"]
        first_two = catalog_repository.in_stock(session, currency="EUR", limit=2)
        assert [p.name for p in first_two] == ["Ábaco", "barco"]
