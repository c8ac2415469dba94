"""Config loading: where the file is found, what it means, and every mistake's message."""

from __future__ import annotations

from pathlib import Path

import pytest

from farwatch.sources.registry import source_types
from farwatch.state.config import (
    ConfigError,
    default_cache_path,
    default_config_path,
    load_config,
    load_settings,
)

PLUGIN_DIR = Path(__file__).resolve().parent.parent / "cli" / "plugin"


@pytest.fixture(autouse=True)
def fake_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(PLUGIN_DIR))
    import fw_fake_sources

    fw_fake_sources.install(monkeypatch)


def write(tmp_path: Path, text: str, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return str(info.value)


# -- where the file is ---------------------------------------------------------


def test_option_beats_env_beats_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opt = write(tmp_path, '[ui]\ntheme = "from-option"\n', "opt.toml")
    env = write(tmp_path, '[ui]\ntheme = "from-env"\n', "env.toml")
    default_config_path().parent.mkdir(parents=True)
    default_config_path().write_text('[ui]\ntheme = "from-default"\n')

    assert load_settings().ui.theme == "from-default"
    monkeypatch.setenv("FARWATCH_CONFIG", str(env))
    assert load_settings().ui.theme == "from-env"
    assert load_config().origin == "env"
    assert load_settings(opt).ui.theme == "from-option"
    assert load_config(opt).origin == "option"


def test_default_location_is_the_user_config_dir(isolated_user_dirs: Path) -> None:
    assert default_config_path() == isolated_user_dirs / ".config" / "farwatch" / "config.toml"


def test_missing_default_file_says_to_run_init() -> None:
    with pytest.raises(ConfigError) as info:
        load_config()
    assert str(info.value) == (
        '~/.config/farwatch/config.toml: no config file here yet; run "farwatch init" to '
        'write a commented starter config, or "farwatch demo" to try farwatch on a bundled '
        "demo team"
    )


def test_missing_env_file_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FARWATCH_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(ConfigError) as info:
        load_config()
    assert str(info.value).startswith(f"{tmp_path}/nope.toml: no such file (from $FARWATCH_CONFIG)")


def test_empty_file_gives_the_documented_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    loaded = load_config(path)
    s = loaded.settings
    assert loaded.warnings == ()
    assert s.path == path
    assert (s.thresholds.checkin_warn, s.thresholds.checkin_alert) == (7200, 14400)
    assert s.thresholds.burn_warn == 0.8
    assert s.policy.nudge_cooldown == 1800 and s.policy.auto_pause_at_cap is False
    assert s.cache.path == default_cache_path()
    assert str(default_cache_path()).endswith(".local/share/farwatch/cache.json")
    assert s.cache.retention == 90 * 86400
    assert s.sources == ()
    assert s.audit_file == default_cache_path().with_name("audit.jsonl")


# -- values --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90m", 5400),
        ("2h", 7200),
        ("1h30m", 5400),
        ("45s", 45),
        ("2d", 172800),
        ("1.5h", 5400),
        ("1h 30m", 5400),
        ("2H", 7200),
    ],
)
def test_durations(tmp_path: Path, text: str, seconds: float) -> None:
    path = write(tmp_path, f'[thresholds]\ncheckin_warn = "{text}"\ncheckin_alert = "3d"\n')
    assert load_settings(path).thresholds.checkin_warn == seconds


@pytest.mark.parametrize("bad", ["2 hours", "90", "h", "30m1h", "1h30", "", "-2h"])
def test_bad_durations_name_file_key_and_expectation(tmp_path: Path, bad: str) -> None:
    path = write(tmp_path, f'[thresholds]\ncheckin_warn = "{bad}"\n')
    assert error_of(path) == (
        f'{path}: thresholds.checkin_warn: expected a duration like "90m" or "2h", got "{bad}"'
    )


