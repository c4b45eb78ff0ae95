//! Display names and titles: what others will see on their screens.
//!
//! A name is normalised (Unicode NFC, trimmed, runs of whitespace made one
//! space) and refused when it could mislead or break a screen: control
//! characters (NUL, ESC, line breaks), bidirectional overrides and isolates
//! (which reorder the text around them), names made only of invisible
//! characters, and names too long to show.

use unicode_normalization::UnicodeNormalization;

use crate::Refusal;

/// Normalises `raw` as a name or title shown to others, called `what` in
/// refusals ("the name", "a room name"), of at most `max` characters.
pub(crate) fn clean_label(raw: &str, what: &'static str, max: usize) -> Result<String, Refusal> {
    let refuse = |reason: String| Refusal::InvalidName { what, reason };
    let normal: String = raw.nfc().collect();
    if let Some(c) = normal.chars().find(|c| is_line_or_control(*c)) {
        return Err(refuse(format!(
            "contains a control character ({}); use letters, digits and spaces",
            code_point(c)
        )));
    }
    if let Some(c) = normal.chars().find(|c| is_bidi_control(*c)) {
        return Err(refuse(format!(
            "contains a text direction override ({}), which would reorder what others see",
            code_point(c)
        )));
    }
    let collapsed = normal.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.is_empty() {
        return Err(refuse("is empty".into()));
    }
    if collapsed.chars().all(is_invisible) {
        return Err(refuse("has no visible characters".into()));
    }
    if collapsed.chars().count() > max {
        return Err(refuse(format!("is longer than {max} characters")));
    }
    Ok(collapsed)
}

fn code_point(c: char) -> String {
    format!("U+{:04X}", u32::from(c))
}

/// C0 and C1 controls (NUL, ESC, CR, LF, DEL, ...) and the Unicode line and
/// paragraph separators: names are one line. A tab is only whitespace.
fn is_line_or_control(c: char) -> bool {
    (c.is_control() && c != '\t') || matches!(c, '\u{2028}' | '\u{2029}')
}

/// Embeddings, overrides and isolates (UAX #9). The implicit marks (LRM,
/// RLM, ALM) are kept: they only help neutral characters and cannot hide
/// or reorder a whole name.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters that draw nothing: whitespace, and the default-ignorable code
/// points of Unicode's DerivedCoreProperties (zero-width spaces and joiners,
/// variation selectors, fillers, tags, ...), plus the blank Braille pattern.
fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{061C}'
                | '\u{115F}'..='\u{1160}'
                | '\u{17B4}'..='\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{2800}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF0}'..='\u{FFF8}'
                | '\u{1BCA0}'..='\u{1BCA3}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0000}'..='\u{E0FFF}'
        )
}
