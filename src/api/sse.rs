//! Server-sent events framing for `streamGenerateContent?alt=sse`, shared by the client (which
//! parses) and the emulator (which writes). The live service sends `data: <json>\r\n\r\n` per
//! chunk with no `event:` lines and no end sentinel; SDKs also accept `\n\n` and `\r\r`, so the
//! parser treats any of CRLF, LF and CR as a line end.

/// Frames one event the way the live service does.
pub fn encode_event(data: &str) -> String {
    format!("data: {data}\r\n\r\n")
}

/// An incremental SSE parser: feed it bytes as they arrive, in chunks of any size, and take
/// the events that are complete.
#[derive(Debug, Default)]
pub struct SseParser {
    buffer: Vec<u8>,
    data: Vec<String>,
    /// True when a `\r` ended the last line and a `\n` may follow in the next chunk.
    pending_cr: bool,
}

impl SseParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds bytes and returns the data of each event they complete.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<String> {
        let mut events = Vec::new();
        let mut rest = bytes;
        if self.pending_cr {
            self.pending_cr = false;
            if let Some(b'\n') = rest.first() {
                rest = &rest[1..];
            }
        }
        let mut start = 0;
        let mut i = 0;
        while i < rest.len() {
            match rest[i] {
                b'\n' | b'\r' => {
                    self.buffer.extend_from_slice(&rest[start..i]);
                    let line = std::mem::take(&mut self.buffer);
                    if rest[i] == b'\r' {
                        if i + 1 < rest.len() {
                            if rest[i + 1] == b'\n' {
                                i += 1;
                            }
                        } else {
                            self.pending_cr = true;
                        }
                    }
                    self.line(&line, &mut events);
                    start = i + 1;
                }
                _ => {}
            }
            i += 1;
        }
        self.buffer.extend_from_slice(&rest[start..]);
        events
    }

    /// Ends the stream: an event not closed by a blank line is still delivered.
    pub fn finish(&mut self) -> Option<String> {
        let line = std::mem::take(&mut self.buffer);
        let mut events = Vec::new();
        if !line.is_empty() {
            self.line(&line, &mut events);
        }
        self.line(b"", &mut events);
        events.pop()
    }

    fn line(&mut self, line: &[u8], events: &mut Vec<String>) {
        if line.is_empty() {
            if !self.data.is_empty() {
                events.push(std::mem::take(&mut self.data).join("\n"));
            }
            return;
        }
        let line = String::from_utf8_lossy(line);
        if let Some(value) = line.strip_prefix("data:") {
            self.data
                .push(value.strip_prefix(' ').unwrap_or(value).to_owned());
        }
        // Comments (":…"), event:, id: and retry: lines carry nothing this API uses.
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_in_chunks(bytes: &[u8], chunk: usize) -> Vec<String> {
        let mut parser = SseParser::new();
        let mut out = Vec::new();
        for piece in bytes.chunks(chunk) {
            out.extend(parser.feed(piece));
        }
        out.extend(parser.finish());
        out
    }

    #[test]
    fn events_split_at_every_byte_boundary_parse_the_same() {
        let stream = format!(
            "{}{}",
            encode_event(r#"{"a": 1}"#),
            encode_event(r#"{"b": "x\ny"}"#)
        );
        for chunk in 1..stream.len() {
            assert_eq!(
                parse_in_chunks(stream.as_bytes(), chunk),
                vec![r#"{"a": 1}"#.to_owned(), r#"{"b": "x\ny"}"#.to_owned()],
                "chunk size {chunk}"
            );
        }
    }

    #[test]
    fn lf_and_cr_separators_and_multi_line_data() {
        let stream = b"data: one\n\ndata: two\r\rdata:three\ndata: more\n\n: comment\n\n";
        assert_eq!(
            parse_in_chunks(stream, 3),
            vec!["one", "two", "three\nmore"]
        );
    }

    #[test]
    fn an_unterminated_last_event_is_delivered_at_the_end() {
        assert_eq!(parse_in_chunks(b"data: tail", 4), vec!["tail"]);
    }
}
