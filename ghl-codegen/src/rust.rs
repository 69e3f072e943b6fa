//! The facts file → Rust (`ghl-client/src/api/`).
//!
//! One module per area: its types (structs for objects, open enums for string enums), a query
//! type per operation that has query parameters, a handler with one method per operation and
//! the area's operation table. Every method goes through `api::support::run`, the client's one
//! send path.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use serde_json::Value;

use crate::facts::upper_camel;

/// Names of `GhlClient` methods the hand-written handlers already use.
const TAKEN_ACCESSORS: &[&str] = &[
    "contacts",
    "calendars",
    "users",
    "products",
    "custom_fields",
    "locations",
    "oauth",
    "api",
    "builder",
    "scopes",
];

const KEYWORDS: &[&str] = &[
    "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn", "for",
    "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return",
    "self", "Self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where",
    "while", "async", "await", "dyn", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "typeof", "unsized", "virtual", "yield", "try", "gen",
];

/// Counters reported by the generator.
#[derive(Default, Debug)]
pub struct Stats {
    pub operations: usize,
    pub types: usize,
    /// Fields, parameters and bodies typed `serde_json::Value` because the spec gives no
    /// usable schema (or only `oneOf`/`anyOf`).
    pub value_fields: usize,
    /// Operations whose success answer has no schema (decoded as `serde_json::Value`).
    pub value_answers: usize,
    /// Operations whose body is multipart (not sent yet).
    pub multipart: usize,
}

pub fn snake(raw: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = raw.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1);
            let boundary = prev.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit())
                || (prev.is_some_and(|p| p.is_ascii_uppercase())
                    && next.is_some_and(|n| n.is_ascii_lowercase()));
            if boundary && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "f_");
    }
    if KEYWORDS.contains(&out.as_str()) {
        out.push('_');
    }
    out
}

/// Variant names: `FULL_NAME` → `FullName`.
fn variant(raw: &str) -> String {
    let mut out = String::new();
    for piece in raw.split(|c: char| !c.is_ascii_alphanumeric()) {
        let lower = piece.chars().all(|c| !c.is_ascii_lowercase());
        let mut chars = piece.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            if lower {
                out.extend(chars.map(|c| c.to_ascii_lowercase()));
            } else {
                out.extend(chars);
            }
        }
    }
    if out.is_empty() {
        out.push_str("Empty");
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'V');
    }
    if out == "Unknown" || out == "Self" {
        out.push('_');
        out = out.replace('_', "Value");
    }
    out
}

fn inner_name(expr: &str) -> Option<&str> {
    if let Some(rest) = expr.strip_prefix('[') {
        return inner_name(rest.strip_suffix(']')?);
    }
    if let Some(rest) = expr.strip_prefix("map<") {
        return inner_name(rest.strip_suffix('>')?);
    }
    expr.starts_with(|c: char| c.is_ascii_uppercase())
        .then_some(expr)
}

pub(crate) fn rust_ty(expr: &str, boxed: bool) -> String {
    if let Some(rest) = expr.strip_prefix('[') {
        return format!(
            "Vec<{}>",
            rust_ty(rest.strip_suffix(']').unwrap_or("any"), false)
        );
    }
    if let Some(rest) = expr.strip_prefix("map<") {
        return format!(
            "std::collections::BTreeMap<String, {}>",
            rust_ty(rest.strip_suffix('>').unwrap_or("any"), false)
        );
    }
    match expr {
        "string" | "binary" => "String".to_owned(),
        "integer" => "i64".to_owned(),
        "number" => "f64".to_owned(),
        "boolean" => "bool".to_owned(),
        "any" => "serde_json::Value".to_owned(),
        name if boxed => format!("Box<{name}>"),
        name => name.to_owned(),
    }
}

fn is_any(expr: &str) -> bool {
    expr == "any" || expr == "[any]" || expr == "map<any>"
}

pub(crate) struct Field {
    pub(crate) wire: String,
    pub(crate) ident: String,
    pub(crate) ty: String,
    pub(crate) required: bool,
    pub(crate) boxed: bool,
}

