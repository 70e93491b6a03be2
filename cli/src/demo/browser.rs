//! Just enough of a browser for the demo: read the forms of a page and submit one of them the
//! way a browser does (its named fields plus the name and value of the button pressed).

use scraper::{Html, Selector};

/// A `<form>`: where it posts and what it holds.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Form {
    /// The `action` attribute as written ("" when absent: the page's own URL).
    pub action: String,
    /// Named fields a submission carries (hidden, text, … in document order).
    pub fields: Vec<(String, String)>,
    /// Named submit buttons: `(name, value)`.
    pub buttons: Vec<(String, String)>,
}

impl Form {
    /// Whether one of its buttons submits `value`.
    pub fn has_button(&self, value: &str) -> bool {
        self.buttons.iter().any(|(_, v)| v == value)
    }

    /// What a browser sends when the button with `value` is pressed.
    pub fn submission(&self, value: &str) -> Option<Vec<(String, String)>> {
        let button = self.buttons.iter().find(|(_, v)| v == value)?;
        let mut fields = self.fields.clone();
        fields.push(button.clone());
        Some(fields)
    }
}

/// Every form of the page, in order, read by a real HTML parser (html5ever, via scraper).
pub fn forms(html: &str) -> Vec<Form> {
    let doc = Html::parse_document(html);
    let form_sel = Selector::parse("form").expect("valid selector");
    let control_sel = Selector::parse("input, button").expect("valid selector");
    doc.select(&form_sel)
        .map(|form| {
            let el = form.value();
            let mut out = Form {
                action: el.attr("action").unwrap_or_default().to_owned(),
                ..Form::default()
            };
            for control in form.select(&control_sel) {
                let c = control.value();
                let Some(name) = c.attr("name") else {
                    continue;
                };
                let pair = (
                    name.to_owned(),
                    c.attr("value").unwrap_or_default().to_owned(),
                );
                let default_type = if c.name() == "button" {
                    "submit"
                } else {
                    "text"
                };
                let kind = c.attr("type").unwrap_or(default_type).to_ascii_lowercase();
                match kind.as_str() {
                    "submit" | "image" => out.buttons.push(pair),
                    "button" | "reset" | "file" => {}
                    "checkbox" | "radio" if c.attr("checked").is_none() => {}
                    _ => out.fields.push(pair),
                }
            }
            out
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_form_like_a_browser() {
        let page = r#"<!DOCTYPE html><html><body>
            <!-- <form action="/nope"> -->
            <form method="post" action='/ktb/pay'>
              <input type="hidden" name="orderRef" value="A&amp;B &quot;1&quot;">
              <input type=hidden name=securityKey value=k>
              <input type="checkbox" name="remember" value="1">
              <input type="text" name="note">
              <button type="submit" name="action" value="pay">ชำระเงิน</button>
              <button name="action" value="fail">Fail</button>
              <button type="button" name="x" value="y">No</button>
              <input type="submit" name="action" value="cancel"/>
            </form></body></html>"#;
        let forms = forms(page);
        assert_eq!(forms.len(), 1);
        let form = &forms[0];
        assert_eq!(form.action, "/ktb/pay");
        let pair = |a: &str, b: &str| (a.to_owned(), b.to_owned());
        assert_eq!(
            form.fields,
            [
                pair("orderRef", "A&B \"1\""),
                pair("securityKey", "k"),
                pair("note", "")
            ]
        );
        assert!(form.has_button("pay") && form.has_button("fail") && form.has_button("cancel"));
        assert!(!form.has_button("y"));
        let sent = form.submission("pay").unwrap();
        assert_eq!(sent.last(), Some(&pair("action", "pay")));
        assert_eq!(form.submission("refund"), None);
    }

    #[test]
    fn reads_the_checkout_page_of_the_core() {
        let payment = dga_epayment::Payment::from_json(&serde_json::json!({
            "orderRef": "O1", "amount": "1000.50", "merchantId": "M", "currCode": "764",
            "lang": "T", "payType": "N", "payMethod": "CC", "securityKey": "s<\"k>",
            "gatewayUrl": "http://127.0.0.1:1/ktb/payForm", "successUrl": "http://a/?x=1&y=2",
            "failUrl": "", "cancelUrl": "", "reference1": "R1", "reference2": ""
        }))
        .unwrap();
        let html = dga_epayment::checkout_form_html(&payment).unwrap();
        let forms = forms(&html);
        assert_eq!(forms.len(), 1);
        assert_eq!(forms[0].action, payment.gateway_url);
        let expected: Vec<(String, String)> = payment
            .checkout_fields()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        assert_eq!(forms[0].fields, expected);
    }
}
