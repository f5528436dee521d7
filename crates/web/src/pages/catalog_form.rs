//! The catalog entry form: its fields as flat form values (`item_name_0`, `cond_kind_1` …) to and from
//! `ResourceContent`. Reading never fails: a value the form could not have sent (an unknown option) is reported
//! as a field problem, and the service checks the rest.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use domain::catalog::attrs::{Attr, Instrument, LegalBasis, NotOpenReason, OpenConditions, OpenOp, SecurityReview, ShareCondition, ShareOp};
use domain::catalog::entry::{
    CatalogKind, DataFormat, IdentifierKind, Item, ItemType, OperationStatus, ProvisionMethod, ResourceContent, SecurityLevel, UpdateFrequency,
};
use domain::FieldIssue;
use minijinja::{context, Value};

/// Blank item rows offered below the filled ones.
pub const BLANK_ITEMS: usize = 3;
/// Condition and basis rows offered.
pub const CONDITION_ROWS: usize = 2;
pub const BASIS_ROWS: usize = 2;

/// The submitted values, by name (a name sent several times, like a checkbox group, keeps all its values).
pub struct FormValues(BTreeMap<String, Vec<String>>);

impl FormValues {
    pub fn new(pairs: Vec<(String, String)>) -> FormValues {
        let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, v) in pairs {
            map.entry(k).or_default().push(v);
        }
        FormValues(map)
    }

    pub fn get(&self, key: &str) -> &str {
        self.0.get(key).and_then(|v| v.first()).map(|s| s.trim()).unwrap_or("")
    }

    fn all(&self, key: &str) -> Vec<&str> {
        self.0.get(key).map(|v| v.iter().map(|s| s.trim()).filter(|s| !s.is_empty()).collect()).unwrap_or_default()
    }

    fn lines(&self, key: &str) -> Vec<String> {
        self.get(key).split(['\n', '，', ',']).map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
    }

    /// How many item rows were sent (the highest index + 1).
    fn rows(&self, prefix: &str) -> usize {
        self.0.keys().filter_map(|k| k.strip_prefix(prefix).and_then(|i| i.parse::<usize>().ok())).map(|i| i + 1).max().unwrap_or(0)
    }
}

/// Reads a closed vocabulary value; empty is none.
fn pick<T: Copy>(values: &FormValues, key: &str, parse: fn(&str) -> Option<T>, issues: &mut Vec<FieldIssue>) -> Option<T> {
    let raw = values.get(key);
    if raw.is_empty() {
        return None;
    }
    let parsed = parse(raw);
    if parsed.is_none() {
        issues.push(FieldIssue::new(key, format!("“{raw}”不是可选的值"), format!("'{raw}' is not one of the options")));
    }
    parsed
}

fn date(values: &FormValues, key: &str, issues: &mut Vec<FieldIssue>) -> Option<NaiveDate> {
    let raw = values.get(key);
    if raw.is_empty() {
        return None;
    }
    match raw.parse() {
        Ok(d) => Some(d),
        Err(_) => {
            issues.push(FieldIssue::new(key, format!("“{raw}”不是日期（YYYY-MM-DD）"), format!("'{raw}' is not a date (YYYY-MM-DD)")));
            None
        }
    }
}

/// The content a submitted form describes. `keep` supplies what the form does not show (relations).
pub fn content_from(values: &FormValues, keep: &ResourceContent, open_attr: bool, authorized_operation: bool) -> (ResourceContent, Vec<FieldIssue>) {
    let mut issues = Vec::new();
    let mut c = ResourceContent {
        name: values.get("name").to_string(),
        summary: values.get("summary").to_string(),
        catalog_kind: pick(values, "catalog_kind", CatalogKind::parse, &mut issues).unwrap_or_default(),
        business_name: values.get("business_name").to_string(),
        system_name: values.get("system_name").to_string(),
        source: values.get("source").to_string(),
        format: pick(values, "format", DataFormat::parse, &mut issues),
        industry: values.get("industry").to_string(),
        classification: values.get("classification").to_string(),
        coverage_start: date(values, "coverage_start", &mut issues),
        coverage_end: date(values, "coverage_end", &mut issues),
        coverage_regions: values.lines("coverage_regions"),
        update_frequency: pick(values, "update_frequency", UpdateFrequency::parse, &mut issues),
        provision_methods: values.all("provision_methods").into_iter().filter_map(ProvisionMethod::parse).collect(),
        security_level: pick(values, "security_level", SecurityLevel::parse, &mut issues),
        security_requirements: values.get("security_requirements").to_string(),
        reference_standards: values.lines("reference_standards"),
        relations: keep.relations.clone(),
        derived_from: keep.derived_from.clone(),
        ..Default::default()
    };
    read_sharing(values, &mut c, &mut issues);
    read_opening(values, &mut c, open_attr, &mut issues);
    if authorized_operation {
        c.authorized_operation.status = pick(values, "operation_status", OperationStatus::parse, &mut issues);
        c.authorized_operation.scenarios = values.get("operation_scenarios").lines().map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect();
    }
    c.items = read_items(values, &mut issues);
    (c, issues)
}

