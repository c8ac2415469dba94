"""One running demo: the team on disk, its validated config and its simulator.

``farwatch demo`` and the tests both start a demo through ``start_demo`` so
they exercise the same path: write the files, load the config exactly as a
user's config is loaded (a demo config that stopped validating would fail
here, loudly), and optionally keep the team alive.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from farwatch.demo.inbox import Inbox
from farwatch.demo.simulator import Simulator
from farwatch.demo.team import DEFAULT_SEED, DemoTeam, build_team
from farwatch.demo.writer import DemoPaths, write_demo
from farwatch.state.clock import Clock, system_clock
from farwatch.state.config import load_settings
from farwatch.state.settings import Settings


@dataclass(slots=True)
class DemoSession:
    team: DemoTeam
    paths: DemoPaths
    settings: Settings
    simulator: Simulator | None
    inbox: Inbox | None = None

    def start(self) -> None:
        """Start the simulator and the inbox that hears pings (no-op without them)."""
        if self.inbox is not None:
            self.inbox.start()
        if self.simulator is not None:
            self.simulator.start()

    def stop(self) -> None:
        if self.simulator is not None:
            self.simulator.stop()
        if self.inbox is not None:
            self.inbox.close()
            self.inbox = None


def start_demo(
    root: Path,
    *,
    seed: int = DEFAULT_SEED,
    clock: Clock = system_clock,
    now: datetime | None = None,
    simulate: bool = True,
) -> DemoSession:
    """Write the demo team into ``root`` and load its config.

    With ``simulate`` the session also gets a simulator and a loopback
    inbox (the config's ``[nudge.im.demo]`` channel points at it and each
    roster ``im`` cell says ``demo:<worker id>``, so pings reach the demo
    workers and they write back); neither runs until ``start``, which callers
    call once the first poll is done, so the first frame shows the promised
    mix rather than a half-applied change. Call ``stop`` when done.

    Raises:
        ConfigError: the written config does not validate (a bug, never the user's).
        OSError: ``root`` cannot be written.
    """
    team = build_team(now or clock(), seed)
    inbox = Inbox() if simulate else None
    try:
        paths = write_demo(team, root, inbox_url=inbox.channel_url if inbox else "")
        settings = load_settings(paths.config)
    except BaseException:
        if inbox is not None:
            inbox.close()
        raise
    if inbox is None:
        return DemoSession(team, paths, settings, None)
    simulator = Simulator(team, paths, seed=seed, clock=clock)
    inbox.on_message = simulator.hear
    return DemoSession(team, paths, settings, simulator, inbox)
