#!/usr/bin/env python3
"""Crash consistency (issue 12, part 6): `kill -9` in the middle of a 1,000,000-row import and
during 16 reviewers' transitions, on SQLite and PostgreSQL, then restart and check.

    bench/crash.sh [RUNS]       (RUNS kills of each kind per backend, default 3)

For each backend, on a fresh database with `chanjiao demo`:
  import:      `chanjiao import demand` of 1,000,000 rows, killed (SIGKILL) after a random
               0.5–95 % of the time a full import takes; after each kill: no posting stored (an
               import is all or nothing), `audit verify` passes. Then one full import: 1,000,000.
  transitions: `chanjiao serve`, 16 reviewers (13 units and 3 districts, API tokens) approving
               what awaits them as fast as they can; the server is killed after 1–3 s and
               started again. Every transition acknowledged (200) must be there (the
               application's version at least the acknowledged one), `audit verify` passes, and
               queue counts equal the awaiting rows.
"""
import concurrent.futures as cf
import csv
import os
import random
import re
import secrets
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target/release/chanjiao")
PG = os.environ.get("PGBASE", "postgres://postgres@127.0.0.1:5432")
UNITS = ["fgw", "jw", "jxw", "mzj", "czj", "rsj", "ghzy", "wjw", "gzw", "jrj", "sw", "rh", "nfra"]
DISTRICTS = ["500103", "500106", "500112"]
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 3
# The demo finds the real catalog (and so makes occupations) beside the checkout.
CATALOG = os.path.join(os.path.dirname(ROOT), "shared/data/major-catalog-2021.csv")


class Backend:
    def __init__(self, name, tmp):
        self.name, self.tmp = name, tmp
        if name == "sqlite":
            self.path = f"{tmp}/crash.db"
            self.url = f"sqlite://{self.path}?mode=rwc"
        else:
            db = "chanjiao_crash"
            subprocess.run(["psql", f"{PG}/test", "-qc", f"DROP DATABASE IF EXISTS {db}",
                            "-qc", f"CREATE DATABASE {db}"], check=True)
            self.url = f"{PG}/{db}"

    def query(self, sql):
        if self.name == "sqlite":
            with sqlite3.connect(self.path, timeout=30) as c:
                return c.execute(sql).fetchall()
        out = subprocess.run(["psql", self.url, "-tAF", "\t", "-c", sql], check=True,
                             capture_output=True, text=True).stdout
        return [tuple(l.split("\t")) for l in out.splitlines() if l]

    def run(self, *args, stdin=None, check=True):
        env = {**os.environ, "CHANJIAO_DATABASE_URL": self.url, "CHANJIAO_LOG": "error",
               "CHANJIAO_DEMO_CATALOG": CATALOG}
        return subprocess.run([BIN, *args], env=env, cwd=self.tmp, input=stdin, check=check,
                              capture_output=True, text=True)

    def popen(self, *args):
        env = {**os.environ, "CHANJIAO_DATABASE_URL": self.url, "CHANJIAO_LOG": "error"}
        return subprocess.Popen([BIN, *args], env=env, cwd=self.tmp, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)

    def verify(self):
        r = self.run("audit", "verify", check=False)
        ok = r.returncode == 0 and "审计日志完整" in r.stdout
        return ok, r.stdout.strip().splitlines()[0] if r.stdout.strip() else r.stderr.strip()


def postings_csv(b, path, n):
    codes = [r[0] for r in b.query("SELECT code FROM occupations ORDER BY code LIMIT 40")]
    assert codes, "the demo has occupations (../shared/data beside the checkout)"
    rng = random.Random(7)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["区县", "行业代码", "职业代码", "岗位名称", "需求人数", "发布日期", "最低月薪（元）", "最高月薪（元）"])
        for i in range(n):
            w.writerow([rng.choice(DISTRICTS), "C3612", rng.choice(codes), f"岗位{i % 997}",
                        rng.randint(1, 20), f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                        4000 + i % 3000, 8000 + i % 5000])


def count(b, table):
    return int(b.query(f"SELECT COUNT(*) FROM {table}")[0][0])


