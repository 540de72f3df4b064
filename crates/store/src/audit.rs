//! Append-only, hash-chained audit log.
//!
//! Every change of state calls [`record`] inside the same transaction as the change. Entry `n`
//! stores the hash of entry `n-1`; its own hash covers all of its fields, so altering, inserting
//! or deleting an entry breaks the chain at that point and [`verify`] names it.
//!
//! That chain is unkeyed: whoever can write the database can also recompute it. A [`Sealer`]
//! therefore keys each committed entry, in `seq` order, with a key kept outside the database
//! ([`KeyRing`]): `mac(n) = HMAC-SHA256(key, mac(n-1), hash(n), seq(n))` in `audit_macs`. An
//! [`Anchor`] (the keyed head, signed) kept outside the database shows truncation below it and
//! rewriting before it. [`verify_with`] checks all three; see `docs/threat-model.md`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::{FromRow, Row};

use crate::orgs::Scope;
use crate::{Arg, Backend, Db, Page, Paging, Result, Tx, now};

pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The last entry of the log (SQLite): what the next entry chains from.
///
/// All writes of one server go through its writer lock, which keeps the head the last commit
/// left, so a transition need not read it (one round trip less while the lock is held; see
/// [`crate::applications::commit_change`]). Another process writing the same file (a command
/// run beside the server) makes the kept head stale: the next entry then takes a `seq` that
/// exists, the primary key refuses it, nothing is written, and the transaction is retried from
/// the head read anew.
#[derive(Debug, Clone)]
pub struct AuditHead {
    seq: i64,
    hash: String,
}

impl AuditHead {
    pub(crate) fn new(seq: i64, hash: String) -> Self {
        AuditHead { seq, hash }
    }

    /// The head of an empty log.
    pub(crate) fn genesis() -> Self {
        AuditHead::new(0, GENESIS_HASH.to_string())
    }
}

/// Who performs a change, and under which request.
#[derive(Debug, Clone, Serialize)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub name: String,
    pub org_id: Option<i64>,
    pub request_id: Option<String>,
}

