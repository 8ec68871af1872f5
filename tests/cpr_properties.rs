//! Property tests of CPR number parsing: no input makes it panic, every real date with any
//! sequence number is valid (modulus 11 or not), and what it reports agrees with itself.
#![cfg(not(target_arch = "wasm32"))]

use datafordeler_cpr::cpr::{days_in_month, validate_cpr, century, CprNumber};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_text_is_read_without_panicking(text in "\\PC{0,24}") {
        let report = validate_cpr(&text);
        prop_assert_eq!(report.valid, report.issues.iter().all(|i| !i.is_error()));
        if let Some(masked) = &report.masked {
            prop_assert!(masked.ends_with("-xxxx"));
        }
    }

    #[test]
    fn digit_noise_is_read_without_panicking(text in "[0-9 \\-./]{0,16}") {
        let _ = validate_cpr(&text);
    }

    /// Every real date with every sequence number is a valid CPR number, written with or
    /// without the hyphen; modulus 11 does not decide validity.
    #[test]
    fn every_real_date_is_valid(day in 1u8..=31, month in 1u8..=12, year in 0u8..=99, sequence in 0u16..=9999) {
        let seventh = u8::try_from(sequence / 1000).unwrap();
        let full_year = century(seventh, year) + u16::from(year);
        prop_assume!(day <= days_in_month(full_year, month));
        let digits = format!("{day:02}{month:02}{year:02}{sequence:04}");
        let plain = validate_cpr(&digits);
        prop_assert!(plain.valid, "{} {:?}", digits, plain.issues);
        let hyphen = validate_cpr(&format!("{}-{}", &digits[..6], &digits[6..]));
        prop_assert!(hyphen.valid);
        prop_assert_eq!(plain.normalized.as_deref(), Some(digits.as_str()));
        prop_assert_eq!(plain.masked, Some(format!("{}-xxxx", &digits[..6])));
        prop_assert_eq!(plain.birth_date, Some(format!("{full_year:04}-{month:02}-{day:02}")));
        let number = CprNumber::parse(&digits).unwrap();
        prop_assert_eq!(number.normalized(), digits);
    }

    /// Impossible dates are refused whatever the sequence number.
    #[test]
    fn impossible_dates_are_refused(day in 32u8..=99, month in 0u8..=99, year in 0u8..=99, sequence in 0u16..=9999) {
        let digits = format!("{day:02}{month:02}{year:02}{sequence:04}");
        prop_assert!(!validate_cpr(&digits).valid, "{}", digits);
    }
}
