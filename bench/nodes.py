"""Two ``ringway serve`` nodes on one PostgreSQL database behind HAProxy, against one node alone,
in one run: the request rate (wrk -t2 -c32) of GET one application, and of a message sent
(``POST /v1/messages``, a write), at one node directly, at one node through the balancer and at
both through it, as ratios; and the PostgreSQL connections each node holds, idle and under load
(``pg_stat_activity``). The balancer's configuration is the one in
docs/guides/postgresql.md#behind-a-load-balancer.

Run as ``python -m bench.nodes`` (``make bench`` runs it; HAProxy comes from Debian). It works
in a schema of its own in the database it is given (``--database-url``, else
``RINGWAY_DATABASE_URL``, else the local test server), dropped at the end.
"""

from __future__ import annotations

import argparse
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
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import sqlalchemy as sa

from bench.run import APP, AUTH, KEY, SECRET, free_port, process, wrk
from ringway.security.jwt import mint

LOCAL = "postgresql://postgres@127.0.0.1:5432/test"
USER = "447700900123"


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=os.environ.get("RINGWAY_DATABASE_URL", LOCAL))
    parser.add_argument("--seconds", type=int, default=8, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each target, alternated")
    args = parser.parse_args()
    if shutil.which("haproxy") is None:
        sys.exit("haproxy is not installed: apt-get install haproxy (make bench does)")

    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        work = Path(tmp)
        database = stack.enter_context(schema(args.database_url))
        balancer, alone = free_port(), free_port()
        ports = [free_port(), free_port()]
        public = f"http://127.0.0.1:{balancer}"
        for n, port in enumerate(ports, 1):  # one after the other: the first makes the account
            named = f"{database}&application_name=ringway-node{n}"
            env = {"RINGWAY_API_KEY": KEY, "RINGWAY_API_SECRET": SECRET,
                   "RINGWAY_PUBLIC_URL": public, "RINGWAY_DATABASE_URL": named}  # fmt: skip
            command = [sys.executable, "-m", "ringway.cli", "serve", "--port", str(port),
                       "--data-dir", str(work / f"node{n}"), "--log-level", "warning"]  # fmt: skip
            health = f"http://127.0.0.1:{port}/_ringway/health"
            stack.enter_context(process(command, env, health, work / f"node{n}.log"))
        config = work / "haproxy.cfg"
        config.write_text(haproxy_config({"both": (balancer, ports), "one": (alone, ports[:1])}))
        stack.enter_context(process(["haproxy", "-db", "-f", str(config)], {},
                                    f"{public}/_ringway/health"))  # fmt: skip
        time.sleep(1)

        hooks_port = free_port()  # the messages' status webhooks go there
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
        one, both = f"http://127.0.0.1:{alone}", public
        direct = f"http://127.0.0.1:{ports[0]}"
        results: dict[str, dict[str, float]] = {}
        loads: dict[str, dict[str, int]] = {}
        for name, path, script, auth in (
            ("GET one application", f"/v2/applications/{app['id']}", None, AUTH),
            ("POST /v1/messages (JWT)", "/v1/messages", send, bearer),
        ):
            urls = {"one node": direct + path, "one node, balanced": one + path,
                    "two nodes, balanced": both + path}  # fmt: skip
            with watch:
                results[name] = alternate(urls, args.seconds, args.rounds, script, auth)
            loads[name] = dict(watch.most)
        time.sleep(2)
        after = watch.now()

    print(f"{'operation':<26}{'one node':>10}{'one, LB':>10}{'two, LB':>10}"
          f"{'two/one':>9}{'two/one LB':>12}")  # fmt: skip
    for name, row in results.items():
        a, b, c = row["one node"], row["one node, balanced"], row["two nodes, balanced"]
        print(f"{name:<26}{a:>10,.0f}{b:>10,.0f}{c:>10,.0f}{c / a:>9.2f}{c / b:>12.2f}")
    print("\nPostgreSQL connections per node (default pool: 10, overflow 10, and 1 watching):")
    print(f"  idle after start-up: {idle}")
    for name, most in loads.items():
        print(f"  most under load, {name}: {most}")
    print(f"  idle after the load: {after}")
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    (out / "nodes.json").write_text(json.dumps({"rates": results, "connections": {
        "idle": idle, "load": loads, "after": after}}, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