impl Actor {
    /// A change made by the platform itself or a command-line operator.
    pub fn system(name: &str) -> Actor {
        Actor {
            user_id: None,
            name: name.to_string(),
            org_id: None,
            request_id: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Entry {
    pub seq: i64,
    pub at: i64,
    pub actor_user_id: Option<i64>,
    pub actor: String,
    pub actor_org_id: Option<i64>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub request_id: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl Entry {
    /// The hash this entry should carry, computed from its fields and `prev_hash`.
    pub fn compute_hash(&self) -> String {
        let mut h = Sha256::new();
        let opt_i = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
        let opt_s = |v: &Option<String>| v.clone().unwrap_or_default();
        for part in [
            self.seq.to_string(),
            self.at.to_string(),
            opt_i(self.actor_user_id),
            self.actor.clone(),
            opt_i(self.actor_org_id),
            self.action.clone(),
            self.entity_type.clone(),
            self.entity_id.clone(),
            opt_s(&self.before_json),
            opt_s(&self.after_json),
            opt_s(&self.request_id),
            self.prev_hash.clone(),
        ] {
            // Length-prefix each field so no two field lists hash alike.
            h.update((part.len() as u64).to_be_bytes());
            h.update(part.as_bytes());
        }
        hex::encode(h.finalize())
    }
}

/// Appends one entry to the log inside `tx`. Returns the `seq` written (provisional on
/// PostgreSQL, see [`append`]).
pub async fn record(
    tx: &mut Tx,
    actor: &Actor,
    action: &str,
    entity_type: &str,
    entity_id: &str,
    before: Option<&Value>,
    after: Option<&Value>,
) -> Result<i64> {
    let entry = new_entry(actor, action, entity_type, entity_id, before, after);
    let (sql, args) = append(tx, entry).await?;
    let sql = format!("{sql} RETURNING seq");
    let mut q = sqlx::query(&sql);
    for a in &args {
        q = a.bind(q);
    }
    Ok(q.fetch_one(&mut *tx.inner).await?.try_get::<i64, _>(0)?)
}

/// The statement that appends `entry` to the log inside `tx` (placeholders `$1`..`$13`), for
/// [`record`] or for a [`crate::batch::Batch`] of the same transaction.
///
/// SQLite: the writer lock serialises appenders; the entry takes its place after the head read
/// here, so nothing else may append to the log in `tx` before the statement runs.
/// PostgreSQL: the entry is written with a provisional negative `seq` and the genesis hash as
/// `prev_hash`, and a deferred trigger seals it into the chain at commit, under the lock that
/// serialises appenders (migrations/postgres/0008_audit_seal.sql): the lock is held only while
/// the database commits, not across round trips to the application.
pub(crate) async fn append(tx: &mut Tx, entry: Entry) -> Result<(String, Vec<Arg>)> {
    match tx.backend {
        Backend::Postgres => Ok(append_statement(entry)),
        Backend::Sqlite => {
            // This transaction's own last entry, else the log's.
            let head = match tx.audit_next.take() {
                Some(h) => h,
                None => read_head(&mut tx.inner).await?,
            };
            let (sql, args, next) = append_after(&head, entry);
            tx.audit_next = Some(next);
            Ok((sql, args))
        }
    }
}

/// PostgreSQL: the statement that appends `entry` to the log, for a statement of its own or a
/// [`crate::batch::Batch`] run outside an explicit transaction; sealed into the chain when the
/// statement's transaction commits, as in [`append`].
pub(crate) fn append_statement(entry: Entry) -> (String, Vec<Arg>) {
    insert_statement(entry, false)
}

/// SQLite: the last entry of the log (the genesis hash at seq 0 while it is empty).
pub(crate) async fn read_head(conn: &mut sqlx::AnyConnection) -> Result<AuditHead> {
    let last = sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        .fetch_optional(conn)
        .await?;
    Ok(match last {
        Some(row) => AuditHead::new(row.try_get::<i64, _>(0)?, row.try_get::<String, _>(1)?),
        None => AuditHead::genesis(),
    })
}

/// A new entry of the log, not yet chained.
pub(crate) fn new_entry(
    actor: &Actor,
    action: &str,
    entity_type: &str,
    entity_id: &str,
    before: Option<&Value>,
    after: Option<&Value>,
) -> Entry {
    Entry {
        seq: 0,
        at: now(),
        actor_user_id: actor.user_id,
        actor: actor.name.clone(),
        actor_org_id: actor.org_id,
        action: action.to_string(),
        entity_type: entity_type.to_string(),
        entity_id: entity_id.to_string(),
        before_json: before.map(|v| v.to_string()),
        after_json: after.map(|v| v.to_string()),
        request_id: actor.request_id.clone(),
        prev_hash: GENESIS_HASH.to_string(),
        hash: String::new(),
    }
}

/// SQLite: the statement that appends `entry` right after `head`, sealed as its successor
/// (placeholders `$1`..`$13`), and the head it makes. The writer lock must be held from
/// reading `head` to the commit.
pub(crate) fn append_after(head: &AuditHead, mut entry: Entry) -> (String, Vec<Arg>, AuditHead) {
    entry.seq = head.seq + 1;
    entry.prev_hash = head.hash.clone();
    entry.hash = entry.compute_hash();
    let next = AuditHead {
        seq: entry.seq,
        hash: entry.hash.clone(),
    };
    let (sql, args) = insert_statement(entry, true);
    (sql, args, next)
}

/// The INSERT of `entry`: `chained` (SQLite) with its own seq and hashes; else (PostgreSQL) with a
/// provisional seq, for the seal to chain at commit.
fn insert_statement(entry: Entry, chained: bool) -> (String, Vec<Arg>) {
    let seq_sql = if chained {
        "$1"
    } else {
        "COALESCE(CAST($1 AS BIGINT), -nextval('audit_staging_seq'))"
    };
    let sql = format!(
        "INSERT INTO audit_log (seq, at, actor_user_id, actor, actor_org_id, action, entity_type, \
         entity_id, before_json, after_json, request_id, prev_hash, hash) \
         VALUES ({seq_sql}, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
    );
    let args = vec![
        Arg::OptInt(chained.then_some(entry.seq)),
        Arg::Int(entry.at),
        Arg::OptInt(entry.actor_user_id),
        Arg::Str(entry.actor),
        Arg::OptInt(entry.actor_org_id),
        Arg::Str(entry.action),
        Arg::Str(entry.entity_type),
        Arg::Str(entry.entity_id),
        Arg::OptStr(entry.before_json),
        Arg::OptStr(entry.after_json),
        Arg::OptStr(entry.request_id),
        Arg::Str(entry.prev_hash),
        Arg::Str(entry.hash),
    ];
    (sql, args)
}

/// What the log is narrowed to; every condition is optional.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub action: Option<String>,
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    /// Part of the actor's name as recorded (a user's username, or the platform's, the
    /// command line's or a failed sign-in's name) or of the acting user's display name.
    pub actor: Option<String>,
    /// From this time on (unix seconds, inclusive).
    pub from: Option<i64>,
    /// Before this time (unix seconds, exclusive).
    pub to: Option<i64>,
}

/// An entry as the log's list and export show it: with the acting user's username and
/// display name and their organisation's name as they are now (`None` for the platform's own
/// entries, or a user or organisation no longer there).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Listed {
    pub seq: i64,
    pub at: i64,
    pub actor_user_id: Option<i64>,
    pub actor: String,
    pub actor_org_id: Option<i64>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub request_id: Option<String>,
    pub actor_username: Option<String>,
    pub actor_display_name: Option<String>,
    pub actor_org_name: Option<String>,
}

const LISTED_COLS: &str = "a.seq, a.at, a.actor_user_id, a.actor, a.actor_org_id, a.action, \
    a.entity_type, a.entity_id, a.before_json, a.after_json, a.request_id, \
    au.username AS actor_username, au.display_name AS actor_display_name, \
    ao.name AS actor_org_name";

const LISTED_FROM: &str = "audit_log a LEFT JOIN users au ON au.id = a.actor_user_id \
    LEFT JOIN orgs ao ON ao.id = a.actor_org_id";

/// The conditions of `filter`, then the caller's scope: the entries of actors whose
/// organisation it sees (the operator's is every entry). Returns the conditions and the
/// `FROM` clause a count needs.
fn conditions(scope: &Scope, filter: &Filter) -> (crate::QueryBuilder, &'static str) {
    let mut q = crate::QueryBuilder::new();
    if let Some(a) = &filter.action {
        q.and_eq_str("a.action", a);
    }
    if let Some(e) = &filter.entity_type {
        q.and_eq_str("a.entity_type", e);
    }
    if let Some(e) = &filter.entity_id {
        q.and_eq_str("a.entity_id", e);
    }
    if let Some(text) = filter
        .actor
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let like = format!("%{}%", crate::orgs::escape_like(&text.to_lowercase()));
        let actor = q.arg(Arg::Str(like.clone()));
        let name = q.arg(Arg::Str(like));
        q.and(format!(
            "(LOWER(a.actor) LIKE {actor} ESCAPE '\\' OR a.actor_user_id IN \
             (SELECT id FROM users WHERE LOWER(display_name) LIKE {name} ESCAPE '\\'))"
        ));
    }
    if let Some(f) = filter.from {
        q.and_cmp_int("a.at", ">=", f);
    }
    if let Some(t) = filter.to {
        q.and_cmp_int("a.at", "<", t);
    }
    scope.restrict(&mut q, "a.actor_org_id", "ao.district");
    let count_from = match scope {
        Scope::District(_) => "audit_log a LEFT JOIN orgs ao ON ao.id = a.actor_org_id",
        _ => "audit_log a",
    };
    (q, count_from)
}

/// Entries matching `filter` within `scope`, newest first.
pub async fn list(db: &Db, scope: &Scope, filter: &Filter, paging: Paging) -> Result<Page<Listed>> {
    let (q, count_from) = conditions(scope, filter);
    let total = q.count(db, count_from).await?;
    let sql = format!(
        "SELECT {LISTED_COLS} FROM {LISTED_FROM}{} ORDER BY a.seq DESC LIMIT {} OFFSET {}",
        q.where_sql(),
        paging.per_page,
        paging.offset()
    );
    let items = q.fetch_all::<Listed>(db, &sql).await?;
    Ok(Page {
        items,
        total,
        page: paging.page,
        per_page: paging.per_page,
    })
}

/// The newest `cap` entries matching `filter` within `scope`, newest first (the export).
pub async fn export(db: &Db, scope: &Scope, filter: &Filter, cap: i64) -> Result<Vec<Listed>> {
    let (q, _) = conditions(scope, filter);
    let sql = format!(
        "SELECT {LISTED_COLS} FROM {LISTED_FROM}{} ORDER BY a.seq DESC LIMIT {}",
        q.where_sql(),
        cap.max(0)
    );
    q.fetch_all::<Listed>(db, &sql).await
}

// ---------------------------------------------------------------------------------------------
// The keyed chain: MACs over the hash chain, with a key kept outside the database.
// ---------------------------------------------------------------------------------------------

type HmacSha256 = Hmac<Sha256>;

/// Bytes of a generated key, and the fewest a key file's secret may have.
pub const KEY_BYTES: usize = 32;

/// The longest key id a key file may use.
const KEY_ID_MAX: usize = 64;

/// Entries keyed by one statement (three parameters each: well below both backends' limits;
/// more than a second's worth of transitions, so one transaction a round).
const SEAL_CHUNK: i64 = 2000;

/// Entries read per round trip by [`verify`].
const VERIFY_CHUNK: i64 = 5000;

/// PostgreSQL: the advisory lock that lets one sealer key at a time (not the append seal's
/// 72430001: keying never waits for, nor delays, a transition's commit).
const SEAL_LOCK: i64 = 72430002;

/// Where a PostgreSQL deployment without a configured key keeps the generated one (the working
/// directory of the server); a SQLite database keeps it beside its file.
pub const POSTGRES_DEFAULT_KEY_FILE: &str = "chanjiao-postgres.audit-key";

/// A problem with the key file.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("无法读取审计密钥文件 {path}：{source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("审计密钥文件 {path} 有误：{message}")]
    Format { path: PathBuf, message: String },
    #[error("无法创建审计密钥文件 {path}：{source}")]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The audit keys: every key by id (old ones still verify the entries they keyed), and the
/// current one, which keys new entries.
///
/// The key file is TOML:
///
/// ```toml
/// current = "k2"
/// [keys]
/// k1 = "64 hex digits (32 bytes) or more"
/// k2 = "…"
/// ```
#[derive(Clone)]
pub struct KeyRing {
    current: String,
    keys: BTreeMap<String, Vec<u8>>,
    path: PathBuf,
}

impl std::fmt::Debug for KeyRing {
    // Never the secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing")
            .field("path", &self.path)
            .field("current", &self.current)
            .field("ids", &self.keys.keys().collect::<Vec<_>>())
            .finish()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    current: String,
    keys: BTreeMap<String, String>,
}

impl KeyRing {
    /// Reads the key file at `path`.
    pub fn load(path: &Path) -> Result<KeyRing, KeyError> {
        let text = std::fs::read_to_string(path).map_err(|source| KeyError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            if let Ok(m) = std::fs::metadata(path)
                && m.permissions().mode() & 0o077 != 0
            {
                tracing::warn!(
                    "审计密钥文件 {} 可被其他用户读取，建议 chmod 600",
                    path.display()
                );
            }
        }
        KeyRing::parse(&text, path)
    }

