-- What each platform account gave back for a media file it was sent once (a Telegram file_id
-- per bot, a Slack file id per workspace), so the file is not uploaded again.
CREATE TABLE media_uploads (
    sha         TEXT NOT NULL,              -- SHA-256 of the stored file
    platform    TEXT NOT NULL,              -- the account: telegram:<bot id>, slack:<team id>
    file_ref    TEXT NOT NULL,
    created_at  REAL NOT NULL,
    PRIMARY KEY (sha, platform)
);
