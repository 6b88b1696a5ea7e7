"""Large captures with several processes: listing the messages, and analysing the calls, with exactly the output
one process would give.

Listing the messages:

Why it is correct: most frames of a SIP capture are plain Ethernet/IPv4/UDP datagrams, and what such a frame holds
does not depend on any other frame. Every worker reads the whole capture (reading is cheap; parsing is not), numbers
the frames the same way, and handles only its share (``Pipeline.run(share=...)``): blocks of stateless frames
dealt out in turn, and every frame that needs state (TCP, fragments, tunnels, SCTP) in worker 0. Each worker sends
back its formatted lines with a sort key (the frame that completed the message, or after the last frame for what
the end-of-capture flush produced); merging the workers' sorted streams by that key rebuilds the one-process order.
Their accountings add up to the whole, since each frame is settled by exactly one worker.

Analysing the calls: each process analyses the Call-IDs that ``sip.shard`` gives it, so every call is seen whole
by one analyzer, and an analyzer's conclusions depend only on its calls' own messages (``analysis.analyzer``).
Every process reads the whole capture; a plain UDP datagram is parsed only by the process of its Call-ID, the
frames that need state are followed by all (``Pipeline.run(calls=...)``). The parent analyses shard 0 itself; the
children write their calls table rows (and flows, for every ladder) to files the parent made, and send their results
with the index of those files, which the parent's collector joins; its spools give everything back in capture
order.
"""

from __future__ import annotations

import functools
import multiprocessing
import tempfile
import traceback
from dataclasses import dataclass
from bisect import bisect_right
from typing import Callable, Iterator

from .accounting import EXAMPLE_FRAMES, sort_events, sort_reasons
from .analysis.analyzer import Analyzer, Links
from .analysis.calls import CallLimits
from .analysis.metrics import Stats
from .capture.files import CaptureFile, merge_records
from .pipeline import Limits, Pipeline, summarize
from .report.collect import Collector

BATCH = 2000  # lines sent per message between processes
PROGRESS_EVERY = 4095  # messages between two progress reports, less one (a mask)


def _work(paths, worker: int, workers: int, make_formatter, strict: bool, limits, conn) -> None:
    try:
        files = [CaptureFile(path) for path in paths]
        pipeline = Pipeline(limits, strict)
        format_line = None
        keys: list[int] = []
        lines: list[str] = []
        accounting = pipeline.accounting
        for message in pipeline.run(merge_records(files), share=(worker, workers)):
            if format_line is None:
                format_line = make_formatter(pipeline.start_ts)
            keys.append(2 * accounting.frames_read + pipeline.flushing)
            lines.append(format_line(message))
            if len(keys) >= BATCH:
                conn.send((keys, lines))
                keys, lines = [], []
        if keys:
            conn.send((keys, lines))
        conn.send(("summary", summarize(files, pipeline)))
    except BaseException:  # noqa: BLE001 - whatever went wrong must reach the parent, which decides
        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()


class WorkerError(Exception):
    """A worker process failed; the message holds its traceback."""


def parallel_lines(paths, make_formatter: Callable, workers: int = 2, strict: bool = False,
                   limits: Limits | None = None) -> tuple[Iterator[str], Callable[[], dict]]:
    """The formatted lines of every message, merged in order, and a function giving the merged summary after.

    ``make_formatter(start_ts)`` returns the function that turns a message into its line; it runs in the workers.
    """
    streams, processes = _start(_work, [(paths, worker, workers, make_formatter, strict, limits)
                                        for worker in range(workers)])
    summaries: list[dict] = []

    def batches(conn):
        while True:
            item = conn.recv()
            if item[0] == "summary":
                summaries.append(item[1])
                return
            if item[0] == "error":
                raise WorkerError(item[1])
            yield item

    def merged() -> Iterator[str]:
        try:
            yield from _merge([batches(conn) for conn in streams])
        finally:
            _stop(processes)

    return merged(), lambda: merge_summaries(summaries)


