"""`make bench`, live notebook rows: 20 editors and 200 read-only followers of one
call on 2 app servers (uvicorn, PostgreSQL, Redis), all on 127.0.0.1.

Run inside tests/with_postgres.sh and tests/with_redis.sh:

    tests/with_postgres.sh tests/with_redis.sh .venv/bin/python tests/bench/notebook.py

Each editor speaks the Yjs sync protocol the browser speaks (pycrdt makes the
updates) and types BENCH_NOTEBOOK_RATE keystrokes a second into the same text for
BENCH_NOTEBOOK_SECONDS; half the editors and followers are on each server. Every
update is timed from its send to its arrival at each other editor
(keystroke-to-other-screen latency, p50/p95/p99). At the end the stored document
must hold every keystroke (lost updates: 0) and every keystroke must have been
acknowledged. Prints the rows and writes bench-notebook.json; exits 1 on a loss.
"""

import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "true")

EDITORS = int(os.environ.get("BENCH_NOTEBOOK_EDITORS", "20"))
FOLLOWERS = int(os.environ.get("BENCH_NOTEBOOK_FOLLOWERS", "200"))
SECONDS = float(os.environ.get("BENCH_NOTEBOOK_SECONDS", "20"))
RATE = float(os.environ.get("BENCH_NOTEBOOK_RATE", "3"))  # keystrokes/s per editor
OUT = ROOT / "bench-notebook.json"
# After typing stops, how long the servers may take to acknowledge the backlog.
DRAIN_SECONDS = float(os.environ.get("BENCH_NOTEBOOK_DRAIN_SECONDS", "60"))


def log(message: str) -> None:
    print(f"bench-notebook: {message}", file=sys.stderr, flush=True)


def prepare():
    """Migrate, then one call, its editors (Maintainers) and their sessions."""
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        check=True,
    )
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.auth.models import Group
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from meetings.models import Meeting, MeetingSeries

    series, _ = MeetingSeries.objects.get_or_create(
        slug="bench-notebook", defaults={"title": "Bench call"}
    )
    meeting = Meeting.objects.create(
        series=series,
        start=timezone.now() - timezone.timedelta(minutes=10),
        status=Meeting.Status.HELD,
        ordinal=Meeting.objects.filter(series=series).count() + 1,
    )
    maintainers = Group.objects.get(name="Maintainer")
    sessions = []
    for number in range(EDITORS):
        user, _ = get_user_model().objects.get_or_create(
            username=f"bench-editor-{number}", defaults={"is_staff": True}
        )
        user.groups.add(maintainers)
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        sessions.append(store.session_key)
    return meeting.pk, sessions


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


