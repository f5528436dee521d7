//! The authority's administration: regions, departments and users.

use super::*;

// ---- regions ----

pub(super) async fn regions(State(state): State<AppState>, page: Page) -> Response {
    if let Err(r) = page.require(&[Role::AuthorityAdmin]) {
        return r;
    }
    regions_page(&state, &page, (None, None, StatusCode::OK)).await
}

async fn regions_page(state: &AppState, page: &Page, (error, notice, status): Outcome) -> Response {
    let regions = page.list(("行政区划", "regions"), service::orgs::list_regions(&state.platform).await);
    let (departments, _) = page.list(("部门", "departments"), service::orgs::list_departments(&state.platform, 1000, 0).await);
    let name_of = |r: &domain::orgs::Region| if page.lang == Lang::Zh || r.name_en.is_empty() { r.name.clone() } else { r.name_en.clone() };
    // The tree as rows: each city, then its districts.
    let mut rows: Vec<Value> = Vec::new();
    for city in regions.iter().filter(|r| r.parent_id.is_none()) {
        for r in std::iter::once(city).chain(regions.iter().filter(|r| r.parent_id == Some(city.id))) {
            let count = departments.iter().filter(|d| d.region_id == r.id).count();
            rows.push(context! { code => r.code, name => name_of(r), district => r.parent_id.is_some(), departments => count });
        }
    }
    let cities: Vec<Value> = regions.iter().filter(|r| r.parent_id.is_none()).map(|r| context! { code => r.code, name => name_of(r) }).collect();
    render(state, page, "regions.html", status, context! { regions => rows, cities, error, notice })
}

#[derive(Deserialize)]
pub(super) struct RegionForm {
    csrf: String,
    code: String,
    name: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    parent_code: String,
}

pub(super) async fn create_region(State(state): State<AppState>, page: Page, Form(form): Form<RegionForm>) -> Response {
    let actor = match authority_form(&page, &form.csrf) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let parent_code = Some(form.parent_code.trim().to_string()).filter(|c| !c.is_empty());
    let input = service::orgs::RegionInput { code: form.code, name: form.name, name_en: form.name_en, parent_code };
    let result = service::orgs::create_region(&state.platform, &actor, input).await;
    regions_page(&state, &page, outcome(&page, result, |r| format!("{}（{}）", r.name, r.code))).await
}

// ---- departments ----

pub(super) async fn departments(State(state): State<AppState>, page: Page) -> Response {
    if let Err(r) = page.require(&[Role::AuthorityAdmin]) {
        return r;
    }
    departments_page(&state, &page, (None, None, StatusCode::OK)).await
}

async fn departments_page(state: &AppState, page: &Page, (error, notice, status): Outcome) -> Response {
    let regions = page.list(("行政区划", "regions"), service::orgs::list_regions(&state.platform).await);
    let (list, total) = page.list(("部门", "departments"), service::orgs::list_departments(&state.platform, 1000, 0).await);
    let region_names: BTreeMap<i64, String> = regions.iter().map(|r| (r.id, r.name.clone())).collect();
    let rows: Vec<Value> = list
        .iter()
        .map(|d| {
            context! {
                id => d.id, name => d.name, uscc => d.uscc,
                kind_label => if page.lang == Lang::Zh { d.kind.label() } else { d.kind.label_en() },
                region => region_names.get(&d.region_id).cloned().unwrap_or_default(),
            }
        })
        .collect();
    let kinds: Vec<(String, String)> = DepartmentKind::ALL
        .iter()
        .map(|k| (k.as_str().to_string(), if page.lang == Lang::Zh { k.label() } else { k.label_en() }.to_string()))
        .collect();
    render(state, page, "departments.html", status, context! { departments => rows, total, regions, kinds, error, notice })
}

#[derive(Deserialize)]
pub(super) struct DepartmentForm {
    csrf: String,
    name: String,
    kind: String,
    region_code: String,
    uscc: String,
}

pub(super) async fn create_department(State(state): State<AppState>, page: Page, Form(form): Form<DepartmentForm>) -> Response {
    let actor = match authority_form(&page, &form.csrf) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let input = service::orgs::DepartmentInput {
        name: form.name,
        name_en: String::new(),
        kind: form.kind,
        region_code: form.region_code,
        uscc: form.uscc,
    };
    let result = service::orgs::create_department(&state.platform, &actor, input).await;
    departments_page(&state, &page, outcome(&page, result, |d| d.name.clone())).await
}

// ---- users ----

/// Users shown per page.
const USERS_PER_PAGE: i64 = 50;

#[derive(Deserialize, Default)]
pub(super) struct PageQuery {
    offset: Option<i64>,
}

