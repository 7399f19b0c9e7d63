//! What a Vertex example sends to `countTokens`: its turns' text, and its system instruction as
//! one more text turn (a request has one system instruction, a batch has many examples), so a
//! batch's total is the sum of its examples' tokens. The counting plan itself (batches, cache,
//! the per-example limit) is the domain's: src/domain/token_count.rs.

use super::vertex::VertexExample;
use crate::api::types::{Content, Part};
use crate::api::vertex::tokens::CountTokensRequest;
use crate::domain::token_count::{CountItem, hash_bytes};

impl VertexExample {
    /// The contents counted for this example.
    pub fn count_contents(&self) -> Vec<Content> {
        let mut out: Vec<Content> = self
            .turns()
            .into_iter()
            .map(|(role, text)| Content {
                role: Some(role),
                parts: vec![Part::text(text)],
            })
            .collect();
        if let Some(system) = self.system_instruction() {
            out.push(Content {
                role: Some("user".into()),
                parts: vec![Part::text(system)],
            });
        }
        out
    }

    /// The example as counting sees it: a hash of what is sent, and the offline estimate.
    pub fn count_item(&self) -> CountItem {
        let sent: String = self
            .count_contents()
            .iter()
            .map(|c| {
                format!(
                    "{}\u{1f}{}\u{1e}",
                    c.role.as_deref().unwrap_or(""),
                    c.text()
                )
            })
            .collect();
        CountItem {
            hash: hash_bytes(sent.as_bytes()),
            estimate: self.tokens(),
        }
    }
}

/// One request counting `examples` together.
pub fn count_request(examples: &[VertexExample]) -> CountTokensRequest {
    CountTokensRequest {
        contents: examples
            .iter()
            .flat_map(VertexExample::count_contents)
            .collect(),
        system_instruction: None,
    }
}
