//! What every generated operation shares (hand-written): the operation table row, query and
//! body encoding, and the one send path of [`GhlClient`] (pacing, retries that respect
//! idempotency, OAuth refresh, typed errors, secrets kept out of errors).

use std::borrow::Cow;

use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::GhlClient;
use crate::client::{Answer, Body, Call};
use crate::error::Error;
use crate::scope::Scope;

/// One operation of the spec, as the facts file describes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Operation {
    /// HighLevel's `operationId`.
    pub id: &'static str,
    /// The HTTP method (`GET`, `POST`, ...).
    pub method: &'static str,
    /// The path template, such as `/opportunities/{id}`.
    pub path: &'static str,
    /// The `Version` header the operation requires (`None`: the spec declares none, and none is
    /// sent).
    pub version: Option<&'static str>,
    /// The scopes that open the operation (any one of them); empty when the spec names none.
    pub scopes: &'static [&'static str],
    /// The status of the success answer the spec declares.
    pub answer_status: u16,
}

impl Operation {
    /// The scope checked before sending and named in missing-scope errors (the first listed).
    pub fn scope(&self) -> Option<Scope> {
        self.scopes.first().map(|s| Scope::from(*s))
    }
}

/// A body, encoded before the call is built.
pub(crate) enum Payload {
    None,
    Json(Vec<u8>),
    Form(Vec<(String, String)>),
    Unsupported(&'static str),
}

/// A value → `(name, value)` pairs: objects give one pair per present field; lists repeat the
/// name; nested objects are sent as JSON text.
fn to_pairs(value: serde_json::Value) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let serde_json::Value::Object(map) = value else {
        return pairs;
    };
    for (name, value) in map {
        let items = match value {
            serde_json::Value::Array(items) => items,
            serde_json::Value::Null => continue,
            other => vec![other],
        };
        for item in items {
            let text = match item {
                serde_json::Value::String(s) => s,
                serde_json::Value::Null => continue,
                // The spec types counts such as `limit` as `number` (f64): send 20, not 20.0.
                serde_json::Value::Number(n) => match n.as_f64() {
                    Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 9.0e15 => {
                        format!("{}", f as i64)
                    }
                    _ => n.to_string(),
                },
                other => other.to_string(),
            };
            pairs.push((name.clone(), text));
        }
    }
    pairs
}

fn encode<T: Serialize + ?Sized>(value: &T, what: &str) -> Result<serde_json::Value, Error> {
    serde_json::to_value(value)
        .map_err(|e| Error::InvalidRequest(format!("cannot serialise the {what}: {e}")))
}

/// Query parameters of a generated query type.
pub(crate) fn pairs<Q: Serialize>(query: &Q) -> Result<Vec<(Cow<'static, str>, String)>, Error> {
    Ok(to_pairs(encode(query, "query")?)
        .into_iter()
        .map(|(k, v)| (Cow::Owned(k), v))
        .collect())
}

/// A JSON body.
pub(crate) fn json<B: Serialize + ?Sized>(body: &B) -> Result<Payload, Error> {
    serde_json::to_vec(body)
        .map(Payload::Json)
        .map_err(|e| Error::InvalidRequest(format!("cannot serialise the body: {e}")))
}

/// An `application/x-www-form-urlencoded` body.
#[cfg_attr(not(feature = "oauth"), allow(dead_code))]
pub(crate) fn form<B: Serialize + ?Sized>(body: &B) -> Result<Payload, Error> {
    Ok(Payload::Form(to_pairs(encode(body, "body")?)))
}

/// A `multipart/form-data` body: not sent yet.
#[allow(dead_code)]
pub(crate) fn multipart<B: Serialize + ?Sized>(_body: &B) -> Result<Payload, Error> {
    Ok(Payload::Unsupported("multipart/form-data bodies are not supported yet"))
}

/// The success answer of a generated operation.
pub(crate) struct Reply<'c> {
    client: &'c GhlClient,
    call: Call,
    answer: Answer,
}