    /// Parses a key file's text (`path` names it in errors).
    pub fn parse(text: &str, path: &Path) -> Result<KeyRing, KeyError> {
        let bad = |message: String| KeyError::Format {
            path: path.to_path_buf(),
            message,
        };
        let file: KeyFile = toml::from_str(text).map_err(|e| bad(e.message().to_string()))?;
        let mut keys = BTreeMap::new();
        for (id, secret) in file.keys {
            if id.is_empty()
                || id.len() > KEY_ID_MAX
                || !id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(bad(format!(
                    "密钥编号“{id}”应由字母、数字、- 或 _ 组成，最长 {KEY_ID_MAX} 个字符"
                )));
            }
            let bytes = hex::decode(secret.trim())
                .map_err(|_| bad(format!("密钥“{id}”应为十六进制字符串")))?;
            if bytes.len() < KEY_BYTES {
                return Err(bad(format!(
                    "密钥“{id}”过短：至少 {KEY_BYTES} 字节（{} 个十六进制字符）",
                    KEY_BYTES * 2
                )));
            }
            keys.insert(id, bytes);
        }
        if !keys.contains_key(&file.current) {
            return Err(bad(format!(
                "current = “{}”，但 [keys] 中没有这个编号",
                file.current
            )));
        }
        Ok(KeyRing {
            current: file.current,
            keys,
            path: path.to_path_buf(),
        })
    }

