"""How the hotline's search box is read and its matches ranked (dispatch.customer_search)."""

import pytest

from dispatch.customer_search import parse_query, phone_digits, rank, score_customer
from dispatch.errors import InvalidInput


@pytest.mark.parametrize(
    ("typed", "digits"),
    [
        ("139 1234 5678", "13912345678"),
        ("+86 139-1234-5678", "13912345678"),
        ("0086 13912345678", "13912345678"),
        ("(5678)", "5678"),
        ("060000123", "060000123"),
    ],
)
def test_a_number_is_read_as_its_digits_without_separators_or_country_code(typed, digits):
    query = parse_query(typed)
    assert query.digits == digits and query.meter is None and query.address is None


def test_a_meter_number_with_letters_is_read_as_a_meter_in_capitals():
    query = parse_query(" gm0001 2345 ")
    assert query.meter == "GM00012345" and query.digits is None and query.address is None


def test_words_are_read_as_an_address_with_spaces_collapsed():
    query = parse_query("  Mannerheimintie   12, apt 3 ")
    assert query.address == "Mannerheimintie 12, apt 3" and query.digits is None


@pytest.mark.parametrize("typed", ["", "  ", "12", "a-b", "+8"])
def test_fewer_than_three_letters_or_digits_are_refused_naming_q(typed):
    with pytest.raises(InvalidInput) as refused:
        parse_query(typed)
    assert refused.value.field == "q" and "at least 3" in refused.value.detail


def test_phone_digits_drop_every_separator():
    assert phone_digits("+86 139-1234 5678") == "8613912345678"
    assert phone_digits(None) == ""


def _row(i, *, phone="10000000000", account="000000000", meter="GM00000000", similarity=None,
         address="Somewhere 1"):  # fmt: skip
    return {
        "id": i,
        "phone": phone,
        "account_no": account,
        "meter_no": meter,
        "address": address,
        "similarity": similarity,
    }


def test_an_exact_account_beats_a_phone_that_ends_with_it_which_beats_one_that_has_it_inside():
    query = parse_query("600001234")
    rows = [
        _row(3, phone="16000012345"),  # inside: 60
        _row(2, phone="13" + "600001234"),  # phone ends with it: 75
        _row(1, account="600001234"),  # exact account: 100
    ]
    ranked = rank(rows, query)
    assert [(r["id"], r["matched"], r["score"]) for r in ranked] == [
        (1, "account", 100.0),
        (2, "phone", 75.0),
        (3, "phone", 60.0),
    ]


def test_an_account_prefix_scores_80_and_ties_go_to_the_lower_id():
    query = parse_query("6000")
    ranked = rank([_row(7, account="600012345"), _row(5, account="600099999")], query)
    assert [(r["id"], r["score"]) for r in ranked] == [(5, 80.0), (7, 80.0)]


def test_meter_digits_match_inside_the_meter_number():
    score, field = score_customer(_row(1, meter="GM00012345"), parse_query("12345"))
    assert (score, field) == (60.0, "meter")


def test_an_address_scores_50_times_similarity_plus_5_for_the_same_house_number():
    query = parse_query("Mannerheimintei 12")
    same = _row(1, address="Mannerheimintie 12, apt 3", similarity=0.62)
    other = _row(2, address="Mannerheimintie 14", similarity=0.7)
    # 50 x 0.62 + 5 = 36.0 for the same house number beats 50 x 0.7 = 35.0 for another.
    ranked = rank([other, same], query)
    assert [(r["id"], r["score"]) for r in ranked] == [(1, 36.0), (2, 35.0)]


def test_one_customer_found_by_two_branches_is_listed_once_with_its_best_match():
    query = parse_query("13912345678")
    rows = [_row(4, phone="13912345678"), _row(4, phone="13912345678")]
    ranked = rank(rows, query)
    assert len(ranked) == 1 and ranked[0]["matched"] == "phone" and ranked[0]["score"] == 100.0


def test_at_most_limit_customers_are_returned():
    query = parse_query("139")
    rows = [_row(i, phone=f"139{i:08d}") for i in range(1, 30)]
    assert [r["id"] for r in rank(rows, query, limit=10)] == list(range(1, 11))
