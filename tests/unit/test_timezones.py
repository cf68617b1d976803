import pytest

from gis.timezones import territory_timezone


def test_the_demo_regions_get_their_zones_and_elsewhere_is_utc():
    assert territory_timezone(24.94, 60.17) == "Europe/Helsinki"
    assert territory_timezone(9.52, 47.14) == "Europe/Vaduz"
    assert territory_timezone(116.4, 39.9) == "Asia/Shanghai"
    assert territory_timezone(-74.0, 40.7) == "UTC"


def test_the_configured_zone_wins_and_a_bad_one_is_named():
    assert territory_timezone(24.94, 60.17, "Asia/Urumqi") == "Asia/Urumqi"

    with pytest.raises(ValueError, match="`timezone`: unknown time zone 'Mars/Olympus'"):
        territory_timezone(0, 0, "Mars/Olympus")
