"""Engine benchmark: orchestration overhead of no-op steps in worker processes.

    .venv/bin/python bench/engine.py [--workers 2] [--repeat 5]

Graphs: a chain of 100 no-op steps, and a fan-out of 200 (one source, 200 middles, one sink).
For each: a cold run (empty store and cache) and a cached rerun (everything reused), with a
warm LocalRunner. With no-op steps the wall time *is* orchestration (cache lookups, IPC,
artifact store, events), so overhead per step = wall time / steps. The same no-ops run on a
warm concurrent.futures.ProcessPoolExecutor in the same process for the ratio.
Engine and pool runs alternate, round by round, so both see the same machine load.
Beside the wall time, the executor's own CPU a step (its thread's CPU time over the cold run:
what the fan-out waits on when the machine is quiet) is less noisy than the wall to compare
two trees by.
The distinct-output chain's rounds also time the bare durable write the store makes for each
output (temp file, write, fsync, rename into its shard, fsync of the shard; no engine), one at a
time and SMALL_STORING_LIMIT at once (as many as a worker overlaps): what the disk costs, so
what the engine adds shows beside it.
Goals: the chain and the fan-out ≤ 1.2 times the pool per step, the chain with distinct stored
outputs ≤ 1 ms per step (each output durable before its step reports), the cached rerun of the
100-chain < 50 ms in total.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from noop_modules import pool_noop, registry  # noqa: E402

from designer.engine.cache import FileCache  # noqa: E402
from designer.engine.compile import compile_graph  # noqa: E402
from designer.engine.execute import execute  # noqa: E402
from designer.engine.plan import Plan  # noqa: E402
from designer.engine.runners.local import SMALL_STORING_LIMIT, LocalRunner  # noqa: E402
from designer.engine.schema import parse_graph  # noqa: E402
from designer.engine.store import ArtifactStore  # noqa: E402


def _node(i: str, module: str, params: dict[str, object] | None = None) -> dict[str, object]:
    return {"id": i, "module": module, "params": params or {}, "position": {"x": 0, "y": 0}}


def _edge(n: int, src: str, dst: str, port: str = "in") -> dict[str, object]:
    return {
        "id": f"e{n}",
        "source": {"node": src, "port": "out"},
        "target": {"node": dst, "port": port},
    }


def chain(n: int, module: str = "bench.noop@1") -> Plan:
    nodes = [_node(f"s{i}", module, {"salt": f"s{i}"}) for i in range(n)]
    edges = [_edge(i, f"s{i - 1}", f"s{i}") for i in range(1, n)]
    doc = {"schema_version": 1, "nodes": nodes, "edges": edges}
    return compile_graph(parse_graph(doc), registry(), {})


def fan_out(width: int) -> Plan:
    nodes = [_node("source", "bench.noop@1")]
    nodes += [_node(f"m{i}", "bench.noop@1", {"salt": f"m{i}"}) for i in range(width)]
    nodes.append(_node("sink", "bench.sink@1"))
    edges = [_edge(i, "source", f"m{i}") for i in range(width)]
    edges += [_edge(width + i, f"m{i}", "sink", f"in{i}") for i in range(width)]
    doc = {"schema_version": 1, "nodes": nodes, "edges": edges}
    return compile_graph(parse_graph(doc), registry(), {})


def timed_runs(
    plan: Plan, runner: LocalRunner, repeat: int, workers: int
) -> tuple[list[float], list[float], list[float]]:
    """Wall seconds of each cold run and of each cached rerun, and the executor thread's CPU
    seconds of each cold run. Each cold run gets a fresh copy of the plan, as a server's first
    run of a graph compiles one (a `Step` keeps what it encoded once for its fingerprint); the
    rerun runs the same copy again, as the server's cache of compiled plans hands it out."""
    cold: list[float] = []
    cached: list[float] = []
    cpu: list[float] = []
    for _ in range(repeat):
        root = tempfile.mkdtemp(prefix="bench-engine-")
        try:
            store, cache = ArtifactStore(Path(root) / "artifacts"), FileCache(root)
            fresh = Plan.from_dict(plan.to_dict())
            c0, t0 = time.thread_time(), time.perf_counter()
            r1 = execute(
                fresh, runner=runner, cache=cache, store=store, parallelism=workers, scope="bench"
            )
            t1, c1 = time.perf_counter(), time.thread_time()
            r2 = execute(
                fresh, runner=runner, cache=cache, store=store, parallelism=workers, scope="bench"
            )
            t2 = time.perf_counter()
            assert r1.status == r2.status == "succeeded", (r1.status, r2.status)
            assert r1.counts["ran"] == len(plan) and r2.counts["reused"] == len(plan)
            cold.append(t1 - t0)
            cached.append(t2 - t1)
            cpu.append(c1 - c0)
            cache.close()
        finally:
            shutil.rmtree(root, ignore_errors=True)
    return cold, cached, cpu


