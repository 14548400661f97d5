"""Two ``ringway serve`` nodes on one PostgreSQL database behind HAProxy, against one node alone,
in one run: the request rate (wrk -t2 -c32) of GET one application, and of a message sent
(``POST /v1/messages``, a write), at one node directly, at one node through the balancer and at
both through it, as ratios; the PostgreSQL connections each node holds, idle and under load
(``pg_stat_activity``); and how long a call running on one node takes to be controlled through
the other (``PUT /v1/calls/{uuid}`` on node 2 until node 1 applies it, read from node 1's
timeline). The balancer's configuration is the one in
docs/guides/postgresql.md#behind-a-load-balancer.

Run as ``python -m bench.nodes`` (``make bench`` runs it; HAProxy comes from Debian). It works
in a schema of its own in the database it is given (``--database-url``, else
``RINGWAY_DATABASE_URL``, else the local test server), dropped at the end. ``--compare SRC``
also starts two nodes from another ringway checkout at SRC (with the same schema revision: an
older commit, say) and times their control side by side with this one's, alternating.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from bench.run import APP, AUTH, KEY, SECRET, free_port, percentile, process, wrk
from ringway.security.jwt import mint

LOCAL = "postgresql://postgres@127.0.0.1:5432/test"
USER = "447700900123"
PHONE = "447700800123"  # a virtual phone that answers at once
CALLER = "447700900001"
# Calls run in real time, so that node 1's timeline is stamped by the wall clock (the rates
# measured involve no call).
REAL_TIME = {"RINGWAY_CLOCK_SPEED": "1"}


def haproxy_config(frontends: dict[str, tuple[int, list[int]]]) -> str:
    """The recipe's configuration, a frontend for each name: its port, and its nodes' ports."""
    out = ["global", "    maxconn 4096", "", "defaults", "    mode http",
           "    timeout connect 2s", "    timeout client 90s", "    timeout server 90s",
           "    option forwardfor", ""]  # fmt: skip
    for name, (port, nodes) in frontends.items():
        out += [f"frontend {name}", f"    bind 127.0.0.1:{port}",
                f"    default_backend {name}_nodes", "", f"backend {name}_nodes",
                "    balance roundrobin", "    option httpchk GET /_ringway/health",
                "    http-check expect status 200"]  # fmt: skip
        out += [f"    server node{n} 127.0.0.1:{p} check inter 2s fall 2 rise 2"
                for n, p in enumerate(nodes, 1)]  # fmt: skip
        out.append("")
    return "\n".join(out)


@contextmanager
def schema(url: str) -> Iterator[str]:
    """``url`` on a new schema, dropped afterwards."""
    admin = sa.create_engine(normalize(url), isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    name = f"bench_nodes_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {name}"))
    except sa.exc.OperationalError as exc:  # make bench goes on without it
        print(f"bench/nodes.py skipped: PostgreSQL at {url} does not answer ({exc.orig})")
        sys.exit(0)
    try:
        joiner = "&" if "?" in url else "?"
        yield f"{url}{joiner}options=-csearch_path%3D{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {name} CASCADE"))


def normalize(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


class Connections:
    """Samples ``pg_stat_activity``: the most connections each node held while sampling."""

    def __init__(self, url: str) -> None:
        self._engine = sa.create_engine(normalize(url), poolclass=sa.NullPool)
        self.most: dict[str, int] = defaultdict(int)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def now(self) -> dict[str, int]:
        with self._engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT application_name, count(*) FROM pg_stat_activity "
                "WHERE application_name LIKE 'ringway-node%' GROUP BY 1"
            )).all()  # fmt: skip
        return {name: count for name, count in rows}

    def __enter__(self) -> Connections:
        self.most.clear()
        self._stop.clear()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            for name, count in self.now().items():
                self.most[name] = max(self.most[name], count)


def alternate(
    urls: dict[str, str], seconds: int, rounds: int, script: Path | None, auth: str
) -> dict[str, float]:
    """Each target's mean rate, the targets taken in turn ``rounds`` times."""
    rates: dict[str, list[float]] = defaultdict(list)
    for _ in range(rounds):
        for name, url in urls.items():
            rates[name].append(wrk(url, seconds, script, auth))
    return {name: statistics.mean(found) for name, found in rates.items()}


@dataclass
class Control:
    """How long commands took, in ms: from the request to node 2 until node 1 applied them,
    and until node 2 answered."""

    applied: list[float] = field(default_factory=list)
    answered: list[float] = field(default_factory=list)

    @property
    def after_answer(self) -> list[float]:
        """Node 1's part, roughly: how long after node 2's answer node 1 applied each."""
        return [a - b for a, b in zip(self.applied, self.answered, strict=True)]


