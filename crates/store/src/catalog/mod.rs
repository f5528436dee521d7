//! The catalog's tables: entries (`resources`), their revisions with the content as JSON, the review decisions
//! taken, the numbers codes are made of, and the change counter a search index catches up from. Update
//! obligations and IT projects are in their own modules.

pub mod consultations;
pub mod lists;
pub mod objections;
pub mod open_changes;
pub mod obligations;
pub mod projects;
pub mod sectors;

use domain::catalog::attrs::Attr;
use domain::catalog::entry::ResourceContent;
use domain::catalog::lifecycle::{ResourceState, RevisionState, Step};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{Conn, Error, Result};

/// An entry as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceRow {
    pub id: i64,
    pub code: String,
    pub provider_department_id: i64,
    pub region_id: i64,
    pub state: ResourceState,
    pub published_rev: Option<i64>,
    pub working_rev: Option<i64>,
    pub name: String,
    pub catalog_kind: String,
    pub share_attr: Option<Attr>,
    pub open_attr: Option<Attr>,
    pub format: Option<String>,
    pub industry: String,
    pub security_level: Option<String>,
    pub update_frequency: Option<String>,
    pub change_seq: i64,
    pub created_at_us: i64,
    pub updated_at_us: i64,
    pub published_at_us: Option<i64>,
}

/// A revision as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct RevisionRow {
    pub resource_id: i64,
    pub rev: i64,
    pub state: RevisionState,
    pub step: Option<Step>,
    pub kind: RevisionKind,
    pub content: ResourceContent,
    pub note: String,
    pub evidence: String,
    pub downgrade: bool,
    pub created_by: Option<i64>,
    pub created_at_us: i64,
    pub updated_at_us: i64,
    pub submitted_at_us: Option<i64>,
    pub review_due: Option<chrono::NaiveDate>,
    pub due_provisional: bool,
    pub published_at_us: Option<i64>,
    /// Who submitted it for review.
    pub submitted_by: Option<i64>,
    /// Why it classifies or grades the data differently (a `ReclassificationReason` key), or empty.
    pub reclassification: String,
}

/// A full edit, or a change of attributes only (SYS-26, SYS-37b).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevisionKind {
    Edit,
    AttributeChange,
}

impl RevisionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RevisionKind::Edit => "edit",
            RevisionKind::AttributeChange => "attribute_change",
        }
    }
}

/// A review decision as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewRow {
    pub rev: i64,
    pub step: Step,
    pub passed: bool,
    pub actor_user_id: Option<i64>,
    pub actor_name: String,
    pub reason: String,
    pub decided_at_us: i64,
}

const RESOURCE_COLS: &str = "id, code, provider_department_id, region_id, state, published_rev, working_rev, name, catalog_kind, share_attr, open_attr, format, industry, security_level, update_frequency, change_seq, created_at, updated_at, published_at";

fn corrupt(what: &str, value: &str) -> Error {
    Error::Corrupt(format!("{what} {value}"))
}

fn resource(row: &AnyRow) -> Result<ResourceRow> {
    let state: String = row.get(4);
    let attr = |i: usize| -> Result<Option<Attr>> {
        row.get::<Option<String>, _>(i).map(|s| Attr::parse(&s).ok_or_else(|| corrupt("attribute", &s))).transpose()
    };
    Ok(ResourceRow {
        id: row.get(0),
        code: row.get(1),
        provider_department_id: row.get(2),
        region_id: row.get(3),
        state: ResourceState::parse(&state).ok_or_else(|| corrupt("resource state", &state))?,
        published_rev: row.get(5),
        working_rev: row.get(6),
        name: row.get(7),
        catalog_kind: row.get(8),
        share_attr: attr(9)?,
        open_attr: attr(10)?,
        format: row.get(11),
        industry: row.get(12),
        security_level: row.get(13),
        update_frequency: row.get(14),
        change_seq: row.get(15),
        created_at_us: row.get(16),
        updated_at_us: row.get(17),
        published_at_us: row.get(18),
    })
}

const REVISION_COLS: &str = "resource_id, rev, state, step, kind, content, note, evidence, downgrade, created_by, created_at, updated_at, submitted_at, review_due, due_provisional, published_at, submitted_by, reclassification";

fn revision(row: &AnyRow) -> Result<RevisionRow> {
    revision_at(row, 0)
}

fn json(content: &ResourceContent) -> Result<String> {
    serde_json::to_string(content).map_err(|e| Error::Corrupt(format!("revision content: {e}")))
}

