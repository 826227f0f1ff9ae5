//! The benchmark ceiling: the same socket, HTTP stack and routes as berth, and no work at all.
//!
//! `POST /invocations` reads the whole body and answers a fixed `{"predictions":[0]}`;
//! `GET /ping` answers 200. Listens on 127.0.0.1:$PORT (default 8080). Whatever berth loses
//! against this server is the cost of decoding, inference and encoding.

use axum::Router;
use axum::body::Bytes;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};

async fn invocations(body: Bytes) -> impl IntoResponse {
    std::hint::black_box(body.len());
    (
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"predictions":[0]}"#,
    )
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(8080);
    let app = Router::new()
        .route("/ping", get(|| async { "ok" }))
        .route("/invocations", post(invocations));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    axum::serve(listener, app).await
}
