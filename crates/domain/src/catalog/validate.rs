//! Checking delivered values against a resource's items (LS-10a, SYS-16b, SYS-16c, SYS-17c): each value against
//! its item's type, format, enumeration and identifier kind, required items and keys present. What is safely
//! normalizable is normalized — surrounding spaces (also the full-width one), full-width digits and letters in
//! numbers, dates and identifiers, `/` or `.` in dates, 是/否 in booleans — and the caller is told, so the batch
//! report can count it; nothing else is ever changed. The checks allocate only when a value must change or fails.

use std::borrow::Cow;

use super::entry::{IdentifierKind, Item, ItemType};
use crate::ids::{CitizenId, CitizenIdProblem, Uscc};

/// Why a value does not fit its item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A required item or a key is empty.
    Missing,
    NotInteger,
    NotDecimal,
    NotDate,
    NotDateTime,
    NotBoolean,
    /// Not one of the item's values.
    NotInValues,
    CitizenId(CitizenIdProblem),
    /// Why, in Chinese and English.
    Uscc(String, String),
    Phone,
    /// Longer than the limit a value may have.
    TooLong(usize),
}

/// The longest value a cell may hold: a longer one is refused rather than stored (a 10 MB field is an error).
pub const MAX_VALUE_CHARS: usize = 65_535;

impl Problem {
    /// A short stable code, for counting problems by kind.
    pub fn code(&self) -> &'static str {
        match self {
            Problem::Missing => "missing",
            Problem::NotInteger => "not_integer",
            Problem::NotDecimal => "not_decimal",
            Problem::NotDate => "not_date",
            Problem::NotDateTime => "not_datetime",
            Problem::NotBoolean => "not_boolean",
            Problem::NotInValues => "not_in_values",
            Problem::CitizenId(_) => "invalid_citizen_id",
            Problem::Uscc(..) => "invalid_uscc",
            Problem::Phone => "invalid_phone",
            Problem::TooLong(_) => "too_long",
        }
    }

    /// What is wrong, naming the item, in Chinese and English.
    pub fn messages(&self, item: &Item) -> (String, String) {
        let (zh, en) = match self {
            Problem::Missing => ("为必填项，不能为空".to_string(), "is required and empty".to_string()),
            Problem::NotInteger => ("不是整数".into(), "is not an integer".into()),
            Problem::NotDecimal => ("不是数值".into(), "is not a number".into()),
            Problem::NotDate => ("不是日期（YYYY-MM-DD）".into(), "is not a date (YYYY-MM-DD)".into()),
            Problem::NotDateTime => ("不是日期时间（YYYY-MM-DD HH:MM:SS）".into(), "is not a date and time (YYYY-MM-DD HH:MM:SS)".into()),
            Problem::NotBoolean => ("须为是或否".into(), "must be yes or no".into()),
            Problem::NotInValues => (format!("不在可选值（{}）之中", item.values.join("、")), format!("is not one of: {}", item.values.join(", "))),
            Problem::CitizenId(p) => {
                let (zh, en) = p.messages();
                (format!("不是有效的公民身份号码：{zh}"), format!("is not a valid citizen ID number: {en}"))
            }
            Problem::Uscc(zh, en) => (format!("不是有效的统一社会信用代码：{zh}"), format!("is not a valid unified social credit code: {en}")),
            Problem::Phone => ("不是有效的电话号码".into(), "is not a valid phone number".into()),
            Problem::TooLong(n) => (format!("超过{MAX_VALUE_CHARS}个字符（{n}个）"), format!("has more than {MAX_VALUE_CHARS} characters ({n})")),
        };
        (format!("数据项“{}”（{}）{zh}", item.label, item.name), format!("Item '{}' ({}) {en}", item.label, item.name))
    }
}

/// A value that fits its item, as it is to be stored, and whether it had to be normalized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked<'a> {
    /// `None` for an empty optional value.
    pub value: Option<Cow<'a, str>>,
    pub normalized: bool,
}

