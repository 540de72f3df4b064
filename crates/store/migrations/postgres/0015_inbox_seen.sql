-- The newest inbox item each user has seen (opening 消息 marks all seen): items after it are
-- unread, counted in the navigation.
ALTER TABLE users ADD COLUMN inbox_seen_id BIGINT NOT NULL DEFAULT 0;
