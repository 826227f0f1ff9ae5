//! `docs/openapi.yaml` and the router describe the same routes, and `/openapi.json` serves it.

mod common;

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use berth_serve::{openapi_json, route_list};
use common::{app, get, send};
use serde_json::Value;

fn documented() -> BTreeSet<(String, String)> {
    let document: Value =
        serde_json::from_str(&openapi_json().expect("docs/openapi.yaml parses")).unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    let mut routes = BTreeSet::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for method in item.as_object().unwrap().keys() {
            if ["get", "post", "put", "delete", "patch", "head", "options"]
                .contains(&method.as_str())
            {
                routes.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    routes
}

#[test]
fn every_route_is_documented_and_every_documented_route_exists() {
    let served: BTreeSet<(String, String)> = route_list().into_iter().collect();
    let documented = documented();
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let phantom: Vec<_> = documented.difference(&served).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from docs/openapi.yaml: {undocumented:?}"
    );
    assert!(
        phantom.is_empty(),
        "docs/openapi.yaml documents routes berth does not serve: {phantom:?}"
    );
}

#[test]
fn every_operation_has_a_unique_id_and_responses() {
    let document: Value = serde_json::from_str(&openapi_json().unwrap()).unwrap();
    let mut ids = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let id = operation["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path}: no operationId"));
            assert!(ids.insert(id.to_owned()), "duplicate operationId {id}");
            assert!(
                operation["responses"]
                    .as_object()
                    .is_some_and(|r| !r.is_empty()),
                "{method} {path}"
            );
        }
    }
}

#[tokio::test]
async fn the_document_is_served_and_every_documented_route_answers() {
    let app = app("iris_logreg").await;
    let answer = get(&app, "/openapi.json").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.json()["info"]["title"], "berth");
    for (method, path) in documented() {
        let uri = path
            .replace("{name}", "iris_logreg")
            .replace("{version}", "1");
        let request = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).unwrap())
            .uri(&uri)
            .header("content-type", "application/json")
            .body(Body::from("{}"))
            .unwrap();
        let status = send(&app, request).await.status;
        assert!(
            status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED,
            "{method} {uri}: {status}"
        );
    }
}