    /// Creates a key file at `path` (readable by its owner only) with one new random key, and
    /// answers with its ring. Fails if the file exists.
    pub fn generate(path: &Path) -> Result<KeyRing, KeyError> {
        use rand::RngCore;
        let mut secret = [0u8; KEY_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut secret);
        let id = format!(
            "k{}-{}",
            chrono::Utc::now().format("%Y%m%d"),
            hex::encode(&secret[..2])
        );
        let text = format!(
            "# 重庆市产教融合工作平台：审计日志密钥（HMAC-SHA256），由 chanjiao 生成。\n\
             # 不要放进数据库或其备份。轮换：在 [keys] 中加入新密钥并把 current 指向它，\n\
             # 旧密钥留在文件中，用它签的旧记录仍可校验。见 docs/threat-model.md。\n\
             current = \"{id}\"\n\n[keys]\n{id} = \"{}\"\n",
            hex::encode(secret)
        );
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let created = opts.open(path).and_then(|mut f| {
            use std::io::Write;
            f.write_all(text.as_bytes())?;
            f.sync_all()
        });
        created.map_err(|source| KeyError::Create {
            path: path.to_path_buf(),
            source,
        })?;
        KeyRing::parse(&text, path)
    }

    /// The key file at `path`, created first (see [`KeyRing::generate`]) if there is none.
    /// Answers whether it was created.
    pub fn load_or_generate(path: &Path) -> Result<(KeyRing, bool), KeyError> {
        if path.exists() {
            return Ok((KeyRing::load(path)?, false));
        }
        match KeyRing::generate(path) {
            Ok(r) => Ok((r, true)),
            // Another process created it first.
            Err(KeyError::Create { source, .. })
                if source.kind() == std::io::ErrorKind::AlreadyExists =>
            {
                Ok((KeyRing::load(path)?, false))
            }
            Err(e) => Err(e),
        }
    }

