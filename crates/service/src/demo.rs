//! The demo city: departments with valid credit codes, one account per role, and some history, so every page
//! has something to show. Deterministic: the same data every time.

use domain::ids::{organization_code_complete, Uscc};
use domain::roles::Role;

use crate::orgs::DepartmentInput;
use crate::users::UserInput;
use crate::{Actor, Platform, Result};

mod catalog;
pub mod enterprises;
pub mod people;
mod rng;
pub mod small;

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "shuyuan-demo";

/// (name, English name, kind, district index or None for the city)
const DEPARTMENTS: &[(&str, &str, &str, Option<usize>)] = &[
    ("市数据局", "Municipal Data Bureau", "authority", None),
    ("市大数据中心", "Municipal Big Data Center", "service_center", None),
    ("市公安局", "Public Security Bureau", "department", None),
    ("市民政局", "Civil Affairs Bureau", "department", None),
    ("市人力资源和社会保障局", "Human Resources and Social Security Bureau", "department", None),
    ("市卫生健康委员会", "Health Commission", "department", None),
    ("市市场监督管理局", "Market Regulation Administration", "department", None),
    ("市自然资源和规划局", "Natural Resources and Planning Bureau", "department", None),
    ("市住房和城乡建设局", "Housing and Urban-Rural Development Bureau", "department", None),
    ("市教育局", "Education Bureau", "department", None),
    ("市医疗保障局", "Healthcare Security Administration", "department", None),
    ("国家税务总局市税务局", "Tax Service", "department", None),
    ("市交通运输局", "Transport Bureau", "department", None),
    ("市生态环境局", "Ecology and Environment Bureau", "department", None),
    ("市住房公积金管理中心", "Housing Provident Fund Center", "department", None),
    ("市水务集团有限公司", "Water Supply Group", "public_utility", None),
    ("国网市供电公司", "State Grid Power Supply Company", "public_utility", None),
    ("市燃气有限公司", "Gas Company", "public_utility", None),
    ("区数据局", "District Data Bureau", "authority", Some(0)),
    ("区公安分局", "District Public Security Sub-bureau", "department", Some(0)),
    ("区民政局", "District Civil Affairs Bureau", "department", Some(1)),
    ("区市场监督管理局", "District Market Regulation", "department", Some(2)),
    // The government-disclosure authority (政务公开主管部门, FS-16b).
    ("市人民政府办公室", "General Office of the Municipal Government", "department", None),
];

/// The index in `DEPARTMENTS` of the government-disclosure authority.
const DISCLOSURE_DEPARTMENT: usize = 22;

/// (username, display name, role, department index)
const ACCOUNTS: &[(&str, &str, Role, Option<usize>)] = &[
    ("admin", "王建国（数据局）", Role::AuthorityAdmin, Some(0)),
    ("service", "李明（大数据中心）", Role::ServiceOperator, Some(1)),
    ("officer", "张伟（公安局数据专员）", Role::DeptDataOfficer, Some(2)),
    ("security", "刘洋（公安局安全管理员）", Role::DeptSecurityOfficer, Some(2)),
    ("auditor", "陈静（审计核查）", Role::Auditor, Some(0)),
    ("operator", "赵磊（运营机构）", Role::Operator, None),
    ("officer-mz", "孙丽（民政局数据专员）", Role::DeptDataOfficer, Some(3)),
    ("officer-rs", "周强（人社局数据专员）", Role::DeptDataOfficer, Some(4)),
    ("officer-sj", "吴敏（市场监管局数据专员）", Role::DeptDataOfficer, Some(6)),
    ("admin-js", "赵海（区数据局）", Role::AuthorityAdmin, Some(18)),
    ("officer-gk", "郑洁（政府办政务公开）", Role::DeptDataOfficer, Some(DISCLOSURE_DEPARTMENT)),
];

/// The demo accounts: (username, role).
pub fn accounts() -> Vec<(&'static str, Role)> {
    ACCOUNTS.iter().map(|(u, _, r, _)| (*u, *r)).collect()
}

