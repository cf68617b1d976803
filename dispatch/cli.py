"""The ``dispatch`` command line: database, demo territory, settings and server.

Each sub-command prints one line saying which database it used. Failures print one line
starting with ``error:`` and exit non-zero: 2 for bad input (a bad setting included), 1 when
the database fails. Commands that use the settings (:mod:`dispatch.settings`) read them once,
before anything else.
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Sequence
from pathlib import Path

from dispatch import camera_command, meter_command, report_command, route_command
from dispatch.errors import InvalidInput
from gis.errors import GisError, OsmDataError
from gis.importer import ImportRefused
from routing.errors import GraphBuildError, InvalidArgument

EXIT_FAILURE, EXIT_BAD_INPUT = 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dispatch", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    db = commands.add_parser("db", help="database set-up").add_subparsers(
        dest="db_command", required=True
    )
    db.add_parser("migrate", help="apply the schema migrations not yet applied")
    db.add_parser("where", help="say which database would be used, starting it if needed")

    demo = commands.add_parser("demo", help="the demo territory").add_subparsers(
        dest="demo_command", required=True
    )
    load = demo.add_parser("load", help="lay a gas network on real OSM streets and store it")
    source = load.add_mutually_exclusive_group()
    source.add_argument(
        "--osm", metavar="FILE.pbf", help="an OSM extract (default: Monaco, in data/osm)"
    )
    source.add_argument("--place", metavar="NAME", help="a place fetched with osmnx (online)")
    load.add_argument("--seed", type=int, default=7, help="same seed, same data (default 7)")
    load.add_argument(
        "--depots", type=int, help="how many depots (default: 4 in Monaco, else by area)"
    )
    load.add_argument(
        "--crews", type=int, help="how many crews (default: 30 in Monaco, else 5 a depot)"
    )
    load.add_argument(
        "--replace", action="store_true", help="replace a loaded territory (and its tickets)"
    )

    history = demo.add_parser("history", help="generate past days of field work for the demo")
    history.add_argument("--days", type=int, required=True, help="how many whole days")
    history.add_argument("--seed", type=int, default=7, help="same seed, same history")
    history.add_argument(
        "--until", metavar="YYYY-MM-DD", help="the day after the last one (default: today)"
    )

    route_command.add_parser(commands)
    camera_command.add_parser(commands)
    report_command.add_parser(commands)

    settings = commands.add_parser("settings", help="the effective settings").add_subparsers(
        dest="settings_command", required=True
    )
    show = settings.add_parser("show", help="every effective value and where it came from")
    show.add_argument("--json", action="store_true", help="print JSON")

    network = commands.add_parser("network", help="the gas network").add_subparsers(
        dest="network_command", required=True
    )
    network.add_parser("validate", help="report dangling ends, unfed mains, duplicates (JSON)")
    imp = network.add_parser(
        "import",
        help="import pipes, valves, meters or cameras from a "
        "GeoPackage, Shapefile or GeoJSON (one transaction)",
    )
    imp.add_argument("kind", choices=["pipes", "valves", "meters", "cameras"])
    imp.add_argument("file")
    imp.add_argument("--mapping", help="field mapping file (TOML or JSON)")
    imp.add_argument("--layer", help="the layer to read from a multi-layer file")
    imp.add_argument("--crs", help="the file's CRS when it does not say (e.g. EPSG:4547)")
    imp.add_argument("--rejects", help="write the rejected features here (CSV)")

    users = commands.add_parser("users", help="user accounts").add_subparsers(
        dest="users_command", required=True
    )
    add = users.add_parser("add", help="create a user (password from a prompt or stdin)")
    add.add_argument("name")
    add.add_argument(
        "--role",
        required=True,
        help="hotline_agent, dispatcher, crew_lead, manager, admin, callback_agent or"
        " complaint_handler",
    )
    add.add_argument("--crew", type=int, help="the crew a crew_lead leads")
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )

    mqtt = commands.add_parser("mqtt", help="the GPS broker").add_subparsers(
        dest="mqtt_command", required=True
    )
    passwd = mqtt.add_parser(
        "passwd",
        help="write Mosquitto's password file and ACL from the crews table; print each crew's "
        "new password (CSV) once, for setting up its phone",
    )
    passwd.add_argument("--dir", required=True, help="where to write `passwords` and `acl`")
    passwd.add_argument(
        "--consumer-password-stdin",
        action="store_true",
        help="read the dispatch consumer's password from standard input (else one is made "
        "and printed)",
    )
    passwd.add_argument(
        "--with-simulator", action="store_true", help="also a `simulator` user (demo only)"
    )

    serve = commands.add_parser("serve", help="run the control room web app")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8050)
    # Flags that set a setting override it when given (their defaults are the settings').
    serve.add_argument(
        "--auto-dispatch-after",
        type=float,
        metavar="SECONDS",
        help="assign the best crew to a P1 ticket left unassigned this long "
        "(dispatch.auto_dispatch, off by default)",
    )
    serve.add_argument(
        "--simulate",
        action="store_true",
        help="demo: simulated calls, dispatching and crews driving (demo databases only)",
    )
    serve.add_argument(
        "--simulate-rate",
        type=float,
        metavar="CALLS_PER_HOUR",
        help="simulator.rate_per_hour (default 12)",
    )
    serve.add_argument("--simulate-speedup", type=float, help="simulator.speedup (default 1)")
    serve.add_argument(
        "--simulate-auto-share", type=float, help="simulator.auto_assign_share (default 0.5)"
    )
    serve.add_argument("--simulate-seed", type=int)
    serve.add_argument(
        "--online-tiles",
        action="store_true",
        default=None,
        help="offer online tiles as a base layer (tiles.online; needs internet)",
    )
    meter_command.add_parser(commands)
    meter_command.add_demo_parser(demo)
    serve.add_argument(
        "--workers", type=int, help="web processes (server.workers; default one per core)"
    )
    serve.add_argument("--threads", type=int, help="threads per web process (server.threads)")
    serve.add_argument(
        "--no-worker",
        action="store_true",
        help="do not start `dispatch worker` (the ticker, GPS consumer and simulator) beside "
        "the web server: run it yourself, once or several times",
    )
    serve.add_argument(
        "--standby-workers",
        type=int,
        default=1,
        metavar="N",
        help="warm standby workers beside the leading one (default 1): each has loaded "
        "everything and takes over within seconds when the leader dies; 0 for none (then a "
        "dead worker is restarted, which takes as long as loading the road graph)",
    )
    serve.add_argument(
        "--dev",
        action="store_true",
        help="the development server: one process, the background jobs inside it",
    )

    worker = commands.add_parser(
        "worker",
        help="the background jobs: GPS consumer; ticker and simulator in the one worker that "
        "holds the leader lock (the others stand by)",
    )
    for action in serve._actions:  # the flags that set the background jobs' settings
        if action.dest in _WORKER_FLAGS:
            worker._add_action(action)
    return parser


_WORKER_FLAGS = frozenset(
    {"auto_dispatch_after", "simulate", "simulate_rate", "simulate_speedup"}
    | {"simulate_auto_share", "simulate_seed"}
)


def main(argv: Sequence[str] | None = None) -> int:
    argv = route_command.join_point_options(list(sys.argv[1:] if argv is None else argv))
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except (OsmDataError, ImportRefused, InvalidArgument, GraphBuildError, InvalidInput) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except GisError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return 130


def _run(args: argparse.Namespace) -> int:
    if args.command == "route":  # routing needs no database
        return route_command.run_nearest(args)
    from dispatch.settings import load_settings

    settings = None
    if args.command in ("settings", "serve", "demo", "worker"):
        settings = load_settings(overrides=_flag_overrides(args))
    if args.command == "settings":
        return _show_settings(settings, as_json=args.json)
    from gis.database import resolve_database

    database = resolve_database()
    _say(f"database: {database.description}")
    if args.command == "db" and args.db_command == "where":
        print(database.dsn)
        return 0
    if args.command == "db":
        return _migrate(database.dsn)
    if args.command == "demo" and args.demo_command == "readings":
        return meter_command.demo_readings(database.dsn, args)
    if args.command == "meters":
        return meter_command.run(args, database.dsn)
    if args.command == "demo" and args.demo_command == "history":
        return _demo_history(database.dsn, args, settings)
    if args.command == "demo":
        return _demo_load(database.dsn, args, settings)
    if args.command == "users":
        return _add_user(database.dsn, args)
    if args.command == "mqtt":
        return _mqtt_passwd(database.dsn, args)
    if args.command == "network" and args.network_command == "import":
        return _import(database.dsn, args)
    if args.command == "network":
        return _validate_network(database.dsn)
    if args.command == "worker":
        return _worker(database.dsn, args, settings)
    if args.command == "cameras":
        return camera_command.run(database.dsn, args, _say)
    if args.command == "report":
        return report_command.run(database.dsn, args)
    return _serve(database.dsn, args, settings)


def _flag_overrides(args: argparse.Namespace) -> list[tuple[str, object, str]]:
    """The settings that ``dispatch serve``'s flags set, as (key, value, flag), when given."""
    if args.command not in ("serve", "worker"):
        return []
    overrides: list[tuple[str, object, str]] = []
    for flag, key in (("workers", "server.workers"), ("threads", "server.threads")):
        if getattr(args, flag, None) is not None:
            overrides.append((key, getattr(args, flag), "--" + flag))
    if args.auto_dispatch_after is not None:
        overrides += [
            ("dispatch.auto_dispatch", True, "--auto-dispatch-after"),
            ("dispatch.auto_dispatch_after_s", args.auto_dispatch_after, "--auto-dispatch-after"),
        ]
    if getattr(args, "online_tiles", None):
        overrides.append(("tiles.online", True, "--online-tiles"))
    for flag, key in (
        ("simulate_rate", "simulator.rate_per_hour"),
        ("simulate_speedup", "simulator.speedup"),
        ("simulate_auto_share", "simulator.auto_assign_share"),
    ):
        if getattr(args, flag) is not None:
            overrides.append((key, getattr(args, flag), "--" + flag.replace("_", "-")))
    return overrides