pub(crate) fn fields_of(
    list: &[Value],
    owner: &str,
    objects: &BTreeMap<String, Vec<Value>>,
) -> Vec<Field> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for f in list {
        let wire = f["n"].as_str().unwrap_or_default().to_owned();
        let mut ident = snake(&wire);
        let base = ident.clone();
        let mut n = 2;
        while !seen.insert(ident.clone()) || ident == "new" {
            ident = format!("{base}_{n}");
            n += 1;
        }
        let ty = f["t"].as_str().unwrap_or("any").to_owned();
        let boxed = !ty.starts_with('[')
            && !ty.starts_with("map<")
            && objects.contains_key(&ty)
            && reaches(&ty, owner, objects, &mut BTreeSet::new());
        out.push(Field {
            wire,
            ident,
            ty,
            required: f["req"] == Value::Bool(true),
            boxed,
        });
    }
    out
}

/// Whether object `from` reaches `to` through fields held inline (not in a list or map).
fn reaches(
    from: &str,
    to: &str,
    objects: &BTreeMap<String, Vec<Value>>,
    seen: &mut BTreeSet<String>,
) -> bool {
    if from == to {
        return true;
    }
    if !seen.insert(from.to_owned()) {
        return false;
    }
    objects.get(from).into_iter().flatten().any(|f| {
        let t = f["t"].as_str().unwrap_or_default();
        objects.contains_key(t) && reaches(t, to, objects, seen)
    })
}

struct Direction {
    ser: BTreeSet<String>,
    de: BTreeSet<String>,
}

fn mark(expr: &str, set: &mut BTreeSet<String>, objects: &BTreeMap<String, Vec<Value>>) {
    let Some(name) = inner_name(expr) else { return };
    if !set.insert(name.to_owned()) {
        return;
    }
    for f in objects.get(name).into_iter().flatten() {
        mark(f["t"].as_str().unwrap_or_default(), set, objects);
    }
}

