"""What can be checked of the deployment files without a Docker engine: the compose file passes
only settings tapmark knows, the image runs commands the CLI accepts, and its health check asks
the right place and reads the answer."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from adapters.health import HealthServer
from adapters.slack.config import SlackSettings
from adapters.telegram.config import TelegramSettings
from bot.config import Settings
from cli.main import build_parser
from storage.contract import Store
from tests.conftest import free_port

DOCKER = Path(__file__).resolve().parents[2] / "docker"


def compose() -> dict[str, Any]:
    data = yaml.safe_load((DOCKER / "compose.yaml").read_text())
    assert isinstance(data, dict)
    return data


def test_compose_passes_only_settings_tapmark_reads() -> None:
    known = {
        f"{kind.model_config.get('env_prefix')}{name.upper()}"
        for kind in (Settings, TelegramSettings, SlackSettings)
        for name in kind.model_fields
    }
    services = compose()["services"]
    workers = [s for name, s in services.items() if name in ("telegram", "slack")]
    assert workers
    for service in workers:
        env = service["environment"]
        passed = {key for key in env if key.startswith("TAPMARK_")}
        unknown = passed - known
        assert not unknown, f"compose passes settings tapmark does not read: {unknown}"
        assert env["TAPMARK_DATABASE_URL"].startswith("postgresql://")
        assert "@postgres:5432/" in env["TAPMARK_DATABASE_URL"]


def test_compose_keeps_secrets_out_of_the_file() -> None:
    text = (DOCKER / "compose.yaml").read_text()
    for line in text.splitlines():
        if re.search(r"(TOKEN|SECRET|PASSWORD):", line) and not line.lstrip().startswith("#"):
            assert "${" in line, f"a secret is written into the compose file: {line.strip()}"


def test_the_image_runs_commands_the_cli_accepts() -> None:
    dockerfile = (DOCKER / "Dockerfile").read_text()
    assert "USER tapmark" in dockerfile and 'ENTRYPOINT ["tapmark"]' in dockerfile
    assert "pip install ." in dockerfile
    for service in compose()["services"].values():
        if service.get("image") == "tapmark:latest":
            args = build_parser().parse_args(service["command"])
            assert args.command == "run"
    for folder in re.findall(r"^COPY (\w+) \w+$", dockerfile, flags=re.M):
        assert (DOCKER.parent / folder).is_dir(), folder


@pytest.fixture
async def health_port(store: Store) -> AsyncIterator[int]:
    port = free_port()
    server = HealthServer(store, {}, "127.0.0.1", port)
    await server.start()
    yield port
    await server.stop()


def healthcheck(listen: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TAPMARK_HEALTH_LISTEN": listen}
    return subprocess.run(
        [sys.executable, "-m", "adapters.healthcheck"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )


async def test_the_health_check_passes_on_a_healthy_worker(health_port: int) -> None:
    import asyncio

    done = await asyncio.to_thread(healthcheck, f"0.0.0.0:{health_port}")
    assert done.returncode == 0 and '"database": "ok"' in done.stdout


def test_the_health_check_fails_when_nothing_answers() -> None:
    done = healthcheck(f"127.0.0.1:{free_port()}")
    assert done.returncode == 1 and "no answer from http://127.0.0.1:" in done.stderr