def _show_settings(settings, *, as_json: bool) -> int:
    import json

    from dispatch.settings import as_json as settings_json
    from dispatch.settings import describe

    if as_json:
        print(json.dumps(settings_json(settings), indent=2, ensure_ascii=False))
    else:
        print("\n".join(describe(settings)))
    return 0


def _migrate(dsn: str) -> int:
    from gis.migrations import migrate

    applied = migrate(dsn)
    if applied:
        _say("applied " + ", ".join(f"{m.version:04d}_{m.name}" for m in applied))
    else:
        _say("schema is up to date; nothing to apply")
    return 0


def _demo_load(dsn: str, args: argparse.Namespace, settings) -> int:
    import time

    from gis.demo.operations import DEMO_CITY_CREWS, DEMO_CITY_DEPOTS
    from gis.demo.store import loaded_territory, store_territory
    from gis.demo.territory import build_territory
    from gis.migrations import migrate
    from gis.osm_source import default_extract_path, demo_city_path, read_pbf, read_place

    for field, value, most in (("depots", args.depots, 20), ("crews", args.crews, 500)):
        if value is not None and not 1 <= value <= most:
            raise InvalidInput(f"`--{field}` must be between 1 and {most}, got {value}", field)
    migrate(dsn)
    current = loaded_territory(dsn)
    if current is not None and not args.replace:
        _say(
            f"territory {current['name']!r} (seed {current['seed']}) is already loaded; "
            "nothing done (use --replace to rebuild it)"
        )
        _ensure_demo_users(dsn)
        return 0
    started = time.perf_counter()
    depots, crews = args.depots, args.crews
    if args.place:
        _say(f"fetching {args.place!r} from OpenStreetMap")
        extract = read_place(args.place)
    else:
        path = args.osm
        if path is None and (path := demo_city_path()) is not None:
            # The demo city is a whole city: a control room's worth of depots and crews.
            depots = DEMO_CITY_DEPOTS if depots is None else depots
            crews = DEMO_CITY_CREWS if crews is None else crews
        elif path is None:
            path = default_extract_path()
            _say("data/osm/monaco.osm.pbf is absent; loading the small Helsinki extract")
        _say(f"reading {path}")
        extract = read_pbf(path)
    territory = build_territory(extract, seed=args.seed, depots=depots, crews=crews, progress=_say)
    store_territory(
        dsn,
        territory,
        replace=args.replace,
        progress=_say,
        timezone=settings.territory.timezone or None,
    )
    counts = territory.counts()
    _say(
        f"loaded {territory.name!r} in {time.perf_counter() - started:.1f} s: "
        f"{counts['gas_mains']} mains, {counts['valves']} valves, "
        f"{counts['customer_meters']} meters, {counts['crews']} crews, "
        f"{counts['cameras']} cameras"
    )
    _ensure_demo_users(dsn)
    return 0


