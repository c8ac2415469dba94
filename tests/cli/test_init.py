"""``farwatch init``: a commented starter config that loads, written safely."""

from __future__ import annotations

import re
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from farwatch.sources.registry import source_types
from farwatch.state.config import default_config_path, load_config, parse_config
from farwatch.state.config_template import render_template

Run = Callable[..., Result]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_writes_a_private_config_that_loads_cleanly(run: Run, tmp_path: Path) -> None:
    target = tmp_path / "deep" / "er" / "farwatch.toml"
    result = run("init", str(target))
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"wrote {target}\n"
        "next: add your sources to it (examples inside), then run: farwatch check\n"
    )
    assert mode(target) == 0o600
    loaded = load_config(target)
    assert loaded.warnings == ()
    assert loaded.settings.sources == ()
    text = target.read_text()
    for section in (
        "[thresholds]",
        "[policy]",
        "[defaults]",
        "[cache]",
        "[audit]",
        "[nudge]",
        "[nudge.templates]",
        "[ui]",
        "[ui.keys]",
        "# [[sources]]",
    ):
        assert section in text


def test_init_default_location(run: Run) -> None:
    result = run("init")
    assert result.exit_code == 0
    assert default_config_path().is_file()
    assert mode(default_config_path()) == 0o600
    assert run("status", "--json").exit_code == 0  # the default file is now found


def test_init_follows_config_option_and_environment(run: Run, tmp_path: Path) -> None:
    assert run("--config", str(tmp_path / "a.toml"), "init").exit_code == 0
    assert (tmp_path / "a.toml").is_file()
    assert run("init", env={"FARWATCH_CONFIG": str(tmp_path / "b.toml")}).exit_code == 0
    assert (tmp_path / "b.toml").is_file()


def test_init_never_overwrites_without_force(run: Run, tmp_path: Path) -> None:
    target = tmp_path / "config.toml"
    target.write_text("# my precious config\n")
    result = run("init", str(target))
    assert result.exit_code == 1
    assert result.stderr == (
        f"farwatch: {target} already exists; not replacing it (use --force to overwrite)\n"
    )
    assert target.read_text() == "# my precious config\n"


def test_init_force_replaces_and_keeps_it_private(run: Run, tmp_path: Path) -> None:
    target = tmp_path / "config.toml"
    target.write_text("# old\n")
    target.chmod(0o644)
    result = run("init", str(target), "--force")
    assert result.exit_code == 0
    assert target.read_text() == render_template()
    assert mode(target) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["config.toml"]  # no temp file left


def test_init_into_a_directory_is_refused(run: Run, tmp_path: Path) -> None:
    result = run("init", str(tmp_path))
    assert result.exit_code == 2  # click refuses a directory for a file argument
    assert "is a directory" in result.stderr


def _uncommented(text: str, type_name: str) -> str:
    """The template with the example block for ``type_name`` switched on."""
    out, active = [], False
    for line in text.splitlines():
        if line.startswith("# --- "):
            active = line.startswith(f"# --- {type_name}:") or line == f"# --- {type_name}"
        if active and re.match(r"# (\[\[sources\]\]|[a-z_]+ = )", line):
            line = line[2:]
        out.append(line)
    return "\n".join(out) + "\n"


def test_every_source_example_loads_once_uncommented(tmp_path: Path) -> None:
    text = render_template()
    installed = source_types()
    assert "fakefile" in installed
    for type_name in installed:
        if f"# --- {type_name}" not in text:
            continue  # a type whose module is not there yet
        enabled = _uncommented(text, type_name)
        assert enabled != text
        loaded = parse_config(enabled, tmp_path / "config.toml")
        (src,) = loaded.settings.sources
        assert src.type == type_name


def test_example_block_documents_options(tmp_path: Path) -> None:
    block = render_template(["fakefile"]).split("# --- fakefile", 1)[1]
    assert '# type = "fakefile"' in block
    assert '# interval = "2m"' in block
    assert '# path = "~/farwatch/fakefile-path"  # the JSON file to read; required' in block
    assert (
        "#   optional token_env: the name of an environment variable "
        '(or token_keyring = "service/username") - variable holding a token'
    ) in block
    assert '# mode = "fast"  # one of fast, slow' in block


@pytest.mark.parametrize(
    "line", ['checkin_warn = "2h"', 'nudge_cooldown = "30m"', "burn_warn = 0.8"]
)
def test_template_shows_the_real_defaults(line: str) -> None:
    assert f"\n{line}\n" in render_template()


def test_status_and_pay_on_a_fresh_config_point_at_adding_sources_not_polling(
    run: Run, tmp_path: Path
) -> None:
    """Right after init there is nothing to poll: "run poll --once" would only fail."""
    target = tmp_path / "farwatch.toml"
    assert run("init", str(target)).exit_code == 0
    for command in ("status", "pay"):
        result = run("--config", str(target), command)
        assert result.exit_code == 0, result.output
        assert "No workers yet: no sources configured (add [[sources]] tables" in result.stdout
        assert "poll --once" not in result.stdout
