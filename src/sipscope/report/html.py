"""``--html FILE``: the report as one self-contained page to attach to a ticket.

The page holds the capture's summary, a sortable and filterable calls table, the findings with what to do, an SVG
ladder per call (click a message to read it whole) and the knowledge cards of every response and finding it shows.
It needs nothing from the network: styles and script are inline, and its Content-Security-Policy forbids any
fetch and runs only the page's own script (a nonce). Every string from a packet is HTML-escaped, in text and in
attributes alike; the policy is a second wall behind that one.
"""

from __future__ import annotations

import secrets
from html import escape

from ..knowledge import Knowledge
from ..text import printable
from . import ladder as ladders
from .collect import Collector, KeptFindings, is_problem
from .facts import UNDERSTOOD, grouped, seconds, statistics_rows, understood, when
from .select import party_address

MAX_ROWS = 50_000  # calls in the table; a larger capture is better narrowed with a selection
MAX_INSTANCES = 1_000  # listed instances of one finding id
FEW = 1_000  # up to this many calls, every one gets its ladder; beyond, the calls with problems
COLUMN, ROW, TOP, GUTTER, NOTE_GAP = 190, 26, 58, 96, 24


def write_html(path: str, result, collector: Collector, knowledge: Knowledge) -> None:
    text = page(result, collector, knowledge)
    with open(path, "w", encoding="utf-8") as out:
        out.write(text)


def page(result, collector: Collector, knowledge: Knowledge) -> str:
    label = knowledge.label
    nonce = secrets.token_urlsafe(16)
    used_responses: dict[str, tuple[int, str | None]] = {}
    findings = collector.findings
    table, numbers, keys = _calls(collector, label)
    flows = _flows(collector, numbers, knowledge, used_responses)
    parts = [
        f'<!DOCTYPE html>\n<html lang="{knowledge.language}" dir="{knowledge.direction}">\n<head>\n'
        '<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'; '
        f'script-src \'nonce-{nonce}\'; img-src data:; base-uri \'none\'; form-action \'none\'">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<title>{escape(label("report.title"))}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n'
        f'<h1>{escape(label("report.title"))}</h1>\n',
        _summary(result.capture, collector, label),
        table,
        _findings(findings, keys, knowledge),
        flows,
        _cards(used_responses, findings.sorted(), knowledge),
        _statistics(collector, result, label),
        f'<div id="viewer" hidden><div class="bar"><b id="viewer-title"></b>'
        f'<button type="button" id="viewer-close">×</button></div><pre id="viewer-text"></pre></div>\n'
        f'<script nonce="{nonce}">{SCRIPT}</script>\n</body>\n</html>\n',
    ]
    return "".join(parts)


# -- summary -----------------------------------------------------------------------------------------------------
def _summary(capture: dict, collector: Collector, label) -> str:
    items = []
    for f in capture["files"]:
        notes = "".join(f"<br><span class=warn>{escape(label('report.note'))}: {escape(printable(n))}</span>"
                        for n in f["notes"])
        items.append(f"<li>{escape(f['name'])} ({escape(f['format'])}{', gzip' if f['compressed'] else ''})"
                     f"{notes}</li>")
    frames = capture["frames"]
    first, last = capture.get("first_time"), capture.get("last_time")
    if first is not None:
        items.append("<li>" + escape(label("report.span", start=when(first), end=when(last),
                                           seconds=f"{last - first:.3f}")) + "</li>")
    items.append("<li>" + escape(label("report.frames_messages", frames=frames, messages=capture["sip_messages"]))
                 + "</li>")
    count, share, missing = understood(capture)
    items.append("<li>" + escape(label("report.understood", frames=count, share=share)) + "</li>")
    reasons = "".join(
        f"<li>{escape(e['category'])}: {escape(printable(e['reason']))}: {e['frames']} "
        f"({escape(label('report.frames'))} {', '.join(map(str, e['examples']))})</li>"
        for e in capture["reasons"] if e["category"] not in UNDERSTOOD)
    items.append(f"<li class=\"{'warn' if missing else 'ok'}\">"
                 f"{escape(label('report.not_understood', frames=missing))}"
                 + (f"<ul>{reasons}</ul>" if reasons else "") + "</li>")
    for entry in capture["events"]:
        items.append(f"<li>{escape(printable(entry['event']))}: {entry['count']}</li>")
    for error in capture["internal_errors"]:
        items.append(f"<li class=error>{escape(label('report.internal_error', frame=error['frame']))}: "
                     f"{escape(printable(error['error']))}</li>")
    if collector.selection.active:
        items.append("<li>" + escape(label("report.selected", calls=collector.calls, left_out=collector.left_out))
                     + "</li>")
    return f'<section id="summary"><ul>{"".join(items)}</ul></section>\n'


