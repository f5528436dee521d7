//! Who is acting: a signed-in user, a system holding an API token, the CLI on the server, or nobody.

use domain::roles::Role;
use store::audit::NewEvent;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActorKind {
    User,
    /// A system calling with an API token scoped to a department.
    System { token_id: i64 },
    /// An operator at the server's console (`shuyuan users …`): trusted as the authority.
    Cli,
    Anonymous,
}

#[derive(Debug, Clone)]
pub struct Actor {
    pub kind: ActorKind,
    pub user_id: Option<i64>,
    pub name: String,
    pub department_id: Option<i64>,
    pub roles: Vec<Role>,
    pub client_addr: String,
}

impl Actor {
    pub fn anonymous(client_addr: impl Into<String>) -> Actor {
        Actor {
            kind: ActorKind::Anonymous,
            user_id: None,
            name: String::new(),
            department_id: None,
            roles: vec![],
            client_addr: client_addr.into(),
        }
    }

    pub fn cli() -> Actor {
        let name = std::env::var("USER").map(|u| format!("cli:{u}")).unwrap_or_else(|_| "cli".into());
        Actor {
            kind: ActorKind::Cli,
            user_id: None,
            name,
            department_id: None,
            roles: vec![Role::AuthorityAdmin],
            client_addr: "local".into(),
        }
    }

    /// The platform itself doing scheduled work (a sync job's run), trusted as the command line is; `name` says
    /// which work in the audit log.
    pub fn platform(name: impl Into<String>) -> Actor {
        Actor { name: name.into(), client_addr: "scheduler".into(), ..Actor::cli() }
    }

    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    pub fn has_any(&self, roles: &[Role]) -> bool {
        roles.iter().any(|r| self.has(*r))
    }

    /// Whether the actor oversees every department's records: the authority, the service center, auditors and the
    /// command line (supervision reports, delivery histories, lists).
    pub fn oversees(&self) -> bool {
        self.kind == ActorKind::Cli || self.has_any(&[Role::AuthorityAdmin, Role::ServiceOperator, Role::Auditor])
    }

    pub fn roles_label(&self) -> String {
        match self.kind {
            ActorKind::System { .. } => "system".into(),
            _ => self.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(","),
        }
    }

    /// An audit event by this actor; the caller fills the result and detail.
    pub fn event(&self, action: &str, object_kind: &str, object_id: impl Into<String>) -> NewEvent {
        NewEvent {
            actor_user_id: self.user_id,
            actor_name: self.name.clone(),
            actor_department_id: self.department_id,
            actor_role: self.roles_label(),
            action: action.into(),
            object_kind: object_kind.into(),
            object_id: object_id.into(),
            purpose: String::new(),
            result: "ok".into(),
            client_addr: self.client_addr.clone(),
            detail: String::new(),
        }
    }
}
