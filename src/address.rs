//! Danish addresses as they are written: `Vestergade 12, 2. tv`, then a c/o or locality line,
//! then `2100 København Ø`.
//!
//! CPR stores the parts the way its registers keep them: house numbers padded with zeros
//! (`012`), floors as codes (`st`, `kl`, `02`), doors as codes (`tv`, `th`, `mf`) or numbers.

/// Trimmed text, or `None` when nothing is left: the register's empty strings never reach a record.
pub fn clean(text: Option<&str>) -> Option<String> {
    let t = text?.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// `012` → `12`, `007B` → `7B`, `12 B` → `12B`.
pub fn house_number(raw: &str) -> Option<String> {
    let compact: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    let digits_end = compact.find(|c: char| !c.is_ascii_digit()).unwrap_or(compact.len());
    let (digits, rest) = compact.split_at(digits_end);
    let number = digits.trim_start_matches('0');
    let out = match (number.is_empty(), digits.is_empty()) {
        // All zeros: keep one rather than lose the number.
        (true, false) => format!("0{rest}"),
        _ => format!("{number}{rest}"),
    };
    (!out.is_empty()).then_some(out)
}

/// `st` → `st.`, `kl` → `kl.`, `02` → `2.`; anything else as written.
pub fn floor(raw: &str) -> Option<String> {
    let t = raw.trim().trim_end_matches('.');
    if t.is_empty() {
        return None;
    }
    if t.eq_ignore_ascii_case("st") || t.eq_ignore_ascii_case("kl") {
        return Some(format!("{}.", t.to_ascii_lowercase()));
    }
    if t.chars().all(|c| c.is_ascii_digit()) {
        let n = t.trim_start_matches('0');
        return Some(format!("{}.", if n.is_empty() { "0" } else { n }));
    }
    Some(t.to_string())
}

/// Door codes (`tv`, `th`, `mf`) as written; door numbers without leading zeros.
pub fn door(raw: &str) -> Option<String> {
    let t = raw.trim();
    if t.is_empty() {
        return None;
    }
    if t.chars().all(|c| c.is_ascii_digit()) {
        let n = t.trim_start_matches('0');
        return Some(if n.is_empty() { "0".to_string() } else { n.to_string() });
    }
    Some(t.to_string())
}

/// The street line: `Vestergade 12, 2. tv`. `None` without a street name.
///
/// ```
/// use datafordeler_cpr::address::street_line;
/// assert_eq!(street_line(Some("Vestergade"), Some("012"), Some("02"), Some("tv")).as_deref(), Some("Vestergade 12, 2. tv"));
/// assert_eq!(street_line(Some("Eksempelgade"), Some("3"), Some("st"), Some("th")).as_deref(), Some("Eksempelgade 3, st. th"));
/// assert_eq!(street_line(Some("Åbrinken"), Some("007B"), None, None).as_deref(), Some("Åbrinken 7B"));
/// ```
pub fn street_line(street: Option<&str>, house: Option<&str>, floor_code: Option<&str>, door_code: Option<&str>) -> Option<String> {
    let street = clean(street)?;
    let mut line = street;
    if let Some(h) = house.and_then(house_number) {
        line.push(' ');
        line.push_str(&h);
    }
    let unit: Vec<String> = [floor_code.and_then(floor), door_code.and_then(door)].into_iter().flatten().collect();
    if !unit.is_empty() {
        line.push_str(", ");
        line.push_str(&unit.join(" "));
    }
    Some(line)
}

/// The c/o line: `c/o Karen Eksempel`, whether or not the register wrote the `c/o`.
pub fn co_line(co_name: Option<&str>) -> Option<String> {
    let name = clean(co_name)?;
    // ASCII folding suffices: no other character folds to `c` or `o` (and it keeps Unicode's
    // case tables out of the wasm module).
    let lower = name.to_ascii_lowercase();
    if lower.starts_with("c/o") || lower.starts_with("c/ o") {
        Some(name)
    } else {
        Some(format!("c/o {name}"))
    }
}

/// `2100 København Ø`.
pub fn postal_line(post_code: Option<&str>, district: Option<&str>) -> Option<String> {
    match (clean(post_code), clean(district)) {
        (Some(code), Some(district)) => Some(format!("{code} {district}")),
        (Some(one), None) | (None, Some(one)) => Some(one),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_street_lines() {
        let cases: &[(&str, &str, &str, &str, &str)] = &[
            ("Vestergade", "12", "2", "tv", "Vestergade 12, 2. tv"),
            ("Vestergade", "012", "02", "tv", "Vestergade 12, 2. tv"),
            ("Prøvevej", "12", "2", "tv", "Prøvevej 12, 2. tv"),
            ("Eksempelgade", "3", "st", "th", "Eksempelgade 3, st. th"),
            ("Testparken", "45", "1", "mf", "Testparken 45, 1. mf"),
            ("Kældervej", "9", "kl", "", "Kældervej 9, kl."),
            ("Åbrinken", "7B", "", "", "Åbrinken 7B"),
            ("Åbrinken", "007 B", "", "", "Åbrinken 7B"),
            ("Højhuset", "1", "12", "0004", "Højhuset 1, 12. 4"),
            ("Hjørnet", "5", "", "tv", "Hjørnet 5, tv"),
            ("Nulvej", "000", "", "", "Nulvej 0"),
            ("  Strandvejen ", " 100 ", " 3. ", " th ", "Strandvejen 100, 3. th"),
            ("Gade", "", "", "", "Gade"),
        ];
        for (street, house, fl, dr, want) in cases {
            fn opt<'a>(s: &&'a str) -> Option<&'a str> {
                (!s.is_empty()).then_some(*s)
            }
            assert_eq!(street_line(opt(street), opt(house), opt(fl), opt(dr)).as_deref(), Some(*want), "{street} {house} {fl} {dr}");
        }
        assert_eq!(street_line(None, Some("12"), Some("2"), Some("tv")), None);
        assert_eq!(street_line(Some("  "), Some("12"), None, None), None);
    }

    #[test]
    fn golden_other_lines() {
        assert_eq!(co_line(Some("Karen Eksempel")).as_deref(), Some("c/o Karen Eksempel"));
        assert_eq!(co_line(Some("c/o Karen Eksempel")).as_deref(), Some("c/o Karen Eksempel"));
        assert_eq!(co_line(Some("C/O Hansen")).as_deref(), Some("C/O Hansen"));
        assert_eq!(co_line(Some(" ")), None);
        assert_eq!(postal_line(Some("2100"), Some("København Ø")).as_deref(), Some("2100 København Ø"));
        assert_eq!(postal_line(Some("2100"), None).as_deref(), Some("2100"));
        assert_eq!(postal_line(None, None), None);
        assert_eq!(clean(Some("")), None);
    }
}
