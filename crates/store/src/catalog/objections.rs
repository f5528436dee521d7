//! Objections to an entry's classification (FS-16) and the deciding parties' positions.

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{Conn, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectionRow {
    pub id: i64,
    pub resource_id: i64,
    pub kind: String,
    pub current_attr: String,
    pub proposed_attr: String,
    pub grounds: String,
    pub raised_by_department_id: i64,
    pub raised_by: String,
    pub state: String,
    pub applied_rev: Option<i64>,
    pub created_at_us: i64,
    pub closed_at_us: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PositionRow {
    pub party: String,
    pub outcome: String,
    pub comment: String,
    pub proposal: String,
    pub actor_name: String,
    pub at_us: i64,
}

pub struct NewObjection<'a> {
    pub resource_id: i64,
    pub kind: &'a str,
    pub current_attr: &'a str,
    pub proposed_attr: &'a str,
    pub grounds: &'a str,
    pub raised_by_department_id: i64,
    pub raised_by: &'a str,
}

pub async fn insert(conn: &mut Conn, o: &NewObjection<'_>, now_us: i64) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO classification_objections (resource_id, kind, current_attr, proposed_attr, grounds, raised_by_department_id, raised_by, state, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'negotiating', $8) RETURNING id",
    )
    .bind(o.resource_id)
    .bind(o.kind)
    .bind(o.current_attr)
    .bind(o.proposed_attr)
    .bind(o.grounds)
    .bind(o.raised_by_department_id)
    .bind(o.raised_by)
    .bind(now_us)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.get(0))
}

const COLS: &str = "id, resource_id, kind, current_attr, proposed_attr, grounds, raised_by_department_id, raised_by, state, applied_rev, created_at, closed_at";

fn objection(r: &AnyRow) -> ObjectionRow {
    ObjectionRow {
        id: r.get(0),
        resource_id: r.get(1),
        kind: r.get(2),
        current_attr: r.get(3),
        proposed_attr: r.get(4),
        grounds: r.get(5),
        raised_by_department_id: r.get(6),
        raised_by: r.get(7),
        state: r.get(8),
        applied_rev: r.get(9),
        created_at_us: r.get(10),
        closed_at_us: r.get(11),
    }
}

pub async fn by_id(conn: &mut Conn, id: i64) -> Result<Option<ObjectionRow>> {
    let row = sqlx::query(&format!("SELECT {COLS} FROM classification_objections WHERE id = $1")).bind(id).fetch_optional(&mut *conn).await?;
    Ok(row.as_ref().map(objection))
}

/// Every objection, newest first; those still under negotiation only when `open_only`.
pub async fn list(conn: &mut Conn, open_only: bool) -> Result<Vec<ObjectionRow>> {
    let filter = if open_only { "WHERE state = 'negotiating'" } else { "" };
    let rows = sqlx::query(&format!("SELECT {COLS} FROM classification_objections {filter} ORDER BY id DESC")).fetch_all(&mut *conn).await?;
    Ok(rows.iter().map(objection).collect())
}

/// Whether the entry has an objection of `kind` under negotiation.
pub async fn negotiating(conn: &mut Conn, resource_id: i64, kind: &str) -> Result<bool> {
    let row = sqlx::query("SELECT COUNT(*) FROM classification_objections WHERE resource_id = $1 AND kind = $2 AND state = 'negotiating'")
        .bind(resource_id)
        .bind(kind)
        .fetch_one(&mut *conn)
        .await?;
    Ok(row.get::<i64, _>(0) > 0)
}

/// Records (or replaces) a party's position.
pub async fn put_position(conn: &mut Conn, objection_id: i64, p: &PositionRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO objection_positions (objection_id, party, outcome, comment, proposal, actor_name, at) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (objection_id, party) DO UPDATE SET outcome = excluded.outcome, comment = excluded.comment, proposal = excluded.proposal,
             actor_name = excluded.actor_name, at = excluded.at",
    )
    .bind(objection_id)
    .bind(&p.party)
    .bind(&p.outcome)
    .bind(&p.comment)
    .bind(&p.proposal)
    .bind(&p.actor_name)
    .bind(p.at_us)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn positions(conn: &mut Conn, objection_id: i64) -> Result<Vec<PositionRow>> {
    let rows = sqlx::query("SELECT party, outcome, comment, proposal, actor_name, at FROM objection_positions WHERE objection_id = $1 ORDER BY at")
        .bind(objection_id)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows
        .iter()
        .map(|r| PositionRow { party: r.get(0), outcome: r.get(1), comment: r.get(2), proposal: r.get(3), actor_name: r.get(4), at_us: r.get(5) })
        .collect())
}

/// Closes an objection still under negotiation; false when it was not.
pub async fn close(conn: &mut Conn, id: i64, state: &str, applied_rev: Option<i64>, now_us: i64) -> Result<bool> {
    let done = sqlx::query("UPDATE classification_objections SET state = $2, applied_rev = $3, closed_at = $4 WHERE id = $1 AND state = 'negotiating'")
        .bind(id)
        .bind(state)
        .bind(applied_rev)
        .bind(now_us)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}
