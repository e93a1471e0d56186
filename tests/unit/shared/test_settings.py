"""Settings come from VOICEQR_* variables; a wrong one stops start-up naming itself."""

from __future__ import annotations

import pytest

from voiceqr.settings import SettingsError, all_variables, env_name, load


def test_defaults_are_the_embedded_platform() -> None:
    settings = load({})
    assert settings.queue.backend == "memory"
    assert settings.storage.backend == "local"
    assert settings.mail.backend == "outbox"
    assert settings.speech_providers == ("espeak",)
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert settings.database_url.endswith("/voiceqr.db")
    assert settings.is_embedded_database


def test_values_are_read_and_converted() -> None:
    settings = load(
        {
            "VOICEQR_QUEUE": "redis",
            "VOICEQR_JOBS_MAX_ATTEMPTS": "3",
            "VOICEQR_JOBS_RETRY_BASE_SECONDS": "1.5",
            "VOICEQR_DATABASE_URL": "postgresql+asyncpg://u@h/db",
            "VOICEQR_SPEECH_PROVIDERS": "espeak, elevenlabs",
            "VOICEQR_SPEECH_ELEVENLABS_API_KEY": "k",
        }
    )
    assert settings.queue.backend == "redis"
    assert settings.jobs.max_attempts == 3
    assert settings.jobs.retry_base_seconds == 1.5
    assert not settings.is_embedded_database
    assert settings.speech_providers == ("espeak", "elevenlabs")


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        ({"VOICEQR_PORT": "eighty"}, "VOICEQR_PORT"),
        ({"VOICEQR_PORT": "70000"}, "VOICEQR_PORT"),
        ({"VOICEQR_STORAGE": "ftp"}, "VOICEQR_STORAGE"),
        ({"VOICEQR_QUEUE": "kafka"}, "VOICEQR_QUEUE"),
        ({"VOICEQR_JOBS_MAX_ATTEMPTS": "0"}, "VOICEQR_JOBS_MAX_ATTEMPTS"),
        ({"VOICEQR_DATABASE_URL": "mysql://x"}, "VOICEQR_DATABASE_URL"),
        ({"VOICEQR_PUBLIC_BASE_URL": "listen.example"}, "VOICEQR_PUBLIC_BASE_URL"),
        ({"VOICEQR_STORAGE": "s3"}, "VOICEQR_STORAGE_S3_BUCKET"),
        ({"VOICEQR_SPEECH_PROVIDERS": "elevenlabs"}, "VOICEQR_SPEECH_ELEVENLABS_API_KEY"),
        ({"VOICEQR_SPEECH_PROVIDERS": "polly"}, "VOICEQR_SPEECH_PROVIDERS"),
        ({"VOICEQR_SPEECH_PROVIDERS": " , "}, "VOICEQR_SPEECH_PROVIDERS"),
        ({"VOICEQR_MAIL_SMTP_SECURITY": "ssl3"}, "VOICEQR_MAIL_SMTP_SECURITY"),
        ({"VOICEQR_STORAGEE": "s3"}, "VOICEQR_STORAGEE"),
        ({"VOICEQR_VIEW_AS_MINUTES": "0"}, "VOICEQR_VIEW_AS_MINUTES"),
        ({"VOICEQR_VIEW_AS_MINUTES": "241"}, "VOICEQR_VIEW_AS_MINUTES"),
    ],
)
def test_a_wrong_value_names_its_variable(environ: dict[str, str], variable: str) -> None:
    with pytest.raises(SettingsError) as error:
        load(environ)
    assert str(error.value).startswith(f"{variable}: ")


def test_every_setting_has_one_variable_and_the_readme_lists_it() -> None:
    from pathlib import Path

    readme = (Path(__file__).parents[3] / "README.md").read_text()
    names = [name for name, _, _ in all_variables()]
    assert len(names) == len(set(names))
    for name in names:
        # The README groups a few pairs as VOICEQR_X_HOST / _PORT.
        assert name in readme or f"_{name.rsplit('_', 1)[-1]}`" in readme, name


def test_backend_fields_use_the_section_name() -> None:
    assert env_name(("storage", "backend")) == "VOICEQR_STORAGE"
    assert env_name(("storage", "s3_bucket")) == "VOICEQR_STORAGE_S3_BUCKET"
    assert env_name(("port",)) == "VOICEQR_PORT"
