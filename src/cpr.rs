//! CPR numbers (Danish personal identification numbers).
//!
//! Rules, from CPR's own description of the number:
//! - ten digits `DDMMYY-SSSS`; the first six are the birth date with a two-digit year;
//! - the 7th digit together with the year gives the century (see [`century`]);
//! - the date must exist in that full year (29 February only in leap years);
//! - the modulus 11 check held for every number until 2007, but CPR has since issued valid
//!   numbers that fail it. It is reported, never used to reject a number.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::code::ErrorCode;
use crate::issue::{Issue, Severity};

/// Inputs longer than this are not CPR numbers, whatever they hold; refusing them early
/// keeps a hostile megabyte string from costing anything.
const MAX_INPUT_CHARS: usize = 64;

/// Weights of the classic modulus 11 check, one per digit.
const MODULUS_11_WEIGHTS: [u32; 10] = [4, 3, 2, 7, 6, 5, 4, 3, 2, 1];

/// The result of [`validate_cpr`]: everything a form or a log needs to know about one input.
/// What the input does not give (e.g. the birth date of an invalid number) is absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct CprValidation {
    /// True when the input is a CPR number with a real birth date. Modulus 11 plays no part.
    pub valid: bool,
    /// The ten digits without separators, e.g. `0101701239`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub normalized: Option<String>,
    /// The number as people write it, e.g. `010170-1239`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub formatted: Option<String>,
    /// Safe for logs: birth date kept, sequence hidden, e.g. `010170-xxxx`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub masked: Option<String>,
    /// The birth date as `YYYY-MM-DD`, with the century from the 7th digit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<String>,
    /// Whether the classic modulus 11 check holds (informational only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modulus11: Option<bool>,
    pub issues: Vec<Issue>,
}

/// A CPR number that passed [`validate_cpr`]. Its `Debug` and `Display` show only the masked form,
/// so it can be logged without leaking the number.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CprNumber {
    digits: [u8; 10],
}

impl CprNumber {
    /// Parse and validate; the error is the full validation report (with its issues).
    pub fn parse(text: &str) -> Result<CprNumber, Box<CprValidation>> {
        match parse_digits(text) {
            Ok(digits) => match birth_date(&digits) {
                Some(_) => Ok(CprNumber { digits }),
                None => Err(Box::new(validate_cpr(text))),
            },
            Err(_) => Err(Box::new(validate_cpr(text))),
        }
    }

    /// The ten digits, e.g. `0101701239`: what Datafordeleren expects in query variables.
    pub fn normalized(&self) -> String {
        self.digits.iter().map(|d| char::from(b'0' + d)).collect()
    }

    /// `DDMMYY-SSSS`.
    pub fn formatted(&self) -> String {
        let n = self.normalized();
        format!("{}-{}", &n[..6], &n[6..])
    }

    /// `DDMMYY-xxxx`: safe for logs and debug captures.
    pub fn masked(&self) -> String {
        let n = self.normalized();
        format!("{}-xxxx", &n[..6])
    }

    /// Birth date (year, month, day) with the century rule applied.
    pub fn birth_date(&self) -> (u16, u8, u8) {
        // A CprNumber is only built from digits whose date exists.
        birth_date(&self.digits).unwrap_or((0, 0, 0))
    }

    pub fn passes_modulus11(&self) -> bool {
        passes_modulus11(&self.digits)
    }
}

impl fmt::Debug for CprNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CprNumber({})", self.masked())
    }
}