fn content_from(text: &str) -> Result<ResourceContent> {
    serde_json::from_str(text).map_err(|e| Error::Corrupt(format!("revision content: {e}")))
}

/// `cols` with every column qualified by a table alias, for joins.
fn qualified(cols: &str, alias: &str) -> String {
    cols.split(", ").map(|c| format!("{alias}.{c}")).collect::<Vec<_>>().join(", ")
}

/// An entry (alias `r`) joined to its working revision (alias `w`).
const FROM_WITH_WORKING: &str = "FROM resources r LEFT JOIN resource_revisions w ON w.resource_id = r.id AND w.rev = r.working_rev";

/// The select list and join that `with_working` reads back.
fn select_with_working() -> String {
    format!("SELECT {}, {} {FROM_WITH_WORKING}", qualified(RESOURCE_COLS, "r"), qualified(REVISION_COLS, "w"))
}

fn with_working(row: &AnyRow) -> Result<(ResourceRow, Option<RevisionRow>)> {
    let n = RESOURCE_COLS.split(", ").count();
    let working = if row.get::<Option<i64>, _>(n).is_some() { Some(revision_at(row, n)?) } else { None };
    Ok((resource(row)?, working))
}

/// The next number for a new code of this provider.
pub async fn next_code_number(conn: &mut Conn, department_id: i64) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO resource_code_counters (department_id, n) VALUES ($1, 1)
         ON CONFLICT (department_id) DO UPDATE SET n = resource_code_counters.n + 1 RETURNING n",
    )
    .bind(department_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.get(0))
}

/// The next value of the catalog's change counter; taking it also serializes catalog writers.
pub async fn next_change_seq(conn: &mut Conn) -> Result<i64> {
    Ok(sqlx::query("UPDATE catalog_head SET seq = seq + 1 WHERE id = 1 RETURNING seq").fetch_one(&mut *conn).await?.get(0))
}

/// The last value of the change counter.
pub async fn change_seq(conn: &mut Conn) -> Result<i64> {
    Ok(sqlx::query("SELECT seq FROM catalog_head WHERE id = 1").fetch_one(&mut *conn).await?.get(0))
}

pub struct NewResource<'a> {
    pub code: &'a str,
    pub provider_department_id: i64,
    pub region_id: i64,
    pub name: &'a str,
    pub catalog_kind: &'a str,
}

pub async fn insert_resource(conn: &mut Conn, r: &NewResource<'_>, seq: i64, now_us: i64) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO resources (code, provider_department_id, region_id, state, working_rev, name, catalog_kind, change_seq, created_at, updated_at)
         VALUES ($1, $2, $3, 'unpublished', 1, $4, $5, $6, $7, $7) RETURNING id",
    )
    .bind(r.code)
    .bind(r.provider_department_id)
    .bind(r.region_id)
    .bind(r.name)
    .bind(r.catalog_kind)
    .bind(seq)
    .bind(now_us)
    .fetch_one(&mut *conn)
    .await
    .map_err(crate::conflict(format!("resource {}", r.code)))?;
    Ok(row.get(0))
}

pub struct NewRevision<'a> {
    pub resource_id: i64,
    pub rev: i64,
    pub kind: RevisionKind,
    pub content: &'a ResourceContent,
    pub note: &'a str,
    pub evidence: &'a str,
    pub downgrade: bool,
    pub created_by: Option<i64>,
    pub reclassification: &'a str,
}

pub async fn insert_revision(conn: &mut Conn, r: &NewRevision<'_>, now_us: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO resource_revisions (resource_id, rev, state, kind, content, note, evidence, downgrade, created_by, created_at, updated_at, reclassification)
         VALUES ($1, $2, 'draft', $3, $4, $5, $6, $7, $8, $9, $9, $10)",
    )
    .bind(r.resource_id)
    .bind(r.rev)
    .bind(r.kind.as_str())
    .bind(json(r.content)?)
    .bind(r.note)
    .bind(r.evidence)
    .bind(r.downgrade as i64)
    .bind(r.created_by)
    .bind(now_us)
    .bind(r.reclassification)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Replaces a draft's content.
