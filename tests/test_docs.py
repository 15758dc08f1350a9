"""The README documents every command of `python -m bot --help` and every settings key."""

from __future__ import annotations

import dataclasses
import re
import typing
from collections.abc import Iterator, Mapping

import pytest
from conftest import PROJECT

from bot import cli
from bot.settings import Settings, Texts

README = (PROJECT / "README.md").read_text(encoding="utf-8")
# Settings read only from the environment: documented by their variable.
FROM_ENVIRONMENT = {
    "token": "TELEGRAM_BOT_TOKEN",
    "database_url": "DATABASE_URL",
    "secret": "BOT_SECRET",
    "log_salt": "BOT_LOG_SALT",
}


def commands(capsys: pytest.CaptureFixture[str]) -> list[str]:
    """The subcommands `python -m bot --help` lists."""
    with pytest.raises(SystemExit) as exited:
        cli.main(["--help"])
    assert exited.value.code == 0
    listed = re.findall(r"^    (\S+)\s{2,}\S", capsys.readouterr().out, re.M)
    assert "run" in listed
    return listed


def settings_keys(cls: type, prefix: str = "") -> Iterator[str]:
    """Every key of the settings files, as `section.key`, walking the Settings dataclasses."""
    hints = typing.get_type_hints(cls)
    for field in dataclasses.fields(cls):
        if cls is Settings and field.name in FROM_ENVIRONMENT:
            continue
        yield prefix + field.name
        kind = hints[field.name]
        if typing.get_origin(kind) is Mapping:
            kind = typing.get_args(kind)[1]  # a mapping of named entries: document the entries' keys
        if dataclasses.is_dataclass(kind) and kind is not Texts:
            yield from settings_keys(kind, f"{prefix}{field.name}.")


def test_every_command_is_in_the_readme(capsys: pytest.CaptureFixture[str]) -> None:
    missing = [name for name in commands(capsys) if f"`python -m bot {name}" not in README]
    assert missing == []


def test_every_settings_key_is_in_the_readme() -> None:
    # Texts' sentences are documented where they are written, in config/texts.yaml.
    missing = [key for key in settings_keys(Settings) if f"`{key.rsplit('.', 1)[-1]}`" not in README]
    assert missing == []


def test_every_environment_variable_is_in_the_readme() -> None:
    secret = {f.name for f in dataclasses.fields(Settings) if not f.repr}
    assert secret <= set(FROM_ENVIRONMENT)  # a new secret setting needs its variable named here
    missing = [name for name in FROM_ENVIRONMENT.values() if f"`{name}`" not in README]
    assert missing == []
