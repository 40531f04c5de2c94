"""The Store contract for uploaded media: what each platform account gave back for a file,
stored, replaced and forgotten; on every engine."""

from __future__ import annotations

from domain.entities import NewItem
from domain.enums import BatchStatus
from storage.contract import Store
from tests.storage.test_contract import T0, spec

SHA = "ab" * 32


async def test_a_platform_reference_is_kept_per_file_and_account(engine_store: Store) -> None:
    async with engine_store.transaction() as tx:
        assert await tx.media_upload(SHA, "telegram:1") is None
        await tx.save_media_upload(SHA, "telegram:1", "AgACfirst", T0)
        await tx.save_media_upload(SHA, "slack:T1", '["F1", "https://x/F1"]', T0)
    async with engine_store.transaction() as tx:
        assert await tx.media_upload(SHA, "telegram:1") == "AgACfirst"
        assert await tx.media_upload(SHA, "telegram:2") is None  # file_ids are per bot
        assert await tx.media_upload(SHA, "slack:T1") == '["F1", "https://x/F1"]'
        await tx.save_media_upload(SHA, "telegram:1", "AgACsecond", T0 + 1)  # replaced
    async with engine_store.transaction() as tx:
        assert await tx.media_upload(SHA, "telegram:1") == "AgACsecond"
        await tx.forget_media_upload(SHA, "telegram:1")
        await tx.forget_media_upload(SHA, "telegram:9")  # forgetting nothing is fine
    async with engine_store.transaction() as tx:
        assert await tx.media_upload(SHA, "telegram:1") is None
        assert await tx.media_upload(SHA, "slack:T1") is not None


async def test_the_files_items_name_are_found_in_every_batch(engine_store: Store) -> None:
    picture, grid, draft = "ab" * 32, "cd" * 32, "ef" * 32
    rows = [
        NewItem(
            ext_id="1",
            data={
                "media": {
                    "kind": "image",
                    "sha": picture,
                    "ext": "jpg",
                    "grid": {"sha": grid, "ext": "png"},
                }
            },
        ),
        NewItem(ext_id="2", data={"text": 'no media here, though it says "media"'}),
    ]
    async with engine_store.transaction() as tx:
        project = await tx.create_project(spec(), T0)
        await tx.create_batch(project.id, "live", rows, BatchStatus.PUBLISHED, 1, T0)
        await tx.create_batch(
            project.id,
            "draft",
            [NewItem(ext_id="3", data={"media": {"kind": "audio", "sha": draft, "ext": "ogg"}})],
            BatchStatus.DRAFT,
            1,
            T0,
        )
    async with engine_store.transaction() as tx:
        assert await tx.media_in_use() == {picture, grid, draft}