/// The sharing and opening sections only, onto `base` (the attribute-change form).
pub fn attributes_from(values: &FormValues, base: &ResourceContent, open_attr: bool) -> (ResourceContent, Vec<FieldIssue>) {
    let mut issues = Vec::new();
    let mut c = base.clone();
    c.sharing = Default::default();
    c.opening = Default::default();
    read_sharing(values, &mut c, &mut issues);
    read_opening(values, &mut c, open_attr, &mut issues);
    (c, issues)
}

fn read_sharing(values: &FormValues, c: &mut ResourceContent, issues: &mut Vec<FieldIssue>) {
    let s = &mut c.sharing;
    s.attr = pick(values, "share_attr", Attr::parse, issues);
    s.ops = values.all("share_ops").into_iter().filter_map(ShareOp::parse).collect();
    s.restriction_reason = values.get("share_restriction_reason").to_string();
    s.period_months = match values.get("share_period_months") {
        "" => None,
        raw => match raw.parse::<u32>() {
            Ok(n) => Some(n),
            Err(_) => {
                issues.push(FieldIssue::new("share_period_months", "共享期限须为月数（整数）", "The share period is a whole number of months"));
                None
            }
        },
    };
    for i in 0..CONDITION_ROWS {
        let kind = values.get(&format!("cond_kind_{i}"));
        let a = values.get(&format!("cond_a_{i}")).to_string();
        let use_purpose = values.get(&format!("cond_purpose_{i}")).to_string();
        let condition = match kind {
            "" => continue,
            "specific_departments" => ShareCondition::SpecificDepartments {
                department_ids: values.all(&format!("cond_depts_{i}")).iter().filter_map(|d| d.parse().ok()).collect(),
                use_purpose,
            },
            "view_only" => ShareCondition::ViewOnly { view_method: a, use_purpose },
            "compare_only" => ShareCondition::CompareOnly { compare_method: a, use_purpose },
            "statistics_only" => ShareCondition::StatisticsOnly { data_status_description: a, use_purpose },
            "partial_items" => ShareCondition::PartialItems { items: values.lines(&format!("cond_a_{i}")), use_purpose },
            "other" => ShareCondition::Other { description: a },
            other => {
                issues.push(FieldIssue::new(format!("cond_kind_{i}"), format!("未知的共享条件“{other}”"), format!("Unknown share condition '{other}'")));
                continue;
            }
        };
        s.conditions.push(condition);
    }
    for i in 0..BASIS_ROWS {
        let name = values.get(&format!("basis_name_{i}"));
        if name.is_empty() {
            continue;
        }
        let instrument = values.get(&format!("basis_instrument_{i}"));
        match Instrument::parse(instrument) {
            Some(instrument) => s.basis.push(LegalBasis { instrument, name: name.to_string(), article: values.get(&format!("basis_article_{i}")).to_string() }),
            None => issues.push(FieldIssue::new(format!("basis_instrument_{i}"), "请选择依据的文件类型", "Choose the kind of instrument")),
        }
    }
}