impl Reply<'_> {
    /// The answer decoded as its typed value; a decode error names the operation and the field.
    pub(crate) fn decode<T: DeserializeOwned>(self) -> Result<T, Error> {
        self.client.json_of(self.call, self.answer)?.whole()
    }

    /// The answer as JSON, for operations whose answer the spec leaves without a schema
    /// (`Null` when the body is empty).
    pub(crate) fn value(self) -> Result<serde_json::Value, Error> {
        if self.answer.body.trim().is_empty() {
            return Ok(serde_json::Value::Null);
        }
        self.decode()
    }
}

/// The path template with its `{name}` placeholders replaced by `args`, in order, as segments.
fn segments(template: &str, args: &[&str]) -> Result<Vec<String>, Error> {
    let mut args = args.iter();
    let mut out = Vec::new();
    for segment in template.trim_start_matches('/').split('/') {
        match (segment.find('{'), segment.find('}')) {
            (Some(open), Some(close)) if open < close => {
                let arg = args.next().ok_or_else(|| {
                    Error::InvalidRequest(format!("{template}: a path parameter is missing"))
                })?;
                if arg.is_empty() {
                    return Err(Error::InvalidRequest(format!(
                        "{template}: a path parameter is empty"
                    )));
                }
                out.push(format!("{}{arg}{}", &segment[..open], &segment[close + 1..]));
            }
            _ => out.push(segment.to_owned()),
        }
    }
    Ok(out)
}

/// Sends one generated operation through the client's send path.
pub(crate) async fn run<'c>(
    client: &'c GhlClient,
    op: &'static Operation,
    path_args: &[&str],
    query: Vec<(Cow<'static, str>, String)>,
    payload: Payload,
) -> Result<Reply<'c>, Error> {
    let method = Method::from_bytes(op.method.as_bytes())
        .map_err(|_| Error::InvalidRequest(format!("bad method {}", op.method)))?;
    let segments = segments(op.path, path_args)?;
    let refs: Vec<&str> = segments.iter().map(String::as_str).collect();
    let scope = op.scope();
    let mut call = Call::new(
        method,
        op.path,
        &refs,
        op.version.unwrap_or_default(),
        scope.clone().unwrap_or_else(|| Scope::from("")),
    );
    call.version = op.version;
    call.scope = scope;
    call.query = query;
    if op.id.contains("upsert") {
        call = call.idempotent();
    }
    if op.path.starts_with("/oauth/") {
        // Token answers: never copied into errors.
        call.sensitive_answer = true;
        call.authenticated = op.path != "/oauth/token";
    }
    call.body = match payload {
        Payload::None => Body::None,
        Payload::Json(bytes) => Body::Json(bytes),
        Payload::Form(pairs) => Body::FormPairs(pairs),
        Payload::Unsupported(why) => return Err(Error::InvalidRequest(why.to_owned())),
    };
    let answer = client.execute(&call).await?;
    Ok(Reply {
        client,
        call,
        answer,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_become_segments() {
        assert_eq!(
            segments("/opportunities/{id}/status", &["o-1"]).unwrap(),
            ["opportunities", "o-1", "status"]
        );
        assert_eq!(segments("/users/", &[]).unwrap(), ["users", ""]);
        assert!(segments("/a/{id}", &[]).is_err());
        assert!(segments("/a/{id}", &[""]).is_err());
    }

    #[test]
    fn queries_repeat_list_names_and_skip_absent_values() {
        let pairs = to_pairs(serde_json::json!({"a": "x", "b": [1, 2.0], "c": null, "d": true, "e": 2.5}));
        assert_eq!(
            pairs,
            [
                ("a".to_owned(), "x".to_owned()),
                ("b".to_owned(), "1".to_owned()),
                ("b".to_owned(), "2".to_owned()),
                ("d".to_owned(), "true".to_owned()),
                ("e".to_owned(), "2.5".to_owned())
            ]
        );
    }
}
