//! The route table. Each API route is declared once, with who may call it; the router, the access layer, the
//! OpenAPI document and the authorization-matrix test read this table.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{on, MethodFilter};
use axum::Router;
use domain::roles::Role;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use service::actor::ActorKind;
use service::Actor;

use crate::api;
use crate::error::ApiError;
use crate::extract::{bearer, client_addr, Caller};
use crate::AppState;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in user or any system token.
    Authenticated,
    /// Signed-in users (not system tokens).
    AnyUser,
    /// Users holding one of these roles.
    Roles(&'static [Role]),
    /// Users holding one of these roles, and system tokens (the service checks the token's department).
    RolesOrSystem(&'static [Role]),
    /// System tokens only (the sharing API: the service checks the token's grants).
    System,
}

impl Access {
    pub fn allows(self, actor: &Actor) -> bool {
        match self {
            Access::Public => true,
            Access::Authenticated => actor.kind != ActorKind::Anonymous,
            Access::AnyUser => actor.kind == ActorKind::User,
            Access::Roles(roles) => actor.kind == ActorKind::User && actor.has_any(roles),
            Access::RolesOrSystem(roles) => matches!(actor.kind, ActorKind::System { .. }) || (actor.kind == ActorKind::User && actor.has_any(roles)),
            Access::System => matches!(actor.kind, ActorKind::System { .. }),
        }
    }

    pub fn describe(self) -> String {
        match self {
            Access::Public => "public".into(),
            Access::Authenticated => "any signed-in user or system token".into(),
            Access::AnyUser => "any signed-in user".into(),
            Access::Roles(roles) => roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", "),
            Access::RolesOrSystem(roles) => format!("{}, system tokens (the service checks their department)", Access::Roles(roles).describe()),
            Access::System => "system tokens holding a grant".into(),
        }
    }
}

type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

pub fn schema<T: JsonSchema>(g: &mut SchemaGenerator) -> Schema {
    g.subschema_for::<T>()
}

/// One API route.
pub struct RouteSpec {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
    pub summary: &'static str,
    pub request: Option<SchemaFn>,
    pub response: Option<SchemaFn>,
    pub handler: axum::routing::MethodRouter<AppState>,
}

const ADMIN: &[Role] = &[Role::AuthorityAdmin];
const AUDITOR: &[Role] = &[Role::Auditor];
const TOKEN_MANAGERS: &[Role] = &[Role::AuthorityAdmin, Role::DeptDataOfficer];
/// Who writes catalog entries: departments' data officers, and the authority.
const CATALOGERS: &[Role] = &[Role::AuthorityAdmin, Role::DeptDataOfficer];
/// Who takes review steps: the authority, the service center (校核汇总), and departments' data officers (their own
/// department's review, FS-17b; the service checks which step is whose).
const REVIEWERS: &[Role] = &[Role::AuthorityAdmin, Role::ServiceOperator, Role::DeptDataOfficer];
/// Who supervises departments' work: the authority, the service center, the auditor.
const SUPERVISORS: &[Role] = &[Role::AuthorityAdmin, Role::ServiceOperator, Role::Auditor];
/// Who follows a catalog's upkeep: the authority, the service center and departments' data officers.
const CATALOG_READERS: &[Role] = &[Role::AuthorityAdmin, Role::ServiceOperator, Role::DeptDataOfficer];
/// Who reads obligations and projects: those who write or review entries, and the auditor.
const OVERSEERS: &[Role] = &[Role::AuthorityAdmin, Role::ServiceOperator, Role::DeptDataOfficer, Role::Auditor];
/// Departments' data officers: they apply for shared data.
const OFFICERS: &[Role] = &[Role::DeptDataOfficer];
/// Who takes a subject's own requests and consents: the service center (政务服务) and the authority.
const COUNTER: &[Role] = &[Role::ServiceOperator, Role::AuthorityAdmin];
/// Who files a correction request: a department using the data (its officer; its systems too), and the service
/// center or the authority taking a subject's request about its own data (SYS-28b).
const CORRECTION_FILERS: &[Role] = &[Role::DeptDataOfficer, Role::ServiceOperator, Role::AuthorityAdmin];

macro_rules! route {
    ($method:ident $path:literal, $access:expr, $summary:literal, $handler:path, req = $req:expr, resp = $resp:expr) => {
        RouteSpec {
            method: Method::$method,
            path: $path,
            access: $access,
            summary: $summary,
            request: $req,
            response: $resp,
            handler: on(method_filter(&Method::$method), $handler),
        }
    };
}

fn method_filter(m: &Method) -> MethodFilter {
    match *m {
        Method::GET => MethodFilter::GET,
        Method::POST => MethodFilter::POST,
        Method::PUT => MethodFilter::PUT,
        Method::PATCH => MethodFilter::PATCH,
        Method::DELETE => MethodFilter::DELETE,
        _ => unreachable!("only these methods are used"),
    }
}

