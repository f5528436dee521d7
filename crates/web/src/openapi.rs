//! The OpenAPI document, generated from the route table and the request and response types' JSON schemas.

use schemars::generate::SchemaSettings;
use serde_json::{json, Map, Value};

use crate::error::ErrorBody;
use crate::routes::{api_routes, Access};

pub fn document() -> Value {
    let mut generator = SchemaSettings::openapi3().into_generator();
    let error_schema = generator.subschema_for::<ErrorBody>().to_value();
    let mut paths = Map::new();
    for spec in api_routes() {
        let mut op = Map::new();
        op.insert("summary".into(), json!(spec.summary));
        op.insert("description".into(), json!(format!("Who may call: {}.", spec.access.describe())));
        op.insert("operationId".into(), json!(operation_id(spec.method.as_str(), spec.path)));
        let params: Vec<Value> = spec
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        if !params.is_empty() {
            op.insert("parameters".into(), Value::Array(params));
        }
        if let Some(req) = spec.request {
            let schema = req(&mut generator).to_value();
            op.insert("requestBody".into(), json!({"required": true, "content": {"application/json": {"schema": schema}}}));
        }
        let ok = match spec.response {
            Some(resp) => json!({"description": "OK", "content": {"application/json": {"schema": resp(&mut generator).to_value()}}}),
            None => json!({"description": "OK"}),
        };
        let err = json!({"description": "Error", "content": {"application/json": {"schema": error_schema.clone()}}});
        let mut responses = Map::new();
        responses.insert("200".into(), ok);
        for code in ["400", "401", "403", "404", "409", "413", "422", "429"] {
            responses.insert(code.into(), err.clone());
        }
        op.insert("responses".into(), Value::Object(responses));
        if spec.access != Access::Public {
            op.insert("security".into(), json!([{"bearer": []}]));
        }
        let entry = paths.entry(spec.path.to_string()).or_insert_with(|| json!({}));
        entry[spec.method.as_str().to_lowercase()] = Value::Object(op);
    }
    let schemas = generator.take_definitions(true);
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "数源 Shuyuan API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The municipal public data platform. Errors are {\"error\": {\"code\", \"message\", \"message_en\"}}; lists are {\"items\", \"total\"} with limit and offset."
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}
        }
    })
}

fn operation_id(method: &str, path: &str) -> String {
    let mut id = method.to_lowercase();
    for seg in path.split('/').filter(|s| !s.is_empty() && *s != "api" && *s != "v1") {
        id.push('_');
        id.push_str(&seg.replace(['{', '}'], "").replace(['.', '-'], "_"));
    }
    id
}