impl fmt::Display for CprNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// Validate a CPR number written as `DDMMYYSSSS` or `DDMMYY-SSSS`, with any spaces.
///
/// Never fails: every problem becomes an issue in the report.
///
/// ```
/// use datafordeler_cpr::cpr::validate_cpr;
/// // Issued after 2007 without a valid modulus 11 check digit: still valid.
/// let r = validate_cpr("010115-4000");
/// assert!(r.valid);
/// assert_eq!(r.modulus11, Some(false));
/// assert_eq!(r.birth_date.as_deref(), Some("2015-01-01"));
/// ```
pub fn validate_cpr(text: &str) -> CprValidation {
    let mut report = CprValidation {
        valid: false,
        normalized: None,
        formatted: None,
        masked: None,
        birth_date: None,
        modulus11: None,
        issues: Vec::new(),
    };
    let digits = match parse_digits(text) {
        Ok(digits) => digits,
        Err(issue) => {
            report.issues.push(issue);
            return report;
        }
    };
    let number = CprNumber { digits };
    report.normalized = Some(number.normalized());
    report.formatted = Some(number.formatted());
    report.masked = Some(number.masked());
    let modulus11 = passes_modulus11(&digits);
    report.modulus11 = Some(modulus11);

    match birth_date(&digits) {
        Some((year, month, day)) => {
            report.valid = true;
            report.birth_date = Some(format!("{year:04}-{month:02}-{day:02}"));
        }
        None => report.issues.push(date_issue(&digits)),
    }
    if !modulus11 {
        report.issues.push(Issue::new(
            "",
            ErrorCode::Modulus11Failed,
            Severity::Info,
            "The number does not pass the old modulus 11 check. CPR has issued such numbers since 2007 \
             and they are valid; nothing needs to change.",
        ));
    }
    report
}

/// Turn text into ten digits, or say precisely what is wrong with it.
fn parse_digits(text: &str) -> Result<[u8; 10], Issue> {
    let error = |code: ErrorCode, message: &str| Issue::new("", code, Severity::Error, message);
    if text.chars().take(MAX_INPUT_CHARS + 1).count() > MAX_INPUT_CHARS {
        return Err(error(
            ErrorCode::TooLong,
            "This is far too long to be a CPR number. Enter the ten digits, e.g. DDMMYY-SSSS.",
        ));
    }
    if text.trim().is_empty() {
        return Err(error(ErrorCode::Empty, "Enter a CPR number: ten digits, e.g. DDMMYY-SSSS."));
    }
    let mut digits = [0u8; 10];
    let mut count = 0usize;
    let mut hyphen_at: Option<usize> = None;
    for c in text.chars() {
        match c {
            '0'..='9' => {
                if count < 10 {
                    digits[count] = c as u8 - b'0';
                }
                count += 1;
            }
            // Spaces (also non-breaking ones from copy-paste) carry no meaning.
            c if c.is_whitespace() => {}
            '-' | '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' => {
                if hyphen_at.is_some() {
                    return Err(error(
                        ErrorCode::MisplacedHyphen,
                        "A CPR number has at most one hyphen, after the birth date: DDMMYY-SSSS.",
                    ));
                }
                hyphen_at = Some(count);
            }
            c if c.is_numeric() => {
                return Err(error(
                    ErrorCode::NonAsciiDigits,
                    "The number contains digits from another script. Type it with the digits 0-9.",
                ))
            }
            _ => {
                return Err(error(
                    ErrorCode::InvalidCharacters,
                    "A CPR number holds only digits and one optional hyphen: DDMMYY-SSSS.",
                ))
            }
        }
    }
    if count != 10 {
        return Err(error(
            ErrorCode::WrongLength,
            &format!("A CPR number has 10 digits; this has {count}. Enter it as DDMMYY-SSSS."),
        ));
    }
    if let Some(at) = hyphen_at {
        if at != 6 {
            return Err(error(
                ErrorCode::MisplacedHyphen,
                "The hyphen belongs after the six-digit birth date: DDMMYY-SSSS.",
            ));
        }
    }
    Ok(digits)
}

/// The four-digit birth year: the 7th digit and the two-digit year together give the century.
///
/// | 7th digit | YY 00–36 | YY 37–57 | YY 58–99 |
/// |-----------|----------|----------|----------|
/// | 0–3       | 19YY     | 19YY     | 19YY     |
/// | 4, 9      | 20YY     | 19YY     | 19YY     |
/// | 5–8       | 20YY     | 20YY     | 18YY     |
pub fn century(seventh_digit: u8, two_digit_year: u8) -> u16 {
    match seventh_digit {
        0..=3 => 1900,
        4 | 9 if two_digit_year <= 36 => 2000,
        4 | 9 => 1900,
        _ if two_digit_year <= 57 => 2000,
        _ => 1800,
    }
}