def control(a: str, b: str, app: dict[str, Any], hooks: str, commands: int, into: Control) -> None:
    """Place a call on node ``a`` and mute and unmute it ``commands`` times, then hang it up,
    through node ``b``, one request after the other (each with a new JWT, as the SDKs send)."""
    bearer = lambda: {"Authorization": "Bearer " + mint(app["id"], app["keys"]["private_key"])}  # noqa: E731
    body = {"to": [{"type": "phone", "number": PHONE}], "from": {"type": "phone",
            "number": CALLER}, "ncco": [{"action": "conversation", "name": "stays"}],
            "event_url": [f"{hooks}/event"]}  # fmt: skip
    with httpx.Client(timeout=30) as client:
        placed = client.post(f"{a}/v1/calls", json=body, headers=bearer())
        placed.raise_for_status()
        call = f"/v1/calls/{placed.json()['uuid']}"
        until(lambda: client.get(a + call, headers=bearer()).json()["status"] == "answered")
        sent = []
        for n in range(commands + 1):
            action = "hangup" if n == commands else ("mute", "unmute")[n % 2]
            headers = bearer()
            at = time.time()
            client.put(b + call, json={"action": action}, headers=headers).raise_for_status()
            sent.append((action, at, time.time()))
        until(lambda: client.get(a + call, headers=bearer()).json()["status"] == "completed")
        timeline = client.get(f"{a}/_ringway/calls/{placed.json()['uuid']}/timeline",
                              headers={"Authorization": AUTH}).json()["entries"]  # fmt: skip
    applied = [e for e in timeline if e["kind"] == "control"]
    assert [e["action"] for e in applied] == [action for action, *_ in sent], applied
    for entry, (_, at, answered) in zip(applied, sent, strict=True):
        into.applied.append((dt.datetime.fromisoformat(entry["at"]).timestamp() - at) * 1000)
        into.answered.append((answered - at) * 1000)


