//! The HTTP layer of Shuyuan: JSON REST under `/api/v1` and the server-rendered console. Handlers are thin:
//! they extract, call one service function, and map the result. Every API route is declared once in
//! [`routes::api_routes`] with who may call it; the router, the access check, the OpenAPI document and the
//! authorization-matrix test all read that one table.

pub mod api;
pub mod error;
pub mod extract;
pub mod i18n;
pub mod metrics;
pub mod openapi;
pub mod pages;
pub mod routes;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use service::Platform;

/// Settings of the web layer.
#[derive(Debug, Clone)]
pub struct WebOptions {
    /// Mark cookies `Secure` (only sent over HTTPS). Off for plain-HTTP loopback demos.
    pub secure_cookies: bool,
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// The largest data file a delivery may upload, in bytes (streamed to disk, never held in memory).
    pub max_upload_bytes: u64,
}

impl Default for WebOptions {
    fn default() -> Self {
        WebOptions { secure_cookies: true, max_body_bytes: 1024 * 1024, max_upload_bytes: 4 << 30 }
    }
}

/// What every handler shares. Axum clones the state for each request and each middleware layer: one reference
/// count to touch, not one per part (on two busy cores the shared counters were a measurable cost per call).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub platform: Arc<Platform>,
    pub options: WebOptions,
    pub metrics: metrics::Metrics,
    pub templates: minijinja::Environment<'static>,
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The whole application.
pub fn app(platform: Arc<Platform>, options: WebOptions) -> Router {
    let state = AppState(Arc::new(Shared {
        platform,
        options: options.clone(),
        metrics: metrics::Metrics::default(),
        templates: pages::templates(),
    }));
    routes::router(state)
}

/// The HTTP floor for `bench/share.sh`: a bare handler answering a fixed JSON body, served by [`serve`] like the
/// platform, so the sharing API's figures can be read against what HTTP alone costs on the same machine.
pub fn http_floor() -> Router {
    let body = r#"{"resource_code":"230500-003-00001","version":1,"grant_id":1,"values":{"xm":"张**","xb":"1"},"masked":["xm"]}"#;
    Router::new().fallback(axum::routing::get(move || async move { ([(axum::http::header::CONTENT_TYPE, "application/json")], body) }))
}

/// Serves until Ctrl-C or SIGTERM (a service manager's stop), finishing the requests in flight.
pub async fn serve(listener: tokio::net::TcpListener, app: Router) -> std::io::Result<()> {
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async {
            let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending::<()>().await } } => {}
            }
        })
        .await
}