@pytest.mark.parametrize(
    ("table", "line", "key"),
    [
        ("[thresholds]", 'checkin_warn = "99999999d"', "thresholds.checkin_warn"),
        ("[cache]", 'retention = "36501d"', "cache.retention"),
        (
            '[[sources]]\ntype = "clockify"\nworkspace = "w1"\napi_key_env = "FW_KEY"',
            'lookback = "99999999999999999999d"',
            "sources[1].lookback",
        ),
    ],
)
def test_a_duration_past_a_century_is_refused_naming_the_key(
    tmp_path: Path, table: str, line: str, key: str
) -> None:
    """Not a crash at the first poll: ``now`` minus it would leave the calendar."""
    path = write(tmp_path, f"{table}\n{line}\n")
    value = line.split(" = ")[1]
    assert error_of(path) == (
        f'{path}: {key}: expected a duration like "90m" or "2h", at most 36500d (100 years), '
        f"got {value}"
    )


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('[cache]\npath = "data/c\\u0000.json"', "cache.path"),
        ('[audit]\npath = "audit\\u0000.jsonl"', "audit.path"),
        ('[[sources]]\ntype = "sheet"\npath = "roster\\u0000.csv"', "sources[1].path"),
    ],
)
def test_a_nul_in_a_path_is_refused_naming_the_key(tmp_path: Path, text: str, key: str) -> None:
    """Not a traceback at the first open, in whichever command opens it first."""
    path = write(tmp_path, text + "\n")
    assert error_of(path).startswith(
        f"{path}: {key}: expected a file path without NUL characters (\\u0000), got "
    )


def test_bare_number_duration_is_refused_with_a_hint(tmp_path: Path) -> None:
    path = write(tmp_path, "[policy]\nnudge_cooldown = 90\n")
    assert error_of(path) == (
        f'{path}: policy.nudge_cooldown: expected a duration like "90m" or "2h", '
        'got 90 (a bare number; write "90s" or "90m")'
    )


def test_file_under_home_is_shown_with_a_tilde(isolated_user_dirs: Path) -> None:
    path = write(isolated_user_dirs, '[thresholds]\ncheckin_warn = "2 hours"\n')
    assert error_of(path) == (
        '~/config.toml: thresholds.checkin_warn: expected a duration like "90m" or "2h", '
        'got "2 hours"'
    )


def test_alert_must_be_after_warn(tmp_path: Path) -> None:
    path = write(tmp_path, '[thresholds]\ncheckin_warn = "3h"\ncheckin_alert = "1h"\n')
    assert error_of(path) == (
        f"{path}: thresholds.checkin_alert: expected a duration longer than checkin_warn (3h), "
        'got "1h"'
    )


@pytest.mark.parametrize("value", ["0", "1.5", "-0.1"])
def test_burn_warn_is_a_fraction(tmp_path: Path, value: str) -> None:
    path = write(tmp_path, f"[thresholds]\nburn_warn = {value}\n")
    assert error_of(path) == (
        f"{path}: thresholds.burn_warn: expected a fraction of the cap above 0 and at most 1, "
        f"like 0.8, got {value}"
    )


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (
            '[policy]\nauto_pause_at_cap = "yes"',
            'policy.auto_pause_at_cap: expected true or false, got "yes"',
        ),
        ("[ui]\ntheme = 3", "ui.theme: expected a string in quotes, got 3"),
        ("[ui]\nbell = 1", "ui.bell: expected true or false, got 1"),
        ('[ui.keys]\nping = ""', 'ui.keys.ping: expected a key like "n" or "ctrl+p", got ""'),
        (
            '[defaults]\ntimezone = "Mars/Olympus"',
            'defaults.timezone: expected an IANA timezone like "Asia/Manila" or "UTC", '
            'got "Mars/Olympus"',
        ),
        (
            '[defaults]\nhours = "nine to five"',
            'defaults.hours: expected working hours like "09:00-17:00" or "22:00-06:00", '
            'got "nine to five"',
        ),
        (
            '[defaults]\ndays = "Mon-Funday"',
            'defaults.days: expected working days like "Mon-Fri" or "Mon,Wed,Fri", '
            'got "Mon-Funday"',
        ),
        (
            '[defaults]\ncap_period = "year"',
            'defaults.cap_period: expected one of "day", "week", "month", "task", got "year"',
        ),
        (
            '[cache]\nretention = "10m"',
            'cache.retention: expected a duration like "90m" or "2h", at least 1h, got "10m"',
        ),
        ("thresholds = 3", "thresholds: expected a table ([thresholds]), got 3"),
        (
            '[nudge]\nemail_password_env = "my pass word"',
            "nudge.email_password_env: expected the NAME of an environment variable, like "
            '"FARWATCH_IMAP_PASSWORD" (the secret itself goes in that variable), got a value that '
            "looks like a secret, not a variable name (not shown; if it is a key, treat it as "
            "exposed and keep it out of the config)",
        ),
        (
            '[nudge]\nemail = "not a url"',
            'nudge.email: expected an apprise URL like "mailtos://user@smtp.example.com", '
            'got "not a url"',
        ),
        (
            "[nudge.templates]\noverdue = 3",
            "nudge.templates.overdue: expected a string in quotes, got 3",
        ),
    ],
)
def test_wrong_values(tmp_path: Path, toml: str, message: str) -> None:
    path = write(tmp_path, toml + "\n")
    assert error_of(path) == f"{path}: {message}"


