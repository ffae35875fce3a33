//! OAuth 1.0a request signing (HMAC-SHA1) for X's user-context endpoints.
//!
//! The signature base string is the method, the URL without its query, and the sorted parameters:
//! query parameters, `oauth_*` parameters and form-urlencoded body fields, each RFC 3986-encoded (JSON
//! bodies are not signed). The signing key is `consumer_secret&token_secret`.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;

use crate::secrets::Secret;

/// The four credentials of an OAuth 1.0a user context.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub consumer_key: Secret,
    pub consumer_secret: Secret,
    pub token: Secret,
    pub token_secret: Secret,
}

/// RFC 3986 percent-encoding, as OAuth 1.0a requires: unreserved characters kept, everything else
/// `%XX` with uppercase hex.
pub use crate::dispatch::http::percent_encode as encode;

/// The signature base string.
pub fn base_string(method: &str, url: &str, params: &[(String, String)]) -> String {
    let mut encoded: Vec<(String, String)> = params.iter().map(|(k, v)| (encode(k), encode(v))).collect();
    encoded.sort();
    let joined: Vec<String> = encoded.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let base_url = url.split(['?', '#']).next().unwrap_or(url);
    format!("{}&{}&{}", method.to_ascii_uppercase(), encode(base_url), encode(&joined.join("&")))
}

/// The base64 HMAC-SHA1 signature of `base` with `consumer_secret&token_secret`.
pub fn sign(base: &str, consumer_secret: &str, token_secret: &str) -> String {
    let key = format!("{}&{}", encode(consumer_secret), encode(token_secret));
    let mut mac = Hmac::<Sha1>::new_from_slice(key.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(base.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The `Authorization: OAuth …` header for a request. `extra` holds the query and form parameters that
/// are signed along; `nonce` and `timestamp` are passed in so tests are exact.
pub fn authorization(
    creds: &Credentials,
    method: &str,
    url: &str,
    extra: &[(String, String)],
    nonce: &str,
    timestamp: i64,
) -> Secret {
    let mut oauth = vec![
        ("oauth_consumer_key".to_string(), creds.consumer_key.expose().to_string()),
        ("oauth_nonce".to_string(), nonce.to_string()),
        ("oauth_signature_method".to_string(), "HMAC-SHA1".to_string()),
        ("oauth_timestamp".to_string(), timestamp.to_string()),
        ("oauth_token".to_string(), creds.token.expose().to_string()),
        ("oauth_version".to_string(), "1.0".to_string()),
    ];
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
    let mut all: Vec<(String, String)> = oauth.clone();
    all.extend(extra.iter().cloned());
    all.extend(query.split('&').filter(|kv| !kv.is_empty()).map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (percent_decode(k), percent_decode(v))
    }));
    let signature = sign(&base_string(method, url, &all), creds.consumer_secret.expose(), creds.token_secret.expose());
    oauth.push(("oauth_signature".to_string(), signature));
    oauth.sort();
    let fields: Vec<String> = oauth.iter().map(|(k, v)| format!("{}=\"{}\"", encode(k), encode(v))).collect();
    Secret::new(format!("OAuth {}", fields.join(", ")))
}

/// A fresh random nonce.
pub fn nonce() -> String {
    use rand::Rng as _;
    let bytes: [u8; 24] = rand::rng().random();
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes).replace(['+', '/'], "")
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(h) = s.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(h);
            i += 3;
            continue;
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses an `Authorization: OAuth …` header into its parameters (used by the fake X to verify
/// signatures the way X does).
pub fn parse_header(header: &str) -> Option<Vec<(String, String)>> {
    let rest = header.strip_prefix("OAuth ")?;
    rest.split(',')
        .map(|field| {
            let (k, v) = field.trim().split_once('=')?;
            Some((percent_decode(k), percent_decode(v.trim_matches('"'))))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // X's "Creating a signature" worked example (platforms.md §9.1).
    fn example() -> (Credentials, Vec<(String, String)>) {
        let creds = Credentials {
            consumer_key: Secret::new("xvz1evFS4wEEPTGEFPHBog"),
            consumer_secret: Secret::new("kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw"),
            token: Secret::new("370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb"),
            token_secret: Secret::new("LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE"),
        };
        let body = vec![("status".to_string(), "Hello Ladies + Gentlemen, a signed OAuth request!".to_string())];
        (creds, body)
    }

    #[test]
    fn percent_encoding_matches_the_published_vectors() {
        assert_eq!(encode("Ladies + Gentlemen"), "Ladies%20%2B%20Gentlemen");
        assert_eq!(encode("An encoded string!"), "An%20encoded%20string%21");
        assert_eq!(encode("Dogs, Cats & Mice"), "Dogs%2C%20Cats%20%26%20Mice");
        assert_eq!(encode("☃"), "%E2%98%83");
    }

    #[test]
    fn signature_matches_the_worked_example_for_each_host() {
        let (creds, body) = example();
        for (url, expected) in [
            ("https://api.x.com/1.1/statuses/update.json?include_entities=true", "Ls93hJiZbQ3akF3HF3x1Bz8/zU4="),
            ("https://api.twitter.com/1.1/statuses/update.json?include_entities=true", "hCtSmYh+iHYCEqBWrE7C7hYmtUk="),
            ("https://api.twitter.com/1/statuses/update.json?include_entities=true", "tnnArxj06cWHq44gCs1OSKk/jLY="),
        ] {
            let header =
                authorization(&creds, "POST", url, &body, "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg", 1_318_622_958);
            let params = parse_header(header.expose()).unwrap();
            let sig = params.iter().find(|(k, _)| k == "oauth_signature").unwrap();
            assert_eq!(sig.1, expected, "{url}");
        }
    }

    #[test]
    fn base_string_and_header_match_the_worked_example() {
        let (creds, body) = example();
        let url = "https://api.x.com/1.1/statuses/update.json?include_entities=true";
        let mut params = body.clone();
        params.extend([
            ("include_entities".into(), "true".into()),
            ("oauth_consumer_key".into(), "xvz1evFS4wEEPTGEFPHBog".into()),
            ("oauth_nonce".into(), "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg".into()),
            ("oauth_signature_method".into(), "HMAC-SHA1".into()),
            ("oauth_timestamp".into(), "1318622958".into()),
            ("oauth_token".into(), "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb".into()),
            ("oauth_version".into(), "1.0".into()),
        ]);
        assert_eq!(
            base_string("POST", url, &params),
            "POST&https%3A%2F%2Fapi.x.com%2F1.1%2Fstatuses%2Fupdate.json&include_entities%3Dtrue%26oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog%26oauth_nonce%3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1318622958%26oauth_token%3D370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%26oauth_version%3D1.0%26status%3DHello%2520Ladies%2520%252B%2520Gentlemen%252C%2520a%2520signed%2520OAuth%2520request%2521"
        );
        let header =
            authorization(&creds, "POST", url, &body, "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg", 1_318_622_958);
        assert_eq!(
            header.expose(),
            "OAuth oauth_consumer_key=\"xvz1evFS4wEEPTGEFPHBog\", oauth_nonce=\"kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg\", oauth_signature=\"Ls93hJiZbQ3akF3HF3x1Bz8%2FzU4%3D\", oauth_signature_method=\"HMAC-SHA1\", oauth_timestamp=\"1318622958\", oauth_token=\"370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb\", oauth_version=\"1.0\""
        );
        assert_eq!(format!("{header}"), "***", "the header is a secret");
    }

    #[test]
    fn nonces_are_unique_and_url_safe() {
        let (a, b) = (nonce(), nonce());
        assert_ne!(a, b);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()), "{a}");
    }
}