#[allow(clippy::too_many_arguments)]
pub async fn update_content(
    conn: &mut Conn,
    resource_id: i64,
    rev: i64,
    content: &ResourceContent,
    note: &str,
    reclassification: &str,
    downgrade: bool,
    now_us: i64,
) -> Result<()> {
    sqlx::query("UPDATE resource_revisions SET content = $1, note = $2, downgrade = $3, updated_at = $4, reclassification = $7 WHERE resource_id = $5 AND rev = $6")
        .bind(json(content)?)
        .bind(note)
        .bind(downgrade as i64)
        .bind(now_us)
        .bind(resource_id)
        .bind(rev)
        .bind(reclassification)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Submits a revision: it waits for `step`, due on `due` when the regime sets a review deadline.
#[allow(clippy::too_many_arguments)]
pub async fn submit(
    conn: &mut Conn,
    resource_id: i64,
    rev: i64,
    step: Step,
    due: Option<(chrono::NaiveDate, bool)>,
    submitted_by: Option<i64>,
    now_us: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE resource_revisions SET state = 'in_review', step = $1, submitted_at = $2, review_due = $3, due_provisional = $4, updated_at = $2,
         submitted_by = $5 WHERE resource_id = $6 AND rev = $7",
    )
    .bind(step.as_str())
    .bind(now_us)
    .bind(due.map(|(d, _)| d.to_string()))
    .bind(due.is_some_and(|(_, p)| p) as i64)
    .bind(submitted_by)
    .bind(resource_id)
    .bind(rev)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Moves a revision in review to its next step.
pub async fn advance(conn: &mut Conn, resource_id: i64, rev: i64, step: Step, now_us: i64) -> Result<()> {
    sqlx::query("UPDATE resource_revisions SET step = $1, updated_at = $2 WHERE resource_id = $3 AND rev = $4")
        .bind(step.as_str())
        .bind(now_us)
        .bind(resource_id)
        .bind(rev)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Sends a revision back to its provider.
pub async fn return_revision(conn: &mut Conn, resource_id: i64, rev: i64, now_us: i64) -> Result<()> {
    sqlx::query("UPDATE resource_revisions SET state = 'returned', step = NULL, updated_at = $1 WHERE resource_id = $2 AND rev = $3")
        .bind(now_us)
        .bind(resource_id)
        .bind(rev)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The facets of published content the `resources` row keeps.
pub struct Facets<'a> {
    pub name: &'a str,
    pub catalog_kind: &'a str,
    pub share_attr: Option<Attr>,
    pub open_attr: Option<Attr>,
    pub format: Option<&'a str>,
    pub industry: &'a str,
    pub security_level: Option<&'a str>,
    pub update_frequency: Option<&'a str>,
}

/// Publishes a revision: it becomes what everyone sees, the one it replaces is superseded, and the entry has no
/// working revision left.
pub async fn publish(conn: &mut Conn, resource_id: i64, rev: i64, facets: &Facets<'_>, seq: i64, now_us: i64) -> Result<()> {
    sqlx::query("UPDATE resource_revisions SET state = 'superseded', updated_at = $1 WHERE resource_id = $2 AND state = 'published'")
        .bind(now_us)
        .bind(resource_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE resource_revisions SET state = 'published', step = NULL, published_at = $1, updated_at = $1 WHERE resource_id = $2 AND rev = $3")
        .bind(now_us)
        .bind(resource_id)
        .bind(rev)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "UPDATE resources SET state = 'published', published_rev = $1, working_rev = NULL, name = $2, catalog_kind = $3, share_attr = $4,
         open_attr = $5, format = $6, industry = $7, security_level = $8, update_frequency = $9, change_seq = $10, updated_at = $11, published_at = $11
         WHERE id = $12",
    )
    .bind(rev)
    .bind(facets.name)
    .bind(facets.catalog_kind)
    .bind(facets.share_attr.map(Attr::as_str))
    .bind(facets.open_attr.map(Attr::as_str))
    .bind(facets.format)
    .bind(facets.industry)
    .bind(facets.security_level)
    .bind(facets.update_frequency)
    .bind(seq)
    .bind(now_us)
    .bind(resource_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Points the entry at a new working revision (or none), keeping its name current while it is unpublished.
pub async fn set_working(conn: &mut Conn, resource_id: i64, working_rev: Option<i64>, unpublished_name: Option<&str>, seq: i64, now_us: i64) -> Result<()> {
    sqlx::query("UPDATE resources SET working_rev = $1, name = COALESCE($2, name), change_seq = $3, updated_at = $4 WHERE id = $5")
        .bind(working_rev)
        .bind(unpublished_name)
        .bind(seq)
        .bind(now_us)
        .bind(resource_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Withdraws or makes obsolete.
pub async fn set_state(conn: &mut Conn, resource_id: i64, state: ResourceState, seq: i64, now_us: i64) -> Result<()> {
    sqlx::query("UPDATE resources SET state = $1, change_seq = $2, updated_at = $3 WHERE id = $4")
        .bind(state.as_str())
        .bind(seq)
        .bind(now_us)
        .bind(resource_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn by_code(conn: &mut Conn, code: &str) -> Result<Option<ResourceRow>> {
    let row = sqlx::query(&format!("SELECT {RESOURCE_COLS} FROM resources WHERE code = $1")).bind(code).fetch_optional(&mut *conn).await?;
    row.as_ref().map(resource).transpose()
}

pub async fn by_id(conn: &mut Conn, id: i64) -> Result<Option<ResourceRow>> {
    let row = sqlx::query(&format!("SELECT {RESOURCE_COLS} FROM resources WHERE id = $1")).bind(id).fetch_optional(&mut *conn).await?;
    row.as_ref().map(resource).transpose()
}

pub async fn revision_of(conn: &mut Conn, resource_id: i64, rev: i64) -> Result<Option<RevisionRow>> {
    let row = sqlx::query(&format!("SELECT {REVISION_COLS} FROM resource_revisions WHERE resource_id = $1 AND rev = $2"))
        .bind(resource_id)
        .bind(rev)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(revision).transpose()
}

/// Every revision of an entry, oldest first.
pub async fn revisions(conn: &mut Conn, resource_id: i64) -> Result<Vec<RevisionRow>> {
    let rows = sqlx::query(&format!("SELECT {REVISION_COLS} FROM resource_revisions WHERE resource_id = $1 ORDER BY rev"))
        .bind(resource_id)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(revision).collect()
}

/// The highest revision number of an entry.
pub async fn last_rev(conn: &mut Conn, resource_id: i64) -> Result<i64> {
    let row = sqlx::query("SELECT COALESCE(MAX(rev), 0) FROM resource_revisions WHERE resource_id = $1").bind(resource_id).fetch_one(&mut *conn).await?;
    Ok(row.get(0))
}

pub async fn insert_review(conn: &mut Conn, resource_id: i64, r: &ReviewRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO resource_reviews (resource_id, rev, step, decision, actor_user_id, actor_name, reason, decided_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(resource_id)
    .bind(r.rev)
    .bind(r.step.as_str())
    .bind(if r.passed { "pass" } else { "return" })
    .bind(r.actor_user_id)
    .bind(&r.actor_name)
    .bind(&r.reason)
    .bind(r.decided_at_us)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn reviews(conn: &mut Conn, resource_id: i64) -> Result<Vec<ReviewRow>> {
    let rows = sqlx::query(
        "SELECT rev, step, decision, actor_user_id, actor_name, reason, decided_at FROM resource_reviews WHERE resource_id = $1 ORDER BY id",
    )
    .bind(resource_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let step: String = r.get(1);
            Ok(ReviewRow {
                rev: r.get(0),
                step: Step::parse(&step).ok_or_else(|| corrupt("review step", &step))?,
                passed: r.get::<String, _>(2) == "pass",
                actor_user_id: r.get(3),
                actor_name: r.get(4),
                reason: r.get(5),
                decided_at_us: r.get(6),
            })
        })
        .collect()
}

/// What a list of entries is narrowed by.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Published entries only (the catalog as everyone sees it).
    pub published_only: bool,
    pub provider_department_id: Option<i64>,
    pub region_id: Option<i64>,
    pub share_attr: Option<Attr>,
    pub open_attr: Option<Attr>,
    /// Entries whose working revision is in this state.
    pub working_state: Option<RevisionState>,
    /// Entries whose working revision waits for this step.
    pub step: Option<Step>,
}

/// Entries with their working revisions, by code.
pub async fn list(conn: &mut Conn, f: &ListFilter, limit: i64, offset: i64) -> Result<(Vec<(ResourceRow, Option<RevisionRow>)>, i64)> {
    let wher = "WHERE ($1 = 0 OR r.state = 'published') AND ($2 IS NULL OR r.provider_department_id = $2) AND ($3 IS NULL OR r.region_id = $3)
        AND ($4 IS NULL OR r.share_attr = $4) AND ($5 IS NULL OR r.open_attr = $5) AND ($6 IS NULL OR w.state = $6) AND ($7 IS NULL OR w.step = $7)";
    macro_rules! bind_filter {
        ($q:expr) => {
            $q.bind(f.published_only as i64)
                .bind(f.provider_department_id)
                .bind(f.region_id)
                .bind(f.share_attr.map(Attr::as_str))
                .bind(f.open_attr.map(Attr::as_str))
                .bind(f.working_state.map(RevisionState::as_str))
                .bind(f.step.map(Step::as_str))
        };
    }
    let sql = format!("{} {wher} ORDER BY r.code LIMIT $8 OFFSET $9", select_with_working());
    let rows = bind_filter!(sqlx::query(&sql)).bind(limit).bind(offset).fetch_all(&mut *conn).await?;
    let total: i64 = bind_filter!(sqlx::query(&format!("SELECT COUNT(*) {FROM_WITH_WORKING} {wher}"))).fetch_one(&mut *conn).await?.get(0);
    let items = rows.iter().map(with_working).collect::<Result<Vec<_>>>()?;
    Ok((items, total))
}

/// A revision whose columns start at `offset` in a joined row.
fn revision_at(row: &AnyRow, offset: usize) -> Result<RevisionRow> {
    let state: String = row.get(offset + 2);
    let step: Option<String> = row.get(offset + 3);
    let kind: String = row.get(offset + 4);
    let content: String = row.get(offset + 5);
    let due: Option<String> = row.get(offset + 13);
    Ok(RevisionRow {
        resource_id: row.get(offset),
        rev: row.get(offset + 1),
        state: RevisionState::parse(&state).ok_or_else(|| corrupt("revision state", &state))?,
        step: step.map(|s| Step::parse(&s).ok_or_else(|| corrupt("review step", &s))).transpose()?,
        kind: if kind == "attribute_change" { RevisionKind::AttributeChange } else { RevisionKind::Edit },
        content: content_from(&content)?,
        note: row.get(offset + 6),
        evidence: row.get(offset + 7),
        downgrade: row.get::<i64, _>(offset + 8) != 0,
        created_by: row.get(offset + 9),
        created_at_us: row.get(offset + 10),
        updated_at_us: row.get(offset + 11),
        submitted_at_us: row.get(offset + 12),
        review_due: due.map(|d| d.parse().map_err(|_| corrupt("review due date", &d))).transpose()?,
        due_provisional: row.get::<i64, _>(offset + 14) != 0,
        published_at_us: row.get(offset + 15),
        submitted_by: row.get(offset + 16),
        reclassification: row.get(offset + 17),
    })
}

/// Entries changed after `seq`, oldest change first, with their published content: what a search index applies.
pub async fn changed_since(conn: &mut Conn, seq: i64, limit: i64) -> Result<Vec<(ResourceRow, Option<ResourceContent>)>> {
    let cols = qualified(RESOURCE_COLS, "r");
    let rows = sqlx::query(&format!(
        "SELECT {cols}, p.content FROM resources r LEFT JOIN resource_revisions p ON p.resource_id = r.id AND p.rev = r.published_rev
         WHERE r.change_seq > $1 ORDER BY r.change_seq LIMIT $2"
    ))
    .bind(seq)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    let n = RESOURCE_COLS.split(", ").count();
    rows.iter()
        .map(|row| {
            let content: Option<String> = row.get(n);
            let content = content.as_deref().map(content_from).transpose()?;
            Ok((resource(row)?, content))
        })
        .collect()
}

/// Every entry by code, with the content of its published revision and of its working one where it has them:
/// what the reports over the whole catalog read, in one query.
pub async fn all_with_contents(conn: &mut Conn) -> Result<Vec<(ResourceRow, Option<ResourceContent>, Option<ResourceContent>)>> {
    let rows = sqlx::query(&format!(
        "SELECT {}, p.content, w.content FROM resources r
         LEFT JOIN resource_revisions p ON p.resource_id = r.id AND p.rev = r.published_rev
         LEFT JOIN resource_revisions w ON w.resource_id = r.id AND w.rev = r.working_rev
         ORDER BY r.code",
        qualified(RESOURCE_COLS, "r")
    ))
    .fetch_all(&mut *conn)
    .await?;
    let n = RESOURCE_COLS.split(", ").count();
    rows.iter()
        .map(|row| {
            let published: Option<String> = row.get(n);
            let working: Option<String> = row.get(n + 1);
            Ok((resource(row)?, published.as_deref().map(content_from).transpose()?, working.as_deref().map(content_from).transpose()?))
        })
        .collect()
}

/// Entries by code, in the order asked, with their working revisions (codes not found are left out).
pub async fn by_codes(conn: &mut Conn, codes: &[String]) -> Result<Vec<(ResourceRow, Option<RevisionRow>)>> {
    let mut out = Vec::with_capacity(codes.len());
    let sql = format!("{} WHERE r.code = $1", select_with_working());
    for code in codes {
        if let Some(row) = sqlx::query(&sql).bind(code).fetch_optional(&mut *conn).await? {
            out.push(with_working(&row)?);
        }
    }
    Ok(out)
}
