//! The explorer's page and its assets, embedded in the binary: the page, its script and
//! style, and the vendored chart library (uPlot, MIT, with its licence). Nothing else is
//! served from disk.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

/// (name, content type, bytes) of every asset.
const ASSETS: [(&str, &str, &str); 5] = [
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../assets/explorer/app.js"),
    ),
    (
        "style.css",
        "text/css; charset=utf-8",
        include_str!("../../../../assets/explorer/style.css"),
    ),
    (
        "uPlot.iife.min.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../assets/explorer/vendor/uPlot.iife.min.js"),
    ),
    (
        "uPlot.min.css",
        "text/css; charset=utf-8",
        include_str!("../../../../assets/explorer/vendor/uPlot.min.css"),
    ),
    (
        "uPlot-LICENSE",
        "text/plain; charset=utf-8",
        include_str!("../../../../assets/explorer/vendor/uPlot-LICENSE"),
    ),
];

/// `GET /`: the page.
pub async fn page() -> Response {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        include_str!("../../../../assets/explorer/index.html"),
    )
        .into_response()
}

/// `GET /assets/{file}`: one embedded asset.
pub async fn asset(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == file) {
        Some((_, kind, text)) => ([(header::CONTENT_TYPE, *kind)], *text).into_response(),
        None => (StatusCode::NOT_FOUND, "not found\n").into_response(),
    }
}