def crash_import(b):
    path = f"{b.tmp}/postings.csv"
    postings_csv(b, path, 1_000_000)
    # One full import: its time sets when the killed ones are killed.
    before = count(b, "job_postings")
    t = time.monotonic()
    r = b.run("import", "demand", path, check=False)
    duration = time.monotonic() - t
    added = count(b, "job_postings") - before
    ok, msg = b.verify()
    print(f"  full import: exit {r.returncode}, {duration:.1f} s, postings added {added}; "
          f"audit verify {'ok' if ok else 'FAILED'}: {msg}")
    good = r.returncode == 0 and added == 1_000_000 and ok
    rng = random.Random(11)
    for _ in range(RUNS):
        before = count(b, "job_postings")
        p = b.popen("import", "demand", path)
        at = duration * rng.uniform(0.05, 0.95)
        time.sleep(at)
        alive = p.poll() is None
        p.send_signal(signal.SIGKILL)
        p.wait()
        added = count(b, "job_postings") - before
        ok, msg = b.verify()
        print(f"  import killed after {at:.2f} s of {duration:.1f} (was running: {alive}): "
              f"postings added {added}; audit verify {'ok' if ok else 'FAILED'}: {msg}")
        good = good and ok and (added == 0 or not alive)
    return good


def tokens(b):
    out = {}
    for u in UNITS:
        name = f"crash_{u}"
        b.run("user", "add", "--username", name, "--role", "department", "--org", u,
              "--password-stdin", stdin="Crash-" + secrets.token_urlsafe(16), check=False)
        out[name] = b.run("token", "create", "--username", name).stdout.strip().splitlines()[-1]
    for d in DISTRICTS:
        name = f"crash_d{d}"
        b.run("user", "add", "--username", name, "--role", "district", "--org", d,
              "--password-stdin", stdin="Crash-" + secrets.token_urlsafe(16), check=False)
        out[name] = b.run("token", "create", "--username", name).stdout.strip().splitlines()[-1]
    return out


def reviewer(base, token, stop_at, acked):
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {token}"
    done = 0
    while time.monotonic() < stop_at:
        try:
            q = s.get(f"{base}/api/v1/queue?per_page=20", timeout=5).json()
        except Exception:
            return done
        items = q.get("items", [])
        if not items:
            return done
        for it in items:
            if time.monotonic() >= stop_at:
                break
            try:
                r = s.post(f"{base}/api/v1/applications/{it['id']}/actions", timeout=5,
                           json={"action": "approve", "version": it["version"], "text": "同意"})
            except Exception:
                return done
            if r.status_code == 200:
                acked.append((it["id"], r.json()["version"]))
                done += 1
    return done


def crash_transitions(b):
    toks = tokens(b)
    good, total = True, 0
    for run in range(RUNS):
        port = 19000 + os.getpid() % 500 + run
        base = f"http://127.0.0.1:{port}"
        server = b.popen("serve", "--bind", f"127.0.0.1:{port}")
        for _ in range(200):
            try:
                requests.get(base + "/readyz", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        kill_after = random.Random(run).uniform(1.0, 3.0)
        stop_at = time.monotonic() + kill_after + 1.0
        acked = []
        with cf.ThreadPoolExecutor(16) as ex:
            futs = [ex.submit(reviewer, base, t, stop_at, acked) for t in toks.values()]
            time.sleep(kill_after)
            server.send_signal(signal.SIGKILL)
            server.wait()
            done = sum(f.result() for f in futs)
        lost = 0
        for app_id, version in acked:
            v = int(b.query(f"SELECT version FROM applications WHERE id = {app_id}")[0][0])
            if v < version:
                lost += 1
        counts = {r[0]: int(r[1]) for r in b.query("SELECT reviewer, n FROM queue_counts WHERE n <> 0")}
        rows = {r[0]: int(r[1]) for r in b.query(
            "SELECT reviewer, COUNT(*) FROM application_pending GROUP BY reviewer")}
        ok, msg = b.verify()
        same = counts == rows
        print(f"  transitions: killed after {kill_after:.2f} s; {done} acknowledged, {lost} lost; "
              f"queue counts = rows: {same}; audit verify {'ok' if ok else 'FAILED'}: {msg}")
        good = good and lost == 0 and same and ok
        total += done
    # The demo's queues hold a few dozen approvals; later runs may find them drained.
    return good and total > 0


def main():
    print(f"# {os.cpu_count()} cores; {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}; runs {RUNS}")
    verdict = True
    for name in ["sqlite", "postgres"]:
        tmp = tempfile.mkdtemp(prefix=f"cj-crash-{name}-")
        b = Backend(name, tmp)
        print(f"## {name}")
        b.run("demo", "--scale", "1", "--postings", "0")
        a = crash_import(b)
        t = crash_transitions(b)
        print(f"  {name}: import {'ok' if a else 'FAILED'}, transitions {'ok' if t else 'FAILED'}")
        verdict = verdict and a and t
    print("crash consistency:", "held" if verdict else "BROKEN")
    sys.exit(0 if verdict else 1)


if __name__ == "__main__":
    main()