def _demo_history(dsn: str, args: argparse.Namespace, settings) -> int:
    import json
    from datetime import date

    from dispatch.simulation.history import generate
    from dispatch.territory_ports import ports_for_territory
    from gis.demo.store import loaded_territory
    from gis.migrations import migrate

    migrate(dsn)
    if loaded_territory(dsn) is None:
        raise InvalidInput("`territory`: none loaded; run `dispatch demo load` first", "territory")
    if args.days <= 0:
        raise InvalidInput("`--days` must be a positive number of days", "days")
    try:
        until = date.fromisoformat(args.until) if args.until else None
    except ValueError:
        raise InvalidInput("`--until` must be a date YYYY-MM-DD", "until") from None
    router = ports_for_territory(dsn).router
    if router is None:
        raise InvalidInput("`territory`: its road graph is not at hand; cannot route", "router")
    try:
        result = generate(
            dsn,
            router,
            days=args.days,
            seed=args.seed,
            until=until,
            calls_per_day=settings.simulator.history_calls_per_day,
        )
    except ValueError as exc:
        _say(f"history: {exc}")
        return 0
    _say(
        f"history: {result['tickets']} tickets over {result['days']} days"
        f" ({result['first_day']} to {result['last_day']}) in {result['seconds']} s,"
        f" {result['rows_per_s']} rows/s"
    )
    print(json.dumps(result))
    return 0


