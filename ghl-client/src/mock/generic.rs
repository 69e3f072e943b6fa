//! Spec-driven answers for the operations the hand-written sandbox routes do not serve: every
//! operation of the facts files (`ghl-client/spec/v2`) is answered after the checks real GHL makes
//! (token, `Version`, scope, undeclared query parameters and body properties, required ones),
//! with the status the spec declares and a body shaped like its answer schema. Stateless: a
//! create is not remembered by a later read.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::{Map, Value};

/// The facts files, one per area.
const FACTS: &[&str] = &[
    include_str!("../../spec/v2/ad-manager.json"),
    include_str!("../../spec/v2/affiliate-manager.json"),
    include_str!("../../spec/v2/agent-studio.json"),
    include_str!("../../spec/v2/associations.json"),
    include_str!("../../spec/v2/blogs.json"),
    include_str!("../../spec/v2/brand-boards.json"),
    include_str!("../../spec/v2/businesses.json"),
    include_str!("../../spec/v2/calendars.json"),
    include_str!("../../spec/v2/campaigns.json"),
    include_str!("../../spec/v2/companies.json"),
    include_str!("../../spec/v2/contacts.json"),
    include_str!("../../spec/v2/conversation-ai.json"),
    include_str!("../../spec/v2/conversations.json"),
    include_str!("../../spec/v2/courses.json"),
    include_str!("../../spec/v2/custom-fields.json"),
    include_str!("../../spec/v2/custom-menus.json"),
    include_str!("../../spec/v2/email-isv.json"),
    include_str!("../../spec/v2/emails.json"),
    include_str!("../../spec/v2/forms.json"),
    include_str!("../../spec/v2/funnels.json"),
    include_str!("../../spec/v2/invoices.json"),
    include_str!("../../spec/v2/knowledge-base.json"),
    include_str!("../../spec/v2/links.json"),
    include_str!("../../spec/v2/locations.json"),
    include_str!("../../spec/v2/marketplace.json"),
    include_str!("../../spec/v2/medias.json"),
    include_str!("../../spec/v2/oauth.json"),
    include_str!("../../spec/v2/objects.json"),
    include_str!("../../spec/v2/opportunities.json"),
    include_str!("../../spec/v2/payments.json"),
    include_str!("../../spec/v2/phone-system.json"),
    include_str!("../../spec/v2/products.json"),
    include_str!("../../spec/v2/proposals.json"),
    include_str!("../../spec/v2/saas-api.json"),
    include_str!("../../spec/v2/snapshots.json"),
    include_str!("../../spec/v2/social-media-posting.json"),
    include_str!("../../spec/v2/store.json"),
    include_str!("../../spec/v2/surveys.json"),
    include_str!("../../spec/v2/users.json"),
    include_str!("../../spec/v2/voice-ai.json"),
    include_str!("../../spec/v2/workflows.json"),
];

/// One area's facts: its operations and its types by name.
struct Area {
    operations: Vec<Value>,
    types: BTreeMap<String, Value>,
}

fn areas() -> &'static [Area] {
    static AREAS: OnceLock<Vec<Area>> = OnceLock::new();
    AREAS.get_or_init(|| {
        FACTS
            .iter()
            .filter_map(|text| serde_json::from_str::<Value>(text).ok())
            .map(|facts| Area {
                operations: facts["operations"].as_array().cloned().unwrap_or_default(),
                types: facts["types"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|t| Some((t["name"].as_str()?.to_owned(), t.clone())))
                    .collect(),
            })
            .collect()
    })
}

/// The operation a request is for, with its area: literal segments must match, `{param}`
/// segments match any non-empty one; the template with the most literal segments wins.
pub(crate) struct Matched {
    area: &'static Area,
    op: &'static Value,
}

pub(crate) fn find(method: &str, path: &str) -> Option<Matched> {
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let mut best: Option<(usize, Matched)> = None;
    for area in areas() {
        for op in &area.operations {
            if op["method"] != method {
                continue;
            }
            let template = op["path"].as_str().unwrap_or_default();
            let parts: Vec<&str> = template.trim_start_matches('/').split('/').collect();
            if parts.len() != segs.len() {
                continue;
            }
            let mut literal = 0;
            let fits = parts.iter().zip(&segs).all(|(p, s)| {
                if p.contains('{') {
                    !s.is_empty()
                } else {
                    literal += 1;
                    p == s
                }
            });
            if fits && best.as_ref().is_none_or(|(l, _)| literal > *l) {
                best = Some((literal, Matched { area, op }));
            }
        }
    }
    best.map(|(_, m)| m)
}