# -- calls table -------------------------------------------------------------------------------------------------
COLUMNS = ("number", "time", "caller", "callee", "outcome", "setup", "duration", "findings", "call_id")


def _calls(collector: Collector, label) -> tuple[str, dict[int, int], dict[str, int]]:
    """The table, the number of each row key that has one, and the row key of each Call-ID with findings."""
    head = "".join(f'<th data-column="{n}" data-type="{"text" if name in ("caller", "callee", "outcome", "call_id") else "number"}">'
                   f'{"#" if name == "number" else escape(label("report.col." + name))}</th>'
                   for n, name in enumerate(COLUMNS))
    rows, numbers, keys, count = [], {}, {}, 0
    wanted = {printable(f.call_id) for f in collector.findings.sorted() if f.call_id}
    for key, row in collector.sorted_rows():
        if row.number:
            numbers[key] = row.number
        if row.call_id in wanted:
            keys.setdefault(row.call_id, key)
        count += 1
        if count > MAX_ROWS:
            continue
        outcome = row.outcome + (f" {row.status}" if row.status and row.outcome != "answered" else "")
        link = f'<a href="#call-{key}">{row.number or escape(row.kind)}</a>'
        cells = [
            (row.number or 0, link), (row.start, f"{row.start:.3f}"),
            (None, escape(party_address(row.caller) or "-")), (None, escape(party_address(row.callee) or "-")),
            (None, f'<span class="outcome {escape(row.outcome)}">{escape(outcome)}</span>'),
            (_sort_number(row.setup_time), seconds(row.setup_time)),
            (_sort_number(row.duration), seconds(row.duration)),
            (row.findings, f'<span class="{row.worst or "none"}">{row.findings or "-"}</span>'),
            (None, escape(row.call_id)),
        ]
        tds = "".join(f"<td>{html}</td>" if value is None else f'<td data-value="{value}">{html}</td>'
                      for value, html in cells)
        rows.append(f'<tr data-problem="{1 if row.worst in ("error", "warning") else 0}">{tds}</tr>')
    more = f'<p class="note">{count - MAX_ROWS} more rows are not shown.</p>' if count > MAX_ROWS else ""
    html = (f'<section id="calls"><h2>{escape(label("report.calls"))}: <span id="shown">{min(count, MAX_ROWS)}'
            f'</span> / {min(count, MAX_ROWS)}</h2>\n'
            f'<p><input id="filter" type="search" placeholder="{escape(label("html.filter"))}" '
            f'aria-label="{escape(label("html.filter"))}"> <label><input id="problems" type="checkbox"> '
            f'{escape(label("html.problems_only"))}</label></p>\n'
            f'<table id="calls-table"><thead><tr>{head}</tr></thead>\n<tbody>\n' + "\n".join(rows)
            + f"\n</tbody></table>{more}</section>\n")
    return html, numbers, keys


def _sort_number(value: float | None) -> float:
    return -1.0 if value is None else value