pub(super) async fn users(State(state): State<AppState>, page: Page, Query(q): Query<PageQuery>) -> Response {
    if let Err(r) = page.require(&[Role::AuthorityAdmin]) {
        return r;
    }
    users_page(&state, &page, q.offset.unwrap_or(0), (None, None, StatusCode::OK)).await
}

async fn users_page(state: &AppState, page: &Page, offset: i64, (error, notice, status): Outcome) -> Response {
    let actor = page.actor.clone().unwrap_or_else(Actor::cli);
    let offset = offset.max(0);
    let (list, total) = page.list(("用户", "users"), service::users::list_users(&state.platform, &actor, USERS_PER_PAGE, offset).await);
    let (departments, _) = page.list(("部门", "departments"), service::orgs::list_departments(&state.platform, 1000, 0).await);
    let dept_names: BTreeMap<i64, String> = departments.iter().map(|d| (d.id, d.name.clone())).collect();
    let rows: Vec<Value> = list
        .iter()
        .map(|u| {
            context! {
                id => u.id, username => u.username, display_name => u.display_name, active => u.active,
                is_self => actor.user_id == Some(u.id),
                department => u.department_id.and_then(|d| dept_names.get(&d).cloned()).unwrap_or_default(),
                roles => u.roles.iter().map(|r| (r.as_str(), role_label(state, page.lang, *r))).collect::<Vec<_>>(),
            }
        })
        .collect();
    let roles: Vec<(String, String)> = Role::ALL.iter().map(|r| (r.as_str().to_string(), role_label(state, page.lang, *r))).collect();
    let prev_offset = (offset > 0).then(|| (offset - USERS_PER_PAGE).max(0));
    let next_offset = (offset + USERS_PER_PAGE < total).then_some(offset + USERS_PER_PAGE);
    render(
        state,
        page,
        "users.html",
        status,
        context! { users => rows, total, offset, prev_offset, next_offset, departments, roles, error, notice },
    )
}

#[derive(Deserialize)]
pub(super) struct UserForm {
    csrf: String,
    username: String,
    display_name: String,
    password: String,
    department_id: String,
    role: String,
}

pub(super) async fn create_user(State(state): State<AppState>, page: Page, Form(form): Form<UserForm>) -> Response {
    let actor = match authority_form(&page, &form.csrf) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let result = async {
        let role: Role = form.role.parse()?;
        let department_id = match form.department_id.trim() {
            "" => None,
            s => Some(s.parse::<i64>().map_err(|_| service::Error::invalid("invalid_department", "部门编号无效", "Invalid department id"))?),
        };
        let input = service::users::UserInput {
            username: form.username,
            display_name: form.display_name,
            password: form.password,
            department_id,
            roles: vec![role],
        };
        service::users::create_user(&state.platform, &actor, input).await
    }
    .await;
    users_page(&state, &page, 0, outcome(&page, result, |u| u.username.clone())).await
}

#[derive(Deserialize)]
pub(super) struct RoleForm {
    csrf: String,
    role: String,
    #[serde(default)]
    offset: i64,
}

pub(super) async fn assign_role(State(state): State<AppState>, page: Page, Path(id): Path<i64>, Form(form): Form<RoleForm>) -> Response {
    let actor = match authority_form(&page, &form.csrf) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let result = async {
        let role: Role = form.role.parse()?;
        service::users::assign_role(&state.platform, &actor, id, role).await
    }
    .await;
    users_page(&state, &page, form.offset, outcome(&page, result, |u| u.username.clone())).await
}

#[derive(Deserialize)]
pub(super) struct UserActionForm {
    csrf: String,
    #[serde(default)]
    offset: i64,
}

pub(super) async fn remove_role(
    State(state): State<AppState>,
    page: Page,
    Path((id, role)): Path<(i64, String)>,
    Form(form): Form<UserActionForm>,
) -> Response {
    let actor = match authority_form(&page, &form.csrf) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let result = async {
        let role: Role = role.parse()?;
        service::users::remove_role(&state.platform, &actor, id, role).await
    }
    .await;
    users_page(&state, &page, form.offset, outcome(&page, result, |u| u.username.clone())).await
}

#[derive(Deserialize)]
pub(super) struct ActiveForm {
    csrf: String,
    /// "1" to enable, "0" to disable.
    active: String,
    #[serde(default)]
    offset: i64,
}

pub(super) async fn set_active(State(state): State<AppState>, page: Page, Path(id): Path<i64>, Form(form): Form<ActiveForm>) -> Response {
    let actor = match authority_form(&page, &form.csrf) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let result = service::users::set_active(&state.platform, &actor, id, form.active == "1").await;
    users_page(&state, &page, form.offset, outcome(&page, result, |u| u.username.clone())).await
}
