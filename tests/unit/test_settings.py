"""The settings loader: the default file, a DISPATCH_SETTINGS file, one-key environment
overrides, and one clear line for every value it cannot use."""

import pytest

from dispatch.settings import SettingsError, build, describe, load_settings
from dispatch.ticket_service import Settings


def _write(tmp_path, text):
    path = tmp_path / "site.toml"
    path.write_text(text)
    return str(path)


def test_the_defaults_are_todays_behaviour_and_say_they_come_from_the_default_file():
    settings = load_settings({})

    assert settings.dispatch.stale_gps_after_s == 300
    assert settings.dispatch.duplicate_radius_m == 150
    assert settings.dispatch.duplicate_window_min == 60
    assert settings.dispatch.arrival_radius_m == 50
    assert settings.dispatch.auto_dispatch_delay_s is None  # auto-dispatch off
    assert settings.clocks.at_risk_share == 0.8
    assert settings.clocks.complaint_reply_working_days == 2
    assert dict(settings.clocks.jurisdictions) == {"urban": "urban", "rural": "rural"}
    assert (settings.mqtt.host, settings.mqtt.port) == ("127.0.0.1", 1883)
    assert settings.tiles.online is False
    assert settings.tiles.online_url == "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    assert (settings.simulator.rate_per_hour, settings.simulator.speedup) == (12, 1)
    assert settings.simulator.auto_assign_share == 0.5
    assert settings.territory.timezone == ""
    assert settings.source_of("dispatch.stale_gps_after_s") == "default file"
    assert settings.files["default file"].endswith("data/settings.toml")


def test_the_settings_object_is_frozen():
    settings = load_settings({})

    with pytest.raises(ValueError, match="frozen"):
        settings.dispatch.stale_gps_after_s = 1


def test_a_file_named_by_dispatch_settings_changes_only_the_keys_it_has(tmp_path):
    path = _write(
        tmp_path,
        "[dispatch]\nduplicate_radius_m = 200\n\n[clocks.policies.urban]\n"
        "arrival_min = { p1 = 20 }\n",
    )

    settings = load_settings({"DISPATCH_SETTINGS": path})

    assert settings.dispatch.duplicate_radius_m == 200
    assert settings.source_of("dispatch.duplicate_radius_m") == "DISPATCH_SETTINGS file"
    assert settings.dispatch.duplicate_window_min == 60
    assert settings.source_of("dispatch.duplicate_window_min") == "default file"
    urban = settings.clocks.policies["urban"].arrival_min
    assert (urban.p1, urban.p2) == (20, 360)  # p2 kept from the default file
    assert settings.files["DISPATCH_SETTINGS file"] == path


def test_an_environment_variable_overrides_one_key_and_is_named_as_its_source(tmp_path):
    path = _write(tmp_path, "[dispatch]\nstale_gps_after_s = 200\n")

    settings = load_settings(
        {"DISPATCH_SETTINGS": path, "DISPATCH__DISPATCH__STALE_GPS_AFTER_S": "120"}
    )

    assert settings.dispatch.stale_gps_after_s == 120
    assert settings.source_of("dispatch.stale_gps_after_s") == (
        "DISPATCH__DISPATCH__STALE_GPS_AFTER_S"
    )
    assert "dispatch.stale_gps_after_s = 120.0  (DISPATCH__DISPATCH__STALE_GPS_AFTER_S)" in (
        describe(settings)
    )


def test_text_that_is_no_toml_value_is_taken_as_it_is():
    settings = load_settings({"DISPATCH__CLOCKS__JURISDICTIONS__RURAL": "henan"})

    assert settings.clocks.jurisdictions["rural"] == "henan"


def test_mqtt_url_still_names_the_broker_and_the_port_defaults_to_1883():
    assert load_settings({"MQTT_URL": "mqtt://broker.local:1884"}).mqtt.port == 1884
    settings = load_settings({"MQTT_URL": "mqtt://broker.local"})
    assert (settings.mqtt.host, settings.mqtt.port) == ("broker.local", 1883)
    assert settings.source_of("mqtt.url") == "MQTT_URL"


@pytest.mark.parametrize("url", ["http://broker:1883", "mqtt://broker:high", "mqtt://:1883"])
def test_a_bad_mqtt_url_names_the_key_and_the_variable(url):
    with pytest.raises(SettingsError, match=r"mqtt\.url must look like mqtt://host:port.*MQTT_URL"):
        load_settings({"MQTT_URL": url})


def test_credentials_in_the_broker_url_are_refused_rather_than_ignored():
    with pytest.raises(SettingsError, match=r"mqtt\.url must not carry a user name or password"):
        load_settings({"MQTT_URL": "mqtt://user:secret@broker:1883"})


def test_dispatch_timezone_still_sets_the_territory_zone_and_a_bad_one_is_refused():
    assert load_settings({"DISPATCH_TIMEZONE": "Asia/Urumqi"}).territory.timezone == "Asia/Urumqi"

    with pytest.raises(SettingsError, match=r"territory\.timezone must be an IANA time zone"):
        load_settings({"DISPATCH_TIMEZONE": "Mars/Olympus"})