/// Every API route.
pub fn api_routes() -> Vec<RouteSpec> {
    use api::*;
    use Access::*;
    vec![
        route!(GET "/healthz", Public, "Ready when the database answers", health::healthz, req = None, resp = None),
        route!(GET "/metrics", Public, "Prometheus metrics", health::metrics, req = None, resp = None),
        route!(GET "/api/v1/openapi.json", Public, "This document", health::openapi, req = None, resp = None),
        route!(POST "/api/v1/auth/login", Public, "Sign in; answers a bearer token", auth::login,
            req = Some(schema::<auth::LoginBody>), resp = Some(schema::<auth::LoginResponse>)),
        route!(POST "/api/v1/auth/logout", AnyUser, "End this session", auth::logout, req = None, resp = None),
        route!(GET "/api/v1/me", Authenticated, "Who the token belongs to", auth::me, req = None, resp = Some(schema::<auth::Me>)),
        route!(GET "/api/v1/profile", Public, "The policy profile in force: deadlines, vocabulary, features", calendar::profile,
            req = None, resp = None),
        route!(GET "/api/v1/calendar/deadline", Public, "When something received on `from` is due after N working days",
            calendar::deadline, req = None, resp = Some(schema::<domain::calendar::Due>)),
        route!(GET "/api/v1/calendar/years", Public, "Loaded years of the holiday calendar", calendar::years,
            req = None, resp = Some(schema::<calendar::YearsResponse>)),
        route!(PUT "/api/v1/calendar/years/{year}", Roles(ADMIN), "Load or replace a year's holiday notice",
            calendar::put_year, req = Some(schema::<calendar::YearBody>), resp = None),
        route!(GET "/api/v1/regions", Authenticated, "Regions of the city", orgs::list_regions,
            req = None, resp = Some(schema::<List<domain::orgs::Region>>)),
        route!(POST "/api/v1/regions", Roles(ADMIN), "Add a region", orgs::create_region,
            req = Some(schema::<orgs::RegionBody>), resp = Some(schema::<domain::orgs::Region>)),
        route!(GET "/api/v1/departments", Authenticated, "Departments", orgs::list_departments,
            req = None, resp = Some(schema::<List<domain::orgs::Department>>)),
        route!(POST "/api/v1/departments", Roles(ADMIN), "Register a department", orgs::create_department,
            req = Some(schema::<orgs::DepartmentBody>), resp = Some(schema::<domain::orgs::Department>)),
        route!(GET "/api/v1/departments/{id}", Authenticated, "One department", orgs::get_department,
            req = None, resp = Some(schema::<domain::orgs::Department>)),
        route!(GET "/api/v1/users", Roles(ADMIN), "Users", users::list,
            req = None, resp = Some(schema::<List<domain::orgs::User>>)),
        route!(POST "/api/v1/users", Roles(ADMIN), "Create a user", users::create,
            req = Some(schema::<users::UserBody>), resp = Some(schema::<domain::orgs::User>)),
        route!(POST "/api/v1/users/{id}/roles", Roles(ADMIN), "Give a user a role (separation of duties applies)",
            users::assign_role, req = Some(schema::<users::RoleBody>), resp = Some(schema::<domain::orgs::User>)),
        route!(DELETE "/api/v1/users/{id}/roles/{role}", Roles(ADMIN), "Take a role from a user", users::remove_role,
            req = None, resp = Some(schema::<domain::orgs::User>)),
        route!(PUT "/api/v1/users/{id}/active", Roles(ADMIN), "Disable an account (its sessions end at once) or enable it",
            users::set_active, req = Some(schema::<users::ActiveBody>), resp = Some(schema::<domain::orgs::User>)),
        route!(GET "/api/v1/tokens", Roles(TOKEN_MANAGERS), "API tokens (a data officer sees their department's)",
            tokens::list, req = None, resp = Some(schema::<List<domain::orgs::ApiToken>>)),
        route!(POST "/api/v1/tokens", Roles(TOKEN_MANAGERS), "Issue an API token for a department's system",
            tokens::create, req = Some(schema::<tokens::TokenBody>), resp = Some(schema::<tokens::NewToken>)),
        route!(DELETE "/api/v1/tokens/{id}", Roles(TOKEN_MANAGERS), "Revoke an API token", tokens::revoke,
            req = None, resp = Some(schema::<domain::orgs::ApiToken>)),
        route!(POST "/api/v1/tokens/{id}/resume", Roles(ADMIN), "Resume a token an anomaly suspended, with what the review found",
            tokens::resume, req = Some(schema::<tokens::ResumeBody>), resp = Some(schema::<domain::orgs::ApiToken>)),
        route!(GET "/api/v1/resources", Authenticated, "The catalog: search and facets; or work in progress with `state`",
            catalog::list_resources, req = None, resp = Some(schema::<catalog::SearchPage<domain::catalog::view::ResourceSummary>>)),
        route!(POST "/api/v1/resources", Roles(CATALOGERS), "Create a draft entry", catalog::create,
            req = Some(schema::<catalog::CreateBody>), resp = Some(schema::<domain::catalog::view::ResourceView>)),
        route!(GET "/api/v1/resources/{code}", Authenticated, "One entry: its published revision, and its working one for those who may see it",
            catalog::get, req = None, resp = Some(schema::<domain::catalog::view::ResourceView>)),
        route!(PUT "/api/v1/resources/{code}", Roles(CATALOGERS), "Save an entry's content into its working revision",
            catalog::update, req = Some(schema::<catalog::UpdateBody>), resp = Some(schema::<domain::catalog::view::ResourceView>)),
        route!(POST "/api/v1/resources/{code}/submit", Roles(CATALOGERS), "Submit the working revision for review",
            catalog::submit, req = None, resp = Some(schema::<domain::catalog::view::ResourceView>)),
        route!(POST "/api/v1/resources/{code}/pass", Roles(REVIEWERS), "Pass the review step the working revision waits for",
            catalog::pass, req = Some(schema::<catalog::PassBody>), resp = Some(schema::<domain::catalog::view::ResourceView>)),
        route!(POST "/api/v1/resources/{code}/return", Roles(REVIEWERS), "Return the working revision with reasons",
            catalog::return_to_provider, req = Some(schema::<catalog::ReasonBody>), resp = Some(schema::<domain::catalog::view::ResourceView>)),
        route!(POST "/api/v1/resources/{code}/attributes", Roles(CATALOGERS), "Change share and open attributes: upgrades at once, downgrades after review",
            catalog::attributes, req = Some(schema::<catalog::AttributesBody>), resp = Some(schema::<domain::catalog::view::ResourceView>)),
        route!(POST "/api/v1/resources/{code}/withdraw", Roles(CATALOGERS), "Withdraw a published entry from the catalog",
            catalog::withdraw, req = Some(schema::<catalog::ReasonBody>), resp = Some(schema::<domain::catalog::view::ResourceView>)),
        route!(POST "/api/v1/resources/{code}/obsolete", Roles(ADMIN), "Mark an entry obsolete (作废)",
            catalog::obsolete, req = Some(schema::<catalog::ReasonBody>), resp = Some(schema::<domain::catalog::view::ResourceView>)),
        route!(GET "/api/v1/resources/{code}/history", Authenticated, "Every revision with its field-by-field changes and reviews",
            catalog::history, req = None, resp = Some(schema::<List<domain::catalog::view::HistoryEntry>>)),
        route!(POST "/api/v1/resources/{code}/batches", RolesOrSystem(CATALOGERS), "Deliver a batch as the body: CSV, XLSX, JSON lines, JSON rows or Parquet by Content-Type; `?mode=merge` merges by key; an `Idempotency-Key` header makes a retry answer the first delivery (200, replayed). 201 committed, 422 refused with the report",
            aggregation::upload, req = None, resp = Some(schema::<service::aggregation::BatchReport>)),
        route!(GET "/api/v1/resources/{code}/batches", Roles(OVERSEERS), "The resource's deliveries, newest first (the provider, the authority, auditors)",
            aggregation::history, req = None, resp = Some(schema::<List<service::aggregation::BatchSummary>>)),
        route!(GET "/api/v1/resources/{code}/versions", Authenticated, "The resource's dataset versions, newest first",
            aggregation::versions, req = None, resp = Some(schema::<List<service::aggregation::VersionView>>)),
        route!(GET "/api/v1/resources/{code}/versions/{version}/rows", Roles(CATALOGERS), "A page of a version's rows, any kept version (the provider and the authority)",
            aggregation::version_rows, req = None, resp = Some(schema::<service::aggregation::VersionRows>)),
        route!(GET "/api/v1/resources/{code}/versions/{version}/parquet", Roles(CATALOGERS), "A version's Parquet file as committed (the provider and the authority)",
            aggregation::version_file, req = None, resp = None),
        route!(POST "/api/v1/query", Roles(CATALOGERS), "Read-only SQL (DataFusion) over the versions of the caller's department's resources (every resource for the authority); tables by resource code; `versions` pins older ones",
            aggregation::query, req = Some(schema::<service::aggregation::query::QueryRequest>), resp = Some(schema::<service::aggregation::query::QueryAnswer>)),
        route!(GET "/api/v1/aggregation/limits", Authenticated, "The limits aggregation applies (the failure rate above which a batch is refused whole)",
            aggregation::limits, req = None, resp = Some(schema::<service::aggregation::Limits>)),
        route!(PUT "/api/v1/aggregation/limits", Roles(ADMIN), "Set the failure limit",
            aggregation::set_limits, req = Some(schema::<service::aggregation::Limits>), resp = Some(schema::<service::aggregation::Limits>)),
        route!(GET "/api/v1/aggregation/coverage", Roles(OVERSEERS), "Aggregation coverage per department (应归尽归): published entries, those with delivered data, the ones without",
            aggregation::coverage, req = None, resp = Some(schema::<List<service::aggregation::Coverage>>)),
        route!(GET "/api/v1/aggregation/retention", Authenticated, "The version retention rule: versions kept while among a resource's newest N or younger than D days (the newest always)",
            aggregation::retention, req = None, resp = Some(schema::<service::aggregation::retention::Retention>)),
        route!(PUT "/api/v1/aggregation/retention", Roles(ADMIN), "Set the version retention rule",
            aggregation::set_retention, req = Some(schema::<service::aggregation::retention::Retention>), resp = Some(schema::<service::aggregation::retention::Retention>)),
        route!(GET "/api/v1/aggregation/freshness", Roles(OVERSEERS), "Published resources' last delivery, next due delivery and lateness, late first",
            aggregation::freshness, req = None, resp = Some(schema::<List<service::aggregation::Freshness>>)),
        route!(POST "/api/v1/share/applications", Roles(OFFICERS), "Apply for a resource (共享申请): scenario, basis, purpose, items, operations, mode, period; routed by its share attribute",
            sharing::apply, req = Some(schema::<service::sharing::NewApplication>), resp = Some(schema::<service::sharing::ApplicationView>)),
        route!(GET "/api/v1/share/applications", Roles(OVERSEERS), "Share applications a department made or must answer (every one for the authority), with due days and overdue flags",
            sharing::applications, req = None, resp = Some(schema::<List<service::sharing::ApplicationView>>)),
        route!(GET "/api/v1/share/applications/{id}", Roles(OVERSEERS), "One share application",
            sharing::application, req = None, resp = Some(schema::<service::sharing::ApplicationView>)),
        route!(POST "/api/v1/share/applications/{id}/answer", Roles(CATALOGERS), "Answer an application: the provider for conditional data, the authority for its checks and batch consent; a refusal states its reasons",
            sharing::answer, req = Some(schema::<service::sharing::Answer>), resp = Some(schema::<service::sharing::ApplicationView>)),
        route!(POST "/api/v1/share/scenarios", Roles(ADMIN), "Publish a pre-approved application scenario (LS-19c, FS-28): participants, items and operations of one resource; applications within it are granted at once",
            sharing::create_scenario, req = Some(schema::<service::sharing::NewScenario>), resp = Some(schema::<service::sharing::ScenarioView>)),
        route!(GET "/api/v1/share/scenarios", Roles(OVERSEERS), "The pre-approved application scenarios",
            sharing::scenarios, req = None, resp = Some(schema::<List<service::sharing::ScenarioView>>)),
        route!(GET "/api/v1/share/grants", Roles(OVERSEERS), "Grants a department holds or gives (every one for the authority)",
            sharing::grants, req = None, resp = Some(schema::<List<service::sharing::GrantView>>)),
        route!(PUT "/api/v1/share/grants/{id}/state", Roles(ADMIN), "Suspend, restore or end a grant, with the reason",
            sharing::decide_grant, req = Some(schema::<service::sharing::GrantDecision>), resp = Some(schema::<service::sharing::GrantView>)),
        route!(POST "/api/v1/share/grants/{id}/usage", Roles(OFFICERS), "The consumer records a grant's use, effect and storage, or the destruction of its copies once it has ended (SYS-20b, FS-08d)",
            sharing::record_usage, req = Some(schema::<service::sharing::NewUsage>), resp = Some(schema::<service::sharing::Usage>)),
        route!(GET "/api/v1/share/grants/{id}/usage", Roles(OVERSEERS), "A grant's usage and destruction records",
            sharing::usage, req = None, resp = Some(schema::<List<service::sharing::Usage>>)),
        route!(GET "/api/v1/share/grants/{id}/events", Roles(OVERSEERS), "A grant's calls one by one, newest first, each with the scenario it was logged under (YZ-16), for its consumer, its provider and the authority",
            sharing::events, req = None, resp = Some(schema::<List<domain::orgs::AuditEvent>>)),
        route!(GET "/api/v1/share/grants/{id}/calls", Roles(OVERSEERS), "A grant's calls for each of the last `days` days (default 30), from the audit log: records, verifications, statistics, batches and refusals",
            sharing::calls, req = None, resp = Some(schema::<Vec<service::sharing::DayCalls>>)),
        route!(POST "/api/v1/share/subscriptions", Roles(OFFICERS), "Subscribe an endpoint under a push grant (数据推送): each new version's changes are posted to it as JSON lines, signed with the secret answered once (HMAC-SM3), retried with growing waits",
            sharing::subscribe, req = Some(schema::<service::sharing::NewSubscription>), resp = Some(schema::<service::sharing::SubscriptionView>)),
        route!(GET "/api/v1/share/subscriptions", Roles(OVERSEERS), "Push subscriptions a department holds or feeds (every one for the authority)",
            sharing::subscriptions, req = None, resp = Some(schema::<List<service::sharing::SubscriptionView>>)),
        route!(DELETE "/api/v1/share/subscriptions/{id}", Roles(CATALOGERS), "Stop a subscription (the consumer, or the authority); pushes not yet delivered are cancelled",
            sharing::unsubscribe, req = None, resp = Some(schema::<service::sharing::SubscriptionView>)),
        route!(GET "/api/v1/share/subscriptions/{id}/pushes", Roles(OVERSEERS), "A subscription's pushes: version, changes, attempts, the body's SM3",
            sharing::pushes, req = None, resp = Some(schema::<List<service::sharing::PushView>>)),
        route!(GET "/api/v1/share/{code}/records/{key}", System, "A record by key: only the granted items, masked unless the grant obtains them; `grant` and `scenario` name the call's grant and purpose",
            sharing::record, req = None, resp = Some(schema::<service::sharing::Record>)),
        route!(POST "/api/v1/share/{code}/verify", System, "Result verification (核验): match or no match per item for a key and claimed values, never a value",
            sharing::verify, req = Some(schema::<service::sharing::VerifyRequest>), resp = Some(schema::<service::sharing::Verification>)),
        route!(POST "/api/v1/share/{code}/stats", System, "Statistics only (统计): counts and sums grouped by granted items; no group describes fewer than k records, and answers are sums of one table's cells of k or more, so differencing two answers finds nobody",
            sharing::stats, req = Some(schema::<service::sharing::StatsRequest>), resp = Some(schema::<service::sharing::Stats>)),
        route!(GET "/api/v1/share/{code}/batch", System, "Batch delivery of the granted items (CSV or Parquet) for a batch grant; each file's rows are ordered by a secret of its own so a leaked copy is traced",
            sharing::batch, req = None, resp = None),
        route!(POST "/api/v1/share/trace", Roles(SUPERVISORS), "Trace a leaked copy by the order of its keys to the batch delivery (and consumer) it came from",
            sharing::trace, req = Some(schema::<service::sharing::TraceRequest>), resp = Some(schema::<List<service::sharing::Traced>>)),
        route!(GET "/api/v1/share/reports/departments", Roles(SUPERVISORS), "How each providing department answers: share applications and correction requests answered by their due day, and overdue (LS-28a)",
            sharing::department_report, req = None, resp = Some(schema::<List<service::sharing::DepartmentSharingMetrics>>)),
        route!(POST "/api/v1/corrections", RolesOrSystem(CORRECTION_FILERS), "File a correction request (校核) on a record of a resource your department holds a grant on, by the system's token or on the console; or, at the service center, a subject's request about its own data (`subject_id`); due by the regime's working days",
            corrections::file, req = Some(schema::<service::corrections::NewCorrection>), resp = Some(schema::<service::corrections::Correction>)),
        route!(GET "/api/v1/corrections", Roles(OVERSEERS), "Correction requests a department filed or must answer (every one for the authority), with overdue flags",
            corrections::list, req = None, resp = Some(schema::<List<service::corrections::Correction>>)),
        route!(POST "/api/v1/quality-feedback", RolesOrSystem(OFFICERS), "Quality feedback (FS-08e): records of a resource your department holds a grant on that look wrong, told to the provider",
            corrections::give_feedback, req = Some(schema::<service::corrections::NewFeedback>), resp = Some(schema::<service::corrections::Feedback>)),
        route!(GET "/api/v1/quality-feedback", Roles(OVERSEERS), "Quality feedback a department gave or received (all for those who oversee)",
            corrections::feedback_list, req = None, resp = Some(schema::<List<service::corrections::Feedback>>)),
        route!(POST "/api/v1/quality-feedback/{id}/recheck", RolesOrSystem(OFFICERS), "Turn your feedback into recheck requests (复核申请), one per record, due by the regime's working days",
            corrections::recheck, req = Some(schema::<service::corrections::Recheck>), resp = Some(schema::<service::corrections::Feedback>)),
        route!(GET "/api/v1/resources/{code}/correction-rules", Authenticated, "The provider's correction rules for the resource's items: how each is verified and the evidence a request brings (SYS-28a)",
            corrections::rules, req = None, resp = Some(schema::<List<service::corrections::CorrectionRule>>)),
        route!(PUT "/api/v1/resources/{code}/correction-rules/{item}", Roles(OFFICERS), "The providing department sets the correction rule for an item of its resource (SYS-28a)",
            corrections::set_rule, req = Some(schema::<service::corrections::RuleInput>), resp = Some(schema::<service::corrections::CorrectionRule>)),
        route!(POST "/api/v1/corrections/{id}/resolve", Roles(OFFICERS), "The provider resolves a correction: confirmed_correct or corrected, with what it found",
            corrections::resolve, req = Some(schema::<service::corrections::Resolution>), resp = Some(schema::<service::corrections::Correction>)),
        route!(POST "/api/v1/exchange-channels", Roles(CATALOGERS), "Register a channel or data platform outside the platform: one built before is to be integrated or shut down, a new one is an exception awaiting approval",
            channels::register, req = Some(schema::<service::channels::NewChannel>), resp = Some(schema::<service::channels::Channel>)),
        route!(GET "/api/v1/exchange-channels", Roles(OVERSEERS), "Channels outside the platform: a department's own, every one for those who oversee",
            channels::list, req = None, resp = Some(schema::<List<service::channels::Channel>>)),
        route!(GET "/api/v1/exchange-channels/report", Roles(SUPERVISORS), "Each department's channels: how far integrated, shut down or excepted, and those outstanding",
            channels::report, req = None, resp = Some(schema::<List<service::channels::DepartmentChannels>>)),
        route!(GET "/api/v1/exchange-channels/{id}", Roles(OVERSEERS), "One channel outside the platform",
            channels::get, req = None, resp = Some(schema::<service::channels::Channel>)),
        route!(POST "/api/v1/exchange-channels/{id}/exception", Roles(OFFICERS), "Ask to keep a channel in use as an exception, with the special circumstances",
            channels::exception, req = Some(schema::<service::channels::ExceptionRequest>), resp = Some(schema::<service::channels::Channel>)),
        route!(POST "/api/v1/exchange-channels/{id}/decision", Roles(ADMIN), "Approve or refuse an exception (佛山: recording the city government's approval document)",
            channels::decide, req = Some(schema::<service::channels::ChannelDecision>), resp = Some(schema::<service::channels::Channel>)),
        route!(POST "/api/v1/exchange-channels/{id}/retirement", Roles(CATALOGERS), "Record that a channel was integrated into the platform or shut down",
            channels::retire, req = Some(schema::<service::channels::Retirement>), resp = Some(schema::<service::channels::Channel>)),
        route!(POST "/api/v1/business-items", Roles(OFFICERS), "Register a core business item of your department (核心业务梳理, LS-19a): where the regime asks, an application's scenario is one",
            business_items::register, req = Some(schema::<service::business_items::NewBusinessItem>), resp = Some(schema::<service::business_items::BusinessItem>)),
        route!(GET "/api/v1/business-items", Roles(OVERSEERS), "Core business items: a department's own, every department's for those who oversee",
            business_items::list, req = None, resp = Some(schema::<List<service::business_items::BusinessItem>>)),
        route!(POST "/api/v1/consents", Roles(COUNTER), "Record a subject's consent to a department's use of its data in a scenario (FS-31a), taken at the service center",
            sharing::record_consent, req = Some(schema::<service::sharing::consents::NewConsent>), resp = Some(schema::<service::sharing::consents::Consent>)),
        route!(GET "/api/v1/consents", Roles(COUNTER), "A subject's consents (`subject_id`), in force and revoked",
            sharing::consents, req = None, resp = Some(schema::<List<service::sharing::consents::Consent>>)),
        route!(POST "/api/v1/consents/{id}/revoke", Roles(COUNTER), "Revoke a subject's consent: the next call for it is refused",
            sharing::revoke_consent, req = None, resp = Some(schema::<service::sharing::consents::Consent>)),
        route!(POST "/api/v1/share/onward", Roles(OFFICERS), "Ask to offer on data obtained through sharing in an entry of your own that is shared or open (再提供: SYS-33b, CS-22f)",
            sharing::request_onward, req = Some(schema::<service::sharing::onward::NewOnward>), resp = Some(schema::<service::sharing::onward::Onward>)),
        route!(GET "/api/v1/share/onward", Roles(OVERSEERS), "Requests to offer on shared data a department made or must answer (every one for the authority)",
            sharing::onward_list, req = None, resp = Some(schema::<List<service::sharing::onward::Onward>>)),
        route!(POST "/api/v1/share/onward/{id}/answer", Roles(CATALOGERS), "The providing department consents (SYS-33b), or the authority approves (CS-22f), or refuses with a reason",
            sharing::answer_onward, req = Some(schema::<service::sharing::onward::OnwardAnswer>), resp = Some(schema::<service::sharing::onward::Onward>)),
        route!(POST "/api/v1/share/demands", Roles(OFFICERS), "File a data demand (供需对接): provider, items, scenario and basis; due for review by the regime's working days",
            demands::create, req = Some(schema::<service::demands::NewDemand>), resp = Some(schema::<service::demands::Demand>)),
        route!(GET "/api/v1/share/demands", Roles(OVERSEERS), "The demand list: a department's own demands and those it answers (every one for the authority), with overdue flags",
            demands::list, req = None, resp = Some(schema::<List<service::demands::Demand>>)),
        route!(POST "/api/v1/share/demands/{id}/answer", Roles(CATALOGERS), "Answer a demand: accept (cataloged), catalog (reasonable, to be cataloged and mounted) or reject with reasons",
            demands::answer, req = Some(schema::<service::demands::DemandAnswer>), resp = Some(schema::<service::demands::Demand>)),
        route!(POST "/api/v1/share/demands/{id}/mount", Roles(OFFICERS), "Mount an accepted demand's data: the published entry, with data delivered, that meets it",
            demands::mount, req = Some(schema::<service::demands::Mount>), resp = Some(schema::<service::demands::Demand>)),
        route!(POST "/api/v1/share/applications/{id}/escalate", Roles(OFFICERS), "Take a refused application to the demand list (YZ-15c): the reviewer negotiates with the provider",
            demands::escalate, req = None, resp = Some(schema::<service::demands::Demand>)),
        route!(POST "/api/v1/share/disputes", Roles(OFFICERS), "Open a dispute with another department (争议, SYS-29, FS-26c): subject, claim, and the resource or application it concerns",
            disputes::open, req = Some(schema::<service::disputes::NewDispute>), resp = Some(schema::<service::disputes::DisputeView>)),
        route!(GET "/api/v1/share/disputes", Roles(OVERSEERS), "Disputes a department is party to (every one for the authority)",
            disputes::list, req = None, resp = Some(schema::<List<service::disputes::DisputeView>>)),
        route!(GET "/api/v1/share/disputes/{id}", Roles(OVERSEERS), "One dispute with its negotiation, coordination and decision",
            disputes::get, req = None, resp = Some(schema::<service::disputes::DisputeView>)),
        route!(POST "/api/v1/share/disputes/{id}/steps", Roles(CATALOGERS), "A step: the parties settle or escalate, the filer withdraws, the coordinating authority settles, refers with its opinion, or records the decision (which may grant the data)",
            disputes::step, req = Some(schema::<service::disputes::StepInput>), resp = Some(schema::<service::disputes::DisputeView>)),
        route!(POST "/api/v1/share/upstream", Roles(OFFICERS), "Request data from outside the city (SYS-34): it goes to the department's own authority first, and only the city authority applies upward",
            disputes::file_upstream, req = Some(schema::<service::upstream::NewUpstream>), resp = Some(schema::<service::upstream::UpstreamView>)),
        route!(GET "/api/v1/share/upstream", Roles(OVERSEERS), "Upstream requests: a department's own, every one for the authority, with their state and the higher level's reference",
            disputes::upstream_list, req = None, resp = Some(schema::<List<service::upstream::UpstreamView>>)),
        route!(GET "/api/v1/share/upstream/{id}", Roles(OVERSEERS), "One upstream request",
            disputes::upstream_get, req = None, resp = Some(schema::<service::upstream::UpstreamView>)),
        route!(POST "/api/v1/share/upstream/{id}/steps", Roles(ADMIN), "An authority's step: the district's forwards or returns; the city's applies upward with the reference, records the answer, or returns",
            disputes::upstream_step, req = Some(schema::<service::upstream::UpstreamStepInput>), resp = Some(schema::<service::upstream::UpstreamView>)),
        route!(GET "/api/v1/alerts", Roles(OVERSEERS), "Warnings and alerts (报送逾期预警): a department's own, every one for the authority; `open=true` for unresolved",
            alerts::list, req = None, resp = Some(schema::<List<service::alerts::Alert>>)),
        route!(GET "/api/v1/base/{kind}", Roles(OVERSEERS), "A base database (natural_person, legal_person): its fields, each with its source department and resource, and the resources it reads (lineage)",
            basedb::describe, req = None, resp = Some(schema::<service::basedb::BaseDatabase>)),
        route!(GET "/api/v1/base/{kind}/records/{key}", Roles(ADMIN), "One subject's values from every source, each labelled with its source (the authority; audited with `purpose`)",
            basedb::lookup, req = None, resp = Some(schema::<service::basedb::Record>)),
        route!(POST "/api/v1/base/{kind}/cross-check", Roles(ADMIN), "Run the cross-source check (SYS-28c): each field that differs between its source and other departments is notified to its source department to verify",
            basedb::cross_check, req = None, resp = Some(schema::<service::basedb::CrossCheck>)),
        route!(GET "/api/v1/base/{kind}/conflicts", Roles(CATALOGERS), "Cross-source checks (多源校核): other departments' values that differ from the source's for the same key",
            basedb::conflicts, req = None, resp = Some(schema::<List<service::basedb::Conflict>>)),
        route!(GET "/api/v1/resources/{code}/backflow", Roles(CATALOGERS), "The caller's district's rows of a city resource as CSV (回流), no approval; `purpose` states the duty",
            aggregation::backflow, req = None, resp = None),
        route!(GET "/api/v1/sources", Authenticated, "The register of source departments (一数一源): each class of data, its items, its source departments and their division",
            sources::list, req = None, resp = Some(schema::<List<service::sources::Source>>)),
        route!(POST "/api/v1/sources", Roles(ADMIN), "Add a class of data to the register, with its source department(s)",
            sources::create, req = Some(schema::<service::sources::NewSource>), resp = Some(schema::<service::sources::Source>)),
        route!(PUT "/api/v1/sources/{id}", Roles(ADMIN), "Designate a class's source departments: one, or several with a division of its items (SYS-15b, SYS-15c)",
            sources::designate, req = Some(schema::<service::sources::Designate>), resp = Some(schema::<service::sources::Source>)),
        route!(POST "/api/v1/sources/statutory", Roles(ADMIN), "Add the classes the regulation names and map them to departments by name; the rest stay unassigned",
            sources::adopt, req = None, resp = Some(schema::<service::sources::Adopted>)),
        route!(GET "/api/v1/sources/repeated", Roles(OVERSEERS), "Items published resources collect though another department is their source (重复采集), open first",
            sources::repeated, req = None, resp = Some(schema::<List<service::sources::RepeatedCollection>>)),
        route!(POST "/api/v1/sources/repeated", Roles(ADMIN), "Settle a repeated collection: use_sharing or justified, with the reason",
            sources::settle, req = Some(schema::<service::sources::Settle>), resp = Some(schema::<service::sources::RepeatedCollection>)),
        route!(POST "/api/v1/sync/test", Roles(CATALOGERS), "Test a department database connection: the table's columns and rows, and which items it supplies",
            sync::test, req = Some(schema::<service::aggregation::sync::ConnectionTest>), resp = Some(schema::<service::aggregation::sync::ConnectionReport>)),
        route!(GET "/api/v1/sync/jobs", Roles(OVERSEERS), "Database sync jobs (a department's own; every one for the authority)",
            sync::list, req = None, resp = Some(schema::<List<service::aggregation::sync::SyncJob>>)),
        route!(POST "/api/v1/sync/jobs", Roles(CATALOGERS), "Set up a database sync job (PostgreSQL or MySQL/MariaDB; full or incremental; scheduled or on demand) after testing its source",
            sync::create, req = Some(schema::<service::aggregation::sync::NewSyncJob>), resp = Some(schema::<service::aggregation::sync::SyncJob>)),
        route!(GET "/api/v1/sync/jobs/{id}", Roles(OVERSEERS), "A sync job: its source (password masked), cursor, schedule and last run",
            sync::get, req = None, resp = Some(schema::<service::aggregation::sync::SyncJob>)),
        route!(DELETE "/api/v1/sync/jobs/{id}", Roles(CATALOGERS), "Remove a sync job (its batches and versions stay)",
            sync::delete, req = None, resp = None),
        route!(POST "/api/v1/sync/jobs/{id}/runs", Roles(CATALOGERS), "Run a sync job now: the batch report, or none when an incremental run found nothing new",
            sync::run, req = None, resp = Some(schema::<service::aggregation::sync::SyncRun>)),
        route!(GET "/api/v1/batches/{id}", Authenticated, "A batch's report: counts, problems by item, samples, refusal",
            aggregation::batch, req = None, resp = Some(schema::<service::aggregation::BatchReport>)),
        route!(GET "/api/v1/batches/{id}/quarantine", Roles(CATALOGERS), "A batch's quarantined rows as CSV (the provider and the authority)",
            aggregation::quarantine, req = None, resp = None),
        route!(GET "/api/v1/resources/{code}/consultation", Roles(CATALOG_READERS), "The provider's consultation on the working revision someone else wrote (YZ-7c)",
            catalog::consultation, req = None, resp = Some(schema::<service::catalog::consultations::ConsultationView>)),
        route!(POST "/api/v1/resources/{code}/consultation", Roles(CATALOGERS), "The provider records its opinion on the working revision",
            catalog::answer_consultation, req = Some(schema::<catalog::OpinionBody>), resp = Some(schema::<service::catalog::consultations::ConsultationView>)),
        route!(POST "/api/v1/resources/{code}/objections", Roles(CATALOGERS), "Object to a published entry's share or open type, proposing another (FS-16)",
            objections::raise, req = Some(schema::<objections::RaiseBody>), resp = Some(schema::<service::catalog::objections::ObjectionView>)),
        route!(GET "/api/v1/catalog/objections", Authenticated, "Objections to entries' types the caller may read, newest first",
            objections::list, req = None, resp = Some(schema::<List<service::catalog::objections::ObjectionView>>)),
        route!(GET "/api/v1/catalog/objections/{id}", Authenticated, "One objection with each party's position",
            objections::get, req = None, resp = Some(schema::<service::catalog::objections::ObjectionView>)),
        route!(POST "/api/v1/catalog/objections/{id}/positions", Roles(CATALOGERS), "Take a party's position; the case closes when all parties agree",
            objections::position, req = Some(schema::<objections::PositionBody>), resp = Some(schema::<service::catalog::objections::ObjectionView>)),
        route!(PUT "/api/v1/catalog/disclosure-authorities/{region}", Roles(ADMIN), "Name the region's government-disclosure authority (政务公开主管部门)",
            objections::set_disclosure, req = Some(schema::<objections::DisclosureBody>), resp = None),
        route!(GET "/api/v1/catalog/classification-scheme", Authenticated, "The classification and grading standard in force (SYS-11a)",
            catalog::classification_scheme, req = None, resp = Some(schema::<domain::catalog::scheme::ClassificationScheme>)),
        route!(PUT "/api/v1/catalog/classification-scheme", Roles(ADMIN), "Activate a new version of the classification and grading standard",
            catalog::set_classification_scheme, req = Some(schema::<catalog::SchemeBody>), resp = Some(schema::<domain::catalog::scheme::ClassificationScheme>)),
        route!(GET "/api/v1/catalog/reclassifications", Roles(OVERSEERS), "Published entries the standard in force no longer admits, to reclassify",
            catalog::reclassifications, req = None, resp = Some(schema::<List<service::catalog::classification::Reclassification>>)),
        route!(GET "/api/v1/sectors", Authenticated, "Sectors (系统) and their responsible departments (LS-8a)",
            catalog::sectors, req = None, resp = Some(schema::<List<service::catalog::sectors::Sector>>)),
        route!(PUT "/api/v1/sectors/{name}", Roles(ADMIN), "Designate the department responsible for a sector",
            catalog::designate_sector, req = Some(schema::<catalog::SectorBody>), resp = Some(schema::<service::catalog::sectors::Sector>)),
        route!(GET "/api/v1/catalog/queue", Roles(REVIEWERS), "What waits for the caller's review, with deadlines",
            catalog::queue, req = None, resp = Some(schema::<List<domain::catalog::view::ResourceSummary>>)),
        route!(GET "/api/v1/catalog/schema", Authenticated, "The fields an entry must fill before submission",
            catalog::schema, req = None, resp = Some(schema::<service::catalog::schema::Schema>)),
        route!(PUT "/api/v1/catalog/schema", Roles(ADMIN), "Set the required fields (编制要求)",
            catalog::set_schema, req = Some(schema::<catalog::SchemaBody>), resp = Some(schema::<service::catalog::schema::Schema>)),
        route!(GET "/api/v1/catalog/reports/classification", Roles(SUPERVISORS), "How far each department has classified and graded its entries",
            catalog::classification_report, req = None, resp = Some(schema::<List<service::catalog::reports::ClassificationRow>>)),
        route!(GET "/api/v1/catalog/reports/departments", Roles(SUPERVISORS), "Each department's catalog: completeness, conformity, open entries, timely updates",
            catalog::department_report, req = None, resp = Some(schema::<List<service::catalog::reports::DepartmentCatalogMetrics>>)),
        route!(GET "/api/v1/catalog/reports/conditions", Roles(SUPERVISORS), "Published entries shared on conditions the platform cannot enforce (other), for supervision",
            catalog::conditions_report, req = None, resp = Some(schema::<List<service::catalog::reports::ManualCondition>>)),
        route!(GET "/api/v1/catalog/reassessments", Roles(CATALOG_READERS), "Published entries whose attributes are due for their periodic reassessment",
            catalog::reassessments, req = None, resp = Some(schema::<List<service::catalog::read::Reassessment>>)),
        route!(GET "/api/v1/catalog/obligations", Roles(OVERSEERS), "Update obligations after a change of law or duties, with due dates",
            catalog::obligations, req = None, resp = Some(schema::<List<service::catalog::obligations::Obligation>>)),
        route!(POST "/api/v1/catalog/obligations/{id}/filing", Roles(ADMIN), "Acknowledge the filing (备案) of a fulfilled update",
            catalog::file_obligation, req = None, resp = Some(schema::<service::catalog::obligations::Obligation>)),
        route!(POST "/api/v1/catalog/obligations", Roles(CATALOGERS), "Record a change of law or duties and when the update is due",
            catalog::create_obligation, req = Some(schema::<catalog::ObligationBody>), resp = Some(schema::<service::catalog::obligations::Obligation>)),
        route!(GET "/api/v1/catalog/views/{view}", Authenticated, "A view of the published catalog (catalog, share, open, or a list); `format` downloads CSV, XLSX or JSON",
            catalog::view, req = None, resp = Some(schema::<service::catalog::views::Table>)),
        route!(GET "/api/v1/catalog/lists/{kind}/{year}", Authenticated, "A year's list as published, or derived now until it is",
            catalog::list, req = None, resp = Some(schema::<service::catalog::views::Table>)),
        route!(POST "/api/v1/catalog/lists/{kind}/{year}", Roles(ADMIN), "Publish a year's version of a list to the departments",
            catalog::publish_list, req = None, resp = Some(schema::<service::catalog::views::Table>)),
        route!(POST "/api/v1/catalog/lists/{kind}/{year}/submissions", Roles(CATALOGERS), "Submit the department's list of the year (share, open or scenario list), derived from its published entries",
            catalog::submit_list, req = Some(schema::<catalog::SubmitListBody>), resp = Some(schema::<service::catalog::views::Table>)),
        route!(GET "/api/v1/catalog/lists/{kind}/{year}/submissions/{department_id}", Roles(OVERSEERS), "A department's list of the year as it submitted it",
            catalog::submitted_list, req = None, resp = Some(schema::<service::catalog::views::Table>)),
        route!(GET "/api/v1/catalog/submissions/{year}", Roles(OVERSEERS), "Who has submitted which yearly lists, and who is overdue after the cut-off",
            catalog::submission_report, req = None, resp = Some(schema::<service::catalog::annual_lists::SubmissionReport>)),
        route!(PUT "/api/v1/catalog/submissions/{year}/cutoff", Roles(ADMIN), "Set the day by which the year's lists are due",
            catalog::set_list_cutoff, req = Some(schema::<catalog::CutoffBody>), resp = Some(schema::<service::catalog::annual_lists::SubmissionReport>)),
        route!(GET "/api/v1/open/export", Public, "The open catalog as a table, or as CSV, XLSX or JSON",
            catalog::open_export, req = None, resp = Some(schema::<service::catalog::views::Table>)),
        route!(GET "/api/v1/open/resources", Public, "The open catalog (开放目录), for anyone",
            catalog::open_catalog, req = None, resp = Some(schema::<catalog::SearchPage<domain::catalog::view::ResourceSummary>>)),
        route!(GET "/api/v1/open/resources/{code}", Public, "An entry of the open catalog",
            catalog::open_get, req = None, resp = Some(schema::<domain::catalog::view::ResourceView>)),
        route!(GET "/api/v1/open/changes", Public, "The open catalog's change log: entries added, updated and withdrawn, newest first; `since` a date",
            catalog::open_changes, req = None, resp = Some(schema::<service::catalog::open_changes::OpenChanges>)),
        route!(GET "/api/v1/projects", Roles(OVERSEERS), "IT projects", projects::list,
            req = None, resp = Some(schema::<List<service::catalog::projects::Project>>)),
        route!(POST "/api/v1/projects", Roles(CATALOGERS), "Register an IT project", projects::create,
            req = Some(schema::<projects::ProjectBody>), resp = Some(schema::<service::catalog::projects::Project>)),
        route!(GET "/api/v1/projects/{id}", Roles(OVERSEERS), "One IT project", projects::get,
            req = None, resp = Some(schema::<service::catalog::projects::Project>)),
        route!(POST "/api/v1/projects/{id}/resources", Roles(CATALOGERS), "Link the entries the project must deliver",
            projects::link, req = Some(schema::<projects::LinkBody>), resp = Some(schema::<service::catalog::projects::Project>)),
        route!(PUT "/api/v1/projects/{id}/docking", Roles(CATALOGERS), "Record the system's docking document and its reserved share and open interfaces (CS-13c)",
            projects::docking, req = Some(schema::<projects::DockingBody>), resp = Some(schema::<service::catalog::projects::Project>)),
        route!(GET "/api/v1/projects/{id}/check", Roles(OVERSEERS), "The approval, online or acceptance gate: what is missing",
            projects::check, req = None, resp = Some(schema::<domain::catalog::gates::GateReport>)),
        route!(POST "/api/v1/projects/{id}/stage", Roles(CATALOGERS), "Move a project to its next stage, through its gate",
            projects::stage, req = Some(schema::<projects::StageBody>), resp = Some(schema::<service::catalog::projects::Project>)),
        route!(GET "/api/v1/audit/events", Roles(AUDITOR), "Search the audit log", audit::search,
            req = None, resp = Some(schema::<List<domain::orgs::AuditEvent>>)),
        route!(GET "/api/v1/audit/export", Roles(AUDITOR), "Export the audit log as JSON lines or CSV", audit::export,
            req = None, resp = None),
        route!(GET "/api/v1/audit/verify", Roles(AUDITOR), "Walk the SM3 chain and report the first broken link",
            audit::verify, req = None, resp = Some(schema::<store_types::VerifyReport>)),
    ]
}

