//! Form checks done before calling the edge, so a person sees every mistake at
//! once, in their language, next to the field. The services check again and
//! decide; what they refuse still comes back next to its field (`field_errors`).

use crate::edge::EdgeError;
use crate::i18n::Lang;
use crate::views::form::FormErrors;

/// Longest email identity accepts.
pub const MAX_EMAIL: usize = 254;
/// Identity's shortest password.
pub const MIN_PASSWORD: usize = 10;
pub const MAX_PASSWORD: usize = 256;
pub const MAX_NAME: usize = 120;
/// Chat's longest message.
pub const MAX_MESSAGE: usize = 4000;

/// A required text of at most `max` characters, trimmed.
pub fn required(errors: &mut FormErrors, lang: Lang, field: &str, raw: &str, max: usize) -> String {
    let value = raw.trim();
    let count = value.chars().count();
    if count == 0 {
        errors.field(field, lang.text().fields.required);
    } else if count > max {
        errors.field(field, (lang.text().fields.too_long)(max, count));
    }
    value.to_string()
}

/// An optional text of at most `max` characters, trimmed.
pub fn optional(errors: &mut FormErrors, lang: Lang, field: &str, raw: &str, max: usize) -> Option<String> {
    let value = raw.trim();
    let count = value.chars().count();
    if count > max {
        errors.field(field, (lang.text().fields.too_long)(max, count));
    }
    (!value.is_empty()).then(|| value.to_string())
}

pub fn email(errors: &mut FormErrors, lang: Lang, field: &str, raw: &str) -> String {
    let value = required(errors, lang, field, raw, MAX_EMAIL);
    if errors.get(field).is_none() && !plausible_email(&value) {
        errors.field(field, lang.text().fields.invalid_email);
    }
    value
}

fn plausible_email(value: &str) -> bool {
    let Some((local, domain)) = value.rsplit_once('@') else { return false };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !value.chars().any(|character| character.is_whitespace() || character == '<' || character == '>')
}

/// A new password: long enough, not absurdly long. Not trimmed.
pub fn new_password(errors: &mut FormErrors, lang: Lang, field: &str, raw: &str) -> String {
    let count = raw.chars().count();
    if count == 0 {
        errors.field(field, lang.text().fields.required);
    } else if count < MIN_PASSWORD {
        errors.field(field, (lang.text().fields.too_short)(MIN_PASSWORD, count));
    } else if count > MAX_PASSWORD {
        errors.field(field, (lang.text().fields.too_long)(MAX_PASSWORD, count));
    }
    raw.to_string()
}

/// A whole number within `range`, from a form field.
pub fn integer(
    errors: &mut FormErrors,
    lang: Lang,
    field: &str,
    raw: &str,
    range: std::ops::RangeInclusive<i64>,
) -> Option<i64> {
    let cleaned: String = raw.trim().chars().filter(|character| !matches!(character, ',' | ' ' | '$')).collect();
    if cleaned.is_empty() {
        errors.field(field, lang.text().fields.required);
        return None;
    }
    match cleaned.parse::<i64>() {
        Ok(value) if range.contains(&value) => Some(value),
        Ok(_) => {
            errors.field(field, (lang.text().fields.number_range)(*range.start(), *range.end()));
            None
        }
        Err(_) => {
            errors.field(field, lang.text().fields.number_expected);
            None
        }
    }
}

/// The service refused fields: each goes next to its input. `fields` maps the
/// API's argument names to the form's input names; a refusal without a field
/// (or with one the form lacks) becomes the form's message.
pub fn field_errors(error: &EdgeError, lang: Lang, fields: &[(&str, &str)], errors: &mut FormErrors) {
    field_errors_worded(
        error,
        lang,
        &fields.iter().map(|(api, input)| (*api, *input, None)).collect::<Vec<_>>(),
        errors,
    );
}

/// [`field_errors`] with our own words for fields whose rules live in the
/// service (an RFC's shape, say): the service decides, the page explains.
pub fn field_errors_worded(
    error: &EdgeError,
    lang: Lang,
    fields: &[(&str, &str, Option<&str>)],
    errors: &mut FormErrors,
) {
    for failure in error.failures() {
        let found = failure.field.as_deref().and_then(|field| {
            let field = field.rsplit('.').next().unwrap_or(field);
            fields.iter().find(|(api, _, _)| *api == field)
        });
        match found {
            Some((_, input, words)) => {
                errors.field(input, words.map(str::to_string).unwrap_or_else(|| localized(&failure.message, lang)))
            }
            None => {
                errors.form.get_or_insert(localized(&failure.message, lang));
            }
        }
    }
}

/// The services speak English; in Spanish a person gets the generic words for
/// "this value is not valid" rather than a sentence they may not read.
fn localized(message: &str, lang: Lang) -> String {
    match lang {
        Lang::En => {
            let mut sentence = message.to_string();
            if let Some(first) = sentence.get(0..1) {
                let upper = first.to_uppercase();
                sentence.replace_range(0..1, &upper);
            }
            if !sentence.ends_with('.') {
                sentence.push('.');
            }
            sentence
        }
        Lang::Es => lang.text().fields.invalid_value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_and_passwords() {
        let mut errors = FormErrors::default();
        email(&mut errors, Lang::Es, "email", "ana@correo.mx");
        assert!(errors.is_empty());
        email(&mut errors, Lang::Es, "email", "ana@correo");
        assert_eq!(errors.get("email"), Some("Escribe un correo válido, por ejemplo nombre@correo.com."));
        let mut errors = FormErrors::default();
        new_password(&mut errors, Lang::Es, "password", "corta");
        assert_eq!(errors.get("password"), Some("Debe tener al menos 10 caracteres (tiene 5)."));
    }

    #[test]
    fn lengths_are_counted_in_characters_and_said() {
        let mut errors = FormErrors::default();
        let value = required(&mut errors, Lang::En, "name", &"ñ".repeat(121), MAX_NAME);
        assert_eq!(value.chars().count(), 121);
        assert_eq!(errors.get("name"), Some("It can have up to 120 characters (it has 121)."));
        let mut errors = FormErrors::default();
        required(&mut errors, Lang::Es, "name", "   ", MAX_NAME);
        assert_eq!(errors.get("name"), Some("Este campo es obligatorio."));
    }

    #[test]
    fn numbers_from_forms() {
        let mut errors = FormErrors::default();
        assert_eq!(integer(&mut errors, Lang::Es, "amount", "5,000", 500..=100_000), Some(5_000));
        assert_eq!(integer(&mut errors, Lang::Es, "amount", "50", 500..=100_000), None);
        assert_eq!(errors.get("amount"), Some("Debe estar entre 500 y 100000."));
    }
}
