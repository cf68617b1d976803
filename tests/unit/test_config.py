import pytest

from gis.config import load_storage_settings


def test_defaults_probe_the_local_server_and_keep_the_private_cluster_in_var():
    settings = load_storage_settings({})

    assert settings.database_url is None
    assert settings.local_server == ("127.0.0.1", 5432)
    assert settings.var_dir.name == "var"
    assert settings.database_name == "gasdispatch"


def test_the_local_probe_can_be_switched_off():
    assert load_storage_settings({"DISPATCH_LOCAL_PG": "off"}).local_server is None


def test_a_non_numeric_private_port_names_the_variable():
    with pytest.raises(ValueError, match="`DISPATCH_PRIVATE_PG_PORT` must be a port number"):
        load_storage_settings({"DISPATCH_PRIVATE_PG_PORT": "high"})