    /// The id of the key new entries are keyed with.
    pub fn current_id(&self) -> &str {
        &self.current
    }

    /// Every key id, in order.
    pub fn ids(&self) -> Vec<String> {
        self.keys.keys().cloned().collect()
    }

    /// The file the keys were read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn key(&self, id: &str) -> Option<&[u8]> {
        self.keys.get(id).map(Vec::as_slice)
    }

    fn current_key(&self) -> &[u8] {
        self.key(&self.current)
            .expect("the current key is in the ring (checked by parse)")
    }
}

/// The key file used when none is configured: `FILE.audit-key` beside a SQLite database file,
/// [`POSTGRES_DEFAULT_KEY_FILE`] in the working directory otherwise. Never inside the database.
pub fn default_key_path(url: &str) -> PathBuf {
    if url.starts_with("sqlite:")
        && let Ok(opts) = sqlx::sqlite::SqliteConnectOptions::from_str(url)
    {
        let file = opts.get_filename();
        if !file.as_os_str().is_empty() && file != Path::new(":memory:") {
            let mut name = file.as_os_str().to_owned();
            name.push(".audit-key");
            return PathBuf::from(name);
        }
    }
    PathBuf::from(POSTGRES_DEFAULT_KEY_FILE)
}

/// HMAC-SHA256 of `parts`, each prefixed by its length (as [`Entry::compute_hash`] does), in hex.
fn hmac_hex(key: &[u8], parts: &[&[u8]]) -> String {
    let mut m = HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length");
    for p in parts {
        m.update(&(p.len() as u64).to_be_bytes());
        m.update(p);
    }
    hex::encode(m.finalize().into_bytes())
}

/// mac(n) = HMAC-SHA256(key, mac(n-1), hash(n), seq(n)); mac(0) is [`GENESIS_HASH`].
pub fn entry_mac(key: &[u8], prev_mac: &str, hash: &str, seq: i64) -> String {
    hmac_hex(
        key,
        &[
            prev_mac.as_bytes(),
            hash.as_bytes(),
            seq.to_string().as_bytes(),
        ],
    )
}

/// What one [`Sealer::seal`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sealed {
    /// Entries keyed now.
    pub keyed: i64,
    /// The last keyed entry afterwards (0: none).
    pub head: i64,
    /// Set when the keyed head had gone back below what this sealer had seen keyed (MACs were
    /// deleted): nothing is keyed then, so the rewound entries are not keyed anew, and the
    /// value is the head this sealer had seen.
    pub rewound_from: Option<i64>,
}

/// Keys the audit log's entries, in `seq` order, with the ring's current key.
///
/// Safe beside other sealers (another server, a command): on PostgreSQL they take an advisory
/// lock in turn, on SQLite the write lock; each reads the keyed head inside its transaction.
pub struct Sealer {
    ring: KeyRing,
    /// The highest keyed entry this sealer has seen.
    seen: i64,
}

impl Sealer {
    pub fn new(ring: KeyRing) -> Sealer {
        Sealer { ring, seen: 0 }
    }

    pub fn ring(&self) -> &KeyRing {
        &self.ring
    }

    /// Keys every entry not yet keyed (in transactions of up to [`SEAL_CHUNK`] entries). Stops
    /// at a gap in the log (which [`verify`] reports) and refuses to key when MACs it had seen
    /// were deleted (see [`Sealed::rewound_from`]).
    pub async fn seal(&mut self, db: &Db) -> Result<Sealed> {
        let mut keyed = 0;
        loop {
            let step = self.seal_chunk(db).await?;
            keyed += step.keyed;
            if step.rewound_from.is_some() || step.keyed < SEAL_CHUNK {
                return Ok(Sealed { keyed, ..step });
            }
        }
    }