def test_worker_defaults_accept_what_derive_accepts(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[defaults]\ntimezone = "Asia/Manila"\nhours = "22:00-06:00"\ndays = "Sun-Thu"\n'
        'cap_period = "month"\n',
    )
    d = load_settings(path).defaults
    assert (d.timezone, d.hours, d.days, d.cap_period) == (
        "Asia/Manila",
        "22:00-06:00",
        "Sun-Thu",
        "month",
    )


def test_every_section_reads_into_settings(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[thresholds]
checkin_warn = "90m"
checkin_alert = "3h"
burn_warn = 0.9
[policy]
auto_pause_at_cap = true
nudge_cooldown = "1h"
[cache]
path = "data/cache.json"
retention = "30d"
[audit]
path = "~/farwatch-audit.jsonl"
[nudge]
email = "mailtos://owner@smtp.example.com"
email_password_env = "FARWATCH_SMTP_PASSWORD"
[nudge.templates]
overdue = "Hi {name}, how is it going?"
[ui]
theme = "farwatch-light"
bell = false
tick = "500ms"
""".replace('"500ms"', '"0.5s"'),
    )
    s = load_settings(path)
    assert s.thresholds.checkin_warn == 5400 and s.thresholds.burn_warn == 0.9
    assert s.policy.auto_pause_at_cap and s.policy.nudge_cooldown == 3600
    assert s.cache.path == tmp_path / "data" / "cache.json"  # relative to the config file
    assert s.cache.retention == 30 * 86400
    assert s.audit_file == Path.home() / "farwatch-audit.jsonl"
    assert s.nudge.email_password_env == "FARWATCH_SMTP_PASSWORD"
    assert s.nudge.templates == {"overdue": "Hi {name}, how is it going?"}
    assert (s.ui.theme, s.ui.bell, s.ui.tick) == ("farwatch-light", False, 0.5)


# -- unknown keys and syntax ---------------------------------------------------


def test_unknown_key_suggests_the_right_one(tmp_path: Path) -> None:
    path = write(tmp_path, '[thresholds]\ncheckin_wran = "2h"\n')
    assert error_of(path) == (
        f'{path}: thresholds.checkin_wran: unknown key (did you mean "checkin_warn"?); '
        "expected one of the keys [thresholds] takes: checkin_warn, checkin_alert, burn_warn"
    )


def test_unknown_section(tmp_path: Path) -> None:
    path = write(tmp_path, "[theshold]\n")
    assert error_of(path) == (
        f'{path}: theshold: unknown key (did you mean "thresholds"?); expected one of the keys '
        "the top level takes: thresholds, policy, defaults, cache, audit, sources, nudge, ui, "
        "owner, digest"
    )


def test_toml_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, '[ui]\ntheme = "dark"\nbell = tru\n')
    assert error_of(path) == f"{path}: line 3, column 8: invalid TOML: Invalid value"


def test_toml_syntax_error_at_end_of_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[ui]\ntheme =")
    assert error_of(path) == (
        f"{path}: line 2, column 8 (end of file): invalid TOML: Invalid value"
    )


def test_directory_instead_of_file(tmp_path: Path) -> None:
    assert error_of(tmp_path) == f"{tmp_path}: expected a TOML file, got a directory"


# -- sources -------------------------------------------------------------------


def test_source_options_are_coerced_by_kind(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[[sources]]
type = "fakefile"
path = "team/roster.json"
token_env = "FAKE_TOKEN"
mode = "slow"
limit = 3
ratio = 1
verbose = true
timeout = "2m"
interval = "5m"
""",
    )
    (src,) = load_settings(path).sources
    assert (src.type, src.name, src.interval) == ("fakefile", "fakefile", 300)
    assert src.options == {
        "path": str(tmp_path / "team" / "roster.json"),
        "token_env": "FAKE_TOKEN",
        "mode": "slow",
        "limit": 3,
        "ratio": 1.0,
        "verbose": True,
        "timeout": 120.0,
        "endpoint": "https://example.com/api",
        "label": "",
    }


