//! The HTTP floor for `bench/share.sh`: a bare axum handler answering a fixed JSON body, served the way
//! `web::serve` serves the platform (same runtime, same server loop), so the sharing API's figures can be read
//! against what HTTP alone costs on this machine. Usage: `http_floor 127.0.0.1:PORT`.

use axum::routing::get;
use axum::Router;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:18090".into());
    let body = r#"{"resource_code":"230500-003-00001","version":1,"grant_id":1,"values":{"xm":"张三","xb":"1"},"masked":[]}"#;
    let app = Router::new().route("/{*rest}", get(move || async move { ([("content-type", "application/json")], body) }));
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    web::serve(listener, app).await
}