DEMO_PASSWORD = "control-room"
DEMO_USERS = (
    ("admin", "admin"),
    ("dispatcher", "dispatcher"),
    ("hotline", "hotline_agent"),
    ("manager", "manager"),
    ("crewlead", "crew_lead"),
    # the signers of refunds and top-ups (dispatch.meter_approvals)
    ("meterlead", "meter_team_lead"),
    ("finance", "finance_manager"),
    ("vp", "vice_president"),
    ("callbacks", "callback_agent"),
    ("complaints", "complaint_handler"),
)


def _ensure_demo_users(dsn: str) -> None:
    from dispatch import auth
    from dispatch import repository as repo
    from dispatch.unit_of_work import UnitOfWork

    with UnitOfWork(dsn) as uow:
        first_crew = repo.list_crews(uow.cur)[0]
        for name, role in DEMO_USERS:
            if repo.get_user(uow.cur, name) is None:
                crew = first_crew["id"] if role == "crew_lead" else None
                auth.add_user(uow, name, role, DEMO_PASSWORD, crew)
        from dispatch.simulation.demo_staff_repository import ensure_crew_members

        ensure_crew_members(uow.cur)
    names = ", ".join(f"{n} ({r})" for n, r in DEMO_USERS)
    _say(f"demo users: {names}; password {DEMO_PASSWORD!r}; crewlead leads {first_crew['code']}")


