use anyhow::{ensure, Result};
use domain::orgs::{DepartmentKind, RegionLevel};
use domain::roles::Role;
use shuyuan_store::orgs::{self, NewDepartment, NewRegion};
use shuyuan_store::{tokens, users, Error, Store};

pub async fn seed_city(store: &Store) -> Result<(i64, i64)> {
    let mut tx = store.begin().await?;
    let city = orgs::insert_region(
        &mut tx,
        &NewRegion { code: "230500", name: "双鸭山市", name_en: "Shuangyashan", level: RegionLevel::City, parent_id: None },
        1,
    )
    .await?;
    let dept = orgs::insert_department(
        &mut tx,
        &NewDepartment {
            name: "市公安局",
            name_en: "Public Security Bureau",
            kind: DepartmentKind::Department,
            region_id: city,
            uscc: "11230500MB0000001X",
        },
        1,
    )
    .await?;
    tx.commit().await?;
    Ok((city, dept))
}

pub async fn regions_form_a_tree_and_departments_need_unique_credit_codes(store: Store) -> Result<()> {
    let (city, _) = seed_city(&store).await?;
    let mut tx = store.begin().await?;
    let district = orgs::insert_region(
        &mut tx,
        &NewRegion { code: "230502", name: "尖山区", name_en: "Jianshan", level: RegionLevel::District, parent_id: Some(city) },
        2,
    )
    .await?;
    tx.commit().await?;
    let mut conn = store.read().await?;
    let regions = orgs::list_regions(&mut conn).await?;
    ensure!(regions.len() == 2);
    ensure!(regions[1].parent_id == Some(city) && regions[1].id == district && regions[1].level == RegionLevel::District);
    ensure!(orgs::region_by_code(&mut conn, "230502").await?.map(|r| r.name) == Some("尖山区".into()));
    drop(conn);

    let mut tx = store.begin().await?;
    let again = orgs::insert_department(
        &mut tx,
        &NewDepartment { name: "另一个", name_en: "", kind: DepartmentKind::Department, region_id: city, uscc: "11230500MB0000001X" },
        3,
    )
    .await;
    ensure!(matches!(again, Err(Error::Conflict(_))), "duplicate credit code must conflict: {again:?}");
    drop(tx);
    let mut conn = store.read().await?;
    let (depts, total) = orgs::list_departments(&mut conn, 10, 0).await?;
    ensure!(total == 1 && depts[0].name == "市公安局" && depts[0].kind == DepartmentKind::Department && depts[0].active);
    Ok(())
}

pub async fn users_roles_sessions_and_tokens(store: Store) -> Result<()> {
    let (_, dept) = seed_city(&store).await?;
    let mut tx = store.begin().await?;
    let uid = users::insert_user(
        &mut tx,
        &users::NewUser { username: "officer", display_name: "数据专员", password_hash: "h", department_id: Some(dept) },
        10,
    )
    .await?;
    users::add_role(&mut tx, uid, Role::DeptDataOfficer, 10).await?;
    tx.commit().await?;
    // A failed statement ends a PostgreSQL transaction, so the duplicate is tried in its own.
    let mut tx = store.begin().await?;
    ensure!(matches!(users::add_role(&mut tx, uid, Role::DeptDataOfficer, 10).await, Err(Error::Conflict(_))));
    drop(tx);

    let mut tx = store.begin().await?;
    users::insert_session(&mut tx, "sess-hash", uid, "csrf-1", 10, 1_000).await?;
    let token = tokens::insert_token(&mut tx, "exchange", "tok-hash", "sy_k_abcd", dept, Some(uid), None, 10).await?;
    tx.commit().await?;

    let mut conn = store.read().await?;
    let (user, hash) = users::credentials(&mut conn, "officer").await?.expect("user exists");
    ensure!(hash == "h" && user.roles == vec![Role::DeptDataOfficer] && user.department_id == Some(dept));
    ensure!(users::session_user(&mut conn, "sess-hash", 500).await?.map(|(u, c)| (u.id, c)) == Some((uid, "csrf-1".into())));
    ensure!(users::session_user(&mut conn, "sess-hash", 1_000).await?.is_none(), "expired sessions are gone");
    ensure!(tokens::active_by_hash(&mut conn, "tok-hash").await?.map(|t| t.department_id) == Some(dept));
    drop(conn);

    let mut tx = store.begin().await?;
    ensure!(tokens::revoke(&mut tx, token, 20).await?);
    ensure!(!tokens::revoke(&mut tx, token, 21).await?, "revoking twice changes nothing");
    users::set_active(&mut tx, uid, false).await?;
    tx.commit().await?;
    let mut conn = store.read().await?;
    ensure!(tokens::active_by_hash(&mut conn, "tok-hash").await?.is_none(), "revoked tokens do not authenticate");
    ensure!(users::session_user(&mut conn, "sess-hash", 500).await?.is_none(), "inactive users have no session");
    drop(conn);

    let mut tx = store.begin().await?;
    for (i, ok) in [false, false, true, false].into_iter().enumerate() {
        users::record_login_attempt(&mut tx, "officer", "127.0.0.1", 100 + i as i64, ok).await?;
    }
    tx.commit().await?;
    let mut conn = store.read().await?;
    ensure!(users::recent_failures(&mut conn, "officer", 0).await? == 1, "failures before a success are forgiven");
    Ok(())
}
