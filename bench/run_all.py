"""Every farwatch benchmark, one table: each figure beside its floor from the same run.

    python bench/run_all.py [--quick] [--markdown FILE] [--only NAME ...]

Runs the per-area benches in ``bench/`` (the cache, derive, IMAP, trackers
and dashboard scripts as child processes whose output is read back; the
status and memory benches in-process) and prints the machine, then one table:
the farwatch figure, its floor measured in the same run, alternated with it
or beside it (the cheapest thing that could do the job: a bare Textual app
started as a process, orjson reading or saving the same data, a full sync),
their ratio and the target from the issue. Ratios travel between machines
and survive a busy one; absolute times do not.

``--quick`` uses fewer runs, a 30 s idle window and a 1,000-message mailbox;
the full suite takes ten minutes or more. ``--markdown FILE`` also writes
the table as Markdown for the README. A bench that fails shows as a FAILED
row with its reason; the exit status is then 1.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from figures import Figure  # noqa: E402

# -- the machine ----------------------------------------------------------------


def machine() -> list[tuple[str, str]]:
    """CPU model, cores, memory, Python, OS: what the figures came from."""
    cpu = platform.processor() or platform.machine()
    memory = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    system = platform.platform(terse=True)
    try:
        release = platform.freedesktop_os_release()
        system = f"{release.get('PRETTY_NAME', system)}, {platform.system()} {platform.release()}"
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    rows = [
        ("CPU", f"{cpu} ({platform.machine()})"),
        ("cores", f"{os.cpu_count()} logical, {usable} usable by this process"),
        ("memory", memory or "unknown"),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("OS", system),
        ("farwatch", _git_revision()),
        ("run", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")),
    ]
    return rows


def _git_revision() -> str:
    try:
        done = subprocess.run(
            ["git", "-C", str(HERE.parent), "log", "-1", "--format=%h %cs"],
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown revision"
    return done.stdout.strip() or "unknown revision"


# -- running the per-area scripts ----------------------------------------------


class BenchFailed(Exception):
    """A bench exited non-zero or printed something its parser does not understand."""


def run_script(name: str, *args: str, timeout: float = 600.0) -> str:
    """Run ``bench/<name>`` with this Python; its stdout. Exit 1 (a missed target) is
    still output worth reading; anything else is a failure."""
    done = subprocess.run(
        [sys.executable, str(HERE / name), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
        cwd=HERE.parent,
    )
    if done.returncode not in (0, 1) or not done.stdout.strip():
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise BenchFailed(f"{name} exited {done.returncode}: {' | '.join(tail)}")
    return done.stdout


def grab(pattern: str, text: str, source: str) -> re.Match[str]:
    found = re.search(pattern, text, re.MULTILINE)
    if found is None:
        raise BenchFailed(f"{source}: no line matching {pattern!r} in its output")
    return found


def number(text: str) -> float:
    return float(text.replace(",", ""))


def seconds(value: str, unit: str) -> float:
    return number(value) * (1.0 if unit == "s" else 0.001)


_TIME = r"([\d,.]+) (ms|s)\b"


def cache_figures(quick: bool) -> list[Figure]:
    args = ("--runs", "3", "--sample", "3") if quick else ("--runs", "7", "--sample", "8")
    out = run_script("bench_cache.py", *args)
    src = "bench_cache.py"
    fw = grab(rf"farwatch cache \(atomic orjson writes\)\s+{_TIME}", out, src)
    floor = grab(rf"floor: orjson.dumps \+ write \+ fsync \+ rename\s+{_TIME}", out, src)
    single = grab(rf"TinyDB JSONStorage, insert\(\) x (\d+)\*?\s+{_TIME}", out, src)
    batch = grab(rf"TinyDB JSONStorage, insert_multiple\(\)\s+{_TIME}", out, src)
    load = grab(rf"farwatch: open read-only \+ snapshot\s+{_TIME}", out, src)
    load_floor = grab(rf"floor: orjson.loads \+ rows as plain dicts\s+{_TIME}", out, src)
    scale = grab(r"cache of ([\d,]+) workers and ([\d,]+) check-ins \(([\d.]+) MB\)", out, src)
    sizes = grab(
        r"persist ratio to the floor: ([\d.]+)x at ([\d.]+) MB, ([\d.]+)x at ([\d.]+) MB", out, src
    )
    tiny_batch = seconds(batch[1], batch[2])
    fw_s = seconds(fw[1], fw[2])
    per_insert = seconds(single[2], single[3])
    size = f"{scale[1]} workers / {scale[2]} check-ins, {scale[3]} MB"
    return [
        Figure(
            f"persist one poll cycle ({scale[1]} roster rows + {single[1]} new check-ins)",
            fw_s * 1000,
            "ms",
            floor=seconds(floor[1], floor[2]) * 1000,
            floor_name="orjson.dumps + write + fsync + rename of the same tables",
            target="<= 1.5x",
            note=(
                f"into a cache of {size}; the ratio at a quarter the size: {sizes[3]}x at "
                f"{sizes[4]} MB (it would rise if the cost grew faster than the file); "
                f"TinyDB's own JSONStorage: insert_multiple() {tiny_batch:,.2f} s, "
                f"insert() per record {per_insert:,.1f} s"
                + (" (projected from a sample)" if "*" in single[0] else "")
            ),
        ),
        Figure(
            f"load the cache from disk ({scale[3]} MB)",
            seconds(load[1], load[2]) * 1000,
            "ms",
            floor=seconds(load_floor[1], load_floor[2]) * 1000,
            floor_name="orjson.loads + every row as a plain dict",
            note="farwatch also parses every time and builds its index and typed records",
        ),
    ]


def derive_figures(quick: bool) -> list[Figure]:
    out = run_script("bench_derive.py", "--runs", "3" if quick else "7")
    src = "bench_derive.py"
    found = grab(
        r"derive_statuses: (\d+) workers, (\d+) check-ins, (\d+) entries: "
        r"best (\d+) ms, median (\d+) ms",
        out,
        src,
    )
    later = grab(r"\+1 day median (\d+) ms, \+1 year median (\d+) ms", out, src)
    return [
        Figure(
            f"derive every status ({number(found[1]):,.0f} workers)",
            number(found[5]),
            "ms",
            note=f"{number(found[2]):,.0f} check-ins, {number(found[3]):,.0f} entries; a pure "
            "function, no floor (per worker "
            f"{number(found[5]) * 1000 / number(found[1]):.0f} us)",
        ),
        Figure(
            "derive a year after the last check-ins",
            number(later[2]),
            "ms",
            floor=number(later[1]),
            floor_name="the same cache a day after",
            target="~1x",
            note="working time from the weekly pattern, not a walk over every day since",
        ),
    ]


def imap_figures(quick: bool) -> list[Figure]:
    messages = "1000" if quick else "5000"
    rows: list[tuple[float, float, float, float]] = []
    for _ in range(1 if quick else 3):
        out = run_script("bench_imap.py", "--messages", messages)
        src = "bench_imap.py"
        first = grab(r"^initial sync\s+(\d+)\s+([\d,]+)\s+([\d,]+)\s+([\d.]+)", out, src)
        again = grab(r"^poll, no new mail\s+(\d+)\s+([\d,]+)\s+([\d,]+)\s+([\d.]+)", out, src)
        server = grab(r"^server: (.+?);", out, src)[1]
        rows.append(
            (
                number(again[4]),
                number(first[4]),
                number(again[2]) + number(again[3]),
                number(first[2]) + number(first[3]),
            )
        )
    t_poll, t_sync, b_poll, b_sync = (statistics.median(col) for col in zip(*rows, strict=True))
    mailbox = f"{number(messages):,.0f}-message mailbox on {server}, on 127.0.0.1"
    return [
        Figure(
            f"IMAP poll, no new mail: time ({number(messages):,.0f} msgs)",
            t_poll * 1000,
            "ms",
            floor=t_sync * 1000,
            floor_name="initial sync of the same mailbox",
            target="< 5%",
            note=mailbox,
        ),
        Figure(
            f"IMAP poll, no new mail: bytes ({number(messages):,.0f} msgs)",
            b_poll,
            "bytes",
            floor=b_sync,
            floor_name="initial sync of the same mailbox",
            target="< 5%",
        ),
    ]


def tracker_figures(quick: bool) -> list[Figure]:
    out = run_script("bench_trackers.py")
    src = "bench_trackers.py"
    worst = grab(r"worst (?:steady )?budget ([\d.]+) requests/hour", out, src)
    same = grab(r"equal for 1 and 200 workers: (PASS|FAIL)", out, src)
    return [
        Figure(
            "tracker API requests per hour, 200 workers",
            number(worst[1]),
            "req/h",
            floor=30.0,
            floor_name="free-plan rate limit, a ceiling",
            target="< 1x",
            note=f"worst of Clockify/Toggl/Harvest; requests per poll the same for 1 and 200 "
            f"workers: {same[1]}",
        )
    ]


def tui_figures(quick: bool) -> list[Figure]:
    args = ("--runs", "3", "--idle-seconds", "30") if quick else ("--runs", "9")
    out = run_script("bench_tui.py", *args, timeout=1200.0)
    src = "bench_tui.py"
    figures: list[Figure] = []
    for label, target in (
        ("200 workers", "<= 1.2x"),
        ("1,000 workers / 100,000 check-ins", "<= 1.5x"),
    ):
        block = grab(
            rf"first frame, whole process, {label} .*\n\s+farwatch dashboard:\s+([\d.]+) ms\n"
            rf"\s+floor app:\s+([\d.]+) ms",
            out,
            src,
        )
        figures.append(
            Figure(
                f"first frame, whole process, {label}",
                number(block[1]),
                "ms",
                floor=number(block[2]),
                floor_name="Header + DataTable + Footer app, every row added, same pty",
                target=target,
                note="from spawning the process to its first full frame: imports included",
            )
        )
    apply = grab(r"main thread, apply:\s+([\d.]+) ms", out, src)
    paint = grab(r"apply \+ full repaint:\s+([\d.]+) ms", out, src)
    window = grab(r"idle side by side, .*\((\d+) s window", out, src)
    idle = {
        name: grab(
            rf"  {name}: CPU ([\d.]+)% of one core \(worst minute ([\d.]+)%\); "
            r"terminal ([\d,]+) bytes/min \(worst minute ([\d,]+)\)",
            out,
            src,
        )
        for name in ("farwatch", "floor")
    }
    fw, fl = idle["farwatch"], idle["floor"]
    floor_name = "500-row floor app + 1 s header clock, same window"
    import bench_floor_textual as floors

    poll_floor = floors.update_floor(runs=5 if quick else 20)
    return [
        *figures,
        Figure(
            "main-thread cost of a poll changing 10 of 1,000 rows",
            number(apply[1]),
            "ms",
            floor=poll_floor.ms,
            floor_name=poll_floor.name,
            target="< 20 ms",
            note=f"with the full repaint it causes: {number(paint[1]):.1f} ms",
        ),
        Figure(
            "idle CPU, 500 workers, mean",
            number(fw[1]),
            "% core",
            floor=number(fl[1]),
            floor_name=floor_name,
            target="<= 1.5x",
            note=f"both apps at once over the same {window[1]} s window, sampled every 10 s",
        ),
        Figure(
            "idle CPU, 500 workers, worst minute",
            number(fw[2]),
            "% core",
            floor=number(fl[2]),
            floor_name=floor_name,
            target="<= 1.5x",
        ),
        Figure(
            "terminal bytes per idle minute, 500 workers, mean",
            number(fw[3]),
            "bytes",
            floor=number(fl[3]),
            floor_name=floor_name,
            target="<= 2x",
        ),
        Figure(
            "terminal bytes per idle minute, 500 workers, worst minute",
            number(fw[4]),
            "bytes",
            floor=number(fl[4]),
            floor_name=floor_name,
            target="<= 2x",
        ),
    ]


def status_figures(quick: bool) -> list[Figure]:
    import bench_status

    return bench_status.measure(runs=3 if quick else 7)


def pay_figures(quick: bool) -> list[Figure]:
    import bench_pay

    return bench_pay.measure(runs=3 if quick else 5)


def roster_figures(quick: bool) -> list[Figure]:
    import bench_roster

    return bench_roster.measure(runs=2 if quick else 5)


def memory_figures(quick: bool) -> list[Figure]:
    import bench_memory

    return bench_memory.measure(runs=2 if quick else 3)


@dataclass(frozen=True, slots=True)
class Bench:
    name: str
    collect: Callable[[bool], list[Figure]]


BENCHES = (
    Bench("tui", tui_figures),
    Bench("status", status_figures),
    Bench("pay", pay_figures),
    Bench("cache", cache_figures),
    Bench("imap", imap_figures),
    Bench("memory", memory_figures),
    Bench("derive", derive_figures),
    Bench("trackers", tracker_figures),
    Bench("roster", roster_figures),
)


# -- the table --------------------------------------------------------------------


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "bytes":
        return f"{value:,.0f} B"
    if unit == "% core":
        return f"{value:.2f}%"
    if unit == "MB":
        return f"{value:,.1f} MB"
    if unit == "req/h":
        return f"{value:.1f}/h"
    if unit == "ms":
        return f"{value / 1000:.2f} s" if value >= 10_000 else f"{value:,.1f} ms"
    return f"{value:,.2f} {unit}"


def ratio_text(fig: Figure) -> str:
    ratio = fig.ratio
    if ratio is None:
        return "—"
    if ratio < 0.1:
        return f"{ratio:.2%}"
    return f"{ratio:.2f}x"


@dataclass(frozen=True, slots=True)
class Row:
    figure: str
    value: str
    floor: str
    ratio: str
    target: str
    note: str


def rows_of(figures: list[Figure], failures: list[tuple[str, str]]) -> list[Row]:
    rows = [
        Row(
            f.name,
            fmt(f.value, f.unit),
            f"{fmt(f.floor, f.unit)} ({f.floor_name})" if f.floor is not None else "—",
            ratio_text(f),
            f.target or "—",
            f.note,
        )
        for f in figures
    ]
    rows += [Row(f"{name}: FAILED", "—", "—", "—", "—", why) for name, why in failures]
    return rows


HEADERS = ("figure", "farwatch", "floor (same run)", "ratio", "target")


def text_table(rows: list[Row]) -> str:
    cells = [HEADERS, *((r.figure, r.value, r.floor, r.ratio, r.target) for r in rows)]
    widths = [max(len(c[i]) for c in cells) for i in range(len(HEADERS))]
    lines = []
    for n, cell in enumerate(cells):
        lines.append("  ".join(c.ljust(w) for c, w in zip(cell, widths, strict=True)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    notes = [f"  - {r.figure}: {r.note}" for r in rows if r.note]
    return "\n".join(lines + (["", "notes:", *notes] if notes else []))


def markdown(rows: list[Row], host: list[tuple[str, str]], mode: str) -> str:
    def esc(text: str) -> str:
        return text.replace("|", "\\|")

    out = [
        f"Measured with `python bench/run_all.py{' --quick' if mode == 'quick' else ''}` on:",
        "",
    ]
    out += [f"- **{k}**: {esc(v)}" for k, v in host]
    out += ["", "| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    for r in rows:
        out.append(
            "| "
            + " | ".join(esc(c) for c in (r.figure, r.value, r.floor, r.ratio, r.target))
            + " |"
        )
    notes = [f"- {esc(r.figure)}: {esc(r.note)}" for r in rows if r.note]
    if notes:
        out += ["", *notes]
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs, shorter windows")
    parser.add_argument("--markdown", type=Path, metavar="FILE", help="also write Markdown here")
    parser.add_argument(
        "--only", nargs="+", choices=[b.name for b in BENCHES], help="run only these benches"
    )
    args = parser.parse_args(argv)
    host = machine()
    for key, value in host:
        print(f"{key + ':':<10} {value}")
    print(flush=True)
    figures: list[Figure] = []
    failures: list[tuple[str, str]] = []
    started = time.monotonic()
    for bench in BENCHES:
        if args.only and bench.name not in args.only:
            continue
        print(f"running {bench.name} ...", file=sys.stderr, flush=True)
        t0 = time.monotonic()
        try:
            figures.extend(bench.collect(args.quick))
        except Exception as exc:  # one broken bench must not cost the whole table
            failures.append((bench.name, f"{type(exc).__name__}: {exc}"))
        print(f"  {bench.name}: {time.monotonic() - t0:.0f} s", file=sys.stderr, flush=True)
    rows = rows_of(figures, failures)
    mode = "quick" if args.quick else "full"
    took = time.monotonic() - started
    print(f"farwatch benchmarks ({mode}, {took:.0f} s); ratio = farwatch / floor")
    print(text_table(rows))
    if args.markdown:
        args.markdown.write_text(markdown(rows, host, mode), encoding="utf-8")
        print(f"\nMarkdown written to {args.markdown}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
