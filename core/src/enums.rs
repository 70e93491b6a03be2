//! The guide's enumerations (Appendix), each with its number, name and the guide's description.
//!
//! DGA sends enum values as numbers or as names (any case), and sometimes as something else
//! entirely (`"paymentType": "C"`, Q6 in docs/protocol.md). Every enum therefore has an
//! `Unknown` case that keeps the raw JSON value, so an unexpected value never makes a response
//! unreadable.

use serde::{Serialize, Serializer};
use serde_json::Value;
use std::fmt;

macro_rules! dga_enum {
    (
        $(#[doc = $doc:literal])+
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $num:literal, $wire:literal, $desc:literal; )+
        }
    ) => {
        $(#[doc = $doc])+
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum $name {
            $( $(#[$vmeta])* #[doc = concat!("`", $wire, "` = ", $num, ": ", $desc)] $variant, )+
            /// A value outside the guide's table, kept exactly as DGA sent it (boxed to keep
            /// the enum, and the errors that carry it, small).
            Unknown(Box<Value>),
        }

        impl $name {
            /// What the enum is: its doc comment (the binding generator,
            /// `core/examples/tables.rs`, writes it into every language's typings).
            pub const DOC: &'static str = concat!($($doc),+);

            /// Every value the guide defines, in the guide's order.
            pub const KNOWN: &'static [$name] = &[$($name::$variant),+];

            /// The value with this number, or `Unknown` keeping the number.
            pub fn from_number(n: i64) -> Self {
                match n {
                    $( $num => $name::$variant, )+
                    other => $name::Unknown(Box::new(Value::from(other))),
                }
            }

            /// The value with this name (case-insensitive, surrounding white space ignored; a
            /// string of digits is read as the number), or `Unknown` keeping the text.
            pub fn from_name(s: &str) -> Self {
                let t = s.trim();
                $( if t.eq_ignore_ascii_case($wire) { return $name::$variant; } )+
                if let Ok(n) = t.parse::<i64>() {
                    let v = Self::from_number(n);
                    if v.is_known() {
                        return v;
                    }
                }
                $name::Unknown(Box::new(Value::String(s.to_owned())))
            }

            /// The guide's number, `None` for an unknown value.
            pub fn number(&self) -> Option<i64> {
                match self {
                    $( $name::$variant => Some($num), )+
                    $name::Unknown(_) => None,
                }
            }

            /// The guide's name, `None` for an unknown value.
            pub fn name(&self) -> Option<&'static str> {
                match self {
                    $( $name::$variant => Some($wire), )+
                    $name::Unknown(_) => None,
                }
            }

            /// The guide's `[Description(...)]` text (Thai for statuses and payment types).
            pub fn description_th(&self) -> Option<&'static str> {
                match self {
                    $( $name::$variant => Some($desc), )+
                    $name::Unknown(_) => None,
                }
            }

            /// Whether the value is in the guide's table.
            pub fn is_known(&self) -> bool {
                !matches!(self, $name::Unknown(_))
            }

            /// Reads a value as DGA sends it: a number, a name, or a digit string. Any other
            /// string is kept as `Unknown`; `null`, booleans, arrays and objects are errors.
            pub fn from_json(v: &Value) -> Result<Self, String> {
                match v {
                    Value::Number(n) => match n.as_i64() {
                        Some(i) => Ok(Self::from_number(i)),
                        None => Ok($name::Unknown(Box::new(v.clone()))),
                    },
                    Value::String(s) => Ok(Self::from_name(s)),
                    other => Err(format!("expected a {} name or number, got {}", stringify!($name), crate::lenient::json_type(other))),
                }
            }

            /// The JSON the SDK hands out: the name, or the raw value when unknown.
            pub fn to_json(&self) -> Value {
                match self {
                    $name::Unknown(raw) => (**raw).clone(),
                    known => Value::String(known.name().unwrap_or_default().to_owned()),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    $name::Unknown(raw) => match &**raw {
                        Value::String(s) => f.write_str(s),
                        other => write!(f, "{other}"),
                    },
                    known => f.write_str(known.name().unwrap_or_default()),
                }
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                self.to_json().serialize(s)
            }
        }
    };
}

