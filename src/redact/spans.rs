//! The parts of a text to replace, merged from several detectors, and the one pass that writes
//! the result. Every detector reports its spans sorted and without overlaps, so merging two
//! lists is a single walk over both: no sorting, no rescanning.

use std::borrow::Cow;

use super::REDACTED;

/// What a span of text becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Replacement {
    /// A secret: [`REDACTED`].
    Secret,
    /// A CPR number: its first six digits (in ASCII) followed by `-xxxx`.
    Cpr([u8; 6]),
}

/// A byte range of the text (always on character boundaries) and what replaces it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Span {
    pub start: usize,
    pub end: usize,
    pub with: Replacement,
}

/// A span holding a secret.
pub(super) fn secret(start: usize, end: usize) -> Span {
    Span { start, end, with: Replacement::Secret }
}

/// The union of two span lists, each sorted by start and free of overlaps; so is the result.
/// Overlapping spans become one secret: a CPR number that overlaps a secret is part of it.
pub(super) fn union(a: Vec<Span>, b: Vec<Span>) -> Vec<Span> {
    if b.is_empty() {
        return a;
    }
    if a.is_empty() {
        return b;
    }
    let mut out: Vec<Span> = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    loop {
        let span = match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if y.start < x.start => {
                j += 1;
                *y
            }
            (Some(x), _) => {
                i += 1;
                *x
            }
            (None, Some(y)) => {
                j += 1;
                *y
            }
            (None, None) => return out,
        };
        tick(1);
        match out.last_mut() {
            Some(last) if span.start < last.end => {
                last.end = last.end.max(span.end);
                last.with = Replacement::Secret;
            }
            _ => out.push(span),
        }
    }
}

/// `text` with every span replaced; borrowed when there is nothing to replace.
pub(super) fn apply<'t>(text: &'t str, spans: &[Span]) -> Cow<'t, str> {
    if spans.is_empty() {
        return Cow::Borrowed(text);
    }
    tick(text.len());
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for span in spans {
        // Spans lie on character boundaries; were one not to, the text around it is dropped
        // rather than risk writing part of a secret.
        out.push_str(text.get(copied..span.start).unwrap_or_default());
        push_replacement(&mut out, span.with);
        copied = span.end;
    }
    out.push_str(text.get(copied..).unwrap_or_default());
    Cow::Owned(out)
}

/// Writes what replaces a span.
pub(super) fn push_replacement(out: &mut String, with: Replacement) {
    match with {
        Replacement::Secret => out.push_str(REDACTED),
        Replacement::Cpr(birth_date) => {
            for digit in birth_date {
                out.push(char::from(digit));
            }
            out.push_str("-xxxx");
        }
    }
}

#[cfg(test)]
thread_local! {
    static STEPS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Counts the work done, in bytes examined, so that tests can show it grows linearly with the
/// input (no clock involved). Nothing at all outside tests.
#[inline(always)]
pub(super) fn tick(bytes: usize) {
    #[cfg(test)]
    STEPS.with(|steps| steps.set(steps.get() + bytes));
    #[cfg(not(test))]
    let _ = bytes;
}

/// The work counted on this thread since the last call.
#[cfg(test)]
pub(super) fn take_steps() -> usize {
    STEPS.with(|steps| steps.replace(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cpr(start: usize, end: usize) -> Span {
        Span { start, end, with: Replacement::Cpr(*b"010170") }
    }

    #[test]
    fn union_merges_overlaps_and_keeps_order() {
        let a = vec![secret(0, 2), secret(5, 9), cpr(20, 31)];
        let b = vec![secret(1, 3), secret(9, 10), cpr(40, 51), secret(50, 52)];
        let merged = union(a, b);
        assert_eq!(merged, vec![secret(0, 3), secret(5, 9), secret(9, 10), cpr(20, 31), secret(40, 52)]);
    }

    #[test]
    fn apply_writes_each_replacement_once() {
        let text = "a 0101701239 b secret c";
        let spans = [cpr(2, 12), secret(15, 21)];
        assert_eq!(apply(text, &spans), "a 010170-xxxx b [REDACTED] c");
        assert!(matches!(apply(text, &[]), Cow::Borrowed(_)));
    }
}
