//! How each department answers for the data it provides, as the authority evaluates it (LS-28a: response time
//! and verification closed within the days; SYS-27c, FS-26b, CS-22c: answers within the regime's working days).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::Serialize;

use crate::actor::Actor;
use crate::error::{Error, Result};
use crate::platform::Platform;

/// One providing department's answers: share applications it had to answer, and correction requests it had to
/// verify, each counted once it fell due or was answered.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct DepartmentSharingMetrics {
    pub department_id: i64,
    pub department_name: String,
    /// Applications answered, or past their due day unanswered.
    pub answers_due: i64,
    /// Of those, answered by their due day.
    pub answers_on_time: i64,
    /// Past their due day and still unanswered.
    pub answers_overdue: i64,
    /// `answers_on_time / answers_due` in percent; none while nothing fell due.
    pub answer_timeliness_percent: Option<f64>,
    pub corrections_due: i64,
    pub corrections_on_time: i64,
    pub corrections_overdue: i64,
    /// 校核及时率 (LS-28a).
    pub correction_timeliness_percent: Option<f64>,
}

/// Tallies (due, on time, overdue) for one item with a due day, answered on `answered` (if yet).
fn tally(slot: &mut (i64, i64, i64), due: NaiveDate, answered: Option<NaiveDate>, today: NaiveDate) {
    match answered {
        Some(day) => {
            slot.0 += 1;
            slot.1 += (day <= due) as i64;
        }
        None if today > due => {
            slot.0 += 1;
            slot.2 += 1;
        }
        None => {}
    }
}

fn percent(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

/// Every providing department with something that fell due, for those who oversee.
pub async fn department_metrics(p: &Platform, actor: &Actor) -> Result<Vec<DepartmentSharingMetrics>> {
    if !actor.oversees() {
        return Err(Error::forbidden("无权查看共享评估", "You may not see the sharing evaluation"));
    }
    let today = p.clock.today();
    let day_of = domain::clock::local_day;
    let mut conn = p.store.read().await?;
    let dues = store::sharing::answer_dues(&mut conn).await?;
    let corrections = store::corrections::list(&mut conn, None, i64::MAX).await?;
    let (departments, _) = store::orgs::list_departments(&mut conn, 10_000, 0).await?;
    drop(conn);
    let mut answers: BTreeMap<i64, (i64, i64, i64)> = BTreeMap::new();
    for (provider, due_on, answered_at_us) in &dues {
        let Ok(due) = due_on.parse::<NaiveDate>() else { continue };
        tally(answers.entry(*provider).or_default(), due, answered_at_us.map(day_of), today);
    }
    let mut checks: BTreeMap<i64, (i64, i64, i64)> = BTreeMap::new();
    for c in &corrections {
        let Some(due) = c.due_on.as_deref().and_then(|d| d.parse::<NaiveDate>().ok()) else { continue };
        tally(checks.entry(c.provider_department_id).or_default(), due, c.resolved_at_us.map(day_of), today);
    }
    Ok(departments
        .iter()
        .filter(|d| answers.get(&d.id).is_some_and(|t| t.0 > 0) || checks.get(&d.id).is_some_and(|t| t.0 > 0))
        .map(|d| {
            let (answers_due, answers_on_time, answers_overdue) = answers.get(&d.id).copied().unwrap_or_default();
            let (corrections_due, corrections_on_time, corrections_overdue) = checks.get(&d.id).copied().unwrap_or_default();
            DepartmentSharingMetrics {
                department_id: d.id,
                department_name: d.name.clone(),
                answers_due,
                answers_on_time,
                answers_overdue,
                answer_timeliness_percent: percent(answers_on_time, answers_due),
                corrections_due,
                corrections_on_time,
                corrections_overdue,
                correction_timeliness_percent: percent(corrections_on_time, corrections_due),
            }
        })
        .collect())
}
