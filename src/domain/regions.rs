//! Where Vertex AI tuning jobs can live: the regions a tuning job may be created in, and what a
//! location name must look like. A project's jobs are listed per location (there is no
//! cross-region list on the service), so the "all locations" view asks each of these.

/// The regions Google's page "Supported tuning regions" (Gemini supervised tuning, region
/// settings, read 2026-12) lets a tuning job name. The stored copy of the page was cut inside
/// its `us-` entries: the seven US regions after `southamerica-east1` are the ones the same
/// page listed in 2025, not read again (the README's deviations table says so).
pub const TUNING_REGIONS: &[&str] = &[
    "asia-east1",
    "asia-east2",
    "asia-northeast1",
    "asia-northeast3",
    "asia-south1",
    "asia-southeast1",
    "australia-southeast1",
    "europe-central2",
    "europe-north1",
    "europe-southwest1",
    "europe-west1",
    "europe-west2",
    "europe-west3",
    "europe-west4",
    "europe-west6",
    "europe-west8",
    "europe-west9",
    "me-central1",
    "me-central2",
    "me-west1",
    "northamerica-northeast1",
    "southamerica-east1",
    "us-central1",
    "us-east1",
    "us-east4",
    "us-east5",
    "us-south1",
    "us-west1",
    "us-west4",
];

/// Where [`TUNING_REGIONS`] comes from, for the README and `:ctx`.
pub const TUNING_REGIONS_SOURCE: &str = "Vertex AI docs, \"Supported tuning regions\" (supervised tuning region settings), read 2026-12";

/// How many regions the "all locations" view asks at once: enough to be quick, few enough not
/// to trip a per-minute read quota.
pub const ALL_LOCATIONS_AT_ONCE: usize = 4;

/// Whether `location` can be a Vertex AI location: lowercase letters, digits and hyphens,
/// starting with a letter (`us-central1`, `europe-west4`, the multi-regions `us` and `eu`, or
/// `global`). The service answers for a region it lacks; this only catches typos such as
/// `US-Central1` or `us_central1` before a request is made.
pub fn location_problem(location: &str) -> Option<String> {
    if location.is_empty() {
        return Some("is empty".into());
    }
    let ok = location.starts_with(|c: char| c.is_ascii_lowercase())
        && location
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    (!ok).then(|| {
        format!("{location:?} is not a location name (lowercase letters, digits and '-', like us-central1)")
    })
}

/// The location of a resource name (`projects/P/locations/L/…` → `L`).
pub fn location_of(name: &str) -> Option<&str> {
    let mut parts = name.split('/');
    while let Some(part) = parts.next() {
        if part == "locations" {
            return parts.next().filter(|l| !l.is_empty());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_regions_are_valid_distinct_names_and_hold_the_default() {
        for r in TUNING_REGIONS {
            assert_eq!(location_problem(r), None, "{r}");
        }
        let mut sorted = TUNING_REGIONS.to_vec();
        sorted.dedup();
        assert_eq!(sorted.len(), TUNING_REGIONS.len());
        assert!(TUNING_REGIONS.contains(&"us-central1"));
    }

    #[test]
    fn typos_are_caught_and_resource_names_read() {
        assert!(location_problem("US-Central1").is_some());
        assert!(location_problem("us_central1").is_some());
        assert!(location_problem("").is_some());
        assert_eq!(location_problem("eu"), None);
        assert_eq!(
            location_of("projects/p/locations/europe-west4/tuningJobs/1"),
            Some("europe-west4")
        );
        assert_eq!(location_of("tunedModels/x"), None);
    }
}
