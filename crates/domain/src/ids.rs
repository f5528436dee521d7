//! Identifiers parsed at the boundary: unified social credit codes (GB 32100), citizen ID numbers (GB 11643) and
//! administrative division codes (GB/T 2260). A value of these types is valid by construction.

use std::fmt;

use chrono::Datelike;
use serde::{Deserialize, Serialize};

use crate::Invalid;

/// The 31 characters of GB 32100, in the order of their values (I, O, Z, S and V are not used).
const USCC_CHARSET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// Weights of positions 1 to 17: 3^(i-1) mod 31.
const USCC_WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/// A unified social credit code (统一社会信用代码), 18 characters with its GB 32100 check character.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Uscc(String);

impl Uscc {
    pub fn parse(input: &str) -> Result<Uscc, Invalid> {
        let code = input.trim().to_ascii_uppercase();
        if code.chars().count() != 18 {
            return Err(Invalid::new(
                "invalid_uscc",
                format!("统一社会信用代码应为18位，收到{}位：{}", code.chars().count(), input.trim()),
                format!("A unified social credit code has 18 characters; got {}: {}", code.chars().count(), input.trim()),
            ));
        }
        let mut values = [0u32; 18];
        for (i, b) in code.bytes().enumerate() {
            match USCC_CHARSET.iter().position(|c| *c == b) {
                Some(v) => values[i] = v as u32,
                None => {
                    return Err(Invalid::new(
                        "invalid_uscc",
                        format!("统一社会信用代码第{}位“{}”不是允许的字符（不含I、O、Z、S、V）", i + 1, b as char),
                        format!(
                            "Character {} '{}' of the unified social credit code is not allowed (I, O, Z, S, V are never used)",
                            i + 1,
                            b as char
                        ),
                    ))
                }
            }
        }
        let expected = uscc_check_value(&values[..17]);
        if values[17] != expected {
            return Err(Invalid::new(
                "invalid_uscc",
                format!(
                    "统一社会信用代码校验位错误：应为“{}”，实为“{}”，请核对代码",
                    USCC_CHARSET[expected as usize] as char, code.as_bytes()[17] as char
                ),
                format!(
                    "The check character of the unified social credit code should be '{}', not '{}': check the code",
                    USCC_CHARSET[expected as usize] as char, code.as_bytes()[17] as char
                ),
            ));
        }
        Ok(Uscc(code))
    }