def test_source_defaults_and_home_paths(tmp_path: Path) -> None:
    path = write(tmp_path, '[[sources]]\ntype = "fakefile"\npath = "~/x.json"\n')
    (src,) = load_settings(path).sources
    assert src.interval == 120  # the class's default_interval
    assert src.options["path"] == str(Path.home() / "x.json")
    assert src.options["timeout"] == 30.0 and src.options["token_env"] is None


def test_default_names_are_suffixed_and_explicit_names_kept(tmp_path: Path) -> None:
    one = '[[sources]]\ntype = "fakefile"\npath = "a"\n'
    path = write(tmp_path, one + one + one.replace("path", 'name = "fakefile-2"\npath'))
    names = [s.name for s in load_settings(path).sources]
    assert names == ["fakefile", "fakefile-3", "fakefile-2"]


def test_duplicate_explicit_names_are_an_error(tmp_path: Path) -> None:
    one = '[[sources]]\ntype = "fakefile"\nname = "office"\npath = "a"\n'
    path = write(tmp_path, one + one)
    assert error_of(path) == (
        f'{path}: sources[2].name: expected a name no other source uses, got "office" '
        "(already the name of sources[1])"
    )


def test_bad_source_name(tmp_path: Path) -> None:
    path = write(tmp_path, '[[sources]]\ntype = "fakefile"\nname = "my source!"\npath = "a"\n')
    assert error_of(path) == (
        f"{path}: sources[1].name: expected a name of letters, digits, '-', '_' or '.', "
        'got "my source!"'
    )


def test_missing_type_lists_installed_types(tmp_path: Path) -> None:
    path = write(tmp_path, '[[sources]]\npath = "a"\n')
    assert error_of(path) == (
        f"{path}: sources[1].type: missing; expected the source type, one of: "
        + ", ".join(source_types())
    )
    assert "fakefile" in source_types()


def test_unknown_type_lists_installed_types(tmp_path: Path) -> None:
    path = write(tmp_path, '[[sources]]\ntype = "sheeet"\n')
    assert error_of(path) == (
        f"{path}: sources[1].type: expected one of the installed source types: "
        + ", ".join(source_types())
        + ', got "sheeet"'
    )


def test_missing_required_option(tmp_path: Path) -> None:
    path = write(tmp_path, '[[sources]]\ntype = "fakefile"\n')
    assert error_of(path) == (
        f'{path}: sources[1].path: missing; expected a file path, required for a "fakefile" '
        "source: the JSON file to read"
    )


def test_unknown_source_option_names_the_type(tmp_path: Path) -> None:
    path = write(tmp_path, '[[sources]]\ntype = "fakefile"\npath = "a"\nlimt = 3\n')
    assert error_of(path) == (
        f'{path}: sources[1].limt: unknown key (did you mean "limit"?); expected one of the '
        'keys a "fakefile" source takes: type, name, interval, deadline, path, token_env, '
        "token_keyring, mode, limit, ratio, verbose, timeout, endpoint, label"
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('mode = "medium"', 'sources[1].mode: expected one of "fast", "slow", got "medium"'),
        ("limit = 2.5", "sources[1].limit: expected a whole number, got 2.5"),
        ("limit = true", "sources[1].limit: expected a whole number, got true"),
        ('ratio = "half"', 'sources[1].ratio: expected a number, got "half"'),
        ('verbose = "no"', 'sources[1].verbose: expected true or false, got "no"'),
        (
            'timeout = "soon"',
            'sources[1].timeout: expected a duration like "90m" or "2h", got "soon"',
        ),
        (
            'interval = "0s"',
            'sources[1].interval: expected a duration like "90m" or "2h", longer than 0s, got "0s"',
        ),
        (
            'endpoint = "example.com"',
            'sources[1].endpoint: expected a URL like "https://example.com/...", got "example.com"',
        ),
        ("label = 5", "sources[1].label: expected a string in quotes, got 5"),
    ],
)
def test_wrong_source_option_values(tmp_path: Path, line: str, message: str) -> None:
    path = write(tmp_path, f'[[sources]]\ntype = "fakefile"\npath = "a"\n{line}\n')
    assert error_of(path) == f"{path}: {message}"


