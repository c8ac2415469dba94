"""The README's plugin example, installed with pip as a wheel and polled by farwatch.

The plugin code and its entry point are read from README.md itself, so the
documented example is the one that is proven to work.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FARWATCH = Path(sys.executable).with_name("farwatch")


def readme_example() -> tuple[str, str]:
    """The plugin module and the entry-point line, as the README shows them."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Writing a source plugin", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    toml = re.search(r"```toml\n(.*?)```", section, re.S)
    assert code and toml, "README lost its plugin example"
    entry = next(line for line in toml.group(1).splitlines() if "=" in line and "[" not in line)
    return code.group(1), entry.strip()


def build_wheel(dist: Path, module: str, entry_line: str) -> Path:
    """A minimal, valid wheel of the example plugin (no build backend needed)."""
    name, version = "farwatch_standup", "0.1"
    info = f"{name}-{version}.dist-info"
    wheel = dist / f"{name}-{version}-py3-none-any.whl"
    files = {
        f"{name}.py": module,
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: farwatch-tests\n"
        "Root-Is-Purelib: true\nTag: py3-none-any\n",
        f"{info}/entry_points.txt": f"[farwatch.sources]\n{entry_line}\n",
    }
    record = "".join(f"{path},,\n" for path in files) + f"{info}/RECORD,,\n"
    with zipfile.ZipFile(wheel, "w") as zf:
        for path, text in files.items():
            zf.writestr(path, text)
        zf.writestr(f"{info}/RECORD", record)
    return wheel


def farwatch(config: Path, target: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin", "HOME": str(config.parent)}
    return subprocess.run(
        [str(FARWATCH), "--config", str(config), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_readme_plugin_installs_with_pip_and_its_checkins_reach_status(tmp_path: Path) -> None:
    module, entry_line = readme_example()
    assert entry_line == 'standup = "farwatch_standup:StandupSource"'
    entry_line = entry_line.replace('"', "").replace(" ", "")
    wheel = build_wheel(tmp_path, module, entry_line)
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        timeout=120,
    )

    (tmp_path / "roster.csv").write_text(
        "name,email,timezone,hours,days\nAna Reyes,ana@example.com,UTC,00:00-24:00,daily\n"
    )
    # Recent, so the cache's retention keeps it; --now pins the age.
    now = datetime.now(UTC).replace(microsecond=0)
    said_at = now - timedelta(minutes=30)
    (tmp_path / "standup.json").write_text(
        json.dumps(
            [
                {
                    "who": "ANA@example.com",
                    "at": said_at.isoformat(),
                    "text": "Reconciling the March invoices",
                }
            ]
        )
    )
    config = tmp_path / "config.toml"
    config.write_text(
        f'[cache]\npath = "{tmp_path / "cache.json"}"\n'
        f'[[sources]]\ntype = "sheet"\npath = "{tmp_path / "roster.csv"}"\n'
        f'[[sources]]\ntype = "standup"\npath = "{tmp_path / "standup.json"}"\n'
    )

    polled = farwatch(config, target, "poll", "--once")
    assert polled.returncode == 0, polled.stderr
    assert re.search(r"standup\s+ok\s+1 record ", polled.stdout), polled.stdout

    status = farwatch(config, target, "status", "--json", "--now", now.isoformat())
    assert status.returncode == 0, status.stderr
    [ana] = json.loads(status.stdout)["workers"]
    assert ana["last_checkin"] == said_at.isoformat().replace("+00:00", "Z")
    assert ana["task"] == "Reconciling the March invoices"
    assert ana["checkin_age_seconds"] == 1800

    # Without the plugin installed the same config names what is installed.
    missing = farwatch(config, tmp_path / "nowhere", "check")
    assert missing.returncode == 2
    assert "standup" in missing.stderr and "sheet" in missing.stderr