    async fn seal_chunk(&mut self, db: &Db) -> Result<Sealed> {
        // Most rounds find nothing to key: they answer without the write lock.
        let (log_last, keyed_last): (Option<i64>, Option<i64>) = sqlx::query_as(
            "SELECT (SELECT MAX(seq) FROM audit_log), (SELECT MAX(seq) FROM audit_macs)",
        )
        .fetch_one(db.pool())
        .await?;
        let keyed_last = keyed_last.unwrap_or(0);
        if log_last.unwrap_or(0) <= keyed_last && keyed_last >= self.seen {
            self.seen = keyed_last;
            return Ok(Sealed {
                keyed: 0,
                head: keyed_last,
                rewound_from: None,
            });
        }
        let mut tx = db.begin().await?;
        if tx.backend == Backend::Postgres {
            sqlx::query("SELECT 1 FROM (SELECT pg_advisory_xact_lock($1)) AS l")
                .bind(SEAL_LOCK)
                .execute(&mut *tx.inner)
                .await?;
        }
        let (head, mut prev_mac) = keyed_head(&mut tx.inner).await?;
        if head < self.seen {
            tracing::error!(
                "审计日志的MAC被删除：本进程已见第{}条加签，数据库中现只到第{head}条；不再加签，请核查（chanjiao audit verify --anchor）",
                self.seen
            );
            return Ok(Sealed {
                keyed: 0,
                head,
                rewound_from: Some(self.seen),
            });
        }
        let pending: Vec<(i64, String)> =
            sqlx::query_as("SELECT seq, hash FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2")
                .bind(head)
                .bind(SEAL_CHUNK)
                .fetch_all(&mut *tx.inner)
                .await?;
        let key = self.ring.current_key();
        let mut values = Vec::new();
        let mut args = Vec::new();
        let mut seq = head;
        for (s, hash) in pending {
            // A gap: keying stops before it.
            if s != seq + 1 {
                break;
            }
            seq = s;
            prev_mac = entry_mac(key, &prev_mac, &hash, seq);
            let n = args.len();
            values.push(format!(
                "({}, {}, {})",
                crate::placeholder(tx.backend, n + 1),
                crate::placeholder(tx.backend, n + 2),
                crate::placeholder(tx.backend, n + 3)
            ));
            args.push(Arg::Int(seq));
            args.push(Arg::Str(self.ring.current.clone()));
            args.push(Arg::Str(prev_mac.clone()));
        }
        let keyed = seq - head;
        if keyed > 0 {
            let sql = format!(
                "INSERT INTO audit_macs (seq, key_id, mac) VALUES {}",
                values.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for a in &args {
                q = a.bind(q);
            }
            q.execute(&mut *tx.inner).await?;
            tx.commit().await?;
        }
        self.seen = seq;
        Ok(Sealed {
            keyed,
            head: seq,
            rewound_from: None,
        })
    }
}

/// The last keyed entry's seq and MAC (0 and the genesis hash while none is keyed).
async fn keyed_head(conn: &mut sqlx::AnyConnection) -> Result<(i64, String)> {
    let last: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, mac FROM audit_macs ORDER BY seq DESC LIMIT 1")
            .fetch_optional(conn)
            .await?;
    Ok(last.unwrap_or_else(|| (0, GENESIS_HASH.to_string())))
}

// ---------------------------------------------------------------------------------------------
// Anchors: the keyed head, kept outside the database.
// ---------------------------------------------------------------------------------------------

/// The head of the keyed log at a moment, signed with the key of its MAC: one JSON line, kept
/// outside the database. [`verify_with`] checks that the entry at `seq` still has `hash` and
/// `mac`, which neither truncating the log below `seq` nor rewriting it before `seq` (even with
/// the unkeyed chain recomputed) can keep true.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Anchor {
    pub seq: i64,
    pub hash: String,
    pub mac: String,
    pub key_id: String,
    /// When the anchor was taken (unix seconds).
    pub at: i64,
    /// HMAC-SHA256 with key `key_id` over the fields above.
    pub sig: String,
}

impl Anchor {
    fn signature(&self, key: &[u8]) -> String {
        hmac_hex(
            key,
            &[
                b"chanjiao-audit-anchor-1",
                self.seq.to_string().as_bytes(),
                self.hash.as_bytes(),
                self.mac.as_bytes(),
                self.key_id.as_bytes(),
                self.at.to_string().as_bytes(),
            ],
        )
    }

