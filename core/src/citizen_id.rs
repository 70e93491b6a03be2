//! The Thai citizen ID (เลขประจำตัวประชาชน) check digit, used for `AgentID`.

/// What is wrong with a citizen ID, if anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CitizenIdCheck {
    /// 13 ASCII digits with a correct check digit.
    Valid,
    /// Not exactly 13 ASCII digits.
    BadFormat,
    /// 13 digits, but digit 13 is not (11 − Σ d_i·(14−i) mod 11) mod 10.
    BadCheckDigit,
}

/// Checks the format and the check digit of a 13-digit Thai citizen ID.
pub fn check_citizen_id(id: &str) -> CitizenIdCheck {
    let digits: Vec<u32> = id.chars().filter_map(|c| c.to_digit(10)).collect();
    if id.len() != 13 || digits.len() != 13 {
        return CitizenIdCheck::BadFormat;
    }
    let sum: u32 = digits[..12]
        .iter()
        .enumerate()
        .map(|(i, d)| d * (13 - i as u32))
        .sum();
    if (11 - sum % 11) % 10 == digits[12] {
        CitizenIdCheck::Valid
    } else {
        CitizenIdCheck::BadCheckDigit
    }
}

/// Whether `id` is a 13-digit Thai citizen ID with a correct check digit.
pub fn validate_citizen_id(id: &str) -> bool {
    check_citizen_id(id) == CitizenIdCheck::Valid
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guide_examples() {
        assert_eq!(check_citizen_id("1234567890121"), CitizenIdCheck::Valid);
        // Q11 (docs/protocol.md): the guide's own example fails the check.
        assert_eq!(
            check_citizen_id("1234567890123"),
            CitizenIdCheck::BadCheckDigit
        );
        assert_eq!(check_citizen_id("123456789012"), CitizenIdCheck::BadFormat);
        assert_eq!(
            check_citizen_id("12345678901２1"),
            CitizenIdCheck::BadFormat
        );
        assert_eq!(
            check_citizen_id("1-2345-67890-12-1"),
            CitizenIdCheck::BadFormat
        );
        assert!(validate_citizen_id("1101700230708"));
    }
}
