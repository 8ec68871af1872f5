//! CPR numbers inside free text: `DDMMYYSSSS`, `DDMMYY-SSSS`, `DDMMYY SSSS`, `DD.MM.YY-SSSS`,
//! `DD.MM.YY SSSS`, in ASCII or full-width digits (and the full-width hyphen). A number counts
//! only when its digit runs have exactly these lengths (a longer run is an order or account
//! number) and its first four digits are a plausible day and month (`9999999999` is not).

use super::spans::{tick, Replacement, Span};
use crate::cpr::looks_like_cpr_date;

/// The written forms: `d` a digit, `-` a separator (`-`, space, full-width hyphen), `.` a dot.
const FORMS: &[&[u8]] = &[b"dddddddddd", b"dddddd-dddd", b"dd.dd.dd-dddd"];

/// What is at `i`, as the forms name it: `d` (with the digit in ASCII) for an ASCII or
/// full-width digit (U+FF10–U+FF19), `-` for `-`, a space or the full-width hyphen-minus
/// (U+FF0D), `.` for a dot, 0 for anything else; and its length in bytes.
fn part_at(bytes: &[u8], i: usize) -> (u8, u8, usize) {
    match bytes.get(i..) {
        Some([d @ b'0'..=b'9', ..]) => (b'd', *d, 1),
        Some([0xEF, 0xBC, d @ 0x90..=0x99, ..]) => (b'd', *d - 0x90 + b'0', 3),
        Some([0xEF, 0xBC, 0x8D, ..]) => (b'-', 0, 3),
        Some([b'-' | b' ', ..]) => (b'-', 0, 1),
        Some([b'.', ..]) => (b'.', 0, 1),
        _ => (0, 0, 1),
    }
}

fn is_digit_at(bytes: &[u8], i: usize) -> bool {
    part_at(bytes, i).0 == b'd'
}

/// The ten digits and the end of a CPR number written in `form` from `start`, if there is one
/// and no digit follows it.
fn read_form(bytes: &[u8], start: usize, form: &[u8]) -> Option<([u8; 10], usize)> {
    let mut digits = [0; 10];
    let mut count = 0;
    let mut i = start;
    for form_byte in form {
        tick(1);
        let (part, digit, len) = part_at(bytes, i);
        if part != *form_byte {
            return None;
        }
        if part == b'd' {
            *digits.get_mut(count)? = digit;
            count += 1;
        }
        i += len;
    }
    (!is_digit_at(bytes, i) && looks_like_cpr_date(&digits)).then_some((digits, i))
}

/// Every CPR number in `bytes`, as spans to mask.
pub(super) fn cpr_numbers(bytes: &[u8]) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        tick(1);
        if !is_digit_at(bytes, i) {
            i += 1;
            continue;
        }
        // `i` starts a run of digits (the scan never stops inside one): try each form, a fixed
        // amount of work, then go on behind the number or behind the run.
        if let Some((digits, end)) = FORMS.iter().find_map(|form| read_form(bytes, i, form)) {
            let mut birth_date = [0; 6];
            for (slot, digit) in birth_date.iter_mut().zip(&digits) {
                *slot = *digit;
            }
            spans.push(Span { start: i, end, with: Replacement::Cpr(birth_date) });
            i = end;
            continue;
        }
        while let (b'd', _, len) = part_at(bytes, i) {
            tick(1);
            i += len;
        }
    }
    spans
}

/// The ten digits of a whole number that may be a CPR number whose leading zero a number
/// type dropped (nine digits) or kept (ten); None for any other number.
pub(super) fn cpr_digits(n: u64) -> Option<[u8; 10]> {
    if !(100_000_000..10_000_000_000).contains(&n) {
        return None;
    }
    let mut digits = [b'0'; 10];
    let mut rest = n;
    for slot in digits.iter_mut().rev() {
        *slot = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    Some(digits)
}
