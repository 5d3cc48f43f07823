//! A Stripe event as billing reads it: parsed loosely from JSON (Stripe adds
//! fields and event types at will) into just what processing needs.

use serde_json::Value;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EventParseError {
    #[error("the body is not JSON: {0}")]
    NotJson(String),
    #[error("the event lacks {0}")]
    MissingField(&'static str),
}

#[derive(Clone, Debug, PartialEq)]
pub struct StripeEvent {
    pub id: String,
    pub event_type: String,
    /// Stripe's `created` (unix seconds): the order in which object states happened.
    pub created: i64,
    pub object: Value,
}

impl StripeEvent {
    pub fn parse(body: &[u8]) -> Result<StripeEvent, EventParseError> {
        let value: Value = serde_json::from_slice(body).map_err(|error| EventParseError::NotJson(error.to_string()))?;
        let id = value.get("id").and_then(Value::as_str).filter(|id| !id.is_empty() && id.len() <= 255);
        let id = id.ok_or(EventParseError::MissingField("id"))?.to_string();
        let event_type = value.get("type").and_then(Value::as_str).ok_or(EventParseError::MissingField("type"))?;
        let created = value.get("created").and_then(Value::as_i64).ok_or(EventParseError::MissingField("created"))?;
        let object = value
            .get("data")
            .and_then(|data| data.get("object"))
            .filter(|object| object.is_object())
            .ok_or(EventParseError::MissingField("data.object"))?
            .clone();
        Ok(StripeEvent { id, event_type: event_type.to_string(), created, object })
    }

    pub fn object_id(&self) -> String {
        self.object_str("id").unwrap_or_default().to_string()
    }

    pub fn object_str(&self, field: &str) -> Option<&str> {
        self.object.get(field).and_then(Value::as_str)
    }

    pub fn metadata(&self, key: &str) -> Option<&str> {
        self.object.get("metadata").and_then(|metadata| metadata.get(key)).and_then(Value::as_str)
    }

    /// The subscription an invoice belongs to: `parent.subscription_details.subscription`
    /// in Stripe's current API, top-level `subscription` in older ones.
    pub fn invoice_subscription(&self) -> Option<&str> {
        let parent = self.object.pointer("/parent/subscription_details/subscription").and_then(Value::as_str);
        parent.or_else(|| self.object_str("subscription")).filter(|id| !id.is_empty())
    }

    /// The refunds an event reports, `(refund id, amount)`: a `charge.refunded`
    /// lists them under `refunds.data`, a refund event is one. Refunds that failed
    /// or were cancelled returned nothing and are left out.
    pub fn refunds(&self) -> Vec<(String, i64)> {
        let one = |refund: &Value| {
            let status = refund.get("status").and_then(Value::as_str).unwrap_or("succeeded");
            if matches!(status, "failed" | "canceled") {
                return None;
            }
            let id = refund.get("id").and_then(Value::as_str).filter(|id| !id.is_empty())?;
            Some((id.to_string(), refund.get("amount").and_then(Value::as_i64)?))
        };
        match self.object.get("object").and_then(Value::as_str) {
            Some("refund") => one(&self.object).into_iter().collect(),
            _ => self
                .object
                .pointer("/refunds/data")
                .and_then(Value::as_array)
                .map(|refunds| refunds.iter().filter_map(one).collect())
                .unwrap_or_default(),
        }
    }

    pub fn kind(&self) -> EventKind {
        EventKind::of(&self.event_type)
    }
}

/// The event types billing acts on; everything else is recorded and ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    PaymentSucceeded,
    PaymentFailed,
    PaymentCanceled,
    SubscriptionChanged,
    SubscriptionDeleted,
    InvoicePaid,
    InvoicePaymentFailed,
    AccountUpdated,
    ChargeRefunded,
    RefundChanged,
    Other,
}

impl EventKind {
    pub fn of(event_type: &str) -> EventKind {
        match event_type {
            "payment_intent.succeeded" => EventKind::PaymentSucceeded,
            "payment_intent.payment_failed" => EventKind::PaymentFailed,
            "payment_intent.canceled" => EventKind::PaymentCanceled,
            "customer.subscription.created" | "customer.subscription.updated" => EventKind::SubscriptionChanged,
            "customer.subscription.deleted" => EventKind::SubscriptionDeleted,
            "invoice.paid" => EventKind::InvoicePaid,
            "invoice.payment_failed" => EventKind::InvoicePaymentFailed,
            "account.updated" => EventKind::AccountUpdated,
            "charge.refunded" => EventKind::ChargeRefunded,
            "refund.created" | "refund.updated" | "charge.refund.updated" => EventKind::RefundChanged,
            _ => EventKind::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_parse_id_type_created_and_object() {
        let body = br#"{"id":"evt_1","type":"payment_intent.succeeded","created":5,"data":{"object":{"id":"pi_1","metadata":{"listing_id":"l"}}}}"#;
        let event = StripeEvent::parse(body).unwrap();
        assert_eq!(event.object_id(), "pi_1");
        assert_eq!(event.metadata("listing_id"), Some("l"));
        assert_eq!(event.kind(), EventKind::PaymentSucceeded);
    }

    #[test]
    fn malformed_events_are_refused_with_the_missing_part() {
        assert!(matches!(StripeEvent::parse(b"{not json"), Err(EventParseError::NotJson(_))));
        assert_eq!(
            StripeEvent::parse(br#"{"type":"x","created":1,"data":{"object":{}}}"#),
            Err(EventParseError::MissingField("id"))
        );
        assert_eq!(
            StripeEvent::parse(br#"{"id":"e","type":"x","created":1}"#),
            Err(EventParseError::MissingField("data.object"))
        );
        assert_eq!(
            StripeEvent::parse(br#"{"id":"e","type":"x","data":{"object":{}}}"#),
            Err(EventParseError::MissingField("created"))
        );
    }

    #[test]
    fn invoices_name_their_subscription_in_either_api_shape() {
        let current = br#"{"id":"e","type":"invoice.paid","created":1,"data":{"object":{"id":"in_1","subscription":null,"parent":{"subscription_details":{"subscription":"sub_new"}}}}}"#;
        assert_eq!(StripeEvent::parse(current).unwrap().invoice_subscription(), Some("sub_new"));
        let older =
            br#"{"id":"e","type":"invoice.paid","created":1,"data":{"object":{"id":"in_1","subscription":"sub_old"}}}"#;
        assert_eq!(StripeEvent::parse(older).unwrap().invoice_subscription(), Some("sub_old"));
        let one_off = br#"{"id":"e","type":"invoice.paid","created":1,"data":{"object":{"id":"in_1"}}}"#;
        assert_eq!(StripeEvent::parse(one_off).unwrap().invoice_subscription(), None);
    }

    #[test]
    fn unknown_types_are_other() {
        assert_eq!(EventKind::of("plan.created"), EventKind::Other);
    }
}
