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

/// The request-body schema of `/invocations`, resolvable on its own.
fn rows_body_schema() -> jsonschema::Validator {
    validator(&serde_json::json!({"$ref": "#/components/schemas/RowsBody"}))
}

/// `schema`, whose `$ref`s point into the document's components, made a validator.
fn validator(schema: &Value) -> jsonschema::Validator {
    let document: Value = serde_json::from_str(&openapi_json().unwrap()).unwrap();
    let mut schema = schema.clone();
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema".into();
    schema["components"] = document["components"].clone();
    jsonschema::validator_for(&schema).expect("the schema compiles")
}

#[tokio::test]
async fn the_repository_index_answers_as_documented() {
    let index = validator(&serde_json::json!({
        "type": "array",
        "items": {"$ref": "#/components/schemas/V2RepositoryIndexEntry"},
    }));
    let request = validator(&serde_json::json!({
        "$ref": "#/components/schemas/V2RepositoryIndexRequest",
    }));
    let loading = berth_serve::router(berth_serve::AppState::new(
        berth_serve::ServeConfig {
            model_name: Some(berth_serve::ModelName::parse("iris").unwrap()),
            ..berth_serve::ServeConfig::default()
        },
        "test",
    ));
    let ready = app("iris_logreg").await;
    for app in [&loading, &ready] {
        for body in ["{}", r#"{"ready": true}"#, r#"{"ready": null}"#] {
            assert!(
                request.is_valid(&serde_json::from_str(body).unwrap()),
                "{body}"
            );
            let post = Request::post("/v2/repository/index")
                .body(Body::from(body))
                .unwrap();
            let answer = send(app, post).await;
            assert_eq!(answer.status, StatusCode::OK, "{body}: {}", answer.body);
            assert!(index.is_valid(&answer.json()), "{body}: {}", answer.body);
        }
    }
    for refused in [r#"{"ready": 1}"#, "[]"] {
        assert!(
            !request.is_valid(&serde_json::from_str(refused).unwrap()),
            "{refused}"
        );
        let post = Request::post("/v2/repository/index")
            .body(Body::from(refused))
            .unwrap();
        assert_eq!(
            send(&ready, post).await.status,
            StatusCode::BAD_REQUEST,
            "{refused}"
        );
    }
}

#[tokio::test]
async fn the_documented_request_body_is_as_strict_as_the_server() {
    let validator = rows_body_schema();
    let iris = app("iris_logreg").await;
    let named = app("mixed_columns").await;
    // (model, body, accepted): bodies the server takes must validate; bodies it refuses for their
    // shape alone (whatever the model) must not.
    let cases = [
        (&iris, r#"{"instances": [[5.1, 3.5, 1.4, 0.2]]}"#, true),
        (
            &iris,
            r#"[[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]"#,
            true,
        ),
        (&iris, r#"[5.1, 3.5, 1.4, 0.2]"#, true),
        (&iris, r#"{"features": [5.1, 3.5, 1.4, 0.2]}"#, true),
        (
            &iris,
            r#"{"inputs": {"features": [[5.1, 3.5, 1.4, 0.2]]}}"#,
            true,
        ),
        (&iris, r#"[{"features": [5.1, 3.5, 1.4, 0.2]}]"#, true),
        (
            &named,
            r#"{"dataframe_split": {"columns": ["size", "colour", "weight"], "data": [[1.5, "red", 2]]}}"#,
            true,
        ),
        (
            &named,
            r#"{"columns": ["size", "colour", "weight"], "index": [0], "data": [[1.5, "red", 2]]}"#,
            true,
        ),
        (
            &named,
            r#"{"dataframe_records": [{"size": 1.5, "colour": "red", "weight": 2}]}"#,
            true,
        ),
        (
            &named,
            r#"[{"size": 1.5, "colour": "red", "weight": 2}]"#,
            true,
        ),
        (
            &named,
            r#"{"size": 1.5, "colour": "red", "weight": 2}"#,
            true,
        ),
        (&iris, "[{}]", false),
        (&iris, "{}", false),
        (&iris, "[]", false),
        (&iris, "[[]]", false),
        (&iris, r#"{"instances": []}"#, false),
        (
            &iris,
            r#"{"instances": [[5.1, 3.5, 1.4, 0.2]], "extra": 1}"#,
            false,
        ),
        (&iris, r#"{"instances": [[5.1, 3.5, {}, 0.2]]}"#, false),
        (
            &iris,
            r#"{"dataframe_split": {"data": [[1, 2, 3, 4]]}}"#,
            false,
        ),
        (&iris, r#"{"dataframe_records": []}"#, false),
        (&iris, r#""text""#, false),
        (&iris, "5", false),
    ];
    for (app, body, accepted) in cases {
        let json: Value = serde_json::from_str(body).unwrap();
        let valid = validator.is_valid(&json);
        let answer = common::post(app, "application/json", body).await;
        if accepted {
            assert_eq!(answer.status, StatusCode::OK, "{body}: {}", answer.body);
            assert!(valid, "the server takes {body}, the document refuses it");
        } else {
            assert_eq!(
                answer.status,
                StatusCode::BAD_REQUEST,
                "{body}: {}",
                answer.body
            );
            assert!(!valid, "the server refuses {body}, the document admits it");
        }
    }
}
