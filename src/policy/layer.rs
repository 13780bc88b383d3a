//! Where a value comes from: the layer kind (built-in < system < organisation < repository <
//! command line) and the file and position that set it, for `policy show`/`explain` and for
//! messages naming the enforced rule and the setting that tried to weaken it.

use std::fmt;
use std::sync::Arc;

/// The kinds of layer, in precedence order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LayerKind {
    /// The embedded catalog and defaults.
    Builtin,
    /// `/etc/leakgate/policy.toml` (root-owned, MDM-managed) and what it extends.
    System,
    /// A user-level organisation policy (`LEAKGATE_ORG_POLICY`, the user config dir).
    Org,
    /// The repository's `.leakgate.toml` and what it extends.
    Repo,
    /// Command-line flags.
    Cli,
}

impl LayerKind {
    /// Whether settings from this layer are a floor for later layers.
    pub fn is_org(self) -> bool {
        matches!(self, LayerKind::System | LayerKind::Org)
    }

    /// Short name used in `policy show`.
    pub fn as_str(self) -> &'static str {
        match self {
            LayerKind::Builtin => "built-in",
            LayerKind::System => "system",
            LayerKind::Org => "organisation",
            LayerKind::Repo => "repository",
            LayerKind::Cli => "command line",
        }
    }
}

/// One file that contributed to the policy.
#[derive(Debug, Clone)]
pub struct LayerInfo {
    /// Its kind.
    pub kind: LayerKind,
    /// Path, or `url@rev:path` for a pinned git source.
    pub name: String,
}

/// Who set a value: a layer and, for files, the place (see [`Place`]). One pointer, cheap to
/// clone: every active rule holds four, and with the place inline the built-in rules' copies
/// were a 56 KiB table written at every start of the hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source(Arc<Place>);

/// The layer and place a [`Source`] names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// The layer kind.
    pub kind: LayerKind,
    /// File name (`url@rev:path` for git sources); empty for built-in and command line.
    pub file: Arc<str>,
    /// 1-based line and column of the value.
    pub position: Option<(usize, usize)>,
    /// The key that set it (`rules.disable`, `allow.paths`...).
    pub key: Arc<str>,
}

impl std::ops::Deref for Source {
    type Target = Place;

    fn deref(&self) -> &Place {
        &self.0
    }
}

impl Source {
    /// The source naming `place`.
    pub fn new(place: Place) -> Source {
        Source(Arc::new(place))
    }

    /// The built-in default.
    pub fn builtin() -> Source {
        Source::new(Place {
            kind: LayerKind::Builtin,
            file: Arc::from(""),
            position: None,
            key: Arc::from(""),
        })
    }

    /// A command-line flag.
    pub fn cli(flag: &str) -> Source {
        Source::new(Place { kind: LayerKind::Cli, file: Arc::from(""), position: None, key: Arc::from(flag) })
    }

    /// The same place with another key name.
    pub fn with_key(&self, key: &str) -> Source {
        Source::new(Place { key: Arc::from(key), ..(*self.0).clone() })
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            LayerKind::Builtin => f.write_str("built-in default"),
            LayerKind::Cli => write!(f, "command line {} `{}`", self.file, self.key),
            kind => {
                write!(f, "{} policy {}", kind.as_str(), self.file)?;
                if let Some((line, col)) = self.position {
                    write!(f, ":{line}:{col}")?;
                }
                if !self.key.is_empty() {
                    write!(f, " `{}`", self.key)?;
                }
                Ok(())
            }
        }
    }
}