fn read_opening(values: &FormValues, c: &mut ResourceContent, open_attr: bool, issues: &mut Vec<FieldIssue>) {
    let o = &mut c.opening;
    if open_attr {
        o.attr = pick(values, "open_attr", Attr::parse, issues);
    } else {
        o.to_public = match values.get("open_to_public") {
            "yes" => Some(true),
            "no" => Some(false),
            _ => None,
        };
    }
    o.not_open_reason = match values.get("not_open_reason") {
        "" => None,
        raw => {
            let parsed = NotOpenReason::parse(raw);
            if parsed.is_none() {
                issues.push(FieldIssue::new("not_open_reason", "请选择不予开放的理由", "Choose why the data is not opened"));
            }
            parsed
        }
    };
    o.conditions = OpenConditions {
        recipients: values.get("open_recipients").to_string(),
        purposes: values.get("open_purposes").to_string(),
        scope: values.get("open_usage_scope").to_string(),
    };
    o.ops = values.all("open_ops").into_iter().filter_map(OpenOp::parse).collect();
    o.scope = values.get("open_scope").to_string();
    o.priority = values.get("open_priority") == "1";
    // The review is recorded once its reviewer or its date is given; the rules then say what else it needs.
    let (reviewer, date) = (values.get("review_reviewer"), values.get("review_date"));
    o.security_review = if reviewer.is_empty() && date.is_empty() {
        None
    } else {
        match NaiveDate::parse_from_str(date, "%Y-%m-%d") {
            Ok(reviewed_on) => Some(SecurityReview {
                passed: values.get("review_passed") == "1",
                reviewer: reviewer.to_string(),
                reviewed_on,
                desensitization: values.get("review_desensitization").to_string(),
            }),
            Err(_) => {
                issues.push(FieldIssue::new("review_date", "请填写审查日期（YYYY-MM-DD）", "Give the review date (YYYY-MM-DD)"));
                None
            }
        }
    };
}

fn read_items(values: &FormValues, issues: &mut Vec<FieldIssue>) -> Vec<Item> {
    let mut items = Vec::new();
    for i in 0..values.rows("item_name_") {
        let name = values.get(&format!("item_name_{i}"));
        let label = values.get(&format!("item_label_{i}"));
        if name.is_empty() && label.is_empty() {
            continue;
        }
        items.push(Item {
            name: name.to_string(),
            label: label.to_string(),
            data_type: pick(values, &format!("item_type_{i}"), ItemType::parse, issues).unwrap_or(ItemType::String),
            format: values.get(&format!("item_format_{i}")).to_string(),
            is_key: values.get(&format!("item_key_{i}")) == "1",
            required: values.get(&format!("item_required_{i}")) == "1",
            identifier: pick(values, &format!("item_identifier_{i}"), IdentifierKind::parse, issues).unwrap_or_default(),
            level: pick(values, &format!("item_level_{i}"), SecurityLevel::parse, issues),
            values: values.lines(&format!("item_values_{i}")),
            description: values.get(&format!("item_description_{i}")).to_string(),
        });
    }
    items
}