/// Shapes the store defines that the API shows.
pub mod store_types {
    pub use service::audit::VerifyReport;
}

/// A list answer: `{"items": [...], "total": N}`.
#[derive(serde::Serialize, JsonSchema)]
pub struct List<T> {
    pub items: Vec<T>,
    pub total: i64,
}

pub fn router(state: AppState) -> Router {
    let max_body = state.options.max_body_bytes;
    let mut api = Router::new();
    for spec in api_routes() {
        let access = spec.access;
        api = api.route(
            spec.path,
            spec.handler.route_layer(middleware::from_fn_with_state((state.clone(), access), authorize)),
        );
    }
    api.merge(crate::pages::router())
        .fallback(|| async { ApiError::not_found_route() })
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .layer(axum::extract::DefaultBodyLimit::max(max_body))
        .with_state(state)
}

/// Authenticates the bearer token (if any), checks the route's access, and hands the caller to the handler.
async fn authorize(State((state, access)): State<(AppState, Access)>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let addr = client_addr(&parts);
    let actor = match bearer(&parts.headers) {
        Some(token) => match service::auth::authenticate(&state.platform, token, &addr).await {
            Ok((actor, _)) => actor,
            Err(service::Error::Unauthenticated) => {
                if access == Access::Public {
                    Actor::anonymous(addr)
                } else {
                    return ApiError::unauthenticated().into_response();
                }
            }
            Err(e) => return ApiError::from(e).into_response(),
        },
        None => Actor::anonymous(addr),
    };
    if !access.allows(&actor) {
        if actor.kind == ActorKind::Anonymous {
            return ApiError::unauthenticated().into_response();
        }
        let mut event = actor.event("access.denied", "route", parts.uri.path().to_string());
        event.result = "denied".into();
        event.detail = format!("{} requires {}", parts.method, access.describe());
        if let Err(e) = state.platform.audit_writer.append(event).await {
            return ApiError::from(e).into_response();
        }
        return ApiError::forbidden().into_response();
    }
    parts.extensions.insert(Caller(actor));
    next.run(Request::from_parts(parts, body)).await
}

