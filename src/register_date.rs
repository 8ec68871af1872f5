//! Register dates: CPR writes dates and date-times in several forms; a person record holds
//! each as a plain `YYYY-MM-DD` in Danish time. Its own module because both the response
//! reader (`shape.rs`) and the person record use it, and neither should depend on the other.

use crate::cpr::days_in_month;

/// A register date as `YYYY-MM-DD` in Danish time.
///
/// CPR dates arrive as dates (`2021-06-14`) or as date-times: local midnight with its offset
/// (`2003-09-01T00:00:00+02:00`, the date as written) or in UTC (`2003-08-31T22:00:00Z`, which
/// is 1 September in Denmark). Text that is no date passes through unchanged rather than
/// being lost.
///
/// ```
/// use datafordeler_cpr::register_date::register_date;
/// assert_eq!(register_date("2021-06-14").as_deref(), Some("2021-06-14"));
/// assert_eq!(register_date("2003-09-01T00:00:00+02:00").as_deref(), Some("2003-09-01"));
/// assert_eq!(register_date("2003-08-31T22:00:00.000000Z").as_deref(), Some("2003-09-01"));
/// assert_eq!(register_date("2003-01-31T23:00:00Z").as_deref(), Some("2003-02-01"));
/// assert_eq!(register_date("  ").as_deref(), None);
/// ```
pub fn register_date(text: &str) -> Option<String> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    let Some((year, month, day)) = parse_date(t) else {
        return Some(t.to_string());
    };
    let rest = t.get(10..).unwrap_or("");
    let as_written = || t.get(..10).map(str::to_string);
    if rest.is_empty() {
        return as_written();
    }
    let is_utc = rest.ends_with('Z') || rest.ends_with("+00:00") || rest.ends_with("+0000") || rest.ends_with("-00:00");
    let hour = rest.get(1..3).and_then(|h| h.parse::<u8>().ok()).filter(|h| *h < 24);
    match (is_utc, hour) {
        (true, Some(hour)) => {
            let offset = danish_offset_hours(year, month, day, hour);
            let (y, m, d) = if hour + offset >= 24 { next_day(year, month, day) } else { (year, month, day) };
            Some(format!("{y:04}-{m:02}-{d:02}"))
        }
        _ => as_written(),
    }
}

fn parse_date(t: &str) -> Option<(u16, u8, u8)> {
    let b = t.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year: u16 = t.get(0..4)?.parse().ok()?;
    let month: u8 = t.get(5..7)?.parse().ok()?;
    let day: u8 = t.get(8..10)?.parse().ok()?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    if b.len() > 10 && !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    Some((year, month, day))
}

fn next_day(year: u16, month: u8, day: u8) -> (u16, u8, u8) {
    if day < days_in_month(year, month) {
        (year, month, day + 1)
    } else if month < 12 {
        (year, month + 1, 1)
    } else {
        (year.saturating_add(1), 1, 1)
    }
}

/// Day of the week, 0 = Sunday.
fn weekday(year: u16, month: u8, day: u8) -> u8 {
    const T: [u16; 12] = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4];
    let y = if month < 3 { year.saturating_sub(1) } else { year };
    let m = usize::from(month - 1).min(11);
    ((y + y / 4 - y / 100 + y / 400 + T[m] + u16::from(day)) % 7) as u8
}

fn last_sunday(year: u16, month: u8) -> u8 {
    let last = days_in_month(year, month);
    last - weekday(year, month, last)
}

/// Denmark's UTC offset at a UTC hour: +2 in summer time (since 1980), else +1.
fn danish_offset_hours(year: u16, month: u8, day: u8, hour: u8) -> u8 {
    if year < 1980 {
        return 1;
    }
    let end_month = if year < 1996 { 9 } else { 10 };
    let start = (3, last_sunday(year, 3), 1);
    let end = (end_month, last_sunday(year, end_month), 1);
    let now = (month, day, hour);
    if now >= start && now < end {
        2
    } else {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        let cases = [
            ("2021-06-14", "2021-06-14"),
            ("2021-06-14T00:00:00+02:00", "2021-06-14"),
            ("2021-06-13T22:00:00Z", "2021-06-14"),
            ("2021-06-13T21:59:59Z", "2021-06-13"),
            ("2021-01-13T23:00:00.000000Z", "2021-01-14"),
            ("2021-01-13T22:00:00Z", "2021-01-13"),
            ("2021-12-31T23:00:00Z", "2022-01-01"),
            ("2024-02-28T23:30:00Z", "2024-02-29"),
            // Summer time starts 01:00 UTC on the last Sunday of March (2021-03-28).
            ("2021-03-28T00:30:00Z", "2021-03-28"),
            ("2021-03-28T22:00:00Z", "2021-03-29"),
            // Before 1996 summer time ended in September.
            ("1990-10-05T22:30:00Z", "1990-10-05"),
            ("1996-10-05T22:30:00Z", "1996-10-06"),
            ("1990-09-29T22:30:00Z", "1990-09-30"),
            ("1970-06-01T23:00:00Z", "1970-06-02"),
            ("2003-09-01 00:00:00", "2003-09-01"),
            ("ukendt", "ukendt"),
            ("2021-02-30", "2021-02-30"),
        ];
        for (input, want) in cases {
            assert_eq!(register_date(input).as_deref(), Some(want), "{input}");
        }
        assert_eq!(weekday(2021, 3, 28), 0);
        assert_eq!(last_sunday(2021, 10), 31);
        assert_eq!(last_sunday(1990, 9), 30);
    }
}