def _import(dsn: str, args: argparse.Namespace) -> int:
    from gis.importer import import_file, load_mapping

    report = import_file(
        dsn,
        args.file,
        args.kind,
        mapping=load_mapping(args.mapping),
        layer=args.layer,
        crs=args.crs,
    )
    _say(
        f"{args.kind}: read {report.read} from {args.file} ({report.source_crs}), "
        f"imported {report.imported}, rejected {len(report.rejected)}"
    )
    for item in report.rejected[:20]:
        _say(f"  rejected {item['id']}: {item['reason']}")
    if args.rejects:
        report.write_rejects(Path(args.rejects))
        _say(f"reject report written to {args.rejects}")
    return 0


def _validate_network(dsn: str) -> int:
    import json

    from gis.database import transaction
    from gis.topology import validation_report

    with transaction(dsn) as conn, conn.cursor() as cur:
        report = validation_report(cur)
    print(json.dumps(report))
    _say("network is clean" if report["clean"] else "network has problems (see the report)")
    return 0 if report["clean"] else 1


def _add_user(dsn: str, args: argparse.Namespace) -> int:
    import getpass

    from dispatch import auth
    from dispatch.unit_of_work import UnitOfWork

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"password for {args.name}: ")
    with UnitOfWork(dsn) as uow:
        auth.add_user(uow, args.name, args.role, password, args.crew)
    _say(f"user {args.name!r} added with role {args.role}")
    return 0


def _mqtt_passwd(dsn: str, args: argparse.Namespace) -> int:
    import csv
    import os
    from pathlib import Path

    from dispatch import mqtt_credentials
    from dispatch.unit_of_work import UnitOfWork

    folder = Path(args.dir)
    if not folder.is_dir():
        print(f"error: `--dir`: {folder} is not a directory", file=sys.stderr)
        return EXIT_BAD_INPUT
    consumer = (
        sys.stdin.readline().rstrip("\n")
        if args.consumer_password_stdin
        else mqtt_credentials.new_password()
    )
    if len(consumer) < 12:
        print("error: the consumer's password must have at least 12 characters", file=sys.stderr)
        return EXIT_BAD_INPUT
    with UnitOfWork(dsn) as uow:
        crews = uow.crews.all()
    simulator = mqtt_credentials.new_password() if args.with_simulator else None
    passwords, acl, issued = mqtt_credentials.credentials_files(
        crews, consumer_password=consumer, simulator_password=simulator
    )
    for name, text in (("passwords", passwords), ("acl", acl)):
        path = folder / name
        path.write_text(text)
        os.chmod(path, 0o600 if name == "passwords" else 0o644)
    out = csv.writer(sys.stdout)
    out.writerow(["username", "crew_code", "password"])
    if not args.consumer_password_stdin:
        out.writerow([mqtt_credentials.CONSUMER_USER, "", consumer])
    if simulator is not None:
        out.writerow([mqtt_credentials.SIMULATOR_USER, "", simulator])
    for row in issued:
        out.writerow([row["username"], row["crew_code"], row["password"]])
    _say(f"wrote {folder / 'passwords'} ({len(issued)} crews) and {folder / 'acl'}")
    return 0


def _serve(dsn: str, args: argparse.Namespace, settings) -> int:
    # The command line is an entry point: it hands over to the composition root, the only place
    # that builds the web app together with dispatch's background parts.
    from dispatch.settings import install

    if args.standby_workers < 0:
        raise InvalidArgument(f"`--standby-workers` must be 0 or more, got {args.standby_workers}")
    # Installed for the parts that read the process's own; handed to everything built.
    install(settings)
    _say("settings: " + _settings_summary(settings))
    if args.dev:
        return _serve_dev(dsn, args, settings)
    from dashboards.composition_root import build_web
    from dashboards.web_server import ControlRoomServer

    # Built here, in gunicorn's master, before it forks the web processes (see web_server).
    web = build_web(dsn, settings)
    for note in web.notes:
        _say(note)
    server = settings.server
    worker = None if args.no_worker else _start_worker_process(args)
    _say(f"control room at http://{args.host}:{args.port}/")
    try:
        ControlRoomServer(
            lambda: web.app.server,
            bind=f"{args.host}:{args.port}",
            workers=server.workers,
            threads=server.threads,
            timeout_s=server.timeout_s,
            graceful_timeout_s=server.graceful_timeout_s,
        ).run()
    finally:
        if worker is not None:
            worker.stop()
    return 0