async def run(meeting_id: int, sessions: list[str], servers) -> dict:
    from pycrdt import Doc, Text
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    from agenda.notebook import consumers as protocol

    sent_at: dict[bytes, float] = {}
    latencies: list[float] = []
    acks = {"n": 0}
    followers_got = {"n": 0}
    keystrokes = {"n": 0}
    stop = asyncio.Event()

    def origin(port):
        return {"Origin": f"http://127.0.0.1:{port}"}

    async def editor(number: int, session: str, port: int, ready: asyncio.Barrier):
        url = f"ws://127.0.0.1:{port}/ws/notebook/{meeting_id}"
        headers = {**origin(port), "Cookie": f"sessionid={session}"}
        async with connect(
            url, additional_headers=headers, max_size=None, open_timeout=120
        ) as socket:
            doc = Doc()
            text = doc.get("notes", type=Text)
            mine = {"sent": 0, "acks": 0}
            await socket.send(
                protocol.sync_message(protocol.SYNC_STEP1, doc.get_state())
            )

            async def receive():
                async for message in socket:
                    now = time.perf_counter()
                    kind = message[0]
                    if kind == protocol.MESSAGE_ACK:
                        acks["n"] += 1
                        mine["acks"] += 1
                    elif kind == protocol.MESSAGE_SYNC:
                        step = message[1]
                        payload = protocol.read_bytes(message, 2)[0]
                        if step == protocol.SYNC_STEP1:
                            await socket.send(
                                protocol.sync_message(
                                    protocol.SYNC_STEP2, doc.get_update(payload)
                                )
                            )
                        elif step == protocol.SYNC_UPDATE and payload in sent_at:
                            latencies.append(now - sent_at[payload])

            receiver = asyncio.create_task(receive())
            await ready.wait()
            interval = 1 / RATE
            next_at = time.perf_counter() + (number / EDITORS) * interval
            while not stop.is_set():
                await asyncio.sleep(max(0, next_at - time.perf_counter()))
                next_at += interval
                before = doc.get_state()
                text += "x"
                update = doc.get_update(before)
                sent_at[update] = time.perf_counter()
                keystrokes["n"] += 1
                mine["sent"] += 1
                await socket.send(protocol.sync_message(protocol.SYNC_UPDATE, update))
            # Wait for the server to acknowledge every keystroke (it may be behind).
            deadline = time.perf_counter() + DRAIN_SECONDS
            while mine["acks"] < mine["sent"] + 1 and time.perf_counter() < deadline:
                await asyncio.sleep(0.1)
            receiver.cancel()

    async def follower(port: int, ready: asyncio.Barrier):
        url = f"ws://127.0.0.1:{port}/ws/follow/{meeting_id}"
        async with connect(
            url, additional_headers=origin(port), max_size=None, open_timeout=120
        ) as ws:
            await ready.wait()
            try:
                while not stop.is_set():
                    try:
                        await asyncio.wait_for(ws.recv(), timeout=1)
                    except TimeoutError:
                        continue
                    followers_got["n"] += 1
            except ConnectionClosed:
                return

    ports = [server.port for server in servers]
    ready = asyncio.Barrier(EDITORS + FOLLOWERS + 1)
    rss_before = sum(rss_bytes(server.process.pid) for server in servers)
    tasks = []
    for n in range(EDITORS):
        tasks.append(asyncio.create_task(editor(n, sessions[n], ports[n % 2], ready)))
    for n in range(FOLLOWERS):
        tasks.append(asyncio.create_task(follower(ports[n % 2], ready)))
        if n % 20 == 19:
            await asyncio.sleep(0.5)  # connect in waves, as people arrive
    await asyncio.wait_for(ready.wait(), timeout=120)
    rss_after = sum(rss_bytes(server.process.pid) for server in servers)
    cpu_before = sum(cpu_seconds(server.process.pid) for server in servers)
    started = time.perf_counter()
    await asyncio.sleep(SECONDS)
    stop.set()
    elapsed = time.perf_counter() - started
    cpu_after = sum(cpu_seconds(server.process.pid) for server in servers)
    await asyncio.gather(*tasks, return_exceptions=True)
    drained = time.perf_counter() - started - elapsed
    return {
        "latencies": latencies,
        "keystrokes": keystrokes["n"],
        "acks": acks["n"],
        "follower_messages": followers_got["n"],
        "elapsed": elapsed,
        "drain_seconds": drained,
        "cpu_cores": (cpu_after - cpu_before) / elapsed,
        "memory_per_connection": (rss_after - rss_before) / (EDITORS + FOLLOWERS),
    }


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if values else 0


def main() -> int:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        log("needs PostgreSQL (run inside tests/with_postgres.sh)")
        return 3
    if not os.environ.get("REDIS_URL"):
        log("needs Redis (run inside tests/with_redis.sh)")
        return 3
    meeting_id, sessions = prepare()
    from tests.e2e.servers import AppServer

    extra = {"NOTEBOOK_FOLLOWERS_PER_ADDRESS": str(FOLLOWERS + 10)}
    servers = [
        AppServer("bench-a", env=extra).start(),
        AppServer("bench-b", env=extra).start(),
    ]
    try:
        result = asyncio.run(run(meeting_id, sessions, servers))
    finally:
        for server in servers:
            server.kill()
    from agenda.notebook import live

    doc, _last = live.load_doc(meeting_id)
    from pycrdt import Text

    stored = str(doc.get("notes", type=Text)).count("x")
    lost = result["keystrokes"] - stored
    latencies_ms = [value * 1000 for value in result["latencies"]]
    row = {
        "page": "notebook",
        "editors": EDITORS,
        "followers": FOLLOWERS,
        "servers": 2,
        "keystrokes": result["keystrokes"],
        "updates_per_s": round(result["keystrokes"] / result["elapsed"], 1),
        "deliveries": len(latencies_ms),
        "p50_ms": round(percentile(latencies_ms, 0.50), 1),
        "p95_ms": round(percentile(latencies_ms, 0.95), 1),
        "p99_ms": round(percentile(latencies_ms, 0.99), 1),
        "mean_ms": round(statistics.fmean(latencies_ms), 1) if latencies_ms else 0,
        "acknowledged": result["acks"],
        "follower_messages": result["follower_messages"],
        "cpu_cores": round(result["cpu_cores"], 2),
        "memory_per_connection_kb": round(result["memory_per_connection"] / 1024, 1),
        "drain_s": round(result["drain_seconds"], 1),
        "lost_updates": lost,
    }
    OUT.write_text(json.dumps([row], indent=2) + "\n")
    print(
        "notebook: {editors} editors + {followers} followers on 2 servers: "
        "{updates_per_s} updates/s, latency p50 {p50_ms} ms p95 {p95_ms} ms "
        "p99 {p99_ms} ms, CPU {cpu_cores} cores, {memory_per_connection_kb} KB per "
        "connection, lost {lost_updates} (goal: p95 < 50 ms, 0 lost)".format(**row)
    )
    return 1 if lost or result["acks"] < result["keystrokes"] else 0


if __name__ == "__main__":
    sys.exit(main())
