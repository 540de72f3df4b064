#!/usr/bin/env python3
"""Hostile imports against the real server (issue 12, part 1).

Target: any hostile file within the upload limit is refused within 1 s, with the server's
resident memory growing by less than 100 MB; other users' pages keep answering meanwhile.

    bench/hostile.sh            (builds the release binary, then runs this)

Starts `chanjiao serve` on a fresh SQLite file, signs in as an operator, and uploads each
hostile file to each import route, one at a time and then three at once, recording the answer,
its time, and the server's peak resident memory (VmHWM) before and after; a second client
reads the home page every 50 ms throughout and reports its slowest answer.
"""
import os
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target/release/chanjiao")
HOSTILE = os.path.join(ROOT, "crates/tabular/tests/hostile")

ROUTES = [
    ("/supply", "/supply/import", 10),
    ("/majors", "/majors/import", 20),
    ("/occupations", "/occupations/import", 20),
    ("/occupations", "/occupations/crosswalk/import", 20),
    ("/demand", "/demand/import", 64),
]


def vm(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) // 1024  # MB
    return 0


def reset_peak(pid):
    """Resets the process's peak resident memory (VmHWM) to its current size."""
    with open(f"/proc/{pid}/clear_refs", "w") as f:
        f.write("5")


def hidden(html, name):
    m = re.search(f'name="{name}" value="([^"]*)"', html)
    return m.group(1) if m else None


def files(tmp, max_mb):
    """The hostile files for a route whose upload limit is max_mb."""
    out = [
        ("corner.xlsx (A1 + XFD1048576)", open(f"{HOSTILE}/corner.xlsx", "rb").read()),
        ("sst.xlsx (uniqueCount 10^15)", open(f"{HOSTILE}/sst.xlsx", "rb").read()),
        ("bomb.xlsx (1 MB -> 1 GB)", open(f"{HOSTILE}/bomb.xlsx", "rb").read()),
        ("bomb-2g.xlsx (2 MB -> 2 GB)", open(f"{tmp}/bomb-2g.xlsx", "rb").read()),
    ]
    # A CSV line of commas filling the upload limit (less the form's room).
    n = max_mb * 1024 * 1024 - 1024
    out.append((f"commas.csv ({n // 1024 // 1024} MB of commas)", "姓名,编码\n".encode() + b"," * n))
    # Many small cells: one short value per cell, up to the upload limit.
    row = ("a," * 200 + "a\n").encode()
    out.append((f"cells.csv ({max_mb} MB of one-letter cells)", row * ((max_mb * 1024 * 1024 - 1024) // len(row))))
    return out


def main():
    tmp = tempfile.mkdtemp(prefix="cj-hostile-")
    subprocess.run([sys.executable, f"{HOSTILE}/make.py", "--big"], cwd=tmp, check=True,
                   env={**os.environ})
    db = f"sqlite://{tmp}/bench.db?mode=rwc"
    env = {**os.environ, "CHANJIAO_DATABASE_URL": db, "CHANJIAO_LOG": "warn"}
    subprocess.run([BIN, "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)
    password = "Bench-" + secrets.token_urlsafe(18)
    subprocess.run([BIN, "user", "add", "--username", "bench_operator", "--role", "operator",
                    "--org", "operator", "--password-stdin"], env=env, check=True,
                   input=password.encode(), stdout=subprocess.DEVNULL)
    port = 18000 + os.getpid() % 1000
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([BIN, "serve", "--bind", f"127.0.0.1:{port}"], env=env,
                              stdout=subprocess.DEVNULL, stderr=open(f"{tmp}/server.log", "w"))
    try:
        for _ in range(100):
            try:
                requests.get(base + "/healthz", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        s = requests.Session()
        csrf = hidden(s.get(base + "/login").text, "csrf")
        r = s.post(base + "/login", data={"username": "bench_operator", "password": password,
                                          "csrf": csrf, "next": "/"}, allow_redirects=False)
        assert r.status_code == 303, r.text
        s.get(base + "/")  # warm up
        rss0 = vm(server.pid, "VmRSS")
        print(f"# machine: {os.cpu_count()} cores; server RSS after start {rss0} MB")

        stop = threading.Event()
        slowest = [0.0]
        probe = requests.Session()
        probe.cookies = s.cookies.copy()

        def reader():
            while not stop.is_set():
                t = time.monotonic()
                probe.get(base + "/measures")
                slowest[0] = max(slowest[0], time.monotonic() - t)
                time.sleep(0.05)

        th = threading.Thread(target=reader)
        th.start()

        worst_time, worst_growth = 0.0, 0
        print("| route | file | status | seconds | peak RSS growth MB | answer |")
        print("|---|---|---|---|---|---|")
        for page, post, max_mb in ROUTES:
            token = hidden(s.get(base + page).text, "csrf")
            for name, body in files(tmp, max_mb):
                rss_before = vm(server.pid, "VmRSS")
                reset_peak(server.pid)
                t = time.monotonic()
                r = s.post(f"{base}{post}?csrf={token}", data={"csrf": token},
                           files={"file": (name.split()[0], body)})
                dt = time.monotonic() - t
                growth = vm(server.pid, "VmHWM") - rss_before
                msg = re.search(r'<p class="msg">([^<]*)</p>', r.text)
                msg = msg.group(1) if msg else r.text[:80]
                worst_time, worst_growth = max(worst_time, dt), max(worst_growth, growth)
                print(f"| {post} | {name} | {r.status_code} | {dt:.3f} | {growth} | {msg} |")

        # Three 2 GB bombs at once.
        token = hidden(s.get(base + "/supply").text, "csrf")
        bomb = open(f"{tmp}/bomb-2g.xlsx", "rb").read()
        results = []

        def send():
            t = time.monotonic()
            r = s.post(f"{base}/supply/import?csrf={token}", data={"csrf": token},
                       files={"file": ("bomb.xlsx", bomb)})
            results.append((r.status_code, time.monotonic() - t))

        rss_before = vm(server.pid, "VmRSS")
        reset_peak(server.pid)
        ts = [threading.Thread(target=send) for _ in range(3)]
        [t.start() for t in ts]
        [t.join() for t in ts]
        growth = vm(server.pid, "VmHWM") - rss_before
        print(f"\nthree 2 GB bombs at once: {results}; peak RSS growth {growth} MB")
        stop.set()
        th.join()
        print(f"worst single refusal {worst_time:.3f} s; worst peak RSS growth {worst_growth} MB; "
              f"slowest /measures page meanwhile {slowest[0] * 1000:.0f} ms; "
              f"server RSS at the end {vm(server.pid, 'VmRSS')} MB, peak {vm(server.pid, 'VmHWM')} MB")
        ok = worst_time < 1.0 and worst_growth < 100 and growth < 100
        print("target (refused < 1 s, RSS growth < 100 MB):", "met" if ok else "MISSED")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