# -- findings ----------------------------------------------------------------------------------------------------
def _findings(findings: KeptFindings, keys: dict[str, int], knowledge: Knowledge) -> str:
    label = knowledge.label
    parts = [f'<section id="findings"><h2>{escape(label("report.findings"))}: {len(findings)}</h2>']
    for severity, by_id in grouped(findings.sorted()).items():
        for finding_id, group in by_id.items():
            entry = knowledge.finding(finding_id)
            items = "".join(
                f"<li>{escape(label('report.frames'))} {', '.join(map(str, f.frames[:20]))}: "
                f"{escape(printable(f.summary))}{'' if f.conclusive else ' [' + escape(label('report.inconclusive')) + ']'}"
                f" · <a href=\"#call-{keys.get(printable(f.call_id or ''), '')}\">"
                f"{escape(printable(f.call_id or '-'))}</a></li>"
                for f in group[:MAX_INSTANCES])
            total = findings.counts[(severity, finding_id)]
            more = f"<li>… {total - MAX_INSTANCES}</li>" if total > MAX_INSTANCES else ""
            parts.append(
                f'<details class="finding {severity}" open><summary><span class="badge {severity}">'
                f'{escape(label("severity." + severity))}</span> <code>{escape(finding_id)}</code> '
                f'{escape(entry.title)} ×{total}</summary>'
                f'<p class="fix"><b>{escape(label("report.guidance"))}:</b> {escape(entry.texts["fix"])}</p>'
                f'<ul>{items}{more}</ul></details>')
    parts.append("</section>\n")
    return "\n".join(parts)


# -- ladders -----------------------------------------------------------------------------------------------------
def _flows(collector: Collector, numbers: dict[int, int], knowledge: Knowledge, used: dict) -> str:
    label = knowledge.label
    few = collector.calls <= FEW
    parts = [f'<section id="flows"><h2>{escape(label("report.ladders"))}</h2>'
             f'<p class="note">{escape(label("html.ladder_help"))}</p>']
    drawn = 0
    for key, summary, findings in collector.kept_flows():
        if not few and not is_problem(findings):
            continue
        if drawn >= FEW:
            break
        drawn += 1
        drawing = ladders.build(summary, findings, knowledge)
        for arrow in drawing.arrows:
            if arrow.note is not None:
                used.setdefault(knowledge.response_key(arrow.status, arrow.cseq_method),
                                (arrow.status, arrow.cseq_method))
        parts.append(_ladder(key, numbers.get(key), drawing, knowledge))
    more = collector.problems - drawn if not few else 0
    if more > 0:
        parts.append(f'<p class="note">{escape(label("report.more_ladders", count=more))}</p>')
    parts.append("</section>\n")
    return "\n".join(parts)


