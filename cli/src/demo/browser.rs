//! Just enough of a browser for the demo: read the forms of a page and submit one of them the
//! way a browser does (its named fields plus the name and value of the button pressed).

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

struct Tag {
    /// Lower case; a closing tag starts with `/`.
    name: String,
    attrs: Vec<(String, String)>,
}

impl Tag {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Every form of the page, in order.
pub fn forms(html: &str) -> Vec<Form> {
    let mut forms = Vec::new();
    let mut open: Option<Form> = None;
    for tag in tags(html) {
        match (tag.name.as_str(), open.as_mut()) {
            ("form", _) => {
                forms.extend(open.take());
                open = Some(Form {
                    action: tag.attr("action").unwrap_or_default().to_owned(),
                    ..Form::default()
                });
            }
            ("/form", Some(_)) => forms.extend(open.take()),
            ("input", Some(form)) => {
                let Some(name) = tag.attr("name") else {
                    continue;
                };
                let value = tag.attr("value").unwrap_or_default();
                let kind = tag.attr("type").unwrap_or("text").to_ascii_lowercase();
                let pair = (name.to_owned(), value.to_owned());
                match kind.as_str() {
                    "submit" | "image" => form.buttons.push(pair),
                    "button" | "reset" | "file" => {}
                    "checkbox" | "radio" if tag.attr("checked").is_none() => {}
                    _ => form.fields.push(pair),
                }
            }
            ("button", Some(form)) => {
                let kind = tag.attr("type").unwrap_or("submit").to_ascii_lowercase();
                if let (Some(name), "submit") = (tag.attr("name"), kind.as_str()) {
                    let value = tag.attr("value").unwrap_or_default();
                    form.buttons.push((name.to_owned(), value.to_owned()));
                }
            }
            _ => {}
        }
    }
    forms.extend(open);
    forms
}

/// The start and end tags of a page with their attributes (values entity-decoded). Comments
/// are skipped; text is ignored.
fn tags(html: &str) -> Vec<Tag> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        if let Some(comment) = rest.strip_prefix("!--") {
            rest = comment.find("-->").map_or("", |end| &comment[end + 3..]);
            continue;
        }
        let end = tag_end(rest);
        let inner = &rest[..end];
        rest = rest.get(end + 1..).unwrap_or("");
        let name_len = inner
            .find(|c: char| c.is_whitespace() || c == '>' || (c == '/' && !inner.starts_with('/')))
            .unwrap_or(inner.len());
        let name = inner[..name_len].to_ascii_lowercase();
        if name.is_empty() || name.starts_with('!') || name.starts_with('?') {
            continue;
        }
        out.push(Tag {
            name,
            attrs: attributes(&inner[name_len..]),
        });
    }
    out
}

/// Where the tag that starts at `s` ends (its `>`, outside quotes), or `s.len()`.
fn tag_end(s: &str) -> usize {
    let mut quote = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return i,
            _ => {}
        }
    }
    s.len()
}

fn attributes(mut s: &str) -> Vec<(String, String)> {
    let mut attrs = Vec::new();
    loop {
        s = s.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
        if s.is_empty() {
            return attrs;
        }
        let name_len = s
            .find(|c: char| c.is_whitespace() || c == '=' || c == '/')
            .unwrap_or(s.len());
        let name = s[..name_len].to_ascii_lowercase();
        s = s[name_len..].trim_start();
        let mut value = String::new();
        if let Some(after) = s.strip_prefix('=') {
            let after = after.trim_start();
            let (raw, rest) = match after.chars().next() {
                Some(q @ ('"' | '\'')) => {
                    let body = &after[1..];
                    let end = body.find(q).unwrap_or(body.len());
                    (&body[..end], body.get(end + 1..).unwrap_or(""))
                }
                _ => {
                    let end = after.find(char::is_whitespace).unwrap_or(after.len());
                    (&after[..end], &after[end..])
                }
            };
            value = html_escape::decode_html_entities(raw).into_owned();
            s = rest;
        }
        if !name.is_empty() {
            attrs.push((name, value));
        }
    }
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