    /// Completes 17 characters with their check character. Used to make demo codes; panics on characters
    /// outside the GB 32100 set, which only a programming error can produce.
    pub fn complete(first17: &str) -> Uscc {
        let values: Vec<u32> = first17
            .bytes()
            .map(|b| USCC_CHARSET.iter().position(|c| *c == b).expect("GB 32100 character") as u32)
            .collect();
        assert_eq!(values.len(), 17, "17 characters before the check character");
        let check = USCC_CHARSET[uscc_check_value(&values) as usize] as char;
        Uscc(format!("{first17}{check}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Characters 3 to 8: the administrative division code of the registering authority.
    pub fn region_code(&self) -> &str {
        &self.0[2..8]
    }
}

fn uscc_check_value(values: &[u32]) -> u32 {
    let sum: u32 = values.iter().zip(USCC_WEIGHTS).map(|(v, w)| v * w).sum();
    (31 - sum % 31) % 31
}

/// The 9-character organization code (GB 11714) inside a credit code, with its own check character.
pub fn organization_code_complete(first8: &str) -> String {
    const W: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = first8
        .bytes()
        .zip(W)
        .map(|(b, w)| {
            let v = if b.is_ascii_digit() { (b - b'0') as u32 } else { (b - b'A') as u32 + 10 };
            v * w
        })
        .sum();
    let c = 11 - sum % 11;
    let check = match c {
        10 => 'X',
        11 => '0',
        d => char::from(b'0' + d as u8),
    };
    format!("{first8}{check}")
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Uscc {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Uscc::parse(&s).map_err(|e| serde::de::Error::custom(e.message_en))
    }
}

/// An administrative division code (行政区划代码): six digits, province-city-county.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct RegionCode(String);

impl RegionCode {
    pub fn parse(input: &str) -> Result<RegionCode, Invalid> {
        let code = input.trim();
        let ok = code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) && &code[0..2] != "00";
        if !ok {
            return Err(Invalid::new(
                "invalid_region_code",
                format!("行政区划代码应为6位数字（如230500），收到：{code}"),
                format!("An administrative division code is six digits (e.g. 230500); got: {code}"),
            ));
        }
        Ok(RegionCode(code.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A city code ends in 00 and is not a province code (which ends in 0000).
    pub fn is_city(&self) -> bool {
        self.0.ends_with("00") && !self.0.ends_with("0000")
    }

    /// Whether `self` lies inside `parent` (a county inside its city, a city inside its province).
    pub fn is_within(&self, parent: &RegionCode) -> bool {
        let p = parent.0.trim_end_matches("00");
        self != parent && self.0.starts_with(p)
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Weights of the 17 digits of a citizen ID number (GB 11643-1999): 2^(18-i) mod 11.
const CITIZEN_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// The check character for each remainder mod 11.
const CITIZEN_CHECK: &[u8; 11] = b"10X98765432";

/// A citizen ID number (公民身份号码): 6 digits of address code, 8 of birth date, 3 of sequence and the GB 11643
/// check character (a digit or X).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct CitizenId(String);

/// Why a value is not a citizen ID number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CitizenIdProblem {
    /// Not 18 characters.
    Length(usize),
    /// A character at this (1-based) position is not a digit (or X last).
    Character(usize),
    /// The province code (first two digits) does not exist.
    Province,
    /// Characters 7 to 14 are not a date from 1900 on.
    BirthDate,
    /// The check character should be this one.
    Check(char),
}

impl CitizenIdProblem {
    pub fn messages(self) -> (String, String) {
        match self {
            CitizenIdProblem::Length(n) => (format!("公民身份号码应为18位，收到{n}位"), format!("a citizen ID number has 18 characters, not {n}")),
            CitizenIdProblem::Character(i) => (format!("公民身份号码第{i}位不是数字"), format!("character {i} of the citizen ID number is not a digit")),
            CitizenIdProblem::Province => ("公民身份号码前两位不是有效的省级代码".into(), "the first two digits are not a province code".into()),
            CitizenIdProblem::BirthDate => ("公民身份号码第7至14位不是有效的出生日期".into(), "characters 7 to 14 are not a valid birth date".into()),
            CitizenIdProblem::Check(c) => (format!("公民身份号码校验位错误，应为“{c}”"), format!("the check character should be '{c}'")),
        }
    }
}

impl CitizenId {
    /// Parses an ID already trimmed and in half-width characters (a lower-case x is read as X).
    pub fn parse(input: &str) -> Result<CitizenId, CitizenIdProblem> {
        Self::check(input)?;
        let mut id = input[..17].to_string();
        id.push(input.as_bytes()[17].to_ascii_uppercase() as char);
        Ok(CitizenId(id))
    }

    /// Checks an ID without keeping it (no allocation): what checking millions of delivered rows needs.
    pub fn check(input: &str) -> Result<(), CitizenIdProblem> {
        let b = input.as_bytes();
        if b.len() != 18 || !input.is_ascii() {
            return Err(CitizenIdProblem::Length(input.chars().count()));
        }
        let mut sum = 0u32;
        for (i, c) in b[..17].iter().enumerate() {
            if !c.is_ascii_digit() {
                return Err(CitizenIdProblem::Character(i + 1));
            }
            sum += (c - b'0') as u32 * CITIZEN_WEIGHTS[i];
        }
        let last = b[17].to_ascii_uppercase();
        if !(last.is_ascii_digit() || last == b'X') {
            return Err(CitizenIdProblem::Character(18));
        }
        // 11–15 north, 21–23 north-east, 31–37 east, 41–46 central south, 50–54 south-west, 61–65 north-west,
        // 71 Taiwan, 81–82 Hong Kong and Macao.
        let province = (b[0] - b'0') * 10 + (b[1] - b'0');
        if !matches!(province, 11..=15 | 21..=23 | 31..=37 | 41..=46 | 50..=54 | 61..=65 | 71 | 81 | 82) {
            return Err(CitizenIdProblem::Province);
        }
        let digits = |r: std::ops::Range<usize>| b[r].iter().fold(0u32, |n, c| n * 10 + (c - b'0') as u32);
        let birth = chrono::NaiveDate::from_ymd_opt(digits(6..10) as i32, digits(10..12), digits(12..14));
        if birth.is_none_or(|d| d.year() < 1900) {
            return Err(CitizenIdProblem::BirthDate);
        }
        let expected = CITIZEN_CHECK[(sum % 11) as usize];
        if last != expected {
            return Err(CitizenIdProblem::Check(expected as char));
        }
        Ok(())
    }

    /// Completes 17 digits with their check character; for generated demo data.
    pub fn complete(first17: &str) -> CitizenId {
        let sum: u32 = first17.bytes().zip(CITIZEN_WEIGHTS).map(|(c, w)| (c - b'0') as u32 * w).sum();
        CitizenId(format!("{first17}{}", CITIZEN_CHECK[(sum % 11) as usize] as char))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn birth_date(&self) -> chrono::NaiveDate {
        let digits = |r: std::ops::Range<usize>| self.0[r].parse::<u32>().unwrap_or(1);
        chrono::NaiveDate::from_ymd_opt(digits(6..10) as i32, digits(10..12), digits(12..14)).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sys_16b_citizen_ids_carry_a_valid_birth_date_and_the_gb11643_check_character() {
        // The example of GB 11643-1999's appendix.
        assert_eq!(CitizenId::parse("11010519491231002X").map(|c| c.birth_date().to_string()), Ok("1949-12-31".to_string()));
        assert!(CitizenId::parse("11010519491231002x").is_ok(), "a lower-case x");
        assert_eq!(CitizenId::parse("110105194912310021"), Err(CitizenIdProblem::Check('X')));
        assert_eq!(CitizenId::parse("11010519491331002X"), Err(CitizenIdProblem::BirthDate), "month 13");
        assert_eq!(CitizenId::parse("11010518991231002X").unwrap_err(), CitizenIdProblem::BirthDate);
        assert_eq!(CitizenId::parse("1101051949123100"), Err(CitizenIdProblem::Length(16)));
        assert_eq!(CitizenId::parse("99010519491231002X"), Err(CitizenIdProblem::Province));
        assert_eq!(CitizenId::parse("1101051949123100AX"), Err(CitizenIdProblem::Character(17)));
        let made = CitizenId::complete("23050219900101123");
        assert!(CitizenId::parse(made.as_str()).is_ok());
        // Every single-digit change of a valid number is caught.
        let valid = "11010519491231002X";
        for i in 0..17 {
            for d in b'0'..=b'9' {
                let mut s = valid.as_bytes().to_vec();
                if s[i] == d {
                    continue;
                }
                s[i] = d;
                assert!(CitizenId::parse(std::str::from_utf8(&s).unwrap()).is_err(), "position {i} to {}", d as char);
            }
        }
    }

    #[test]
    fn sys_16c_gb32100_check_character_accepts_valid_codes() {
        // The example printed in GB 32100-2015 itself, and codes completed by the algorithm.
        assert!(Uscc::parse("91350100M000100Y43").is_ok());
        assert!(Uscc::parse(" 91350100m000100y43 ").is_ok(), "lower case and spaces are normalized");
        let made = Uscc::complete(&format!("11230500{}", organization_code_complete("MB123456")));
        assert!(Uscc::parse(made.as_str()).is_ok());
        assert_eq!(made.region_code(), "230500");
    }

    #[test]
    fn sys_16c_gb32100_check_character_rejects_invalid_codes() {
        let wrong_check = Uscc::parse("91350100M000100Y44").unwrap_err();
        assert_eq!(wrong_check.code, "invalid_uscc");
        assert!(wrong_check.message.contains("校验位"), "{}", wrong_check.message);
        assert!(wrong_check.message_en.contains("'3'"), "names the right check character: {}", wrong_check.message_en);
        assert!(Uscc::parse("91350100M000100Y4").unwrap_err().message.contains("18位"));
        let forbidden = Uscc::parse("91350100I000100Y43").unwrap_err();
        assert!(forbidden.message_en.contains("Character 9"), "{}", forbidden.message_en);
        assert!(Uscc::parse("９１350100M000100Y43").is_err(), "full-width digits are not silently accepted");
        // Every single-character change of a valid code is caught.
        let valid = "91350100M000100Y43";
        for i in 0..18 {
            for c in USCC_CHARSET.iter().map(|c| *c as char) {
                let mut s: Vec<char> = valid.chars().collect();
                if s[i] == c {
                    continue;
                }
                s[i] = c;
                let s: String = s.into_iter().collect();
                assert!(Uscc::parse(&s).is_err(), "{s} must be refused");
            }
        }
    }

    #[test]
    fn organization_code_check() {
        // D2143569-X is a classic GB 11714 example; 12345678 completes to 123456788.
        assert_eq!(organization_code_complete("D2143569"), "D2143569X");
        assert_eq!(organization_code_complete("12345678"), "123456788");
    }

    #[test]
    fn region_codes() {
        let city = RegionCode::parse("230500").unwrap();
        let district = RegionCode::parse("230502").unwrap();
        assert!(city.is_city());
        assert!(!district.is_city());
        assert!(district.is_within(&city));
        assert!(!city.is_within(&district));
        assert!(!RegionCode::parse("330212").unwrap().is_within(&city));
        assert!(RegionCode::parse("23050").is_err());
        assert!(RegionCode::parse("23050A").is_err());
        assert!(RegionCode::parse("000000").is_err());
    }
}
