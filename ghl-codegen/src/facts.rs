//! HighLevel's OpenAPI files → the facts file (one JSON document per area).
//!
//! Only facts are kept: method, path, parameters, body and answer types, required flags, enum
//! values, the `Version` header, scopes and scalar examples. Prose descriptions are dropped.
//! Types are named after the spec's component schemas; inline objects and enums get the name of
//! their context (`Parent` + `Field`, `OperationId` + `Param` / `Body` / `Answer`). Only types an
//! operation reaches are kept. Keys and lists are sorted, so the output does not depend on the
//! order of the input's maps.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

/// Converts one OpenAPI document to the facts of its area.
pub fn area_facts(area: &str, doc: &Value) -> Result<Value, String> {
    let mut conv = Converter {
        doc,
        names: BTreeMap::new(),
        used: BTreeSet::new(),
        types: BTreeMap::new(),
    };
    let mut operations = Vec::new();
    let paths = doc
        .get("paths")
        .and_then(Value::as_object)
        .ok_or("no paths")?;
    for (path, item) in paths {
        let item = item.as_object().ok_or("path item is not an object")?;
        for (method, op) in item {
            if !matches!(
                method.as_str(),
                "get" | "post" | "put" | "patch" | "delete" | "head" | "options"
            ) {
                continue;
            }
            operations.push(conv.operation(path, method, op)?);
        }
    }
    operations.sort_by(|a, b| {
        (a["path"].as_str(), method_rank(&a["method"]))
            .cmp(&(b["path"].as_str(), method_rank(&b["method"])))
    });
    let types: Vec<Value> = conv.types.into_values().collect();
    Ok(json!({
        "area": area,
        "title": doc.pointer("/info/title").cloned().unwrap_or(Value::Null),
        "operations": operations,
        "types": types,
    }))
}

fn method_rank(m: &Value) -> usize {
    ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
        .iter()
        .position(|x| Some(*x) == m.as_str())
        .unwrap_or(9)
}

/// `Some_name-x` → `SomeNameX`; a leading digit gets a `T`.
pub fn upper_camel(raw: &str) -> String {
    let mut out = String::new();
    for piece in raw.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut chars = piece.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'T');
    }
    out
}

struct Converter<'a> {
    doc: &'a Value,
    /// Component schema name → type expression.
    names: BTreeMap<String, String>,
    used: BTreeSet<String>,
    types: BTreeMap<String, Value>,
}

impl<'a> Converter<'a> {
    fn unique(&mut self, wanted: &str) -> String {
        let base = upper_camel(wanted);
        let mut name = base.clone();
        let mut n = 2;
        while !self.used.insert(name.clone()) {
            name = format!("{base}{n}");
            n += 1;
        }
        name
    }