/// How much of a body over the limit is still read, and for how long, before it is refused: a client still sending
/// when the refusal is written would otherwise find the connection reset and never read the 413 (the unread bytes
/// make the kernel answer with a reset). Past this it is reset anyway.
const OVERSIZE_DRAIN_BYTES: usize = 16 << 20;
const OVERSIZE_DRAIN_TIME: std::time::Duration = std::time::Duration::from_secs(5);

/// The body, if it is at most `max` bytes; `None` (after reading and dropping the rest, within bounds) otherwise.
async fn read_within(body: axum::body::Body, max: usize) -> Option<axum::body::Bytes> {
    use futures_util::StreamExt;
    let mut stream = body.into_data_stream();
    let mut kept = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.ok()?;
        if kept.len() + chunk.len() > max {
            let mut seen = kept.len() + chunk.len();
            let _ = tokio::time::timeout(OVERSIZE_DRAIN_TIME, async {
                while seen <= OVERSIZE_DRAIN_BYTES {
                    match stream.next().await {
                        Some(Ok(more)) => seen += more.len(),
                        _ => break,
                    }
                }
            })
            .await;
            return None;
        }
        kept.extend_from_slice(&chunk);
    }
    Some(kept.into())
}

/// Refuses text holding a NUL character, in the address or in a JSON or form body. PostgreSQL cannot store it
/// (and SQLite would, so the two backends would differ); no field has a use for it. Answers the request to pass on
/// (its body read, if it was checked) or the refusal.
async fn refuse_nul(max_body: usize, request: Request) -> Result<Request, Response> {
    let refused = || {
        ApiError::bad_request(
            "invalid_text",
            "请求中含有空字符（NUL，\\u0000 或 %00），请删除后重试",
            "The request holds a NUL character (\\u0000 or %00): remove it and try again",
        )
        .into_response()
    };
    if request.uri().path_and_query().is_some_and(|pq| pq.as_str().as_bytes().windows(3).any(|w| w.eq_ignore_ascii_case(b"%00"))) {
        return Err(refused());
    }
    // A delivered batch is data, streamed to disk and checked row by row, not a request to hold in memory.
    let path = request.uri().path();
    if request.method() == axum::http::Method::POST && path.starts_with("/api/v1/resources/") && path.ends_with("/batches") {
        return Ok(request);
    }
    let kind = request.headers().get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    let json = kind.starts_with("application/json");
    let form = kind.starts_with("application/x-www-form-urlencoded");
    if !json && !form {
        return Ok(request);
    }
    let (parts, body) = request.into_parts();
    let Some(bytes) = read_within(body, max_body).await else { return Err(crate::extract::too_large().into_response()) };
    let has_nul = if json { json_has_nul(&bytes) } else { bytes.windows(3).any(|w| w.eq_ignore_ascii_case(b"%00")) };
    if has_nul || bytes.contains(&0) {
        return Err(refused());
    }
    Ok(Request::from_parts(parts, axum::body::Body::from(bytes)))
}