def until(check: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError("timed out waiting for a call")
        time.sleep(0.01)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=os.environ.get("RINGWAY_DATABASE_URL", LOCAL))
    parser.add_argument("--seconds", type=int, default=8, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each target, alternated")
    parser.add_argument("--calls", type=int, default=3, help="calls controlled, a pair and round")
    parser.add_argument("--commands", type=int, default=20, help="commands to each such call")
    parser.add_argument(
        "--compare",
        type=Path,
        metavar="SRC",
        help="time control on two nodes run from the ringway checkout SRC too",
    )
    parser.add_argument("--no-rates", action="store_true", help="time control only")
    args = parser.parse_args()
    if shutil.which("haproxy") is None:
        sys.exit("haproxy is not installed: apt-get install haproxy (make bench does)")

    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        work = Path(tmp)
        database = stack.enter_context(schema(args.database_url))
        balancer, alone = free_port(), free_port()
        public = f"http://127.0.0.1:{balancer}"

        def node(name: str, src: Path | None = None) -> str:
            port = free_port()
            env = {"RINGWAY_API_KEY": KEY, "RINGWAY_API_SECRET": SECRET, **REAL_TIME,
                   "RINGWAY_PUBLIC_URL": public,
                   "RINGWAY_DATABASE_URL": f"{database}&application_name={name}"}  # fmt: skip
            if src is not None:
                env["PYTHONPATH"] = str(src.resolve() / "src")
            command = [sys.executable, "-m", "ringway.cli", "serve", "--port", str(port),
                       "--data-dir", str(work / name), "--log-level", "warning"]  # fmt: skip
            health = f"http://127.0.0.1:{port}/_ringway/health"
            stack.enter_context(process(command, env, health, work / f"{name}.log"))
            return f"http://127.0.0.1:{port}"

        # one after the other: the first makes the account
        nodes = [node("ringway-node1"), node("ringway-node2")]
        pairs = {"this checkout": nodes}
        if args.compare:
            pairs[str(args.compare)] = [node("compare-node1", args.compare),
                                        node("compare-node2", args.compare)]  # fmt: skip
        ports = [int(url.rsplit(":", 1)[1]) for url in nodes]
        config = work / "haproxy.cfg"
        config.write_text(haproxy_config({"both": (balancer, ports), "one": (alone, ports[:1])}))
        stack.enter_context(process(["haproxy", "-db", "-f", str(config)], {},
                                    f"{public}/_ringway/health"))  # fmt: skip
        time.sleep(1)

        hooks_port = free_port()  # the messages' status webhooks and the calls' events go there
        hooks = f"http://127.0.0.1:{hooks_port}"
        stack.enter_context(process([sys.executable, "-m", "bench.receiver", str(hooks_port)],
                                    {}, f"{hooks}/count"))  # fmt: skip
        client = stack.enter_context(httpx.Client(base_url=public, headers={"Authorization": AUTH}))
        app = client.post("/v2/applications", json=json.loads(
            json.dumps(APP).replace("http://localhost:3000", hooks))).json()  # fmt: skip
        found = client.get("/number/search", params={"country": "GB", "pattern": "4477009"})
        msisdn = found.json()["numbers"][0]["msisdn"]
        client.post("/number/buy", data={"country": "GB", "msisdn": msisdn})
        client.post("/number/update", data={"country": "GB", "msisdn": msisdn, "app_id": app["id"]})
        client.put(f"/_ringway/phones/{PHONE}", json={"answer_after": 0}).raise_for_status()
        bearer = "Bearer " + mint(app["id"], app["keys"]["private_key"], ttl=3600)
        calls = client.get("/v1/calls", headers={"Authorization": bearer}).json()
        assert calls["_links"]["self"]["href"].startswith(public), calls  # the balancer's
        send = work / "send.lua"
        message = {"channel": "sms", "message_type": "text", "to": USER, "from": msisdn,
                   "text": "Hello"}  # fmt: skip
        send.write_text('wrk.method = "POST"\n'
                        f"wrk.body = {json.dumps(json.dumps(message))}\n"
                        'wrk.headers["Content-Type"] = "application/json"\n')  # fmt: skip

        watch = Connections(args.database_url)
        idle = watch.now()
        one, both, direct = f"http://127.0.0.1:{alone}", public, nodes[0]
        results: dict[str, dict[str, float]] = {}
        loads: dict[str, dict[str, int]] = {}
        for name, path, script, auth in (
            ("GET one application", f"/v2/applications/{app['id']}", None, AUTH),
            ("POST /v1/messages (JWT)", "/v1/messages", send, bearer),
        ):
            if args.no_rates:
                break
            urls = {"one node": direct + path, "one node, balanced": one + path,
                    "two nodes, balanced": both + path}  # fmt: skip
            with watch:
                results[name] = alternate(urls, args.seconds, args.rounds, script, auth)
            loads[name] = dict(watch.most)
        time.sleep(2)
        after = watch.now()

        controls = {name: Control() for name in pairs}
        for a, b in pairs.values():  # a first call each, not counted: the nodes warm up
            control(a, b, app, hooks, args.commands, Control())
        for _ in range(args.rounds):  # the pairs in turn, so that drift hits both
            for name, (a, b) in pairs.items():
                for _ in range(args.calls):
                    control(a, b, app, hooks, args.commands, controls[name])

    if results:
        print(f"{'operation':<26}{'one node':>10}{'one, LB':>10}{'two, LB':>10}"
              f"{'two/one':>9}{'two/one LB':>12}")  # fmt: skip
    for name, row in results.items():
        a, b, c = row["one node"], row["one node, balanced"], row["two nodes, balanced"]
        print(f"{name:<26}{a:>10,.0f}{b:>10,.0f}{c:>10,.0f}{c / a:>9.2f}{c / b:>12.2f}")
    print("\nPostgreSQL connections per node (default pool: 10, overflow 10, and 2 of its own):")
    print(f"  idle after start-up: {idle}")
    for name, most in loads.items():
        print(f"  most under load, {name}: {most}")
    print(f"  idle after the load: {after}")
    print("\nA call on node 1 controlled through node 2, ms from the request until node 1 "
          "applied it (and until node 2 answered):")  # fmt: skip
    latency: dict[str, dict[str, float]] = {}
    for name, found in controls.items():
        latency[name] = {"p50": percentile(found.applied, 0.5),
                         "p90": percentile(found.applied, 0.9),
                         "p99": percentile(found.applied, 0.99), "max": max(found.applied),
                         "answered_p50": percentile(found.answered, 0.5),
                         "answered_p99": percentile(found.answered, 0.99),
                         "after_answer_p50": percentile(found.after_answer, 0.5),
                         "after_answer_p99": percentile(found.after_answer, 0.99),
                         "commands": len(found.applied)}  # fmt: skip
        row = latency[name]
        print(
            f"  {name}: p50 {row['p50']:.0f}, p90 {row['p90']:.0f}, p99 {row['p99']:.0f}, "
            f"max {row['max']:.0f} "
            f"(answered p50 {row['answered_p50']:.0f}, p99 {row['answered_p99']:.0f}; applied "
            f"after the answer p50 {row['after_answer_p50']:.0f}, p99 "
            f"{row['after_answer_p99']:.0f}), "
            f"{len(found.applied)} commands"
        )
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    connections = {"idle": idle, "load": loads, "after": after}
    samples = {name: {"applied": found.applied, "answered": found.answered}
               for name, found in controls.items()}  # fmt: skip
    (out / "nodes.json").write_text(json.dumps({"rates": results, "connections": connections,
                                                "control_ms": latency, "control_samples_ms":
                                                samples}, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
