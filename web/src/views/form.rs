//! Form fields with their label, hint and error. An error sits next to its
//! field, in words, and what the person typed is kept.

use std::collections::BTreeMap;

use maud::{Markup, html};

/// Errors of one submitted form, by field name.
#[derive(Clone, Debug, Default)]
pub struct FormErrors {
    pub fields: BTreeMap<String, String>,
    /// A message about the whole form (wrong password, try later…).
    pub form: Option<String>,
}

impl FormErrors {
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.form.is_none()
    }

    pub fn field(&mut self, name: &str, message: impl Into<String>) {
        self.fields.entry(name.to_string()).or_insert_with(|| message.into());
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    Text,
    Email,
    Password,
    NewPassword,
    Number,
    Tel,
    Search,
    TextArea,
}

/// One input with its label.
pub struct Field<'a> {
    pub name: &'a str,
    pub label: &'a str,
    pub kind: InputKind,
    pub value: &'a str,
    pub hint: Option<&'a str>,
    pub required: bool,
    pub max_length: Option<usize>,
    pub autocomplete: Option<&'a str>,
    /// The phone keyboard to offer (`numeric` for amounts typed with commas).
    pub inputmode: Option<&'a str>,
}

impl<'a> Field<'a> {
    pub fn new(name: &'a str, label: &'a str, kind: InputKind, value: &'a str) -> Field<'a> {
        Field {
            name,
            label,
            kind,
            value,
            hint: None,
            required: true,
            max_length: None,
            autocomplete: None,
            inputmode: None,
        }
    }

    pub fn hint(mut self, hint: &'a str) -> Field<'a> {
        self.hint = Some(hint);
        self
    }

    pub fn optional(mut self) -> Field<'a> {
        self.required = false;
        self
    }

    pub fn max_length(mut self, max: usize) -> Field<'a> {
        self.max_length = Some(max);
        self
    }

    pub fn autocomplete(mut self, value: &'a str) -> Field<'a> {
        self.autocomplete = Some(value);
        self
    }

    pub fn inputmode(mut self, mode: &'a str) -> Field<'a> {
        self.inputmode = Some(mode);
        self
    }

    pub fn render(&self, errors: &FormErrors) -> Markup {
        let id = format!("field-{}", self.name);
        let error = errors.get(self.name);
        let (error_id, hint_id, described) = described_by(&id, error.is_some(), self.hint.is_some());
        let input_type = match self.kind {
            InputKind::Text | InputKind::TextArea => "text",
            InputKind::Email => "email",
            InputKind::Password | InputKind::NewPassword => "password",
            InputKind::Number => "number",
            InputKind::Tel => "tel",
            InputKind::Search => "search",
        };
        let autocomplete = self.autocomplete.or(match self.kind {
            InputKind::Email => Some("email"),
            InputKind::Password => Some("current-password"),
            InputKind::NewPassword => Some("new-password"),
            _ => None,
        });
        let max_length = self.max_length.map(|max| max.to_string());
        html! {
            div.field.has-error[error.is_some()] {
                label for=(id) { (self.label) }
                @if let Some(error) = error { p.field-error id=(error_id) { (error) } }
                @if self.kind == InputKind::TextArea {
                    textarea id=(id) name=(self.name) required[self.required] maxlength=[max_length.as_deref()]
                        aria-invalid=[error.map(|_| "true")] aria-describedby=[described.as_deref()] rows="4" {
                        (self.value)
                    }
                } @else {
                    input id=(id) name=(self.name) type=(input_type) value=(self.value) required[self.required]
                        maxlength=[max_length.as_deref()] autocomplete=[autocomplete]
                        inputmode=[self.inputmode.or((self.kind == InputKind::Number).then_some("numeric"))]
                        aria-invalid=[error.map(|_| "true")] aria-describedby=[described.as_deref()];
                }
                @if let Some(hint) = self.hint { p.hint id=(hint_id) { (hint) } }
            }
        }
    }
}

/// The ids of a field's error and hint, and its `aria-describedby`.
fn described_by(id: &str, has_error: bool, has_hint: bool) -> (String, String, Option<String>) {
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described = match (has_error, has_hint) {
        (true, true) => Some(format!("{error_id} {hint_id}")),
        (true, false) => Some(error_id.clone()),
        (false, true) => Some(hint_id.clone()),
        (false, false) => None,
    };
    (error_id, hint_id, described)
}

/// A choice from a closed list (`options` are value and label), with its label,
/// hint and error like [`Field`]. An empty first option asks to choose when nothing is.
pub struct Select<'a> {
    pub name: &'a str,
    pub label: &'a str,
    pub options: Vec<(&'a str, &'a str)>,
    pub selected: &'a str,
    /// The empty option's words ("Elige…"); `None` when a value is always chosen.
    pub placeholder: Option<&'a str>,
    pub hint: Option<&'a str>,
}

impl<'a> Select<'a> {
    pub fn new(name: &'a str, label: &'a str, options: Vec<(&'a str, &'a str)>, selected: &'a str) -> Select<'a> {
        Select { name, label, options, selected, placeholder: None, hint: None }
    }

    pub fn placeholder(mut self, words: &'a str) -> Select<'a> {
        self.placeholder = Some(words);
        self
    }

    pub fn render(&self, errors: &FormErrors) -> Markup {
        let id = format!("field-{}", self.name);
        let error = errors.get(self.name);
        let (error_id, hint_id, described) = described_by(&id, error.is_some(), self.hint.is_some());
        html! {
            div.field.has-error[error.is_some()] {
                label for=(id) { (self.label) }
                @if let Some(error) = error { p.field-error id=(error_id) { (error) } }
                select id=(id) name=(self.name) required aria-invalid=[error.map(|_| "true")]
                    aria-describedby=[described.as_deref()] {
                    @if let Some(words) = self.placeholder {
                        option value="" selected[self.selected.is_empty()] { (words) }
                    }
                    @for (value, label) in &self.options {
                        option value=(value) selected[*value == self.selected] { (label) }
                    }
                }
                @if let Some(hint) = self.hint { p.hint id=(hint_id) { (hint) } }
            }
        }
    }
}

/// The summary at the top of a form that has errors.
pub fn form_summary(errors: &FormErrors, generic: &str) -> Markup {
    html! {
        @if let Some(message) = &errors.form {
            div.notice.notice-error role="alert" { p { (message) } }
        } @else if !errors.fields.is_empty() {
            div.notice.notice-error role="alert" { p { (generic) } }
        }
    }
}

/// The hidden CSRF field every form carries.
pub fn csrf_field(token: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(token); }
}
