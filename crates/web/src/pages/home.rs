//! The home page: what each role has to do, and the platform at a glance.

use super::*;

pub(super) async fn home(State(state): State<AppState>, page: Page) -> Response {
    let actor = match page.require(&[]) {
        Ok(a) => a.clone(),
        Err(r) => return r,
    };
    let t = words(page.lang);
    let mut tasks = Vec::new();
    for (role, key) in [
        (Role::AuthorityAdmin, "tasks_authority"),
        (Role::ServiceOperator, "tasks_service"),
        (Role::DeptDataOfficer, "tasks_officer"),
        (Role::DeptSecurityOfficer, "tasks_security"),
        (Role::Auditor, "tasks_auditor"),
        (Role::Operator, "tasks_operator"),
    ] {
        if actor.has(role) {
            tasks.push(t[key]);
        }
    }
    let role_labels: Vec<String> = actor.roles.iter().map(|r| role_label(&state, page.lang, *r)).collect();
    let (_, departments) = service::orgs::list_departments(&state.platform, 1, 0).await.unwrap_or_default();
    let regions = service::orgs::list_regions(&state.platform).await.map(|r| r.len()).unwrap_or(0);
    let users = if actor.has(Role::AuthorityAdmin) {
        service::users::list_users(&state.platform, &actor, 1, 0).await.ok().map(|(_, n)| n)
    } else {
        None
    };
    let recent = if actor.has(Role::Auditor) {
        service::audit::search(&state.platform, &actor, &Default::default(), 8, 0).await.map(|(e, _)| e).unwrap_or_default()
    } else {
        vec![]
    };
    render(
        &state,
        &page,
        "home.html",
        StatusCode::OK,
        context! { tasks, role_labels, recent, counts => context! { departments, regions, users } },
    )
}

