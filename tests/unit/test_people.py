import numpy as np

from gis.demo.people import synthetic_mobiles, synthetic_names


def test_names_and_phones_are_the_same_for_the_same_seed_and_differ_for_another():
    first = (
        synthetic_names(np.random.default_rng(1), 50),
        synthetic_mobiles(np.random.default_rng(1), 50),
    )
    again = (
        synthetic_names(np.random.default_rng(1), 50),
        synthetic_mobiles(np.random.default_rng(1), 50),
    )
    other = synthetic_names(np.random.default_rng(2), 50)

    assert first == again
    assert other != first[0]


def test_mobiles_are_eleven_digits_starting_with_one():
    phones = synthetic_mobiles(np.random.default_rng(3), 200)

    assert all(len(p) == 11 and p.isdigit() and p.startswith("1") for p in phones)
