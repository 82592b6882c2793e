"""Faults with nothing lost (#21): kill -9 of every process of the production server during
a loopback load; every transition a client was told succeeded (2xx) is in the database, and
none is recorded twice."""

import threading
import time
from collections import Counter

from serving_helpers import ProductionServer, events_in_database, run_load
from test_serving_production import item  # noqa: F401  (fixture)


def test_kill_9_of_the_production_server_loses_no_acknowledged_transition_and_doubles_none(
    ow_database, tmp_path, demo_logins, item
):
    server = ProductionServer(ow_database, tmp_path / "instance", workers=3)
    stop, outcome = threading.Event(), {}
    try:
        server.wait_ready()
        server.wait_for_workers(3)  # kill a server whose workers are all up
        load = threading.Thread(
            target=lambda: outcome.setdefault(
                "result", run_load(server.base, demo_logins, *item, clients=8, seconds=40, pages=False, stop=stop)
            )
        )
        load.start()
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and len(server.access_log.read_text().splitlines()) < 60:
            time.sleep(0.2)  # under load: a few dozen requests answered, more in flight
        processes = [server.process.pid, *server.worker_pids()]
        server.kill_all()  # master and every worker at once, mid-request
        stop.set()
        load.join(timeout=120)
    finally:
        stop.set()
        server.stop()
    assert len(processes) == 4
    result = outcome["result"]
    assert result.server_errors() == [], result.server_errors()[:5]
    acknowledged = Counter(result.acknowledged)
    assert len(acknowledged) >= 10, len(acknowledged)
    assert max(acknowledged.values()) == 1
    in_db = events_in_database(ow_database, set())
    lost = [k for k in acknowledged if in_db.get(k, 0) == 0]
    doubled = {k: n for k, n in in_db.items() if n > 1}
    assert lost == [] and doubled == {}, (lost, doubled)