fn birth_date(d: &[u8; 10]) -> Option<(u16, u8, u8)> {
    let day = d[0] * 10 + d[1];
    let month = d[2] * 10 + d[3];
    let yy = d[4] * 10 + d[5];
    let year = century(d[6], yy) + u16::from(yy);
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    Some((year, month, day))
}

fn date_issue(d: &[u8; 10]) -> Issue {
    let month = d[2] * 10 + d[3];
    let yy = d[4] * 10 + d[5];
    let year = century(d[6], yy) + u16::from(yy);
    if !(1..=12).contains(&month) {
        return Issue::new(
            "",
            ErrorCode::InvalidMonth,
            Severity::Error,
            "Digits 3-4 must be the birth month (01-12). Check the number against the source.",
        );
    }
    if month == 2 && d[0] * 10 + d[1] == 29 {
        return Issue::new(
            "",
            ErrorCode::InvalidDate,
            Severity::Error,
            format!("29 February does not exist in {year} (the 7th digit places the birth year in that century). Check the number."),
        );
    }
    Issue::new(
        "",
        ErrorCode::InvalidDate,
        Severity::Error,
        "Digits 1-2 must be a day that exists in the birth month. Check the number against the source.",
    )
}

/// Days in a month of a full year (Gregorian leap-year rule).
pub fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

pub fn is_leap_year(year: u16) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn passes_modulus11(d: &[u8; 10]) -> bool {
    let sum: u32 = d
        .iter()
        .zip(MODULUS_11_WEIGHTS)
        .map(|(digit, weight)| u32::from(*digit) * weight)
        .sum();
    sum % 11 == 0
}