/// Checks one raw value against its item.
pub fn check<'a>(item: &Item, raw: &'a str) -> Result<Checked<'a>, Problem> {
    let trimmed = raw.trim_matches(|c: char| c.is_whitespace() || c == '\u{3000}');
    let mut normalized = trimmed.len() != raw.len();
    if trimmed.is_empty() {
        return if item.required || item.is_key { Err(Problem::Missing) } else { Ok(Checked { value: None, normalized: false }) };
    }
    if trimmed.len() > MAX_VALUE_CHARS {
        let n = trimmed.chars().count();
        if n > MAX_VALUE_CHARS {
            return Err(Problem::TooLong(n));
        }
    }
    // Numbers, dates and identifiers are read with full-width digits and letters made half-width.
    let structured = item.identifier != IdentifierKind::None || !matches!(item.data_type, ItemType::String);
    let mut value: Cow<'a, str> = Cow::Borrowed(trimmed);
    if structured && !trimmed.is_ascii() {
        let half = half_width(trimmed);
        if half != trimmed {
            normalized = true;
            value = Cow::Owned(half);
        }
    }
    let value = match item.identifier {
        IdentifierKind::CitizenId => {
            CitizenId::check(&value).map_err(Problem::CitizenId)?;
            if value.ends_with('x') {
                normalized = true;
                Cow::Owned(value.to_ascii_uppercase())
            } else {
                value
            }
        }
        IdentifierKind::Uscc => {
            let code = Uscc::parse(&value).map_err(|e| Problem::Uscc(e.message, e.message_en))?;
            if code.as_str() != value {
                normalized = true;
                Cow::Owned(code.as_str().to_string())
            } else {
                value
            }
        }
        IdentifierKind::Phone => {
            if !is_phone(&value) {
                return Err(Problem::Phone);
            }
            value
        }
        IdentifierKind::None => value,
    };
    let value = match item.data_type {
        ItemType::String => value,
        ItemType::Integer => {
            if value.parse::<i64>().is_err() {
                return Err(Problem::NotInteger);
            }
            value
        }
        ItemType::Decimal => {
            if value.parse::<f64>().map_or(true, |f| !f.is_finite()) {
                return Err(Problem::NotDecimal);
            }
            value
        }
        // Already in the stored form: checked without a copy.
        ItemType::Date if iso_date(&value).is_some() => value,
        ItemType::Date => match date(&value) {
            Some(d) if d == value => value,
            Some(d) => {
                normalized = true;
                Cow::Owned(d)
            }
            None => return Err(Problem::NotDate),
        },
        ItemType::DateTime => {
            let v = value.replace('T', " ");
            if chrono::NaiveDateTime::parse_from_str(&v, "%Y-%m-%d %H:%M:%S").is_err() && chrono::NaiveDateTime::parse_from_str(&v, "%Y-%m-%d %H:%M").is_err() {
                return Err(Problem::NotDateTime);
            }
            if v != value {
                normalized = true;
                Cow::Owned(v)
            } else {
                value
            }
        }
        ItemType::Boolean => {
            let b = match &*value {
                "true" | "TRUE" | "True" | "1" | "是" | "Y" | "y" => "true",
                "false" | "FALSE" | "False" | "0" | "否" | "N" | "n" => "false",
                _ => return Err(Problem::NotBoolean),
            };
            if b != value {
                normalized = true;
            }
            Cow::Borrowed(b)
        }
    };
    if !item.values.is_empty() && !item.values.iter().any(|v| *v == value) {
        return Err(Problem::NotInValues);
    }
    Ok(Checked { value: Some(value), normalized })
}

/// A date already written YYYY-MM-DD, read without a format parser (the common case, checked millions of times).
pub fn iso_date(s: &str) -> Option<chrono::NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| b[r].iter().try_fold(0u32, |n, c| c.is_ascii_digit().then(|| n * 10 + (c - b'0') as u32));
    chrono::NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)
}

/// Full-width digits, letters and punctuation (U+FF01–U+FF5E) as their ASCII forms.
fn half_width(s: &str) -> String {
    s.chars().map(|c| if ('\u{FF01}'..='\u{FF5E}').contains(&c) { char::from_u32(c as u32 - 0xFEE0).unwrap_or(c) } else { c }).collect()
}

/// A date as YYYY-MM-DD, from that form, YYYY/MM/DD, YYYY.MM.DD or YYYYMMDD.
fn date(s: &str) -> Option<String> {
    let d = if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        chrono::NaiveDate::parse_from_str(s, "%Y%m%d").ok()?
    } else {
        chrono::NaiveDate::parse_from_str(&s.replace(['/', '.'], "-"), "%Y-%m-%d").ok()?
    };
    Some(d.format("%Y-%m-%d").to_string())
}

