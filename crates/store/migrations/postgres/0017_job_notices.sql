-- Notices sent by the background jobs (web::features::jobs: deadline reminders, certification expiry,
-- publicity ended). Keep in step with ../sqlite/0017_job_notices.sql.
--
-- One row per notice, keyed by what it is about, so each is sent once however many passes or
-- nodes see it: the row and the notice's inbox items are written in one transaction, and a key
-- already here means the notice went out. Keys, e.g.
--   'deadline_soon:12:district_review:2026-03-02'  application, stage, due date
--   'overdue:12:district_review:2026-03-02'
--   'publicity_ended:12:2026-03-02'                 application, end of publicity
--   'expiring:34:2026-05-31', 'expired:34:2026-05-31'  organisation, last day of its period
CREATE TABLE job_notices (
    notice_key TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    sent_at BIGINT NOT NULL
);