def _merge(sources) -> Iterator[str]:
    """Merge streams of ``(keys, lines)`` batches, each sorted by key, taking runs rather than single lines."""
    heads = []  # per source: [keys, lines, position]
    for source in sources:
        batch = next(source, None)
        heads.append(None if batch is None else [batch[0], batch[1], 0, source])
    while True:
        live = [head for head in heads if head is not None]
        if not live:
            return
        live.sort(key=lambda head: head[0][head[2]])
        first = live[0]
        keys, lines, start, source = first
        # Take every line of the first source up to the next source's head key (ties go to the earlier worker,
        # which is worker 0 for flushed messages; frames never tie across workers).
        stop = len(keys) if len(live) == 1 else bisect_right(keys, live[1][0][live[1][2]], start)
        yield "".join(lines[start:stop])
        if stop < len(keys):
            first[2] = stop
            continue
        batch = next(source, None)
        index = heads.index(first)
        heads[index] = None if batch is None else [batch[0], batch[1], 0, source]


@dataclass
class ShardResult:
    """What one process's analysis adds up to, apart from what its collector kept."""

    capture: dict
    stats: Stats
    links: Links

    def add(self, other: ShardResult) -> None:
        self.capture = merge_summaries([self.capture, other.capture])
        self.stats.add(other.stats)
        self.links.add(other.links)