    /// The anchor as one line of JSON (without the line end).
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).expect("an anchor serialises")
    }

    /// The anchors of a file: one JSON line each (blank lines ignored).
    pub fn parse_lines(text: &str) -> std::result::Result<Vec<Anchor>, String> {
        text.lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                serde_json::from_str(l.trim())
                    .map_err(|e| format!("第{}行不是审计锚点：{e}", i + 1))
            })
            .collect()
    }
}

/// Keys every pending entry, then answers with the keyed head as an [`Anchor`], signed.
pub async fn anchor(db: &Db, sealer: &mut Sealer) -> Result<Anchor> {
    let sealed = sealer.seal(db).await?;
    if let Some(seen) = sealed.rewound_from {
        return Err(crate::StoreError::Audit(format!(
            "第{}条至第{seen}条审计记录的MAC已被删除，未写锚点；请用 chanjiao audit verify --anchor 核查",
            sealed.head + 1
        )));
    }
    let head: Option<(i64, String, String, String)> = sqlx::query_as(
        "SELECT m.seq, l.hash, m.mac, m.key_id FROM audit_macs m \
         JOIN audit_log l ON l.seq = m.seq ORDER BY m.seq DESC LIMIT 1",
    )
    .fetch_optional(db.pool())
    .await?;
    let ring = sealer.ring();
    let (seq, hash, mac, key_id) = head.unwrap_or_else(|| {
        (
            0,
            GENESIS_HASH.to_string(),
            GENESIS_HASH.to_string(),
            ring.current.clone(),
        )
    });
    let key = ring.key(&key_id).ok_or_else(|| {
        crate::StoreError::Audit(format!(
            "审计密钥“{key_id}”不在密钥文件 {} 中",
            ring.path().display()
        ))
    })?;
    let mut a = Anchor {
        seq,
        hash,
        mac,
        key_id,
        at: now(),
        sig: String::new(),
    };
    a.sig = a.signature(key);
    Ok(a)
}

// ---------------------------------------------------------------------------------------------
// Verification.
// ---------------------------------------------------------------------------------------------

/// Outcome of [`verify`] / [`verify_with`].
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    /// Entries whose place in the chain was checked (all of them when there is no problem).
    pub entries: i64,
    /// Of those, entries with a MAC (checked when a key ring was given).
    pub keyed: i64,
    /// The newest entries, not yet keyed.
    pub unkeyed: i64,
    /// Whether the MACs (and the anchors' signatures) were checked with a key ring.
    pub macs_checked: bool,
    /// The key ids the checked MACs use.
    pub key_ids: Vec<String>,
    /// Anchors checked.
    pub anchors: usize,
    pub problem: Option<Problem>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub seq: i64,
    pub message: String,
}

/// Walks the whole chain and reports the first altered or missing entry (MACs not checked).
pub async fn verify(db: &Db) -> Result<Verification> {
    verify_with(db, None, &[]).await
}

