"""Staged steps (LocalRunner workers): run the module, hold its outputs, store them after.

``stage_step`` (see docs/decisions/0007-engine-staged-storage.md): the module runs, its
DataFrame outputs are converted to Arrow and its other outputs encoded and hashed, and the
step is "computed": its outputs are held in memory under tokens (``held.provisional``), so a
step the executor starts speculatively on this process can read them (``{"pending": token,
"kind": kind}`` input refs) while ``Staged.finish()`` — Parquet, SHA-256, summary, durable
write — runs on a storage thread.
The result of ``finish()`` is the same as ``run_step``'s, plus ``"inexact"``: the ports whose
in-memory table is not exactly what decoding the stored bytes gives (a speculative reader of
those must be discarded).
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Mapping
from concurrent.futures import Future, wait
from dataclasses import dataclass
from typing import Any

from designer.engine.artifacts import (
    KIND_PARQUET,
    OutputTypeError,
    Prepared,
    output_table,
    prepare,
    stored_as_table,
    summarize_frame,
)
from designer.engine.hashing import sha256_hex
from designer.engine.held import Held, keep_big_inputs, provisional, recent_tables
from designer.engine.worker import (
    SMALL_TABLE_BYTES,
    Ran,
    Report,
    call,
    checked,
    derive_outputs,
    no_report,
    stored_result,
    storing_failure,
    write_export,
    write_table,
    writer,
)


def _nothing() -> None:
    return None


@dataclass
class _Item:
    """One output of a staged step: its value, its table or encoded bytes, and its ref."""

    port: str
    token: str
    value: Any
    table: Any  # Arrow table of a DataFrame output, else None
    prepared: Prepared | None  # encoded bytes of any other output
    digest: str | None  # their SHA-256
    ref: dict[str, str]  # how a speculative reader on this process names it


class Staged:
    """A step whose module returned and whose outputs are held in memory, not yet stored.

    `refs` are the input refs a speculative step on this process uses for its outputs;
    `finish()` stores them (run it on a storage thread) and returns the step's result.
    """

    def __init__(self, ran: Ran, items: list[_Item]):
        self.step = ran.step
        self.store = ran.store
        self.started = ran.started
        self.finished = ran.finished
        self.items = items
        self.inputs, self.hints = ran.inputs, ran.hints
        self.refs = {item.port: item.ref for item in items}
        self.tables = any(item.prepared is None for item in items)
        self.table_bytes = sum(int(item.table.nbytes) for item in items if item.table is not None)
        # small tables are summarized on the step's own thread (`summarize`) before the next
        # step runs: beside that step's module, the GIL makes both several times slower. Not
        # those of a step that runs every time (a source read again), whose bytes and summary
        # the store mostly holds already: the storage thread finds the summary (decision 0113).
        self.summarize_first = self.table_bytes <= SMALL_TABLE_BYTES and ran.step.deterministic
        self.writes = any("pending" in item.ref for item in items)  # outputs not in the store
        self.summaries: dict[str, dict[str, Any]] = {}  # of tables, by port, made before storing

    def summarize(self) -> None:
        """Summarize the output tables now (on the step's thread, which would wait otherwise or
        whose next module would share the GIL with the summaries), not after their Parquet on
        the storage thread (which summarizes, and fails the step, if this fails)."""
        with contextlib.suppress(Exception):
            for item in self.items:
                if item.prepared is None and item.port not in self.summaries:
                    self.summaries[item.port] = summarize_frame(item.value)

    def finish(self, encoded: Callable[[], None] = _nothing) -> dict[str, Any]:
        """Store the outputs; the step's result (as `run_step` gives it, plus "inexact").
        `encoded` is called once every table is encoded and summarized, while their durable
        writes may still run."""
        return stored_result(functools.partial(self._store, encoded), self.started, self.finished)

    def _store(self, encoded: Callable[[], None]) -> dict[str, Any]:
        """Store every output durably: {"outputs": records by port, "inexact": ports}."""
        store = self.store
        outputs: dict[str, Any] = {}
        inexact: list[str] = []
        stored: list[tuple[str, str, bool]] = []  # (token, digest, exact): read once durable
        pending: list[Future[Any]] = []
        tables = {item.port: item.table for item in self.items if item.prepared is None}
        derivations = derive_outputs(store, tables, self.inputs, self.hints)
        self.inputs = recent_tables.lasting_among(self.inputs)  # the others are not needed
        try:
            for item in self.items:
                if item.prepared is None:
                    derivation = derivations.get(item.port)
                    summary = self.summaries.get(item.port)
                    record, exact = write_table(
                        store, item.value, item.table, pending, derivation, summary
                    )
                    if not exact:
                        inexact.append(item.port)
                else:
                    prepared = item.prepared
                    digest = item.digest or sha256_hex(prepared.data)
                    if "digest" not in item.ref:  # not held by the store (_hold_outputs)
                        if self.tables:  # beside the tables' Parquet, on the writer thread
                            pending.append(writer.submit(store.put, prepared.data, digest))
                        else:  # on this storing thread: small steps' fsyncs overlap (0037)
                            store.put(prepared.data, digest)
                    write_export(store, prepared, pending)
                    exact = True
                    record = {
                        "digest": digest,
                        "kind": prepared.kind,
                        "size": prepared.size,
                        "summary": prepared.summary(),
                    }
                stored.append((item.token, record["digest"], exact))
                outputs[item.port] = record
            encoded()
        finally:
            if pending:  # every write has ended (durably, or failed) before the step reports
                wait(pending)
        for future in pending:
            future.result()  # a failed write fails the step
        for token, digest, exact in stored:
            provisional.resolve(token, digest, exact)
        return {"outputs": outputs, "inexact": inexact}


def stage_step(
    task: Mapping[str, Any],
    report: Report | None = None,
    *,
    token: str,
    small: bool = True,
    capture_output: bool = True,
    chdir: bool = False,
    scratch: str | os.PathLike[str] | None = None,
) -> Staged | dict[str, Any]:
    """Run a step's module and hold its outputs in memory under ``f"{token}/{port}"``.

    Returns a Staged step (call `finish()` to store its outputs and get the result), or the
    result when the module failed or returned outputs that do not fit their ports — the same
    failures, with the same retryability, as `run_step`. With `small` false (the process stores
    nothing else), a step with nothing to write — every output in the store already — is
    finished at once (its result is returned): the hand-off would cost more than it saves. A
    step with new bytes is staged even then, so that its durable writes run beside the next
    step (docs/decisions/0037).
    """
    ran = call(
        task, report or no_report, capture_output=capture_output, chdir=chdir, scratch=scratch
    )
    if isinstance(ran, dict):
        return ran
    try:
        staged = Staged(ran, _hold_outputs(ran, token))
    except Exception as exc:  # holding the outputs failed
        return storing_failure(exc, ran.started)
    finally:
        ran.cleanup()
    keep_big_inputs(staged.inputs, [item.table for item in staged.items if item.table is not None])
    if not small and not staged.writes:
        return staged.finish()
    return staged


def _hold_outputs(ran: Ran, token: str) -> list[_Item]:
    returned = checked(ran.step, ran.returned)
    items: list[_Item] = []
    for port, port_type in ran.step.outputs:
        if port not in returned:
            raise OutputTypeError(f"module {ran.step.module} returned no value for output `{port}`")
        value = returned[port]
        name = f"{token}/{port}"
        if stored_as_table(value, port_type, port):
            table = output_table(value, port)
            provisional.put(name, Held(KIND_PARQUET, table=table))
            ref = {"pending": name, "kind": KIND_PARQUET}
            items.append(_Item(port, name, value, table, None, None, ref))
            continue
        prepared = prepare(value, port_type, port)
        digest = sha256_hex(prepared.data)
        if ran.store.holds(digest, prepared.size):  # stored: nothing to write, and readers
            # take it from there (checked); other bytes under its name are written again
            ref = {"digest": digest, "kind": prepared.kind}
            provisional.put(name, Held(prepared.kind, digest=digest))  # a task behind it reads it
        else:
            provisional.put(name, Held(prepared.kind, data=prepared.data))
            ref = {"pending": name, "kind": prepared.kind}
        items.append(_Item(port, name, value, None, prepared, digest, ref))
    return items
