//! The dashboard's settings: the compiled-in defaults (assets/default-config.toml) merged with
//! the user's config file, checked, with the keymap built. `config` reads the file as plain
//! data; turning `[keys]` into bindings needs the app's actions, so it happens here.

use super::keymap::Keymap;
use crate::config::{DEFAULT_CONFIG, FileConfig, PollIntervals, ThemeConfig};

/// The dashboard's settings: defaults merged with the user's file.
#[derive(Debug, Clone)]
pub struct UiConfig {
    pub keymap: Keymap,
    pub theme: ThemeConfig,
    pub list_refresh: std::time::Duration,
    pub bell: bool,
    pub stall_factor: f64,
    pub ema_alpha: f64,
    /// Job polling intervals, for the worker.
    pub poll: PollIntervals,
}

impl UiConfig {
    /// Defaults overridden by the user's config; an error names the table and the entry.
    pub fn load(user: &FileConfig) -> Result<UiConfig, String> {
        let defaults: FileConfig = toml::from_str(DEFAULT_CONFIG)
            .map_err(|e| format!("assets/default-config.toml: {e}"))?;
        let mut keymap = Keymap::from_table(&defaults.keys.unwrap_or_default())?;
        if let Some(keys) = &user.keys {
            keymap.merge(keys)?;
        }
        let base = defaults.theme.unwrap_or_default();
        let over = user.theme.clone().unwrap_or_default();
        let theme = ThemeConfig {
            accent: over.accent.or(base.accent),
            ok: over.ok.or(base.ok),
            warn: over.warn.or(base.warn),
            error: over.error.or(base.error),
            muted: over.muted.or(base.muted),
        };
        let secs = user
            .poll
            .as_ref()
            .and_then(|p| p.list_refresh_secs)
            .or(defaults.poll.as_ref().and_then(|p| p.list_refresh_secs))
            .unwrap_or(3)
            .max(1);
        let poll = PollIntervals::load(defaults.poll.as_ref(), user.poll.as_ref())?;
        let base_monitor = defaults.monitor.clone().unwrap_or_default();
        let user_monitor = user.monitor.clone().unwrap_or_default();
        let ema_alpha = user_monitor
            .ema_alpha
            .or(base_monitor.ema_alpha)
            .unwrap_or(0.3);
        if !(ema_alpha > 0.0 && ema_alpha <= 1.0) {
            return Err(format!(
                "[monitor] ema_alpha = {ema_alpha}: it must be above 0 and at most 1"
            ));
        }
        Ok(UiConfig {
            keymap,
            theme,
            list_refresh: std::time::Duration::from_secs(secs),
            bell: user_monitor.bell.or(base_monitor.bell).unwrap_or(true),
            stall_factor: user_monitor
                .stall_factor
                .or(base_monitor.stall_factor)
                .unwrap_or(5.0)
                .max(1.0),
            ema_alpha,
            poll,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_ui_config_loads_and_user_keys_override() {
        let ui = UiConfig::load(&FileConfig::default()).unwrap();
        assert!(
            !ui.keymap
                .bindings(crate::app::action::Context::Models)
                .is_empty()
        );
        let user: FileConfig = toml::from_str("[keys.global]\nquit = [\"x\"]\n").unwrap();
        let ui = UiConfig::load(&user).unwrap();
        let quit = ui.keymap.hints(
            crate::app::action::Context::Global,
            &[crate::app::action::Action::Quit],
        );
        assert_eq!(quit, vec![("x".to_owned(), "quit")]);
        let bad: FileConfig = toml::from_str("[keys.models]\nfly = [\"f\"]\n").unwrap();
        assert!(UiConfig::load(&bad).unwrap_err().contains("fly"));
    }

    #[test]
    fn poll_intervals_come_from_the_file_and_are_checked() {
        let ui = UiConfig::load(&FileConfig::default()).unwrap();
        assert_eq!(ui.poll.max, std::time::Duration::from_secs(30));
        let user: FileConfig = toml::from_str("[poll]\njob_max_secs = 5.0\n").unwrap();
        assert_eq!(
            UiConfig::load(&user).unwrap().poll.max,
            std::time::Duration::from_secs(5)
        );
        let bad: FileConfig = toml::from_str("[poll]\njob_min_secs = -1.0\n").unwrap();
        assert!(UiConfig::load(&bad).unwrap_err().contains("job_min_secs"));
        let inverted: FileConfig = toml::from_str("[poll]\njob_min_secs = 40.0\n").unwrap();
        assert!(UiConfig::load(&inverted).is_err());
    }
}