    fn component<'r>(&self, reference: &'r str) -> Option<(&'r str, &'a Value)> {
        let name = reference.strip_prefix("#/components/schemas/")?;
        let schema = self.doc.pointer(&format!(
            "/components/schemas/{}",
            name.replace('~', "~0").replace('/', "~1")
        ))?;
        Some((name, schema))
    }

    fn operation(&mut self, path: &str, method: &str, op: &Value) -> Result<Value, String> {
        let id = op
            .get("operationId")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("{method} {path}: no operationId"))?
            .to_owned();
        let ctx = upper_camel(&id);
        let mut version = Value::Null;
        let mut params = Vec::new();
        for p in op
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = p.get("name").and_then(Value::as_str).unwrap_or_default();
            let place = p.get("in").and_then(Value::as_str).unwrap_or_default();
            if place == "header" && name == "Version" {
                version = p.pointer("/schema/enum/0").cloned().unwrap_or(Value::Null);
                continue;
            }
            let schema = p.get("schema").cloned().unwrap_or(Value::Null);
            let ty = self.ty(&schema, &format!("{ctx}{}", upper_camel(name)));
            let required = place == "path" || p.get("required") == Some(&Value::Bool(true));
            let mut fact = json!({"n": name, "in": place, "t": ty, "req": required});
            if let Some(ex) = scalar_example(p.get("example").or(schema.get("example"))) {
                fact["ex"] = ex;
            }
            params.push(fact);
        }
        // Path parameters in the order of the template; a placeholder the spec does not declare
        // as a path parameter (it happens) is added as a required string, marked `undeclared`.
        let mut placeholders = Vec::new();
        let mut rest = path;
        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}') else {
                break;
            };
            placeholders.push(rest[open + 1..open + close].to_owned());
            rest = &rest[open + close + 1..];
        }
        let mut ordered: Vec<Value> = Vec::new();
        for name in &placeholders {
            match params.iter().position(|p| p["in"] == "path" && p["n"] == name.as_str()) {
                Some(i) => ordered.push(params.remove(i)),
                None => ordered.push(
                    json!({"n": name, "in": "path", "t": "string", "req": true, "undeclared": true}),
                ),
            }
        }
        ordered.append(&mut params);
        let params = ordered;
        let body = match op.get("requestBody") {
            None => Value::Null,
            Some(rb) => {
                let content = rb.get("content").and_then(Value::as_object);
                let (ct, media) = content
                    .and_then(|c| {
                        c.get_key_value("application/json")
                            .or_else(|| c.iter().next())
                    })
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .unwrap_or_else(|| ("application/json".to_owned(), Value::Null));
                let ty = match media.get("schema") {
                    Some(s) => self.ty(s, &format!("{ctx}Body")),
                    None => "any".to_owned(),
                };
                json!({"ct": ct, "t": ty, "req": rb.get("required") == Some(&Value::Bool(true))})
            }
        };
        let responses = op.get("responses").and_then(Value::as_object);
        let answer = responses
            .into_iter()
            .flatten()
            .filter(|(code, _)| code.starts_with('2'))
            .min_by_key(|(code, _)| (*code).clone())
            .map(|(code, r)| {
                let schema = r.pointer("/content/application~1json/schema").cloned();
                let ty = schema
                    .map(|s| Value::String(self.ty(&s, &format!("{ctx}Answer"))))
                    .unwrap_or(Value::Null);
                json!({"status": code.parse::<u16>().unwrap_or(200), "t": ty})
            })
            .unwrap_or(json!({"status": 200, "t": null}));
        let mut scopes: Vec<Value> = Vec::new();
        let mut access: Vec<Value> = Vec::new();
        for s in op
            .get("security")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            for (kind, list) in s.as_object().into_iter().flatten() {
                if !access.contains(&json!(kind)) {
                    access.push(json!(kind));
                }
                for scope in list.as_array().into_iter().flatten() {
                    if !scopes.contains(scope) {
                        scopes.push(scope.clone());
                    }
                }
            }
        }
        let mut fact = json!({
            "id": id,
            "method": method.to_ascii_uppercase(),
            "path": path,
            "version": version,
            "scopes": scopes,
            "access": access,
            "params": params,
            "body": body,
            "answer": answer,
        });
        if op.get("deprecated") == Some(&Value::Bool(true)) {
            fact["deprecated"] = Value::Bool(true);
        }
        Ok(fact)
    }

    /// The type expression of `schema`: `string`, `integer`, `number`, `boolean`, `binary`,
    /// `any` (the spec gives no usable schema), `[T]`, `map<T>`, or a type name.
    fn ty(&mut self, schema: &Value, ctx: &str) -> String {
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            return self.named(reference);
        }
        if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
            if parts.len() == 1 && schema.get("properties").is_none() {
                return self.ty(&parts[0], ctx);
            }
            return self
                .object(schema, ctx, None)
                .unwrap_or_else(|| "any".to_owned());
        }
        if schema.get("oneOf").is_some() || schema.get("anyOf").is_some() {
            return "any".to_owned();
        }
        if let Some(values) = schema.get("enum").and_then(Value::as_array)
            && schema.get("type").is_none_or(|t| t == "string")
            && !values.is_empty()
            && values.iter().all(Value::is_string)
        {
            let name = self.unique(ctx);
            let mut values: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
            let mut seen = BTreeSet::new();
            values.retain(|v| seen.insert(*v));
            self.types
                .insert(name.clone(), json!({"name": name, "enum": values}));
            return name;
        }
        match schema.get("type").and_then(Value::as_str) {
            Some("array") => match schema.get("items") {
                Some(items) => format!("[{}]", self.ty(items, ctx)),
                None => "[any]".to_owned(),
            },
            Some("object") | None if schema.get("properties").is_some() => self
                .object(schema, ctx, None)
                .unwrap_or_else(|| "any".to_owned()),
            Some("object") => match schema.get("additionalProperties") {
                Some(ap) if ap.is_object() && !ap.as_object().is_some_and(Map::is_empty) => {
                    format!("map<{}>", self.ty(ap, ctx))
                }
                _ => "any".to_owned(),
            },
            Some("string") if schema.get("format") == Some(&json!("binary")) => "binary".to_owned(),
            Some(t @ ("string" | "integer" | "number" | "boolean")) => t.to_owned(),
            _ => "any".to_owned(),
        }
    }

    fn named(&mut self, reference: &str) -> String {
        let Some((name, schema)) = self.component(reference) else {
            return "any".to_owned();
        };
        if let Some(known) = self.names.get(name) {
            return known.clone();
        }
        let schema = schema.clone();
        let name = name.to_owned();
        let is_object = schema.get("properties").is_some()
            || schema
                .get("allOf")
                .and_then(Value::as_array)
                .is_some_and(|p| p.len() > 1 || schema.get("properties").is_some());
        if is_object {
            let type_name = self.unique(&name);
            self.names.insert(name.clone(), type_name.clone());
            match self.object(&schema, &type_name, Some(type_name.clone())) {
                Some(t) => t,
                None => {
                    self.names.insert(name, "any".to_owned());
                    "any".to_owned()
                }
            }
        } else {
            // Enums, arrays, scalars, allOf of one part: named after the component when they
            // need a type of their own (enums), otherwise the expression itself.
            self.names.insert(name.clone(), "any".to_owned());
            let t = self.ty(&schema, &name);
            self.names.insert(name, t.clone());
            t
        }
    }

    /// Collects properties and required names of an object, following `allOf` and `$ref`s.
    fn collect(
        &self,
        schema: &Value,
        props: &mut BTreeMap<String, Value>,
        req: &mut BTreeSet<String>,
        depth: u32,
    ) {
        if depth > 16 {
            return;
        }
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            if let Some((_, target)) = self.component(reference) {
                self.collect(target, props, req, depth + 1);
            }
            return;
        }
        for part in schema
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            self.collect(part, props, req, depth + 1);
        }
        for (k, v) in schema
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            props.insert(k.clone(), v.clone());
        }
        for r in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(r) = r.as_str() {
                req.insert(r.to_owned());
            }
        }
    }

    /// An object type named `ctx` (or the already reserved `reserved`); `None` when it has no
    /// properties at all.
    fn object(&mut self, schema: &Value, ctx: &str, reserved: Option<String>) -> Option<String> {
        let mut props = BTreeMap::new();
        let mut req = BTreeSet::new();
        self.collect(schema, &mut props, &mut req, 0);
        if props.is_empty() {
            if let Some(name) = reserved {
                self.used.remove(&name);
            }
            return None;
        }
        let name = reserved.unwrap_or_else(|| self.unique(ctx));
        // Reserve the slot so a recursive reference sees the name.
        self.types.insert(name.clone(), Value::Null);
        let mut fields = Vec::new();
        for (field, prop) in &props {
            let ty = self.ty(prop, &format!("{name}{}", upper_camel(field)));
            let mut fact = json!({"n": field, "t": ty, "req": req.contains(field)});
            if let Some(ex) = scalar_example(prop.get("example")) {
                fact["ex"] = ex;
            }
            fields.push(fact);
        }
        self.types
            .insert(name.clone(), json!({"name": name, "fields": fields}));
        Some(name)
    }
}

/// A scalar example (or a short list of scalars), kept for contract tests and the sandbox.
fn scalar_example(ex: Option<&Value>) -> Option<Value> {
    match ex? {
        v @ (Value::String(_) | Value::Number(_) | Value::Bool(_)) => Some(v.clone()),
        Value::Array(items)
            if items.len() <= 5 && items.iter().all(|i| i.is_string() || i.is_number()) =>
        {
            Some(Value::Array(items.clone()))
        }
        _ => None,
    }
}

/// Writes facts compactly: one operation or type per line.
pub fn render(facts: &Value) -> String {
    let mut out = String::new();
    out.push_str("{\"area\":");
    out.push_str(&facts["area"].to_string());
    out.push_str(",\"title\":");
    out.push_str(&facts["title"].to_string());
    for key in ["operations", "types"] {
        out.push_str(&format!(",\n\"{key}\":[\n"));
        let items = facts[key].as_array().cloned().unwrap_or_default();
        let lines: Vec<String> = items.iter().map(Value::to_string).collect();
        out.push_str(&lines.join(",\n"));
        out.push_str("\n]");
    }
    out.push_str("}\n");
    out
}