/// Whether ten digits starting at `bytes` could be a CPR number: a plausible day and month.
/// Used by redaction to find CPR numbers inside free text without masking every long number.
pub(crate) fn looks_like_cpr_date(ten: &[u8]) -> bool {
    if ten.len() < 4 || !ten[..4].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let day = (ten[0] - b'0') * 10 + (ten[1] - b'0');
    let month = (ten[2] - b'0') * 10 + (ten[3] - b'0');
    (1..=31).contains(&day) && (1..=12).contains(&month)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(r: &CprValidation) -> Vec<&str> {
        r.issues.iter().map(|i| i.code.as_str()).collect()
    }

    #[test]
    fn accepts_the_written_forms() {
        for text in ["0101701239", "010170-1239", " 010170 1239 ", "01 01 70 - 12 39", "010170\u{2011}1239"] {
            let r = validate_cpr(text);
            assert!(r.valid, "{text:?}: {:?}", r.issues);
            assert_eq!(r.normalized.as_deref(), Some("0101701239"));
            assert_eq!(r.formatted.as_deref(), Some("010170-1239"));
            assert_eq!(r.masked.as_deref(), Some("010170-xxxx"));
            assert_eq!(r.birth_date.as_deref(), Some("1970-01-01"));
            assert_eq!(r.modulus11, Some(true));
            assert!(r.issues.is_empty());
        }
    }

    #[test]
    fn rejects_bad_text_with_a_precise_code() {
        let cases = [
            ("", "empty"),
            ("   ", "empty"),
            ("010170-123", "wrong_length"),
            ("010170-12345", "wrong_length"),
            ("0101-701239", "misplaced_hyphen"),
            ("010170--1239", "misplaced_hyphen"),
            ("010170/1239", "invalid_characters"),
            ("O1O17O-1239", "invalid_characters"),
            ("٠١٠١٧٠١٢٣٩", "non_ascii_digits"),
            ("０１０１７０１２３９", "non_ascii_digits"),
            ("011370-1239", "invalid_month"),
            ("000170-1239", "invalid_date"),
            ("310470-1239", "invalid_date"),
        ];
        for (text, code) in cases {
            let r = validate_cpr(text);
            assert!(!r.valid, "{text:?}");
            assert_eq!(codes(&r).first().copied(), Some(code), "{text:?}");
        }
        let huge = "1".repeat(1_000_000);
        assert_eq!(codes(&validate_cpr(&huge)), ["too_long"]);
    }

    #[test]
    fn century_table() {
        // (7th digit, yy) -> century, straight from CPR's table.
        let cases = [
            (0, 0, 1900), (3, 99, 1900), (4, 36, 2000), (4, 37, 1900), (9, 0, 2000), (9, 58, 1900),
            (5, 57, 2000), (8, 58, 1800), (6, 99, 1800), (7, 0, 2000),
        ];
        for (digit, yy, want) in cases {
            assert_eq!(century(digit, yy), want, "digit {digit} yy {yy}");
        }
    }

    #[test]
    fn every_day_1858_to_2057_round_trips_through_the_century_rule() {
        let mut checked = 0;
        for year in 1858u16..=2057 {
            let yy = (year % 100) as u8;
            // Pick a 7th digit that gives this century, independently of `century()`.
            let seventh = match year {
                1858..=1899 => 5,
                1900..=1999 => 0,
                2000..=2036 => 4,
                _ => 5,
            };
            for month in 1u8..=12 {
                for day in 1u8..=days_in_month(year, month) {
                    let text = format!("{day:02}{month:02}{yy:02}{seventh}123");
                    let r = validate_cpr(&text);
                    assert!(r.valid, "{text}");
                    assert_eq!(r.birth_date, Some(format!("{year:04}-{month:02}-{day:02}")));
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 73_049);
    }

    #[test]
    fn leap_days_depend_on_the_full_year() {
        let cases = [
            ("290200-4123", Some("2000-02-29")), // digit 4, yy 00 -> 2000, a leap year
            ("290200-5123", Some("2000-02-29")), // digit 5, yy 00 -> 2000
            ("290200-0123", None),               // digit 0 -> 1900, not a leap year
            ("290296-0123", Some("1996-02-29")),
            ("290297-0123", None),
            ("290258-5123", None),               // 1858
            ("290260-5123", Some("1860-02-29")),
            ("290248-5123", Some("2048-02-29")),
            ("290201-4123", None),
        ];
        for (text, want) in cases {
            let r = validate_cpr(text);
            assert_eq!(r.birth_date.as_deref(), want, "{text}");
            assert_eq!(r.valid, want.is_some(), "{text}");
            if want.is_none() {
                assert_eq!(codes(&r).first().copied(), Some("invalid_date"), "{text}");
            }
        }
    }

    #[test]
    fn modulus_11_failure_is_information_not_rejection() {
        // Worked example: 0·4+1·3+0·2+1·7+7·6+0·5+1·4+2·3+3·2+9·1 = 77 = 7·11.
        assert_eq!(validate_cpr("0101701239").modulus11, Some(true));
        let r = validate_cpr("0101701238");
        assert!(r.valid);
        assert_eq!(r.modulus11, Some(false));
        assert_eq!(codes(&r), ["modulus11_failed"]);
        assert_eq!(r.issues[0].severity, Severity::Info);
        // A post-2007 style number on 1 January.
        let r = validate_cpr("010107-4000");
        assert!(r.valid);
        assert_eq!(r.birth_date.as_deref(), Some("2007-01-01"));
    }

    #[test]
    fn check_digit_zero_is_computed_with_the_final_modulus() {
        // The weighted sum of the first nine digits is itself divisible by 11, so the
        // check digit is 0: 1·4+1·3+0·2+1·7+7·6+0·5+0·4+0·3+5·2 = 66 = 6·11 -> last digit 0.
        let r = validate_cpr("1101700050");
        assert!(r.valid);
        assert_eq!(r.modulus11, Some(true), "a check digit of 0 is valid");
    }

    #[test]
    fn debug_and_display_never_show_the_sequence() {
        let n = CprNumber::parse("010170-1239").unwrap();
        assert_eq!(format!("{n:?}"), "CprNumber(010170-xxxx)");
        assert_eq!(n.to_string(), "010170-xxxx");
        assert_eq!(n.normalized(), "0101701239");
        assert_eq!(n.birth_date(), (1970, 1, 1));
        assert!(CprNumber::parse("320170-1239").is_err());
    }
}
