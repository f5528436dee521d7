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
    let (_, departments) = page.list(("部门", "departments"), service::orgs::list_departments(&state.platform, 1, 0).await);
    let regions = page.list(("行政区划", "regions"), service::orgs::list_regions(&state.platform).await.map(|r| r.len()));
    let users = if actor.has(Role::AuthorityAdmin) {
        page.list(("用户", "users"), service::users::list_users(&state.platform, &actor, 1, 0).await.map(|(_, n)| Some(n)))
    } else {
        None
    };
    let recent = if actor.has(Role::Auditor) {
        page.list(("最近审计事件", "recent audit events"), service::audit::search(&state.platform, &actor, &Default::default(), 8, 0).await.map(|(e, _)| e))
    } else {
        vec![]
    };
    // What waits, with what is overdue: the reviewer's queue, returned and open work, update obligations.
    let p = &state.platform;
    let mut todo: Vec<Value> = Vec::new();
    let t_ = |k: &str| t[k].to_string();
    if actor.has_any(&[Role::AuthorityAdmin, Role::ServiceOperator]) {
        let queue = page.list(("待审目录", "review queue"), service::catalog::read::queue(p, &actor).await);
        let overdue = queue.iter().filter(|r| r.working.as_ref().is_some_and(|w| w.overdue)).count();
        todo.push(context! { label => t_("todo_review"), count => queue.len(), overdue, link => "/catalog/queue" });
    }
    if actor.has(Role::DeptDataOfficer) {
        let q = service::catalog::read::ListQuery { working_state: Some(domain::catalog::lifecycle::RevisionState::Returned), ..Default::default() };
        let returned = page.list(("退回的目录", "returned entries"), service::catalog::read::list(p, &actor, &q, 1, 0).await.map(|(_, n)| n));
        todo.push(context! { label => t_("todo_returned"), count => returned, overdue => 0, link => "/catalog/mine" });
    }
    if actor.has_any(&[Role::AuthorityAdmin, Role::DeptDataOfficer]) {
        let scope = if actor.has(Role::AuthorityAdmin) { None } else { actor.department_id };
        let open = page.list(("更新义务", "update obligations"), service::catalog::obligations::list(p, &actor, scope, true).await);
        let overdue = open.iter().filter(|o| o.overdue).count();
        let link = if actor.has(Role::AuthorityAdmin) { "/catalog/queue" } else { "/catalog/mine" };
        todo.push(context! { label => t_("todo_obligations"), count => open.len(), overdue, link });
        let reclassify = page.list(("待重新分级", "reclassifications"), service::catalog::classification::reclassifications(p, &actor).await.map(|r| r.len()));
        if reclassify > 0 {
            todo.push(context! { label => t_("todo_reclassify"), count => reclassify, overdue => 0, link => "/catalog/governance" });
        }
    }
    if actor.has_any(&[Role::AuthorityAdmin, Role::DeptDataOfficer]) {
        let late = page.list(("数据更新情况", "feed freshness"), service::aggregation::freshness(p, &actor).await.map(|f| f.iter().filter(|x| x.late).count()));
        if late > 0 {
            todo.push(context! { label => t_("todo_late_deliveries"), count => late, overdue => late, link => "/catalog/mine" });
        }
    }
    if p.profile.catalog.classification_objections {
        let open = page.list(("分级异议", "classification objections"), service::catalog::objections::list(p, &actor, true).await.map(|o| o.len()));
        if open > 0 {
            todo.push(context! { label => t_("todo_objections"), count => open, overdue => 0, link => "/catalog/governance" });
        }
    }
    if p.profile.features.three_lists && actor.has(Role::DeptDataOfficer) {
        use chrono::Datelike;
        if let Some(report) = page.list(("三张清单", "annual lists"), service::catalog::annual_lists::report(p, &actor, p.clock.today().year()).await.map(Some)) {
            let missing: usize = report.departments.iter().map(|d| d.missing.len()).sum();
            let overdue: usize = report.departments.iter().filter(|d| d.overdue).map(|d| d.missing.len()).sum();
            todo.push(context! { label => t_("todo_lists"), count => missing, overdue, link => "/catalog/governance" });
        }
    }
    render(
        &state,
        &page,
        "home.html",
        StatusCode::OK,
        context! { tasks, role_labels, recent, todo, counts => context! { departments, regions, users } },
    )
}

