"""The live worker table: keyed, in-place updates that keep the cursor where it was.

Each refresh compares the new statuses with what the table shows and touches
only what changed: gone rows are removed, changed cells get ``update_cell``,
new rows are added, and the rows are re-sorted only when the order changed —
all inside one ``batch_update`` so the terminal sees one repaint. The table is
never cleared, so the cursor and the scroll position survive every poll.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from rich.text import Text
from textual.coordinate import Coordinate
from textual.geometry import Region
from textual.widgets.data_table import CellDoesNotExist, ColumnKey, RowKey

from farwatch.state.status import WorkerStatus
from farwatch.tui import cells
from farwatch.tui.cells import ColumnSpec, build_cells, cell_signature, plan_columns
from farwatch.tui.ordering import GROUP_PREFIX, SortMode, category_of, ordered_keys
from farwatch.tui.palette import PLAIN, Palette
from farwatch.tui.textual_compat import QuietTable
from farwatch.tui.widgets.keyed import KeyedText, order_by
from farwatch.tui.widgets.safe import safe_text

SPARK_EVERY = 300.0
"""Seconds a row's sparkline may lag before it is redrawn on a refresh."""
FIRST_FILL = 30
"""Rows added before the first frame (at least a terminal's height)."""


class WorkerTable(QuietTable[Text]):
    """One row per worker (plus category headers when grouped)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(
            id=id,
            cursor_type="row",
            zebra_stripes=False,
            show_row_labels=False,
            fixed_columns=cells.PINNED,
        )
        self.palette: Palette = PLAIN
        self.sort_mode: SortMode = "stale"
        self.grouped = False
        self.query_text = ""
        self._statuses: dict[str, WorkerStatus] = {}
        self._shown: dict[str, WorkerStatus] = {}
        self._signatures: dict[str, dict[str, tuple[object, ...]]] = {}
        self._columns: list[ColumnSpec] = []
        self._task_width = cells.TASK_MIN
        self._now: datetime | None = None
        self._ticked_minute: datetime | None = None
        self._age_labels: dict[str, str] = {}
        self._age_due: dict[str, datetime] = {}
        self._spark_at: dict[str, datetime] = {}
        self.updates = 0
        """Cells updated in place since mount (for tests and benchmarks)."""
        self.cells_refreshed = 0
        """Of those, how many asked for a repaint (the rest were out of view)."""

    # -- public API ------------------------------------------------------

    @property
    def column_keys(self) -> list[str]:
        return [c.key for c in self._columns]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Enter on an empty table falls through to the screen, which says why."""
        if action == "select_cursor" and not self.row_count:
            return False
        return super().check_action(action, parameters)

    def selected_worker_id(self) -> str | None:
        """The worker under the cursor (None on a group header or an empty table)."""
        key = self._cursor_key()
        if key is None or key.startswith(GROUP_PREFIX):
            return None
        return key

    def shown_statuses(self) -> list[WorkerStatus]:
        """The workers the table shows now (its filter applied), in no set order."""
        return list(self._visible().values())

    def show(self, statuses: Iterable[WorkerStatus], now: datetime) -> None:
        """Bring the table in line with ``statuses`` at ``now``, in place.

        The very first fill adds one screenful of rows (in their final order)
        before the first frame and the rest right after it, so a big team
        appears as fast as a small one.
        """
        self._statuses = {s.id: s for s in statuses}
        self._now = now
        first_fill = max(FIRST_FILL, self.app.size.height)
        if not self._signatures and len(self._statuses) > first_fill:
            self._sync(limit=first_fill)
            self.call_after_refresh(self._sync)
        else:
            self._sync()

    def tick(self, now: datetime) -> None:
        """Re-render only the time-dependent cells whose text changed.

        An age's words depend only on its whole minutes, so each row is looked
        at again only when its age reaches the next minute (and repainted only
        if "5 minutes" became "6 minutes"); local times are rebuilt when the
        clock's minute turns. An idle second over hundreds of rows builds
        nothing and repaints nothing.
        """
        self._now = now
        minute = now.replace(second=0, microsecond=0)
        new_minute = minute != self._ticked_minute
        self._ticked_minute = minute
        due = [key for key, at in self._age_due.items() if at <= now]
        if not due and not (new_minute and "local" in self.column_keys):
            return
        with self.app.batch_update():
            for key in due:
                status = self._shown.get(key)
                if status is None:
                    del self._age_due[key]  # repainted in full on the next refresh
                else:
                    self._tick_age(key, status, now)
            if new_minute and "local" in self.column_keys:
                local_cells: dict[tuple[str, bool], Text] = {}
                for key, status in self._shown.items():
                    shared = (status.timezone, status.working_now)
                    if shared not in local_cells:
                        local_cells[shared] = cells.local_time_cell(status, now, self.palette)
                    self._set_cell(key, "local", local_cells[shared])

    def _tick_age(self, key: str, status: WorkerStatus, now: datetime) -> None:
        label = cells.age_label(status, now)
        self._age_due[key] = cells.age_label_due(status, now)
        if label != self._age_labels.get(key):
            self._age_labels[key] = label
            self._set_cell(key, "age", cells.age_cell(status, now, self.palette))

    def set_palette(self, palette: Palette) -> None:
        if palette == self.palette:
            return
        self.palette = palette
        for signatures in self._signatures.values():
            signatures.clear()  # every cell repaints in the new colours
        self._shown.clear()
        self._sync(repaint_all=True)

    def set_sort(self, mode: SortMode) -> None:
        self.sort_mode = mode
        self._sync()

    def set_grouped(self, grouped: bool) -> None:
        self.grouped = grouped
        self._sync()

    def set_query(self, query: str) -> None:
        self.query_text = query.strip()
        self._sync()

    def layout_for(self, width: int) -> None:
        """Pick the columns that fit ``width``; rows are kept, columns re-added."""
        columns, task_width = plan_columns(width)
        if [c.key for c in columns] == self.column_keys and task_width == self._task_width:
            return
        keep = 0
        for old, new in zip(self._columns, columns, strict=False):
            if old.key != new.key or old.key == "task":
                break
            keep += 1
        with self.app.batch_update():
            for spec in self._columns[keep:]:
                self.remove_column(spec.key)
            self._columns = self._columns[:keep]
            self._task_width = task_width
            for spec in columns[keep:]:
                width_of = task_width if spec.key == "task" else spec.width
                self.add_column(spec.label, width=width_of, key=spec.key, default=Text(""))
                self._columns.append(spec)
            for sigs in self._signatures.values():
                for spec in columns[keep:]:
                    sigs.pop(spec.key, None)
            self._shown.clear()
            self._sync()

    # -- internals -------------------------------------------------------

    def on_mount(self) -> None:
        if not self._columns:
            self.layout_for(self.size.width or self.app.size.width)

    def on_resize(self) -> None:
        self.layout_for(self.size.width)

    def _cursor_key(self) -> str | None:
        if self.row_count == 0:
            return None
        try:
            key = self.coordinate_to_cell_key(Coordinate(self.cursor_row, 0)).row_key
        except CellDoesNotExist:
            return None
        return key.value

    def _visible(self) -> dict[str, WorkerStatus]:
        return {k: s for k, s in self._statuses.items() if cells.matches(s, self.query_text)}

    def _sync(self, repaint_all: bool = False, limit: int | None = None) -> None:
        if not self._columns or self._now is None:
            return
        now = self._now
        visible = self._visible()
        order = ordered_keys(visible.values(), self.sort_mode, grouped=self.grouped)
        if limit is not None:
            order = order[:limit]
        wanted = set(order)
        selected = self._cursor_key()
        column_keys = self.column_keys
        with self.app.batch_update():
            for key in [k for k in self._signatures if k not in wanted]:
                self.remove_row(key)
                del self._signatures[key]
                self._shown.pop(key, None)
                self._age_labels.pop(key, None)
                self._age_due.pop(key, None)
            groups = self._group_sizes(visible.values()) if self.grouped else {}
            for key in order:
                if key.startswith(GROUP_PREFIX):
                    self._put_row(key, self._group_cells(key, groups.get(key, 0)))
                    continue
                status = visible[key]
                previous = self._shown.get(key)
                same = self._looks_the_same(key, previous, status, now)
                if same and not repaint_all:
                    self._shown[key] = status
                    if self._age_due.get(key, now) <= now:
                        self._tick_age(key, status, now)
                    continue
                fresh = build_cells(status, now, self.palette, column_keys, self._task_width)
                self._age_labels[key] = cells.age_label(status, now)
                self._age_due[key] = cells.age_label_due(status, now)
                if previous is not None and not repaint_all:
                    self._hold_sparkline(key, fresh, now)
                else:
                    self._spark_at[key] = now
                self._put_row(key, fresh)
                self._shown[key] = status
            current = [row.key.value for row in self.ordered_rows]
            if current != order:
                position = {key: i for i, key in enumerate(order)}
                self.sort("state", key=order_by(position))
            if selected is not None and selected in wanted:
                index = self.get_row_index(selected)
                if index != self.cursor_row:
                    self.move_cursor(row=index, animate=False)

    def _looks_the_same(
        self, key: str, previous: WorkerStatus | None, status: WorkerStatus, now: datetime
    ) -> bool:
        """Would rebuilding this row's cells change nothing ``tick`` does not cover?

        A re-derive every half minute moves every worker's ages; comparing
        only what the cells show skips rebuilding hundreds of unchanged rows.
        """
        if previous is None or cells.ROW_FIELDS(previous) != cells.ROW_FIELDS(status):
            return False
        if previous.activity == status.activity or "activity" not in self.column_keys:
            return True
        last = self._spark_at.get(key)
        return last is not None and (now - last).total_seconds() < SPARK_EVERY

    def _hold_sparkline(self, key: str, fresh: dict[str, Text], now: datetime) -> None:
        """Let a sliding 24-hour sparkline redraw at most every few minutes.

        Its buckets move with the clock, so every re-derive nudges some of
        them; repainting a row for that alone would cost the terminal a row
        of output per worker on screen every half minute.
        """
        spark = fresh.get("activity")
        if spark is None:
            return
        last = self._spark_at.get(key)
        if last is not None and (now - last).total_seconds() < SPARK_EVERY:
            del fresh["activity"]
        else:
            self._spark_at[key] = now

    def _group_sizes(self, statuses: Iterable[WorkerStatus]) -> dict[str, int]:
        sizes: dict[str, int] = {}
        for status in statuses:
            key = GROUP_PREFIX + category_of(status)
            sizes[key] = sizes.get(key, 0) + 1
        return sizes

    def _group_cells(self, key: str, size: int) -> dict[str, Text]:
        label = safe_text(f"{key[len(GROUP_PREFIX) :]} ({size})", "bold", limit=40)
        row = {c: Text("") for c in self.column_keys}
        row["state"] = Text("▾", style="bold")
        row["name"] = label
        return row

    def _put_row(self, key: str, fresh: dict[str, Text]) -> None:
        if key in self._signatures:
            self._apply_cells(key, fresh)
            return
        fresh["state"] = KeyedText(fresh.get("state", Text("")), key)
        values: Sequence[Text] = [fresh.get(c, Text("")) for c in self.column_keys]
        self.add_row(*values, key=key)
        self._signatures[key] = {c: cell_signature(t) for c, t in fresh.items()}

    def _set_cell(self, key: str, column: str, text: Text) -> None:
        """``update_cell``, with the repaint narrowed to the cell, if it is on screen.

        ``DataTable.update_cell`` repaints the whole table; a poll or a clock
        tick changes a cell here and there, and over SSH each full repaint is
        tens of kilobytes. Rows scrolled out of view are not repainted at all.
        """
        signatures = self._signatures.get(key)
        signature = cell_signature(text)
        if signatures is None or signatures.get(column) == signature:
            return
        row_key = RowKey(key)
        self.put_cell(row_key, ColumnKey(column), text)
        self._refresh_cell(self.get_row_index(row_key), self.get_column_index(column))
        signatures[column] = signature
        self.updates += 1

    def _refresh_cell(self, row: int, column: int) -> None:
        """Repaint one cell if it is in view, found without walking the rows above it.

        ``DataTable.refresh_coordinate`` sums the height of every row above the
        cell, and each ``update_cell`` empties the cache it uses: a minute's new
        local times over 500 rows cost 500 walks of 500 rows. Every row here is
        one line high, so the cell's line is its index. Pinned columns do not
        scroll sideways, so only the others move with the horizontal scroll.
        """
        scroll_x, scroll_y = self.scroll_offset
        header = self.header_height if self.show_header else 0
        y = row - scroll_y + header
        if not header <= y < self.size.height:
            return
        columns = self.ordered_columns
        x = sum(c.get_render_width(self) for c in columns[:column])
        if column >= self.fixed_columns:
            x -= scroll_x
        width = columns[column].get_render_width(self)
        if x + width > 0 and x < self.size.width:
            self.cells_refreshed += 1
            self.refresh(Region(x, y, width, 1))

    def _apply_cells(self, key: str, fresh: dict[str, Text]) -> None:
        for column, text in fresh.items():
            if column == "state":
                text = KeyedText(text, key)
            self._set_cell(key, column, text)
