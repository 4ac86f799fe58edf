-- The hash of each article's input as read (bytes plus metadata), so a re-run
-- skips inputs it has stored before parsing them again: parsing HTML is the
-- costly step, and a re-run over stored pages should cost a tenth of the first.
ALTER TABLE articles ADD COLUMN raw_sha256 VARCHAR;
