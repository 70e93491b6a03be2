//! A status's fields by the schema's wire names, typed, for bindings that build their own
//! objects field by field (Python's records) instead of reading the JSON form: the wire names
//! are spelled here, beside the schema, never in a binding.

use crate::model::PaymentStatus;
use chrono::NaiveDateTime;
use rust_decimal::Decimal;
use serde_json::Value;

/// One field's value, by kind.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue<'a> {
    /// Text that is always there (`ref1`, `ref2`).
    Text(&'a str),
    /// Text that may be absent.
    OptText(Option<&'a str>),
    /// A date-time in Bangkok time, or none.
    Date(Option<NaiveDateTime>),
    /// An amount, exact; none only for an optional amount.
    Decimal(Option<&'a Decimal>),
    /// An enum: its number when DGA sent one (a member's identity, cheap to compare), and its
    /// JSON form (the guide's name, or the raw value DGA sent; null if absent) when asked.
    Enum(Option<i64>, EnumJson<'a>),
}

/// An enum field's JSON form, made only when asked for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EnumJson<'a> {
    /// `paidStatus`.
    PaidStatus(&'a crate::PaidStatus),
    /// `paymentType`, which DGA may leave out.
    PaymentType(Option<&'a crate::PaymentType>),
}

impl EnumJson<'_> {
    /// The guide's name, the raw value DGA sent, or null.
    pub fn to_json(self) -> Value {
        match self {
            EnumJson::PaidStatus(v) => v.to_json(),
            EnumJson::PaymentType(v) => v.map_or(Value::Null, |v| v.to_json()),
        }
    }
}

impl PaymentStatus {
    /// The field the schema names `wire` (`paidStatus`, `refId`, …), or `None` for a name
    /// the status does not have.
    pub fn field(&self, wire: &str) -> Option<FieldValue<'_>> {
        Some(match wire {
            "paidStatus" => FieldValue::Enum(
                self.paid_status.number(),
                EnumJson::PaidStatus(&self.paid_status),
            ),
            "paymentType" => FieldValue::Enum(
                self.payment_type.as_ref().and_then(|t| t.number()),
                EnumJson::PaymentType(self.payment_type.as_ref()),
            ),
            "description" => FieldValue::OptText(Option::as_deref(&self.description)),
            "paidChannel" => FieldValue::OptText(Option::as_deref(&self.paid_channel)),
            "refId" => FieldValue::OptText(Option::as_deref(&self.ref_id)),
            "cardNo" => FieldValue::OptText(Option::as_deref(&self.card_no)),
            "warning" => FieldValue::OptText(Option::as_deref(&self.warning)),
            "ref1" => FieldValue::Text(&self.ref1),
            "ref2" => FieldValue::Text(&self.ref2),
            "paidDate" => FieldValue::Date(self.paid_date),
            "confirmPaidDate" => FieldValue::Date(self.confirm_paid_date),
            "voidDate" => FieldValue::Date(self.void_date),
            "requestRefundDate" => FieldValue::Date(self.request_refund_date),
            "amount" => FieldValue::Decimal(Some(&self.amount)),
            "feeAmount" => FieldValue::Decimal(self.fee_amount.as_ref()),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::schema;

    /// Every field of the schema's PaymentStatus is readable, and gives what the JSON form does.
    #[test]
    fn every_schema_field_is_readable_as_in_the_json_form() {
        let body =
            br#"{"paidStatus": 0, "description": "Success", "paidDate": "2024-01-02T03:04:05",
            "paidChannel": "", "confirmPaidDate": "", "refId": "R", "ref1": "A", "ref2": "B",
            "amount": "1000.50", "feeAmount": null, "paymentType": 9}"#;
        let s = crate::parse_callback(body).unwrap();
        let json = s.to_json();
        for f in schema::PAYMENT_STATUS.fields {
            let v = s
                .field(f.wire)
                .unwrap_or_else(|| panic!("{} is not readable", f.wire));
            let as_json = match v {
                super::FieldValue::Text(t) => serde_json::json!(t),
                super::FieldValue::OptText(t) => serde_json::json!(t),
                super::FieldValue::Date(d) => {
                    serde_json::json!(d.map(|d| d.format("%Y-%m-%dT%H:%M:%S").to_string()))
                }
                super::FieldValue::Decimal(d) => serde_json::json!(d.map(|d| d.to_string())),
                super::FieldValue::Enum(_, v) => v.to_json(),
            };
            assert_eq!(as_json, json[f.wire], "{}", f.wire);
        }
        assert!(s.field("noSuchField").is_none());
    }
}