/// A mainland mobile number (11 digits from 13 to 19), or a fixed line with its area code (0 then 2–3 digits, an
/// optional `-`, and 7–8 digits, with an optional extension).
fn is_phone(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |x: &[u8]| !x.is_empty() && x.iter().all(|c| c.is_ascii_digit());
    if b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]) && digits(b) {
        return true;
    }
    let (main, _ext) = match s.split_once(['转', '#']) {
        Some((m, e)) if digits(e.as_bytes()) => (m, Some(e)),
        Some(_) => return false,
        None => (s, None),
    };
    let joined: String = main.split('-').collect();
    let parts = main.split('-').count();
    parts <= 2 && joined.starts_with('0') && digits(joined.as_bytes()) && (10..=12).contains(&joined.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::testing::item;

    fn typed(data_type: ItemType, identifier: IdentifierKind) -> Item {
        Item { data_type, identifier, ..item("x", "值") }
    }

    #[test]
    fn sys_16b_citizen_ids_are_checked_and_full_width_digits_normalized() {
        let id = typed(ItemType::String, IdentifierKind::CitizenId);
        assert_eq!(check(&id, "11010519491231002X").unwrap(), Checked { value: Some(Cow::Borrowed("11010519491231002X")), normalized: false });
        let full = check(&id, " １１０１０５１９４９１２３１００２ｘ ").unwrap();
        assert_eq!((full.value.as_deref(), full.normalized), (Some("11010519491231002X"), true));
        assert_eq!(check(&id, "110105194912310021").unwrap_err(), Problem::CitizenId(CitizenIdProblem::Check('X')));
        let (zh, _) = check(&id, "110105194912310021").unwrap_err().messages(&id);
        assert!(zh.contains("值") && zh.contains("校验位"), "{zh}");
    }

    #[test]
    fn values_fit_their_types_and_only_safe_forms_are_normalized() {
        let date_item = typed(ItemType::Date, IdentifierKind::None);
        assert_eq!(check(&date_item, "2020/1/2").unwrap().value.as_deref(), Some("2020-01-02"), "year first, as Chinese dates are written");
        assert_eq!(check(&date_item, "01/02/2020").unwrap_err(), Problem::NotDate, "day or month first is ambiguous and refused");
        assert_eq!(check(&date_item, "2020/01/02").unwrap().value.as_deref(), Some("2020-01-02"));
        assert_eq!(check(&date_item, "20200102").unwrap().value.as_deref(), Some("2020-01-02"));
        assert_eq!(check(&date_item, "2020-02-30").unwrap_err(), Problem::NotDate);
        let int = typed(ItemType::Integer, IdentifierKind::None);
        assert_eq!(check(&int, "１２").unwrap().value.as_deref(), Some("12"));
        assert_eq!(check(&int, "12.5").unwrap_err(), Problem::NotInteger);
        let dec = typed(ItemType::Decimal, IdentifierKind::None);
        assert!(check(&dec, "NaN").is_err() && check(&dec, "3.25").is_ok());
        let b = typed(ItemType::Boolean, IdentifierKind::None);
        assert_eq!(check(&b, "是").unwrap(), Checked { value: Some(Cow::Borrowed("true")), normalized: true });
        let text = typed(ItemType::String, IdentifierKind::None);
        assert_eq!(check(&text, "１２号").unwrap().value.as_deref(), Some("１２号"), "free text keeps its full-width digits");
        assert_eq!(check(&text, "").unwrap().value, None, "an empty optional value");
        let key = Item { is_key: true, ..text.clone() };
        assert_eq!(check(&key, "  ").unwrap_err(), Problem::Missing);
        let long = "数".repeat(MAX_VALUE_CHARS + 1);
        assert_eq!(check(&text, &long).unwrap_err(), Problem::TooLong(MAX_VALUE_CHARS + 1));
        let choice = Item { values: vec!["男".into(), "女".into()], ..text };
        assert_eq!(check(&choice, "未知").unwrap_err(), Problem::NotInValues);
        let phone = typed(ItemType::String, IdentifierKind::Phone);
        for ok in ["13812345678", "0469-4212345", "04694212345", "010-12345678转123"] {
            assert!(check(&phone, ok).is_ok(), "{ok}");
        }
        for bad in ["1381234567", "12812345678", "4212345", "0469-42-12345"] {
            assert_eq!(check(&phone, bad).unwrap_err(), Problem::Phone, "{bad}");
        }
        let uscc = typed(ItemType::String, IdentifierKind::Uscc);
        assert_eq!(check(&uscc, "91350100m000100y43").unwrap().value.as_deref(), Some("91350100M000100Y43"));
        assert_eq!(check(&uscc, "91350100M000100Y44").unwrap_err().code(), "invalid_uscc");
    }
}