def test_a_bad_value_names_the_key_the_problem_the_value_and_its_source():
    env = {"DISPATCH__CLOCKS__POLICIES__URBAN__ARRIVAL_MIN__P1": "-5"}

    with pytest.raises(SettingsError) as caught:
        load_settings(env)

    assert str(caught.value) == (
        "settings: clocks.policies.urban.arrival_min.p1 must be a positive number, got -5"
        " (from DISPATCH__CLOCKS__POLICIES__URBAN__ARRIVAL_MIN__P1)"
    )
    assert caught.value.field == "clocks.policies.urban.arrival_min.p1"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DISPATCH__DISPATCH__STALE_GPS_AFTER_S": "soon"}, r"stale_gps_after_s must be a number"),
        ({"DISPATCH__DISPATCH__STALE_GPS_AFTER_S": "true"}, r"stale_gps_after_s must be a number"),
        ({"DISPATCH__DISPATCH__AUTO_DISPATCH": "1"}, r"auto_dispatch must be true or false"),
        ({"DISPATCH__CLOCKS__AT_RISK_SHARE": "1.5"}, r"at_risk_share must be at most 1"),
        ({"DISPATCH__SIMULATOR__RATE_PER_HOUR": "-1"}, r"rate_per_hour must be zero or more"),
        ({"DISPATCH__CLOCKS__COMPLAINT_REPLY_WORKING_DAYS": "1.5"}, r"must be a whole number"),
        ({"DISPATCH__TILES__ONLINE_URL": "ftp://x"}, r"online_url must be an http\(s\) URL"),
    ],
)
def test_wrong_types_and_values_out_of_range_are_refused_by_key(env, message):
    with pytest.raises(SettingsError, match=message):
        load_settings(env)


def test_an_unknown_key_is_refused_wherever_it_comes_from(tmp_path):
    with pytest.raises(SettingsError, match=r"dispatch\.stale_after is not a known setting"):
        load_settings({"DISPATCH__DISPATCH__STALE_AFTER": "120"})

    path = _write(tmp_path, "[clocks.policies.urban]\narrival_min = { p5 = 10 }\n")
    with pytest.raises(
        SettingsError,
        match=r"clocks\.policies\.urban\.arrival_min\.p5 is not a known setting"
        r" \(from DISPATCH_SETTINGS file .*site\.toml\)",
    ):
        load_settings({"DISPATCH_SETTINGS": path})


def test_a_jurisdiction_naming_no_policy_is_refused_with_the_policies_there_are():
    with pytest.raises(
        SettingsError,
        match=r"clocks\.jurisdictions\.urban names no policy: \"mars\"; "
        r"policies: urban, rural, henan, uk",
    ):
        load_settings({"DISPATCH__CLOCKS__JURISDICTIONS__URBAN": "mars"})


def test_a_policy_for_an_unknown_ticket_type_is_refused():
    env = {"DISPATCH__CLOCKS__POLICIES__URBAN__ARRIVAL_MIN_BY_TYPE": "{gas_lek = 20}"}

    with pytest.raises(SettingsError, match=r"arrival_min_by_type\.gas_lek is not a ticket type"):
        load_settings(env)


def test_a_new_policy_missing_a_target_says_which_and_where(tmp_path):
    path = _write(tmp_path, "[clocks.policies.island]\narrival_min = { p1 = 90 }\n")

    with pytest.raises(
        SettingsError,
        match=r"clocks\.policies\.island\.target_share is missing \(from DISPATCH_SETTINGS",
    ):
        load_settings({"DISPATCH_SETTINGS": path})


def test_a_missing_or_broken_settings_file_is_one_line_naming_it(tmp_path):
    with pytest.raises(SettingsError, match=r"DISPATCH_SETTINGS file .*nowhere\.toml does not"):
        load_settings({"DISPATCH_SETTINGS": str(tmp_path / "nowhere.toml")})

    path = _write(tmp_path, "[dispatch\n")
    with pytest.raises(SettingsError, match=r"DISPATCH_SETTINGS file .*site\.toml is unreadable"):
        load_settings({"DISPATCH_SETTINGS": path})


def test_command_line_overrides_come_last_and_are_checked_alike():
    settings = load_settings(
        {"DISPATCH__TILES__ONLINE": "false"}, overrides=[("tiles.online", True, "--online-tiles")]
    )
    assert settings.tiles.online is True
    assert settings.source_of("tiles.online") == "--online-tiles"

    with pytest.raises(SettingsError, match=r"speedup must be a positive number, got 0"):
        load_settings({}, overrides=[("simulator.speedup", 0, "--simulate-speedup")])


def test_the_services_settings_are_built_from_the_settings_object():
    loaded = load_settings(
        {
            "DISPATCH__DISPATCH__ARRIVAL_RADIUS_M": "30",
            "DISPATCH__DISPATCH__AUTO_DISPATCH": "true",
            "DISPATCH__DISPATCH__AUTO_DISPATCH_AFTER_S": "90",
            "DISPATCH__CLOCKS__AT_RISK_SHARE": "0.75",
        }
    )

    services = build(Settings, loaded)

    assert services.arrival_radius_m == 30
    assert services.auto_dispatch_after_s == 90
    assert services.policy.at_risk_share == 0.75
    assert services.stale_gps_after_s == 300
    assert Settings().auto_dispatch_after_s is None  # the defaults: off
    assert Settings().arrival_radius_m == 50
