//! An agency application as submitted: every field checked before anything is stored.

use uuid::Uuid;

use super::email::Email;
use super::text::{optional, required};
use crate::error::IdentityError;

/// Where the new agency goes: an existing group, or a group created on approval.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupChoice {
    Existing(Uuid),
    New(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApplicationDraft {
    pub company_name: String,
    pub contact_name: String,
    pub contact_email: Email,
    /// Optional: email is the channel we answer on.
    pub contact_phone: Option<String>,
    /// Mexican RFC, upper-cased.
    pub tax_id: String,
    pub address: String,
    pub city: String,
    pub state: String,
    pub group: GroupChoice,
    pub expected_listings: i32,
}

/// What the caller typed, before validation (mirrors the wire message).
#[derive(Clone, Debug, Default)]
pub struct ApplicationInput {
    pub company_name: String,
    pub contact_name: String,
    pub contact_email: String,
    pub contact_phone: String,
    pub tax_id: String,
    pub address: String,
    pub city: String,
    pub state: String,
    pub group_id: String,
    pub group_name: String,
    pub expected_listings: i32,
}

pub const MAX_EXPECTED_LISTINGS: i32 = 100_000;

/// An RFC (Registro Federal de Contribuyentes): 3 letters (companies) or 4
/// (people), a yymmdd date, and a 3-character homoclave.
pub fn parse_tax_id(raw: &str) -> Result<String, IdentityError> {
    let tax_id: String =
        raw.trim().to_uppercase().chars().filter(|character| *character != '-' && *character != ' ').collect();
    let characters: Vec<char> = tax_id.chars().collect();
    let letters = match characters.len() {
        12 => 3,
        13 => 4,
        _ => return Err(IdentityError::invalid("taxId", "tax id (RFC) must have 12 or 13 characters")),
    };
    let prefix_ok = characters[..letters]
        .iter()
        .all(|character| character.is_ascii_uppercase() || *character == '&' || *character == 'Ñ');
    let date_ok = characters[letters..letters + 6].iter().all(char::is_ascii_digit);
    let suffix_ok = characters[letters + 6..].iter().all(char::is_ascii_alphanumeric);
    if !(prefix_ok && date_ok && suffix_ok) {
        return Err(IdentityError::invalid("taxId", "tax id (RFC) is not well formed"));
    }
    Ok(tax_id)
}

fn parse_phone(raw: &str) -> Result<Option<String>, IdentityError> {
    let Some(phone) = optional(raw, "contactPhone", 32)? else {
        return Ok(None);
    };
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    let allowed = phone.chars().all(|character| character.is_ascii_digit() || " +-().".contains(character));
    if !allowed || !(10..=15).contains(&digits) {
        return Err(IdentityError::invalid("contactPhone", "phone must have 10 to 15 digits"));
    }
    Ok(Some(phone))
}

impl ApplicationDraft {
    pub fn parse(input: &ApplicationInput) -> Result<ApplicationDraft, IdentityError> {
        let group = match (input.group_id.trim(), optional(&input.group_name, "groupName", 120)?) {
            ("", None) => {
                return Err(IdentityError::invalid("groupName", "name a new group or choose an existing one"));
            }
            ("", Some(name)) => GroupChoice::New(name),
            (id, None) => GroupChoice::Existing(
                Uuid::parse_str(id).map_err(|_| IdentityError::invalid("groupId", "group id is not a valid id"))?,
            ),
            (_, Some(_)) => {
                return Err(IdentityError::invalid("groupName", "choose an existing group or a new name, not both"));
            }
        };
        if !(1..=MAX_EXPECTED_LISTINGS).contains(&input.expected_listings) {
            return Err(IdentityError::invalid(
                "expectedListings",
                format!("expected listings must be between 1 and {MAX_EXPECTED_LISTINGS}"),
            ));
        }
        Ok(ApplicationDraft {
            company_name: required(&input.company_name, "companyName", 160)?,
            contact_name: required(&input.contact_name, "contactName", 120)?,
            contact_email: Email::parse(&input.contact_email, "contactEmail")?,
            contact_phone: parse_phone(&input.contact_phone)?,
            tax_id: parse_tax_id(&input.tax_id)?,
            address: required(&input.address, "address", 300)?,
            city: required(&input.city, "city", 80)?,
            state: required(&input.state, "state", 80)?,
            group,
            expected_listings: input.expected_listings,
        })
    }
}

/// The review decision, with the reason a rejection requires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject { reason: String },
}

