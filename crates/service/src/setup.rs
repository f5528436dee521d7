//! Initializing a deployment: the profile in force, the shipped calendar, the city and its districts from the
//! profile, and the first authority administrator.

use domain::calendar::Calendar;
use domain::orgs::RegionLevel;
use domain::profile::Profile;
use domain::roles::Role;
use store::Store;

use crate::{Actor, Error, Result};

/// Whether the database has been initialized (a profile is set).
pub async fn is_initialized(store: &Store) -> Result<bool> {
    Ok(store::settings::get(&mut *store.read().await?, store::settings::PROFILE).await?.is_some())
}

/// Sets up an empty database for `profile_id`. Everything, with its audit events, commits in one transaction.
pub async fn initialize(store: &Store, profile_id: &str, admin_username: &str, admin_password: &str, now_us: i64) -> Result<()> {
    let profile = Profile::shipped(profile_id)?;
    if is_initialized(store).await? {
        return Err(Error::Conflict { zh: "数据库已初始化".into(), en: "The database is already initialized".into() });
    }
    let hash = crate::auth::hash_password(admin_password)?;
    let actor = Actor::cli();
    let mut tx = store.begin().await?;
    store::settings::set(&mut tx, store::settings::PROFILE, &profile.id).await?;
    store::settings::set(&mut tx, store::settings::AUDIT_RETENTION_YEARS, &profile.audit_retention_years().to_string()).await?;
    for year in Calendar::shipped_years() {
        store::calendar::upsert_year(&mut tx, &year, "shipped", now_us).await?;
    }
    let city = store::orgs::insert_region(
        &mut tx,
        &store::orgs::NewRegion {
            code: &profile.city_code,
            name: &profile.city_name,
            name_en: &profile.city_name_en,
            level: RegionLevel::City,
            parent_id: None,
        },
        now_us,
    )
    .await?;
    for d in &profile.districts {
        store::orgs::insert_region(
            &mut tx,
            &store::orgs::NewRegion { code: &d.code, name: &d.name, name_en: &d.name_en, level: RegionLevel::District, parent_id: Some(city) },
            now_us,
        )
        .await?;
    }
    let admin = store::users::insert_user(
        &mut tx,
        &store::users::NewUser { username: admin_username, display_name: "平台管理员", password_hash: &hash, department_id: None },
        now_us,
    )
    .await?;
    store::users::add_role(&mut tx, admin, Role::AuthorityAdmin, now_us).await?;
    // The source departments the regulation names, for the authority to map to its departments.
    for row in crate::sources::statutory_rows(&profile, &actor.name, now_us) {
        store::sources::insert(&mut tx, &row).await?;
    }
    let mut event = actor.event("platform.initialize", "profile", profile.id.clone());
    event.detail = format!("city {} with {} districts; administrator {admin_username}", profile.city_code, profile.districts.len());
    store::audit::append(&mut tx, &event, now_us).await?;
    tx.commit().await?;
    Ok(())
}