def test_sources_must_be_an_array_of_tables(tmp_path: Path) -> None:
    path = write(tmp_path, '[sources]\ntype = "fakefile"\n')
    assert error_of(path) == (
        f"{path}: sources: expected [[sources]] tables (an array of tables), got a table"
    )


# -- secrets -------------------------------------------------------------------


def test_inline_secret_warns_without_showing_it_and_is_not_used(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[[sources]]\ntype = "fakefile"\npath = "a"\ntoken = "hunter2-very-secret"\n',
    )
    loaded = load_config(path)
    assert loaded.warnings == (
        f"{path}: sources[1].token: a secret is written inline in the config file; farwatch "
        "ignores it; keep secrets out of the file: put it in an environment variable and set "
        'token_env = "VAR_NAME", or store it in the system keyring and set '
        'token_keyring = "service/username"',
    )
    assert "token" not in loaded.settings.sources[0].options
    assert "hunter2" not in repr(loaded)


def test_secret_option_a_plugin_declares_is_used_with_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path, '[[sources]]\ntype = "faketoken"\napi_token = "s3cr3t-value"\n')
    loaded = load_config(path)
    assert loaded.settings.sources[0].options == {"api_token": "s3cr3t-value"}
    (warning,) = loaded.warnings
    assert warning.startswith(f"{path}: sources[1].api_token: a secret is written inline")
    assert "it is used, but keep secrets out" in warning
    assert "s3cr3t" not in warning


def test_password_in_nudge_url_warns(tmp_path: Path) -> None:
    path = write(tmp_path, '[nudge]\nemail = "mailtos://me:pa55word@smtp.example.com"\n')
    (warning,) = load_config(path).warnings
    assert warning == (
        f"{path}: nudge.email: the URL has a password inline; keep it out of the config file: "
        'leave it out of the URL and set email_password_env = "VAR_NAME" instead'
    )


def test_env_option_holding_the_secret_itself_is_not_echoed(tmp_path: Path) -> None:
    path = write(tmp_path, '[[sources]]\ntype = "fakefile"\npath = "a"\ntoken_env = "p@ss w0rd!"\n')
    message = error_of(path)
    assert message.startswith(f"{path}: sources[1].token_env: expected the NAME of an environment")
    assert "p@ss" not in message


def test_keyring_reference_instead_of_env(tmp_path: Path) -> None:
    path = write(
        tmp_path, '[[sources]]\ntype = "fakefile"\npath = "a"\ntoken_keyring = "farwatch/owner"\n'
    )
    (src,) = load_settings(path).sources
    assert src.options["token_keyring"] == "farwatch/owner"
    assert load_config(path).warnings == ()


def test_keyring_and_env_together_is_an_error(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[[sources]]\ntype = "fakefile"\npath = "a"\ntoken_keyring = "svc/u"\ntoken_env = "X"\n',
    )
    assert error_of(path) == (
        f"{path}: sources[1].token_env: both are set; expected only one of token_env or "
        "token_keyring"
    )


def test_bad_keyring_reference(tmp_path: Path) -> None:
    path = write(tmp_path, '[[sources]]\ntype = "fakefile"\npath = "a"\ntoken_keyring = "abc"\n')
    assert error_of(path) == (
        f'{path}: sources[1].token_keyring: expected a keyring reference "service/username", '
        "got a value that is not one (not shown, in case it is the secret itself)"
    )
