//! User administration by the authority: accounts, roles under the separation of duties (FS-42b), passwords.

use domain::orgs::{parse_username, User};
use domain::roles::{check_separation_of_duties, Role};

use crate::orgs::{require_authority, required_name};
use crate::{Actor, Error, Platform, Result};

pub struct UserInput {
    pub username: String,
    pub display_name: String,
    pub password: String,
    pub department_id: Option<i64>,
    pub roles: Vec<Role>,
}

pub async fn create_user(p: &Platform, actor: &Actor, input: UserInput) -> Result<User> {
    require_authority(actor)?;
    let username = parse_username(&input.username)?;
    let display_name = required_name(&input.display_name, "姓名", "display name")?;
    // The whole set of roles must keep the duties apart, whatever order they are listed in.
    let mut held: Vec<Role> = Vec::new();
    for role in &input.roles {
        if !held.contains(role) {
            check_separation_of_duties(&held, *role)?;
            held.push(*role);
        }
    }
    let hash = crate::auth::hash_password(&input.password)?;
    let mut tx = p.store.begin().await?;
    if let Some(dept) = input.department_id {
        if store::orgs::department_by_id(&mut tx, dept).await?.is_none() {
            return Err(Error::not_found(format!("部门{dept}不存在"), format!("Department {dept} does not exist")));
        }
    }
    if store::users::credentials(&mut tx, &username).await?.is_some() {
        return Err(Error::Conflict { zh: format!("用户名{username}已被使用"), en: format!("The username {username} is taken") });
    }
    let now = p.now_us();
    let id = store::users::insert_user(
        &mut tx,
        &store::users::NewUser { username: &username, display_name: &display_name, password_hash: &hash, department_id: input.department_id },
        now,
    )
    .await?;
    for role in &held {
        store::users::add_role(&mut tx, id, *role, now).await?;
    }
    let mut event = actor.event("user.create", "user", id.to_string());
    event.detail = format!("{username} roles={}", held.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(","));
    store::audit::append(&mut tx, &event, now).await?;
    let user = store::users::user_by_id(&mut tx, id).await?.ok_or_else(|| Error::not_found("用户不存在", "User not found"))?;
    tx.commit().await?;
    Ok(user)
}

/// Gives a user a role, refused when it would join two of the duties FS-42b keeps apart.
pub async fn assign_role(p: &Platform, actor: &Actor, user_id: i64, role: Role) -> Result<User> {
    require_authority(actor)?;
    let mut tx = p.store.begin().await?;
    let user = user_in(&mut tx, user_id).await?;
    if user.roles.contains(&role) {
        return Ok(user);
    }
    if actor.user_id == Some(user_id) && role == Role::Auditor {
        return Err(Error::forbidden("不能为自己分配审计员角色", "You cannot make yourself an auditor"));
    }
    check_separation_of_duties(&user.roles, role)?;
    store::users::add_role(&mut tx, user_id, role, p.now_us()).await?;
    let mut event = actor.event("user.assign_role", "user", user_id.to_string());
    event.detail = role.as_str().into();
    store::audit::append(&mut tx, &event, p.now_us()).await?;
    let user = user_in(&mut tx, user_id).await?;
    tx.commit().await?;
    Ok(user)
}

pub async fn remove_role(p: &Platform, actor: &Actor, user_id: i64, role: Role) -> Result<User> {
    require_authority(actor)?;
    let mut tx = p.store.begin().await?;
    user_in(&mut tx, user_id).await?;
    if store::users::remove_role(&mut tx, user_id, role).await? {
        let mut event = actor.event("user.remove_role", "user", user_id.to_string());
        event.detail = role.as_str().into();
        store::audit::append(&mut tx, &event, p.now_us()).await?;
    }
    let user = user_in(&mut tx, user_id).await?;
    tx.commit().await?;
    Ok(user)
}

/// Sets a new password and ends the user's sessions.
pub async fn set_password(p: &Platform, actor: &Actor, user_id: i64, password: &str) -> Result<()> {
    if actor.user_id != Some(user_id) {
        require_authority(actor)?;
    }
    let hash = crate::auth::hash_password(password)?;
    let mut tx = p.store.begin().await?;
    user_in(&mut tx, user_id).await?;
    store::users::set_password_hash(&mut tx, user_id, &hash).await?;
    store::users::delete_sessions_of(&mut tx, user_id).await?;
    store::audit::append(&mut tx, &actor.event("user.set_password", "user", user_id.to_string()), p.now_us()).await?;
    tx.commit().await?;
    Ok(())
}

/// Disables or re-enables an account; a disabled account's sessions end at once.
pub async fn set_active(p: &Platform, actor: &Actor, user_id: i64, active: bool) -> Result<User> {
    require_authority(actor)?;
    if actor.user_id == Some(user_id) && !active {
        return Err(Error::forbidden("不能停用自己的账号", "You cannot disable your own account"));
    }
    let mut tx = p.store.begin().await?;
    user_in(&mut tx, user_id).await?;
    store::users::set_active(&mut tx, user_id, active).await?;
    if !active {
        store::users::delete_sessions_of(&mut tx, user_id).await?;
    }
    let action = if active { "user.enable" } else { "user.disable" };
    store::audit::append(&mut tx, &actor.event(action, "user", user_id.to_string()), p.now_us()).await?;
    let user = user_in(&mut tx, user_id).await?;
    tx.commit().await?;
    Ok(user)
}

pub async fn list_users(p: &Platform, actor: &Actor, limit: i64, offset: i64) -> Result<(Vec<User>, i64)> {
    require_authority(actor)?;
    Ok(store::users::list_users(&mut *p.store.read().await?, limit, offset).await?)
}

pub async fn user_by_username(p: &Platform, username: &str) -> Result<User> {
    store::users::credentials(&mut *p.store.read().await?, username)
        .await?
        .map(|(u, _)| u)
        .ok_or_else(|| Error::not_found(format!("用户{username}不存在"), format!("User {username} does not exist")))
}

async fn user_in(conn: &mut store::Conn, user_id: i64) -> Result<User> {
    store::users::user_by_id(conn, user_id)
        .await?
        .ok_or_else(|| Error::not_found(format!("用户{user_id}不存在"), format!("User {user_id} does not exist")))
}

pub async fn user(p: &Platform, user_id: i64) -> Result<User> {
    user_in(&mut *p.store.read().await?, user_id).await
}
