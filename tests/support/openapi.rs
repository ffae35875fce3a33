//! Validation of JSON bodies against a schema of an OpenAPI document (the subset X's spec uses:
//! `$ref`, `type`, `properties`, `required`, `additionalProperties: false`, `pattern`, `enum`,
//! `items`, `minItems`/`maxItems`, `minLength`/`maxLength`, `minimum`/`maximum`).
//!
//! X's official spec is read from `../shared/data/x-openapi.json` (see [`super::shared_data`]: CI
//! fails without it, elsewhere the checks are skipped visibly); it is never copied into this repository.

#![allow(dead_code)]

use serde_json::Value;

/// The spec, when present.
pub fn x_spec() -> Option<&'static Value> {
    // Read and parsed once (828 KB): the fake X checks every request against it.
    static SPEC: std::sync::OnceLock<Option<Value>> = std::sync::OnceLock::new();
    SPEC.get_or_init(|| {
        let path = super::shared_data::shared_data("x-openapi.json")?;
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        Some(serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
    })
    .as_ref()
}

/// Validates `value` against the component schema `name`; the error says where and why.
pub fn validate(spec: &Value, name: &str, value: &Value) -> Result<(), String> {
    let schema = spec["components"]["schemas"].get(name).ok_or_else(|| format!("no schema {name}"))?;
    check(spec, schema, value, "$")
}

fn resolve<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/")) {
        Some(path) => path.split('/').fold(spec, |v, k| &v[k]),
        None => schema,
    }
}

fn check(spec: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    let schema = resolve(spec, schema);
    if let Some(t) = schema.get("type").and_then(Value::as_str) {
        let ok = match t {
            "object" => value.is_object(),
            "string" => value.is_string(),
            "boolean" => value.is_boolean(),
            "array" => value.is_array(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            _ => true,
        };
        if !ok {
            return Err(format!("{at}: expected {t}, got {value}"));
        }
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array)
        && !options.contains(value)
    {
        return Err(format!("{at}: {value} is not one of {options:?}"));
    }
    if let (Some(p), Some(s)) = (schema.get("pattern").and_then(Value::as_str), value.as_str())
        && !regex::Regex::new(p).map_err(|e| e.to_string())?.is_match(s)
    {
        return Err(format!("{at}: {s:?} does not match {p}"));
    }
    if let Some(s) = value.as_str() {
        let n = s.chars().count() as u64;
        if schema.get("minLength").and_then(Value::as_u64).is_some_and(|m| n < m)
            || schema.get("maxLength").and_then(Value::as_u64).is_some_and(|m| n > m)
        {
            return Err(format!("{at}: length {n} out of bounds"));
        }
    }
    if let Some(n) = value.as_f64()
        && (schema.get("minimum").and_then(Value::as_f64).is_some_and(|m| n < m)
            || schema.get("maximum").and_then(Value::as_f64).is_some_and(|m| n > m))
    {
        return Err(format!("{at}: {n} out of bounds"));
    }
    if let Some(items) = value.as_array() {
        let n = items.len() as u64;
        if schema.get("minItems").and_then(Value::as_u64).is_some_and(|m| n < m)
            || schema.get("maxItems").and_then(Value::as_u64).is_some_and(|m| n > m)
        {
            return Err(format!("{at}: {n} items out of bounds"));
        }
        if let Some(item_schema) = schema.get("items") {
            for (i, item) in items.iter().enumerate() {
                check(spec, item_schema, item, &format!("{at}[{i}]"))?;
            }
        }
    }
    if let Some(obj) = value.as_object() {
        let props = schema.get("properties").and_then(Value::as_object);
        for required in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
            let key = required.as_str().unwrap_or_default();
            if !obj.contains_key(key) {
                return Err(format!("{at}: missing required {key}"));
            }
        }
        for (k, v) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(s) => check(spec, s, v, &format!("{at}.{k}"))?,
                None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    return Err(format!("{at}: unknown property {k}"));
                }
                None => {}
            }
        }
    }
    Ok(())
}
