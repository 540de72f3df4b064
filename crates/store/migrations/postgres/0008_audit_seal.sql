-- The audit chain sealed at commit (PostgreSQL only; SQLite appends from Rust under its single
-- writer lock, see ../sqlite/0008_audit_seal.sql).
--
-- Appenders must be serialised so the chain never forks, and the lock that does it is held
-- until commit. When store::audit::record took it, read the chain's head and inserted, the lock
-- was held across every later round trip between the database and the application, and while
-- the application waited for a core (bench/applications.sh: with 16 reviewers, the holder sat
-- "idle in transaction" most of the time and six others waited). Now the application inserts
-- the entry with a provisional negative seq (from audit_staging_seq) and the genesis hash in
-- prev_hash; this deferred trigger runs at commit, takes the lock, reads the head and gives the
-- entry its place and hash. Uncommitted entries are seen by no one else; committed ones are
-- always sealed.
--
-- The hash is the one store::audit::Entry::compute_hash computes: SHA-256 over the fields, each
-- as UTF-8 text (absent values as empty text) prefixed by its byte length as a big-endian 64-bit
-- integer, in this order: seq, at, actor_user_id, actor, actor_org_id, action, entity_type,
-- entity_id, before_json, after_json, request_id, prev_hash. store::audit::verify recomputes it
-- in Rust, and the tests verify chains sealed here.
CREATE SEQUENCE audit_staging_seq;

CREATE FUNCTION audit_seal() RETURNS TRIGGER
LANGUAGE plpgsql AS $$
DECLARE
    v_prev_seq BIGINT;
    v_prev_hash TEXT;
    v_seq BIGINT;
    v_buf BYTEA := ''::BYTEA;
    v_part TEXT;
BEGIN
    PERFORM pg_advisory_xact_lock(72430001);
    -- A new snapshot: the head as committed by the previous holder of the lock (or sealed
    -- earlier in this transaction).
    SELECT seq, hash INTO v_prev_seq, v_prev_hash
        FROM audit_log WHERE seq > 0 ORDER BY seq DESC LIMIT 1;
    IF NOT FOUND THEN
        v_prev_seq := 0;
        v_prev_hash := NEW.prev_hash; -- the genesis hash, given by the application
    END IF;
    v_seq := v_prev_seq + 1;
    FOREACH v_part IN ARRAY ARRAY[
        v_seq::TEXT, NEW.at::TEXT, COALESCE(NEW.actor_user_id::TEXT, ''), NEW.actor,
        COALESCE(NEW.actor_org_id::TEXT, ''), NEW.action, NEW.entity_type, NEW.entity_id,
        COALESCE(NEW.before_json, ''), COALESCE(NEW.after_json, ''),
        COALESCE(NEW.request_id, ''), v_prev_hash
    ] LOOP
        v_buf := v_buf || int8send(octet_length(convert_to(v_part, 'UTF8'))::BIGINT)
            || convert_to(v_part, 'UTF8');
    END LOOP;
    UPDATE audit_log
        SET seq = v_seq, prev_hash = v_prev_hash, hash = encode(sha256(v_buf), 'hex')
        WHERE seq = NEW.seq;
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER audit_seal AFTER INSERT ON audit_log
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.seq < 0) EXECUTE FUNCTION audit_seal();