/// Whether JSON text escapes a NUL: `\u0000` after an odd number of backslashes (an even number is a literal
/// backslash followed by the letters).
fn json_has_nul(bytes: &[u8]) -> bool {
    bytes.windows(6).enumerate().any(|(i, w)| {
        w[0] == b'\\' && w[1..].eq_ignore_ascii_case(b"u0000") && bytes[..i].iter().rev().take_while(|b| **b == b'\\').count().is_multiple_of(2)
    })
}

/// Every request's way in and out: refuses NUL text ([`refuse_nul`]), counts the request for `/metrics` and logs it.
/// One layer rather than one each: each layer costs a boxed future and a clone of the routes per request.
async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let matched = request.extensions().get::<MatchedPath>().cloned();
    let route = matched.as_ref().map(MatchedPath::as_str).unwrap_or("unmatched");
    let response = match refuse_nul(state.options.max_body_bytes, request).await {
        Ok(request) => next.run(request).await,
        Err(refused) => refused,
    };
    let status = response.status();
    state.metrics.record(method.as_str(), route, status.as_u16(), started.elapsed().as_secs_f64());
    // Every call is in the audit log already; a line per request would cost a busy sharing API more than the
    // lookup itself. Failures are logged where they happen.
    tracing::debug!(%method, %route, status = status.as_u16(), ms = started.elapsed().as_millis() as u64, "request");
    if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE && response.headers().get(axum::http::header::CONTENT_TYPE).map(|v| v != "application/json").unwrap_or(true) {
        return crate::extract::too_large().into_response();
    }
    response
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_nul_escape_is_found_but_an_escaped_backslash_is_not() {
        assert!(super::json_has_nul(br#"{"name": "a\u0000b"}"#));
        assert!(super::json_has_nul(br#"{"name": "a\\\U0000b"}"#), "three backslashes: one escaped, one escaping");
        assert!(!super::json_has_nul(br#"{"name": "a\\u0000b"}"#), "two backslashes: the text says \\u0000");
        assert!(!super::json_has_nul(br#"{"name": "u0000"}"#));
    }
}