impl Matched {
    /// The `Version` the operation requires (`None`: the spec declares none).
    pub(crate) fn version(&self) -> Option<&'static str> {
        self.op["version"].as_str()
    }

    /// Whether a token with `scopes` may call the operation (any listed scope; none listed: yes).
    pub(crate) fn allows(&self, scopes: &std::collections::BTreeSet<String>) -> bool {
        let listed = self.op["scopes"].as_array();
        listed.is_none_or(|l| l.is_empty())
            || listed
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .any(|s| scopes.contains(s))
    }

    /// GHL's 422 messages for the query and the JSON body: undeclared properties and missing
    /// required ones.
    pub(crate) fn problems(&self, query: &[(String, String)], body: Option<&Value>) -> Vec<String> {
        let mut messages = Vec::new();
        let params = self.op["params"].as_array().cloned().unwrap_or_default();
        let declared: Vec<&str> = params
            .iter()
            .filter(|p| p["in"] == "query")
            .filter_map(|p| p["n"].as_str())
            .collect();
        for (key, _) in query {
            let message = format!("property {key} should not exist");
            if !declared.contains(&key.as_str()) && !messages.contains(&message) {
                messages.push(message);
            }
        }
        for p in params
            .iter()
            .filter(|p| p["in"] == "query" && p["req"] == true)
        {
            let name = p["n"].as_str().unwrap_or_default();
            if !query.iter().any(|(k, _)| k == name) {
                messages.push(format!("{name} should not be empty"));
            }
        }
        let body_type = self.op["body"]["t"].as_str();
        let fields = body_type
            .and_then(|t| self.area.types.get(t))
            .and_then(|t| t["fields"].as_array());
        if let (Some(fields), true) = (fields, self.op["body"]["ct"] == "application/json") {
            let empty = Map::new();
            let sent = body.and_then(Value::as_object).unwrap_or(&empty);
            for key in sent.keys() {
                if !fields.iter().any(|f| f["n"] == key.as_str()) {
                    messages.push(format!("property {key} should not exist"));
                }
            }
            for f in fields.iter().filter(|f| f["req"] == true) {
                let name = f["n"].as_str().unwrap_or_default();
                if sent.get(name).is_none_or(Value::is_null) {
                    messages.push(format!("{name} should not be empty"));
                }
            }
        }
        messages
    }

    /// The status and body the spec declares for success.
    pub(crate) fn answer(&self) -> (u16, Value) {
        let status = self.op["answer"]["status"].as_u64().unwrap_or(200) as u16;
        let body = match self.op["answer"]["t"].as_str() {
            Some(t) => example(&self.area.types, t, None, 0),
            None => Value::Object(Map::new()),
        };
        (status, body)
    }
}

/// A value of type `expr` shaped like the spec: every field, with the spec's example where it
/// has one, nested objects to a few levels (required ones always).
fn example(types: &BTreeMap<String, Value>, expr: &str, ex: Option<&Value>, depth: u32) -> Value {
    if let Some(rest) = expr.strip_prefix('[') {
        let inner = rest.strip_suffix(']').unwrap_or("any");
        return Value::Array(vec![example(types, inner, None, depth)]);
    }
    if let Some(rest) = expr.strip_prefix("map<") {
        let inner = rest.strip_suffix('>').unwrap_or("any");
        return serde_json::json!({"k": example(types, inner, None, depth)});
    }
    match expr {
        "string" | "binary" => Value::from(ex.and_then(Value::as_str).unwrap_or("x")),
        "integer" => Value::from(ex.and_then(Value::as_i64).unwrap_or(1)),
        "number" => Value::from(
            ex.and_then(Value::as_f64)
                .filter(|n| n.is_finite())
                .unwrap_or(1.5),
        ),
        "boolean" => Value::from(ex.and_then(Value::as_bool).unwrap_or(true)),
        "any" => Value::Object(Map::new()),
        name => {
            let Some(t) = types.get(name) else {
                return Value::Object(Map::new());
            };
            if let Some(values) = t["enum"].as_array() {
                return ex
                    .filter(|e| values.contains(e))
                    .or(values.first())
                    .cloned()
                    .unwrap_or(Value::Null);
            }
            let mut out = Map::new();
            for f in t["fields"].as_array().into_iter().flatten() {
                let required = f["req"] == true;
                if !(required || depth < 3) || depth > 10 {
                    continue;
                }
                let field_type = f["t"].as_str().unwrap_or("any");
                let name = f["n"].as_str().unwrap_or_default().to_owned();
                out.insert(name, example(types, field_type, f.get("ex"), depth + 1));
            }
            Value::Object(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_of_the_facts_is_found_by_its_own_path() {
        let mut count = 0;
        for area in areas() {
            for op in &area.operations {
                count += 1;
                let method = op["method"].as_str().unwrap();
                let path = op["path"]
                    .as_str()
                    .unwrap()
                    .split('/')
                    .map(|s| if s.contains('{') { "p-1" } else { s })
                    .collect::<Vec<_>>()
                    .join("/");
                let found = find(method, &path).expect("found");
                assert_eq!(found.op["method"], op["method"]);
            }
        }
        assert_eq!(count, 576);
    }

    #[test]
    fn undeclared_and_missing_fields_are_named_like_ghl() {
        let op = find("PUT", "/opportunities/opp-1").expect("update-opportunity");
        assert_eq!(op.version(), Some("2021-07-28"));
        let problems = op.problems(
            &[("locationId".to_owned(), "l".to_owned())],
            Some(&serde_json::json!({"name": "x", "sku": "y"})),
        );
        assert_eq!(
            problems,
            [
                "property locationId should not exist",
                "property sku should not exist"
            ]
        );
        let create = find("POST", "/opportunities/").expect("create-opportunity");
        let problems = create.problems(&[], Some(&serde_json::json!({"name": "x"})));
        assert!(problems.contains(&"contactId should not be empty".to_owned()));
        assert_eq!(create.answer().0, 201);
    }
}
