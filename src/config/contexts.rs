//! k9s-style contexts: named Vertex AI project/location pairs in the config file, one of them
//! current (`--context NAME`, else `context = "NAME"`), switched live in the dashboard with
//! `:ctx`.
//!
//! ```toml
//! context = "prod"
//! [[contexts]]
//! name = "prod"
//! project = "acme-prod"
//! location = "us-central1"
//! ```

use super::{FileConfig, GlobalArgs};
use serde::Deserialize;
use std::path::Path;
use toml::Spanned;

/// One `[[contexts]]` entry, with where each value sits in the file (for errors).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextConfig {
    pub name: Spanned<String>,
    pub project: Spanned<String>,
    /// Default: the default Vertex AI location.
    pub location: Option<Spanned<String>>,
}

/// A context as the rest of the program uses it: plain values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    pub name: String,
    pub project: String,
    pub location: String,
}

impl ContextConfig {
    pub fn context(&self) -> Context {
        Context {
            name: self.name.get_ref().clone(),
            project: self.project.get_ref().clone(),
            location: self.location.as_ref().map_or_else(
                || crate::domain::vertex::DEFAULT_LOCATION.to_owned(),
                |l| l.get_ref().clone(),
            ),
        }
    }
}

/// The configured contexts as plain values, in file order.
pub fn contexts(file: &FileConfig) -> Vec<Context> {
    file.contexts.iter().map(ContextConfig::context).collect()
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Checks the `[[contexts]]` entries and `context`: every name and project non-empty, names
/// distinct, locations well formed, `context` naming an entry. An error names the file, the
/// line and the field (`contexts[2].location`).
pub fn check(file: &FileConfig, text: &str, path: &Path) -> Result<(), String> {
    let at = |offset: usize, field: String, problem: String| {
        format!(
            "{}: line {}: {field} {problem}",
            path.display(),
            line_of(text, offset)
        )
    };
    for (i, c) in file.contexts.iter().enumerate() {
        let n = i + 1;
        if c.name.get_ref().trim().is_empty() {
            return Err(at(
                c.name.span().start,
                format!("contexts[{n}].name"),
                "is empty".into(),
            ));
        }
        if let Some(first) = file.contexts[..i]
            .iter()
            .find(|o| o.name.get_ref() == c.name.get_ref())
        {
            return Err(at(
                c.name.span().start,
                format!("contexts[{n}].name"),
                format!(
                    "{:?} is already the name of the context at line {}",
                    c.name.get_ref(),
                    line_of(text, first.name.span().start)
                ),
            ));
        }
        if c.project.get_ref().trim().is_empty() {
            return Err(at(
                c.project.span().start,
                format!("contexts[{n}].project"),
                "is empty".into(),
            ));
        }
        if let Some(location) = &c.location
            && let Some(problem) = crate::domain::regions::location_problem(location.get_ref())
        {
            return Err(at(
                location.span().start,
                format!("contexts[{n}].location"),
                problem,
            ));
        }
    }
    if let Some(current) = &file.context
        && !file
            .contexts
            .iter()
            .any(|c| c.name.get_ref() == current.get_ref())
    {
        return Err(at(
            current.span().start,
            "context".into(),
            format!(
                "{:?} names no [[contexts]] entry ({})",
                current.get_ref(),
                known(file)
            ),
        ));
    }
    Ok(())
}

fn known(file: &FileConfig) -> String {
    if file.contexts.is_empty() {
        "the file has none".into()
    } else {
        let names: Vec<&str> = file
            .contexts
            .iter()
            .map(|c| c.name.get_ref().as_str())
            .collect();
        format!("known: {}", names.join(", "))
    }
}

/// The current context (`--context NAME`, else the file's `context`), applied to the flags: it
/// chooses Vertex AI and names the project and location, unless `--project`/`--location` say
/// otherwise. `None` when no context is current.
pub fn apply(flags: &mut GlobalArgs, file: &FileConfig) -> Result<Option<Context>, String> {
    let wanted = match (&flags.context, &file.context) {
        (Some(name), _) => name.clone(),
        (None, Some(name)) => name.get_ref().clone(),
        (None, None) => return Ok(None),
    };
    let Some(found) = file.contexts.iter().find(|c| *c.name.get_ref() == wanted) else {
        return Err(format!(
            "--context {wanted}: no [[contexts]] entry of that name in the config file ({})",
            known(file)
        ));
    };
    let context = found.context();
    flags.vertex = true;
    if flags.project.is_none() {
        flags.project = Some(context.project.clone());
    }
    if flags.location.is_none() {
        flags.location = Some(context.location.clone());
    }
    Ok(Some(context))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<FileConfig, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, text).unwrap();
        super::super::load_file(&path).map_err(|e| e.replace(&path.display().to_string(), "FILE"))
    }

    #[test]
    fn contexts_are_read_in_order_with_the_default_location() {
        let file = load(
            "context = \"eu\"\n[[contexts]]\nname = \"prod\"\nproject = \"acme\"\n\n[[contexts]]\nname = \"eu\"\nproject = \"acme\"\nlocation = \"europe-west4\"\n",
        )
        .unwrap();
        let all = contexts(&file);
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].location, "us-central1");
        assert_eq!(all[1].location, "europe-west4");
        let mut flags = GlobalArgs::default();
        let current = apply(&mut flags, &file).unwrap().unwrap();
        assert_eq!(current.name, "eu");
        assert!(flags.vertex);
        assert_eq!(flags.project.as_deref(), Some("acme"));
        assert_eq!(flags.location.as_deref(), Some("europe-west4"));
        // --context wins over the file's, and --location over the context's.
        let mut flags = GlobalArgs {
            context: Some("prod".into()),
            location: Some("asia-east1".into()),
            ..Default::default()
        };
        assert_eq!(apply(&mut flags, &file).unwrap().unwrap().name, "prod");
        assert_eq!(flags.location.as_deref(), Some("asia-east1"));
    }

    #[test]
    fn errors_name_the_file_line_and_field() {
        let dup = load(
            "[[contexts]]\nname = \"a\"\nproject = \"p\"\n[[contexts]]\nname = \"a\"\nproject = \"q\"\n",
        );
        assert_eq!(
            dup.unwrap_err(),
            "FILE: line 5: contexts[2].name \"a\" is already the name of the context at line 2"
        );
        let bad = load("[[contexts]]\nname = \"a\"\nproject = \"p\"\nlocation = \"US-Central1\"\n");
        let e = bad.unwrap_err();
        assert!(
            e.starts_with("FILE: line 4: contexts[1].location \"US-Central1\""),
            "{e}"
        );
        let empty = load("[[contexts]]\nname = \"a\"\nproject = \"\"\n").unwrap_err();
        assert_eq!(empty, "FILE: line 3: contexts[1].project is empty");
        let missing = load("[[contexts]]\nname = \"a\"\n").unwrap_err();
        assert!(
            missing.contains("line 1") && missing.contains("project"),
            "{missing}"
        );
        let unknown =
            load("[[contexts]]\nname = \"a\"\nproject = \"p\"\nregion = \"x\"\n").unwrap_err();
        assert!(
            unknown.contains("line 4") && unknown.contains("region"),
            "{unknown}"
        );
        let current =
            load("context = \"b\"\n[[contexts]]\nname = \"a\"\nproject = \"p\"\n").unwrap_err();
        assert_eq!(
            current,
            "FILE: line 1: context \"b\" names no [[contexts]] entry (known: a)"
        );
        let file = load("[[contexts]]\nname = \"a\"\nproject = \"p\"\n").unwrap();
        let mut flags = GlobalArgs {
            context: Some("zz".into()),
            ..Default::default()
        };
        assert_eq!(
            apply(&mut flags, &file).unwrap_err(),
            "--context zz: no [[contexts]] entry of that name in the config file (known: a)"
        );
    }
}
