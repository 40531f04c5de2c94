-- What each platform account gave back for a media file it was sent once (a Telegram file_id
-- per bot, a Slack file id per workspace), so the file is not uploaded again.
CREATE TABLE media_uploads (
    sha         text NOT NULL,              -- SHA-256 of the stored file
    platform    text NOT NULL,              -- the account: telegram:<bot id>, slack:<team id>
    file_ref    text NOT NULL,
    created_at  double precision NOT NULL,
    PRIMARY KEY (sha, platform)
);
