-- Attachment slots (申报材料): a kind's `type = "attachment"` fields name the files it asks for
-- (domain::form). An attachment uploaded into a slot carries the slot's field name; the newest
-- file of a slot fills it. Attachments uploaded without a slot keep NULL. Keep in step with
-- ../postgres/0019_attachment_slots.sql.
ALTER TABLE attachments ADD COLUMN slot TEXT;
