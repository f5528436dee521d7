//! Misuse of grants (SYS-31a): grants left idle for the regime's period are flagged to the consumer and the authority.

use domain::clock::from_micros;
use domain::profile::keys;
use domain::sharing::{self as rules};

use crate::actor::Actor;
use crate::error::Result;
use crate::platform::Platform;
use super::*;

/// Flags grants in force that have not been used for the regime's idle period (SYS-31a: 3 months without a call)
/// to the consumer and the authority, once per idle day; a call resolves the flag. Regimes without the rule flag
/// nothing. Answers how many were raised.
pub async fn scan_idle(p: &Platform) -> Result<usize> {
    let Some(rule) = p.profile.deadline(keys::IDLE_GRANT).filter(|d| d.unit == domain::profile::Unit::Months) else { return Ok(0) };
    let actor = Actor::platform("share-idle");
    let today = p.clock.today();
    let now = p.now_us();
    let mut conn = p.store.read().await?;
    let grants = store::sharing::grants_in_force(&mut conn).await?;
    drop(conn);
    let mut raised = 0;
    let mut tx = p.store.begin().await?;
    for g in grants {
        let last = from_micros(g.last_used_at_us.unwrap_or(g.created_at_us)).with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
        let idle = rules::idle_on(last, rule.value);
        if today < idle {
            continue;
        }
        let row = store::alerts::AlertRow {
            id: 0,
            kind: "grant_idle".into(),
            object_kind: "grant".into(),
            object_id: g.id.to_string(),
            department_id: g.consumer_department_id,
            to_authority: true,
            due_at_us: start_of_day_us(idle),
            message: format!("授权{}（{}）自{last}起{}个月未调用，请说明情况或申请终止授权", g.id, g.scenario, rule.value),
            message_en: format!("Grant {} ({}) has not been called for {} months since {last}: explain, or ask to end it", g.id, g.scenario, rule.value),
            raised_at_us: now,
            resolved_at_us: None,
        };
        if store::alerts::raise(&mut tx, &row).await? {
            let mut event = actor.event("alert.raise", "grant", g.id.to_string());
            event.detail = format!("grant_idle: last used {last}, idle since {idle}");
            store::audit::append(&mut tx, &event, now).await?;
            raised += 1;
        }
    }
    tx.commit().await?;
    Ok(raised)
}

