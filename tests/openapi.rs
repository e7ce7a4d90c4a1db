//! Every answer the end-to-end tests get is checked against `openapi.yaml`: its status must be
//! one the operation documents, and its JSON body must match the documented schema. OpenAPI 3.0
//! schemas become JSON Schema here (`nullable` → `anyOf` with `null`), as schemathesis reads them.

use std::sync::OnceLock;

use serde_json::{json, Map, Value};

struct Document {
    paths: Value,
    /// `components`, converted, for `$ref`s into it.
    components: Value,
}

fn document() -> &'static Document {
    static DOCUMENT: OnceLock<Document> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let text =
            std::fs::read_to_string(crate::project_root().join("openapi.yaml")).expect("openapi.yaml is readable");
        let raw: Value = serde_norway::from_str(&text).expect("openapi.yaml is YAML");
        Document { paths: raw["paths"].clone(), components: to_json_schema(&raw["components"]) }
    })
}

/// OpenAPI 3.0's schema dialect as JSON Schema.
fn to_json_schema(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut converted: Map<String, Value> = map
                .iter()
                .filter(|(key, _)| {
                    !matches!(key.as_str(), "nullable" | "example" | "discriminator" | "xml" | "externalDocs")
                })
                .map(|(key, value)| (key.clone(), to_json_schema(value)))
                .collect();
            if map.get("nullable") == Some(&Value::Bool(true)) {
                let inner = Value::Object(std::mem::take(&mut converted));
                return json!({"anyOf": [inner, {"type": "null"}]});
            }
            Value::Object(converted)
        }
        Value::Array(items) => Value::Array(items.iter().map(to_json_schema).collect()),
        other => other.clone(),
    }
}

/// The operation's documented answer for `status`, following `$ref`s to `components/responses`.
fn documented_response(method: &str, path: &str, status: u16) -> Result<Value, String> {
    let doc = document();
    let operation = &doc.paths[path][method.to_ascii_lowercase()];
    if operation.is_null() {
        return Err(format!("openapi.yaml has no {method} {path}"));
    }
    let responses = &operation["responses"];
    let response = [status.to_string(), format!("{}XX", status / 100), "default".to_owned()]
        .iter()
        .map(|key| &responses[key])
        .find(|r| !r.is_null())
        .ok_or_else(|| format!("{method} {path} does not document status {status}"))?;
    Ok(match response["$ref"].as_str().and_then(|r| r.strip_prefix("#/components/responses/")) {
        Some(name) => doc.components["responses"][name].clone(),
        None => response.clone(),
    })
}

/// Whether an answer conforms to the document: its status documented, its JSON body valid.
pub fn check(method: &str, path: &str, status: u16, body: &Value) -> Result<(), String> {
    let response = documented_response(method, path, status)?;
    let Some(content) = response["content"].as_object() else {
        return match body {
            Value::Null => Ok(()),
            _ => Err(format!("{method} {path} {status} documents no body, but one came: {body}")),
        };
    };
    let Some(schema) = content.get("application/json").map(|c| c["schema"].clone()) else {
        return Ok(()); // text (the webhook handshake's challenge)
    };
    let mut root = match to_json_schema(&schema) {
        Value::Object(map) => map,
        _ => return Err(format!("{method} {path} {status}: the schema is not an object")),
    };
    // An object with only a `$ref` keeps `components` beside it, so that the `$ref` resolves.
    if root.contains_key("$ref") {
        root = Map::from_iter([("allOf".to_owned(), json!([Value::Object(root)]))]);
    }
    root.insert("components".into(), document().components.clone());
    let validator = jsonschema::draft4::new(&Value::Object(root)).map_err(|err| format!("{method} {path}: {err}"))?;
    let errors: Vec<String> =
        validator.iter_errors(body).take(5).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!("{method} {path} {status} does not match openapi.yaml: {}\n{body}", errors.join("; ")))
    }
}
