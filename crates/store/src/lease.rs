//! Which server process runs the platform's background work (keying the audit log, writing
//! anchors, and whatever is scheduled later): exactly one of the nodes sharing a database.
//!
//! On PostgreSQL the lease is a session-level advisory lock held by a connection of its own,
//! outside the pool: the node whose connection holds it does the work; if that node dies, its
//! connection closes, PostgreSQL releases the lock, and another node takes it at its next try.
//! A SQLite file is served by one process, which always holds the lease.

use sqlx::AnyConnection;
use sqlx::{Connection, Row};

use crate::{Backend, Db, Result};

/// The advisory-lock key of the background-work lease (distinct from the audit locks).
const LEASE_KEY: i64 = 72_430_010;

pub struct Lease {
    db: Db,
    /// PostgreSQL: the connection holding the lock, while held.
    conn: Option<AnyConnection>,
}

impl Lease {
    pub fn new(db: Db) -> Self {
        Lease { db, conn: None }
    }

    /// Whether this process holds the lease now, taking it if it is free. Call before each
    /// round of background work; a lost connection loses the lease.
    pub async fn hold(&mut self) -> Result<bool> {
        if self.db.backend() == Backend::Sqlite {
            return Ok(true);
        }
        if let Some(conn) = &mut self.conn {
            if conn.ping().await.is_ok() {
                return Ok(true);
            }
            tracing::warn!("background-work lease lost with its connection");
            self.conn = None;
        }
        let mut conn = self.db.pool().acquire().await?.detach();
        let held: bool = sqlx::query("SELECT pg_try_advisory_lock($1) AS held")
            .bind(LEASE_KEY)
            .fetch_one(&mut conn)
            .await?
            .try_get("held")?;
        if held {
            tracing::info!("this node runs the background work");
            self.conn = Some(conn);
        } else {
            let _ = conn.close().await;
        }
        Ok(held)
    }
}