impl Decision {
    pub fn parse(approve: bool, reason: &str) -> Result<Decision, IdentityError> {
        if approve {
            return Ok(Decision::Approve);
        }
        let reason = required(reason, "reason", 2000)
            .map_err(|_| IdentityError::invalid("reason", "a rejection needs a reason (at most 2000 characters)"))?;
        Ok(Decision::Reject { reason })
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;

    pub fn valid_input() -> ApplicationInput {
        ApplicationInput {
            company_name: "Autos Reforma".into(),
            contact_name: "Lucía Hernández".into(),
            contact_email: "lucia@autosreforma.mx".into(),
            contact_phone: "+52 55 1234 5678".into(),
            tax_id: "ARE010203AB1".into(),
            address: "Av. Reforma 100, Juárez".into(),
            city: "Ciudad de México".into(),
            state: "CDMX".into(),
            group_id: String::new(),
            group_name: "Grupo Reforma".into(),
            expected_listings: 40,
        }
    }

    #[test]
    fn a_complete_application_parses() {
        let draft = ApplicationDraft::parse(&valid_input()).unwrap();
        assert_eq!(draft.group, GroupChoice::New("Grupo Reforma".into()));
        assert_eq!(draft.tax_id, "ARE010203AB1");
    }

    type Clear = fn(&mut ApplicationInput);

    #[test]
    fn each_missing_field_is_named() {
        let cases: [(&str, Clear); 8] = [
            ("companyName", |input| input.company_name.clear()),
            ("contactName", |input| input.contact_name.clear()),
            ("contactEmail", |input| input.contact_email.clear()),
            ("taxId", |input| input.tax_id.clear()),
            ("address", |input| input.address.clear()),
            ("city", |input| input.city.clear()),
            ("state", |input| input.state.clear()),
            ("groupName", |input| input.group_name.clear()),
        ];
        for (field, clear) in cases {
            let mut input = valid_input();
            clear(&mut input);
            match ApplicationDraft::parse(&input) {
                Err(IdentityError::InvalidInput { field: named, .. }) => assert_eq!(named, field),
                other => panic!("{field}: {other:?}"),
            }
        }
    }

    #[test]
    fn tax_ids_phone_numbers_and_counts_are_checked() {
        assert!(parse_tax_id("HEGL800101AB1").is_ok());
        assert!(parse_tax_id("XYZ").is_err());
        assert!(parse_tax_id("ARE01AB03AB1").is_err());
        let mut input = valid_input();
        input.contact_phone = "call me".into();
        assert!(ApplicationDraft::parse(&input).is_err());
        input.contact_phone = String::new();
        assert_eq!(ApplicationDraft::parse(&input).unwrap().contact_phone, None, "the phone is optional");
        let mut input = valid_input();
        input.expected_listings = 0;
        assert!(ApplicationDraft::parse(&input).is_err());
        let mut input = valid_input();
        input.group_id = Uuid::new_v4().to_string();
        assert!(ApplicationDraft::parse(&input).is_err(), "both a group id and a new name");
    }

    #[test]
    fn rejections_need_a_reason() {
        assert!(Decision::parse(false, "  ").is_err());
        assert_eq!(
            Decision::parse(false, " incomplete papers ").unwrap(),
            Decision::Reject { reason: "incomplete papers".into() }
        );
        assert_eq!(Decision::parse(true, "").unwrap(), Decision::Approve);
    }
}
