//! The field-by-field difference between two revisions, as the reviewer and the history page show it. Items are
//! matched by their column name, so a renamed label reads as a change of one item, not a removal and an addition.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use super::entry::ResourceContent;

/// One changed field: its path (`sharing.attr`, `items[zjhm].label`) and the values before and after, as
/// compact JSON (absent when the field or item did not exist).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct FieldChange {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// What changed from `before` to `after`; `before` is none for the first revision.
pub fn diff(before: Option<&ResourceContent>, after: &ResourceContent) -> Vec<FieldChange> {
    let empty = Value::Object(Default::default());
    let b = before.map(|c| serde_json::to_value(c).expect("content serializes")).unwrap_or(empty);
    let a = serde_json::to_value(after).expect("content serializes");
    let mut out = Vec::new();
    walk("", &b, &a, &mut out);
    out
}

fn walk(path: &str, before: &Value, after: &Value, out: &mut Vec<FieldChange>) {
    match (before, after) {
        (Value::Object(b), Value::Object(a)) => {
            let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let child = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                let null = Value::Null;
                let (bv, av) = (b.get(k).unwrap_or(&null), a.get(k).unwrap_or(&null));
                if k == "items" && path.is_empty() {
                    items(bv, av, out);
                } else {
                    walk(&child, bv, av, out);
                }
            }
        }
        (b, a) if b == a => {}
        (b, a) => out.push(FieldChange { field: path.to_string(), before: shown(b), after: shown(a) }),
    }
}

fn items(before: &Value, after: &Value, out: &mut Vec<FieldChange>) {
    let list = |v: &Value| -> Vec<(String, Value)> {
        v.as_array()
            .map(|a| a.iter().map(|i| (i["name"].as_str().unwrap_or_default().to_string(), i.clone())).collect())
            .unwrap_or_default()
    };
    let (b, a) = (list(before), list(after));
    for (name, item) in &b {
        match a.iter().find(|(n, _)| n == name) {
            None => out.push(FieldChange { field: format!("items[{name}]"), before: shown(item), after: None }),
            Some((_, new)) => walk(&format!("items[{name}]"), item, new, out),
        }
    }
    for (name, item) in &a {
        if !b.iter().any(|(n, _)| n == name) {
            out.push(FieldChange { field: format!("items[{name}]"), before: None, after: shown(item) });
        }
    }
}

/// Empty values (null, "", [], {}, false) read as absent, so a field first filled in shows as added.
fn shown(v: &Value) -> Option<String> {
    let empty = match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        Value::Bool(b) => !b,
        Value::Number(_) => false,
    };
    if empty {
        None
    } else if let Value::String(s) = v {
        Some(s.clone())
    } else {
        Some(v.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::attrs::Attr;
    use crate::catalog::testing::item;

    #[test]
    fn changes_are_listed_by_field_and_items_by_name() {
        let mut v1 = ResourceContent { name: "婚姻登记信息".into(), ..Default::default() };
        v1.sharing.attr = Some(Attr::Unconditional);
        v1.items = vec![item("xm", "姓名"), item("djrq", "登记日期")];
        let mut v2 = v1.clone();
        v2.summary = "全市婚姻登记记录".into();
        v2.sharing.attr = Some(Attr::Conditional);
        v2.items = vec![item("xm", "男方姓名"), item("hyzk", "婚姻状况")];
        let d = diff(Some(&v1), &v2);
        let fields: Vec<&str> = d.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["items[xm].label", "items[djrq]", "items[hyzk]", "sharing.attr", "summary"]);
        let attr = d.iter().find(|c| c.field == "sharing.attr").unwrap();
        assert_eq!((attr.before.as_deref(), attr.after.as_deref()), (Some("unconditional"), Some("conditional")));
        assert_eq!(d.iter().find(|c| c.field == "summary").unwrap().before, None, "an empty summary reads as absent");
        assert!(diff(Some(&v2), &v2).is_empty());
        assert!(diff(None, &v1).iter().any(|c| c.field == "name"));
    }
}
