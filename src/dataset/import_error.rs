//! The error every reader of a dataset file gives: the file, line, column and reason, so a
//! broken import names where it broke. Its own module because every format's reader (the pair
//! formats in `format`, Vertex AI's lines in `vertex`) makes one.

use std::fmt;

/// Why a file could not be read, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    pub file: String,
    /// 1-based; 0 when the problem is the whole file.
    pub line: usize,
    /// 1-based; 0 when unknown.
    pub column: usize,
    pub reason: String,
    /// For CSV whose header names neither `text_input` nor `output`: the columns to choose from.
    pub csv_columns: Option<Vec<String>>,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (0, _) => write!(f, "{}: {}", self.file, self.reason),
            (line, 0) => write!(f, "{}:{line}: {}", self.file, self.reason),
            (line, column) => write!(f, "{}:{line}:{column}: {}", self.file, self.reason),
        }
    }
}

impl std::error::Error for ImportError {}
