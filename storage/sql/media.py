"""What each platform account gave back for an uploaded media file (`bot.media.store.UploadRefs`),
and which stored files items still name."""

from __future__ import annotations

import json

from storage.sql.base import SqlBase


class MediaOps(SqlBase):
    async def media_upload(self, sha: str, platform: str) -> str | None:
        row = await self._one(
            "SELECT file_ref FROM media_uploads WHERE sha = ? AND platform = ?", (sha, platform)
        )
        return None if row is None else str(row[0])

    async def save_media_upload(self, sha: str, platform: str, file_ref: str, now: float) -> None:
        await self._exec(
            "INSERT INTO media_uploads (sha, platform, file_ref, created_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (sha, platform) DO UPDATE SET file_ref = excluded.file_ref,"
            " created_at = excluded.created_at",
            (sha, platform, file_ref, now),
        )

    async def forget_media_upload(self, sha: str, platform: str) -> None:
        await self._exec(
            "DELETE FROM media_uploads WHERE sha = ? AND platform = ?", (sha, platform)
        )

    async def media_in_use(self) -> set[str]:
        rows = await self._all("SELECT data FROM items WHERE data LIKE '%\"media\"%'")
        found: set[str] = set()
        for row in rows:
            media = json.loads(row[0]).get("media")
            if not isinstance(media, dict):
                continue
            for stored in (media, media.get("grid")):
                if isinstance(stored, dict) and isinstance(stored.get("sha"), str):
                    found.add(stored["sha"])
        return found
