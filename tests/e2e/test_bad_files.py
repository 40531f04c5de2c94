"""Bad batch files are refused whole, through `tapmark batch import` and through an upload in
chat: a message that names the file, line and field (never a traceback), and nothing stored,
neither in the database nor in the media folder (where a picture the project already had
stays)."""

from __future__ import annotations

import asyncio
import random
import sqlite3
from pathlib import Path

import pytest

from adapters.console.recorder import Recorder
from adapters.fetch import HttpsFetcher
from bot.chat.markup import plain
from bot.core import Core
from bot.managing.operations import import_batch, save_project
from bot.managing.projectfile import parse_project
from bot.media.store import MediaStore
from cli.main import main
from storage.contract import Store
from tasks.readers import BatchFileError
from tasks.values import BatchLimits
from tests.bad_batches import BAD_FILES, KEEP, MAX_ITEMS, PROJECT, Bad, good_batch, jsonl
from tests.conftest import Clock
from tests.e2e.test_cli import clean_env, failed, ok, tapmark
from tests.media_samples import broken_jpeg, jpeg, zip_of


def files_in(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def counts(db: Path) -> tuple[int, int]:
    with sqlite3.connect(db) as conn:
        batches = conn.execute("SELECT COUNT(*) FROM batches").fetchone()[0]
        items = conn.execute("SELECT COUNT(*) FROM items").fetchone()[0]
    return int(batches), int(items)


@pytest.fixture(scope="module")
def cli_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the project and its first batch (one picture), made with the CLI."""
    folder = tmp_path_factory.mktemp("bad-cli")
    env = clean_env(
        TAPMARK_DATABASE_URL=f"sqlite:///{folder / 't.db'}", TAPMARK_MEDIA_DIR=str(folder / "media")
    )
    (folder / "pics.toml").write_text(PROJECT)
    ok(tapmark(folder, "project", "create", "pics.toml", env=env))
    (folder / "first.zip").write_bytes(good_batch())
    ok(tapmark(folder, "batch", "import", "pics", "first.zip", "--publish", env=env))
    return folder


@pytest.mark.parametrize("bad", BAD_FILES, ids=str)
def test_the_command_line_refuses_it_and_stores_nothing(
    bad: Bad,
    cli_template: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for path in cli_template.iterdir():
        if path.is_file():
            (tmp_path / path.name).write_bytes(path.read_bytes())
    (tmp_path / "media").mkdir()
    for name, data in files_in(cli_template / "media").items():
        (tmp_path / "media" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "media" / name).write_bytes(data)
    monkeypatch.setenv("TAPMARK_MEDIA_DIR", str(tmp_path / "media"))
    monkeypatch.setenv("TAPMARK_BATCH_MAX_ITEMS", str(MAX_ITEMS))
    monkeypatch.delenv("TAPMARK_MEDIA_ALLOW_HOSTS", raising=False)
    before_media, before_db = files_in(tmp_path / "media"), counts(tmp_path / "t.db")
    assert before_db == (1, 1) and len(before_media) == 1
    (tmp_path / bad.name).write_bytes(bad.content)

    code = main(
        [
            "batch",
            "import",
            "pics",
            str(tmp_path / bad.name),
            "--db",
            f"sqlite:///{tmp_path / 't.db'}",
        ]
    )

    error = capsys.readouterr().err
    assert code == 1, error
    assert bad.expect in error, error
    assert bad.name in error and "Traceback" not in error
    assert counts(tmp_path / "t.db") == before_db
    assert files_in(tmp_path / "media") == before_media


def test_a_refusal_from_the_real_command_is_one_clean_message(cli_template: Path) -> None:
    env = clean_env(
        TAPMARK_DATABASE_URL=f"sqlite:///{cli_template / 't.db'}",
        TAPMARK_MEDIA_DIR=str(cli_template / "media"),
    )
    before = files_in(cli_template / "media")
    for bad in (b for b in BAD_FILES if b.name in {"crc-picture.zip", "deep.jsonl"}):
        (cli_template / bad.name).write_bytes(bad.content)
        error = failed(tapmark(cli_template, "batch", "import", "pics", bad.name, env=env))
        assert bad.expect in error
    assert files_in(cli_template / "media") == before
    assert counts(cli_template / "t.db") == (1, 1)


def test_local_files_only_from_inside_the_folder_given(tmp_path: Path) -> None:
    env = clean_env(
        TAPMARK_DATABASE_URL=f"sqlite:///{tmp_path / 't.db'}",
        TAPMARK_MEDIA_DIR=str(tmp_path / "media"),
    )
    (tmp_path / "pics.toml").write_text(PROJECT)
    ok(tapmark(tmp_path, "project", "create", "pics.toml", env=env))
    (tmp_path / "in" / "pics").mkdir(parents=True)
    (tmp_path / "secret.jpg").write_bytes(KEEP)
    (tmp_path / "in" / "pics" / "a.jpg").write_bytes((tmp_path / "secret.jpg").read_bytes())
    (tmp_path / "in" / "b.jsonl").write_text(
        '{"id": "1", "data": {"image": "../secret.jpg"}}\n'
        f'{{"id": "2", "data": {{"image": "{tmp_path / "secret.jpg"}"}}}}\n'
    )
    error = failed(tapmark(tmp_path, "batch", "import", "pics", "in/b.jsonl", env=env))
    assert "line 1: data.image: ../secret.jpg: outside the folder" in error
    assert f"line 2: data.image: {tmp_path / 'secret.jpg'}: outside the folder" in error
    (tmp_path / "in" / "c.jsonl").write_text('{"id": "3", "data": {"image": "a.jpg"}}\n')
    error = failed(
        tapmark(
            tmp_path, "batch", "import", "pics", "in/c.jsonl", "--files", "in/elsewhere", env=env
        )
    )
    assert "--files in/elsewhere: not a folder" in error
    assert not (tmp_path / "media").exists()


@pytest.fixture
def media(tmp_path: Path) -> MediaStore:
    return MediaStore(tmp_path / "media")


@pytest.fixture
def recorder(store: Store, clock: Clock, media: MediaStore) -> Recorder:
    return Recorder(
        Core(
            store,
            clock=clock,
            rng=random.Random(4),
            media=media,
            admins=frozenset({("console", "root")}),
            fetcher=HttpsFetcher(),
            limits=BatchLimits(max_items=MAX_ITEMS),
        )
    )


async def stored(store: Store) -> tuple[int, int]:
    async with store.transaction() as tx:
        project = await tx.project_by_name("pics")
        assert project is not None
        progress = await tx.batch_progress(project.id)
    return len(progress), sum(p.items for p in progress)


async def test_an_upload_in_chat_is_refused_and_stores_nothing(
    recorder: Recorder, store: Store, media: MediaStore
) -> None:
    root = recorder.person("root")
    await root.upload("pics.toml", PROJECT.encode())
    await root.upload("first.zip", good_batch())
    await root.tap("Publish")
    before_media, before_db = files_in(media.root), await stored(store)
    assert before_db == (1, 1) and len(before_media) == 1
    for bad in BAD_FILES:
        await root.upload(bad.name, bad.content)
        message = root.chat.last()
        assert message is not None
        text = plain(message.text)
        assert f"{bad.name} was not imported" in text and "Nothing was stored" in text, text
        assert bad.expect in text, (bad.name, text)
        assert "Something went wrong" not in text
        assert await stored(store) == before_db, bad.name
        assert files_in(media.root) == before_media, bad.name


async def test_a_refused_import_never_removes_a_file_a_concurrent_import_stores(
    store: Store, media: MediaStore
) -> None:
    """Both stage the same new picture; the refused one drops only its own staged copy."""
    await save_project(store, parse_project("p.toml", PROJECT), update=False)
    shared = jpeg(90, 60, seed=9)
    bad = zip_of(
        {
            "b.jsonl": jsonl(
                [
                    {"id": "b1", "data": {"image": "s.jpg"}},
                    {"id": "b2", "data": {"image": "broken.jpg"}},
                ]
            ),
            "s.jpg": shared,
            "broken.jpg": broken_jpeg(),
        }
    )
    for i in range(3):
        good = zip_of(
            {"g.jsonl": jsonl([{"id": f"g{i}", "data": {"image": "s.jpg"}}]), "s.jpg": shared}
        )
        refused, stored_ = await asyncio.gather(
            import_batch(store, "pics", "bad.zip", bad, True, media=media),
            import_batch(store, "pics", f"good{i}.zip", good, True, media=media),
            return_exceptions=True,
        )
        assert isinstance(refused, BatchFileError), refused
        assert not isinstance(stored_, BaseException), stored_
        async with store.transaction() as tx:
            project = await tx.project_by_name("pics")
            assert project is not None
            shas = {row.item.data["media"]["sha"] async for row in tx.export_rows(project.id)}
        (sha,) = shas
        assert list(files_in(media.root)) == [str(media.path(sha, "jpg").relative_to(media.root))]