dga_enum! {
    /// BankCodeEnum. This guide always uses `KTB`; `CGD` belongs to the CGD bill-payment guide.
    BankCode {
        Cgd = 1, "CGD", "กรมบัญชีกลาง";
        Ktb = 2, "KTB", "ธนาคารกรุงไทย";
    }
}

dga_enum! {
    /// PaymentTypeEnum. KTB accepts `FastPay` (card) and `QRPayment` (Thai QR).
    PaymentType {
        BillPayment = 1, "BillPayment", "บิลเพย์เมนต์";
        DirectLink = 2, "DirectLink", "บิลเพย์เมนต์";
        FastPay = 3, "FastPay", "บัตรเครดิต/เดบิต";
        PageToPage = 4, "PageToPage", "อินเทอร์เน็ตแบงก์กิ้ง";
        QrPayment = 5, "QRPayment", "คิวอาร์เพย์เมนต์";
        AppToApp = 6, "AppToApp", "แอปพลิเคชันธนาคาร";
    }
}

dga_enum! {
    /// PaymentTransactionStatusEnum: the `paidStatus` of a status response or callback.
    /// Numbers follow this table: 0 is Pending, whatever a callback's description says
    /// (docs/protocol.md#q9--callback-paidstatus-0-described-success).
    PaidStatus {
        Pending = 0, "Pending", "รอการชำระเงิน";
        Success = 1, "Success", "ชำระเงินสำเร็จ";
        Rejected = 2, "Rejected", "ปฏิเสธชำระเงิน";
        Failed = 3, "Failed", "ชำระเงินไม่สำเร็จ";
        Void = 4, "Void", "ยกเลิกการชำระเงิน";
        Others = 5, "Others", "ผิดพลาด";
        Expired = 6, "Expired", "หมดอายุ";
        Refunded = 7, "Refunded", "คืนเงินสำเร็จ";
        RequestRefund = 8, "RequestRefund", "ยื่นเรื่องขอคืนเงิน";
    }
}

dga_enum! {
    /// ResponseStatusEnum: the envelope's `status`.
    ResponseStatus {
        Success = 0, "Success", "Success";
        SuccessWithError = 1, "SuccessWithError", "SuccessWithError";
        Warning = 2, "Warning", "Warning";
        Error = 3, "Error", "Error";
    }
}

dga_enum! {
    /// ErrorCodeEnum: the envelope's `errorCode` (null on success).
    ErrorCode {
        Others = 999, "Others", "Others";
        InvalidRequest = 1, "InvalidRequest", "Invalid Request";
        InvalidSource = 2, "InvalidSource", "Invalid Source";
        InvalidData = 3, "InvalidData", "Invalid Data";
        InvalidPaidDate = 4, "InvalidPaidDate", "Invalid PaidDate";
        InvalidExpiredDate = 5, "InvalidExpiredDate", "Invalid ExpiredDate";
        InvalidInvoice = 6, "InvalidInvoice", "Invalid Invoice";
        InvalidAmount = 7, "InvalidAmount", "Invalid Amount";
        TransactionNotFound = 8, "TransactionNotFound", "Transaction Not Found";
        SourceNotFound = 9, "SourceNotFound", "Source Not Found";
        DataNotFound = 10, "DataNotFound", "Data Not Found";
        UnsupportedPaymentType = 11, "UnsupportedPaymentType", "Unsupported PaymentType";
        EndpointServiceUnavailable = 12, "EndpointServiceUnavailable", "Endpoint Service Unavailable";
        InvalidEndpointData = 13, "InvalidEndpointData", "Invalid Endpoint Data";
        PaidPaymentCannotBeClosed = 14, "PaidPaymentCannotBeClosed", "Paid Payment Cannot Be Closed";
        FileDownloadingFailed = 15, "FileDownloadingFailed", "File Downloading Failed";
        FileUploadingFailed = 16, "FileUploadingFailed", "File Uploading Failed";
        FileRenderingFailed = 17, "FileRenderingFailed", "File Rendering Failed";
        FileServiceUnavailable = 18, "FileServiceUnavailable", "File Service Unavailable";
        UnableToVoidTransaction = 19, "UnableToVoidTransaction", "Unable To Void Transaction";
        UnableToRefundTransaction = 20, "UnableToRefundTransaction", "Unable To Refund Transaction";
        ReferenceNumberDuplicate = 21, "ReferenceNumberDuplicate", "Reference Number Duplicate";
        TransactionLocked = 22, "TransactionLocked", "Transaction Locked";
    }
}

