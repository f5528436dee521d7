//! The auditor's search of the audit log, with verification of the chain.

use super::*;

#[derive(Deserialize, Default, serde::Serialize)]
pub(super) struct AuditForm {
    action: Option<String>,
    actor: Option<String>,
    result: Option<String>,
    from: Option<String>,
    to: Option<String>,
    offset: Option<i64>,
    verify: Option<String>,
}

pub(super) async fn audit(State(state): State<AppState>, page: Page, Query(q): Query<AuditForm>) -> Response {
    let actor = match page.require(&[Role::Auditor]) {
        Ok(a) => a.clone(),
        Err(r) => return r,
    };
    // A date the search cannot read is refused with what to write, not dropped: the auditor would otherwise read
    // an unfiltered log as the filtered one.
    let (from, to) = match (form_day(&page, ("起始日期", "start date"), &q.from), form_day(&page, ("截止日期", "end date"), &q.to)) {
        (Ok(from), Ok(to)) => (from, to),
        (Err(error), _) | (_, Err(error)) => {
            let events: Vec<Value> = Vec::new();
            return render(&state, &page, "audit.html", StatusCode::BAD_REQUEST, context! { events, total => 0, q, error });
        }
    };
    let query = crate::api::audit::SearchQuery {
        action: q.action.clone(),
        actor: q.actor.clone(),
        result: q.result.clone(),
        from,
        to,
        ..Default::default()
    };
    let offset = q.offset.unwrap_or(0).max(0);
    let report = if q.verify.is_some() { page.list(("审计链校验", "chain verification"), service::audit::verify(&state.platform, &actor).await.map(Some)) } else { None };
    match service::audit::search(&state.platform, &actor, &query.filter(), 50, offset).await {
        Ok((events, total)) => {
            let link = |off: i64| {
                let mut params = vec![format!("offset={off}")];
                for (k, v) in [("action", &q.action), ("actor", &q.actor), ("result", &q.result), ("from", &q.from), ("to", &q.to)] {
                    if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                        params.push(format!("{k}={}", urlencode(v)));
                    }
                }
                format!("/audit?{}", params.join("&"))
            };
            let prev_offset = if offset > 0 { Some((offset - 50).max(0)) } else { None };
            let next_link = if offset + 50 < total { Some(link(offset + 50)) } else { None };
            render(
                &state,
                &page,
                "audit.html",
                StatusCode::OK,
                context! { events, total, q, report, prev_offset, prev_link => prev_offset.map(link), next_link },
            )
        }
        Err(e) => render(&state, &page, "error.html", StatusCode::BAD_REQUEST, context! { title => error_message(&page, e) }),
    }
}

pub(super) fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