def _start_worker_process(args: argparse.Namespace):
    """``dispatch worker`` with the same flags, as children that end with this process and
    are started again when they die (:mod:`dispatch.worker_supervisor`): one leads, the
    ``--standby-workers`` others stand by, warm, and take over when the leader dies."""
    import os
    import signal
    import socket
    import subprocess

    from dispatch.worker import MQTT_CLIENT_ID_VAR
    from dispatch.worker_supervisor import WorkerSupervisor

    command = worker_command(args)

    def die_with_parent() -> None:  # Linux: the worker gets SIGTERM if serve is killed
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG

    # Every worker this serve starts is the same MQTT client: a restarted one resumes the
    # session, and the broker delivers the fixes that came while it was down.
    env = dict(os.environ)
    env.setdefault(MQTT_CLIENT_ID_VAR, f"dispatch-positions-{socket.gethostname()}-{args.port}")
    _say(f"worker: {' '.join(command[2:])} (and {args.standby_workers} on standby)")
    supervisors = [
        WorkerSupervisor(lambda: subprocess.Popen(command, env=env, preexec_fn=die_with_parent))
        for _ in range(1 + args.standby_workers)
    ]
    for supervisor in supervisors:
        supervisor.start()
    return _Supervisors(supervisors)


class _Supervisors:
    """The workers' supervisors, stopped together."""

    def __init__(self, supervisors: list) -> None:
        self.supervisors = supervisors

    def stop(self) -> None:
        for supervisor in self.supervisors:
            supervisor.stop()


def worker_command(args: argparse.Namespace) -> list[str]:
    """``dispatch worker`` with the background jobs' flags ``serve`` was given."""
    command = [sys.executable, "-m", "dispatch.cli", "worker"]
    for dest in sorted(_WORKER_FLAGS):
        value = getattr(args, dest)
        flag = "--" + dest.replace("_", "-")
        if value is True:
            command.append(flag)
        elif value not in (None, False):
            command += [flag, str(value)]
    return command


def _worker(dsn: str, args: argparse.Namespace, settings) -> int:
    import logging
    import signal
    import threading

    from dispatch.settings import install
    from dispatch.territory_ports import ports_for_territory
    from dispatch.worker import build_worker

    install(settings)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    _say("settings: " + _settings_summary(settings))
    ports = ports_for_territory(dsn, max_fix_age_s=settings.dispatch.stale_gps_after_s)
    try:
        worker = build_worker(
            dsn, settings, ports, simulate=args.simulate, simulate_seed=args.simulate_seed
        )
    except ValueError as exc:  # a bad simulator setting, named in the message
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    for note in worker.notes:
        _say(note)
    stopped = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopped.set())
    worker.start()
    gc.freeze()
    try:
        stopped.wait()
    finally:
        worker.stop()
    return 0


def _serve_dev(dsn: str, args: argparse.Namespace, settings) -> int:
    """The development server (Werkzeug), with the worker in the same process."""
    from dashboards.composition_root import build_control_room

    try:
        room = build_control_room(
            dsn, settings, simulate=args.simulate, simulate_seed=args.simulate_seed
        )
    except ValueError as exc:  # a bad simulator setting, named in the message
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    for note in room.notes:
        _say(note)
    _say(f"control room at http://{args.host}:{args.port}/ (development server)")
    room.start()
    # Everything loaded so far lives as long as the server: keep the garbage collector from
    # walking it on every collection (it showed as the wall refresh's slowest moments).
    gc.freeze()
    try:
        room.app.run(host=args.host, port=args.port, debug=False, threaded=True)
    finally:
        room.stop()
    return 0


def _settings_summary(settings) -> str:
    """Which layers set something: the default file, the DISPATCH_SETTINGS file, variables."""
    changed = sorted({source for _, _, source in settings.entries()} - {"default file", "built in"})
    files = settings.files
    first = f"default file {files['default file']}"
    return first + "".join(f"; {s} {files[s]}" if s in files else f"; {s}" for s in changed)


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