/// Generates the module of one area.
pub fn area_module(facts: &Value, stats: &mut Stats) -> String {
    let area = facts["area"].as_str().unwrap_or_default();
    let module = snake(area);
    let title = facts["title"].as_str().unwrap_or(area);
    let handler = upper_camel(area);
    let ops = facts["operations"].as_array().cloned().unwrap_or_default();
    let types = facts["types"].as_array().cloned().unwrap_or_default();
    let mut objects: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut enums: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for t in &types {
        let name = t["name"].as_str().unwrap_or_default().to_owned();
        if let Some(fields) = t["fields"].as_array() {
            objects.insert(name, fields.clone());
        } else if let Some(values) = t["enum"].as_array() {
            enums.insert(
                name,
                values
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect(),
            );
        }
    }
    let mut used_names: BTreeSet<String> = objects.keys().chain(enums.keys()).cloned().collect();
    used_names.insert(handler.clone());
    // Query types: one per operation with query parameters.
    let mut dir = Direction {
        ser: BTreeSet::new(),
        de: BTreeSet::new(),
    };
    let mut queries: Vec<(String, Vec<Value>)> = Vec::new();
    let mut methods = String::new();
    let mut table = String::new();
    let mut fn_names = BTreeSet::new();
    for (index, op) in ops.iter().enumerate() {
        stats.operations += 1;
        let id = op["id"].as_str().unwrap_or_default();
        let method = op["method"].as_str().unwrap_or("GET");
        let path = op["path"].as_str().unwrap_or("/");
        let version = op["version"].as_str();
        let scopes: Vec<&str> = op["scopes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let params = op["params"].as_array().cloned().unwrap_or_default();
        let path_params: Vec<&Value> = params.iter().filter(|p| p["in"] == "path").collect();
        let query_params: Vec<Value> = params
            .iter()
            .filter(|p| p["in"] == "query")
            .cloned()
            .collect();
        for p in &params {
            if is_any(p["t"].as_str().unwrap_or("any")) {
                stats.value_fields += 1;
            }
        }
        let mut fn_name = snake(id);
        let base = fn_name.clone();
        let mut n = 2;
        while !fn_names.insert(fn_name.clone()) {
            fn_name = format!("{base}_{n}");
            n += 1;
        }
        let _ = writeln!(
            table,
            "    Operation {{ id: {id:?}, method: {method:?}, path: {path:?}, version: {version:?}, scopes: &{scopes:?}, answer_status: {} }},",
            op["answer"]["status"].as_u64().unwrap_or(200)
        );
        // Arguments.
        let mut args = String::new();
        let mut path_idents = Vec::new();
        for p in &path_params {
            let ident = snake(p["n"].as_str().unwrap_or("id"));
            let _ = write!(args, ", {ident}: &str");
            path_idents.push(ident);
        }
        let query_ty = if query_params.is_empty() {
            None
        } else {
            let mut name = format!("{}Query", upper_camel(id));
            while !used_names.insert(name.clone()) {
                name.push('_');
            }
            mark_params(&query_params, &mut dir.ser, &objects);
            queries.push((name.clone(), query_params.clone()));
            let _ = write!(args, ", query: &{name}");
            Some(name)
        };
        let body = &op["body"];
        let mut body_kind = "none";
        if !body.is_null() {
            let ct = body["ct"].as_str().unwrap_or("application/json");
            let t = body["t"].as_str().unwrap_or("any");
            if is_any(t) {
                stats.value_fields += 1;
            }
            mark(t, &mut dir.ser, &objects);
            let _ = write!(args, ", body: &{}", rust_ty(t, false));
            body_kind = match ct {
                "application/json" => "json",
                "application/x-www-form-urlencoded" => "form",
                _ => {
                    stats.multipart += 1;
                    "multipart"
                }
            };
        }
        let answer_t = op["answer"]["t"].as_str();
        let answer_ty = match answer_t {
            Some(t) => {
                mark(t, &mut dir.de, &objects);
                if is_any(t) {
                    stats.value_answers += 1;
                }
                rust_ty(t, false)
            }
            None => {
                stats.value_answers += 1;
                "serde_json::Value".to_owned()
            }
        };
        // Docs.
        let _ = writeln!(methods, "    /// `{method} {path}`");
        let _ = writeln!(methods, "    ///");
        let mut facts_line = match version {
            Some(v) => format!("Version `{v}`"),
            None => "no `Version` header (none declared)".to_owned(),
        };
        if scopes.is_empty() {
            facts_line.push_str("; no scope declared");
        } else {
            let list: Vec<String> = scopes.iter().map(|s| format!("`{s}`")).collect();
            let _ = write!(facts_line, "; scope {}", list.join(" or "));
        }
        let _ = writeln!(methods, "    /// {facts_line}.");
        let required: Vec<String> = query_params
            .iter()
            .filter(|p| p["req"] == Value::Bool(true))
            .map(|p| format!("`{}`", p["n"].as_str().unwrap_or_default()))
            .collect();
        if !required.is_empty() {
            let _ = writeln!(methods, "    /// Required query: {}.", required.join(", "));
        }
        if let Some(t) = body["t"].as_str()
            && let Some(fields) = objects.get(t)
        {
            let req: Vec<String> = fields
                .iter()
                .filter(|f| f["req"] == Value::Bool(true))
                .map(|f| format!("`{}`", f["n"].as_str().unwrap_or_default()))
                .collect();
            if !req.is_empty() {
                let _ = writeln!(methods, "    /// Required body fields: {}.", req.join(", "));
            }
        }
        if answer_t.is_none() {
            let _ = writeln!(
                methods,
                "    /// The spec gives no answer schema: the answer is the JSON as sent (`Null` when empty)."
            );
        }
        if body_kind == "multipart" {
            let _ = writeln!(
                methods,
                "    /// Multipart bodies are not sent yet: this returns [`Error::InvalidRequest`]."
            );
        }
        if op["deprecated"] == Value::Bool(true) {
            let _ = writeln!(methods, "    /// Deprecated in the spec.");
        }
        let _ = writeln!(
            methods,
            "    /// [HighLevel's page](https://marketplace.gohighlevel.com/docs/ghl/{area}/{})",
            url_part(id)
        );
        let _ = writeln!(
            methods,
            "    pub async fn {fn_name}(&self{args}) -> Result<{answer_ty}, Error> {{"
        );
        let query_expr = if query_ty.is_some() {
            "support::pairs(query)?"
        } else {
            "Vec::new()"
        };
        let body_expr = match body_kind {
            "json" => "support::json(body)?",
            "form" => "support::form(body)?",
            "multipart" => "support::multipart(body)?",
            _ => "support::Payload::None",
        };
        let decode = if answer_t.is_some() {
            "decode"
        } else {
            "value"
        };
        let _ = writeln!(
            methods,
            "        support::run(self.0, &OPERATIONS[{index}], &[{}], {query_expr}, {body_expr}).await?.{decode}()",
            path_idents.join(", ")
        );
        let _ = writeln!(methods, "    }}\n");
    }
    // Close the direction sets (query types are serialised).
    let mut out = String::new();
    let _ = writeln!(
        out,
        "//! {title}: generated by `ghl-codegen` from `ghl-client/spec/v2/{area}.json`. Do not edit.\n//!\n//! Enable with the `{area}` feature; reach the operations with [`GhlClient::api`](crate::GhlClient::api)."
    );
    out.push_str("#![allow(clippy::too_many_arguments, clippy::should_implement_trait, clippy::large_enum_variant, clippy::upper_case_acronyms, clippy::enum_variant_names, clippy::new_without_default, unused_imports)]\n\n");
    out.push_str("use super::support::{self, Operation};\nuse crate::error::Error;\nuse crate::open_enum::open_enum;\nuse crate::GhlClient;\nuse serde::{Deserialize, Serialize};\n\n");
    let _ = writeln!(
        out,
        "/// The operations of the {title} (see [`GhlClient::api`](crate::GhlClient::api)).\n#[derive(Clone, Copy, Debug)]\npub struct {handler}<'c>(pub(crate) &'c GhlClient);\n\nimpl {handler}<'_> {{"
    );
    out.push_str(&methods);
    out.push_str("}\n\n");
    let _ = writeln!(
        out,
        "/// Every operation of the area, in the order of the facts file.\npub const OPERATIONS: &[Operation] = &[\n{table}];\n"
    );
    // Query types.
    for (name, params) in &queries {
        let fields = fields_of(params, name, &objects);
        let list: Vec<Value> = params.clone();
        let _ = list;
        write_struct(
            &mut out,
            name,
            &format!(
                "The query parameters of `{}`.",
                name.trim_end_matches("Query")
            ),
            &fields,
            true,
            false,
            stats,
        );
    }
    for (name, fields) in &objects {
        let ser = dir.ser.contains(name);
        let de = dir.de.contains(name);
        if !ser && !de {
            continue;
        }
        let fields = fields_of(fields, name, &objects);
        write_struct(
            &mut out,
            name,
            &format!("`{name}`."),
            &fields,
            ser,
            de,
            stats,
        );
    }
    for (name, values) in &enums {
        if !dir.ser.contains(name) && !dir.de.contains(name) {
            continue;
        }
        stats.types += 1;
        let _ = writeln!(
            out,
            "open_enum!(\n    /// `{name}`: a value the spec lists, or `Unknown`.\n    {name} {{"
        );
        let mut seen = BTreeSet::new();
        let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut order = Vec::new();
        for v in values {
            let mut vn = variant(v);
            if vn.eq_ignore_ascii_case("unknown") {
                vn = "UnknownValue".to_owned();
            }
            if seen.insert(vn.clone()) {
                order.push(vn.clone());
            }
            groups.entry(vn).or_default().push(v.clone());
        }
        for vn in order {
            let values = &groups[&vn];
            let aliases: String = values[1..].iter().map(|a| format!(" | {a:?}")).collect();
            let _ = writeln!(
                out,
                "        /// `{}`\n        {vn} => {:?}{aliases},",
                values[0], values[0]
            );
        }
        out.push_str("    }\n);\n\n");
    }
    let _ = module;
    out
}

fn mark_params(
    params: &[Value],
    set: &mut BTreeSet<String>,
    objects: &BTreeMap<String, Vec<Value>>,
) {
    for p in params {
        mark(p["t"].as_str().unwrap_or_default(), set, objects);
    }
}

fn write_struct(
    out: &mut String,
    name: &str,
    doc: &str,
    fields: &[Field],
    ser: bool,
    de: bool,
    stats: &mut Stats,
) {
    stats.types += 1;
    let mut derives = vec!["Clone", "Debug", "PartialEq"];
    let required: Vec<&Field> = fields.iter().filter(|f| f.required).collect();
    if ser && required.is_empty() {
        derives.push("Default");
    }
    if ser {
        derives.push("Serialize");
    }
    if de {
        derives.push("Deserialize");
    }
    let _ = writeln!(
        out,
        "/// {doc}\n#[derive({})]\n#[non_exhaustive]\npub struct {name} {{",
        derives.join(", ")
    );
    for f in fields {
        if is_any(&f.ty) {
            stats.value_fields += 1;
        }
        let ty = rust_ty(&f.ty, f.boxed);
        let mut attrs = Vec::new();
        if f.ident.trim_start_matches("r#") != f.wire {
            attrs.push(format!("rename = {:?}", f.wire));
        }
        let full = if f.required {
            ty
        } else {
            if ser {
                attrs.push("skip_serializing_if = \"Option::is_none\"".to_owned());
            }
            format!("Option<{ty}>")
        };
        let req = if f.required { ", required" } else { "" };
        let _ = writeln!(out, "    /// `{}`{req}.", f.wire);
        if !attrs.is_empty() {
            let _ = writeln!(out, "    #[serde({})]", attrs.join(", "));
        }
        let _ = writeln!(out, "    pub {}: {full},", f.ident);
    }
    out.push_str("}\n\n");
    if !ser {
        return;
    }
    // Constructor and setters for what we send.
    let _ = writeln!(out, "impl {name} {{");
    let args: Vec<String> = required
        .iter()
        .map(|f| format!("{}: impl Into<{}>", f.ident, rust_ty(&f.ty, f.boxed)))
        .collect();
    let _ = writeln!(
        out,
        "    /// A value with the required fields; set the others with the setters.\n    pub fn new({}) -> Self {{\n        Self {{",
        args.join(", ")
    );
    for f in fields {
        if f.required {
            let _ = writeln!(out, "            {0}: {0}.into(),", f.ident);
        } else {
            let _ = writeln!(out, "            {}: None,", f.ident);
        }
    }
    out.push_str("        }\n    }\n");
    for f in fields {
        let ty = rust_ty(&f.ty, f.boxed);
        let value = if f.required {
            "value.into()"
        } else {
            "Some(value.into())"
        };
        let _ = writeln!(
            out,
            "    /// Sets `{}`.\n    pub fn {}(mut self, value: impl Into<{ty}>) -> Self {{\n        self.{} = {value};\n        self\n    }}",
            f.wire, f.ident, f.ident
        );
    }
    out.push_str("}\n\n");
}

/// The generated `api/mod.rs`: the area modules behind their features and the accessors.
pub fn mod_rs(areas: &[(String, String)]) -> String {
    let mut out = String::from(
        "//! The whole GHL API v2, generated by `ghl-codegen` from the facts files in `ghl-client/spec/v2/`. Do not edit.\n//!\n//! One module per area, each behind the cargo feature of the same name (`all-areas` enables all).\n//! [`GhlClient::api`] reaches every area; areas whose name no hand-written handler uses also\n//! have an accessor on [`GhlClient`] itself (`client.opportunities()`).\n\n#[allow(dead_code)]\nmod support;\npub use support::Operation;\n\nuse crate::GhlClient;\n\n",
    );
    for (area, title) in areas {
        let m = snake(area);
        let _ = writeln!(
            out,
            "#[cfg(feature = {area:?})]\n#[cfg_attr(docsrs, doc(cfg(feature = {area:?})))]\npub mod {m};"
        );
        let _ = title;
    }
    out.push_str("\n/// Every generated area: [`GhlClient::api`].\n#[derive(Clone, Copy, Debug)]\npub struct Api<'c>(#[allow(dead_code)] &'c GhlClient);\n\nimpl GhlClient {\n    /// The generated operations of every enabled area (`client.api().opportunities()`).\n    pub fn api(&self) -> Api<'_> {\n        Api(self)\n    }\n");
    for (area, title) in areas {
        let m = snake(area);
        if TAKEN_ACCESSORS.contains(&m.as_str()) {
            continue;
        }
        let _ = writeln!(
            out,
            "\n    /// The {title} (`{area}` feature); same as `self.api().{m}()`.\n    #[cfg(feature = {area:?})]\n    #[cfg_attr(docsrs, doc(cfg(feature = {area:?})))]\n    pub fn {m}(&self) -> {m}::{}<'_> {{\n        {m}::{}(self)\n    }}",
            upper_camel(area),
            upper_camel(area)
        );
    }
    out.push_str("}\n\nimpl<'c> Api<'c> {");
    for (area, title) in areas {
        let m = snake(area);
        let _ = writeln!(
            out,
            "\n    /// The {title} (`{area}` feature).\n    #[cfg(feature = {area:?})]\n    #[cfg_attr(docsrs, doc(cfg(feature = {area:?})))]\n    pub fn {m}(&self) -> {m}::{}<'c> {{\n        {m}::{}(self.0)\n    }}",
            upper_camel(area),
            upper_camel(area)
        );
    }
    out.push_str("}\n\n/// The operation tables of the enabled areas, with the area's name.\npub fn operations() -> Vec<(&'static str, &'static [Operation])> {\n    vec![\n");
    for (area, _) in areas {
        let m = snake(area);
        let _ = writeln!(
            out,
            "        #[cfg(feature = {area:?})]\n        ({area:?}, {m}::OPERATIONS),"
        );
    }
    out.push_str("    ]\n}\n");
    out
}

/// Percent-encodes what a URL path segment cannot hold.
fn url_part(raw: &str) -> String {
    raw.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}
