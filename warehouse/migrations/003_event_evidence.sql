-- Which words set which field of an event (field name -> text span), kept so
-- `eventpipe explain` shows why a stored event was coded as it was, even after
-- the coder has changed. NULL for events stored before this migration.
ALTER TABLE events ADD COLUMN evidence JSON;