def pool_chain(pool: concurrent.futures.ProcessPoolExecutor, n: int) -> float:
    t0 = time.perf_counter()
    for i in range(n):
        pool.submit(pool_noop, i).result()
    return time.perf_counter() - t0


def pool_fan_out(pool: concurrent.futures.ProcessPoolExecutor, width: int) -> float:
    t0 = time.perf_counter()
    pool.submit(pool_noop, -1).result()
    futures = [pool.submit(pool_noop, i) for i in range(width)]
    for f in futures:
        f.result()
    pool.submit(pool_noop, -2).result()
    return time.perf_counter() - t0


def _durable_write(root: str, data: bytes) -> None:
    """The store's durable write of one new object, bare: temp file, write, fsync, rename into
    its shard folder, fsync of that folder."""
    digest = hashlib.sha256(data).hexdigest()
    shard = os.path.join(root, "objects", digest[:2])
    os.makedirs(shard, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=os.path.join(root, "tmp"))
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp_name, os.path.join(shard, digest[2:]))
    folder = os.open(shard, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def disk_floor(writes: int, threads: int) -> float:
    """Wall seconds of `writes` bare durable writes of distinct small objects (as bench.unique's
    outputs), `threads` at a time, in a fresh folder beside the engine's stores."""
    root = tempfile.mkdtemp(prefix="bench-engine-disk-")
    try:
        os.makedirs(os.path.join(root, "tmp"))
        tag = uuid.uuid4().hex
        payloads = [f'{{"node":"s{i}","salt":"{tag}"}}'.encode() for i in range(writes)]
        t0 = time.perf_counter()
        if threads == 1:
            for data in payloads:
                _durable_write(root, data)
        else:
            with concurrent.futures.ThreadPoolExecutor(threads) as pool:
                list(pool.map(lambda data: _durable_write(root, data), payloads))
        return time.perf_counter() - t0
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    workers, repeat = args.workers, args.repeat

    chain_plan, fan_plan, unique_plan = chain(100), fan_out(200), chain(100, "bench.unique@1")
    load = os.getloadavg()[0]
    print(
        f"engine benchmark: {workers} workers, {repeat} runs each, {os.cpu_count()} CPUs, "
        f"load average {load:.1f}, Python {sys.version.split()[0]}"
    )
    rows = []
    floor_one: list[float] = []  # the distinct-output chain's rounds: bare durable writes
    floor_overlap: list[float] = []
    with LocalRunner(workers) as runner, concurrent.futures.ProcessPoolExecutor(workers) as pool:
        # warm both: start every worker and import what the steps need
        timed_runs(chain(4), runner, 1, workers)
        list(pool.map(pool_noop, range(workers * 4)))
        for name, plan, pool_fn in (
            ("chain of 100", chain_plan, lambda: pool_chain(pool, 100)),
            ("fan-out of 200", fan_plan, lambda: pool_fan_out(pool, 200)),
            ("chain of 100, distinct outputs", unique_plan, lambda: pool_chain(pool, 100)),
        ):
            cold, cached, cpu, base = [], [], [], []
            for _ in range(repeat):  # alternate, so both sides see the same machine load
                one_cold, one_cached, one_cpu = timed_runs(plan, runner, 1, workers)
                cold += one_cold
                cached += one_cached
                cpu += one_cpu
                base.append(pool_fn())
                if plan is unique_plan:
                    floor_one.append(disk_floor(len(plan), 1))
                    floor_overlap.append(disk_floor(len(plan), SMALL_STORING_LIMIT))
            rows.append((name, len(plan), cold, cached, base, cpu))

    for title, pick in (("median", statistics.median), ("best", min)):
        print(f"\n{title} of {repeat} runs")
        header = (
            f"{'graph':<32}{'steps':>6}{'cold total':>12}{'per step':>10}{'cpu/step':>10}"
            f"{'pool/step':>11}{'extra':>9}{'ratio':>7}{'cached total':>14}{'per step':>10}"
        )
        print(header)
        print("-" * len(header))
        for name, steps, cold_runs, cached_runs, base_runs, cpu_runs in rows:
            cold, cached, base = pick(cold_runs), pick(cached_runs), pick(base_runs)
            print(
                f"{name:<32}{steps:>6}{cold * 1e3:>10.1f}ms{cold / steps * 1e3:>8.3f}ms"
                f"{pick(cpu_runs) / steps * 1e3:>8.3f}ms"
                f"{base / steps * 1e3:>9.3f}ms{(cold - base) / steps * 1e3:>7.3f}ms"
                f"{cold / base:>6.1f}x{cached * 1e3:>12.1f}ms{cached / steps * 1e3:>8.3f}ms"
            )
    print(
        "\nper step = wall time / steps (no-op steps: all of it is orchestration: cache lookup,"
        "\nfingerprint, IPC, result recording, events); cpu/step = the executor thread's CPU"
        "\ntime / steps (the workers' not included); pool/step = the same no-ops on a warm"
        "\nProcessPoolExecutor; extra = the difference; ratio = engine / pool. Distinct outputs:"
        "\nevery step stores a new artifact (temp file, fsync, rename, directory fsync)."
    )
    unique_steps, unique_runs = rows[2][1], rows[2][2]
    print(f"\nthe disk in the same rounds ({unique_steps} bare durable writes of new objects):")
    for title, pick in (("median", statistics.median), ("best", min)):
        one, overlap = pick(floor_one) / unique_steps, pick(floor_overlap) / unique_steps
        engine = pick(unique_runs) / unique_steps
        print(
            f"  {title:<6} one at a time {one * 1e3:.3f} ms, {SMALL_STORING_LIMIT} at once "
            f"{overlap * 1e3:.3f} ms a write; the engine {engine * 1e3:.3f} ms a step "
            f"({(engine - overlap) * 1e3:+.3f} ms beyond {SMALL_STORING_LIMIT} at once)"
        )
    print("\ngoals (medians; the pool measured in the same rounds):")
    for (name, steps, cold_runs, _, base_runs, _), goal in zip(rows, (1.2, 1.2, None), strict=True):
        cold, base = statistics.median(cold_runs), statistics.median(base_runs)
        if goal is None:
            per_step = cold / steps
            verdict = "met" if per_step <= 1e-3 else "MISSED"
            floor = statistics.median(floor_overlap) / steps
            print(
                f"  {name} <= 1 ms per step: {verdict} ({per_step * 1e3:.3f} ms; the disk alone "
                f"{floor * 1e3:.3f} ms a write {SMALL_STORING_LIMIT} at once, "
                f"{statistics.median(floor_one) / steps * 1e3:.3f} ms one at a time)"
            )
            if floor > 1e-3:
                print("  note: this disk takes more than 1 ms a durable write however overlapped")
        else:
            verdict = "met" if cold / base <= goal else "MISSED"
            print(f"  {name} <= {goal}x the pool per step: {verdict} ({cold / base:.2f}x)")
    chain_cached = statistics.median(rows[0][3])
    verdict = "met" if chain_cached < 0.05 else "MISSED"
    print(f"  cached 100-chain rerun < 50 ms: {verdict} ({chain_cached * 1e3:.1f} ms)")
    load = os.getloadavg()[0]
    print(f"load average {load:.1f} on {os.cpu_count()} CPUs at the end of the run")
    if load > (os.cpu_count() or 1):
        print(f"note: load average {load:.1f} > CPUs: other jobs share the machine; see 'best'")


if __name__ == "__main__":
    main()