/// The form's values for `c`: what the template fills its fields with, with `extra_items` blank item rows.
pub fn values_of(c: &ResourceContent, extra_items: usize) -> Value {
    let items: Vec<Value> = c
        .items
        .iter()
        .map(|i| {
            context! {
                name => i.name, label => i.label, data_type => i.data_type.as_str(), format => i.format, is_key => i.is_key,
                required => i.required, identifier => i.identifier.as_str(), level => i.level.map(|l| l.as_str()),
                values => i.values.join("，"), description => i.description,
            }
        })
        .chain((0..extra_items).map(|_| context! { data_type => "string", identifier => "none" }))
        .collect();
    let conditions: Vec<Value> = (0..CONDITION_ROWS)
        .map(|i| match c.sharing.conditions.get(i) {
            Some(ShareCondition::SpecificDepartments { department_ids, use_purpose }) => {
                context! { kind => "specific_departments", depts => department_ids, purpose => use_purpose }
            }
            Some(ShareCondition::ViewOnly { view_method, use_purpose }) => context! { kind => "view_only", a => view_method, purpose => use_purpose },
            Some(ShareCondition::CompareOnly { compare_method, use_purpose }) => {
                context! { kind => "compare_only", a => compare_method, purpose => use_purpose }
            }
            Some(ShareCondition::StatisticsOnly { data_status_description, use_purpose }) => {
                context! { kind => "statistics_only", a => data_status_description, purpose => use_purpose }
            }
            Some(ShareCondition::PartialItems { items, use_purpose }) => context! { kind => "partial_items", a => items.join("，"), purpose => use_purpose },
            Some(ShareCondition::Other { description }) => context! { kind => "other", a => description },
            None => context! { kind => "" },
        })
        .collect();
    let basis: Vec<Value> = (0..BASIS_ROWS)
        .map(|i| match c.sharing.basis.get(i) {
            Some(b) => context! { instrument => b.instrument.as_str(), name => b.name, article => b.article },
            None => context! {},
        })
        .collect();
    let s = &c.sharing;
    let o = &c.opening;
    context! {
        name => c.name, summary => c.summary, catalog_kind => c.catalog_kind.as_str(), business_name => c.business_name,
        system_name => c.system_name, source => c.source, format => c.format.map(|f| f.as_str()), industry => c.industry,
        classification => c.classification, coverage_start => c.coverage_start.map(|d| d.to_string()),
        coverage_end => c.coverage_end.map(|d| d.to_string()), coverage_regions => c.coverage_regions.join("，"),
        update_frequency => c.update_frequency.map(|f| f.as_str()),
        provision_methods => c.provision_methods.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
        security_level => c.security_level.map(|l| l.as_str()), security_requirements => c.security_requirements,
        reference_standards => c.reference_standards.join("\n"),
        share_attr => s.attr.map(|a| a.as_str()), share_ops => s.ops.iter().map(|o| o.as_str()).collect::<Vec<_>>(),
        share_restriction_reason => s.restriction_reason, share_period_months => s.period_months,
        conditions, basis,
        open_attr => o.attr.map(|a| a.as_str()),
        open_to_public => o.to_public.map(|b| if b { "yes" } else { "no" }),
        not_open_reason => o.not_open_reason.map(NotOpenReason::as_str),
        open_recipients => o.conditions.recipients, open_purposes => o.conditions.purposes, open_usage_scope => o.conditions.scope,
        open_ops => o.ops.iter().map(|x| x.as_str()).collect::<Vec<_>>(),
        open_scope => o.scope, open_priority => o.priority,
        review_passed => o.security_review.as_ref().is_some_and(|r| r.passed),
        review_reviewer => o.security_review.as_ref().map(|r| r.reviewer.clone()),
        review_date => o.security_review.as_ref().map(|r| r.reviewed_on.to_string()),
        review_desensitization => o.security_review.as_ref().map(|r| r.desensitization.clone()),
        operation_status => c.authorized_operation.status.map(|s| s.as_str()),
        operation_scenarios => c.authorized_operation.scenarios.join("\n"),
        items,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> FormValues {
        FormValues::new(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn a_filled_form_reads_back_as_content() {
        let values = form(&[
            ("name", " 婚姻登记信息 "),
            ("format", "table"),
            ("coverage_regions", "230500，230502"),
            ("provision_methods", "api"),
            ("provision_methods", "file"),
            ("share_attr", "conditional"),
            ("share_ops", "view"),
            ("cond_kind_0", "view_only"),
            ("cond_a_0", "平台内查阅"),
            ("cond_purpose_0", "婚姻状况核查"),
            ("basis_instrument_0", "rule"),
            ("basis_name_0", "《婚姻登记条例》"),
            ("open_attr", "none"),
            ("not_open_reason", "personal_privacy"),
            ("item_name_0", "xm"),
            ("item_label_0", "姓名"),
            ("item_type_0", "string"),
            ("item_name_1", ""),
            ("item_label_1", ""),
        ]);
        let (c, issues) = content_from(&values, &ResourceContent::default(), true, false);
        assert!(issues.is_empty(), "{issues:?}");
        assert_eq!(c.name, "婚姻登记信息");
        assert_eq!(c.coverage_regions, ["230500", "230502"]);
        assert_eq!(c.provision_methods.len(), 2);
        assert_eq!(c.sharing.conditions.len(), 1);
        assert_eq!(c.sharing.basis[0].instrument, Instrument::Rule);
        assert_eq!(c.opening.not_open_reason, Some(NotOpenReason::PersonalPrivacy));
        assert_eq!(c.items.len(), 1, "blank rows are skipped");
    }

    #[test]
    fn values_the_form_could_not_send_are_named() {
        let values = form(&[("name", "x"), ("format", "floppy"), ("coverage_start", "2020-13-01"), ("cond_kind_0", "bribe")]);
        let (_, issues) = content_from(&values, &ResourceContent::default(), true, false);
        let fields: Vec<&str> = issues.iter().map(|i| i.field.as_str()).collect();
        assert_eq!(fields, ["format", "coverage_start", "cond_kind_0"]);
    }
}
