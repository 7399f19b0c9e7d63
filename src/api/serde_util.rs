//! Proto3-JSON details that serde does not do by itself: timestamps with up to nine fractional
//! digits, `int64` values sent as strings, `Duration` strings like `"47.174066935s"`, and the
//! "omit the default" rule for output.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serializer};
use std::time::Duration;

/// A `google.protobuf.Timestamp`: RFC 3339 in UTC.
pub type Timestamp = DateTime<Utc>;

/// Formats a timestamp as the API does: UTC, `Z`, and 0, 3, 6 or 9 fractional digits.
pub fn format_timestamp(t: &Timestamp) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Parses an RFC 3339 timestamp with any offset and up to nine fractional digits.
pub fn parse_timestamp(s: &str) -> Result<Timestamp, chrono::ParseError> {
    DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc))
}

/// serde `with` module for `Option<Timestamp>`.
pub mod opt_timestamp {
    use super::*;

    pub fn serialize<S: Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&format_timestamp(t)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
        let raw: Option<String> = Option::deserialize(d)?;
        raw.map(|s| parse_timestamp(&s).map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// serde `with` module for `Vec<i64>` that proto3 JSON carries as strings (`["123"]`), while
/// accepting plain numbers too.
pub mod int64_list {
    use super::*;

    pub fn serialize<S: Serializer>(v: &[i64], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|n| n.to_string()))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<i64>, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Int64 {
            Number(i64),
            Text(String),
        }
        let raw: Option<Vec<Int64>> = Option::deserialize(d)?;
        raw.unwrap_or_default()
            .into_iter()
            .map(|v| match v {
                Int64::Number(n) => Ok(n),
                Int64::Text(t) => t
                    .trim()
                    .parse::<i64>()
                    .map_err(|_| serde::de::Error::custom(format!("not an int64: {t:?}"))),
            })
            .collect()
    }
}

/// serde `with` module for an optional int64 that proto3 JSON carries as a string (`"3"`),
/// while accepting a plain number (what clients such as google-genai send) too.
pub mod opt_int64 {
    use super::*;

    pub fn serialize<S: Serializer>(v: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(n) => s.serialize_str(&n.to_string()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Int64 {
            Number(i64),
            Float(f64),
            Text(String),
        }
        match Option::<Int64>::deserialize(d)? {
            None => Ok(None),
            Some(Int64::Number(n)) => Ok(Some(n)),
            Some(Int64::Float(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(Some(f as i64)),
            Some(Int64::Float(f)) => Err(serde::de::Error::custom(format!("not an int64: {f}"))),
            Some(Int64::Text(t)) => t
                .trim()
                .parse::<i64>()
                .map(Some)
                .map_err(|_| serde::de::Error::custom(format!("not an int64: {t:?}"))),
        }
    }
}

/// Parses a `google.protobuf.Duration` string such as `"59s"` or `"47.174066935s"`.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let secs = s.trim().strip_suffix('s')?;
    let value: f64 = secs.parse().ok()?;
    (value.is_finite() && value >= 0.0).then(|| Duration::from_secs_f64(value))
}

/// Formats a duration as proto3 JSON does (`"1.5s"`, `"59s"`).
pub fn format_duration(d: Duration) -> String {
    let nanos = d.subsec_nanos();
    if nanos == 0 {
        format!("{}s", d.as_secs())
    } else {
        let frac = format!("{nanos:09}");
        format!("{}.{}s", d.as_secs(), frac.trim_end_matches('0'))
    }
}

/// The f64 whose shortest decimal form equals the f32's: the API computes in float32 and prints
/// `1.402067`, not the `1.4020669460296631` a plain widening would give.
pub fn f32_to_wire(v: f32) -> f64 {
    format!("{v}").parse().unwrap_or(f64::from(v))
}

pub fn is_zero_i32(v: &i32) -> bool {
    *v == 0
}

pub fn is_zero_f64(v: &f64) -> bool {
    *v == 0.0
}

pub fn is_false(v: &bool) -> bool {
    !*v
}

/// snake_case -> lowerCamelCase on every object key (proto3 JSON accepts both).
pub fn camelize_keys(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => serde_json::Value::Object(
            map.into_iter()
                .map(|(k, v)| (camel_case(&k), camelize_keys(v)))
                .collect(),
        ),
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.into_iter().map(camelize_keys).collect())
        }
        other => other,
    }
}

pub fn camel_case(key: &str) -> String {
    if !key.contains('_') || key.starts_with('@') {
        return key.to_owned();
    }
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' {
            upper = !out.is_empty();
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// lowerCamelCase -> snake_case, for field paths in messages.
pub fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_keep_nine_digits_and_trim_to_the_needed_group() {
        let t = parse_timestamp("2023-09-20T00:23:55.255785843Z").unwrap();
        assert_eq!(format_timestamp(&t), "2023-09-20T00:23:55.255785843Z");
        let t = parse_timestamp("2023-09-19T19:56:25.999303Z").unwrap();
        assert_eq!(format_timestamp(&t), "2023-09-19T19:56:25.999303Z");
        let t = parse_timestamp("2023-09-19T21:56:25+02:00").unwrap();
        assert_eq!(format_timestamp(&t), "2023-09-19T19:56:25Z");
    }

    #[test]
    fn durations_round_trip() {
        assert_eq!(parse_duration("59s"), Some(Duration::from_secs(59)));
        assert_eq!(
            parse_duration("47.174066935s"),
            Some(Duration::from_nanos(47_174_066_935))
        );
        assert_eq!(parse_duration("soon"), None);
        assert_eq!(format_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(format_duration(Duration::from_secs(59)), "59s");
    }

    #[test]
    fn float32_prints_short() {
        assert_eq!(f32_to_wire(1.402067_f32).to_string(), "1.402067");
    }
}