def _ladder(key: int, number: int | None, drawing, knowledge: Knowledge) -> str:
    label = knowledge.label
    summary = drawing.summary
    title = (f"{escape(label('report.call'))} {number}" if number else escape(printable(summary["kind"]).upper()))
    status = f" {summary['status']}" if summary["status"] else ""
    head = (f'<h3 id="call-{key}">{title} <small>{escape(label("report.col.call_id"))} '
            f'{escape(printable(summary["call_id"]))} · {escape(printable(summary["caller"] or "-"))} → '
            f'{escape(printable(summary["callee"] or "-"))} · <span class="outcome {escape(summary["outcome"])}">'
            f'{escape(summary["outcome"])}{status}</span></small></h3>')
    count = max(len(drawing.endpoints), 1)
    lifeline = [GUTTER + COLUMN // 2 + i * COLUMN for i in range(count)]
    notes_x = GUTTER + count * COLUMN + NOTE_GAP
    height = TOP + ROW * (len(drawing.arrows) + len(drawing.unplaced)) + 20
    width = notes_x + 660
    svg = [f'<svg class="ladder" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label("report.ladders"))}">']
    for x, endpoint in zip(lifeline, drawing.endpoints):
        svg.append(f'<text class="endpoint" x="{x}" y="18" text-anchor="middle">{escape(_short(endpoint.address, 28))}'
                   f'<title>{escape(endpoint.address)}</title></text>')
        if endpoint.agent:
            svg.append(f'<text class="agent" x="{x}" y="34" text-anchor="middle">{escape(_short(endpoint.agent, 30))}'
                       f'<title>{escape(endpoint.agent)}</title></text>')
        svg.append(f'<line class="life" x1="{x}" y1="42" x2="{x}" y2="{height - 6}"/>')
    raws = []
    y = TOP
    for n, arrow in enumerate(drawing.arrows):
        message_id = f"m{key}-{n}"
        x1, x2 = lifeline[arrow.source], lifeline[arrow.target]
        kind = "request" if arrow.is_request else "response c" + arrow.label[:1]
        again = " again" if arrow.again else ""
        svg.append(f'<g class="msg {kind}{again}" data-msg="{message_id}" tabindex="0">')
        svg.append(f'<text class="when" x="4" y="{y + 4}">{arrow.frame}</text>'
                   f'<text class="when" x="{GUTTER - 8}" y="{y + 4}" text-anchor="end">{arrow.after:.3f}</text>')
        if x1 == x2:
            svg.append(f'<path d="M{x1} {y - 6} h30 v12 h-30" class="arrow"/>')
            svg.append(f'<text class="label" x="{x1 + 36}" y="{y + 4}">{escape(arrow.label)}</text>')
        else:
            tip = -1 if x2 > x1 else 1
            svg.append(f'<line class="arrow" x1="{x1}" y1="{y}" x2="{x2}" y2="{y}"/>'
                       f'<path class="head" d="M{x2} {y} l{tip * 9} -5 v10 z"/>')
            svg.append(f'<text class="label" x="{(x1 + x2) // 2}" y="{y - 5}" text-anchor="middle">'
                       f'{"↻ " if arrow.again else ""}{escape(_short(arrow.label, 34))}</text>')
        svg.append(f'<rect class="hit" x="0" y="{y - ROW // 2}" width="{width}" height="{ROW}"/>')
        note_parts = []
        for finding in arrow.findings:
            note_parts.append(f'<tspan class="{finding.severity}">▲ {escape(finding.id)}</tspan> ')
        if arrow.note:
            note_parts.append(f'<tspan class="kb">{escape(_short(arrow.note, 90))}</tspan>')
        if note_parts:
            svg.append(f'<text class="note" x="{notes_x}" y="{y + 4}">{"".join(note_parts)}</text>')
        svg.append("</g>")
        raws.append(_raw(message_id, arrow, label))
        y += ROW
    for finding in drawing.unplaced:
        svg.append(f'<text class="note" x="{notes_x}" y="{y + 4}"><tspan class="{finding.severity}">▲ '
                   f'{escape(finding.id)}</tspan> {escape(_short(printable(finding.summary), 90))}</text>')
        y += ROW
    svg.append("</svg>")
    findings = "".join(f'<li class="{f.severity}"><code>{escape(f.id)}</code> {escape(printable(f.summary))}</li>'
                       for f in drawing.findings)
    return (f'<article class="call">{head}<div class="scroll">{"".join(svg)}</div>'
            + (f"<ul class=\"call-findings\">{findings}</ul>" if findings else "")
            + f'<div hidden>{"".join(raws)}</div></article>')


def _raw(message_id: str, arrow, label) -> str:
    """The message as captured, for the viewer: decoded as UTF-8 (bad bytes shown as U+FFFD), line breaks kept,
    other control characters shown as escapes, everything HTML-escaped."""
    text = (arrow.raw or b"").decode("utf-8", "replace")
    lines = "\n".join(printable(line) for line in text.replace("\r\n", "\n").rstrip("\n").split("\n"))
    title = f"{label('report.frames')} {', '.join(map(str, arrow.frames))} · {arrow.transport} · {arrow.label}"
    note = f"\n\n— {arrow.note}" if arrow.note else ""
    return (f'<pre id="{message_id}" data-title="{escape(title)}">{escape(lines)}{escape(note)}</pre>')


def _short(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


# -- knowledge cards ---------------------------------------------------------------------------------------------
def _cards(used: dict, findings: list, knowledge: Knowledge) -> str:
    label = knowledge.label
    entries = [knowledge.response(status, method) for status, method in used.values()]
    entries += [knowledge.finding(finding_id) for finding_id in dict.fromkeys(f.id for f in findings)]
    parts = [f'<section id="knowledge"><h2>{escape(label("html.knowledge"))}</h2>']
    for entry in entries:
        fields = ("description", "when_seen", "fix", "differs") if entry.kind == "response" else \
            ("description", "impact", "causes", "fix")
        body = "".join(f"<dt>{escape(label('card.' + name))}</dt><dd>{escape(entry.texts[name])}</dd>"
                       for name in fields if entry.texts.get(name))
        refs = ", ".join(escape(r) for r in entry.references)
        if refs:
            body += f"<dt>{escape(label('card.references'))}</dt><dd>{refs}</dd>"
        name = f"{entry.code} {entry.title}" if entry.kind == "response" and entry.code else \
            f"{entry.key} · {entry.title}"
        parts.append(f'<details class="card" id="kb-{escape(entry.key)}"><summary>{escape(name)}'
                     + (f" <small>({escape(entry.method)})</small>" if entry.method else "")
                     + f"</summary><dl>{body}</dl></details>")
    parts.append("</section>\n")
    return "\n".join(parts)


# -- statistics --------------------------------------------------------------------------------------------------
def _statistics(collector: Collector, result, label) -> str:
    stats = (collector.stats if collector.selection.active else result.stats).as_dict()
    body = "".join(f"<tr><th>{escape(name)}</th><td>{escape(text) or '-'}</td></tr>"
                   for name, text in statistics_rows(stats, label))
    heading = label("report.statistics_selected" if collector.selection.active else "report.statistics")
    return f'<section id="statistics"><h2>{escape(heading)}</h2><table>{body}</table></section>\n'


STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:1.5em;color:#1b1f24;background:#fff}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccd;padding-bottom:.2em;margin-top:1.6em}
h3{font-size:1.05em;margin:1.4em 0 .3em}h3 small{font-weight:normal;color:#555}
code,pre,.ladder{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
table{border-collapse:collapse}th,td{padding:.2em .6em;border-bottom:1px solid #e4e4ea;text-align:start}
#filter{width:24em;max-width:90%}
#calls-table th{cursor:pointer;background:#f3f4f8;position:sticky;top:0}
#calls-table th.asc::after{content:" ▲"}#calls-table th.desc::after{content:" ▼"}
#calls-table td[data-value]{text-align:end;font-variant-numeric:tabular-nums}
.answered,.completed{color:#17692f}.busy,.no_answer,.cancelled{color:#8a5a00}.rejected,.failed,.unanswered{color:#b3261e}
.error{color:#b3261e}.warning{color:#8a5a00}.info{color:#1d5fa8}.ok{color:#17692f}.warn{color:#8a5a00}
.badge{display:inline-block;padding:0 .4em;border-radius:3px;color:#fff;font-size:.85em}
.badge.error{background:#b3261e}.badge.warning{background:#a86d00}.badge.info{background:#1d5fa8}
details.finding{margin:.5em 0}details.finding ul{margin:.3em 0}.fix{margin:.3em 0 .3em 1em}
.note{color:#555}.scroll{overflow-x:auto;direction:ltr}
.ladder{font-size:12px;background:#fcfcfe;border:1px solid #e4e4ea}
.ladder .endpoint{font-weight:bold}.ladder .agent{fill:#666}.ladder .life{stroke:#99a;stroke-dasharray:3 3}
.ladder .arrow{stroke:#334;stroke-width:1.4;fill:none}.ladder .head{fill:#334}
.ladder .response .arrow{stroke:#557}.ladder .again .arrow{stroke-dasharray:5 4;stroke:#999}
.ladder .again .label{fill:#888}.ladder .c4 .label,.ladder .c5 .label,.ladder .c6 .label{fill:#b3261e}
.ladder .c2 .label{fill:#17692f}.ladder .when{fill:#777}.ladder .kb{fill:#666;font-style:italic}
.ladder .note .error{fill:#b3261e;font-weight:bold}.ladder .note .warning{fill:#a86d00;font-weight:bold}
.ladder .note .info{fill:#1d5fa8}.ladder .hit{fill:transparent}.ladder .msg{cursor:pointer}
.ladder .msg:hover .hit,.ladder .msg:focus .hit,.ladder .msg.current .hit{fill:#eef2ff}
#viewer{position:fixed;inset:auto 1em 1em 1em;max-height:45vh;display:flex;flex-direction:column;
background:#fff;border:1px solid #99a;box-shadow:0 4px 18px rgba(0,0,0,.2)}
#viewer[hidden]{display:none}#viewer .bar{display:flex;justify-content:space-between;padding:.3em .6em;
background:#f3f4f8}#viewer pre{margin:0;padding:.6em;overflow:auto;direction:ltr;text-align:left;white-space:pre}
.card dl{margin:.3em 1em}.card dt{font-weight:bold}.card dd{margin:0 0 .4em 1em}
"""

SCRIPT = """
(function () {
  const table = document.getElementById('calls-table');
  const body = table.tBodies[0];
  const filter = document.getElementById('filter');
  const problems = document.getElementById('problems');
  const shown = document.getElementById('shown');
  function apply() {
    const words = filter.value.toLowerCase().split(/\\s+/).filter(Boolean);
    let count = 0;
    for (const row of body.rows) {
      const text = row.textContent.toLowerCase();
      const visible = words.every(w => text.includes(w)) && (!problems.checked || row.dataset.problem === '1');
      row.hidden = !visible;
      if (visible) count++;
    }
    shown.textContent = count;
  }
  filter.addEventListener('input', apply);
  problems.addEventListener('change', apply);
  for (const th of table.tHead.rows[0].cells) {
    th.addEventListener('click', function () {
      const column = Number(th.dataset.column);
      const numeric = th.dataset.type === 'number';
      const ascending = !th.classList.contains('asc');
      for (const other of table.tHead.rows[0].cells) other.classList.remove('asc', 'desc');
      th.classList.add(ascending ? 'asc' : 'desc');
      const key = row => {
        const cell = row.cells[column];
        return numeric ? Number(cell.dataset.value) : cell.textContent.toLowerCase();
      };
      const rows = Array.from(body.rows);
      rows.sort((a, b) => {
        const x = key(a), y = key(b);
        return (x < y ? -1 : x > y ? 1 : 0) * (ascending ? 1 : -1);
      });
      for (const row of rows) body.appendChild(row);
    });
  }
  const viewer = document.getElementById('viewer');
  let current = null;
  function show(group) {
    const source = document.getElementById(group.dataset.msg);
    if (!source) return;
    if (current) current.classList.remove('current');
    current = group;
    group.classList.add('current');
    document.getElementById('viewer-title').textContent = source.dataset.title;
    document.getElementById('viewer-text').textContent = source.textContent;
    viewer.hidden = false;
  }
  for (const group of document.querySelectorAll('.ladder .msg')) {
    group.addEventListener('click', () => show(group));
    group.addEventListener('keydown', e => { if (e.key === 'Enter' || e.key === ' ') show(group); });
  }
  document.getElementById('viewer-close').addEventListener('click', () => { viewer.hidden = true; });
})();
"""