/// A credit code for the i-th demo body: 11 (机关) or 91 (企业), the region, and an organization code.
fn demo_uscc(kind: &str, region_code: &str, i: usize) -> Uscc {
    let head = if kind == "public_utility" { "91" } else { "11" };
    let org = organization_code_complete(&format!("MB{:06}", 100_000 + i * 7919 % 900_000));
    Uscc::complete(&format!("{head}{region_code}{org}"))
}

/// Seeds the demo city into an initialized platform whose administrator is `admin`.
pub async fn seed(p: &Platform) -> Result<()> {
    let cli = Actor::cli();
    let profile = &p.profile;
    let mut dept_ids = Vec::new();
    for (i, (name, name_en, kind, district)) in DEPARTMENTS.iter().enumerate() {
        let (region_code, prefix) = match district.and_then(|d| profile.districts.get(d)) {
            Some(d) => (d.code.clone(), d.name.clone()),
            None => (profile.city_code.clone(), profile.city_name.clone()),
        };
        let full_name = if let Some(rest) = name.strip_prefix('市') {
            format!("{prefix}{rest}")
        } else if let Some(rest) = name.strip_prefix('区') {
            format!("{prefix}{rest}")
        } else {
            name.replace("市", &prefix)
        };
        let dept = crate::orgs::create_department(
            p,
            &cli,
            DepartmentInput {
                name: full_name,
                name_en: name_en.to_string(),
                kind: kind.to_string(),
                region_code: region_code.clone(),
                uscc: demo_uscc(kind, &region_code, i).to_string(),
            },
        )
        .await?;
        dept_ids.push(dept.id);
    }
    let admin = crate::users::user_by_username(p, "admin").await?;
    let mut tx = p.store.begin().await?;
    // The administrator made by `init` belongs to the data bureau.
    store::users::set_department(&mut tx, admin.id, Some(dept_ids[0])).await?;
    let mut event = cli.event("user.set_department", "user", admin.id.to_string());
    event.detail = format!("department {}", dept_ids[0]);
    store::audit::append(&mut tx, &event, p.now_us()).await?;
    tx.commit().await?;
    for (username, display_name, role, dept) in ACCOUNTS.iter().skip(1) {
        crate::users::create_user(
            p,
            &cli,
            UserInput {
                username: username.to_string(),
                display_name: display_name.to_string(),
                password: DEMO_PASSWORD.into(),
                department_id: dept.map(|d| dept_ids[d]),
                roles: vec![*role],
            },
        )
        .await?;
    }
    crate::catalog::objections::set_disclosure_department(p, &cli, &profile.city_code, dept_ids[DISCLOSURE_DEPARTMENT]).await?;
    // Some history: sign-ins, a refused attempt, a token for the police bureau's exchange system.
    for (username, _) in accounts().into_iter().take(5) {
        let _ = crate::auth::login(p, username, DEMO_PASSWORD, "127.0.0.1").await;
    }
    let _ = crate::auth::login(p, "officer", "wrong-password", "10.0.0.8").await;
    let officer = crate::users::user_by_username(p, "officer").await?;
    let officer_actor = Actor {
        kind: crate::actor::ActorKind::User,
        user_id: Some(officer.id),
        name: officer.username.clone(),
        department_id: officer.department_id,
        roles: officer.roles.clone(),
        client_addr: "127.0.0.1".into(),
    };
    crate::auth::create_token(p, &officer_actor, "人口信息交换系统", dept_ids[2], None).await?;
    // The regulation's source departments, mapped to the demo's departments where their names say so.
    crate::sources::adopt_statutory(p, &cli).await?;
    Ok(())
}

/// Seeds the demo city's catalog (about 150 entries in every state, and update obligations). Slow enough to keep
/// out of tests that do not need it.
pub async fn seed_catalog(p: &Platform) -> Result<usize> {
    let actor_of = |user: domain::orgs::User| Actor {
        kind: crate::actor::ActorKind::User,
        user_id: Some(user.id),
        name: user.username.clone(),
        department_id: user.department_id,
        roles: user.roles.clone(),
        client_addr: "127.0.0.1".into(),
    };
    let service = actor_of(crate::users::user_by_username(p, "service").await?);
    let admin = actor_of(crate::users::user_by_username(p, "admin").await?);
    let district_admin = actor_of(crate::users::user_by_username(p, "admin-js").await?);
    catalog::seed(p, &Actor::cli(), &service, &admin, &district_admin).await
}

