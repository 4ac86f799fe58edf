-- The hash of each input as read (bytes plus metadata), on the article it became
-- or the rejection it earned, so a re-run skips inputs already settled before
-- parsing them again: parsing HTML is the costly step, and a re-run over stored
-- pages should cost a tenth of the first run.
ALTER TABLE articles ADD COLUMN raw_sha256 VARCHAR;
ALTER TABLE rejections ADD COLUMN raw_sha256 VARCHAR;