def bounded_analyzer(pipeline: Pipeline, workers: int = 1, **options) -> Analyzer:
    """An analyzer held to the pipeline's limits (its share of the open calls, when ``workers`` processes share the
    Call-IDs), each limit hit counted in the pipeline's accounting; the findings go to ``on_call`` only."""
    limits = pipeline.limits
    return Analyzer(max_calls=max(1, limits.max_open_calls // workers),
                    call_limits=CallLimits(limits.max_transactions, limits.max_dialogs,
                                           lambda event, frame: pipeline.own_accounting.event(event, frame)),
                    keep_findings=False, **options)


def analyze_shard(files: list[CaptureFile], worker: int, workers: int, strict: bool, make_collector, limits=None,
                  progress=None) -> tuple[ShardResult, Collector]:
    """Analyse the Call-IDs of shard ``worker`` of ``workers`` (all of them when ``workers`` is 1) in the captures
    ``files`` (opened, not read yet) into the collector ``make_collector(start_time)`` makes. ``progress()`` is
    called now and then as the capture is read."""
    pipeline = Pipeline(limits, strict)
    try:
        return analyze_messages(pipeline.run(merge_records(files), calls=(worker, workers)), pipeline,
                                lambda: summarize(files, pipeline), make_collector, workers, progress)
    finally:
        for f in files:
            f.close()


def analyze_messages(messages, pipeline: Pipeline, summary, make_collector, workers: int = 1,
                     progress=None) -> tuple[ShardResult, Collector]:
    """Analyse ``messages`` into the collector ``make_collector(start_time)`` makes; ``pipeline`` holds the limits,
    the accounting and the internal errors, and ``summary()`` says what was read once the messages are out."""
    collector = make_collector(lambda: pipeline.start_ts)
    analyzer = bounded_analyzer(pipeline, workers, on_call=collector.call, flow=collector.wants_flow,
                                raw=collector.raw)
    feed_all(messages, analyzer, pipeline, progress=progress)
    return ShardResult(summary(), analyzer.stats, analyzer.links), collector


def feed_all(messages, analyzer: Analyzer, pipeline: Pipeline, each=None, progress=None) -> None:
    """Feed ``messages`` to ``analyzer`` (``each(message)`` first, when given), then finish it. A bug in the
    analysis or the reports is an internal error named by its message's frame, and the run goes on."""
    feed = analyzer.feed
    for n, message in enumerate(messages):
        try:
            if each is not None:
                each(message)
            feed(message)
        except Exception as exc:
            pipeline.internal_error(message.frames[-1], exc)
        if progress is not None and not n & PROGRESS_EVERY:
            progress()
    try:
        analyzer.finish(pipeline.end_ts)
    except Exception as exc:  # as above, at the capture's last frame
        pipeline.internal_error(pipeline.accounting.frames_read, exc)


def _analyze_work(paths, worker: int, workers: int, strict: bool, make_collector, limits, files, conn) -> None:
    try:
        result, collector = analyze_shard([CaptureFile(path) for path in paths], worker, workers, strict,
                                          functools.partial(make_collector, files=files), limits)
        conn.send(("result", result, collector.state()))
    except BaseException:  # noqa: BLE001 - whatever went wrong must reach the parent, which decides
        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()


def analyze_calls(files: list[CaptureFile], make_collector, workers: int = 2, strict: bool = False,
                  limits: Limits | None = None, progress=None) -> tuple[ShardResult, Collector]:
    """The analysis of the captures ``files`` (opened, not read yet): the result, and the collector that
    ``make_collector(start_time)`` made, holding what every process collected (in the other processes it is called
    with ``files=`` too, see ``Collector``). Other processes open the captures again by name (so standard input
    takes one process)."""
    if workers <= 1:
        return analyze_shard(files, 0, 1, strict, make_collector, limits, progress)
    paths = [f.path for f in files]
    # The workers' spool files, made here so that this process can read what they write.
    spool_files = [(tempfile.TemporaryFile(), tempfile.TemporaryFile()) for _worker in range(1, workers)]
    streams, processes = _start(_analyze_work, [(paths, worker, workers, strict, make_collector, limits,
                                                 spool_files[worker - 1]) for worker in range(1, workers)])
    try:
        result, collector = analyze_shard(files, 0, workers, strict, make_collector, limits, progress)
        for conn, worker_files in zip(streams, spool_files):
            kind, *rest = conn.recv()
            if kind == "error":
                raise WorkerError(rest[0])
            result.add(rest[0])
            collector.add(rest[1], worker_files)
    finally:
        _stop(processes)
    return result, collector


def _start(target, arguments: list[tuple]) -> tuple[list, list]:
    """One forked process per item of ``arguments``, running ``target(*item, connection)``: the receiving ends of
    their pipes, and the processes."""
    context = multiprocessing.get_context("fork")
    streams, processes = [], []
    for args in arguments:
        receive, send = context.Pipe(duplex=False)
        process = context.Process(target=target, args=(*args, send), daemon=True)
        process.start()
        send.close()
        streams.append(receive)
        processes.append(process)
    return streams, processes


def _stop(processes) -> None:
    for process in processes:
        if process.is_alive():
            process.terminate()
        process.join()


def merge_summaries(summaries: list[dict]) -> dict:
    """One summary from the workers': frame categories, reasons and events added up, examples kept in order."""
    if not summaries:
        return {}
    merged = dict(summaries[0])
    merged["sip_messages"] = sum(s["sip_messages"] for s in summaries)
    merged["by_category"] = {
        category: sum(s["by_category"][category] for s in summaries) for category in summaries[0]["by_category"]
    }
    merged["reasons"] = sort_reasons(_add_up(summaries, "reasons", ("category", "reason"), "frames"))
    merged["events"] = sort_events(_add_up(summaries, "events", ("event",), "count"))
    merged["internal_errors"] = sorted((e for s in summaries for e in s["internal_errors"]), key=lambda e: e["frame"])
    return merged


def _add_up(summaries: list[dict], key: str, ident_fields: tuple, count_field: str) -> list[dict]:
    combined: dict[tuple, dict] = {}
    for summary in summaries:
        for entry in summary[key]:
            ident = tuple(entry[field] for field in ident_fields)
            total = combined.get(ident)
            if total is None:
                combined[ident] = dict(entry, examples=list(entry["examples"]))
            else:
                total[count_field] += entry[count_field]
                total["examples"] = sorted(total["examples"] + entry["examples"])[:EXAMPLE_FRAMES]
    return list(combined.values())