impl PaidStatus {
    /// Whether money has been taken (and not given back): Success only.
    pub fn is_paid(&self) -> bool {
        matches!(self, PaidStatus::Success)
    }
}

impl PaymentType {
    /// Whether KTB's gateway takes this payment type (FastPay or QRPayment).
    pub fn is_ktb(&self) -> bool {
        matches!(self, PaymentType::FastPay | PaymentType::QrPayment)
    }
}

/// One enum's table as JSON: `[{"name", "number", "descriptionTh"}, …]` in the guide's order.
fn table<T>(
    known: &[T],
    name: fn(&T) -> Option<&'static str>,
    number: fn(&T) -> Option<i64>,
    desc: fn(&T) -> Option<&'static str>,
) -> Value {
    known
        .iter()
        .map(|v| serde_json::json!({ "name": name(v), "number": number(v), "descriptionTh": desc(v) }))
        .collect()
}

/// Every enum table of the guide as JSON, keyed by the enum's name (`"PaidStatus"`, …), so each
/// binding builds (or checks) its own enums from the core instead of copying the tables.
pub fn enum_tables() -> Value {
    macro_rules! tables {
        ($($t:ident),+) => {
            serde_json::json!({ $( stringify!($t): table($t::KNOWN, $t::name, $t::number, $t::description_th) ),+ })
        };
    }
    tables!(BankCode, PaymentType, PaidStatus, ResponseStatus, ErrorCode)
}

/// What each enum of [`enum_tables`] is, by the same keys: its doc comment.
pub fn enum_docs() -> Value {
    macro_rules! docs {
        ($($t:ident),+) => {
            serde_json::json!({ $( stringify!($t): $t::DOC.trim() ),+ })
        };
    }
    docs!(BankCode, PaymentType, PaidStatus, ResponseStatus, ErrorCode)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_and_numbers_read_both_ways() {
        assert_eq!(
            PaidStatus::from_json(&json!(1)).unwrap(),
            PaidStatus::Success
        );
        assert_eq!(
            PaidStatus::from_json(&json!(" success ")).unwrap(),
            PaidStatus::Success
        );
        assert_eq!(
            PaidStatus::from_json(&json!("0")).unwrap(),
            PaidStatus::Pending
        );
        assert_eq!(PaymentType::from_name("qrpayment"), PaymentType::QrPayment);
        assert_eq!(PaymentType::QrPayment.name(), Some("QRPayment"));
        assert_eq!(BankCode::from_name("ktb"), BankCode::Ktb);
        assert_eq!(ErrorCode::from_number(999), ErrorCode::Others);
    }

    #[test]
    fn unknown_values_keep_the_raw_value() {
        let c = PaymentType::from_json(&json!("C")).unwrap();
        assert_eq!(c, PaymentType::Unknown(Box::new(json!("C"))));
        assert_eq!(c.to_json(), json!("C"));
        assert_eq!(c.to_string(), "C");
        let n = PaidStatus::from_json(&json!(42)).unwrap();
        assert_eq!(n.to_json(), json!(42));
        assert!(PaidStatus::from_json(&json!(true)).is_err());
        assert!(PaidStatus::from_json(&Value::Null).is_err());
    }

    #[test]
    fn tables_match_the_guide() {
        assert_eq!(PaidStatus::KNOWN.len(), 9);
        assert_eq!(ErrorCode::KNOWN.len(), 23);
        assert_eq!(PaymentType::KNOWN.len(), 6);
        for v in ErrorCode::KNOWN {
            assert_eq!(&ErrorCode::from_number(v.number().unwrap()), v);
            assert_eq!(&ErrorCode::from_name(v.name().unwrap()), v);
        }
        assert_eq!(PaidStatus::Pending.description_th(), Some("รอการชำระเงิน"));
    }
}
