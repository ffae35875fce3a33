//! Languages as dates and day names are written in them: the one place that maps herald's language
//! tags (`fr`, `pt-BR`…) to a locale for `format_date`, and names languages in messages.
//!
//! Month and weekday names come from chrono's locale data (`unstable-locales`: the glibc locale files
//! compiled to Rust). Checked for the six UN languages with `%A %-d %B` (see the tests): French
//! `lundi 8 mars`, Spanish `lunes 8 marzo` (a Spanish text writes `%-d de %B`), Russian `8 марта`
//! (glibc's `%B` is the genitive, as a date needs) and Arabic `الاثنين 8 مارس` (Egypt's spelling, as
//! the UN's Arabic pages write it). Two corrections are made here: Russian weekday names are
//! lower-case in running text (glibc capitalises them), and Chinese dates are written
//! `%-m月%-d日 %A` (`3月8日 星期一`), which the README says. A language not listed gets English
//! names.

use chrono::Locale;

use crate::config::names::Language;

/// Languages herald writes dates in: primary subtag, its English name, and its locale (`None`:
/// chrono's own English names, as before locales).
pub const LANGUAGES: &[(&str, &str, Option<Locale>)] = &[
    ("en", "English", None),
    ("fr", "French", Some(Locale::fr_FR)),
    ("es", "Spanish", Some(Locale::es_ES)),
    ("ru", "Russian", Some(Locale::ru_RU)),
    ("ar", "Arabic", Some(Locale::ar_EG)),
    ("zh", "Chinese", Some(Locale::zh_CN)),
];

/// The primary subtag of a language tag: `pt` for `pt-BR`.
pub fn primary(language: &str) -> &str {
    language.split('-').next().unwrap_or(language)
}

/// The language's name in English for messages (`French`), or its tag in backquotes.
pub fn english_name(language: &Language) -> String {
    let tag = language.as_str();
    LANGUAGES
        .iter()
        .find(|(code, _, _)| *code == primary(tag))
        .map_or_else(|| format!("`{tag}`"), |(_, name, _)| (*name).to_string())
}

/// The locale dates are written in for `language`, when herald has one other than English.
pub fn locale(language: &str) -> Option<Locale> {
    LANGUAGES.iter().find(|(code, _, _)| *code == primary(language)).and_then(|(_, _, locale)| *locale)
}

/// `date` formatted with strftime `format` in `language` (English when herald has no locale for it).
///
/// # Errors
/// When `format` is not a date format (an unknown `%` code).
pub fn format_date(date: chrono::NaiveDate, format: &str, language: &str) -> Result<String, std::fmt::Error> {
    use chrono::format::{Item, StrftimeItems};
    use std::fmt::Write as _;
    let Some(locale) = locale(language) else {
        let mut out = String::new();
        write!(out, "{}", date.format_with_items(StrftimeItems::new(format)))?;
        return Ok(out);
    };
    let items: Vec<Item<'_>> = StrftimeItems::new_with_locale(format, locale).collect();
    if items.iter().any(|i| matches!(i, Item::Error)) {
        return Err(std::fmt::Error);
    }
    let mut out = String::new();
    for item in items {
        let mut piece = String::new();
        write!(piece, "{}", date.format_localized_with_items(std::iter::once(item.clone()), locale))?;
        // Russian writes weekday names lower-case except at the start of a sentence.
        if primary(language) == "ru"
            && matches!(
                item,
                Item::Fixed(chrono::format::Fixed::LongWeekdayName | chrono::format::Fixed::ShortWeekdayName)
            )
        {
            piece = piece.to_lowercase();
        }
        out.push_str(&piece);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on_8_march(format: &str, language: &str) -> String {
        format_date(chrono::NaiveDate::from_ymd_opt(2027, 3, 8).unwrap(), format, language).unwrap()
    }

    #[test]
    fn the_six_un_languages_write_the_date_as_their_readers_do() {
        assert_eq!(on_8_march("%A %-d %B", "en"), "Monday 8 March");
        assert_eq!(on_8_march("%A %-d %B", "fr"), "lundi 8 mars");
        assert_eq!(on_8_march("%A %-d %B", "fr-CA"), "lundi 8 mars");
        assert_eq!(on_8_march("%A %-d de %B", "es"), "lunes 8 de marzo");
        assert_eq!(on_8_march("%A %-d %B", "ru"), "понедельник 8 марта");
        assert_eq!(on_8_march("%A %-d %B", "ar"), "الاثنين 8 مارس");
        assert_eq!(on_8_march("%-m月%-d日 %A", "zh"), "3月8日 星期一");
        assert_eq!(on_8_march("%-d %B %Y", "ru"), "8 марта 2027");
    }

    #[test]
    fn other_languages_get_english_names_and_bad_formats_are_errors() {
        assert_eq!(on_8_march("%A %-d %B", "sw"), "Monday 8 March");
        assert!(format_date(chrono::NaiveDate::from_ymd_opt(2027, 3, 8).unwrap(), "%Q", "fr").is_err());
        assert!(format_date(chrono::NaiveDate::from_ymd_opt(2027, 3, 8).unwrap(), "%Q", "en").is_err());
    }

    #[test]
    fn languages_are_named_in_messages() {
        assert_eq!(english_name(&Language::try_from("fr".to_string()).unwrap()), "French");
        assert_eq!(english_name(&Language::try_from("pt-BR".to_string()).unwrap()), "`pt-BR`");
    }
}