/// Walks the whole chain and reports the first problem: an altered, inserted or missing entry;
/// with `ring`, a MAC that does not match or whose key is not in the ring; a MAC missing below
/// a keyed entry, or left above the last entry; then, for each anchor, a bad signature (with
/// `ring`), a log truncated below it, or an entry at it that no longer has its hash or MAC.
pub async fn verify_with(
    db: &Db,
    ring: Option<&KeyRing>,
    anchors: &[Anchor],
) -> Result<Verification> {
    let mut v = Verification {
        entries: 0,
        keyed: 0,
        unkeyed: 0,
        macs_checked: ring.is_some(),
        key_ids: Vec::new(),
        anchors: 0,
        problem: None,
    };
    let fail = |mut v: Verification, seq: i64, message: String| -> Result<Verification> {
        v.problem = Some(Problem { seq, message });
        Ok(v)
    };
    let mut expected_seq = 1;
    let mut prev_hash = GENESIS_HASH.to_string();
    let mut prev_mac = GENESIS_HASH.to_string();
    let mut first_unkeyed = None;
    loop {
        let rows = sqlx::query(
            "SELECT l.*, m.key_id AS mac_key_id, m.mac AS mac_value FROM audit_log l \
             LEFT JOIN audit_macs m ON m.seq = l.seq WHERE l.seq >= $1 ORDER BY l.seq LIMIT $2",
        )
        .bind(expected_seq)
        .bind(VERIFY_CHUNK)
        .fetch_all(db.pool())
        .await?;
        if rows.is_empty() {
            break;
        }
        for row in rows {
            let e = Entry::from_row(&row)?;
            let key_id: Option<String> = row.try_get("mac_key_id")?;
            let mac: Option<String> = row.try_get("mac_value")?;
            if e.seq != expected_seq {
                let m = format!("第{expected_seq}条审计记录缺失（下一条为第{}条）", e.seq);
                return fail(v, expected_seq, m);
            }
            if e.prev_hash != prev_hash {
                let m = format!("第{}条审计记录的前序哈希与上一条不符", e.seq);
                return fail(v, e.seq, m);
            }
            if e.compute_hash() != e.hash {
                let m = format!("第{}条审计记录内容已被篡改（哈希不符）", e.seq);
                return fail(v, e.seq, m);
            }
            match (key_id, mac) {
                (Some(key_id), Some(mac)) => {
                    if let Some(first) = first_unkeyed {
                        let m = format!(
                            "第{first}条审计记录没有MAC，其后的第{}条却有：MAC被删除",
                            e.seq
                        );
                        return fail(v, first, m);
                    }
                    if let Some(ring) = ring {
                        let Some(key) = ring.key(&key_id) else {
                            let m = format!(
                                "第{}条审计记录的MAC所用密钥“{key_id}”不在密钥文件 {} 中",
                                e.seq,
                                ring.path().display()
                            );
                            return fail(v, e.seq, m);
                        };
                        if entry_mac(key, &prev_mac, &e.hash, e.seq) != mac {
                            let m = format!(
                                "第{}条审计记录的MAC不符：记录连同哈希链被改写，或MAC被改动",
                                e.seq
                            );
                            return fail(v, e.seq, m);
                        }
                    }
                    if !v.key_ids.contains(&key_id) {
                        v.key_ids.push(key_id);
                    }
                    prev_mac = mac;
                    v.keyed += 1;
                }
                _ => {
                    if first_unkeyed.is_none() {
                        first_unkeyed = Some(e.seq);
                    }
                    v.unkeyed += 1;
                }
            }
            prev_hash = e.hash;
            expected_seq += 1;
            v.entries += 1;
        }
    }
    let last_mac: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM audit_macs")
        .fetch_one(db.pool())
        .await?;
    let after_last = v.entries + 1;
    if let Some(last) = last_mac.filter(|&s| s > v.entries) {
        let m = format!("第{after_last}条至第{last}条审计记录已被删除（它们的MAC还在）");
        return fail(v, after_last, m);
    }
    for a in anchors {
        v.anchors += 1;
        if let Some(ring) = ring {
            let Some(key) = ring.key(&a.key_id) else {
                let m = format!(
                    "锚点（第{}条）所用密钥“{}”不在密钥文件 {} 中",
                    a.seq,
                    a.key_id,
                    ring.path().display()
                );
                return fail(v, a.seq, m);
            };
            if a.signature(key) != a.sig {
                let m = format!("锚点（第{}条）的签名不符：锚点被改动", a.seq);
                return fail(v, a.seq, m);
            }
        }
        if a.seq == 0 {
            continue;
        }
        if a.seq > v.entries {
            let m = format!(
                "审计日志被截断：锚点记录到第{}条，日志现只有{}条（最新的{}条被删除）",
                a.seq,
                v.entries,
                a.seq - v.entries
            );
            return fail(v, after_last, m);
        }
        let hash: String = sqlx::query_scalar("SELECT hash FROM audit_log WHERE seq = $1")
            .bind(a.seq)
            .fetch_one(db.pool())
            .await?;
        if hash != a.hash {
            let m = format!(
                "第{}条审计记录与锚点不符：锚点之前的记录被改写（哈希链被重算）",
                a.seq
            );
            return fail(v, a.seq, m);
        }
        let mac: Option<(String, String)> =
            sqlx::query_as("SELECT key_id, mac FROM audit_macs WHERE seq = $1")
                .bind(a.seq)
                .fetch_optional(db.pool())
                .await?;
        match mac {
            Some((key_id, mac)) if key_id == a.key_id && mac == a.mac => {}
            Some(_) => {
                let m = format!(
                    "第{}条审计记录的MAC与锚点不符：锚点之前的记录被改写并重新加签",
                    a.seq
                );
                return fail(v, a.seq, m);
            }
            None => {
                let m = format!("第{}条审计记录的MAC已被删除（锚点时已有）", a.seq);
                return fail(v, a.seq, m);
            }
        }
    }
    Ok(v)
}
