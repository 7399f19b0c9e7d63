//! Colours and styles in one place, from the config's `[theme]`; `NO_COLOR` turns colour off and
//! leaves only bold, dim and reverse.

use crate::api::types::TunedModelState;
use crate::config::ThemeConfig;
use ratatui::style::{Color, Modifier, Style};
use std::str::FromStr;

#[derive(Debug, Clone)]
pub struct Theme {
    pub accent: Style,
    pub ok: Style,
    pub warn: Style,
    pub error: Style,
    pub muted: Style,
    pub selected: Style,
    pub title: Style,
    pub key: Style,
    /// Styles for overlaid runs, in order.
    pub series: Vec<Style>,
}

impl Theme {
    pub fn new(config: &ThemeConfig, no_color: bool) -> Theme {
        let color = |name: &Option<String>, fallback: Color| -> Style {
            if no_color {
                return Style::default();
            }
            let c = name
                .as_deref()
                .and_then(|n| Color::from_str(n).ok())
                .unwrap_or(fallback);
            Style::default().fg(c)
        };
        Theme {
            accent: color(&config.accent, Color::Cyan),
            ok: color(&config.ok, Color::Green),
            warn: color(&config.warn, Color::Yellow),
            error: color(&config.error, Color::Red).add_modifier(Modifier::BOLD),
            muted: if no_color {
                Style::default().add_modifier(Modifier::DIM)
            } else {
                color(&config.muted, Color::DarkGray)
            },
            selected: Style::default().add_modifier(Modifier::REVERSED),
            title: Style::default().add_modifier(Modifier::BOLD),
            key: color(&config.accent, Color::Cyan).add_modifier(Modifier::BOLD),
            series: [
                Color::Cyan,
                Color::Magenta,
                Color::Yellow,
                Color::Green,
                Color::LightBlue,
                Color::LightRed,
            ]
            .into_iter()
            .map(|c| {
                if no_color {
                    Style::default()
                } else {
                    Style::default().fg(c)
                }
            })
            .collect(),
        }
    }

    /// Respects https://no-color.org: any non-empty NO_COLOR turns colour off.
    pub fn from_env(config: &ThemeConfig) -> Theme {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Theme::new(config, no_color)
    }

    /// A Vertex AI job state's colour: done well, running, failed, or neither.
    pub fn job_state(&self, state: &str) -> Style {
        match state {
            "SUCCEEDED" => self.ok,
            "RUNNING" | "PENDING" | "QUEUED" | "CANCELLING" | "UPDATING" => self.warn,
            "FAILED" | "EXPIRED" => self.error,
            _ => self.muted,
        }
    }

    pub fn state(&self, state: &TunedModelState) -> Style {
        match state {
            TunedModelState::Active => self.ok,
            TunedModelState::Creating => self.warn,
            TunedModelState::Failed => self.error,
            _ => self.muted,
        }
    }
}
