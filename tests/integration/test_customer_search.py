"""The hotline's customer search and customer file on the demo territory in PostGIS: three
customers written here by hand are found by each kind of number, by a fragment, and by a
misspelt address; the file lists their tickets and hazards; reads are logged."""

from datetime import UTC, datetime, timedelta

import pytest

from dispatch import customer_service
from dispatch.actor import Actor
from dispatch.errors import NotFound
from dispatch.unit_of_work import UnitOfWork
from tests.dbutil import fetch_value

HOTLINE = Actor("hotline", "hotline_agent")
MANAGER = Actor("manager", "manager")
# Hand-made customers (ids far above the demo's), with numbers and a street no demo row has.
CUSTOMERS = [
    (9_000_001, "HX99000001", "990000001", "王小明", "139 8765 4321", "Lumikellontie 431, apt 7"),
    (9_000_002, "HX99000002", "990000002", "李红", "13500002468", "Lumikellontie 433"),
    (9_000_003, "HX99000003", "990000003", "张伟", "13600001357", "Sinivuokonkuja 5"),
]


@pytest.fixture
def dsn(fresh_demo_dsn):
    with UnitOfWork(fresh_demo_dsn) as uow:
        for cid, meter, account, name, phone, address in CUSTOMERS:
            uow.cur.execute(
                "INSERT INTO customer_meters (id, meter_no, account_no, customer_name, phone,"
                " address, category, geom) VALUES (%s, %s, %s, %s, %s, %s, 'residential',"
                " ST_SetSRID(ST_MakePoint(24.9466, 60.1712), 4326))",
                (cid, meter, account, name, phone, address),
            )
    return fresh_demo_dsn


def _search(dsn, q, actor=HOTLINE):
    with UnitOfWork(dsn) as uow:
        return customer_service.search_customers(uow, q, actor)


@pytest.mark.parametrize(
    ("q", "matched", "score"),
    [
        ("13987654321", "phone", 100.0),
        ("+86 139-8765-4321", "phone", 100.0),
        ("87654321", "phone", 75.0),  # the last digits of the phone
        ("990000001", "account", 100.0),
        ("HX99000001", "meter", 100.0),
        ("hx9900000", "meter", 80.0),  # the start of the meter number
    ],
)
def test_each_kind_of_number_finds_the_customer_first(dsn, q, matched, score):
    found = _search(dsn, q)["customers"]
    assert found[0]["id"] == 9_000_001
    assert (found[0]["matched"], found[0]["score"]) == (matched, score)
    assert found[0]["name"] == "王小明" and found[0]["phone"] == "139 8765 4321"


def test_a_misspelt_address_finds_the_street_with_the_asked_house_number_first(dsn):
    answer = _search(dsn, "Lumikelontie 431")
    ids = [c["id"] for c in answer["customers"]]
    assert answer["kind"] == "address"
    assert ids[:2] == [9_000_001, 9_000_002]  # 431 is the house number asked for
    assert answer["customers"][0]["matched"] == "address"
    assert 9_000_003 not in ids


def test_an_account_fragment_lists_at_most_ten_customers(dsn):
    answer = _search(dsn, "9900000")
    assert [c["id"] for c in answer["customers"]][:3] == [9_000_001, 9_000_002, 9_000_003]
    assert all(c["score"] == 80.0 for c in answer["customers"][:3])
    assert len(_search(dsn, "600")["customers"]) == 10


def test_a_role_without_personal_data_sees_masked_names_and_phones_and_nothing_is_logged(dsn):
    before = fetch_value(dsn, "SELECT count(*) FROM personal_data_reads")
    found = _search(dsn, "990000001", MANAGER)
    assert found["personal_data_masked"] is True
    assert found["customers"][0]["name"] == "王**"
    # 13 characters "139 8765 4321": the first 3 and the last 4 shown, 6 masked
    assert found["customers"][0]["phone"] == "139******4321"
    assert fetch_value(dsn, "SELECT count(*) FROM personal_data_reads") == before
    _search(dsn, "990000001")
    subject = fetch_value(dsn, "SELECT subject FROM personal_data_reads ORDER BY id DESC LIMIT 1")
    assert subject.startswith("meters:9000001")


def test_the_customer_file_lists_the_tickets_and_hazards_of_the_meter(dsn):
    now = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    with UnitOfWork(dsn) as uow:
        for n, (ttype, days) in enumerate((("meter_fault", 30), ("gas_leak", 2)), start=1):
            uow.cur.execute(
                "INSERT INTO tickets (id, number, ticket_type, priority, account_no, meter_id,"
                " taken_by, received_at, promised_reply_at, geom) VALUES (%s, %s, %s, 3,"
                " '990000001', 9000001, 'hotline', %s, %s, NULL)",
                (900 + n, f"T-HAND-{n}", ttype, now - timedelta(days=days),
                 now if n == 1 else None),
            )  # fmt: skip
        uow.cur.execute(
            "INSERT INTO hazard_notices (ticket_id, meter_id, hazard_type, fix_by, found_at,"
            " found_by, refused_at) VALUES (901, 9000001, 'aged_hose', %s, %s, 'crew', %s)",
            (now + timedelta(days=7), now - timedelta(days=30), now - timedelta(days=30)),
        )
    with UnitOfWork(dsn) as uow:
        file = customer_service.customer_file(uow, 9_000_001, HOTLINE)
    assert file["customer"]["account_no"] == "990000001"
    assert [m["meter_no"] for m in file["meters"]] == ["HX99000001"]
    assert [t["number"] for t in file["tickets"]] == ["T-HAND-2", "T-HAND-1"]  # newest first
    assert file["tickets"][1]["promised_reply_at"] == "2026-11-20T09:00:00+00:00"
    assert [(h["ticket_id"], h["signed"]) for h in file["hazards"]] == [(901, False)]
    assert file["complaints"] == [] and file["callbacks"] == [] and file["readings"] == []


def test_an_unknown_customer_is_not_found_naming_the_id(dsn):
    with UnitOfWork(dsn) as uow, pytest.raises(NotFound) as missing:
        customer_service.customer_file(uow, 123_456_789, HOTLINE)
    assert missing.value.field == "id"


def test_the_file_lists_the_readings_imported_for_the_customers_meter(dsn, tmp_path):
    from dispatch.meter_import import import_readings

    readings = tmp_path / "round.csv"
    readings.write_text(
        "meter_no,read_on,reading_m3,reader\n"
        "HX99000001,2026-09-20,1000.0,reader 7\n"
        "HX99000001,2026-10-20,1012.5,reader 7\n"
        "HX99000002,2026-10-20,77.0,reader 7\n"  # another customer's meter: not in this file
    )
    now = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    report = import_readings(dsn, readings, today=now.date(), now=now)
    assert report.imported == 3 and report.rejects == []

    with UnitOfWork(dsn) as uow:
        file = customer_service.customer_file(uow, 9_000_001, HOTLINE)

    # newest first; the October use is 1012.5 - 1000.0, worked out here by hand
    assert [(r["read_on"], r["reading_m3"]) for r in file["readings"]] == [
        ("2026-10-20", 1012.5),
        ("2026-09-20", 1000.0),
    ]
    assert file["readings"][0]["consumption_m3"] == 12.5