/// The demo's published resource named `name`, if it is published.
async fn published(p: &Platform, name: &str) -> Result<Option<(store::catalog::ResourceRow, Option<domain::catalog::entry::ResourceContent>)>> {
    let mut conn = p.store.read().await?;
    let rows = store::catalog::all_with_contents(&mut conn).await?;
    Ok(rows.into_iter().find(|(r, _, _)| r.state == domain::catalog::lifecycle::ResourceState::Published && r.name == name).map(|(r, c, _)| (r, c)))
}

/// Writes a generated file to `path`, delivers it as resource `code` and removes it.
async fn deliver_generated(
    p: &Platform,
    code: &str,
    path: &std::path::Path,
    write: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>,
) -> Result<crate::aggregation::BatchReport> {
    let written = (|| {
        let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
        write(&mut out)?;
        std::io::Write::flush(&mut out)
    })();
    written.map_err(|e| crate::Error::Internal(store::Error::Corrupt(format!("demo data {}: {e}", path.display()))))?;
    let report = crate::aggregation::ingest_file(p, &Actor::cli(), code, path, crate::catalog::import::Encoding::Utf8, |_| {}).await;
    let _ = std::fs::remove_file(path);
    report
}

fn districts(p: &Platform) -> Vec<(String, String)> {
    p.profile.districts.iter().map(|d| (d.code.clone(), d.name.clone())).collect()
}

/// Delivers `rows` generated people (`demo::people`) as the data of the demo's published 户籍人口基本信息, so the
/// demo city has a real population to share; answers the batch report, or none when no such entry is published.
pub async fn seed_people(p: &Platform, work_dir: &std::path::Path, rows: u64) -> Result<Option<crate::aggregation::BatchReport>> {
    let Some((row, _)) = published(p, "户籍人口基本信息").await? else { return Ok(None) };
    let districts = districts(p);
    let spec = people::People { rows, seed: 1, districts: &districts, city_name: &p.profile.city_name, invalid_percent: 0.0 };
    Ok(Some(deliver_generated(p, &row.code, &work_dir.join("demo-people.csv"), |out| people::write_csv(out, &spec, |_| {})).await?))
}

/// Delivers `rows` generated enterprises (`demo::enterprises`) as the data of the demo's published 企业登记信息.
pub async fn seed_enterprises(p: &Platform, work_dir: &std::path::Path, rows: u64) -> Result<Option<crate::aggregation::BatchReport>> {
    let Some((row, _)) = published(p, "企业登记信息").await? else { return Ok(None) };
    let districts = districts(p);
    let spec = enterprises::Enterprises { rows, seed: 2, districts: &districts, city_name: &p.profile.city_name };
    Ok(Some(deliver_generated(p, &row.code, &work_dir.join("demo-enterprises.csv"), |out| enterprises::write_csv(out, &spec, |_| {})).await?))
}

/// Gives every other published resource of the demo a first version of 20 to 500 rows made from its items
/// (`demo::small`). Answers how many were delivered.
pub async fn seed_small(p: &Platform, work_dir: &std::path::Path) -> Result<usize> {
    let mut conn = p.store.read().await?;
    let rows = store::catalog::all_with_contents(&mut conn).await?;
    drop(conn);
    let district = p.profile.districts.first().map(|d| d.code.clone()).unwrap_or_else(|| p.profile.city_code.clone());
    let mut delivered = 0;
    for (n, (row, published, _)) in rows.into_iter().enumerate() {
        let (domain::catalog::lifecycle::ResourceState::Published, Some(content)) = (row.state, published) else { continue };
        if ["户籍人口基本信息", "企业登记信息"].contains(&row.name.as_str()) || content.items.is_empty() {
            continue;
        }
        let count = 20 + (n as u64 * 37) % 480;
        let path = work_dir.join(format!("demo-small-{}.csv", row.id));
        let report = deliver_generated(p, &row.code, &path, |out| small::write_csv(out, &content.items, count, row.id as u64, &district)).await?;
        delivered += (report.state == "committed") as usize;
    }
    Ok(delivered)
}
